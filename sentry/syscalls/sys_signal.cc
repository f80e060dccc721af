// Signal syscalls: rt_sigaction, rt_sigprocmask, rt_sigpending, sigaltstack,
// kill family, rt_sigreturn, rt_sigsuspend, pause, rt_sigtimedwait.
#include <sys/syscall.h>

#include <cstring>

#include "sentry/kernel/sigframe.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

using kernel::KernelSigAction;
using kernel::SigSet;

namespace {

constexpr size_t kSigSetSize = 8;
// Linux's values (glibc hides kSsAutoDisarm and makes kMinSigStkSz dynamic).
constexpr int kSsAutoDisarm = 1 << 31;
constexpr size_t kMinSigStkSz = 2048;

stack_t MakeStack(void* sp, int flags, size_t size) {
  stack_t s;
  s.ss_sp = sp;
  s.ss_flags = flags;
  s.ss_size = size;
  return s;
}

// RtSigaction implements rt_sigaction(2). Full.
SyscallResult RtSigaction(Task& t, int sig, UserPtr<KernelSigAction> act,
                          UserPtr<KernelSigAction> oldact, size_t setsize) {
  if (setsize != kSigSetSize) return SyscallResult::Error(Errno{EINVAL});
  if (!kernel::ValidSignal(sig)) return SyscallResult::Error(Errno{EINVAL});
  if (!act.IsNull() && kernel::kUnblockable.Has(sig)) {
    return SyscallResult::Error(Errno{EINVAL});
  }
  std::optional<KernelSigAction> next;
  if (!act.IsNull()) {
    auto a = t.mm().CopyInObj(act);
    if (!a.ok()) return SyscallResult::Error(a.error());
    a->mask &= ~kernel::kUnblockable.bits();
    next = *a;
  }
  KernelSigAction old;
  {
    absl::MutexLock l(t.kernel().mu());
    KernelSigAction& cur = t.tg().handlers->actions[sig];
    old = cur;
    if (next.has_value()) {
      cur = *next;
      // POSIX: setting a disposition to ignore discards pending instances.
      bool ignored =
          cur.handler == kernel::kSigIgn ||
          (cur.handler == kernel::kSigDfl &&
           kernel::DefaultActionFor(sig) == kernel::DefaultAction::kIgnore);
      if (ignored) {
        t.tg().pending.Discard(SigSet::Of(sig));
        for (Task* th : t.tg().tasks) th->pending.Discard(SigSet::Of(sig));
      }
    }
  }
  if (!oldact.IsNull()) {
    auto s = t.mm().CopyOutObj(oldact, old);
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  return SyscallResult::Value(0);
}

// RtSigprocmask implements rt_sigprocmask(2). Full.
SyscallResult RtSigprocmask(Task& t, int how, UserPtr<uint64_t> set,
                            UserPtr<uint64_t> oldset, size_t setsize) {
  if (setsize != kSigSetSize) return SyscallResult::Error(Errno{EINVAL});
  std::optional<SigSet> in;
  if (!set.IsNull()) {
    auto v = t.mm().CopyInObj(set);
    if (!v.ok()) return SyscallResult::Error(v.error());
    in = SigSet(*v);
  }
  SigSet old;
  {
    absl::MutexLock l(t.kernel().mu());
    old = t.mask;
    if (in.has_value()) {
      SigSet next;
      switch (how) {
        case SIG_BLOCK:
          next = old | *in;
          break;
        case SIG_UNBLOCK:
          next = old & ~*in;
          break;
        case SIG_SETMASK:
          next = *in;
          break;
        default:
          return SyscallResult::Error(Errno{EINVAL});
      }
      t.mask = next & ~kernel::kUnblockable;
      // Group signals this thread just blocked may be taken by another
      // thread (Linux's retarget_shared_pending).
      SigSet newly = t.mask & ~old & t.tg().pending.Pending();
      for (int s = 1; s <= kernel::kMaxSignal; ++s) {
        if (newly.Has(s)) t.kernel().WakeForSignalLocked(t.tg(), nullptr, s);
      }
    }
  }
  if (!oldset.IsNull()) {
    auto s = t.mm().CopyOutObj(oldset, old.bits());
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  return SyscallResult::Value(0);
}

// RtSigpending implements rt_sigpending(2). Full.
SyscallResult RtSigpending(Task& t, UserPtr<uint64_t> set, size_t setsize) {
  if (setsize > kSigSetSize) return SyscallResult::Error(Errno{EINVAL});
  SigSet p;
  {
    absl::MutexLock l(t.kernel().mu());
    p = (t.pending.Pending() | t.tg().pending.Pending()) & t.mask;
  }
  uint64_t bits = p.bits();
  return SyscallResult::From(t.mm().CopyOutFull(set.addr(), &bits, setsize));
}

// Sigaltstack implements sigaltstack(2). Full (kSsAutoDisarm accepted).
SyscallResult Sigaltstack(Task& t, UserPtr<stack_t> ss, UserPtr<stack_t> old) {
  uint64_t sp = t.regs().gp().rsp;
  bool on = kernel::OnAltStack(t.altstack, sp);
  if (!old.IsNull()) {
    stack_t o = t.altstack;
    o.ss_flags = on ? SS_ONSTACK : (t.altstack.ss_flags & SS_DISABLE);
    if (o.ss_flags & SS_DISABLE) {
      o.ss_sp = nullptr;
      o.ss_size = 0;
    }
    auto s = t.mm().CopyOutObj(old, o);
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  if (!ss.IsNull()) {
    auto n = t.mm().CopyInObj(ss);
    if (!n.ok()) return SyscallResult::Error(n.error());
    if (on) return SyscallResult::Error(Errno{EPERM});
    int mode = n->ss_flags & ~kSsAutoDisarm;
    if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK) {
      return SyscallResult::Error(Errno{EINVAL});
    }
    if (mode == SS_DISABLE) {
      t.altstack = MakeStack(nullptr, SS_DISABLE, 0);
    } else {
      if (n->ss_size < kMinSigStkSz) return SyscallResult::Error(Errno{ENOMEM});
      t.altstack = MakeStack(n->ss_sp, n->ss_flags & kSsAutoDisarm, n->ss_size);
    }
  }
  return SyscallResult::Value(0);
}

siginfo_t UserSigInfo(Task& t, int sig, int code) {
  return kernel::MakeSigInfo(sig, code, t.tg().tgid, t.creds()->real_uid);
}

// Kill implements kill(2). Full.
SyscallResult Kill(Task& t, int pid, int sig) {
  if (pid == INT32_MIN) return SyscallResult::Error(Errno{ESRCH});
  return SyscallResult::From(
      t.kernel().Kill(t, pid, UserSigInfo(t, sig, SI_USER)));
}

// Tkill implements tkill(2). Full.
SyscallResult Tkill(Task& t, int tid, int sig) {
  return SyscallResult::From(
      t.kernel().TgKill(t, 0, tid, UserSigInfo(t, sig, SI_TKILL)));
}

// Tgkill implements tgkill(2). Full.
SyscallResult Tgkill(Task& t, int tgid, int tid, int sig) {
  if (tgid <= 0) return SyscallResult::Error(Errno{EINVAL});
  return SyscallResult::From(
      t.kernel().TgKill(t, tgid, tid, UserSigInfo(t, sig, SI_TKILL)));
}

// Applications may not forge kernel or kill()-style siginfo for others
// (Linux: si_code >= 0 or SI_TKILL only to themselves).
ErrnoOr<siginfo_t> QueuedInfo(Task& t, int sig, UserPtr<siginfo_t> uinfo,
                              bool to_self) {
  ASSIGN_OR_RETURN_ERRNO(siginfo_t info, t.mm().CopyInObj(uinfo));
  if ((info.si_code >= 0 || info.si_code == SI_TKILL) && !to_self) {
    return Errno{EPERM};
  }
  info.si_signo = sig;
  return info;
}

// RtSigqueueinfo implements rt_sigqueueinfo(2). Full.
SyscallResult RtSigqueueinfo(Task& t, int pid, int sig,
                             UserPtr<siginfo_t> uinfo) {
  if (pid <= 0) return SyscallResult::Error(Errno{ESRCH});
  auto info = QueuedInfo(t, sig, uinfo, pid == t.tg().tgid);
  if (!info.ok()) return SyscallResult::Error(info.error());
  return SyscallResult::From(t.kernel().Kill(t, pid, *info));
}

// RtTgsigqueueinfo implements rt_tgsigqueueinfo(2). Full.
SyscallResult RtTgsigqueueinfo(Task& t, int tgid, int tid, int sig,
                               UserPtr<siginfo_t> uinfo) {
  if (tgid <= 0 || tid <= 0) return SyscallResult::Error(Errno{EINVAL});
  auto info = QueuedInfo(t, sig, uinfo, tgid == t.tg().tgid);
  if (!info.ok()) return SyscallResult::Error(info.error());
  return SyscallResult::From(t.kernel().TgKill(t, tgid, tid, *info));
}

// RtSigreturn implements rt_sigreturn(2). Full for the FXSAVE frame.
SyscallResult RtSigreturn(Task& t) {
  SigSet mask;
  stack_t uc_stack;
  ErrnoStatus s =
      kernel::RestoreSignalFrame(t.mm(), t.regs(), &mask, &uc_stack);
  absl::MutexLock l(t.kernel().mu());
  if (!s.ok()) {
    // Linux's signal_fault: a corrupt frame is a SIGSEGV.
    t.kernel().GroupExitLocked(t.tg(), kernel::KilledStatus(SIGSEGV, true));
    return SyscallResult::NoReturn();
  }
  t.mask = mask;
  // restore_altstack: accepted silently when invalid, like Linux.
  if (!kernel::OnAltStack(t.altstack, t.regs().gp().rsp)) {
    if (uc_stack.ss_flags & SS_DISABLE) {
      t.altstack = MakeStack(nullptr, SS_DISABLE, 0);
    } else if (uc_stack.ss_size >= kMinSigStkSz) {
      t.altstack = MakeStack(uc_stack.ss_sp, uc_stack.ss_flags & kSsAutoDisarm,
                             uc_stack.ss_size);
    }
  }
  return SyscallResult::NoReturn();
}

// Waits with a temporary mask until a signal is deliverable.
SyscallResult SuspendWith(Task& t, std::optional<SigSet> mask) {
  {
    absl::MutexLock l(t.kernel().mu());
    if (mask.has_value()) {
      t.saved_mask = t.mask;
      t.mask = *mask & ~kernel::kUnblockable;
    }
    if (HasDeliverableSignalLocked(t)) t.Interrupt();
  }
  SleepUntil(t, std::nullopt);
  return SyscallResult::Restart(kernel::RestartKind::kRestartNoHand);
}

// RtSigsuspend implements rt_sigsuspend(2). Full.
SyscallResult RtSigsuspend(Task& t, UserPtr<uint64_t> set, size_t setsize) {
  if (setsize != kSigSetSize) return SyscallResult::Error(Errno{EINVAL});
  auto v = t.mm().CopyInObj(set);
  if (!v.ok()) return SyscallResult::Error(v.error());
  return SuspendWith(t, SigSet(*v));
}

// Pause implements pause(2). Full.
SyscallResult Pause(Task& t) { return SuspendWith(t, std::nullopt); }

// RtSigtimedwait implements rt_sigtimedwait(2). Full.
SyscallResult RtSigtimedwait(Task& t, UserPtr<uint64_t> set,
                             UserPtr<siginfo_t> info, UserAddr timeout,
                             size_t setsize) {
  if (setsize != kSigSetSize) return SyscallResult::Error(Errno{EINVAL});
  auto v = t.mm().CopyInObj(set);
  if (!v.ok()) return SyscallResult::Error(v.error());
  SigSet wanted = SigSet(*v) & ~kernel::kUnblockable;
  std::optional<absl::Time> deadline;
  if (!timeout.IsNull()) {
    auto d = CopyInTimespec(t, timeout);
    if (!d.ok()) return SyscallResult::Error(d.error());
    deadline = absl::Now() + *d;
  }
  for (;;) {
    t.PrepareBlock();
    {
      absl::MutexLock l(t.kernel().mu());
      SigSet others = ~wanted;
      std::optional<siginfo_t> got = t.pending.Dequeue(others);
      if (!got.has_value()) got = t.tg().pending.Dequeue(others);
      if (got.has_value()) {
        t.sigwait_set = SigSet();
        if (!info.IsNull()) {
          auto s = t.mm().CopyOutObj(info, *got);
          if (!s.ok()) return SyscallResult::Error(s.error());
        }
        return SyscallResult::Value(got->si_signo);
      }
      t.sigwait_set = wanted;
      if (HasDeliverableSignalLocked(t)) {
        t.sigwait_set = SigSet();
        return SyscallResult::Error(Errno{EINTR});
      }
    }
    Task::BlockResult r = t.Block(deadline);
    absl::MutexLock l(t.kernel().mu());
    if (r == Task::BlockResult::kTimedOut) {
      t.sigwait_set = SigSet();
      return SyscallResult::Error(Errno{EAGAIN});
    }
    if (r == Task::BlockResult::kInterrupted && t.killed()) {
      t.sigwait_set = SigSet();
      return SyscallResult::Error(Errno{EINTR});
    }
    // Interrupted by a wanted signal (dequeued next round) or another one.
    if (r == Task::BlockResult::kInterrupted &&
        ((t.pending.Pending() | t.tg().pending.Pending()) & wanted).Empty()) {
      t.sigwait_set = SigSet();
      return SyscallResult::Error(Errno{EINTR});
    }
    t.ClearInterrupt();
  }
}

}  // namespace

void RegisterSignalSyscalls(SyscallTable& tab) {
  tab.Set(__NR_rt_sigaction, Adapt<&RtSigaction>, Support::kFull);
  tab.Set(__NR_rt_sigprocmask, Adapt<&RtSigprocmask>, Support::kFull);
  tab.Set(__NR_rt_sigpending, Adapt<&RtSigpending>, Support::kFull);
  tab.Set(__NR_sigaltstack, Adapt<&Sigaltstack>, Support::kFull);
  tab.Set(__NR_kill, Adapt<&Kill>, Support::kFull);
  tab.Set(__NR_tkill, Adapt<&Tkill>, Support::kFull);
  tab.Set(__NR_tgkill, Adapt<&Tgkill>, Support::kFull);
  tab.Set(__NR_rt_sigqueueinfo, Adapt<&RtSigqueueinfo>, Support::kFull);
  tab.Set(__NR_rt_tgsigqueueinfo, Adapt<&RtTgsigqueueinfo>, Support::kFull);
  tab.Set(__NR_rt_sigreturn, Adapt<&RtSigreturn>, Support::kPartial,
          "FXSAVE state only (no XSAVE/AVX extensions)");
  tab.Set(__NR_rt_sigsuspend, Adapt<&RtSigsuspend>, Support::kFull);
  tab.Set(__NR_pause, Adapt<&Pause>, Support::kFull);
  tab.Set(__NR_rt_sigtimedwait, Adapt<&RtSigtimedwait>, Support::kFull);
}

}  // namespace sentry::syscalls
