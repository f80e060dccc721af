#include "sentry/kernel/kernel.h"

#include <sched.h>
#include <unistd.h>

#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "base/logging.h"

namespace sentry::kernel {

namespace {
// Default rlimits of a new container init (Linux's INIT_RLIMITS, with the
// usual container values for NOFILE and NPROC).
void DefaultRlimits(std::array<rlimit, RLIM_NLIMITS>& r) {
  for (auto& l : r) l = {RLIM_INFINITY, RLIM_INFINITY};
  r[RLIMIT_CORE] = {0, RLIM_INFINITY};
  r[RLIMIT_STACK] = {8 << 20, RLIM_INFINITY};
  r[RLIMIT_NOFILE] = {1024, 1048576};
  r[RLIMIT_MEMLOCK] = {64 << 10, 64 << 10};
  r[RLIMIT_SIGPENDING] = {63459, 63459};
  r[RLIMIT_MSGQUEUE] = {819200, 819200};
  r[RLIMIT_NPROC] = {63459, 63459};
}
}  // namespace

Kernel::Kernel(KernelConfig config)
    : config_(std::move(config)), pidns_(config_.pid_max) {}

Kernel::~Kernel() { Shutdown(); }

int Kernel::NumCpus() const {
  if (config_.num_cpus > 0) return config_.num_cpus;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::shared_ptr<ThreadGroup> Kernel::NewThreadGroupLocked(int tgid) {
  auto tg = std::make_shared<ThreadGroup>();
  tg->tgid = tgid;
  tg->kernel = this;
  tg->start_time = absl::Now();
  groups_[tg.get()] = tg;
  pidns_.thread_groups[tgid] = tg.get();
  exit_statuses_.erase(tgid);
  return tg;
}

ErrnoOr<std::shared_ptr<Task>> Kernel::NewTaskLocked(
    std::shared_ptr<ThreadGroup> tg) {
  ASSIGN_OR_RETURN_ERRNO(int tid, pidns_.Allocate());
  if (tg == nullptr) tg = NewThreadGroupLocked(tid);
  auto t = std::make_shared<Task>(this, tid, tg);
  tasks_[t.get()] = t;
  pidns_.tasks[tid] = t.get();
  tg->tasks.push_back(t.get());
  if (tg->leader == nullptr) tg->leader = t.get();
  return t;
}

void Kernel::JoinProcessGroupLocked(ThreadGroup& tg,
                                    std::shared_ptr<ProcessGroup> pg) {
  pg->members.insert(&tg);
  tg.pgrp = std::move(pg);
}

void Kernel::LeaveProcessGroupLocked(ThreadGroup& tg) {
  if (tg.pgrp == nullptr) return;
  std::shared_ptr<ProcessGroup> pg = std::move(tg.pgrp);
  pg->members.erase(&tg);
  if (pg->members.empty()) {
    pidns_.process_groups.erase(pg->pgid);
    pidns_.Unref(pg->pgid);
    // The session lives while one of its groups does.
    if (--pg->session->group_count == 0) {
      pidns_.sessions.erase(pg->session->sid);
      pidns_.Unref(pg->session->sid);
    }
  }
}

void Kernel::NewSessionLocked(ThreadGroup& tg) {
  auto session = std::make_shared<Session>();
  session->sid = tg.tgid;
  pidns_.Ref(tg.tgid);
  pidns_.sessions[tg.tgid] = session.get();
  auto pg = std::make_shared<ProcessGroup>();
  pg->pgid = tg.tgid;
  pg->session = session;
  session->group_count++;
  pidns_.Ref(tg.tgid);
  pidns_.process_groups[tg.tgid] = pg.get();
  JoinProcessGroupLocked(tg, pg);
}

Task* Kernel::SetUpProcessLocked(Task& t, NewTaskArgs args) {
  ThreadGroup& tg = t.tg();
  t.mm_ = std::move(args.mm);
  t.ctx_ = std::move(args.ctx);
  t.regs_ = args.regs;
  t.set_creds(std::move(args.creds));
  t.set_name(args.name);
  tg.argv = std::move(args.argv);
  tg.envp = std::move(args.envp);
  tg.exe = std::move(args.exe);
  t.files = std::move(args.files);
  t.fs = std::move(args.fs);
  tg.container_id = std::move(args.container_id);
  tg.container_init = args.container_init;
  return &t;
}

ErrnoOr<Task*> Kernel::CreateInitProcess(NewTaskArgs args) {
  absl::MutexLock l(&mu_);
  if (init_ != nullptr) return Errno{EEXIST};
  ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<Task> t, NewTaskLocked(nullptr));
  ThreadGroup& tg = t->tg();
  init_ = t->tg_ref();
  tg.handlers = std::make_shared<SignalHandlers>();
  DefaultRlimits(tg.rlimits);
  NewSessionLocked(tg);
  return SetUpProcessLocked(*t, std::move(args));
}

ErrnoOr<Task*> Kernel::CreateExecProcess(NewTaskArgs args) {
  absl::MutexLock l(&mu_);
  if (init_ == nullptr || init_->zombie || init_->exiting) return Errno{ESRCH};
  ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<Task> t, NewTaskLocked(nullptr));
  ThreadGroup& tg = t->tg();
  tg.handlers = std::make_shared<SignalHandlers>();
  // Limits as init's: gVisor gives exec'd processes the container's limits.
  tg.rlimits = init_->rlimits;
  NewSessionLocked(tg);
  return SetUpProcessLocked(*t, std::move(args));
}

struct Kernel::PendingThread {
  absl::Mutex mu;
  bool reported ABSL_GUARDED_BY(mu) = false;
  bool prepared ABSL_GUARDED_BY(mu) = false;
  bool decided ABSL_GUARDED_BY(mu) = false;
  std::shared_ptr<Task> task ABSL_GUARDED_BY(mu);

  // The first decision wins: the task to run, or null to give up.
  void Decide(std::shared_ptr<Task> t) {
    absl::MutexLock l(&mu);
    if (decided) return;
    decided = true;
    task = std::move(t);
  }
};

ErrnoOr<std::shared_ptr<Kernel::PendingThread>> Kernel::SpawnPendingThread(
    platform::AddressSpace* as) {
  auto p = std::make_shared<PendingThread>();
  ContextFactory factory = context_factory();
  auto body = [p, as, factory] {
    std::unique_ptr<platform::Context> ctx;
    bool ok = false;
    absl::StatusOr<std::unique_ptr<platform::Context>> c = factory();
    if (c.ok()) {
      ctx = std::move(*c);
      ok = as == nullptr || ctx->Prepare(*as).ok();
    }
    std::shared_ptr<Task> t;
    {
      absl::MutexLock l(&p->mu);
      p->reported = true;
      p->prepared = ok;
      p->mu.Await(absl::Condition(&p->decided));
      t = std::move(p->task);
    }
    if (t == nullptr || !ok) return;  // ctx is released on this thread
    t->set_context(std::move(ctx));
    t->Run();
  };
  try {
    std::thread th(body);
    absl::MutexLock l(&threads_mu_);
    threads_.push_back(std::move(th));
  } catch (const std::system_error& e) {
    LOG(DEBUG) << "clone: host thread refused: " << e.what();
    return Errno{EAGAIN};
  }
  absl::MutexLock l(&p->mu);
  p->mu.Await(absl::Condition(&p->reported));
  if (!p->prepared) {
    p->decided = true;  // the thread exits
    return Errno{EAGAIN};
  }
  return p;
}

ErrnoOr<std::shared_ptr<Task>> Kernel::Clone(Task& parent, const CloneArgs& a) {
  const uint64_t f = a.flags;
  // Linux's copy_process checks, in its order.
  if ((f & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS)) {
    return Errno{EINVAL};
  }
  if ((f & CLONE_THREAD) && !(f & CLONE_SIGHAND)) return Errno{EINVAL};
  if ((f & CLONE_SIGHAND) && !(f & CLONE_VM)) return Errno{EINVAL};
  if (a.exit_signal < 0 || a.exit_signal > kMaxSignal) return Errno{EINVAL};
  constexpr uint64_t kNamespaces = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                                   CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                   CLONE_NEWCGROUP;
  // Partial: namespaces inside the sandbox are not supported.
  if (f & kNamespaces) return Errno{EINVAL};

  std::shared_ptr<UserMemory> mm;
  if (f & CLONE_VM) {
    mm = parent.mm_ref();
  } else if (parent.mm_ref() != nullptr) {
    ASSIGN_OR_RETURN_ERRNO(mm, parent.mm().Fork());
  }

  std::shared_ptr<PendingThread> pending;
  if (context_factory()) {
    ASSIGN_OR_RETURN_ERRNO(
        pending, SpawnPendingThread(mm ? mm->address_space() : nullptr));
  }
  // Every early return below gives the pending thread up.
  absl::Cleanup give_up = [&] {
    if (pending) pending->Decide(nullptr);
  };

  std::shared_ptr<Task> child;
  {
    absl::MutexLock l(&mu_);
    ThreadGroup& ptg = parent.tg();
    if ((f & CLONE_PARENT) && ptg.IsInit()) return Errno{EINVAL};
    if (ptg.exiting) return Errno{EINTR};  // Linux: fatal signal pending
    if (f & CLONE_THREAD) {
      ASSIGN_OR_RETURN_ERRNO(child, NewTaskLocked(parent.tg_ref()));
    } else {
      ASSIGN_OR_RETURN_ERRNO(child, NewTaskLocked(nullptr));
      ThreadGroup& ctg = child->tg();
      ctg.parent = (f & CLONE_PARENT) ? ptg.parent : &ptg;
      if (ctg.parent == nullptr) ctg.parent = &ptg;
      ctg.parent->children.insert(&ctg);
      ctg.exit_signal = a.exit_signal;
      ctg.rlimits = ptg.rlimits;
      ctg.argv = ptg.argv;
      ctg.envp = ptg.envp;
      ctg.exe = ptg.exe;
      ctg.personality = ptg.personality;
      ctg.handlers = (f & CLONE_SIGHAND)
                         ? ptg.handlers
                         : std::make_shared<SignalHandlers>(*ptg.handlers);
      JoinProcessGroupLocked(ctg, ptg.pgrp);
      ctg.ctty_detached = ptg.ctty_detached;
      ctg.container_id = ptg.container_id;
    }
    child->mask = parent.mask;
    child->nice = parent.nice;
  }

  child->mm_ = std::move(mm);
  child->regs_ = parent.regs_;
  child->regs_.SetReturn(0);
  if (!a.stack.IsNull()) child->regs_.gp().rsp = a.stack.value();
  if (f & CLONE_SETTLS) child->regs_.gp().fs_base = a.tls;
  child->set_creds(*parent.creds());
  child->set_name(parent.name());
  child->no_new_privs = parent.no_new_privs;
  child->keep_caps = parent.keep_caps;
  child->cpu_affinity = parent.cpu_affinity;
  // Linux clears the alternate stack for CLONE_VM without CLONE_VFORK.
  if ((f & CLONE_VM) && !(f & CLONE_VFORK)) {
    child->altstack = {nullptr, SS_DISABLE, 0};
  } else {
    child->altstack = parent.altstack;
  }
  if (parent.files != nullptr) {
    child->files = (f & CLONE_FILES) ? parent.files : parent.files->Fork();
  }
  if (parent.fs != nullptr) {
    child->fs = (f & CLONE_FS) ? parent.fs : parent.fs->Fork();
  }

  uint32_t tid = static_cast<uint32_t>(child->tid());
  if (f & CLONE_PARENT_SETTID) {
    (void)parent.mm().CopyOutObj(UserPtr<uint32_t>(a.parent_tid), tid);
  }
  if ((f & CLONE_CHILD_SETTID) && child->mm_ != nullptr) {
    (void)child->mm().CopyOutObj(UserPtr<uint32_t>(a.child_tid), tid);
  }
  if (f & CLONE_CHILD_CLEARTID) child->clear_child_tid = a.child_tid;

  if (pending) {
    pending->Decide(child);
  } else {
    StartTask(child.get());
  }
  if (f & CLONE_VFORK) {
    // The parent sleeps until the child exits or execs. Signals
    // are not taken meanwhile, like Linux's uninterruptible vfork wait
    // (which only SIGKILL breaks).
    ThreadGroup* ctg = &child->tg();
    absl::MutexLock l(&mu_);
    auto done = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return child->exited_ || child->exec_done || ctg->zombie ||
             parent.killed();
    };
    mu_.Await(absl::Condition(&done));
  }
  return child;
}

void Kernel::SetSyscallDispatcher(std::function<SyscallResult(Task&)> d) {
  absl::MutexLock l(&dispatch_mu_);
  dispatcher_ = std::move(d);
}

void Kernel::SetContextFactory(ContextFactory f) {
  absl::MutexLock l(&dispatch_mu_);
  context_factory_ = std::move(f);
}

void Kernel::SetExecEnv(ExecEnv env) {
  absl::MutexLock l(&dispatch_mu_);
  exec_env_ = std::move(env);
}

ExecEnv Kernel::exec_env() {
  absl::MutexLock l(&dispatch_mu_);
  return exec_env_;
}

ContextFactory Kernel::context_factory() {
  absl::MutexLock l(&dispatch_mu_);
  return context_factory_;
}

SyscallResult Kernel::DispatchSyscall(Task& t) {
  std::function<SyscallResult(Task&)> d;
  {
    absl::MutexLock l(&dispatch_mu_);
    d = dispatcher_;
  }
  if (!d) return SyscallResult::Error(Errno{ENOSYS});
  return d(t);
}

void Kernel::StartTask(Task* t) {
  std::shared_ptr<Task> ref;
  {
    absl::MutexLock l(&mu_);
    auto it = tasks_.find(t);
    if (it == tasks_.end()) return;
    ref = it->second;
  }
  if (ref->context() == nullptr && !context_factory()) {
    return;  // not in run mode (handler tests)
  }
  {
    absl::MutexLock l(&threads_mu_);
    try {
      threads_.emplace_back([ref] { ref->Run(); });
      return;
    } catch (const std::system_error& e) {
      // The host refused a thread (a pids cgroup limit). The process never
      // runs: it exits as if SIGKILLed (its waiter sees that), and the
      // sandbox lives on.
      LOG(WARNING) << "task " << ref->tid() << ": no host thread (" << e.what()
                   << "): killed";
    }
  }
  {
    absl::MutexLock l(&mu_);
    GroupExitLocked(ref->tg(), KilledStatus(SIGKILL, false));
  }
  ref->ExitThread(KilledStatus(SIGKILL, false));
}

int Kernel::WaitForInitExit() {
  absl::MutexLock l(&mu_);
  if (init_ == nullptr) return 0;
  while (!init_->zombie) init_exit_cv_.Wait(&mu_);
  return init_->exit_status;
}

void Kernel::Shutdown() {
  {
    absl::MutexLock l(&mu_);
    for (auto& [ptr, tg] : groups_) {
      if (!tg->zombie && !tg->exiting) {
        GroupExitLocked(*tg, KilledStatus(SIGKILL, false));
      }
    }
  }
  std::vector<std::thread> threads;
  for (;;) {
    {
      absl::MutexLock l(&threads_mu_);
      threads.swap(threads_);
    }
    if (threads.empty()) break;
    for (auto& th : threads) th.join();
    threads.clear();
  }
}

std::vector<ProcessInfo> Kernel::Processes() {
  absl::MutexLock l(&mu_);
  std::vector<ProcessInfo> out;
  for (auto& [tgid, tg] : pidns_.thread_groups) {
    ProcessInfo p;
    p.pid = tgid;
    p.ppid = tg->parent ? tg->parent->tgid : 0;
    p.pgid = tg->pgrp ? tg->pgrp->pgid : 0;
    p.sid = tg->pgrp ? tg->pgrp->session->sid : 0;
    if (tg->leader != nullptr) {
      p.uid = tg->leader->creds()->real_uid;
      p.name = tg->leader->name();
    }
    p.threads = static_cast<int>(tg->tasks.size());
    p.zombie = tg->zombie;
    p.start_time = tg->start_time;
    p.argv = tg->argv;
    for (Task* t : tg->tasks) p.cpu_ns += t->utime_ns + t->stime_ns;
    p.container_id = tg->container_id;
    p.container_init = tg->container_init;
    out.push_back(std::move(p));
  }
  return out;
}

ErrnoStatus Kernel::SignalFromOutside(int pid, int sig, bool group, bool all,
                                      absl::string_view container) {
  if (!ValidSignal(sig)) return Errno{EINVAL};
  absl::MutexLock l(&mu_);
  siginfo_t info = MakeSigInfo(sig, SI_USER, 0, 0);
  auto in_container = [&](const ThreadGroup* tg) {
    return container.empty() || tg->container_id == container;
  };
  std::vector<ThreadGroup*> targets;
  if (all && !container.empty()) {
    ThreadGroup* cinit = nullptr;
    for (auto& [tgid, tg] : pidns_.thread_groups) {
      if (!in_container(tg)) continue;
      if (tg->IsInit() || tg->container_init) {
        cinit = tg;
      } else {
        targets.push_back(tg);
      }
    }
    if (cinit != nullptr) targets.push_back(cinit);
  } else if (all) {
    for (auto& [tgid, tg] : pidns_.thread_groups) {
      if (!tg->IsInit()) targets.push_back(tg);
    }
    if (init_ != nullptr) targets.push_back(init_.get());
  } else if (group) {
    ThreadGroup* tg = pidns_.FindThreadGroup(pid);
    if (tg == nullptr || tg->pgrp == nullptr || !in_container(tg)) {
      return Errno{ESRCH};
    }
    for (ThreadGroup* m : tg->pgrp->members) {
      if (in_container(m)) targets.push_back(m);
    }
  } else {
    ThreadGroup* tg = pidns_.FindThreadGroup(pid);
    if (tg == nullptr || !in_container(tg)) return Errno{ESRCH};
    targets.push_back(tg);
  }
  for (ThreadGroup* tg : targets) SendSignalLocked(nullptr, nullptr, tg, info);
  return OkErrno();
}

ErrnoOr<int> Kernel::WaitPidExit(int pid) {
  absl::MutexLock l(&mu_);
  for (;;) {
    ThreadGroup* tg = pidns_.FindThreadGroup(pid);
    if (tg != nullptr && tg->zombie) return tg->exit_status;
    if (tg == nullptr) {
      auto it = exit_statuses_.find(pid);
      if (it == exit_statuses_.end()) return Errno{ESRCH};
      return it->second;
    }
    zombie_cv_.Wait(&mu_);
  }
}

void Kernel::Freeze(const std::string& container) {
  absl::MutexLock l(&mu_);
  frozen_.insert(container);
  // Running tasks leave application code and park in HandleSignals; blocked
  // ones return from their syscall (restarted after Thaw) and park there.
  for (auto& [ptr, t] : tasks_) {
    if (!t->exited_ && t->tg().container_id == container) t->Interrupt();
  }
}

void Kernel::Thaw(const std::string& container) {
  absl::MutexLock l(&mu_);
  frozen_.erase(container);
  stop_cv_.SignalAll();
}

bool Kernel::frozen(const std::string& container) const {
  absl::MutexLock l(&mu_);
  return FrozenLocked(container);
}

Kernel::Usage Kernel::GetUsage(absl::string_view container) {
  absl::MutexLock l(&mu_);
  Usage u;
  if (container.empty()) {
    u.user_ns = exited_user_ns_;
    u.system_ns = exited_system_ns_;
  } else {
    auto it = exited_by_container_.find(std::string(container));
    if (it != exited_by_container_.end()) {
      u.user_ns = it->second.first;
      u.system_ns = it->second.second;
    }
  }
  for (auto& [ptr, t] : tasks_) {
    if (t->exited_) continue;
    if (!container.empty() && t->tg().container_id != container) continue;
    // Read without the task's own synchronisation: a sample, not a ledger.
    u.user_ns += t->utime_ns;
    u.system_ns += t->stime_ns;
    ++u.threads;
  }
  for (auto& [ptr, tg] : groups_) {
    if (!container.empty() && tg->container_id != container) continue;
    if (!tg->zombie) ++u.processes;
  }
  return u;
}

void Kernel::ForgetContainerUsage(absl::string_view container) {
  absl::MutexLock l(&mu_);
  exited_by_container_.erase(std::string(container));
}

bool Kernel::FirstUnimplemented(int nr) {
  absl::MutexLock l(&unimpl_mu_);
  return unimplemented_.insert(nr).second;
}

ThreadGroup* Kernel::InitGroupLocked() { return init_.get(); }

ErrnoOr<int> Kernel::SetSid(Task& t) {
  absl::MutexLock l(&mu_);
  ThreadGroup& tg = t.tg();
  // EPERM if the caller is already a process group leader, or any group
  // uses its pid as pgid.
  if (pidns_.FindProcessGroup(tg.tgid) != nullptr) return Errno{EPERM};
  LeaveProcessGroupLocked(tg);
  NewSessionLocked(tg);
  // The new session has no controlling terminal (Linux's proc_clear_tty).
  tg.ctty_detached = false;
  return tg.tgid;
}

ErrnoStatus Kernel::SetPgid(Task& t, int pid, int pgid) {
  if (pgid < 0) return Errno{EINVAL};
  absl::MutexLock l(&mu_);
  ThreadGroup& self = t.tg();
  ThreadGroup* target = &self;
  if (pid != 0 && pid != self.tgid) {
    target = pidns_.FindThreadGroup(pid);
    // Only the caller or one of its children.
    if (target == nullptr || target->parent != &self) return Errno{ESRCH};
    if (target->pgrp->session != self.pgrp->session) return Errno{EPERM};
    // Linux: EACCES once the child has execve'd (not tracked yet).
  }
  if (pgid == 0) pgid = target->tgid;
  // A session leader cannot change its group.
  if (target->pgrp->session->sid == target->tgid) return Errno{EPERM};
  if (target->pgrp->pgid == pgid) return OkErrno();
  ProcessGroup* existing = pidns_.FindProcessGroup(pgid);
  std::shared_ptr<ProcessGroup> pg;
  if (existing != nullptr) {
    if (existing->session != self.pgrp->session) return Errno{EPERM};
    pg = (*existing->members.begin())->pgrp;
  } else {
    if (pgid != target->tgid) return Errno{EPERM};
    pg = std::make_shared<ProcessGroup>();
    pg->pgid = pgid;
    pg->session = target->pgrp->session;
    pg->session->group_count++;
    pidns_.Ref(pgid);
    pidns_.process_groups[pgid] = pg.get();
  }
  LeaveProcessGroupLocked(*target);
  JoinProcessGroupLocked(*target, pg);
  return OkErrno();
}

ErrnoOr<int> Kernel::GetPgid(Task& t, int pid) {
  absl::MutexLock l(&mu_);
  ThreadGroup* tg = pid == 0 ? &t.tg() : pidns_.FindThreadGroup(pid);
  if (tg == nullptr || tg->pgrp == nullptr) return Errno{ESRCH};
  return tg->pgrp->pgid;
}

ErrnoOr<int> Kernel::GetSid(Task& t, int pid) {
  absl::MutexLock l(&mu_);
  ThreadGroup* tg = pid == 0 ? &t.tg() : pidns_.FindThreadGroup(pid);
  if (tg == nullptr || tg->pgrp == nullptr) return Errno{ESRCH};
  return tg->pgrp->session->sid;
}

bool Kernel::ProcessGroupInSession(int pgid, int sid) {
  absl::MutexLock l(&mu_);
  ProcessGroup* pg = pidns_.FindProcessGroup(pgid);
  return pg != nullptr && pg->session != nullptr && pg->session->sid == sid;
}

}  // namespace sentry::kernel
