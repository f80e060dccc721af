// Helpers shared by the syscall families: time conversion with Linux's
// validation, blocking sleeps and small lookups.
#ifndef SENTRY_SYSCALLS_SYS_COMMON_H_
#define SENTRY_SYSCALLS_SYS_COMMON_H_

#include <sys/time.h>
#include <time.h>

#include <optional>

#include "absl/time/time.h"
#include "sentry/syscalls/syscall.h"

namespace sentry::syscalls {

// Copies in a timespec; EINVAL unless 0 <= tv_nsec < 1e9 and tv_sec >= 0.
ErrnoOr<absl::Duration> CopyInTimespec(Task& t, UserAddr addr);
ErrnoStatus CopyOutTimespec(Task& t, UserAddr addr, absl::Duration d);
// Same for timeval (tv_usec < 1e6).
ErrnoOr<absl::Duration> CopyInTimeval(Task& t, UserAddr addr);
ErrnoStatus CopyOutTimeval(Task& t, UserAddr addr, absl::Duration d);
timespec DurationToTimespec(absl::Duration d);
timeval DurationToTimeval(absl::Duration d);

// The realtime deadline for an absolute time `abs` on clock `clock`.
ErrnoOr<absl::Time> DeadlineForClock(clockid_t clock, absl::Duration abs);

// Whether the task has a pending signal it would take now (not blocked).
// Requires the kernel mu.
bool HasDeliverableSignalLocked(Task& t);

// Sleeps until `deadline` (or forever) or a signal/kill. Returns true when
// the deadline passed, false when interrupted.
bool SleepUntil(Task& t, std::optional<absl::Time> deadline);

// The task named by a pid argument (0 = the caller). Requires the kernel mu.
Task* FindTaskLocked(Task& self, int pid);

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_SYS_COMMON_H_
