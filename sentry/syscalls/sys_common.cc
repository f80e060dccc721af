#include "sentry/syscalls/sys_common.h"

#include "sentry/kernel/timers.h"

namespace sentry::syscalls {

ErrnoOr<absl::Duration> CopyInTimespec(Task& t, UserAddr addr) {
  ASSIGN_OR_RETURN_ERRNO(timespec ts,
                         t.mm().CopyInObj(UserPtr<timespec>(addr)));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) {
    return Errno{EINVAL};
  }
  return absl::DurationFromTimespec(ts);
}

timespec DurationToTimespec(absl::Duration d) { return absl::ToTimespec(d); }

timeval DurationToTimeval(absl::Duration d) { return absl::ToTimeval(d); }

ErrnoStatus CopyOutTimespec(Task& t, UserAddr addr, absl::Duration d) {
  return t.mm().CopyOutObj(UserPtr<timespec>(addr), DurationToTimespec(d));
}

ErrnoOr<absl::Duration> CopyInTimeval(Task& t, UserAddr addr) {
  ASSIGN_OR_RETURN_ERRNO(timeval tv, t.mm().CopyInObj(UserPtr<timeval>(addr)));
  if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000) {
    return Errno{EINVAL};
  }
  return absl::DurationFromTimeval(tv);
}

ErrnoStatus CopyOutTimeval(Task& t, UserAddr addr, absl::Duration d) {
  return t.mm().CopyOutObj(UserPtr<timeval>(addr), DurationToTimeval(d));
}

ErrnoOr<absl::Time> DeadlineForClock(clockid_t clock, absl::Duration abs) {
  ASSIGN_OR_RETURN_ERRNO(absl::Duration now, kernel::HostClockNow(clock));
  return absl::Now() + (abs - now);
}

bool HasDeliverableSignalLocked(Task& t) {
  kernel::SigSet ready =
      (t.pending.Pending() | t.tg().pending.Pending()) & ~t.mask;
  return !ready.Empty();
}

bool SleepUntil(Task& t, std::optional<absl::Time> deadline) {
  for (;;) {
    t.PrepareBlock();
    switch (t.Block(deadline)) {
      case Task::BlockResult::kTimedOut:
        return true;
      case Task::BlockResult::kInterrupted:
        return false;
      case Task::BlockResult::kNotified:
        break;  // spurious for a sleep
    }
  }
}

Task* FindTaskLocked(Task& self, int pid) {
  if (pid == 0) return &self;
  Task* t = self.kernel().pidns().FindTask(pid);
  if (t == nullptr || t->exited()) return nullptr;
  return t;
}

}  // namespace sentry::syscalls
