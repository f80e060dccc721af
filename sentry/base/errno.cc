#include "sentry/base/errno.h"

#include <string.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "base/errors.h"

namespace sentry {

absl::string_view ErrnoName(Errno e) {
  // strerrorname_np is glibc >= 2.32 (Debian 12 has 2.36).
  const char* name = strerrorname_np(ToInt(e));
  if (name != nullptr) return name;
  return "E?";
}

absl::Status ErrnoToStatus(Errno e, absl::string_view what) {
  return base::ErrnoStatus(ToInt(e), what);
}

Errno StatusToErrno(const absl::Status& status) {
  if (int err = base::ErrnoFromStatus(status); err > 0) return Errno{err};
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return Errno{0};
    case absl::StatusCode::kNotFound:
      return Errno{ENOENT};
    case absl::StatusCode::kPermissionDenied:
      return Errno{EACCES};
    case absl::StatusCode::kAlreadyExists:
      return Errno{EEXIST};
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return Errno{EINVAL};
    case absl::StatusCode::kResourceExhausted:
      return Errno{ENOMEM};
    case absl::StatusCode::kUnimplemented:
      return Errno{ENOSYS};
    case absl::StatusCode::kUnavailable:
      return Errno{EAGAIN};
    case absl::StatusCode::kDeadlineExceeded:
      return Errno{ETIMEDOUT};
    case absl::StatusCode::kCancelled:
      return Errno{EINTR};
    default:
      return Errno{EIO};
  }
}

}  // namespace sentry
