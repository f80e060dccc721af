// The glue between devpts and the kernel: TaskTtyCaller, the TtyKernel from
// NewTtyKernel, controlling terminals kept in kernel::Session, hangup on the
// session leader's exit and job control signals.
#include "sentry/syscalls/sys_tty.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include "gtest/gtest.h"
#include "sentry/fs/devpts/termios.h"
#include "sentry/kernel/proc_provider.h"
#include "sentry/syscalls/testing.h"

namespace sentry::syscalls {
namespace {

namespace devpts = fs::devpts;
using kernel::kTestMemBase;
using kernel::SigSet;

constexpr uint64_t kArg = kTestMemBase + 0x100;

class TtyGlueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kt_ = kernel::MakeKernelAndTask();
    init_ = kt_.task;
    tty_kernel_ = NewTtyKernel(kt_.kernel.get());
    pty_ = std::make_shared<devpts::Pty>(0, tty_kernel_);
    master_ = std::make_unique<devpts::TtyFile>(pty_, /*master=*/true);
    TaskTtyCaller c(init_);
    ASSERT_TRUE(kt_.mem->CopyOutObj(UserPtr<int32_t>(UserAddr(kArg)), 0).ok());
    ASSERT_TRUE(master_->Ioctl(devpts::kTIOCSPTLCK, kArg, c).ok());
  }
  void TearDown() override { kernel::SetCurrentTask(nullptr); }

  Task* Fork(Task& parent) {
    int64_t pid = CallRaw(parent, __NR_fork);
    EXPECT_GT(pid, 1);
    absl::MutexLock l(kt_.kernel->mu());
    return kt_.kernel->pidns().FindTask(static_cast<int>(pid));
  }
  // Opens the replica as `t` would (acquiring it if `t` may).
  std::unique_ptr<devpts::TtyFile> OpenReplica(Task& t, int flags = O_RDWR) {
    TaskTtyCaller c(&t);
    if (!pty_->OpenReplica(flags, &c).ok()) return nullptr;
    return std::make_unique<devpts::TtyFile>(pty_, /*master=*/false);
  }
  SigSet GroupPending(Task& t) {
    absl::MutexLock l(kt_.kernel->mu());
    return t.tg().pending.Pending();
  }
  void BlockSignal(Task& t, int sig) {
    absl::MutexLock l(kt_.kernel->mu());
    t.mask.Add(sig);
  }
  // A session leader (pid 2, a child of init) with the pty as controlling
  // terminal: init is protected from signals, so tests use a child.
  Task* Leader() {
    Task* l = Fork(*init_);
    EXPECT_EQ(CallRaw(*l, __NR_setsid), l->tg().tgid);
    replica_ = OpenReplica(*l);
    EXPECT_NE(replica_, nullptr);
    return l;
  }

  kernel::KernelAndTask kt_;
  Task* init_;
  std::shared_ptr<devpts::TtyKernel> tty_kernel_;
  std::shared_ptr<devpts::Pty> pty_;
  std::unique_ptr<devpts::TtyFile> master_, replica_;
};

TEST_F(TtyGlueTest, CurrentTaskIsTheThreadsTask) {
  kernel::SetCurrentTask(nullptr);
  EXPECT_EQ(tty_kernel_->CurrentTask(), nullptr);
  kernel::SetCurrentTask(init_);
  devpts::TtyCaller* c = tty_kernel_->CurrentTask();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Pid(), 1);
  EXPECT_EQ(c->Sid(), 1);
  EXPECT_EQ(c->Pgid(), 1);
  EXPECT_TRUE(c->HasCapSysAdmin());
  // A task of another kernel is not ours.
  kernel::KernelAndTask other = kernel::MakeKernelAndTask();
  kernel::SetCurrentTask(other.task);
  EXPECT_EQ(tty_kernel_->CurrentTask(), nullptr);
}

TEST_F(TtyGlueTest, OpenBySessionLeaderAcquires) {
  Task* l = Leader();
  TaskTtyCaller c(l);
  EXPECT_EQ(c.ControllingTty(), pty_);
  EXPECT_EQ(pty_->session(), l->tg().tgid);
  EXPECT_EQ(pty_->foreground_pgid(), l->tg().tgid);
  {
    absl::MutexLock lock(kt_.kernel->mu());
    EXPECT_NE(l->tg().pgrp->session->ctty, nullptr);
  }
  // Init's session is untouched; with O_NOCTTY nothing is acquired.
  TaskTtyCaller ic(init_);
  EXPECT_EQ(ic.ControllingTty(), nullptr);
  EXPECT_NE(OpenReplica(*init_, O_RDWR | O_NOCTTY), nullptr);
  EXPECT_EQ(ic.ControllingTty(), nullptr);
}

TEST_F(TtyGlueTest, ForkInheritsSetsidDrops) {
  Task* l = Leader();
  Task* child = Fork(*l);
  TaskTtyCaller cc(child);
  EXPECT_EQ(cc.ControllingTty(), pty_);
  // TIOCNOTTY by a non-leader: that process only.
  cc.SetControllingTty(nullptr);
  EXPECT_EQ(cc.ControllingTty(), nullptr);
  EXPECT_EQ(TaskTtyCaller(l).ControllingTty(), pty_);
  // ... and its children inherit the detachment.
  Task* grandchild = Fork(*child);
  EXPECT_EQ(TaskTtyCaller(grandchild).ControllingTty(), nullptr);
  // setsid: a new session without terminal.
  Task* other = Fork(*l);
  ASSERT_GT(CallRaw(*other, __NR_setsid), 0);
  EXPECT_EQ(TaskTtyCaller(other).ControllingTty(), nullptr);
  EXPECT_EQ(TaskTtyCaller(l).ControllingTty(), pty_);
}

TEST_F(TtyGlueTest, SessionLeaderExitHangsUpForegroundGroup) {
  Task* l = Leader();
  Task* member = Fork(*l);  // same (foreground) group
  BlockSignal(*member, SIGHUP);
  replica_.reset();
  l->ExitThread(0);
  EXPECT_TRUE(GroupPending(*member).Has(SIGHUP));
  EXPECT_FALSE(GroupPending(*member).Has(SIGCONT));  // not on exit (Linux)
  EXPECT_EQ(pty_->session(), 0);
  EXPECT_EQ(pty_->foreground_pgid(), 0);
  EXPECT_EQ(TaskTtyCaller(member).ControllingTty(), nullptr);
}

TEST_F(TtyGlueTest, MasterCloseSignalsTheLeader) {
  Task* l = Leader();
  BlockSignal(*l, SIGHUP);
  BlockSignal(*l, SIGCONT);
  master_.reset();  // hangup
  EXPECT_TRUE(GroupPending(*l).Has(SIGHUP));
  EXPECT_TRUE(GroupPending(*l).Has(SIGCONT));
  EXPECT_EQ(TaskTtyCaller(l).ControllingTty(), nullptr);
}

TEST_F(TtyGlueTest, IsigReachesForegroundGroupNotInit) {
  Task* l = Leader();
  BlockSignal(*l, SIGINT);
  TaskTtyCaller lc(l);
  // ^C typed (TIOCSTI on the replica): SIGINT to the foreground group (the
  // leader's).
  // (A forked task has its own copy of the memory.)
  ASSERT_TRUE(
      l->mm().CopyOutObj(UserPtr<uint8_t>(UserAddr(kArg)), uint8_t{3}).ok());
  ASSERT_TRUE(replica_->Ioctl(devpts::kTIOCSTI, kArg, lc).ok());
  EXPECT_TRUE(GroupPending(*l).Has(SIGINT));
  // Init ignores kernel-generated signals it has no handler for.
  SignalProcessGroup(*kt_.kernel, 1, SIGINT);
  EXPECT_FALSE(GroupPending(*init_).Has(SIGINT));
  EXPECT_FALSE(init_->tg().exiting);
}

TEST_F(TtyGlueTest, BackgroundAccess) {
  Task* l = Leader();
  Task* bg = Fork(*l);
  ASSERT_EQ(CallRaw(*bg, __NR_setpgid, {0, 0}), 0);
  TaskTtyCaller c(bg);
  BlockSignal(*bg, SIGTTIN);
  // Blocked SIGTTIN: EIO without a signal; blocked SIGTTOU: go on.
  EXPECT_EQ(c.BackgroundAccess(SIGTTIN).error(), Errno{EIO});
  BlockSignal(*bg, SIGTTOU);
  EXPECT_TRUE(c.BackgroundAccess(SIGTTOU).ok());
  {
    absl::MutexLock lock(kt_.kernel->mu());
    bg->mask = SigSet();
    // Stop signals to a group with the default action would stop it: give
    // SIGTTIN a handler so it stays pending.
    bg->tg().handlers->actions[SIGTTIN].handler = 0x1000;
  }
  EXPECT_EQ(c.BackgroundAccess(SIGTTIN).error(), Errno{EINTR});
  EXPECT_TRUE(GroupPending(*bg).Has(SIGTTIN) || [&] {
    absl::MutexLock lock(kt_.kernel->mu());
    return bg->pending.Pending().Has(SIGTTIN);
  }());
  // Through devpts: a background read of the controlling terminal.
  kernel::SetCurrentTask(bg);
  {
    absl::MutexLock lock(kt_.kernel->mu());
    bg->tg().handlers->actions[SIGTTIN].handler = kernel::kSigIgn;
  }
  std::byte buf[4];
  vfs::SpanDst dst(buf, sizeof(buf));
  auto r = pty_->ReplicaRead(dst, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Errno{EIO});
  // The foreground group reads normally (nothing queued: EAGAIN).
  kernel::SetCurrentTask(l);
  vfs::IoOptions nb;
  nb.nonblock = true;
  EXPECT_EQ(pty_->ReplicaRead(dst, nb).error(), Errno{EAGAIN});
}

TEST_F(TtyGlueTest, ProcessGroupQueries) {
  Task* l = Leader();
  TaskTtyCaller c(l);
  const int32_t sid = l->tg().tgid;
  EXPECT_TRUE(c.ProcessGroupInSession(sid, sid));
  EXPECT_FALSE(c.ProcessGroupInSession(1, sid));
  EXPECT_TRUE(c.ProcessGroupExists(1));
  EXPECT_FALSE(c.ProcessGroupExists(999));
  // TIOCSPGRP through devpts: ESRCH for a missing group, EPERM for one of
  // another session.
  for (auto [pgid, err] : {std::pair{999, ESRCH}, std::pair{1, EPERM}}) {
    ASSERT_TRUE(
        l->mm().CopyOutObj(UserPtr<int32_t>(UserAddr(kArg)), pgid).ok());
    auto r = replica_->Ioctl(devpts::kTIOCSPGRP, kArg, c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Errno{err});
  }
}

}  // namespace
}  // namespace sentry::syscalls
