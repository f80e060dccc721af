// Clocks, sleeps and timers: clock_gettime/getres, gettimeofday, time,
// nanosleep, clock_nanosleep, itimers, alarm, POSIX timers, times,
// getrusage, sysinfo, restart_syscall.
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>

#include <cstring>

#include "sentry/kernel/timers.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

using kernel::PosixTimer;

// The CPU time of the caller's thread or process (what the sentry
// accounts: time in application code and in handlers).
absl::Duration CpuTime(Task& t, bool process) {
  int64_t ns = t.utime_ns + t.stime_ns;
  if (process) {
    absl::MutexLock l(t.kernel().mu());
    ns += t.tg().utime_ns + t.tg().stime_ns;
  }
  return absl::Nanoseconds(ns);
}

ErrnoOr<absl::Duration> ClockNow(Task& t, clockid_t c) {
  switch (c) {
    case CLOCK_PROCESS_CPUTIME_ID:
      return CpuTime(t, true);
    case CLOCK_THREAD_CPUTIME_ID:
      return CpuTime(t, false);
    default:
      return kernel::HostClockNow(c);
  }
}

// ClockGettime implements clock_gettime(2). Partial: no per-pid CPU clocks.
SyscallResult ClockGettime(Task& t, int clock, UserAddr tp) {
  auto now = ClockNow(t, clock);
  if (!now.ok()) return SyscallResult::Error(now.error());
  return SyscallResult::From(CopyOutTimespec(t, tp, *now));
}

// ClockGetres implements clock_getres(2). Full.
SyscallResult ClockGetres(Task& t, int clock, UserAddr res) {
  if (!ClockNow(t, clock).ok()) return SyscallResult::Error(Errno{EINVAL});
  absl::Duration r =
      (clock == CLOCK_REALTIME_COARSE || clock == CLOCK_MONOTONIC_COARSE)
          ? absl::Milliseconds(4)  // one jiffy at HZ=250
          : absl::Nanoseconds(1);
  if (res.IsNull()) return SyscallResult::Value(0);
  return SyscallResult::From(CopyOutTimespec(t, res, r));
}

// ClockSettime implements clock_settime(2): the sandbox cannot set clocks.
SyscallResult ClockSettime(Task& t, int clock, UserAddr tp) {
  if (!ClockNow(t, clock).ok()) return SyscallResult::Error(Errno{EINVAL});
  return SyscallResult::Error(Errno{EPERM});
}

// Gettimeofday implements gettimeofday(2). Full (tz is zeroed).
SyscallResult Gettimeofday(Task& t, UserAddr tv, UserAddr tz) {
  if (!tv.IsNull()) {
    auto s = CopyOutTimeval(t, tv, absl::Now() - absl::UnixEpoch());
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  if (!tz.IsNull()) {
    struct timezone z = {0, 0};
    auto s = t.mm().CopyOutObj(UserPtr<struct timezone>(tz), z);
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  return SyscallResult::Value(0);
}

// Time implements time(2). Full.
SyscallResult Time(Task& t, UserPtr<int64_t> tloc) {
  int64_t now = absl::ToUnixSeconds(absl::Now());
  if (!tloc.IsNull()) {
    auto s = t.mm().CopyOutObj(tloc, now);
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  return SyscallResult::Value(now);
}

// Sleeps until `deadline` (realtime); on interruption writes the remaining
// time to rem (if set) and arranges restart_syscall to continue.
SyscallResult SleepRelative(Task& t, absl::Time deadline, UserAddr rem) {
  if (SleepUntil(t, deadline)) return SyscallResult::Value(0);
  if (!rem.IsNull()) {
    absl::Duration left =
        std::max(deadline - absl::Now(), absl::ZeroDuration());
    auto s = CopyOutTimespec(t, rem, left);
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  t.restart_fn = [deadline, rem](Task& rt) {
    return SleepRelative(rt, deadline, rem);
  };
  return SyscallResult::Restart(kernel::RestartKind::kRestartBlock);
}

// Nanosleep implements nanosleep(2). Full.
SyscallResult Nanosleep(Task& t, UserAddr req, UserAddr rem) {
  auto d = CopyInTimespec(t, req);
  if (!d.ok()) return SyscallResult::Error(d.error());
  return SleepRelative(t, absl::Now() + *d, rem);
}

// ClockNanosleep implements clock_nanosleep(2). Partial: CPU-time clocks
// are refused (EINVAL).
SyscallResult ClockNanosleep(Task& t, int clock, int flags, UserAddr req,
                             UserAddr rem) {
  if (clock == CLOCK_THREAD_CPUTIME_ID)
    return SyscallResult::Error(Errno{EINVAL});
  if (!kernel::HostClockNow(clock).ok()) {
    return SyscallResult::Error(
        Errno{clock == CLOCK_PROCESS_CPUTIME_ID ? ENOTSUP : EINVAL});
  }
  auto d = CopyInTimespec(t, req);
  if (!d.ok()) return SyscallResult::Error(d.error());
  if (flags & TIMER_ABSTIME) {
    auto deadline = DeadlineForClock(clock, *d);
    if (!deadline.ok()) return SyscallResult::Error(deadline.error());
    if (SleepUntil(t, *deadline)) return SyscallResult::Value(0);
    // Absolute sleeps simply restart with the same argument.
    return SyscallResult::Restart(kernel::RestartKind::kRestartNoHand);
  }
  return SleepRelative(t, absl::Now() + *d, rem);
}

// RestartSyscall implements restart_syscall(2).
SyscallResult RestartSyscall(Task& t) {
  auto fn = std::move(t.restart_fn);
  t.restart_fn = nullptr;
  if (!fn) return SyscallResult::Error(Errno{EINTR});
  return fn(t);
}

struct KItimerval {
  timeval interval;
  timeval value;
};

std::shared_ptr<PosixTimer>& RealTimerLocked(Task& t) {
  auto& timer = t.tg().itimer_real;
  if (timer == nullptr) {
    timer = std::make_shared<PosixTimer>(&t.kernel(), &t.tg(), CLOCK_MONOTONIC,
                                         SIGALRM, 0, -1, 0);
  }
  return timer;
}

kernel::CpuItimer& CpuItimerLocked(Task& t, int which) {
  return which == ITIMER_VIRTUAL ? t.tg().itimer_virtual : t.tg().itimer_prof;
}

// Getitimer implements getitimer(2). ITIMER_VIRTUAL/PROF count CPU time as
// the run loop measures it (timers.h).
SyscallResult Getitimer(Task& t, int which, UserPtr<KItimerval> out) {
  KItimerval v{};
  switch (which) {
    case ITIMER_REAL: {
      absl::MutexLock l(t.kernel().mu());
      auto [left, interval] = RealTimerLocked(t)->GetLocked();
      v.value = DurationToTimeval(left);
      v.interval = DurationToTimeval(interval);
      break;
    }
    case ITIMER_VIRTUAL:
    case ITIMER_PROF: {
      absl::MutexLock l(t.kernel().mu());
      const kernel::CpuItimer& c = CpuItimerLocked(t, which);
      v.value = DurationToTimeval(absl::Nanoseconds(c.left_ns));
      v.interval = DurationToTimeval(absl::Nanoseconds(c.interval_ns));
      break;
    }
    default:
      return SyscallResult::Error(Errno{EINVAL});
  }
  return SyscallResult::From(t.mm().CopyOutObj(out, v));
}

// Setitimer implements setitimer(2). Partial (see getitimer).
SyscallResult Setitimer(Task& t, int which, UserPtr<KItimerval> in,
                        UserPtr<KItimerval> old) {
  KItimerval nv{};
  if (!in.IsNull()) {
    auto v = t.mm().CopyInObj(in);
    if (!v.ok()) return SyscallResult::Error(v.error());
    nv = *v;
    for (const timeval& tv : {nv.value, nv.interval}) {
      if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000) {
        return SyscallResult::Error(Errno{EINVAL});
      }
    }
  }
  KItimerval ov{};
  switch (which) {
    case ITIMER_REAL: {
      absl::MutexLock l(t.kernel().mu());
      auto& timer = RealTimerLocked(t);
      auto [left, interval] = timer->GetLocked();
      ov.value = DurationToTimeval(left);
      ov.interval = DurationToTimeval(interval);
      timer->SetLocked(absl::DurationFromTimeval(nv.value),
                       absl::DurationFromTimeval(nv.interval), false);
      break;
    }
    case ITIMER_VIRTUAL:
    case ITIMER_PROF: {
      absl::MutexLock l(t.kernel().mu());
      kernel::CpuItimer& c = CpuItimerLocked(t, which);
      ov.value = DurationToTimeval(absl::Nanoseconds(c.left_ns));
      ov.interval = DurationToTimeval(absl::Nanoseconds(c.interval_ns));
      // Like Linux, a value below one tick still arms the timer.
      c.left_ns = absl::ToInt64Nanoseconds(absl::DurationFromTimeval(nv.value));
      c.interval_ns = c.left_ns == 0
                          ? 0
                          : absl::ToInt64Nanoseconds(
                                absl::DurationFromTimeval(nv.interval));
      kernel::UpdateCpuItimersArmedLocked(t.tg());
      break;
    }
    default:
      return SyscallResult::Error(Errno{EINVAL});
  }
  if (!old.IsNull()) {
    auto s = t.mm().CopyOutObj(old, ov);
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  return SyscallResult::Value(0);
}

// Alarm implements alarm(2). Full.
SyscallResult Alarm(Task& t, uint32_t seconds) {
  absl::MutexLock l(t.kernel().mu());
  auto& timer = RealTimerLocked(t);
  absl::Duration left = timer->GetLocked().first;
  timer->SetLocked(absl::Seconds(seconds), absl::ZeroDuration(), false);
  timeval tv = DurationToTimeval(left);
  // Linux rounds the old value to the nearest second, never to 0.
  int64_t secs = tv.tv_sec;
  if ((secs == 0 && tv.tv_usec != 0) || tv.tv_usec >= 500000) ++secs;
  return SyscallResult::Value(secs);
}

// The kernel's struct sigevent prefix.
struct KSigevent {
  uint64_t value;
  int32_t signo;
  int32_t notify;
  int32_t tid;
  int32_t pad[11];
};
static_assert(sizeof(KSigevent) == 64);

bool ValidTimerClock(int clock) {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
      return true;
    default:
      return false;
  }
}

// TimerCreate implements timer_create(2). Partial: CPU-time clocks never
// fire; *_ALARM clocks are refused.
SyscallResult TimerCreate(Task& t, int clock, UserPtr<KSigevent> sevp,
                          UserPtr<int32_t> timerid) {
  if (!ValidTimerClock(clock)) return SyscallResult::Error(Errno{EINVAL});
  KSigevent ev{};
  bool have_ev = !sevp.IsNull();
  if (have_ev) {
    auto v = t.mm().CopyInObj(sevp);
    if (!v.ok()) return SyscallResult::Error(v.error());
    ev = *v;
  }
  int signo = SIGALRM, target = 0;
  if (have_ev) {
    switch (ev.notify) {
      case SIGEV_NONE:
        signo = 0;
        break;
      case SIGEV_SIGNAL:
        signo = ev.signo;
        break;
      case SIGEV_SIGNAL | SIGEV_THREAD_ID:
        signo = ev.signo;
        target = ev.tid;
        break;
      default:  // SIGEV_THREAD is implemented by libc, never seen here
        return SyscallResult::Error(Errno{EINVAL});
    }
    if (ev.notify != SIGEV_NONE && !kernel::ValidSignal(signo)) {
      return SyscallResult::Error(Errno{EINVAL});
    }
  }
  absl::MutexLock l(t.kernel().mu());
  if (target != 0) {
    Task* tt = t.kernel().pidns().FindTask(target);
    if (tt == nullptr || &tt->tg() != &t.tg()) {
      return SyscallResult::Error(Errno{EINVAL});
    }
  }
  kernel::ThreadGroup& tg = t.tg();
  int id = tg.next_timer_id++;
  uint64_t value = have_ev ? ev.value : static_cast<uint64_t>(id);
  auto timer = std::make_shared<PosixTimer>(
      &t.kernel(), &tg, clock, signo, target, id, static_cast<int64_t>(value));
  auto s = t.mm().CopyOutObj(timerid, id);
  if (!s.ok()) return SyscallResult::Error(s.error());
  tg.posix_timers[id] = std::move(timer);
  return SyscallResult::Value(0);
}

std::shared_ptr<PosixTimer> FindTimerLocked(Task& t, int id) {
  auto it = t.tg().posix_timers.find(id);
  return it == t.tg().posix_timers.end() ? nullptr : it->second;
}

// TimerSettime implements timer_settime(2). Full for the wall clocks.
SyscallResult TimerSettime(Task& t, int id, int flags, UserPtr<itimerspec> in,
                           UserPtr<itimerspec> old) {
  auto v = t.mm().CopyInObj(in);
  if (!v.ok()) return SyscallResult::Error(v.error());
  for (const timespec& ts : {v->it_value, v->it_interval}) {
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) {
      return SyscallResult::Error(Errno{EINVAL});
    }
  }
  itimerspec ov{};
  {
    absl::MutexLock l(t.kernel().mu());
    auto timer = FindTimerLocked(t, id);
    if (timer == nullptr) return SyscallResult::Error(Errno{EINVAL});
    auto [left, interval] = timer->GetLocked();
    ov.it_value = DurationToTimespec(left);
    ov.it_interval = DurationToTimespec(interval);
    timer->SetLocked(absl::DurationFromTimespec(v->it_value),
                     absl::DurationFromTimespec(v->it_interval),
                     flags & TIMER_ABSTIME);
  }
  if (!old.IsNull()) {
    auto s = t.mm().CopyOutObj(old, ov);
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  return SyscallResult::Value(0);
}

// TimerGettime implements timer_gettime(2). Full.
SyscallResult TimerGettime(Task& t, int id, UserPtr<itimerspec> out) {
  itimerspec v{};
  {
    absl::MutexLock l(t.kernel().mu());
    auto timer = FindTimerLocked(t, id);
    if (timer == nullptr) return SyscallResult::Error(Errno{EINVAL});
    auto [left, interval] = timer->GetLocked();
    v.it_value = DurationToTimespec(left);
    v.it_interval = DurationToTimespec(interval);
  }
  return SyscallResult::From(t.mm().CopyOutObj(out, v));
}

// TimerGetoverrun implements timer_getoverrun(2). Full.
SyscallResult TimerGetoverrun(Task& t, int id) {
  absl::MutexLock l(t.kernel().mu());
  auto timer = FindTimerLocked(t, id);
  if (timer == nullptr) return SyscallResult::Error(Errno{EINVAL});
  return SyscallResult::Value(timer->overrun());
}

// TimerDelete implements timer_delete(2). Full.
SyscallResult TimerDelete(Task& t, int id) {
  absl::MutexLock l(t.kernel().mu());
  auto timer = FindTimerLocked(t, id);
  if (timer == nullptr) return SyscallResult::Error(Errno{EINVAL});
  timer->DisarmLocked();
  t.tg().posix_timers.erase(id);
  return SyscallResult::Value(0);
}

constexpr int64_t kNsPerTick = 10000000;  // USER_HZ = 100

// Times implements times(2). Full.
SyscallResult Times(Task& t, UserPtr<struct tms> buf) {
  if (!buf.IsNull()) {
    struct tms v;
    {
      absl::MutexLock l(t.kernel().mu());
      v.tms_utime = (t.tg().utime_ns + t.utime_ns) / kNsPerTick;
      v.tms_stime = (t.tg().stime_ns + t.stime_ns) / kNsPerTick;
      v.tms_cutime = t.tg().child_utime_ns / kNsPerTick;
      v.tms_cstime = t.tg().child_stime_ns / kNsPerTick;
    }
    auto s = t.mm().CopyOutObj(buf, v);
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  auto up = kernel::HostClockNow(CLOCK_BOOTTIME);
  return SyscallResult::Value(
      up.ok() ? absl::ToInt64Nanoseconds(*up) / kNsPerTick : 0);
}

// Getrusage implements getrusage(2). Partial: times only.
SyscallResult Getrusage(Task& t, int who, UserPtr<struct rusage> out) {
  int64_t u, s;
  {
    absl::MutexLock l(t.kernel().mu());
    switch (who) {
      case RUSAGE_SELF:
        u = t.tg().utime_ns + t.utime_ns;
        s = t.tg().stime_ns + t.stime_ns;
        break;
      case RUSAGE_CHILDREN:
        u = t.tg().child_utime_ns;
        s = t.tg().child_stime_ns;
        break;
      case RUSAGE_THREAD:
        u = t.utime_ns;
        s = t.stime_ns;
        break;
      default:
        return SyscallResult::Error(Errno{EINVAL});
    }
  }
  struct rusage ru;
  memset(&ru, 0, sizeof(ru));
  ru.ru_utime = DurationToTimeval(absl::Nanoseconds(u));
  ru.ru_stime = DurationToTimeval(absl::Nanoseconds(s));
  return SyscallResult::From(t.mm().CopyOutObj(out, ru));
}

// Sysinfo implements sysinfo(2). Partial: memory figures are the
// configured (or host) totals; load averages are 0.
SyscallResult Sysinfo(Task& t, UserPtr<struct sysinfo> out) {
  struct sysinfo si;
  memset(&si, 0, sizeof(si));
  auto up = kernel::HostClockNow(CLOCK_BOOTTIME);
  si.uptime = up.ok() ? absl::ToInt64Seconds(*up) : 0;
  uint64_t total = t.kernel().config().total_ram;
  if (total == 0) {
    struct sysinfo host;
    if (::sysinfo(&host) == 0) total = uint64_t{host.totalram} * host.mem_unit;
  }
  si.totalram = total;
  si.freeram = total / 2;
  si.mem_unit = 1;
  {
    absl::MutexLock l(t.kernel().mu());
    si.procs = static_cast<uint16_t>(t.kernel().pidns().tasks.size());
  }
  return SyscallResult::From(t.mm().CopyOutObj(out, si));
}

}  // namespace

void RegisterTimeSyscalls(SyscallTable& tab) {
  tab.Set(__NR_clock_gettime, Adapt<&ClockGettime>, Support::kPartial,
          "no per-pid CPU clocks");
  tab.Set(__NR_clock_getres, Adapt<&ClockGetres>, Support::kFull);
  tab.Set(__NR_clock_settime, Adapt<&ClockSettime>, Support::kPartial,
          "EPERM: clocks cannot be set");
  tab.Set(__NR_gettimeofday, Adapt<&Gettimeofday>, Support::kFull);
  tab.Set(__NR_time, Adapt<&Time>, Support::kFull);
  tab.Set(__NR_nanosleep, Adapt<&Nanosleep>, Support::kFull);
  tab.Set(__NR_clock_nanosleep, Adapt<&ClockNanosleep>, Support::kPartial,
          "no CPU-time clocks");
  tab.Set(__NR_restart_syscall, Adapt<&RestartSyscall>, Support::kFull);
  tab.Set(__NR_getitimer, Adapt<&Getitimer>, Support::kPartial,
          "CPU itimers count sentry-measured time");
  tab.Set(__NR_setitimer, Adapt<&Setitimer>, Support::kPartial,
          "CPU itimers count sentry-measured time");
  tab.Set(__NR_alarm, Adapt<&Alarm>, Support::kFull);
  tab.Set(__NR_timer_create, Adapt<&TimerCreate>, Support::kPartial,
          "CPU-time clocks never fire");
  tab.Set(__NR_timer_settime, Adapt<&TimerSettime>, Support::kFull);
  tab.Set(__NR_timer_gettime, Adapt<&TimerGettime>, Support::kFull);
  tab.Set(__NR_timer_getoverrun, Adapt<&TimerGetoverrun>, Support::kFull);
  tab.Set(__NR_timer_delete, Adapt<&TimerDelete>, Support::kFull);
  tab.Set(__NR_times, Adapt<&Times>, Support::kFull);
  tab.Set(__NR_getrusage, Adapt<&Getrusage>, Support::kPartial, "times only");
  tab.Set(__NR_sysinfo, Adapt<&Sysinfo>, Support::kPartial, "no load averages");
  tab.Set(__NR_timerfd_create, nullptr, Support::kNone, "needs the VFS");
  tab.Set(__NR_timerfd_settime, nullptr, Support::kNone, "needs the VFS");
  tab.Set(__NR_timerfd_gettime, nullptr, Support::kNone, "needs the VFS");
}

}  // namespace sentry::syscalls
