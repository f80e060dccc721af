// Process and thread syscalls: clone family, exit, wait, ids of the task,
// robust lists and the sched_* basics.
#include <linux/sched.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

SyscallResult DoClone(Task& t, const kernel::CloneArgs& a) {
  auto child = t.kernel().Clone(t, a);
  if (!child.ok()) return SyscallResult::Error(child.error());
  return SyscallResult::Value((*child)->tid());
}

// Clone implements clone(2). Partial: no namespaces, no CLONE_PIDFD.
SyscallResult Clone(Task& t, uint64_t flags, UserAddr stack,
                    UserAddr parent_tid, UserAddr child_tid, uint64_t tls) {
  if (flags & CLONE_PIDFD) return SyscallResult::Error(Errno{EINVAL});
  kernel::CloneArgs a;
  a.flags = flags & ~static_cast<uint64_t>(CSIGNAL);
  a.exit_signal = static_cast<int>(flags & CSIGNAL);
  a.stack = stack;
  a.parent_tid = parent_tid;
  a.child_tid = child_tid;
  a.tls = tls;
  if (a.flags & CLONE_THREAD) a.exit_signal = 0;
  return DoClone(t, a);
}

// Clone3 implements clone3(2). Partial: no set_tid, pidfd or cgroup.
SyscallResult Clone3(Task& t, UserAddr uargs, size_t size) {
  struct clone_args ca;
  constexpr size_t kVer0 = 64;  // CLONE_ARGS_SIZE_VER0
  if (size < kVer0) return SyscallResult::Error(Errno{EINVAL});
  if (size > 4096) return SyscallResult::Error(Errno{E2BIG});
  memset(&ca, 0, sizeof(ca));
  auto s = t.mm().CopyInFull(uargs, &ca, std::min(size, sizeof(ca)));
  if (!s.ok()) return SyscallResult::Error(s.error());
  if (size > sizeof(ca)) {
    // Unknown trailing fields must be zero (Linux's copy_struct_from_user).
    std::vector<uint8_t> rest(size - sizeof(ca));
    std::optional<UserAddr> tail = uargs.Add(sizeof(ca));
    if (!tail || !t.mm().CopyInFull(*tail, rest.data(), rest.size()).ok()) {
      return SyscallResult::Error(Errno{EFAULT});
    }
    for (uint8_t b : rest) {
      if (b != 0) return SyscallResult::Error(Errno{E2BIG});
    }
  }
  if ((ca.flags & CLONE_PIDFD) || ca.set_tid != 0 || ca.set_tid_size != 0 ||
      (ca.flags & CLONE_INTO_CGROUP)) {
    return SyscallResult::Error(Errno{EINVAL});
  }
  if (ca.exit_signal & ~static_cast<uint64_t>(CSIGNAL)) {
    return SyscallResult::Error(Errno{EINVAL});
  }
  if ((ca.stack == 0) != (ca.stack_size == 0)) {
    return SyscallResult::Error(Errno{EINVAL});
  }
  if ((ca.flags & CLONE_CLEAR_SIGHAND) && (ca.flags & CLONE_SIGHAND)) {
    return SyscallResult::Error(Errno{EINVAL});
  }
  kernel::CloneArgs a;
  a.flags = ca.flags & ~static_cast<uint64_t>(CLONE_CLEAR_SIGHAND);
  a.exit_signal = static_cast<int>(ca.exit_signal);
  // clone3 passes the lowest address of the stack.
  a.stack = UserAddr(ca.stack == 0 ? 0 : ca.stack + ca.stack_size);
  a.parent_tid = UserAddr(ca.parent_tid);
  a.child_tid = UserAddr(ca.child_tid);
  a.tls = ca.tls;
  if (a.flags & CLONE_THREAD) a.exit_signal = 0;
  auto child = t.kernel().Clone(t, a);
  if (!child.ok()) return SyscallResult::Error(child.error());
  if (ca.flags & CLONE_CLEAR_SIGHAND) {
    absl::MutexLock l(t.kernel().mu());
    for (auto& act : (*child)->tg().handlers->actions) {
      if (act.handler != kernel::kSigIgn) act = kernel::KernelSigAction{};
    }
  }
  return SyscallResult::Value((*child)->tid());
}

// Fork implements fork(2). Full.
SyscallResult Fork(Task& t) {
  kernel::CloneArgs a;
  return DoClone(t, a);
}

// Vfork implements vfork(2). Partial: the parent resumes on child exit only
// (execve does not release it yet).
SyscallResult Vfork(Task& t) {
  kernel::CloneArgs a;
  a.flags = CLONE_VM | CLONE_VFORK;
  return DoClone(t, a);
}

// Exit implements exit(2): this thread only. Full.
SyscallResult Exit(Task& t, int code) {
  t.exit_request = kernel::ExitedStatus(code);
  t.set_killed();
  return SyscallResult::NoReturn();
}

// ExitGroup implements exit_group(2). Full.
SyscallResult ExitGroup(Task& t, int code) {
  absl::MutexLock l(t.kernel().mu());
  t.kernel().GroupExitLocked(t.tg(), kernel::ExitedStatus(code));
  return SyscallResult::NoReturn();
}

struct rusage MakeRusage(int64_t utime_ns, int64_t stime_ns) {
  struct rusage ru;
  memset(&ru, 0, sizeof(ru));
  ru.ru_utime = DurationToTimeval(absl::Nanoseconds(utime_ns));
  ru.ru_stime = DurationToTimeval(absl::Nanoseconds(stime_ns));
  return ru;
}

// Wait4 implements wait4(2). Full (rusage has times only).
SyscallResult Wait4(Task& t, int pid, UserPtr<int> wstatus, int options,
                    UserPtr<struct rusage> ru) {
  if (options &
      ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) {
    return SyscallResult::Error(Errno{EINVAL});
  }
  kernel::WaitOptions o;
  o.options = options | WEXITED;
  if (pid == INT32_MIN) return SyscallResult::Error(Errno{ESRCH});
  if (pid < -1) {
    o.idtype = P_PGID;
    o.id = -pid;
  } else if (pid == 0) {
    o.idtype = P_PGID;
    auto pg = t.kernel().GetPgid(t, 0);
    if (!pg.ok()) return SyscallResult::Error(pg.error());
    o.id = *pg;
  } else if (pid > 0) {
    o.idtype = P_PID;
    o.id = pid;
  }
  auto r = t.kernel().Wait(t, o);
  if (!r.ok()) {
    if (ToInt(r.error()) == EINTR) {
      return SyscallResult::Restart(kernel::RestartKind::kRestartSys);
    }
    return SyscallResult::Error(r.error());
  }
  if (!r->has_value()) return SyscallResult::Value(0);
  const kernel::WaitResult& w = **r;
  if (!wstatus.IsNull()) {
    auto s = t.mm().CopyOutObj(wstatus, w.status);
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  if (!ru.IsNull()) {
    auto s = t.mm().CopyOutObj(ru, MakeRusage(w.utime_ns, w.stime_ns));
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  return SyscallResult::Value(w.pid);
}

// Waitid implements waitid(2). Partial: no P_PIDFD.
SyscallResult Waitid(Task& t, int idtype, int id, UserPtr<siginfo_t> infop,
                     int options, UserPtr<struct rusage> ru) {
  if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED |
                  __WNOTHREAD | __WCLONE | __WALL)) {
    return SyscallResult::Error(Errno{EINVAL});
  }
  if (!(options & (WEXITED | WSTOPPED | WCONTINUED))) {
    return SyscallResult::Error(Errno{EINVAL});
  }
  kernel::WaitOptions o;
  o.options = options;
  o.idtype = idtype;
  o.id = id;
  switch (idtype) {
    case P_ALL:
      break;
    case P_PID:
      if (id <= 0) return SyscallResult::Error(Errno{EINVAL});
      break;
    case P_PGID:
      if (id < 0) return SyscallResult::Error(Errno{EINVAL});
      if (id == 0) {
        auto pg = t.kernel().GetPgid(t, 0);
        if (!pg.ok()) return SyscallResult::Error(pg.error());
        o.id = *pg;
      }
      break;
    default:
      return SyscallResult::Error(Errno{EINVAL});
  }
  auto r = t.kernel().Wait(t, o);
  if (!r.ok()) {
    if (ToInt(r.error()) == EINTR) {
      return SyscallResult::Restart(kernel::RestartKind::kRestartSys);
    }
    return SyscallResult::Error(r.error());
  }
  siginfo_t info;
  memset(&info, 0, sizeof(info));
  if (r->has_value()) {
    const kernel::WaitResult& w = **r;
    info.si_signo = SIGCHLD;
    info.si_code = w.code;
    info.si_pid = w.pid;
    info.si_uid = w.uid;
    info.si_status = w.cld_status;
  }
  if (!infop.IsNull()) {
    auto s = t.mm().CopyOutObj(infop, info);
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  if (!ru.IsNull() && r->has_value()) {
    auto s = t.mm().CopyOutObj(ru, MakeRusage((*r)->utime_ns, (*r)->stime_ns));
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  return SyscallResult::Value(0);
}

// SetTidAddress implements set_tid_address(2). Full.
SyscallResult SetTidAddress(Task& t, UserAddr tidptr) {
  t.clear_child_tid = tidptr;
  return SyscallResult::Value(t.tid());
}

// SetRobustList implements set_robust_list(2). Full.
SyscallResult SetRobustList(Task& t, UserAddr head, size_t len) {
  if (len != 24) return SyscallResult::Error(Errno{EINVAL});
  t.robust_list = head;
  t.robust_list_len = len;
  return SyscallResult::Value(0);
}

// GetRobustList implements get_robust_list(2). Full.
SyscallResult GetRobustList(Task& t, int pid, UserPtr<uint64_t> head,
                            UserPtr<uint64_t> len) {
  uint64_t h, l;
  {
    absl::MutexLock lock(t.kernel().mu());
    Task* target = FindTaskLocked(t, pid);
    if (target == nullptr) return SyscallResult::Error(Errno{ESRCH});
    if (target != &t && !t.kernel().CanSignal(t, *target, 0)) {
      return SyscallResult::Error(Errno{EPERM});
    }
    h = target->robust_list.value();
    l = target->robust_list_len;
  }
  auto s = t.mm().CopyOutObj(head, h);
  if (!s.ok()) return SyscallResult::Error(s.error());
  return SyscallResult::From(t.mm().CopyOutObj(len, l));
}

SyscallResult Getpid(Task& t) { return SyscallResult::Value(t.tg().tgid); }
SyscallResult Gettid(Task& t) { return SyscallResult::Value(t.tid()); }

// Getppid implements getppid(2): 0 for init, as in Linux's namespaces.
SyscallResult Getppid(Task& t) {
  absl::MutexLock l(t.kernel().mu());
  kernel::ThreadGroup* p = t.tg().parent;
  return SyscallResult::Value(p == nullptr ? 0 : p->tgid);
}

SyscallResult SchedYield(Task& t) {
  std::this_thread::yield();
  return SyscallResult::Value(0);
}

uint64_t CpuMask(Task& t) {
  int n = std::min(t.kernel().NumCpus(), 64);
  return n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
}

// SchedGetaffinity implements sched_getaffinity(2). Partial: at most 64
// CPUs; the mask is advisory (host threads are not pinned).
SyscallResult SchedGetaffinity(Task& t, int pid, size_t len,
                               UserAddr mask_addr) {
  size_t ncpu = static_cast<size_t>(t.kernel().NumCpus());
  if (len * 8 < ncpu || (len & 7) != 0) {
    return SyscallResult::Error(Errno{EINVAL});
  }
  uint64_t mask;
  {
    absl::MutexLock l(t.kernel().mu());
    Task* target = FindTaskLocked(t, pid);
    if (target == nullptr) return SyscallResult::Error(Errno{ESRCH});
    mask = target->cpu_affinity & CpuMask(t);
  }
  size_t n = std::min<size_t>(len, 8);
  auto s = t.mm().CopyOutFull(mask_addr, &mask, n);
  if (!s.ok()) return SyscallResult::Error(s.error());
  return SyscallResult::Value(static_cast<int64_t>(n));
}

// SchedSetaffinity implements sched_setaffinity(2). Partial (see above).
SyscallResult SchedSetaffinity(Task& t, int pid, size_t len,
                               UserAddr mask_addr) {
  uint64_t mask = 0;
  auto s = t.mm().CopyInFull(mask_addr, &mask, std::min<size_t>(len, 8));
  if (!s.ok()) return SyscallResult::Error(s.error());
  mask &= CpuMask(t);
  if (mask == 0) return SyscallResult::Error(Errno{EINVAL});
  absl::MutexLock l(t.kernel().mu());
  Task* target = FindTaskLocked(t, pid);
  if (target == nullptr) return SyscallResult::Error(Errno{ESRCH});
  target->cpu_affinity = mask;
  return SyscallResult::Value(0);
}

// SchedGetscheduler implements sched_getscheduler(2): always SCHED_OTHER.
SyscallResult SchedGetscheduler(Task& t, int pid) {
  if (pid < 0) return SyscallResult::Error(Errno{EINVAL});
  absl::MutexLock l(t.kernel().mu());
  if (FindTaskLocked(t, pid) == nullptr) {
    return SyscallResult::Error(Errno{ESRCH});
  }
  return SyscallResult::Value(SCHED_OTHER);
}

// SchedSetscheduler implements sched_setscheduler(2). Partial: normal
// policies are accepted and ignored; real-time ones return EPERM.
SyscallResult SchedSetscheduler(Task& t, int pid, int policy,
                                UserPtr<int> param) {
  if (pid < 0 || param.IsNull()) return SyscallResult::Error(Errno{EINVAL});
  auto prio = t.mm().CopyInObj(param);
  if (!prio.ok()) return SyscallResult::Error(prio.error());
  {
    absl::MutexLock l(t.kernel().mu());
    if (FindTaskLocked(t, pid) == nullptr) {
      return SyscallResult::Error(Errno{ESRCH});
    }
  }
  switch (policy & ~SCHED_RESET_ON_FORK) {
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
      return *prio == 0 ? SyscallResult::Value(0)
                        : SyscallResult::Error(Errno{EINVAL});
    case SCHED_FIFO:
    case SCHED_RR:
      if (*prio < 1 || *prio > 99) return SyscallResult::Error(Errno{EINVAL});
      return SyscallResult::Error(Errno{EPERM});
    default:
      return SyscallResult::Error(Errno{EINVAL});
  }
}

// SchedGetparam implements sched_getparam(2): priority 0.
SyscallResult SchedGetparam(Task& t, int pid, UserPtr<int> param) {
  if (pid < 0 || param.IsNull()) return SyscallResult::Error(Errno{EINVAL});
  {
    absl::MutexLock l(t.kernel().mu());
    if (FindTaskLocked(t, pid) == nullptr) {
      return SyscallResult::Error(Errno{ESRCH});
    }
  }
  return SyscallResult::From(t.mm().CopyOutObj(param, 0));
}

SyscallResult SchedGetPriorityMax(Task& t, int policy) {
  switch (policy) {
    case SCHED_FIFO:
    case SCHED_RR:
      return SyscallResult::Value(99);
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
      return SyscallResult::Value(0);
    default:
      return SyscallResult::Error(Errno{EINVAL});
  }
}

SyscallResult SchedGetPriorityMin(Task& t, int policy) {
  switch (policy) {
    case SCHED_FIFO:
    case SCHED_RR:
      return SyscallResult::Value(1);
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
      return SyscallResult::Value(0);
    default:
      return SyscallResult::Error(Errno{EINVAL});
  }
}

// The tasks getpriority/setpriority address. Requires the kernel mu.
ErrnoOr<std::vector<Task*>> PriorityTargetsLocked(Task& t, int which, int who) {
  std::vector<Task*> out;
  kernel::PidNamespace& ns = t.kernel().pidns();
  switch (which) {
    case PRIO_PROCESS: {
      Task* target = FindTaskLocked(t, who);
      if (target != nullptr) out.push_back(target);
      break;
    }
    case PRIO_PGRP: {
      int pgid = who == 0 ? t.tg().pgrp->pgid : who;
      for (auto& [tgid, tg] : ns.thread_groups) {
        if (tg->pgrp != nullptr && tg->pgrp->pgid == pgid) {
          for (Task* x : tg->tasks) out.push_back(x);
        }
      }
      break;
    }
    case PRIO_USER: {
      uint32_t uid =
          who == 0 ? t.creds()->real_uid : static_cast<uint32_t>(who);
      for (auto& [tgid, tg] : ns.thread_groups) {
        for (Task* x : tg->tasks) {
          if (x->creds()->real_uid == uid) out.push_back(x);
        }
      }
      break;
    }
    default:
      return Errno{EINVAL};
  }
  if (out.empty()) return Errno{ESRCH};
  return out;
}

// Getpriority implements getpriority(2): 20 - the lowest nice value among
// the targets (the raw syscall convention). Nice values are advisory.
SyscallResult Getpriority(Task& t, int which, int who) {
  absl::MutexLock l(t.kernel().mu());
  ASSIGN_OR_RETURN_ERRNO(std::vector<Task*> targets,
                         PriorityTargetsLocked(t, which, who));
  int best = 19;
  for (Task* x : targets) best = std::min(best, x->nice);
  return SyscallResult::Value(20 - best);
}

// Setpriority implements setpriority(2) with Linux's checks: lowering the
// nice value needs CAP_SYS_NICE (EACCES), changing another user's tasks
// needs a matching uid or CAP_SYS_NICE (EPERM). Advisory.
SyscallResult Setpriority(Task& t, int which, int who, int prio) {
  prio = std::clamp(prio, -20, 19);
  const bool cap = t.creds()->HasCapability(CAP_SYS_NICE);
  const uint32_t euid = t.creds()->effective_uid;
  absl::MutexLock l(t.kernel().mu());
  ASSIGN_OR_RETURN_ERRNO(std::vector<Task*> targets,
                         PriorityTargetsLocked(t, which, who));
  for (Task* x : targets) {
    auto c = x->creds();
    if (!cap && c->real_uid != euid && c->effective_uid != euid) {
      return Errno{EPERM};
    }
    if (prio < x->nice && !cap) return Errno{EACCES};
  }
  for (Task* x : targets) x->nice = prio;
  return SyscallResult::Value(0);
}

}  // namespace

void RegisterThreadSyscalls(SyscallTable& tab) {
  tab.Set(__NR_clone, Adapt<&Clone>, Support::kPartial,
          "no namespaces, no CLONE_PIDFD");
  tab.Set(__NR_clone3, Adapt<&Clone3>, Support::kPartial,
          "no set_tid, pidfd or cgroup");
  tab.Set(__NR_fork, Adapt<&Fork>, Support::kFull);
  tab.Set(__NR_vfork, Adapt<&Vfork>, Support::kPartial,
          "parent released on child exit only");
  tab.Set(__NR_exit, Adapt<&Exit>, Support::kFull);
  tab.Set(__NR_exit_group, Adapt<&ExitGroup>, Support::kFull);
  tab.Set(__NR_wait4, Adapt<&Wait4>, Support::kFull);
  tab.Set(__NR_waitid, Adapt<&Waitid>, Support::kPartial, "no P_PIDFD");
  tab.Set(__NR_set_tid_address, Adapt<&SetTidAddress>, Support::kFull);
  tab.Set(__NR_set_robust_list, Adapt<&SetRobustList>, Support::kFull);
  tab.Set(__NR_get_robust_list, Adapt<&GetRobustList>, Support::kFull);
  tab.Set(__NR_getpid, Adapt<&Getpid>, Support::kFull);
  tab.Set(__NR_gettid, Adapt<&Gettid>, Support::kFull);
  tab.Set(__NR_getppid, Adapt<&Getppid>, Support::kFull);
  tab.Set(__NR_sched_yield, Adapt<&SchedYield>, Support::kFull);
  tab.Set(__NR_sched_getaffinity, Adapt<&SchedGetaffinity>, Support::kPartial,
          "advisory, at most 64 CPUs");
  tab.Set(__NR_sched_setaffinity, Adapt<&SchedSetaffinity>, Support::kPartial,
          "advisory, at most 64 CPUs");
  tab.Set(__NR_sched_getscheduler, Adapt<&SchedGetscheduler>, Support::kFull);
  tab.Set(__NR_sched_setscheduler, Adapt<&SchedSetscheduler>, Support::kPartial,
          "real-time policies refused");
  tab.Set(__NR_sched_getparam, Adapt<&SchedGetparam>, Support::kFull);
  tab.Set(__NR_sched_get_priority_max, Adapt<&SchedGetPriorityMax>,
          Support::kFull);
  tab.Set(__NR_sched_get_priority_min, Adapt<&SchedGetPriorityMin>,
          Support::kFull);
  tab.Set(__NR_getpriority, Adapt<&Getpriority>, Support::kPartial,
          "nice values are kept, host threads are not reprioritised");
  tab.Set(__NR_setpriority, Adapt<&Setpriority>, Support::kPartial,
          "nice values are kept, host threads are not reprioritised");
  tab.Set(__NR_rseq, nullptr, Support::kNone,
          "ENOSYS: glibc and tcmalloc fall back");
}

}  // namespace sentry::syscalls
