// Handler tests for the signal family, through the table.
#include <sys/syscall.h>

#include <thread>

#include "gtest/gtest.h"
#include "sentry/kernel/sigframe.h"
#include "sentry/syscalls/testing.h"

namespace sentry::syscalls {
namespace {

using kernel::KernelSigAction;
using kernel::kTestMemBase;
using kernel::SigSet;

constexpr uint64_t kAct = kTestMemBase + 0x100;
constexpr uint64_t kOld = kTestMemBase + 0x200;
constexpr uint64_t kSet = kTestMemBase + 0x300;

class SignalSyscallTest : public ::testing::Test {
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
  kernel::KernelAndTask kt_;
  Task* t_;
};

TEST_F(SignalSyscallTest, SigactionSetsAndReturnsOld) {
  KernelSigAction a{0x401000, SA_RESTART | kernel::kSaRestorer, 0x402000,
                    SigSet::Of(SIGINT).bits() | SigSet::Of(SIGKILL).bits()};
  Put(kAct, a);
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigaction, {SIGUSR1, kAct, kOld, 8}), 0);
  EXPECT_EQ(Get<KernelSigAction>(kOld).handler, kernel::kSigDfl);
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigaction, {SIGUSR1, 0, kOld, 8}), 0);
  KernelSigAction got = Get<KernelSigAction>(kOld);
  EXPECT_EQ(got.handler, 0x401000u);
  EXPECT_EQ(got.restorer, 0x402000u);
  EXPECT_EQ(got.mask, SigSet::Of(SIGINT).bits());  // SIGKILL stripped
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigaction, {SIGKILL, kAct, 0, 8}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigaction, {SIGSTOP, kAct, 0, 8}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigaction, {SIGKILL, 0, kOld, 8}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigaction, {0, 0, kOld, 8}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigaction, {65, 0, kOld, 8}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigaction, {SIGUSR1, 0, kOld, 4}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigaction, {SIGUSR1, 8, 0, 8}), -EFAULT);
}

TEST_F(SignalSyscallTest, IgnoringDiscardsPending) {
  Put(kSet, SigSet::Of(SIGUSR1).bits());
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigprocmask, {SIG_BLOCK, kSet, 0, 8}), 0);
  kt_.kernel->SendSignal(nullptr, t_, nullptr,
                         kernel::MakeSigInfo(SIGUSR1, SI_USER));
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigpending, {kOld, 8}), 0);
  EXPECT_EQ(Get<uint64_t>(kOld), SigSet::Of(SIGUSR1).bits());
  Put(kAct, KernelSigAction{kernel::kSigIgn, 0, 0, 0});
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigaction, {SIGUSR1, kAct, 0, 8}), 0);
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigpending, {kOld, 8}), 0);
  EXPECT_EQ(Get<uint64_t>(kOld), 0u);
}

TEST_F(SignalSyscallTest, SigprocmaskHows) {
  auto mask = [&] {
    EXPECT_EQ(CallRaw(*t_, __NR_rt_sigprocmask, {SIG_BLOCK, 0, kOld, 8}), 0);
    return SigSet(Get<uint64_t>(kOld));
  };
  Put(kSet,
      (SigSet::Of(SIGINT) | SigSet::Of(SIGKILL) | SigSet::Of(SIGSTOP)).bits());
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigprocmask, {SIG_BLOCK, kSet, 0, 8}), 0);
  EXPECT_EQ(mask(), SigSet::Of(SIGINT));  // KILL/STOP never blocked
  Put(kSet, SigSet::Of(SIGTERM).bits());
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigprocmask, {SIG_BLOCK, kSet, 0, 8}), 0);
  EXPECT_EQ(mask(), SigSet::Of(SIGINT) | SigSet::Of(SIGTERM));
  Put(kSet, SigSet::Of(SIGINT).bits());
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigprocmask, {SIG_UNBLOCK, kSet, 0, 8}), 0);
  EXPECT_EQ(mask(), SigSet::Of(SIGTERM));
  Put(kSet, SigSet::Of(SIGHUP).bits());
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigprocmask, {SIG_SETMASK, kSet, 0, 8}), 0);
  EXPECT_EQ(mask(), SigSet::Of(SIGHUP));
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigprocmask, {7, kSet, 0, 8}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigprocmask, {SIG_BLOCK, kSet, 0, 16}),
            -EINVAL);
}

TEST_F(SignalSyscallTest, Sigaltstack) {
  stack_t ss{reinterpret_cast<void*>(kTestMemBase + 0x10000), 0, 0x4000};
  Put(kAct, ss);
  ASSERT_EQ(CallRaw(*t_, __NR_sigaltstack, {kAct, kOld}), 0);
  EXPECT_EQ(Get<stack_t>(kOld).ss_flags, SS_DISABLE);
  ASSERT_EQ(CallRaw(*t_, __NR_sigaltstack, {0, kOld}), 0);
  stack_t got = Get<stack_t>(kOld);
  EXPECT_EQ(got.ss_sp, ss.ss_sp);
  EXPECT_EQ(got.ss_size, 0x4000u);
  EXPECT_EQ(got.ss_flags, 0);
  // While running on it: reported SS_ONSTACK, and changes are EPERM.
  t_->regs().gp().rsp = kTestMemBase + 0x12000;
  ASSERT_EQ(CallRaw(*t_, __NR_sigaltstack, {0, kOld}), 0);
  EXPECT_EQ(Get<stack_t>(kOld).ss_flags, SS_ONSTACK);
  EXPECT_EQ(CallRaw(*t_, __NR_sigaltstack, {kAct, 0}), -EPERM);
  t_->regs().gp().rsp = kTestMemBase + 0x80000;
  stack_t small{reinterpret_cast<void*>(kTestMemBase), 0, 100};
  Put(kAct, small);
  EXPECT_EQ(CallRaw(*t_, __NR_sigaltstack, {kAct, 0}), -ENOMEM);
  stack_t bad{nullptr, 0x10, 0x4000};
  Put(kAct, bad);
  EXPECT_EQ(CallRaw(*t_, __NR_sigaltstack, {kAct, 0}), -EINVAL);
}

TEST_F(SignalSyscallTest, QueueInfoCannotForgeForOthers) {
  kernel::CloneArgs a;
  auto child = kt_.kernel->Clone(*t_, a);
  ASSERT_TRUE(child.ok());
  siginfo_t info = kernel::MakeSigInfo(SIGUSR1, SI_USER, 1);
  Put(kAct, info);
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigqueueinfo,
                    {static_cast<uint64_t>((*child)->tid()), SIGUSR1, kAct}),
            -EPERM);
  info.si_code = SI_QUEUE;
  Put(kAct, info);
  {
    absl::MutexLock l(kt_.kernel->mu());
    (*child)->tg().handlers->actions[SIGUSR1].handler = 0x1000;
  }
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigqueueinfo,
                    {static_cast<uint64_t>((*child)->tid()), SIGUSR1, kAct}),
            0);
  absl::MutexLock l(kt_.kernel->mu());
  EXPECT_TRUE((*child)->tg().pending.Pending().Has(SIGUSR1));
}

TEST_F(SignalSyscallTest, KillAndTgkillErrors) {
  EXPECT_EQ(CallRaw(*t_, __NR_kill, {4242, SIGTERM}), -ESRCH);
  EXPECT_EQ(CallRaw(*t_, __NR_kill, {1, 99}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_tgkill, {0, 1, SIGTERM}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_tgkill, {1, 1, 0}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_tkill, {static_cast<uint64_t>(-5), 0}), -EINVAL);
}

TEST_F(SignalSyscallTest, SigtimedwaitTakesBlockedSignal) {
  Put(kSet, SigSet::Of(SIGUSR2).bits());
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigprocmask, {SIG_BLOCK, kSet, 0, 8}), 0);
  // Nothing pending and a zero timeout: EAGAIN.
  Put(kAct, timespec{0, 0});
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigtimedwait, {kSet, kOld, kAct, 8}), -EAGAIN);
  kt_.kernel->SendSignal(nullptr, t_, nullptr,
                         kernel::MakeSigInfo(SIGUSR2, SI_USER, 77));
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigtimedwait, {kSet, kOld, 0, 8}), SIGUSR2);
  EXPECT_EQ(Get<siginfo_t>(kOld).si_pid, 77);
  // Waiting with no timeout, woken by a signal sent from another thread.
  std::thread sender([&] {
    absl::SleepFor(absl::Milliseconds(5));
    kt_.kernel->SendSignal(nullptr, nullptr, &t_->tg(),
                           kernel::MakeSigInfo(SIGUSR2, SI_USER, 78));
  });
  EXPECT_EQ(CallRaw(*t_, __NR_rt_sigtimedwait, {kSet, kOld, 0, 8}), SIGUSR2);
  sender.join();
  EXPECT_EQ(Get<siginfo_t>(kOld).si_pid, 78);
}

TEST_F(SignalSyscallTest, SigsuspendWaitsForSignalAndRestoresMask) {
  KernelSigAction a{0x401000, kernel::kSaRestorer, 0x402000, 0};
  Put(kAct, a);
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigaction, {SIGUSR1, kAct, 0, 8}), 0);
  Put(kSet, SigSet::Of(SIGUSR1).bits());
  ASSERT_EQ(CallRaw(*t_, __NR_rt_sigprocmask, {SIG_BLOCK, kSet, 0, 8}), 0);
  // Pending but blocked; sigsuspend with an empty mask takes it at once.
  kt_.kernel->SendSignal(nullptr, t_, nullptr,
                         kernel::MakeSigInfo(SIGUSR1, SI_USER));
  Put(kOld, uint64_t{0});
  SyscallResult r = Call(*t_, __NR_rt_sigsuspend, {kOld, 8});
  EXPECT_EQ(r.restart(), kernel::RestartKind::kRestartNoHand);
  // Delivery: the frame saves the pre-suspend mask; after sigreturn it is
  // back.
  t_->regs().SetReturn(r.Raw());
  EXPECT_TRUE(t_->HandleSignals(&r));
  EXPECT_EQ(static_cast<int64_t>(t_->regs().gp().rax), 0);  // handler's rax
  kernel::RtSigFrame f;
  ASSERT_TRUE(
      kt_.mem->CopyInFull(UserAddr(t_->regs().gp().rsp), &f, sizeof(f)).ok());
  EXPECT_EQ(f.uc.uc_sigmask, SigSet::Of(SIGUSR1).bits());
  EXPECT_EQ(static_cast<int64_t>(f.uc.uc_mcontext.rax), -EINTR);
  t_->regs().gp().rsp += 8;  // the handler's ret into the restorer
  (void)Call(*t_, __NR_rt_sigreturn);
  absl::MutexLock l(kt_.kernel->mu());
  EXPECT_EQ(t_->mask, SigSet::Of(SIGUSR1));
}

}  // namespace
}  // namespace sentry::syscalls
