// Clocks and timers: clock_gettime/getres, gettimeofday, time, nanosleep
// (EINTR and the remaining time), clock_nanosleep TIMER_ABSTIME, itimers,
// alarm, POSIX timers with SIGEV_SIGNAL, timerfd. Only lower bounds and
// ordering are asserted; upper bounds are generous hang guards.
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

int64_t Ns(const struct timespec& ts) {
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

int64_t NowNs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return Ns(ts);
}

TEST(ClockTest, MonotonicNeverGoesBack) {
  for (clockid_t c : {CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME,
                      CLOCK_MONOTONIC_COARSE}) {
    int64_t prev = NowNs(c);
    for (int i = 0; i < 1000; ++i) {
      int64_t now = NowNs(c);
      ASSERT_GE(now, prev) << "clock " << c;
      prev = now;
    }
  }
}

TEST(ClockTest, AllClocksReadable) {
  for (clockid_t c :
       {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
        CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
        CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME}) {
    struct timespec ts = {-1, -1};
    EXPECT_THAT(clock_gettime(c, &ts), SyscallSucceeds()) << c;
    EXPECT_GE(ts.tv_sec, 0);
    EXPECT_GE(ts.tv_nsec, 0);
    EXPECT_LT(ts.tv_nsec, 1000000000);
    struct timespec res = {-1, -1};
    EXPECT_THAT(clock_getres(c, &res), SyscallSucceeds()) << c;
    EXPECT_TRUE(res.tv_sec > 0 || res.tv_nsec > 0);
  }
  struct timespec ts;
  EXPECT_THAT(syscall(SYS_clock_gettime, 12345, &ts),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, 8L),
              SyscallFailsWithErrno(EFAULT));
}

TEST(ClockTest, RealtimeAgreesWithGettimeofdayAndTime) {
  // time() may be served from the tick-granular clock (Linux's vDSO does),
  // which lags CLOCK_REALTIME by up to a tick: it is bracketed below by the
  // coarse clock and above by the precise one, which hold either way.
  struct timespec coarse;
  ASSERT_THAT(clock_gettime(CLOCK_REALTIME_COARSE, &coarse), SyscallSucceeds());
  struct timespec a;
  ASSERT_THAT(clock_gettime(CLOCK_REALTIME, &a), SyscallSucceeds());
  struct timeval tv;
  ASSERT_THAT(gettimeofday(&tv, nullptr), SyscallSucceeds());
  time_t t = time(nullptr);
  struct timespec b;
  clock_gettime(CLOCK_REALTIME, &b);
  EXPECT_GE(tv.tv_sec, a.tv_sec);
  EXPECT_LE(tv.tv_sec, b.tv_sec);
  EXPECT_GE(t, coarse.tv_sec);
  EXPECT_LE(t, b.tv_sec);
  EXPECT_GT(a.tv_sec, 1600000000);  // After 2020.
  EXPECT_THAT(syscall(SYS_time, nullptr), SyscallSucceeds());
}

TEST(ClockTest, CpuClockAdvancesWithWork) {
  int64_t a = NowNs(CLOCK_PROCESS_CPUTIME_ID);
  volatile uint64_t x = 0;
  for (int i = 0; i < 20000000; ++i) x = x + i;
  int64_t b = NowNs(CLOCK_PROCESS_CPUTIME_ID);
  EXPECT_GT(b, a);
}

TEST(SleepTest, NanosleepSleepsAtLeast) {
  int64_t a = NowNs(CLOCK_MONOTONIC);
  struct timespec req = {0, 20 * 1000 * 1000};
  ASSERT_THAT(nanosleep(&req, nullptr), SyscallSucceeds());
  EXPECT_GE(NowNs(CLOCK_MONOTONIC) - a, 20 * 1000 * 1000);
  struct timespec bad = {0, 1000000000};
  EXPECT_THAT(nanosleep(&bad, nullptr), SyscallFailsWithErrno(EINVAL));
  struct timespec neg = {-1, 0};
  EXPECT_THAT(nanosleep(&neg, nullptr), SyscallFailsWithErrno(EINVAL));
}

TEST(SleepTest, NanosleepInterruptedReportsRemaining) {
  EXPECT_CHILD_SUCCEEDS([] {
    signal(SIGALRM, [](int) {});
    struct itimerval it = {{0, 0}, {0, 50000}};  // 50 ms.
    ASSERT_THAT(setitimer(ITIMER_REAL, &it, nullptr), SyscallSucceeds());
    struct timespec req = {60, 0}, rem = {0, 0};  // Hang guard: 60 s.
    EXPECT_THAT(nanosleep(&req, &rem), SyscallFailsWithErrno(EINTR));
    EXPECT_GT(Ns(rem), 0);
    EXPECT_LE(Ns(rem), Ns(req));
  });
}

TEST(SleepTest, ClockNanosleepAbsolute) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  int64_t target = Ns(now) + 20 * 1000 * 1000;
  struct timespec t = {static_cast<time_t>(target / 1000000000),
                       static_cast<long>(target % 1000000000)};
  EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, nullptr), 0);
  EXPECT_GE(NowNs(CLOCK_MONOTONIC), target);
  // A time in the past returns at once.
  struct timespec past = {0, 1};
  EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, nullptr), 0);
  // Relative sleep on CLOCK_REALTIME.
  struct timespec rel = {0, 1000000};
  EXPECT_EQ(clock_nanosleep(CLOCK_REALTIME, 0, &rel, nullptr), 0);
  // Sleeping on the thread CPU clock is EINVAL.
  EXPECT_EQ(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &rel, nullptr), EINVAL);
}

volatile sig_atomic_t g_alarms = 0;
void OnAlarm(int) { g_alarms = g_alarms + 1; }

TEST(ItimerTest, RealTimerDeliversSigalrm) {
  EXPECT_CHILD_SUCCEEDS([] {
    signal(SIGALRM, OnAlarm);
    struct itimerval it = {{0, 10000}, {0, 10000}};  // Every 10 ms.
    ASSERT_THAT(setitimer(ITIMER_REAL, &it, nullptr), SyscallSucceeds());
    struct itimerval cur;
    ASSERT_THAT(getitimer(ITIMER_REAL, &cur), SyscallSucceeds());
    EXPECT_EQ(cur.it_interval.tv_usec, 10000);
    EXPECT_LE(cur.it_value.tv_sec * 1000000 + cur.it_value.tv_usec, 10000);
    while (g_alarms < 3) pause();
    struct itimerval off = {};
    ASSERT_THAT(setitimer(ITIMER_REAL, &off, &cur), SyscallSucceeds());
    EXPECT_EQ(cur.it_interval.tv_usec, 10000);
    ASSERT_THAT(getitimer(ITIMER_REAL, &cur), SyscallSucceeds());
    EXPECT_EQ(cur.it_value.tv_sec, 0);
    EXPECT_EQ(cur.it_value.tv_usec, 0);
    EXPECT_THAT(setitimer(static_cast<__itimer_which>(99), &off, nullptr),
                SyscallFailsWithErrno(EINVAL));
  });
}

TEST(ItimerTest, VirtualAndProfTimersCountCpu) {
  EXPECT_CHILD_SUCCEEDS([] {
    static volatile sig_atomic_t vt = 0, prof = 0;
    signal(SIGVTALRM, [](int) { vt = 1; });
    signal(SIGPROF, [](int) { prof = 1; });
    struct itimerval it = {{0, 0}, {0, 10000}};
    ASSERT_THAT(setitimer(ITIMER_VIRTUAL, &it, nullptr), SyscallSucceeds());
    ASSERT_THAT(setitimer(ITIMER_PROF, &it, nullptr), SyscallSucceeds());
    // Burn CPU until both fire (hang guard: the ctest timeout).
    volatile uint64_t x = 0;
    while (!vt || !prof) x = x + 1;
    SUCCEED();
  });
}

TEST(ItimerTest, AlarmReturnsRemaining) {
  EXPECT_CHILD_SUCCEEDS([] {
    signal(SIGALRM, OnAlarm);
    EXPECT_EQ(alarm(100), 0u);
    unsigned left = alarm(0);  // Cancels; returns seconds left (rounded).
    EXPECT_GE(left, 1u);  // Loose: only the scheduler decides how much passed.
    EXPECT_LE(left, 100u);
    EXPECT_EQ(alarm(0), 0u);
    // Default action of SIGALRM terminates.
    int status = RunInChild([] {
      signal(SIGALRM, SIG_DFL);
      alarm(1);
      for (;;) pause();
    });
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        << DescribeStatus(status);
  });
}

siginfo_t g_timer_info;
volatile sig_atomic_t g_timer_fired = 0;
void OnTimer(int, siginfo_t* info, void*) {
  g_timer_info = *info;
  g_timer_fired = g_timer_fired + 1;
}

TEST(PosixTimerTest, SigevSignal) {
  EXPECT_CHILD_SUCCEEDS([] {
    struct sigaction sa = {};
    sa.sa_sigaction = OnTimer;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN, &sa, nullptr);
    struct sigevent sev = {};
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN;
    sev.sigev_value.sival_int = 0xbeef;
    timer_t timer;
    ASSERT_THAT(timer_create(CLOCK_MONOTONIC, &sev, &timer), SyscallSucceeds());
    struct itimerspec its = {{0, 0}, {0, 10 * 1000 * 1000}};
    int64_t start = NowNs(CLOCK_MONOTONIC);
    ASSERT_THAT(timer_settime(timer, 0, &its, nullptr), SyscallSucceeds());
    while (g_timer_fired == 0) pause();
    EXPECT_GE(NowNs(CLOCK_MONOTONIC) - start, 10 * 1000 * 1000);
    EXPECT_EQ(g_timer_info.si_code, SI_TIMER);
    EXPECT_EQ(g_timer_info.si_value.sival_int, 0xbeef);
    struct itimerspec cur;
    ASSERT_THAT(timer_gettime(timer, &cur), SyscallSucceeds());
    EXPECT_EQ(cur.it_value.tv_sec, 0);
    EXPECT_EQ(cur.it_value.tv_nsec, 0);
    EXPECT_THAT(timer_getoverrun(timer), SyscallSucceedsWithValue(0));
    ASSERT_THAT(timer_delete(timer), SyscallSucceeds());
    EXPECT_THAT(timer_delete(timer), SyscallFailsWithErrno(EINVAL));
  });
}

TEST(PosixTimerTest, PeriodicAbsoluteAndOverrun) {
  EXPECT_CHILD_SUCCEEDS([] {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &s, nullptr);
    struct sigevent sev = {};
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN + 2;
    timer_t timer;
    ASSERT_THAT(timer_create(CLOCK_MONOTONIC, &sev, &timer), SyscallSucceeds());
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct itimerspec its = {{0, 1000000}, now};  // Start now, every 1 ms.
    ASSERT_THAT(timer_settime(timer, TIMER_ABSTIME, &its, nullptr),
                SyscallSucceeds());
    // Let it expire many times while the signal stays blocked and queued once.
    struct timespec nap = {0, 30 * 1000 * 1000};
    nanosleep(&nap, nullptr);
    siginfo_t info;
    struct timespec guard = {30, 0};
    ASSERT_THAT(sigtimedwait(&s, &info, &guard),
                SyscallSucceedsWithValue(SIGRTMIN + 2));
    // The expirations beyond the first while pending are counted as overrun.
    EXPECT_GT(info.si_overrun, 0);
    timer_delete(timer);
  });
}

TEST(PosixTimerTest, InvalidArguments) {
  timer_t timer;
  EXPECT_THAT(timer_create(12345, nullptr, &timer),
              SyscallFailsWithErrno(EINVAL));
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = 200;
  EXPECT_THAT(timer_create(CLOCK_MONOTONIC, &sev, &timer),
              SyscallFailsWithErrno(EINVAL));
}

TEST(TimerfdTest, ExpirationsCount) {
  Fd fd(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  struct itimerspec its = {{0, 1000000}, {0, 1000000}};  // 1 ms period.
  ASSERT_THAT(timerfd_settime(fd.get(), 0, &its, nullptr), SyscallSucceeds());
  struct timespec nap = {0, 20 * 1000 * 1000};
  nanosleep(&nap, nullptr);
  uint64_t count = 0;
  ASSERT_THAT(read(fd.get(), &count, sizeof(count)),
              SyscallSucceedsWithValue(8));
  EXPECT_GE(count, 1u);
  // Reading resets the count; a short buffer is EINVAL.
  char small[4];
  EXPECT_THAT(read(fd.get(), small, sizeof(small)),
              SyscallFailsWithErrno(EINVAL));
  struct itimerspec cur;
  ASSERT_THAT(timerfd_gettime(fd.get(), &cur), SyscallSucceeds());
  EXPECT_EQ(cur.it_interval.tv_nsec, 1000000);
}

TEST(TimerfdTest, NonblockingAndDisarm) {
  Fd fd(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  uint64_t count;
  EXPECT_THAT(read(fd.get(), &count, sizeof(count)),
              SyscallFailsWithErrno(EAGAIN));
  struct itimerspec its = {{0, 0}, {100, 0}};
  ASSERT_THAT(timerfd_settime(fd.get(), 0, &its, nullptr), SyscallSucceeds());
  struct itimerspec off = {}, old;
  ASSERT_THAT(timerfd_settime(fd.get(), 0, &off, &old), SyscallSucceeds());
  EXPECT_GT(old.it_value.tv_sec, 90);
  EXPECT_THAT(read(fd.get(), &count, sizeof(count)),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_THAT(timerfd_create(CLOCK_MONOTONIC, 0x1234),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(timerfd_create(12345, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(TimerfdTest, BlockingReadAbsolute) {
  Fd fd(timerfd_create(CLOCK_MONOTONIC, 0));
  ASSERT_TRUE(fd.valid());
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  int64_t target = Ns(now) + 10 * 1000 * 1000;
  struct itimerspec its = {{0, 0},
                           {static_cast<time_t>(target / 1000000000),
                            static_cast<long>(target % 1000000000)}};
  ASSERT_THAT(timerfd_settime(fd.get(), TFD_TIMER_ABSTIME, &its, nullptr),
              SyscallSucceeds());
  uint64_t count = 0;
  ASSERT_THAT(read(fd.get(), &count, sizeof(count)),
              SyscallSucceedsWithValue(8));
  EXPECT_EQ(count, 1u);
  EXPECT_GE(NowNs(CLOCK_MONOTONIC), target);
}

TEST(TimesTest, GetrusageAndTimes) {
  struct rusage ru;
  EXPECT_THAT(getrusage(RUSAGE_SELF, &ru), SyscallSucceeds());
  EXPECT_THAT(getrusage(RUSAGE_CHILDREN, &ru), SyscallSucceeds());
  EXPECT_THAT(getrusage(RUSAGE_THREAD, &ru), SyscallSucceeds());
  EXPECT_THAT(getrusage(42, &ru), SyscallFailsWithErrno(EINVAL));
  struct tms t;
  EXPECT_THAT(times(&t), SyscallSucceeds());
}

}  // namespace
}  // namespace syscall_test
