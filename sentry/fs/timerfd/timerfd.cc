#include "sentry/fs/timerfd/timerfd.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/timerfd.h>

#include <cstring>

#include "sentry/fs/anon/anon_file.h"
#include "sentry/vfs/waiter.h"

namespace sentry::fs::timerfd {

struct TimerFd::State {
  kernel::TimerQueue* timers;
  absl::Mutex mu;
  absl::CondVar cv;
  vfs::EventQueue events;
  uint64_t count ABSL_GUARDED_BY(mu) = 0;
  uint64_t generation ABSL_GUARDED_BY(mu) = 0;
  kernel::TimerQueue::Id queued ABSL_GUARDED_BY(mu) = 0;
  bool armed ABSL_GUARDED_BY(mu) = false;
  absl::Time next ABSL_GUARDED_BY(mu);  // realtime
  absl::Duration interval ABSL_GUARDED_BY(mu);
};

TimerFd::TimerFd(kernel::TimerQueue* timers, clockid_t clock)
    : timers_(timers), clock_(clock), state_(std::make_shared<State>()) {
  state_->timers = timers;
}

TimerFd::~TimerFd() {
  // The queued callback only holds a weak reference and finds the state
  // gone; it is not cancelled here because the file may outlive the
  // kernel's TimerQueue (the kernel destroys its timers before its tasks).
  absl::MutexLock l(&state_->mu);
  ++state_->generation;
}

void TimerFd::ArmLocked(const std::shared_ptr<State>& s) {
  std::weak_ptr<State> weak = s;
  const uint64_t gen = s->generation;
  s->queued =
      s->timers->Schedule(s->next, [weak, gen] { TimerFd::Fire(weak, gen); });
}

void TimerFd::Fire(const std::weak_ptr<State>& weak, uint64_t generation) {
  std::shared_ptr<State> s = weak.lock();
  if (!s) return;
  absl::MutexLock l(&s->mu);
  if (s->generation != generation || !s->armed) return;
  const absl::Time now = absl::Now();
  uint64_t n = 1;
  if (s->interval > absl::ZeroDuration()) {
    // Expirations missed while the thread was late count as overruns.
    if (now > s->next) n += (now - s->next) / s->interval;
    s->next += s->interval * static_cast<int64_t>(n);
    ArmLocked(s);
  } else {
    s->armed = false;
    s->queued = 0;
  }
  s->count += n;
  s->cv.SignalAll();
  s->events.Notify(POLLIN | POLLRDNORM);
}

ErrnoOr<Setting> TimerFd::Set(absl::Duration value, absl::Duration interval,
                              bool absolute) {
  ASSIGN_OR_RETURN_ERRNO(absl::Duration clock_now,
                         kernel::HostClockNow(clock_));
  Setting old = Get();
  absl::MutexLock l(&state_->mu);
  State& s = *state_;
  ++s.generation;
  if (s.queued) timers_->Cancel(s.queued);
  s.queued = 0;
  s.count = 0;
  s.armed = false;
  s.interval = interval;
  if (value == absl::ZeroDuration()) return old;
  const absl::Time now = absl::Now();
  s.next = absolute ? now + (value - clock_now) : now + value;
  s.armed = true;
  ArmLocked(state_);
  return old;
}

Setting TimerFd::Get() {
  absl::MutexLock l(&state_->mu);
  const State& s = *state_;
  if (!s.armed) return {absl::ZeroDuration(), s.interval};
  absl::Duration left = s.next - absl::Now();
  // Linux never reports 0 for an armed timer whose expiry is being handled.
  if (left <= absl::ZeroDuration()) left = absl::Nanoseconds(1);
  return {left, s.interval};
}

ErrnoOr<size_t> TimerFd::Read(vfs::IoDst& dst, int64_t offset,
                              const vfs::IoOptions& opts) {
  if (dst.size() < sizeof(uint64_t)) return Errno{EINVAL};
  State& s = *state_;
  vfs::WaiterRegistration reg(opts.waiter, &s.mu, &s.cv);
  absl::MutexLock l(&s.mu);
  for (;;) {
    if (s.count > 0) {
      std::byte buf[sizeof(uint64_t)];
      std::memcpy(buf, &s.count, sizeof(buf));
      ASSIGN_OR_RETURN_ERRNO(size_t n, dst.CopyOut(0, buf));
      if (n != sizeof(buf)) return Errno{EFAULT};
      s.count = 0;
      return sizeof(buf);
    }
    if (opts.nonblock) return Errno{EAGAIN};
    if (opts.waiter && opts.waiter->interrupted()) return Errno{EINTR};
    s.cv.Wait(&s.mu);
  }
}

uint32_t TimerFd::Readiness(uint32_t mask) {
  absl::MutexLock l(&state_->mu);
  return state_->count > 0 ? mask & (POLLIN | POLLRDNORM) : 0;
}

vfs::EventQueue* TimerFd::Events() { return &state_->events; }

TimerFd* AsTimerFd(vfs::FileDescription& f) {
  return dynamic_cast<TimerFd*>(f.impl());
}

ErrnoOr<vfs::FileRef> NewTimerFd(vfs::VirtualFilesystem* vfs,
                                 kernel::TimerQueue* timers, int clock,
                                 int flags, uint32_t uid, uint32_t gid) {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
      break;
    case CLOCK_REALTIME_ALARM:
      clock = CLOCK_REALTIME;
      break;
    case CLOCK_BOOTTIME_ALARM:
      clock = CLOCK_BOOTTIME;
      break;
    default:
      return Errno{EINVAL};
  }
  if (flags & ~(TFD_NONBLOCK | TFD_CLOEXEC)) return Errno{EINVAL};
  return anon::NewAnonFile(vfs, O_RDWR | (flags & O_NONBLOCK),
                           std::make_unique<TimerFd>(timers, clock), uid, gid);
}

}  // namespace sentry::fs::timerfd
