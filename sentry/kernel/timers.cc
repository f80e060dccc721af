#include "sentry/kernel/timers.h"

#include <cstring>

#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

TimerQueue::TimerQueue() : thread_([this] { Loop(); }) {}

TimerQueue::~TimerQueue() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  thread_.join();
}

TimerQueue::Id TimerQueue::Schedule(absl::Time when, std::function<void()> fn) {
  absl::MutexLock l(&mu_);
  Id id = next_++;
  q_.emplace(when, std::make_pair(id, std::move(fn)));
  return id;
}

bool TimerQueue::Cancel(Id id) {
  absl::MutexLock l(&mu_);
  for (auto it = q_.begin(); it != q_.end(); ++it) {
    if (it->second.first == id) {
      q_.erase(it);
      return true;
    }
  }
  return false;
}

void TimerQueue::Loop() {
  mu_.Lock();
  while (!stop_) {
    if (q_.empty()) {
      mu_.Await(absl::Condition(
          +[](TimerQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return q->stop_ || !q->q_.empty();
          },
          this));
      continue;
    }
    absl::Time first = q_.begin()->first;
    if (absl::Now() < first) {
      // Wake early when an earlier deadline is queued or on stop.
      auto cond = [this, first]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return stop_ || q_.empty() || q_.begin()->first < first;
      };
      mu_.AwaitWithDeadline(absl::Condition(&cond), first);
      continue;
    }
    auto fn = std::move(q_.begin()->second.second);
    q_.erase(q_.begin());
    mu_.Unlock();
    fn();
    mu_.Lock();
  }
  mu_.Unlock();
}

ErrnoOr<absl::Duration> HostClockNow(clockid_t c) {
  clockid_t host;
  switch (c) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_BOOTTIME:
      host = c;
      break;
    case CLOCK_REALTIME_ALARM:
      host = CLOCK_REALTIME;
      break;
    case CLOCK_BOOTTIME_ALARM:
      host = CLOCK_BOOTTIME;
      break;
    default:
      return Errno{EINVAL};
  }
  timespec ts;
  if (clock_gettime(host, &ts) != 0) return Errno{EINVAL};
  return absl::DurationFromTimespec(ts);
}

PosixTimer::PosixTimer(Kernel* k, ThreadGroup* tg, clockid_t clock, int signo,
                       int target_tid, int id, int64_t sigval)
    : kernel_(k),
      tg_(tg),
      clock_(clock),
      signo_(signo),
      target_tid_(target_tid),
      id_(id),
      sigval_(sigval) {}

void PosixTimer::SetLocked(absl::Duration value, absl::Duration interval,
                           bool absolute) {
  DisarmLocked();
  interval_ = interval;
  if (value <= absl::ZeroDuration()) return;
  auto now = HostClockNow(clock_);
  if (!now.ok()) return;  // CPU clocks: accepted, never fire (see header)
  absl::Duration rel = absolute ? value - *now : value;
  if (rel < absl::ZeroDuration()) rel = absl::ZeroDuration();
  armed_ = true;
  overrun_ = 0;
  Arm(absl::Now() + rel);
}

std::pair<absl::Duration, absl::Duration> PosixTimer::GetLocked() const {
  if (!armed_) return {absl::ZeroDuration(), interval_};
  absl::Duration left = next_ - absl::Now();
  if (left < absl::Nanoseconds(1)) left = absl::Nanoseconds(1);
  return {left, interval_};
}

void PosixTimer::DisarmLocked() {
  ++generation_;
  if (queued_ != 0) kernel_->timers().Cancel(queued_);
  queued_ = 0;
  armed_ = false;
}

void PosixTimer::Arm(absl::Time when) {
  next_ = when;
  uint64_t gen = generation_;
  std::weak_ptr<PosixTimer> weak = weak_from_this();
  queued_ = kernel_->timers().Schedule(when, [weak, gen] {
    if (auto self = weak.lock()) self->Fire(gen);
  });
}

void PosixTimer::Fire(uint64_t generation) {
  absl::MutexLock l(kernel_->mu());
  if (generation != generation_ || !armed_ || tg_->zombie) return;
  queued_ = 0;
  if (signo_ != 0) {
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    info.si_signo = signo_;
    info.si_code = id_ < 0 ? SI_KERNEL : SI_TIMER;
    if (id_ >= 0) {
      // The timer fields of the kernel's siginfo: si_timerid, si_overrun,
      // si_value.
      info.si_timerid = id_;
      info.si_overrun = overrun_;
      info.si_value.sival_ptr = reinterpret_cast<void*>(sigval_);
    }
    overrun_last_ = overrun_;
    Task* thread = nullptr;
    if (target_tid_ != 0) {
      thread = kernel_->pidns().FindTask(target_tid_);
      if (thread != nullptr && &thread->tg() != tg_) thread = nullptr;
    }
    PendingSignals& pending = thread ? thread->pending : tg_->pending;
    siginfo_t* queued =
        id_ >= 0 ? pending.FindTimerSignal(signo_, id_) : nullptr;
    if (queued != nullptr) {
      // Still undelivered: count an overrun instead of queueing again.
      queued->si_overrun += 1 + static_cast<int>(overrun_);
      overrun_last_ = queued->si_overrun;
    } else {
      kernel_->SendSignalLocked(nullptr, thread, thread ? nullptr : tg_, info);
    }
    overrun_ = 0;
  }
  if (interval_ > absl::ZeroDuration()) {
    absl::Time next = next_ + interval_;
    absl::Time now = absl::Now();
    if (next < now) {
      // Missed expiries count as overruns (timer_getoverrun).
      int64_t missed = (now - next) / interval_;
      overrun_ += static_cast<int>(missed);
      next += interval_ * (missed + 1);
    }
    Arm(next);
  } else {
    armed_ = false;
  }
}

namespace {
// Returns true when `timer` expired (and reloads it).
bool ChargeOne(CpuItimer& timer, int64_t ns) {
  if (timer.left_ns == 0 || ns <= 0) return false;
  timer.left_ns -= ns;
  if (timer.left_ns > 0) return false;
  if (timer.interval_ns == 0) {
    timer.left_ns = 0;
  } else {
    // Overruns collapse into one signal, as Linux's.
    while (timer.left_ns <= 0) timer.left_ns += timer.interval_ns;
  }
  return true;
}
}  // namespace

void ChargeCpuItimersLocked(Kernel& k, ThreadGroup& tg, int64_t user_ns,
                            int64_t sys_ns) {
  bool vt = ChargeOne(tg.itimer_virtual, user_ns);
  bool prof = ChargeOne(tg.itimer_prof, user_ns + sys_ns);
  if (vt)
    k.SendSignalLocked(nullptr, nullptr, &tg,
                       MakeSigInfo(SIGVTALRM, SI_KERNEL));
  if (prof)
    k.SendSignalLocked(nullptr, nullptr, &tg, MakeSigInfo(SIGPROF, SI_KERNEL));
  if (vt || prof) UpdateCpuItimersArmedLocked(tg);
}

int64_t NextCpuItimerNsLocked(ThreadGroup& tg) {
  int64_t next = 0;
  for (const CpuItimer* t : {&tg.itimer_virtual, &tg.itimer_prof}) {
    if (t->left_ns > 0 && (next == 0 || t->left_ns < next)) next = t->left_ns;
  }
  return next;
}

void UpdateCpuItimersArmedLocked(ThreadGroup& tg) {
  tg.cpu_itimers_armed.store(tg.itimer_virtual.left_ns > 0 ||
                             tg.itimer_prof.left_ns > 0);
}

}  // namespace sentry::kernel
