#include "sentry/syscalls/sys_tty.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "sentry/fs/devpts/termios.h"
#include "sentry/kernel/proc_provider.h"
#include "sentry/syscalls/file_context.h"

namespace sentry::syscalls {
namespace {

namespace devpts = fs::devpts;
using kernel::Kernel;
using kernel::ProcessGroup;
using kernel::Session;
using kernel::ThreadGroup;

// A session's controlling terminal as the kernel stores it.
class PtyTerminal final : public kernel::ControllingTerminal {
 public:
  PtyTerminal(std::weak_ptr<devpts::Pty> pty, Kernel* k)
      : pty_(std::move(pty)), k_(k) {}

  // Linux's disassociate_ctty(1) for a pty: SIGHUP to the foreground group
  // (no SIGCONT on exit), then the terminal has no session.
  void SessionLeaderExited(int sid) override {
    std::shared_ptr<devpts::Pty> pty = pty_.lock();
    if (pty == nullptr || pty->session() != sid) return;
    const int32_t fg = pty->foreground_pgid();
    pty->ClearSession(sid);
    if (fg > 0) SignalProcessGroup(*k_, fg, SIGHUP);
  }

  std::shared_ptr<devpts::Pty> pty() const { return pty_.lock(); }
  bool Is(const devpts::Pty& p) const {
    std::shared_ptr<devpts::Pty> mine = pty_.lock();
    return mine.get() == &p;
  }

 private:
  const std::weak_ptr<devpts::Pty> pty_;
  Kernel* const k_;
};

PtyTerminal* TerminalOf(const Session& s) {
  return dynamic_cast<PtyTerminal*>(s.ctty.get());
}

// Linux's will_become_orphaned_pgrp(pgrp, NULL): no live member has a
// parent in another group of the same session.
bool OrphanedLocked(const ProcessGroup& pg) {
  for (ThreadGroup* m : pg.members) {
    if (m->zombie || m->exiting) continue;
    ThreadGroup* p = m->parent;
    if (p != nullptr && p->pgrp != nullptr && p->pgrp.get() != &pg &&
        p->pgrp->session == pg.session) {
      return false;
    }
  }
  return true;
}

void SignalProcessGroupLocked(Kernel& k, int32_t pgid, int sig)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(k.mu()) {
  ProcessGroup* pg = k.pidns().FindProcessGroup(pgid);
  if (pg == nullptr) return;
  std::vector<ThreadGroup*> members(pg->members.begin(), pg->members.end());
  const siginfo_t info = kernel::MakeSigInfo(sig, SI_KERNEL);
  for (ThreadGroup* tg : members) {
    // Init is protected from signals generated inside its namespace (the
    // kernel's sender==null would bypass it): Linux's SIGNAL_UNKILLABLE.
    if (tg->IsInit() && tg->handlers->actions[sig].handler == kernel::kSigDfl) {
      continue;
    }
    k.SendSignalLocked(nullptr, nullptr, tg, info);
  }
}

class KernelTtyKernel final : public devpts::TtyKernel {
 public:
  explicit KernelTtyKernel(Kernel* k) : k_(k) {}

  void SignalProcessGroup(int32_t pgid, int sig) override {
    syscalls::SignalProcessGroup(*k_, pgid, sig);
  }

  // Linux's tty_signal_session_leader after a hangup: every process of the
  // session loses the terminal; the leader gets SIGHUP and SIGCONT.
  void HangupSession(int32_t sid, const devpts::Pty& tty) override {
    absl::MutexLock l(k_->mu());
    auto it = k_->pidns().sessions.find(sid);
    if (it == k_->pidns().sessions.end()) return;
    Session* s = it->second;
    PtyTerminal* term = TerminalOf(*s);
    if (term != nullptr && term->Is(tty)) s->ctty.reset();
    ThreadGroup* leader = k_->pidns().FindThreadGroup(sid);
    if (leader == nullptr || leader->pgrp == nullptr ||
        leader->pgrp->session.get() != s) {
      return;
    }
    for (int sig : {SIGHUP, SIGCONT}) {
      k_->SendSignalLocked(nullptr, nullptr, leader,
                           kernel::MakeSigInfo(sig, SI_KERNEL));
    }
  }

  // One caller object per host thread: devpts uses the pointer only during
  // the open/read/write on this thread.
  devpts::TtyCaller* CurrentTask() override {
    Task* t = kernel::CurrentTask();
    if (t == nullptr || &t->kernel() != k_) return nullptr;
    thread_local TaskTtyCaller caller(nullptr);
    caller.set_task(t);
    return &caller;
  }

 private:
  Kernel* const k_;
};

// TIOCGPTPEER: opens the replica of master `f` and returns a descriptor.
SyscallResult PtyPeer(Task& t, const vfs::FileRef& f, devpts::TtyFile& tf,
                      uint64_t arg) {
  const int flags = static_cast<int>(arg);
  if (arg > 0xffffffffu ||
      (flags & ~(O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC))) {
    return Errno{EINVAL};
  }
  if (!tf.master()) return Errno{EIO};  // Linux: not the ptmx driver
  vfs::VirtualFilesystem* v = SandboxVfs();
  const std::string name = std::to_string(tf.pty()->index());
  vfs::FileRef peer;
  // Where the master was opened through its devpts directory, the peer is
  // the node beside it (so ttyname works), as Linux's ptm_open_peer.
  if (v != nullptr && f->location().ok()) {
    vfs::Context ctx = TaskContext(t);
    vfs::VirtualDentry dir = v->Parent(ctx, f->location());
    auto r = v->Open(ctx, vfs::PathAt{dir, name}, flags & ~O_CLOEXEC, 0);
    if (r.ok()) {
      auto* pf = dynamic_cast<devpts::TtyFile*>((*r)->impl());
      if (pf != nullptr && pf->pty() == tf.pty()) {
        peer = std::move(*r);
      }
    } else if (r.error() == Errno{EIO}) {
      return r.error();  // locked
    }
  }
  if (peer == nullptr) {
    // A ptmx node outside devpts: an anonymous file for the replica.
    TaskTtyCaller caller(&t);
    ASSIGN_OR_RETURN_ERRNO(std::unique_ptr<devpts::TtyFile> impl,
                           tf.OpenPeer(flags, &caller));
    static const uint64_t dev = vfs::NewAnonDev();
    static std::atomic<uint64_t> next_ino{1};
    auto inode = std::make_shared<vfs::SimpleInode>(
        dev, next_ino.fetch_add(1), S_IFCHR | 0620, caller.Fsuid(),
        caller.Fsgid(), makedev(136, tf.pty()->index()));
    peer = std::make_shared<vfs::FileDescription>(
        v, vfs::VirtualDentry{}, inode, flags & ~(O_CLOEXEC | O_NOCTTY),
        std::move(impl));
  }
  return SyscallResult::From(
      TaskFdTable(t).Add(std::move(peer), (flags & O_CLOEXEC) != 0));
}

}  // namespace

void SignalProcessGroup(Kernel& k, int32_t pgid, int sig) {
  absl::MutexLock l(k.mu());
  SignalProcessGroupLocked(k, pgid, sig);
}

std::shared_ptr<devpts::TtyKernel> NewTtyKernel(Kernel* k) {
  return std::make_shared<KernelTtyKernel>(k);
}

// --- TaskTtyCaller -----------------------------------------------------------

ErrnoStatus TaskTtyCaller::CopyIn(uint64_t addr, std::span<std::byte> dst) {
  return t_->mm().CopyInFull(UserAddr(addr), dst.data(), dst.size());
}

ErrnoStatus TaskTtyCaller::CopyOut(uint64_t addr,
                                   std::span<const std::byte> src) {
  return t_->mm().CopyOutFull(UserAddr(addr), src.data(), src.size());
}

int32_t TaskTtyCaller::Pid() { return t_->tg().tgid; }

int32_t TaskTtyCaller::Sid() {
  absl::MutexLock l(t_->kernel().mu());
  const ThreadGroup& tg = t_->tg();
  return tg.pgrp != nullptr ? tg.pgrp->session->sid : 0;
}

int32_t TaskTtyCaller::Pgid() {
  absl::MutexLock l(t_->kernel().mu());
  const ThreadGroup& tg = t_->tg();
  return tg.pgrp != nullptr ? tg.pgrp->pgid : 0;
}

bool TaskTtyCaller::HasCapSysAdmin() {
  return t_->creds()->HasCapability(CAP_SYS_ADMIN);
}

uint32_t TaskTtyCaller::Fsuid() { return t_->creds()->fs_uid; }
uint32_t TaskTtyCaller::Fsgid() { return t_->creds()->fs_gid; }

bool TaskTtyCaller::ProcessGroupInSession(int32_t pgid, int32_t sid) {
  absl::MutexLock l(t_->kernel().mu());
  ProcessGroup* pg = t_->kernel().pidns().FindProcessGroup(pgid);
  return pg != nullptr && pg->session->sid == sid;
}

bool TaskTtyCaller::ProcessGroupExists(int32_t pgid) {
  absl::MutexLock l(t_->kernel().mu());
  return t_->kernel().pidns().FindProcessGroup(pgid) != nullptr;
}

std::shared_ptr<devpts::Pty> TaskTtyCaller::ControllingTty() {
  absl::MutexLock l(t_->kernel().mu());
  const ThreadGroup& tg = t_->tg();
  if (tg.pgrp == nullptr || tg.ctty_detached) return nullptr;
  PtyTerminal* term = TerminalOf(*tg.pgrp->session);
  return term != nullptr ? term->pty() : nullptr;
}

void TaskTtyCaller::SetControllingTty(std::shared_ptr<devpts::Pty> tty) {
  Kernel& k = t_->kernel();
  absl::MutexLock l(k.mu());
  ThreadGroup& tg = t_->tg();
  if (tg.pgrp == nullptr) return;
  if (tty == nullptr) {
    tg.ctty_detached = true;  // TIOCNOTTY by a non-leader: this process only
    return;
  }
  std::shared_ptr<Session> s = tg.pgrp->session;
  s->ctty = std::make_shared<PtyTerminal>(tty, &k);
  for (auto& [tgid, g] : k.pidns().thread_groups) {
    if (g->pgrp != nullptr && g->pgrp->session == s) g->ctty_detached = false;
  }
}

void TaskTtyCaller::DetachSession(int32_t sid, const devpts::Pty& tty) {
  Kernel& k = t_->kernel();
  absl::MutexLock l(k.mu());
  auto it = k.pidns().sessions.find(sid);
  if (it == k.pidns().sessions.end()) return;
  PtyTerminal* term = TerminalOf(*it->second);
  if (term != nullptr && term->Is(tty)) it->second->ctty.reset();
}

// Linux's __tty_check_change.
ErrnoStatus TaskTtyCaller::BackgroundAccess(int sig) {
  Kernel& k = t_->kernel();
  absl::MutexLock l(k.mu());
  ThreadGroup& tg = t_->tg();
  if (tg.pgrp == nullptr) return OkErrno();
  const bool ignored = tg.handlers->actions[sig].handler == kernel::kSigIgn;
  if (ignored || t_->mask.Has(sig)) {
    return sig == SIGTTOU ? OkErrno() : ErrnoStatus(Errno{EIO});
  }
  if (OrphanedLocked(*tg.pgrp)) return Errno{EIO};
  SignalProcessGroupLocked(k, tg.pgrp->pgid, sig);
  return Errno{EINTR};
}

// --- ioctl -------------------------------------------------------------------

std::optional<SyscallResult> TtyIoctl(Task& t, const vfs::FileRef& f,
                                      uint32_t cmd, uint64_t arg) {
  auto* tf = dynamic_cast<devpts::TtyFile*>(f->impl());
  if (tf == nullptr) return std::nullopt;
  if (cmd == devpts::kTIOCGPTPEER) return PtyPeer(t, f, *tf, arg);
  TaskTtyCaller caller(&t);
  ErrnoOr<int64_t> r = tf->Ioctl(cmd, arg, caller);
  // Job control stopped a background caller: the call restarts after the
  // signal unless a handler without SA_RESTART runs (ERESTARTSYS).
  if (!r.ok() && r.error() == Errno{EINTR}) {
    return SyscallResult::Restart(kernel::RestartKind::kRestartSys);
  }
  return SyscallResult::From(r);
}

}  // namespace sentry::syscalls
