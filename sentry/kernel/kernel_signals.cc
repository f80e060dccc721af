// Signal generation: kill/tgkill permission and targeting, group vs thread
// delivery choice, stop/continue side effects, group exit, parent
// notification. Delivery (dequeue, default actions, frames) is in
// task_signals.cc.
#include <poll.h>

#include <cstring>

#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

namespace {

bool IsIgnored(const KernelSigAction& act, int sig) {
  if (kUnblockable.Has(sig)) return false;
  if (act.handler == kSigIgn) return true;
  return act.handler == kSigDfl &&
         (DefaultActionFor(sig) == DefaultAction::kIgnore ||
          DefaultActionFor(sig) == DefaultAction::kContinue);
}

bool AllThreadsBlock(const ThreadGroup& tg, int sig) {
  for (Task* t : tg.tasks) {
    if (!t->mask.Has(sig)) return false;
  }
  return !tg.tasks.empty();
}

}  // namespace

void Kernel::SendSignalLocked(Task* sender, Task* thread, ThreadGroup* group,
                              const siginfo_t& info) {
  const int sig = info.si_signo;
  if (!ValidSignal(sig)) return;
  ThreadGroup& tg = thread != nullptr ? thread->tg() : *group;
  if (tg.zombie || tg.exiting) return;
  if (thread != nullptr && thread->exited_) return;
  const KernelSigAction& act = tg.handlers->actions[sig];

  // Init (pid 1) only gets signals it has a handler for when they come from
  // inside its namespace; this includes SIGKILL and SIGSTOP (Linux's
  // SIGNAL_UNKILLABLE). From outside (sender == null) they are delivered.
  if (tg.IsInit() && sender != nullptr && act.handler == kSigDfl) return;

  // Job-control side effects happen at generation, even if blocked
  // (Linux's prepare_signal).
  if (sig == SIGCONT) {
    SigSet stops;
    for (int s : {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}) stops.Add(s);
    tg.pending.Discard(stops);
    for (Task* t : tg.tasks) t->pending.Discard(stops);
    ContinueGroupLocked(tg);
  } else if (DefaultActionFor(sig) == DefaultAction::kStop) {
    tg.pending.Discard(SigSet::Of(SIGCONT));
    for (Task* t : tg.tasks) t->pending.Discard(SigSet::Of(SIGCONT));
  }

  bool blocked =
      thread != nullptr ? thread->mask.Has(sig) : AllThreadsBlock(tg, sig);
  // A blocked signal is queued even if ignored: the handler may change
  // before it is unblocked (Linux's sig_ignored).
  if (!blocked && IsIgnored(act, sig)) return;

  if (sig == SIGKILL) {
    GroupExitLocked(tg, KilledStatus(SIGKILL, false));
    return;
  }
  PendingSignals& q = thread != nullptr ? thread->pending : tg.pending;
  if (!q.Enqueue(info)) return;
  tg.signal_events->Notify(POLLIN | POLLRDNORM);
  WakeForSignalLocked(tg, thread, sig);
}

void Kernel::SendSignal(Task* sender, Task* thread, ThreadGroup* group,
                        const siginfo_t& info) {
  absl::MutexLock l(&mu_);
  SendSignalLocked(sender, thread, group, info);
}

void Kernel::WakeForSignalLocked(ThreadGroup& tg, Task* thread, int sig) {
  // Linux's complete_signal: the named thread, else the main thread, else any
  // thread that does not block the signal.
  Task* target = nullptr;
  auto wants = [sig](Task* t) {
    return !t->mask.Has(sig) || t->sigwait_set.Has(sig);
  };
  if (thread != nullptr) {
    if (wants(thread)) target = thread;
  } else {
    for (Task* t : tg.tasks) {
      if (wants(t) && !t->exited_) {
        target = t;
        break;  // tasks[0] is the leader while it lives
      }
    }
  }
  if (target == nullptr) return;
  const KernelSigAction& act = tg.handlers->actions[sig];
  if (act.handler == kSigDfl && !target->sigwait_set.Has(sig) &&
      DefaultActionFor(sig) == DefaultAction::kTerminate) {
    // Fatal: the whole group dies now rather than when a thread dequeues it.
    // Core-dumping signals go through dequeue (like Linux).
    GroupExitLocked(tg, KilledStatus(sig, false));
    return;
  }
  target->Interrupt();
}

bool Kernel::CanSignal(const Task& sender, const Task& target, int sig) const {
  CredentialsRef s = sender.creds();
  CredentialsRef t = target.creds();
  if (s->HasCapability(CAP_KILL)) return true;
  if (s->effective_uid == t->real_uid || s->effective_uid == t->saved_uid ||
      s->real_uid == t->real_uid || s->real_uid == t->saved_uid) {
    return true;
  }
  // SIGCONT may be sent within a session regardless of ids.
  return sig == SIGCONT && sender.tg().pgrp != nullptr &&
         target.tg().pgrp != nullptr &&
         sender.tg().pgrp->session == target.tg().pgrp->session;
}

ErrnoStatus Kernel::Kill(Task& sender, int pid, const siginfo_t& info) {
  const int sig = info.si_signo;
  if (sig != 0 && !ValidSignal(sig)) return Errno{EINVAL};
  absl::MutexLock l(&mu_);
  auto send_to = [&](ThreadGroup* tg) -> ErrnoStatus {
    Task* leader = tg->leader;
    if (leader == nullptr) return Errno{ESRCH};
    if (!CanSignal(sender, *leader, sig)) return Errno{EPERM};
    if (sig != 0) SendSignalLocked(&sender, nullptr, tg, info);
    return OkErrno();
  };
  if (pid > 0) {
    Task* t = pidns_.FindTask(pid);
    ThreadGroup* tg = t != nullptr ? &t->tg() : pidns_.FindThreadGroup(pid);
    if (tg == nullptr) return Errno{ESRCH};
    return send_to(tg);
  }
  std::vector<ThreadGroup*> targets;
  if (pid == -1) {
    for (auto& [p, tg] : groups_) {
      if (tg.get() != &sender.tg() && !tg->IsInit() && !tg->zombie) {
        targets.push_back(tg.get());
      }
    }
  } else {
    int pgid = pid == 0 ? sender.tg().pgrp->pgid : -pid;
    ProcessGroup* pg = pidns_.FindProcessGroup(pgid);
    if (pg == nullptr) return Errno{ESRCH};
    targets.assign(pg->members.begin(), pg->members.end());
  }
  if (targets.empty()) return Errno{ESRCH};
  ErrnoStatus result = Errno{EPERM};
  for (ThreadGroup* tg : targets) {
    if (send_to(tg).ok()) result = OkErrno();
  }
  return result;
}

ErrnoStatus Kernel::TgKill(Task& sender, int tgid, int tid,
                           const siginfo_t& info) {
  const int sig = info.si_signo;
  if (tid <= 0 || tgid < 0 || (sig != 0 && !ValidSignal(sig))) {
    return Errno{EINVAL};
  }
  absl::MutexLock l(&mu_);
  Task* t = pidns_.FindTask(tid);
  if (t == nullptr || t->exited_ || (tgid > 0 && t->tg().tgid != tgid)) {
    return Errno{ESRCH};
  }
  if (!CanSignal(sender, *t, sig)) return Errno{EPERM};
  if (sig != 0) SendSignalLocked(&sender, t, nullptr, info);
  return OkErrno();
}

void Kernel::GroupExitLocked(ThreadGroup& tg, int status) {
  if (tg.exiting || tg.zombie) return;
  tg.exiting = true;
  tg.exit_status = status;
  tg.stopped = false;
  for (Task* t : tg.tasks) {
    t->set_killed();
    t->Interrupt();
  }
  stop_cv_.SignalAll();
}

void Kernel::ContinueGroupLocked(ThreadGroup& tg) {
  if (!tg.stopped) return;
  tg.stopped = false;
  tg.stop_report = false;
  tg.continue_report = true;
  NotifyParentLocked(tg, CLD_CONTINUED, SIGCONT);
  stop_cv_.SignalAll();
}

void Kernel::NotifyParentLocked(ThreadGroup& child, int code, int status) {
  ThreadGroup* parent = child.parent;
  if (parent == nullptr) return;
  int sig = SIGCHLD;
  if (code == CLD_EXITED || code == CLD_KILLED || code == CLD_DUMPED) {
    sig = child.exit_signal;
  } else if (parent->handlers->actions[SIGCHLD].flags & SA_NOCLDSTOP) {
    sig = 0;
  }
  if (sig != 0) {
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    info.si_signo = sig;
    info.si_code = code;
    info.si_pid = child.tgid;
    info.si_uid = child.leader ? child.leader->creds()->real_uid : 0;
    info.si_status = status;
    info.si_utime = child.utime_ns / 10000000;  // clock ticks (USER_HZ 100)
    info.si_stime = child.stime_ns / 10000000;
    SendSignalLocked(nullptr, nullptr, parent, info);
  }
  parent->child_events.NotifyAll();
}

}  // namespace sentry::kernel
