// Conversions between host errno values and absl::Status.
#ifndef BASE_ERRORS_H_
#define BASE_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace base {

// Returns a status for a failed host call: "<what>: <strerror(err)>", with a
// code that follows absl::ErrnoToStatusCode and the errno kept as a payload so
// that ErrnoFromStatus can recover it.
absl::Status ErrnoStatus(int err, absl::string_view what);

// The errno stored by ErrnoStatus, or 0 if the status carries none.
int ErrnoFromStatus(const absl::Status& status);

}  // namespace base

#endif  // BASE_ERRORS_H_
