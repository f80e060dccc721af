// The task run loop against a scripted platform context: syscall dispatch,
// signal delivery with the ERESTART* decisions, faults, exit status.
#include <sys/syscall.h>

#include <atomic>

#include "gtest/gtest.h"
#include "sentry/kernel/sigframe.h"
#include "sentry/kernel/testing.h"

namespace sentry::kernel {
namespace {

constexpr uint64_t kRip = kTestMemBase + 0x1002;  // just after a syscall insn
constexpr uint64_t kHandler = kTestMemBase + 0x2000;
constexpr uint64_t kRestorer = kTestMemBase + 0x3000;
constexpr uint64_t kSlowCall = 1000;  // a test-only syscall number

void SetSyscall(Registers& r, uint64_t nr, uint64_t a0 = 0) {
  r.gp().orig_rax = nr;
  r.gp().rax = nr;
  r.gp().rdi = a0;
  r.gp().rip = kRip;
}

// A dispatcher with getpid, exit_group and kSlowCall, which fails with
// `restart` once after raising SIGUSR1 on the caller.
std::function<SyscallResult(Task&)> TestDispatcher(RestartKind restart) {
  return [restart](Task& t) -> SyscallResult {
    Registers& r = t.regs();
    switch (r.SyscallNo()) {
      case __NR_getpid:
        return SyscallResult::Value(t.tg().tgid);
      case __NR_exit_group: {
        absl::MutexLock l(t.kernel().mu());
        t.kernel().GroupExitLocked(t.tg(), ExitedStatus(r.gp().rdi));
        return SyscallResult::NoReturn();
      }
      case kSlowCall:
        t.kernel().SendSignal(nullptr, &t, nullptr,
                              MakeSigInfo(SIGUSR1, SI_TKILL));
        return SyscallResult::Restart(restart);
      default:
        return SyscallResult::Error(Errno{ENOSYS});
    }
  };
}

struct Run {
  KernelAndTask kt;
  int status = -1;
};

// Runs the init task with `script` until it exits; returns its status.
int RunInit(KernelAndTask& kt, ScriptedContext::Step script,
            RestartKind restart = RestartKind::kRestartSys) {
  kt.kernel->SetSyscallDispatcher(TestDispatcher(restart));
  kt.task->set_context(std::make_unique<ScriptedContext>(std::move(script)));
  kt.kernel->StartTask(kt.task);
  return kt.kernel->WaitForInitExit();
}

TEST(RunLoopTest, DispatchesSyscallsAndExits) {
  auto kt = MakeKernelAndTask();
  int step = 0;
  uint64_t seen_rax = 0;
  int status = RunInit(kt, [&](Registers& r) {
    switch (step++) {
      case 0:
        SetSyscall(r, __NR_getpid);
        return SyscallStop();
      case 1:
        seen_rax = r.gp().rax;
        SetSyscall(r, 12345);  // unknown: ENOSYS
        return SyscallStop();
      case 2:
        EXPECT_EQ(static_cast<int64_t>(r.gp().rax), -ENOSYS);
        SetSyscall(r, __NR_exit_group, 3);
        return SyscallStop();
      default:
        ADD_FAILURE() << "ran after exit_group";
        return InterruptedStop();
    }
  });
  EXPECT_EQ(seen_rax, 1u);
  EXPECT_EQ(status, ExitedStatus(3));
}

// Installs a SIGUSR1 handler with `flags`.
void InstallHandler(KernelAndTask& kt, uint64_t flags) {
  absl::MutexLock l(kt.kernel->mu());
  KernelSigAction& a = kt.task->tg().handlers->actions[SIGUSR1];
  a.handler = kHandler;
  a.restorer = kRestorer;
  a.flags = kSaRestorer | SA_SIGINFO | flags;
}

struct Case {
  RestartKind restart;
  uint64_t flags;
  bool expect_restart;  // else EINTR
};

class RestartTest : public ::testing::TestWithParam<Case> {};

TEST_P(RestartTest, HandlerSeesLinuxRestartDecision) {
  const Case c = GetParam();
  auto kt = MakeKernelAndTask();
  InstallHandler(kt, c.flags);
  int step = 0;
  RtSigFrame frame{};
  uint64_t handler_rip = 0, handler_rdi = 0;
  int status = RunInit(
      kt,
      [&](Registers& r) {
        switch (step++) {
          case 0:
            SetSyscall(r, kSlowCall);
            return SyscallStop();
          case 1:
            handler_rip = r.gp().rip;
            handler_rdi = r.gp().rdi;
            EXPECT_TRUE(
                kt.mem->CopyInFull(UserAddr(r.gp().rsp), &frame, sizeof(frame))
                    .ok());
            SetSyscall(r, __NR_exit_group, 0);
            return SyscallStop();
          default:
            return InterruptedStop();
        }
      },
      c.restart);
  EXPECT_EQ(status, ExitedStatus(0));
  EXPECT_EQ(handler_rip, kHandler);
  EXPECT_EQ(handler_rdi, static_cast<uint64_t>(SIGUSR1));
  EXPECT_EQ(frame.pretcode, kRestorer);
  if (c.expect_restart) {
    EXPECT_EQ(frame.uc.uc_mcontext.rip, kRip - kSyscallInsnLen);
    EXPECT_EQ(frame.uc.uc_mcontext.rax, kSlowCall);
  } else {
    EXPECT_EQ(frame.uc.uc_mcontext.rip, kRip);
    EXPECT_EQ(static_cast<int64_t>(frame.uc.uc_mcontext.rax), -EINTR);
  }
  // The handler runs with its signal blocked (no SA_NODEFER).
  EXPECT_EQ(SigSet(frame.uc.uc_sigmask), SigSet());
}

INSTANTIATE_TEST_SUITE_P(
    Decisions, RestartTest,
    ::testing::Values(Case{RestartKind::kRestartSys, 0, false},
                      Case{RestartKind::kRestartSys, SA_RESTART, true},
                      Case{RestartKind::kRestartNoIntr, 0, true},
                      Case{RestartKind::kRestartNoHand, SA_RESTART, false},
                      Case{RestartKind::kRestartBlock, SA_RESTART, false}));

TEST(RunLoopTest, NoHandlerRestartsTransparently) {
  auto kt = MakeKernelAndTask();
  {
    absl::MutexLock l(kt.kernel->mu());
    kt.task->tg().handlers->actions[SIGUSR1].handler = kSigIgn;
  }
  // The SIGUSR1 raised by kSlowCall is ignored: no handler runs, so the
  // call restarts whatever its kind.
  int step = 0;
  uint64_t rip = 0, rax = 0;
  RunInit(
      kt,
      [&](Registers& r) {
        switch (step++) {
          case 0:
            SetSyscall(r, kSlowCall);
            return SyscallStop();
          case 1:
            rip = r.gp().rip;
            rax = r.gp().rax;
            SetSyscall(r, __NR_exit_group, 0);
            return SyscallStop();
          default:
            return InterruptedStop();
        }
      },
      RestartKind::kRestartNoHand);
  EXPECT_EQ(rip, kRip - kSyscallInsnLen);
  EXPECT_EQ(rax, kSlowCall);
}

TEST(RunLoopTest, RestartBlockGoesThroughRestartSyscall) {
  auto kt = MakeKernelAndTask();
  {
    absl::MutexLock l(kt.kernel->mu());
    kt.task->tg().handlers->actions[SIGUSR1].handler = kSigIgn;
  }
  int step = 0;
  uint64_t rax = 0;
  RunInit(
      kt,
      [&](Registers& r) {
        switch (step++) {
          case 0:
            SetSyscall(r, kSlowCall);
            return SyscallStop();
          case 1:
            rax = r.gp().rax;
            SetSyscall(r, __NR_exit_group, 0);
            return SyscallStop();
          default:
            return InterruptedStop();
        }
      },
      RestartKind::kRestartBlock);
  EXPECT_EQ(rax, static_cast<uint64_t>(__NR_restart_syscall));
}

TEST(RunLoopTest, UnmappedFaultKillsWithSigsegvCore) {
  auto kt = MakeKernelAndTask();
  int status = RunInit(kt, [&](Registers& r) {
    return FaultStop(0x10, platform::AccessType::kWrite);  // outside memory
  });
  EXPECT_EQ(status, KilledStatus(SIGSEGV, true));
  EXPECT_EQ(ShellExitCode(status), 139);
}

TEST(RunLoopTest, ExitOfLastThreadGivesItsStatus) {
  auto kt = MakeKernelAndTask();
  kt.kernel->SetSyscallDispatcher([](Task& t) {
    t.exit_request = ExitedStatus(static_cast<int>(t.regs().gp().rdi));
    t.set_killed();
    return SyscallResult::NoReturn();
  });
  kt.task->set_context(std::make_unique<ScriptedContext>([](Registers& r) {
    SetSyscall(r, __NR_exit, 42);
    return SyscallStop();
  }));
  kt.kernel->StartTask(kt.task);
  EXPECT_EQ(ShellExitCode(kt.kernel->WaitForInitExit()), 42);
}

TEST(RunLoopTest, SignalFromOutsideInterruptsAndKills) {
  auto kt = MakeKernelAndTask();
  std::atomic<bool> running{false};
  kt.kernel->SetSyscallDispatcher(TestDispatcher(RestartKind::kNone));
  auto ctx = std::make_unique<ScriptedContext>([&](Registers& r) {
    running = true;
    absl::SleepFor(absl::Milliseconds(1));  // "application code"
    return InterruptedStop();
  });
  kt.task->set_context(std::move(ctx));
  kt.kernel->StartTask(kt.task);
  while (!running) absl::SleepFor(absl::Milliseconds(1));
  kt.kernel->SendSignal(nullptr, nullptr, &kt.task->tg(),
                        MakeSigInfo(SIGTERM, SI_KERNEL));
  EXPECT_EQ(kt.kernel->WaitForInitExit(), KilledStatus(SIGTERM, false));
}

// A context whose Prepare answers `prepare` and records the thread it ran
// on (the task's own thread: stubs are traced by it).
class PreparingContext : public ScriptedContext {
 public:
  PreparingContext(Step step, int prepare, std::atomic<pid_t>* prepared_on)
      : ScriptedContext(std::move(step)),
        prepare_(prepare),
        prepared_on_(prepared_on) {}
  ErrnoStatus Prepare(platform::AddressSpace& as) override {
    prepared_on_->store(static_cast<pid_t>(syscall(SYS_gettid)));
    if (prepare_ != 0) return Errno{prepare_};
    return OkErrno();
  }

 private:
  int prepare_;
  std::atomic<pid_t>* prepared_on_;
};

// Under a pids cgroup limit the host refuses the child's stub: fork and
// clone fail with EAGAIN and no child appears (the sandbox lives on).
TEST(RunLoopTest, CloneIsEagainWhenTheHostRefusesTheChildsStub) {
  auto kt = MakeKernelAndTask();
  std::atomic<pid_t> prepared_on{0};
  std::atomic<int> made{0};
  kt.kernel->SetContextFactory(
      [&]() -> absl::StatusOr<std::unique_ptr<platform::Context>> {
        ++made;
        return std::unique_ptr<platform::Context>(
            std::make_unique<PreparingContext>(
                [](Registers&) { return InterruptedStop(); }, EAGAIN,
                &prepared_on));
      });
  const size_t before = kt.kernel->Processes().size();
  for (uint64_t flags :
       {uint64_t{0}, uint64_t{CLONE_VM | CLONE_SIGHAND | CLONE_THREAD}}) {
    CloneArgs a;
    a.flags = flags;
    auto r = kt.kernel->Clone(*kt.task, a);
    ASSERT_FALSE(r.ok()) << std::hex << flags;
    EXPECT_EQ(ToInt(r.error()), EAGAIN);
  }
  EXPECT_EQ(made.load(), 2);
  EXPECT_NE(prepared_on.load(), 0);
  EXPECT_NE(prepared_on.load(), static_cast<pid_t>(syscall(SYS_gettid)));
  EXPECT_EQ(kt.kernel->Processes().size(), before);
  kt.kernel->Shutdown();
}

// The prepared thread is the one that runs the child.
TEST(RunLoopTest, ClonedTaskRunsOnItsPreparedThread) {
  auto kt = MakeKernelAndTask();
  kt.kernel->SetSyscallDispatcher(TestDispatcher(RestartKind::kNone));
  std::atomic<pid_t> prepared_on{0};
  std::atomic<pid_t> ran_on{0};
  kt.kernel->SetContextFactory(
      [&]() -> absl::StatusOr<std::unique_ptr<platform::Context>> {
        return std::unique_ptr<platform::Context>(
            std::make_unique<PreparingContext>(
                [&](Registers& r) {
                  ran_on.store(static_cast<pid_t>(syscall(SYS_gettid)));
                  SetSyscall(r, __NR_exit_group, 5);
                  return SyscallStop();
                },
                0, &prepared_on));
      });
  CloneArgs a;
  auto r = kt.kernel->Clone(*kt.task, a);
  ASSERT_TRUE(r.ok());
  while (ran_on.load() == 0) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(ran_on.load(), prepared_on.load());
  kt.kernel->Shutdown();
}

}  // namespace
}  // namespace sentry::kernel
