#include "base/errors.h"

#include <string.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace base {
namespace {
constexpr absl::string_view kErrnoPayload = "runsc/errno";
}  // namespace

absl::Status ErrnoStatus(int err, absl::string_view what) {
  char buf[128];
  // GNU strerror_r returns a pointer that may or may not be `buf`.
  const char* text = strerror_r(err, buf, sizeof(buf));
  absl::Status status(absl::ErrnoToStatusCode(err),
                      absl::StrCat(what, ": ", text));
  status.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(err)));
  return status;
}

int ErrnoFromStatus(const absl::Status& status) {
  auto payload = status.GetPayload(kErrnoPayload);
  if (!payload.has_value()) return 0;
  int err = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &err)) return 0;
  return err;
}

}  // namespace base
