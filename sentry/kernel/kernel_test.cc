// Process-level kernel behaviour: pid allocation, clone validation, exit,
// zombies and wait, reparenting, sessions and process groups, kill rules,
// init's signal protection, default actions.
#include "sentry/kernel/kernel.h"

#include <sys/wait.h>

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "sentry/kernel/testing.h"

namespace sentry::kernel {
namespace {

Credentials User(uint32_t uid) {
  Credentials c;
  c.real_uid = c.effective_uid = c.saved_uid = c.fs_uid = uid;
  c.real_gid = c.effective_gid = c.saved_gid = c.fs_gid = uid;
  c.cap_effective = c.cap_permitted = 0;
  return c;
}

Task* Fork(Task& parent, uint64_t flags = 0, int exit_signal = SIGCHLD) {
  CloneArgs a;
  a.flags = flags;
  a.exit_signal = exit_signal;
  auto c = parent.kernel().Clone(parent, a);
  return c.ok() ? c->get() : nullptr;
}

TEST(PidNamespaceTest, AllocatesCyclicallyAboveLast) {
  PidNamespace ns(400);
  EXPECT_EQ(*ns.Allocate(), 1);
  EXPECT_EQ(*ns.Allocate(), 2);
  EXPECT_EQ(*ns.Allocate(), 3);
  ns.Unref(2);
  // Linux does not reuse a freed id until the counter wraps.
  EXPECT_EQ(*ns.Allocate(), 4);
  ns.set_last(398);
  EXPECT_EQ(*ns.Allocate(), 399);
  // Wraps to RESERVED_PIDS (300), not to 1.
  EXPECT_EQ(*ns.Allocate(), 300);
  ns.Ref(301);
  EXPECT_EQ(*ns.Allocate(), 302);
}

TEST(PidNamespaceTest, ExhaustionIsEagain) {
  PidNamespace ns(4);
  EXPECT_TRUE(ns.Allocate().ok());
  EXPECT_TRUE(ns.Allocate().ok());
  EXPECT_TRUE(ns.Allocate().ok());
  auto r = ns.Allocate();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ToInt(r.error()), EAGAIN);
}

TEST(KernelTest, InitIsPid1InItsOwnSessionAndGroup) {
  auto kt = MakeKernelAndTask();
  ASSERT_NE(kt.task, nullptr);
  EXPECT_EQ(kt.task->tid(), 1);
  EXPECT_EQ(kt.task->tg().tgid, 1);
  EXPECT_TRUE(kt.task->tg().IsInit());
  EXPECT_EQ(*kt.kernel->GetPgid(*kt.task, 0), 1);
  EXPECT_EQ(*kt.kernel->GetSid(*kt.task, 0), 1);
}

TEST(KernelTest, ForkCreatesChildProcess) {
  auto kt = MakeKernelAndTask();
  kt.task->regs().gp().rax = 57;
  kt.task->regs().gp().rbx = 1234;
  Task* c = Fork(*kt.task);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->tid(), 2);
  EXPECT_EQ(c->tg().tgid, 2);
  EXPECT_EQ(c->tg().parent, &kt.task->tg());
  EXPECT_EQ(c->regs().gp().rax, 0u);  // the child sees 0
  EXPECT_EQ(c->regs().gp().rbx, 1234u);
  EXPECT_NE(c->mm_ref(), kt.task->mm_ref());  // copied, not shared
  EXPECT_NE(c->tg().handlers, kt.task->tg().handlers);
  EXPECT_EQ(*kt.kernel->GetPgid(*c, 0), 1);  // inherits the group
}

TEST(KernelTest, CloneThreadSharesGroupAndMemory) {
  auto kt = MakeKernelAndTask();
  Task* th = Fork(*kt.task, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, 0);
  ASSERT_NE(th, nullptr);
  EXPECT_EQ(&th->tg(), &kt.task->tg());
  EXPECT_EQ(th->mm_ref(), kt.task->mm_ref());
  EXPECT_EQ(th->tg().tasks.size(), 2u);
  EXPECT_FALSE(th->IsLeader());
}

TEST(KernelTest, CloneSetTidAndTls) {
  auto kt = MakeKernelAndTask();
  CloneArgs a;
  a.flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_PARENT_SETTID |
            CLONE_CHILD_CLEARTID | CLONE_SETTLS;
  a.parent_tid = UserAddr(kTestMemBase + 0x100);
  a.child_tid = UserAddr(kTestMemBase + 0x104);
  a.tls = 0x7000;
  a.stack = UserAddr(kTestMemBase + 0x8000);
  auto c = kt.kernel->Clone(*kt.task, a);
  ASSERT_TRUE(c.ok());
  auto ptid = kt.mem->CopyInObj(UserPtr<uint32_t>(a.parent_tid));
  EXPECT_EQ(*ptid, static_cast<uint32_t>((*c)->tid()));
  EXPECT_EQ((*c)->clear_child_tid, a.child_tid);
  EXPECT_EQ((*c)->regs().gp().fs_base, 0x7000u);
  EXPECT_EQ((*c)->regs().gp().rsp, kTestMemBase + 0x8000);
}

TEST(KernelTest, CloneFlagValidation) {
  auto kt = MakeKernelAndTask();
  struct Case {
    uint64_t flags;
    int err;
  };
  const Case cases[] = {
      {CLONE_THREAD, EINVAL},                  // needs SIGHAND
      {CLONE_THREAD | CLONE_SIGHAND, EINVAL},  // SIGHAND needs VM
      {CLONE_SIGHAND, EINVAL},
      {CLONE_NEWNS | CLONE_FS, EINVAL},
      {CLONE_PARENT, EINVAL},  // init may not
      {CLONE_NEWPID, EINVAL},  // unsupported
  };
  for (const Case& c : cases) {
    CloneArgs a;
    a.flags = c.flags;
    auto r = kt.kernel->Clone(*kt.task, a);
    ASSERT_FALSE(r.ok()) << std::hex << c.flags;
    EXPECT_EQ(ToInt(r.error()), c.err) << std::hex << c.flags;
  }
  CloneArgs bad_sig;
  bad_sig.exit_signal = 65;
  EXPECT_FALSE(kt.kernel->Clone(*kt.task, bad_sig).ok());
}

TEST(KernelTest, ExitMakesZombieAndWaitReapsIt) {
  auto kt = MakeKernelAndTask();
  Task* c = Fork(*kt.task);
  int pid = c->tid();
  WaitOptions o;
  o.options = WEXITED | WNOHANG;
  auto r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());  // WNOHANG, still running

  c->ExitThread(ExitedStatus(7));
  // The parent got SIGCHLD.
  {
    absl::MutexLock l(kt.kernel->mu());
    EXPECT_TRUE(kt.task->tg().pending.Pending().Has(SIGCHLD) ||
                kt.task->tg().handlers->actions[SIGCHLD].handler == kSigDfl);
  }
  o.options = WEXITED | WNOWAIT;
  r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->pid, pid);
  EXPECT_EQ((*r)->code, CLD_EXITED);
  o.options = WEXITED;
  r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->status, 0x700);
  EXPECT_EQ((*r)->cld_status, 7);
  // Reaped: no children left.
  r = kt.kernel->Wait(*kt.task, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ToInt(r.error()), ECHILD);
  absl::MutexLock l(kt.kernel->mu());
  EXPECT_EQ(kt.kernel->pidns().FindTask(pid), nullptr);
  EXPECT_FALSE(kt.kernel->pidns().InUse(pid));
}

TEST(KernelTest, WaitSelectsByPidAndGroup) {
  auto kt = MakeKernelAndTask();
  Task* a = Fork(*kt.task);
  Task* b = Fork(*kt.task);
  int apid = a->tid(), bpid = b->tid();
  ASSERT_TRUE(kt.kernel->SetPgid(*kt.task, bpid, bpid).ok());
  a->ExitThread(ExitedStatus(1));
  b->ExitThread(ExitedStatus(2));
  WaitOptions o;
  o.options = WEXITED;
  o.idtype = P_PGID;
  o.id = bpid;
  auto r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->pid, bpid);
  o.idtype = P_PID;
  o.id = bpid;
  r = kt.kernel->Wait(*kt.task, o);
  EXPECT_FALSE(r.ok());  // already reaped: ECHILD
  o.id = apid;
  r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->status, 0x100);
}

TEST(KernelTest, CloneChildrenNeedWclone) {
  auto kt = MakeKernelAndTask();
  Task* c = Fork(*kt.task, 0, SIGUSR1);  // exit signal != SIGCHLD
  c->ExitThread(ExitedStatus(0));
  WaitOptions o;
  o.options = WEXITED | WNOHANG;
  EXPECT_FALSE(kt.kernel->Wait(*kt.task, o).ok());  // ECHILD
  o.options = WEXITED | __WALL;
  auto r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
}

TEST(KernelTest, SigchldIgnoredAutoReaps) {
  auto kt = MakeKernelAndTask();
  {
    absl::MutexLock l(kt.kernel->mu());
    kt.task->tg().handlers->actions[SIGCHLD].handler = kSigIgn;
  }
  Task* c = Fork(*kt.task);
  int pid = c->tid();
  c->ExitThread(ExitedStatus(0));
  WaitOptions o;
  o.options = WEXITED;
  auto r = kt.kernel->Wait(*kt.task, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ToInt(r.error()), ECHILD);
  absl::MutexLock l(kt.kernel->mu());
  EXPECT_FALSE(kt.kernel->pidns().InUse(pid));
}

TEST(KernelTest, OrphansAreReparentedToInit) {
  auto kt = MakeKernelAndTask();
  Task* mid = Fork(*kt.task);
  Task* grandchild = Fork(*mid);
  int gpid = grandchild->tid();
  mid->ExitThread(ExitedStatus(0));
  {
    absl::MutexLock l(kt.kernel->mu());
    EXPECT_EQ(grandchild->tg().parent, &kt.task->tg());
  }
  grandchild->ExitThread(ExitedStatus(5));
  WaitOptions o;
  o.options = WEXITED;
  o.idtype = P_PID;
  o.id = gpid;
  auto r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->cld_status, 5);
}

TEST(KernelTest, WaitStoppedAndContinued) {
  auto kt = MakeKernelAndTask();
  Task* c = Fork(*kt.task);
  {
    absl::MutexLock l(kt.kernel->mu());
    c->tg().stopped = true;
    c->tg().stop_signal = SIGTSTP;
    c->tg().stop_report = true;
  }
  WaitOptions o;
  o.options = WEXITED | WNOHANG;
  auto r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());  // no WUNTRACED
  o.options = WEXITED | WSTOPPED | WNOHANG;
  r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_TRUE(WIFSTOPPED((*r)->status));
  EXPECT_EQ(WSTOPSIG((*r)->status), SIGTSTP);
  // SIGCONT resumes and reports WCONTINUED.
  kt.kernel->SendSignal(kt.task, nullptr, &c->tg(),
                        MakeSigInfo(SIGCONT, SI_USER, 1));
  o.options = WEXITED | WCONTINUED | WNOHANG;
  r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_TRUE(WIFCONTINUED((*r)->status));
}

TEST(SessionTest, SetsidAndSetpgidRules) {
  auto kt = MakeKernelAndTask();
  Kernel& k = *kt.kernel;
  // Init leads its process group: setsid fails.
  auto s = k.SetSid(*kt.task);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ToInt(s.error()), EPERM);

  Task* c = Fork(*kt.task);
  int cpid = c->tid();
  EXPECT_EQ(*k.SetSid(*c), cpid);
  EXPECT_EQ(*k.GetSid(*c, 0), cpid);
  EXPECT_EQ(*k.GetPgid(*c, 0), cpid);
  // A session leader cannot change its group.
  auto r = k.SetPgid(*c, 0, 1);
  EXPECT_EQ(ToInt(r.error()), EPERM);
  // The parent cannot move a child in another session.
  r = k.SetPgid(*kt.task, cpid, 1);
  EXPECT_EQ(ToInt(r.error()), EPERM);

  Task* d = Fork(*kt.task);
  int dpid = d->tid();
  EXPECT_TRUE(k.SetPgid(*kt.task, dpid, 0).ok());  // own group
  EXPECT_EQ(*k.GetPgid(*d, 0), dpid);
  EXPECT_TRUE(k.SetPgid(*d, 0, 1).ok());  // back to init's group
  EXPECT_EQ(*k.GetPgid(*d, 0), 1);
  // Joining a group that does not exist (and is not the own pid): EPERM.
  r = k.SetPgid(*d, 0, 999);
  EXPECT_EQ(ToInt(r.error()), EPERM);
  // Not a child: ESRCH.
  r = k.SetPgid(*d, cpid, cpid);
  EXPECT_EQ(ToInt(r.error()), ESRCH);
  EXPECT_EQ(ToInt(k.SetPgid(*d, 0, -1).error()), EINVAL);
  EXPECT_EQ(ToInt(k.GetPgid(*d, 4242).error()), ESRCH);
}

TEST(SessionTest, PgidIsNotReusedWhileGroupExists) {
  auto kt = MakeKernelAndTask();
  Task* leader = Fork(*kt.task);
  int lpid = leader->tid();
  ASSERT_TRUE(kt.kernel->SetPgid(*leader, 0, 0).ok());
  Task* member = Fork(*leader);
  EXPECT_EQ(*kt.kernel->GetPgid(*member, 0), lpid);
  leader->ExitThread(ExitedStatus(0));
  WaitOptions o;
  o.options = WEXITED;
  o.idtype = P_PID;
  o.id = lpid;
  ASSERT_TRUE(kt.kernel->Wait(*kt.task, o).ok());
  absl::MutexLock l(kt.kernel->mu());
  EXPECT_TRUE(kt.kernel->pidns().InUse(lpid));  // the group keeps it
}

TEST(SignalDeliveryTest, KillPermission) {
  auto kt = MakeKernelAndTask(User(1000));
  Task* c = Fork(*kt.task);
  c->set_creds(User(2000));
  siginfo_t info = MakeSigInfo(SIGUSR1, SI_USER, 1, 1000);
  auto r = kt.kernel->Kill(*kt.task, c->tid(), info);
  EXPECT_EQ(ToInt(r.error()), EPERM);
  // SIGCONT is allowed within the session.
  info.si_signo = SIGCONT;
  EXPECT_TRUE(kt.kernel->Kill(*kt.task, c->tid(), info).ok());
  // Root (CAP_KILL) may.
  kt.task->set_creds(Credentials::Root());
  info.si_signo = 0;
  EXPECT_TRUE(kt.kernel->Kill(*kt.task, c->tid(), info).ok());
  EXPECT_EQ(ToInt(kt.kernel->Kill(*kt.task, 4242, info).error()), ESRCH);
  EXPECT_EQ(ToInt(kt.kernel->TgKill(*kt.task, 1, c->tid(), info).error()),
            ESRCH);  // thread not in that group
}

TEST(SignalDeliveryTest, InitIgnoresUnhandledSignalsFromInside) {
  auto kt = MakeKernelAndTask();
  Task* c = Fork(*kt.task);
  for (int sig : {SIGTERM, SIGKILL, SIGINT, SIGSTOP}) {
    ASSERT_TRUE(
        kt.kernel->Kill(*c, 1, MakeSigInfo(sig, SI_USER, c->tid())).ok());
  }
  {
    absl::MutexLock l(kt.kernel->mu());
    EXPECT_FALSE(kt.task->tg().exiting);
    EXPECT_TRUE(kt.task->tg().pending.Pending().Empty());
    // With a handler the signal is delivered.
    kt.task->tg().handlers->actions[SIGTERM].handler = 0x1000;
  }
  ASSERT_TRUE(
      kt.kernel->Kill(*c, 1, MakeSigInfo(SIGTERM, SI_USER, c->tid())).ok());
  {
    absl::MutexLock l(kt.kernel->mu());
    EXPECT_TRUE(kt.task->tg().pending.Pending().Has(SIGTERM));
  }
  // From outside the namespace (sender null) a default SIGKILL kills init.
  kt.kernel->SendSignal(nullptr, nullptr, &kt.task->tg(),
                        MakeSigInfo(SIGKILL, SI_KERNEL));
  absl::MutexLock l(kt.kernel->mu());
  EXPECT_TRUE(kt.task->tg().exiting);
  EXPECT_EQ(kt.task->tg().exit_status, KilledStatus(SIGKILL, false));
}

TEST(SignalDeliveryTest, FatalDefaultKillsTheGroup) {
  auto kt = MakeKernelAndTask();
  Task* c = Fork(*kt.task);
  Task* th = Fork(*c, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, 0);
  ASSERT_TRUE(
      kt.kernel->Kill(*kt.task, c->tid(), MakeSigInfo(SIGTERM, SI_USER, 1))
          .ok());
  absl::MutexLock l(kt.kernel->mu());
  EXPECT_TRUE(c->tg().exiting);
  EXPECT_EQ(c->tg().exit_status, KilledStatus(SIGTERM, false));
  EXPECT_TRUE(c->killed());
  EXPECT_TRUE(th->killed());
}

TEST(SignalDeliveryTest, GroupSignalGoesToAThreadNotBlockingIt) {
  auto kt = MakeKernelAndTask();
  Task* c = Fork(*kt.task);
  Task* th = Fork(*c, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, 0);
  {
    absl::MutexLock l(kt.kernel->mu());
    c->tg().handlers->actions[SIGUSR1].handler = 0x1000;
    c->mask.Add(SIGUSR1);  // the leader blocks it
  }
  ASSERT_TRUE(
      kt.kernel->Kill(*kt.task, c->tid(), MakeSigInfo(SIGUSR1, SI_USER, 1))
          .ok());
  EXPECT_TRUE(th->interrupted());
  EXPECT_FALSE(c->interrupted());
  // Blocked everywhere: stays pending on the group, nobody woken.
  {
    absl::MutexLock l(kt.kernel->mu());
    th->mask.Add(SIGUSR2);
    c->mask.Add(SIGUSR2);
    c->tg().handlers->actions[SIGUSR2].handler = 0x1000;
  }
  th->ClearInterrupt();
  ASSERT_TRUE(
      kt.kernel->Kill(*kt.task, c->tid(), MakeSigInfo(SIGUSR2, SI_USER, 1))
          .ok());
  EXPECT_FALSE(th->interrupted());
  absl::MutexLock l(kt.kernel->mu());
  EXPECT_TRUE(c->tg().pending.Pending().Has(SIGUSR2));
}

TEST(SignalDeliveryTest, IgnoredSignalsAreDropped) {
  auto kt = MakeKernelAndTask();
  Task* c = Fork(*kt.task);
  ASSERT_TRUE(
      kt.kernel->Kill(*kt.task, c->tid(), MakeSigInfo(SIGCHLD, SI_USER, 1))
          .ok());
  ASSERT_TRUE(
      kt.kernel->Kill(*kt.task, c->tid(), MakeSigInfo(SIGWINCH, SI_USER, 1))
          .ok());
  absl::MutexLock l(kt.kernel->mu());
  EXPECT_TRUE(c->tg().pending.Pending().Empty());
  EXPECT_FALSE(c->tg().exiting);
}

TEST(SignalDeliveryTest, KillProcessGroupAndBroadcast) {
  auto kt = MakeKernelAndTask();
  Task* a = Fork(*kt.task);
  Task* b = Fork(*kt.task);
  {
    absl::MutexLock l(kt.kernel->mu());
    a->tg().handlers->actions[SIGUSR1].handler = 0x1000;
    b->tg().handlers->actions[SIGUSR1].handler = 0x1000;
  }
  // -1: everyone but init and the sender.
  ASSERT_TRUE(
      kt.kernel->Kill(*a, -1, MakeSigInfo(SIGUSR1, SI_USER, a->tid())).ok());
  absl::MutexLock l(kt.kernel->mu());
  EXPECT_FALSE(a->tg().pending.Pending().Has(SIGUSR1));
  EXPECT_TRUE(b->tg().pending.Pending().Has(SIGUSR1));
  EXPECT_TRUE(kt.task->tg().pending.Pending().Empty());
}

TEST(SignalDeliveryTest, DequeuedDefaultCoreSetsCoreBit) {
  auto kt = MakeKernelAndTask();
  Task* c = Fork(*kt.task);
  kt.kernel->SendSignal(nullptr, c, nullptr, MakeSigInfo(SIGSEGV, SEGV_MAPERR));
  EXPECT_FALSE(c->HandleSignals(nullptr));  // the task must exit
  c->ExitThread(0);
  WaitOptions o;
  o.options = WEXITED;
  auto r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_TRUE(WIFSIGNALED((*r)->status));
  EXPECT_TRUE(WCOREDUMP((*r)->status));
  EXPECT_EQ(WTERMSIG((*r)->status), SIGSEGV);
  EXPECT_EQ((*r)->code, CLD_DUMPED);
  EXPECT_EQ(ShellExitCode((*r)->status), 139);
}

TEST(SignalDeliveryTest, ThreadExitKeepsGroupAlive) {
  auto kt = MakeKernelAndTask();
  Task* c = Fork(*kt.task);
  Task* th = Fork(*c, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, 0);
  int tid = th->tid();
  th->ExitThread(ExitedStatus(3));
  {
    absl::MutexLock l(kt.kernel->mu());
    EXPECT_FALSE(c->tg().zombie);
    EXPECT_EQ(kt.kernel->pidns().FindTask(tid), nullptr);
  }
  c->ExitThread(ExitedStatus(4));
  WaitOptions o;
  o.options = WEXITED;
  auto r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->cld_status, 4);  // the last thread's status
}

TEST(SignalDeliveryTest, InitDeathKillsEveryone) {
  auto kt = MakeKernelAndTask();
  Task* c = Fork(*kt.task);
  kt.task->ExitThread(ExitedStatus(9));
  EXPECT_EQ(kt.kernel->WaitForInitExit(), ExitedStatus(9));
  EXPECT_TRUE(c->killed());
}

}  // namespace
}  // namespace sentry::kernel

namespace sentry::kernel {
namespace {

TEST(ControlTest, ProcessesSignalAndWaitPid) {
  auto kt = MakeKernelAndTask();
  kt.task->set_name("init");
  Task* c = Fork(*kt.task);
  c->set_name("child");
  int cpid = c->tid();
  auto ps = kt.kernel->Processes();
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].pid, 1);
  EXPECT_EQ(ps[0].name, "init");
  EXPECT_EQ(ps[1].pid, cpid);
  EXPECT_EQ(ps[1].ppid, 1);
  EXPECT_EQ(ps[1].name, "child");
  // From outside, init's protection does not apply and signals kill.
  EXPECT_EQ(
      ToInt(kt.kernel->SignalFromOutside(999, SIGTERM, false, false).error()),
      ESRCH);
  ASSERT_TRUE(kt.kernel->SignalFromOutside(cpid, SIGTERM, false, false).ok());
  c->ExitThread(0);  // its run loop would do this
  EXPECT_EQ(*kt.kernel->WaitPidExit(cpid), KilledStatus(SIGTERM, false));
  // Still reapable by the parent, and remembered after the reap.
  WaitOptions o;
  o.options = WEXITED;
  ASSERT_TRUE(kt.kernel->Wait(*kt.task, o).ok());
  EXPECT_EQ(*kt.kernel->WaitPidExit(cpid), KilledStatus(SIGTERM, false));
  ASSERT_TRUE(kt.kernel->SignalFromOutside(1, SIGKILL, false, true).ok());
  absl::MutexLock l(kt.kernel->mu());
  EXPECT_TRUE(kt.task->tg().exiting);
}

}  // namespace
}  // namespace sentry::kernel

namespace sentry::kernel {
namespace {

// A VFS-style blocking operation (a pipe read) registered with the task's
// vfs::Waiter wakes up with EINTR when a signal arrives.
TEST(BlockingTest, SignalInterruptsVfsWaiter) {
  auto kt = MakeKernelAndTask();
  {
    absl::MutexLock l(kt.kernel->mu());
    kt.task->tg().handlers->actions[SIGUSR1].handler = 0x1000;
  }
  absl::Mutex mu;
  absl::CondVar cv;
  std::atomic<bool> registered{false};
  bool interrupted = false;
  std::thread reader([&] {
    vfs::WaiterRegistration reg(kt.task->vfs_waiter(), &mu, &cv);
    absl::MutexLock l(&mu);
    registered = true;
    while (!kt.task->vfs_waiter()->interrupted()) cv.Wait(&mu);
    interrupted = true;
  });
  while (!registered) absl::SleepFor(absl::Milliseconds(1));
  kt.kernel->SendSignal(nullptr, kt.task, nullptr,
                        MakeSigInfo(SIGUSR1, SI_USER));
  reader.join();
  EXPECT_TRUE(interrupted);
  kt.task->ClearInterrupt();
  EXPECT_FALSE(kt.task->vfs_waiter()->interrupted());
}

}  // namespace
}  // namespace sentry::kernel

namespace sentry::kernel {
namespace {

// SIGSTOP stops the group at its next return to user mode (the task thread
// sleeps in HandleSignals), the parent sees WUNTRACED, SIGCONT resumes.
TEST(JobControlTest, StopAndContinue) {
  auto kt = MakeKernelAndTask();
  Task* c = Fork(*kt.task);
  int cpid = c->tid();
  ASSERT_TRUE(
      kt.kernel->Kill(*kt.task, cpid, MakeSigInfo(SIGSTOP, SI_USER, 1)).ok());
  std::atomic<bool> resumed{false};
  std::thread task_thread([&] {
    EXPECT_TRUE(c->HandleSignals(nullptr));  // sleeps while stopped
    resumed = true;
  });
  WaitOptions o;
  o.options = WSTOPPED;  // blocks until the stop is reported
  auto r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->pid, cpid);
  EXPECT_TRUE(WIFSTOPPED((*r)->status));
  EXPECT_EQ(WSTOPSIG((*r)->status), SIGSTOP);
  EXPECT_FALSE(resumed);
  ASSERT_TRUE(
      kt.kernel->Kill(*kt.task, cpid, MakeSigInfo(SIGCONT, SI_USER, 1)).ok());
  task_thread.join();
  EXPECT_TRUE(resumed);
  o.options = WCONTINUED | WNOHANG;
  r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_TRUE(WIFCONTINUED((*r)->status));
}

// SIGKILL ends a stopped process.
TEST(JobControlTest, KillWhileStopped) {
  auto kt = MakeKernelAndTask();
  Task* c = Fork(*kt.task);
  ASSERT_TRUE(
      kt.kernel->Kill(*kt.task, c->tid(), MakeSigInfo(SIGTSTP, SI_USER, 1))
          .ok());
  std::thread task_thread([&] { EXPECT_FALSE(c->HandleSignals(nullptr)); });
  WaitOptions o;
  o.options = WSTOPPED;
  ASSERT_TRUE(kt.kernel->Wait(*kt.task, o).ok());
  ASSERT_TRUE(
      kt.kernel->Kill(*kt.task, c->tid(), MakeSigInfo(SIGKILL, SI_USER, 1))
          .ok());
  task_thread.join();
  c->ExitThread(0);
  o.options = WEXITED;
  auto r = kt.kernel->Wait(*kt.task, o);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(WTERMSIG((*r)->status), SIGKILL);
}

}  // namespace
}  // namespace sentry::kernel
