// timerfd_create(2) files: a timer whose expirations are read as an 8-byte
// count.
//
// Linux semantics: read needs 8 bytes (EINVAL otherwise), returns the
// expirations since the last read (resetting it) and blocks (or EAGAIN)
// while there are none; readable while the count is non-zero. Setting the
// timer (timerfd_settime) resets the count and returns the old setting.
// Deadlines run on the kernel's TimerQueue (realtime); MONOTONIC/BOOTTIME
// values are converted when armed, like kernel::PosixTimer (a host clock
// step shifts them; Linux does not). TFD_TIMER_CANCEL_ON_SET is accepted but
// never cancels (the sandbox's clock is never set).
//
// Locking: State::mu is a leaf lock taken after the vfs::Waiter's mutex; the
// timer callback holds only a weak reference to the state, so it can race
// with close safely.
#ifndef SENTRY_FS_TIMERFD_TIMERFD_H_
#define SENTRY_FS_TIMERFD_TIMERFD_H_

#include <time.h>

#include <cstdint>
#include <memory>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sentry/kernel/timers.h"
#include "sentry/vfs/events.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/inode.h"

namespace sentry::fs::timerfd {

// Remaining time and interval, as timerfd_gettime reports them.
using Setting = std::pair<absl::Duration, absl::Duration>;

class TimerFd final : public vfs::FileImpl {
 public:
  TimerFd(kernel::TimerQueue* timers, clockid_t clock);
  ~TimerFd() override;

  // timerfd_settime: value 0 disarms; `absolute` is TFD_TIMER_ABSTIME.
  // Returns the old setting.
  ErrnoOr<Setting> Set(absl::Duration value, absl::Duration interval,
                       bool absolute);
  Setting Get();

  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t offset,
                       const vfs::IoOptions& opts) override;
  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t offset,
                        const vfs::IoOptions& opts, int64_t* end) override {
    return Errno{EINVAL};
  }
  bool Seekable() const override { return false; }
  uint32_t Readiness(uint32_t mask) override;
  vfs::EventQueue* Events() override;

 private:
  struct State;
  static void Fire(const std::weak_ptr<State>& weak, uint64_t generation);
  static void ArmLocked(const std::shared_ptr<State>& s);

  kernel::TimerQueue* const timers_;
  const clockid_t clock_;
  std::shared_ptr<State> state_;
};

// timerfd_create(clock, flags): REALTIME, MONOTONIC, BOOTTIME and their
// _ALARM forms (treated as the plain clocks); flags TFD_NONBLOCK |
// TFD_CLOEXEC (the caller handles TFD_CLOEXEC).
ErrnoOr<vfs::FileRef> NewTimerFd(vfs::VirtualFilesystem* vfs,
                                 kernel::TimerQueue* timers, int clock,
                                 int flags, uint32_t uid, uint32_t gid);

// The TimerFd behind `f`, or null.
TimerFd* AsTimerFd(vfs::FileDescription& f);

}  // namespace sentry::fs::timerfd

#endif  // SENTRY_FS_TIMERFD_TIMERFD_H_
