// Handler tests for clocks, sleeps and timers, and an end-to-end run of the
// task loop with the real dispatcher (signal delivery + rt_sigreturn).
#include <sys/syscall.h>
#include <sys/time.h>

#include <thread>

#include "gtest/gtest.h"
#include "sentry/syscalls/testing.h"

namespace sentry::syscalls {
namespace {

using kernel::kTestMemBase;

constexpr uint64_t kA = kTestMemBase + 0x100;
constexpr uint64_t kB = kTestMemBase + 0x400;
constexpr uint64_t kC = kTestMemBase + 0x800;

class TimeSyscallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kt_ = kernel::MakeKernelAndTask();
    t_ = kt_.task;
  }
  template <typename T>
  void Put(uint64_t addr, const T& v) {
    ASSERT_TRUE(kt_.mem->CopyOutObj(UserPtr<T>(UserAddr(addr)), v).ok());
  }
  template <typename T>
  T Get(uint64_t addr) {
    return *kt_.mem->CopyInObj(UserPtr<T>(UserAddr(addr)));
  }
  // Installs a handler so that a signal stays pending instead of killing.
  void Catch(int sig) {
    absl::MutexLock l(kt_.kernel->mu());
    t_->tg().handlers->actions[sig].handler = 0x1000;
  }
  // Hang guard only: waits for `sig` to become pending.
  bool WaitPending(int sig) {
    absl::Time limit = absl::Now() + absl::Seconds(60);
    for (;;) {
      {
        absl::MutexLock l(kt_.kernel->mu());
        if ((t_->tg().pending.Pending() | t_->pending.Pending()).Has(sig)) {
          return true;
        }
      }
      if (absl::Now() > limit) return false;
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  kernel::KernelAndTask kt_;
  Task* t_;
};

TEST_F(TimeSyscallTest, Clocks) {
  ASSERT_EQ(CallRaw(*t_, __NR_clock_gettime, {CLOCK_MONOTONIC, kA}), 0);
  ASSERT_EQ(CallRaw(*t_, __NR_clock_gettime, {CLOCK_MONOTONIC, kB}), 0);
  timespec a = Get<timespec>(kA), b = Get<timespec>(kB);
  EXPECT_LE(absl::DurationFromTimespec(a), absl::DurationFromTimespec(b));
  ASSERT_EQ(CallRaw(*t_, __NR_clock_gettime, {CLOCK_REALTIME, kA}), 0);
  EXPECT_GT(Get<timespec>(kA).tv_sec, 1600000000);
  EXPECT_EQ(CallRaw(*t_, __NR_clock_gettime, {CLOCK_BOOTTIME, kA}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_clock_gettime, {CLOCK_PROCESS_CPUTIME_ID, kA}),
            0);
  EXPECT_EQ(CallRaw(*t_, __NR_clock_gettime, {CLOCK_THREAD_CPUTIME_ID, kA}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_clock_gettime, {77, kA}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_clock_gettime, {CLOCK_REALTIME, 8}), -EFAULT);
  ASSERT_EQ(CallRaw(*t_, __NR_clock_getres, {CLOCK_MONOTONIC, kA}), 0);
  EXPECT_EQ(Get<timespec>(kA).tv_nsec, 1);
  EXPECT_EQ(CallRaw(*t_, __NR_clock_settime, {CLOCK_REALTIME, kA}), -EPERM);
  EXPECT_GT(CallRaw(*t_, __NR_time, {0}), 1600000000);
  EXPECT_EQ(CallRaw(*t_, __NR_gettimeofday, {kA, kB}), 0);
  EXPECT_GT(CallRaw(*t_, __NR_times, {kC}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_getrusage, {RUSAGE_SELF, kC}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_getrusage, {5, kC}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_sysinfo, {kC}), 0);
}

TEST_F(TimeSyscallTest, NanosleepValidatesAndSleeps) {
  Put(kA, timespec{0, 1000000000});
  EXPECT_EQ(CallRaw(*t_, __NR_nanosleep, {kA, 0}), -EINVAL);
  Put(kA, timespec{-1, 0});
  EXPECT_EQ(CallRaw(*t_, __NR_nanosleep, {kA, 0}), -EINVAL);
  Put(kA, timespec{0, 1000});
  EXPECT_EQ(CallRaw(*t_, __NR_nanosleep, {kA, 0}), 0);
}

TEST_F(TimeSyscallTest, InterruptedNanosleepRestartsThroughRestartSyscall) {
  Put(kA, timespec{3600, 0});
  std::thread interrupter([&] {
    absl::SleepFor(absl::Milliseconds(5));
    t_->Interrupt();
  });
  SyscallResult r = Call(*t_, __NR_nanosleep, {kA, kB});
  interrupter.join();
  EXPECT_EQ(r.restart(), kernel::RestartKind::kRestartBlock);
  timespec rem = Get<timespec>(kB);
  EXPECT_GT(rem.tv_sec, 3000);  // most of the hour remains
  ASSERT_TRUE(static_cast<bool>(t_->restart_fn));
  // restart_syscall resumes the same sleep (interrupt it again to end it).
  std::thread again([&] {
    absl::SleepFor(absl::Milliseconds(5));
    t_->Interrupt();
  });
  r = Call(*t_, __NR_restart_syscall);
  again.join();
  EXPECT_EQ(r.restart(), kernel::RestartKind::kRestartBlock);
  t_->ClearInterrupt();
  t_->restart_fn = nullptr;
  EXPECT_EQ(CallRaw(*t_, __NR_restart_syscall), -EINTR);
}

TEST_F(TimeSyscallTest, AbsoluteClockNanosleep) {
  ASSERT_EQ(CallRaw(*t_, __NR_clock_gettime, {CLOCK_MONOTONIC, kA}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_clock_nanosleep,
                    {CLOCK_MONOTONIC, TIMER_ABSTIME, kA, 0}),
            0);  // already in the past
  EXPECT_EQ(
      CallRaw(*t_, __NR_clock_nanosleep, {CLOCK_THREAD_CPUTIME_ID, 0, kA, 0}),
      -EINVAL);
}

TEST_F(TimeSyscallTest, PosixTimerFiresSignal) {
  Catch(SIGUSR2);
  struct {
    uint64_t value;
    int32_t signo, notify, tid;
    int32_t pad[11];
  } ev = {0xabc, SIGUSR2, SIGEV_SIGNAL, 0, {}};
  Put(kA, ev);
  ASSERT_EQ(CallRaw(*t_, __NR_timer_create, {CLOCK_MONOTONIC, kA, kB}), 0);
  int id = Get<int32_t>(kB);
  EXPECT_EQ(id, 0);
  Put(kC, itimerspec{{0, 0}, {0, 1000000}});
  ASSERT_EQ(
      CallRaw(*t_, __NR_timer_settime, {static_cast<uint64_t>(id), 0, kC, 0}),
      0);
  ASSERT_TRUE(WaitPending(SIGUSR2));
  absl::MutexLock l(kt_.kernel->mu());
  auto info = t_->tg().pending.Dequeue(kernel::SigSet());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->si_code, SI_TIMER);
  EXPECT_EQ(reinterpret_cast<uint64_t>(info->si_value.sival_ptr), 0xabcu);
}

TEST_F(TimeSyscallTest, TimerIdsAndErrors) {
  ASSERT_EQ(CallRaw(*t_, __NR_timer_create, {CLOCK_REALTIME, 0, kB}), 0);
  ASSERT_EQ(CallRaw(*t_, __NR_timer_create, {CLOCK_REALTIME, 0, kB}), 0);
  EXPECT_EQ(Get<int32_t>(kB), 1);
  EXPECT_EQ(CallRaw(*t_, __NR_timer_create, {99, 0, kB}), -EINVAL);
  Put(kC, itimerspec{{0, 0}, {100, 0}});
  ASSERT_EQ(CallRaw(*t_, __NR_timer_settime, {1, 0, kC, 0}), 0);
  ASSERT_EQ(CallRaw(*t_, __NR_timer_gettime, {1, kA}), 0);
  itimerspec cur = Get<itimerspec>(kA);
  EXPECT_GT(cur.it_value.tv_sec, 90);
  EXPECT_EQ(CallRaw(*t_, __NR_timer_getoverrun, {1}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_timer_delete, {1}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_timer_delete, {1}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_timer_gettime, {7, kA}), -EINVAL);
  struct {
    uint64_t value;
    int32_t signo, notify, tid;
    int32_t pad[11];
  } ev = {0, SIGUSR1, SIGEV_SIGNAL | SIGEV_THREAD_ID, 4242, {}};
  Put(kA, ev);
  EXPECT_EQ(CallRaw(*t_, __NR_timer_create, {CLOCK_MONOTONIC, kA, kB}),
            -EINVAL);  // no such thread in the group
}

TEST_F(TimeSyscallTest, ItimerRealSendsSigalrm) {
  Catch(SIGALRM);
  struct itimerval v = {{0, 0}, {0, 1000}};
  Put(kA, v);
  ASSERT_EQ(CallRaw(*t_, __NR_setitimer, {ITIMER_REAL, kA, kB}), 0);
  ASSERT_TRUE(WaitPending(SIGALRM));
  EXPECT_EQ(CallRaw(*t_, __NR_getitimer, {ITIMER_REAL, kB}), 0);
  EXPECT_EQ(Get<struct itimerval>(kB).it_value.tv_usec, 0);  // disarmed
  EXPECT_EQ(CallRaw(*t_, __NR_getitimer, {9, kB}), -EINVAL);
  v.it_value.tv_usec = 1000000;
  Put(kA, v);
  EXPECT_EQ(CallRaw(*t_, __NR_setitimer, {ITIMER_REAL, kA, 0}), -EINVAL);
}

TEST_F(TimeSyscallTest, AlarmReturnsRemainingSeconds) {
  EXPECT_EQ(CallRaw(*t_, __NR_alarm, {100}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_alarm, {0}), 100);  // rounded to nearest
  EXPECT_EQ(CallRaw(*t_, __NR_alarm, {0}), 0);
}

// End to end: the run loop with the real dispatcher. The "application"
// installs a handler, raises a signal, enters the handler, returns with
// rt_sigreturn and finds its registers intact.
TEST(RunWithDispatcherTest, HandlerAndSigreturn) {
  auto kt = kernel::MakeKernelAndTask();
  InstallDispatcher(*kt.kernel);
  constexpr uint64_t kAct = kTestMemBase + 0x100;
  constexpr uint64_t kRip = kTestMemBase + 0x1002;
  constexpr uint64_t kHandler = kTestMemBase + 0x2000;
  kernel::KernelSigAction act{kHandler, kernel::kSaRestorer | SA_SIGINFO,
                              kTestMemBase + 0x3000, 0};
  ASSERT_TRUE(
      kt.mem->CopyOutObj(UserPtr<kernel::KernelSigAction>(UserAddr(kAct)), act)
          .ok());
  int step = 0;
  kernel::Registers after_kill;
  bool in_handler = false, restored = false;
  auto set = [&](kernel::Registers& r, uint64_t nr,
                 std::initializer_list<uint64_t> args) {
    r.gp().orig_rax = r.gp().rax = nr;
    uint64_t a[6] = {};
    int i = 0;
    for (uint64_t v : args) a[i++] = v;
    r.gp().rdi = a[0], r.gp().rsi = a[1], r.gp().rdx = a[2], r.gp().r10 = a[3];
    r.gp().rip = kRip;
  };
  kt.task->set_context(
      std::make_unique<kernel::ScriptedContext>([&](kernel::Registers& r) {
        switch (step++) {
          case 0:
            set(r, __NR_rt_sigaction, {SIGUSR1, kAct, 0, 8});
            break;
          case 1:
            EXPECT_EQ(r.gp().rax, 0u);
            r.gp().rbx = 0x5151;
            set(r, __NR_kill, {1, SIGUSR1});
            break;
          case 2:
            in_handler = r.gp().rip == kHandler && r.gp().rdi == SIGUSR1;
            r.gp().rbx = 0;   // clobbered by the handler
            r.gp().rsp += 8;  // ret into the restorer
            set(r, __NR_rt_sigreturn, {});
            break;
          case 3:
            restored =
                r.gp().rip == kRip && r.gp().rax == 0 && r.gp().rbx == 0x5151;
            set(r, __NR_exit_group, {7});
            break;
          default:
            ADD_FAILURE() << "ran after exit_group";
            return kernel::InterruptedStop();
        }
        return kernel::SyscallStop();
      }));
  kt.kernel->StartTask(kt.task);
  EXPECT_EQ(kernel::ShellExitCode(kt.kernel->WaitForInitExit()), 7);
  EXPECT_TRUE(in_handler);
  EXPECT_TRUE(restored);
}

}  // namespace
}  // namespace sentry::syscalls
