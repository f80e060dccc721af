// Timers: one host thread runs callbacks at deadlines (TimerQueue), and
// PosixTimer implements setitimer(ITIMER_REAL), alarm and timer_create
// timers on it by sending a signal at each expiry.
//
// Callbacks run on the timer thread without TimerQueue's lock and must not
// block for long; they take Kernel::mu() to send signals. Cancel races with a
// firing callback: PosixTimer guards with a generation number checked under
// the kernel mu.
//
// Clocks: deadlines are absl::Time on the realtime clock; monotonic and
// boottime timers are converted at arm time (a host clock step shifts them;
// Linux does not). ITIMER_VIRTUAL/PROF count the thread group's CPU time as
// the run loop measures it (wall time inside Switch is user time, time in
// the sentry's syscall handling is system time); CLOCK_*_CPUTIME_ID timers
// (timer_create) are accepted but never fire.
#ifndef SENTRY_KERNEL_TIMERS_H_
#define SENTRY_KERNEL_TIMERS_H_

#include <signal.h>
#include <time.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sentry/base/errno.h"

namespace sentry::kernel {

class Kernel;
class ThreadGroup;

class TimerQueue {
 public:
  using Id = uint64_t;
  TimerQueue();
  ~TimerQueue();
  Id Schedule(absl::Time when, std::function<void()> fn);
  // True if the callback had not started.
  bool Cancel(Id id);

 private:
  void Loop();
  absl::Mutex mu_;
  std::multimap<absl::Time, std::pair<Id, std::function<void()>>> q_
      ABSL_GUARDED_BY(mu_);
  Id next_ ABSL_GUARDED_BY(mu_) = 1;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// The current time of a clock (CLOCK_REALTIME, MONOTONIC, BOOTTIME and their
// COARSE/RAW variants). EINVAL for others (CPU clocks are the caller's).
ErrnoOr<absl::Duration> HostClockNow(clockid_t c);

// An interval timer on the thread group's CPU time (ITIMER_VIRTUAL,
// ITIMER_PROF). left_ns == 0: disarmed.
struct CpuItimer {
  int64_t left_ns = 0;
  int64_t interval_ns = 0;
};

// Charges CPU time to tg's ITIMER_VIRTUAL (user) and ITIMER_PROF (user +
// sys), sending SIGVTALRM/SIGPROF to the group on expiry and reloading with
// the interval. Requires the kernel mu.
void ChargeCpuItimersLocked(Kernel& k, ThreadGroup& tg, int64_t user_ns,
                            int64_t sys_ns);
// CPU time until the first armed CPU itimer of tg expires; 0 if none.
// Requires the kernel mu.
int64_t NextCpuItimerNsLocked(ThreadGroup& tg);
// Recomputes tg.cpu_itimers_armed after a change. Requires the kernel mu.
void UpdateCpuItimersArmedLocked(ThreadGroup& tg);

// One interval timer of a thread group. All fields are guarded by
// Kernel::mu().
class PosixTimer : public std::enable_shared_from_this<PosixTimer> {
 public:
  PosixTimer(Kernel* k, ThreadGroup* tg, clockid_t clock, int signo,
             int target_tid, int id, int64_t sigval);

  // timer_settime: value 0 disarms. Returns the old setting. Requires mu.
  void SetLocked(absl::Duration value, absl::Duration interval, bool absolute);
  // Remaining time and interval (timer_gettime). Requires mu.
  std::pair<absl::Duration, absl::Duration> GetLocked() const;
  void DisarmLocked();
  int overrun() const { return overrun_last_; }

  clockid_t clock() const { return clock_; }

 private:
  void Arm(absl::Time when_realtime);
  void Fire(uint64_t generation);

  Kernel* kernel_;
  ThreadGroup* tg_;
  clockid_t clock_;
  int signo_;
  int target_tid_;  // SIGEV_THREAD_ID target, or 0 for the group
  int id_;
  int64_t sigval_;
  uint64_t generation_ = 0;
  TimerQueue::Id queued_ = 0;
  absl::Time next_;  // realtime deadline of the next expiry
  absl::Duration interval_;
  bool armed_ = false;
  int overrun_ = 0, overrun_last_ = 0;
};

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_TIMERS_H_
