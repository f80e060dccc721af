// The small event files: eventfd/eventfd2, timerfd_create/settime/gettime,
// signalfd/signalfd4 (sentry/fs/{eventfd,timerfd,signalfd}).
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#include "sentry/fs/eventfd/eventfd.h"
#include "sentry/fs/signalfd/signalfd.h"
#include "sentry/fs/timerfd/timerfd.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/poll_wait.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

SyscallResult Install(Task& t, ErrnoOr<vfs::FileRef> f, bool cloexec) {
  if (!f.ok()) return f.error();
  return SyscallResult::From(TaskFdTable(t).Add(std::move(*f), cloexec));
}

// Eventfd2 implements eventfd2(2). Full.
SyscallResult Eventfd2(Task& t, uint32_t initval, int flags) {
  auto creds = t.creds();
  return Install(
      t,
      fs::eventfd::NewEventFd(SandboxVfs(), initval, flags,
                              creds->effective_uid, creds->effective_gid),
      flags & EFD_CLOEXEC);
}

// Eventfd implements eventfd(2) (no flags). Full.
SyscallResult Eventfd(Task& t, uint32_t initval) {
  return Eventfd2(t, initval, 0);
}

// TimerfdCreate implements timerfd_create(2). Partial: the _ALARM clocks
// are plain clocks (no suspend in a sandbox).
SyscallResult TimerfdCreate(Task& t, int clock, int flags) {
  auto creds = t.creds();
  return Install(
      t,
      fs::timerfd::NewTimerFd(SandboxVfs(), &t.kernel().timers(), clock, flags,
                              creds->effective_uid, creds->effective_gid),
      flags & TFD_CLOEXEC);
}

ErrnoOr<fs::timerfd::TimerFd*> GetTimerFd(Task& t, int fd, vfs::FileRef* keep) {
  ASSIGN_OR_RETURN_ERRNO(*keep, GetFile(t, fd));
  fs::timerfd::TimerFd* tf = fs::timerfd::AsTimerFd(**keep);
  if (tf == nullptr) return Errno{EINVAL};
  return tf;
}

ErrnoStatus CopyOutSetting(Task& t, UserPtr<itimerspec> out,
                           const fs::timerfd::Setting& s) {
  itimerspec v{};
  v.it_value = DurationToTimespec(s.first);
  v.it_interval = DurationToTimespec(s.second);
  return t.mm().CopyOutObj(out, v);
}

// TimerfdSettime implements timerfd_settime(2). Partial:
// TFD_TIMER_CANCEL_ON_SET never cancels (clocks are never set).
SyscallResult TimerfdSettime(Task& t, Fd fd, int flags, UserPtr<itimerspec> in,
                             UserPtr<itimerspec> old) {
  if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) {
    return Errno{EINVAL};
  }
  ASSIGN_OR_RETURN_ERRNO(itimerspec v, t.mm().CopyInObj(in));
  for (const timespec& ts : {v.it_value, v.it_interval}) {
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) {
      return Errno{EINVAL};
    }
  }
  vfs::FileRef keep;
  ASSIGN_OR_RETURN_ERRNO(fs::timerfd::TimerFd * tf,
                         GetTimerFd(t, fd.value, &keep));
  ASSIGN_OR_RETURN_ERRNO(fs::timerfd::Setting prev,
                         tf->Set(absl::DurationFromTimespec(v.it_value),
                                 absl::DurationFromTimespec(v.it_interval),
                                 flags & TFD_TIMER_ABSTIME));
  if (!old.IsNull()) RETURN_IF_ERRNO(CopyOutSetting(t, old, prev));
  return SyscallResult::Value(0);
}

// TimerfdGettime implements timerfd_gettime(2). Full.
SyscallResult TimerfdGettime(Task& t, Fd fd, UserPtr<itimerspec> out) {
  vfs::FileRef keep;
  ASSIGN_OR_RETURN_ERRNO(fs::timerfd::TimerFd * tf,
                         GetTimerFd(t, fd.value, &keep));
  return SyscallResult::From(CopyOutSetting(t, out, tf->Get()));
}

// Signalfd4 implements signalfd4(2). Full.
SyscallResult Signalfd4(Task& t, int fd, UserAddr mask, size_t sizemask,
                        int flags) {
  if (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC)) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(kernel::SigSet set, CopyInSigmask(t, mask, sizemask));
  if (fd == -1) {
    auto creds = t.creds();
    return Install(
        t,
        fs::signalfd::NewSignalFd(SandboxVfs(), set, flags,
                                  creds->effective_uid, creds->effective_gid),
        flags & SFD_CLOEXEC);
  }
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd));
  fs::signalfd::SignalFd* sf = fs::signalfd::AsSignalFd(*f);
  if (sf == nullptr) return Errno{EINVAL};
  sf->SetMask(set);
  // Pollers re-check against the new mask (Linux wakes signalfd_wqh).
  {
    absl::MutexLock l(t.kernel().mu());
    t.tg().signal_events->Notify(POLLIN | POLLRDNORM);
  }
  return SyscallResult::Value(fd);
}

// Signalfd implements signalfd(2) (no flags). Full.
SyscallResult Signalfd(Task& t, int fd, UserAddr mask, size_t sizemask) {
  return Signalfd4(t, fd, mask, sizemask, 0);
}

}  // namespace

void RegisterEventFileSyscalls(SyscallTable& tab) {
  tab.Set(__NR_eventfd, FileAdapt<&Eventfd>, Support::kFull);
  tab.Set(__NR_eventfd2, FileAdapt<&Eventfd2>, Support::kFull);
  tab.Set(__NR_timerfd_create, FileAdapt<&TimerfdCreate>, Support::kPartial,
          "_ALARM clocks are plain clocks");
  tab.Set(__NR_timerfd_settime, FileAdapt<&TimerfdSettime>, Support::kPartial,
          "TFD_TIMER_CANCEL_ON_SET never cancels");
  tab.Set(__NR_timerfd_gettime, FileAdapt<&TimerfdGettime>, Support::kFull);
  tab.Set(__NR_signalfd, FileAdapt<&Signalfd>, Support::kFull);
  tab.Set(__NR_signalfd4, FileAdapt<&Signalfd4>, Support::kFull);
}

}  // namespace sentry::syscalls
