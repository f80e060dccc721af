// Signal names and numbers as `kill` accepts them.
//
// Contract: ParseSignal accepts what runc and kill(1) accept: a number in
// 1..64 ("9"), a name with or without the SIG prefix in any case ("KILL",
// "sigkill", "SIGKILL"), the aliases IOT, CLD and POLL, and real-time
// signals as RTMIN, RTMIN+n, RTMAX-n, RTMAX (with or without SIG). RTMIN is
// 34 and RTMAX 64, the values glibc programs see (glibc reserves 32 and 33),
// which is what the application inside the container means by them. Errors
// are InvalidArgument and quote the input.
//
// Pure functions; thread-safe.
#ifndef RUNSC_CLI_SIGNAL_H_
#define RUNSC_CLI_SIGNAL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace runsc::cli {

inline constexpr int kSigRtMin = 34;
inline constexpr int kSigRtMax = 64;

absl::StatusOr<int> ParseSignal(absl::string_view s);

// "SIGKILL" for 9, "SIGRTMIN+2" for 36, "SIG<n>" for numbers without a name.
std::string SignalName(int sig);

}  // namespace runsc::cli

#endif  // RUNSC_CLI_SIGNAL_H_
