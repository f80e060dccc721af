// Exit, zombies, reparenting, reaping and wait4/waitid.
#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

namespace {

// CLD_* code and si_status for an exit wait status.
std::pair<int, int> ExitCode(int status) {
  if ((status & 0x7f) == 0) return {CLD_EXITED, (status >> 8) & 0xff};
  return {(status & 0x80) ? CLD_DUMPED : CLD_KILLED, status & 0x7f};
}

}  // namespace

void Kernel::ThreadExited(Task* t, int status) {
  std::shared_ptr<ControllingTerminal> hangup;
  int sid = 0;
  {
    absl::MutexLock l(&mu_);
    std::shared_ptr<Task> keep = tasks_[t];  // outlive a reap below
    std::shared_ptr<ThreadGroup> tg = t->tg_ref();
    t->exited_ = true;
    exited_user_ns_ += t->utime_ns;
    exited_system_ns_ += t->stime_ns;
    auto& per = exited_by_container_[t->tg().container_id];
    per.first += t->utime_ns;
    per.second += t->stime_ns;
    auto& v = tg->tasks;
    v.erase(std::remove(v.begin(), v.end(), t), v.end());
    if (!t->IsLeader()) {
      // A thread's id is free at once; the leader's stays with the zombie
      // until the process is reaped (Linux keeps the leader's struct pid).
      pidns_.tasks.erase(t->tid());
      pidns_.Unref(t->tid());
      tasks_.erase(t);
    }
    if (tg->tasks.empty()) {
      if (!tg->exiting) {
        tg->exiting = true;
        tg->exit_status = status;
      }
      // A session leader's exit takes the terminal from the session (the
      // hook, outside the kernel mu, hangs up its foreground group).
      if (tg->pgrp != nullptr && tg->pgrp->session->sid == tg->tgid) {
        hangup = std::move(tg->pgrp->session->ctty);
        sid = tg->tgid;
      }
      GroupBecameZombieLocked(*tg);
    }
  }
  if (hangup != nullptr) hangup->SessionLeaderExited(sid);
}

void Kernel::GroupBecameZombieLocked(ThreadGroup& tg) {
  tg.zombie = true;
  exit_statuses_[tg.tgid] = tg.exit_status;
  zombie_cv_.SignalAll();
  if (tg.itimer_real) tg.itimer_real->DisarmLocked();
  for (auto& [id, timer] : tg.posix_timers) timer->DisarmLocked();
  tg.posix_timers.clear();

  // When init dies every other process in the namespace is killed (Linux's
  // zap_pid_ns_processes).
  if (&tg == init_.get()) {
    for (auto& [p, g] : groups_) {
      if (g.get() != &tg) GroupExitLocked(*g, KilledStatus(SIGKILL, false));
    }
  } else if (tg.container_init) {
    // A subcontainer's init: the same, within its container.
    for (auto& [p, g] : groups_) {
      if (g.get() != &tg && g->container_id == tg.container_id && !g->zombie &&
          !g->exiting) {
        GroupExitLocked(*g, KilledStatus(SIGKILL, false));
      }
    }
  }
  // Orphans go to the nearest live ancestor that is a child subreaper,
  // else to init (Linux's find_new_reaper).
  ThreadGroup* reaper = nullptr;
  if (init_.get() != &tg) {
    for (ThreadGroup* a = tg.parent; a != nullptr; a = a->parent) {
      if (a->child_subreaper && !a->exiting && !a->zombie) {
        reaper = a;
        break;
      }
    }
    if (reaper == nullptr) reaper = init_.get();
  }
  std::vector<ThreadGroup*> orphans(tg.children.begin(), tg.children.end());
  tg.children.clear();
  for (ThreadGroup* c : orphans) {
    c->parent = reaper;
    for (Task* ct : c->tasks) {
      if (ct->pdeath_signal != 0) {
        SendSignalLocked(nullptr, ct, nullptr,
                         MakeSigInfo(ct->pdeath_signal, SI_USER, tg.tgid));
      }
    }
    if (reaper != nullptr) {
      reaper->children.insert(c);
      if (c->zombie) {
        auto [code, st] = ExitCode(c->exit_status);
        NotifyParentLocked(*c, code, st);
      }
    } else if (c->zombie) {
      ReapLocked(*c);
    }
  }

  auto [code, st] = ExitCode(tg.exit_status);
  ThreadGroup* parent = tg.parent;
  if (parent != nullptr) {
    const KernelSigAction& act = parent->handlers->actions[SIGCHLD];
    // A parent ignoring SIGCHLD (or with SA_NOCLDWAIT) leaves no zombies.
    bool autoreap = tg.exit_signal == SIGCHLD &&
                    (act.handler == kSigIgn || (act.flags & SA_NOCLDWAIT));
    NotifyParentLocked(tg, code, st);
    if (autoreap) ReapLocked(tg);
  } else if (&tg != init_.get()) {
    // No parent: a process started by `runsc exec`. Nobody in the sandbox
    // can wait for it; WaitPidExit reads exit_statuses_.
    ReapLocked(tg);
  }
  if (&tg == init_.get()) init_exit_cv_.SignalAll();
}

void Kernel::ReapLocked(ThreadGroup& child) {
  std::shared_ptr<ThreadGroup> keep = groups_[&child];
  if (ThreadGroup* p = child.parent) {
    p->children.erase(&child);
    p->child_utime_ns += child.utime_ns + child.child_utime_ns;
    p->child_stime_ns += child.stime_ns + child.child_stime_ns;
  }
  child.parent = nullptr;
  LeaveProcessGroupLocked(child);
  pidns_.thread_groups.erase(child.tgid);
  pidns_.tasks.erase(child.tgid);
  pidns_.Unref(child.tgid);
  if (child.leader != nullptr) tasks_.erase(child.leader);
  groups_.erase(&child);
}

std::optional<WaitResult> Kernel::TryWaitLocked(Task& t, const WaitOptions& o,
                                                bool* any_eligible) {
  *any_eligible = false;
  std::vector<ThreadGroup*> children(t.tg().children.begin(),
                                     t.tg().children.end());
  for (ThreadGroup* c : children) {
    if (o.idtype == P_PID && c->tgid != o.id) continue;
    if (o.idtype == P_PGID && (c->pgrp == nullptr || c->pgrp->pgid != o.id)) {
      continue;
    }
    // A "clone" child reports to its parent with a signal other than
    // SIGCHLD; __WCLONE selects only those, __WALL both.
    bool is_clone = c->exit_signal != SIGCHLD;
    if (!(o.options & __WALL) && is_clone != ((o.options & __WCLONE) != 0)) {
      continue;
    }
    *any_eligible = true;
    WaitResult r;
    r.pid = c->tgid;
    r.uid = c->leader ? c->leader->creds()->real_uid : 0;
    r.utime_ns = c->utime_ns;
    r.stime_ns = c->stime_ns;
    bool consume = !(o.options & WNOWAIT);
    if (c->zombie && (o.options & WEXITED)) {
      r.status = c->exit_status;
      std::tie(r.code, r.cld_status) = ExitCode(c->exit_status);
      if (consume) ReapLocked(*c);
      return r;
    }
    if ((o.options & WSTOPPED) && c->stopped && c->stop_report) {
      r.status = StoppedStatus(c->stop_signal);
      r.code = CLD_STOPPED;
      r.cld_status = c->stop_signal;
      if (consume) c->stop_report = false;
      return r;
    }
    if ((o.options & WCONTINUED) && c->continue_report) {
      r.status = kContinuedStatus;
      r.code = CLD_CONTINUED;
      r.cld_status = SIGCONT;
      if (consume) c->continue_report = false;
      return r;
    }
  }
  return std::nullopt;
}

ErrnoOr<std::optional<WaitResult>> Kernel::Wait(Task& t, const WaitOptions& o) {
  if (!(o.options & (WEXITED | WSTOPPED | WCONTINUED))) return Errno{EINVAL};
  for (;;) {
    t.PrepareBlock();
    WaitQueueEntry entry(t.tg().child_events, &t);
    {
      absl::MutexLock l(&mu_);
      bool any = false;
      std::optional<WaitResult> r = TryWaitLocked(t, o, &any);
      if (r.has_value()) return r;
      if (!any) return Errno{ECHILD};
      if (o.options & WNOHANG) return std::optional<WaitResult>();
    }
    if (t.Block() == Task::BlockResult::kInterrupted) return Errno{EINTR};
  }
}

}  // namespace sentry::kernel
