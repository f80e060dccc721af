// The Kernel: one per sandbox. Owns the PID namespace, every task and thread
// group, the futex table, the timer thread, the configured uname and the
// "reported once" set of unimplemented syscalls.
//
// Process-level operations that touch more than one task live here (clone,
// signals sent to others, exit notification, wait, sessions), under the one
// kernel mutex mu(): the task tree and all signal state. Lock order: see
// task.h. Methods named *Locked require mu(); the others take it.
//
// Kernel release string: "4.4.0" by default, like gVisor, which reports an
// old but widely supported release so that libcs and runtimes do not probe
// for features we lack. Configurable through KernelConfig.
#ifndef SENTRY_KERNEL_KERNEL_H_
#define SENTRY_KERNEL_KERNEL_H_

#include <sys/types.h>
#include <sys/wait.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/pid_namespace.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timers.h"

namespace sentry::kernel {

struct KernelConfig {
  std::string sysname = "Linux";
  std::string nodename = "sandbox";
  std::string release = "4.4.0";
  std::string version = "#1 SMP Sun Jan 10 15:06:54 PST 2016";
  std::string machine = "x86_64";
  std::string domainname = "(none)";
  int num_cpus = 0;        // 0: the host's online CPUs
  uint64_t total_ram = 0;  // bytes; 0: the host's
  int pid_max = PidNamespace::kDefaultPidMax;
};

struct CloneArgs {
  uint64_t flags = 0;  // CLONE_* without the exit signal
  int exit_signal = SIGCHLD;
  UserAddr stack;  // 0: same stack as the parent
  UserAddr parent_tid;
  UserAddr child_tid;
  uint64_t tls = 0;
};

struct WaitOptions {
  int idtype = P_ALL;  // P_ALL, P_PID, P_PGID
  int id = 0;
  int options = 0;  // WNOHANG WUNTRACED/WSTOPPED WEXITED WCONTINUED WNOWAIT
                    // __WALL __WCLONE
};

struct WaitResult {
  int pid = 0;
  int status = 0;  // wait4 encoding
  int code =
      0;  // CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED
  int cld_status = 0;  // exit code or signal (waitid si_status)
  uint32_t uid = 0;
  int64_t utime_ns = 0, stime_ns = 0;
};

// One process as the control channel reports it (runsc ps).
struct ProcessInfo {
  int pid = 0, ppid = 0, pgid = 0, sid = 0;
  uint32_t uid = 0;
  std::string name;
  int threads = 0;
  bool zombie = false;
  absl::Time start_time;
  std::vector<std::string> argv;
  int64_t cpu_ns = 0;           // user + system of its live threads
  std::string container_id;     // ThreadGroup::container_id
  bool container_init = false;  // ThreadGroup::container_init
};

struct NewTaskArgs {
  std::shared_ptr<UserMemory> mm;
  std::unique_ptr<platform::Context> ctx;  // usually null (see ContextFactory)
  Registers regs;
  Credentials creds = Credentials::Root();
  std::string name = "init";
  std::vector<std::string> argv, envp;  // for procfs
  std::string exe;
  std::shared_ptr<ForkableResource> files;
  std::shared_ptr<ForkableResource> fs;
  // ThreadGroup::container_id / container_init of the new process.
  std::string container_id;
  bool container_init = false;
};

class Kernel {
 public:
  explicit Kernel(KernelConfig config = {});
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  const KernelConfig& config() const { return config_; }
  absl::Mutex* mu() const ABSL_LOCK_RETURNED(mu_) { return &mu_; }
  PidNamespace& pidns() { return pidns_; }
  FutexManager& futexes() { return futexes_; }
  TimerQueue& timers() { return timers_; }
  int NumCpus() const;

  // Creates the container's first process: PID 1, a new session and process
  // group. Does not start it (see StartTask).
  ErrnoOr<Task*> CreateInitProcess(NewTaskArgs args);
  // Creates a process started from outside the sandbox (`runsc exec`): no
  // parent (ppid 0, as in gVisor), its own session and process group. It is
  // reaped by the kernel when it exits; WaitPidExit still reports its status.
  // ESRCH once init has exited or before it exists. Does not start it.
  ErrnoOr<Task*> CreateExecProcess(NewTaskArgs args);

  // clone(2)/clone3(2)/fork/vfork. Validates flags like Linux's
  // copy_process. The child is started with StartTask when run mode is on;
  // CLONE_VFORK then blocks the parent until the child exits or execs.
  // The child may have run and exited by the time this returns: the
  // reference keeps its Task readable (its tid) until the caller drops it.
  ErrnoOr<std::shared_ptr<Task>> Clone(Task& parent, const CloneArgs& args);

  // Run mode: each task runs on its own host thread (Task::Run). The
  // dispatcher serves a syscall stop; it is set by sentry/syscalls.
  void SetSyscallDispatcher(std::function<SyscallResult(Task&)> d);
  // How task threads make their platform context (run mode). Without one,
  // only tasks given a context explicitly run.
  void SetContextFactory(ContextFactory f);
  // What execve needs from the VFS and mm (see exec.h).
  void SetExecEnv(ExecEnv env);
  ExecEnv exec_env();
  ContextFactory context_factory();
  SyscallResult DispatchSyscall(Task& t);
  void StartTask(Task* t);
  // Blocks until init has exited; returns its wait status.
  int WaitForInitExit();
  // Sends SIGKILL to every process and waits for all task threads.
  void Shutdown();

  // --- for the sandbox control channel (boot's SandboxKernel) ---
  std::vector<ProcessInfo> Processes();
  // A signal from outside the sandbox: to process `pid`, to its process
  // group (`group`), or to every process (`all`; init last, like runsc's
  // kill --all). Init's protection does not apply (sender is outside).
  // A non-empty `container` limits the targets to that container's
  // processes (`all`: every one of them, its container init last; `pid`
  // outside the container: ESRCH).
  ErrnoStatus SignalFromOutside(int pid, int sig, bool group, bool all,
                                absl::string_view container = {});
  // Blocks until process `pid` has exited; returns its wait status. Does not
  // reap (the parent still can). ESRCH if no such process ever ran.
  ErrnoOr<int> WaitPidExit(int pid);
  // Freeze (runsc pause) of one container: each of its tasks stops at its
  // next return to the sentry (running tasks are interrupted; a blocking
  // syscall is interrupted and restarted after Thaw) and sleeps until Thaw.
  // The pod's other containers run on. SIGKILL still ends frozen tasks, so
  // kill and delete work on a paused container.
  void Freeze(const std::string& container);
  void Thaw(const std::string& container);
  bool frozen(const std::string& container) const;
  // Totals for `runsc events --stats`.
  struct Usage {
    int64_t user_ns = 0, system_ns = 0;
    int processes = 0;  // live thread groups (zombies excluded)
    int threads = 0;
  };
  // A non-empty `container`: that container's processes only.
  Usage GetUsage(absl::string_view container = {});
  // Forgets the CPU time of `container`'s exited threads (the container was
  // deleted; a new one may reuse its id).
  void ForgetContainerUsage(absl::string_view container);

  // --- signals ---
  // Sends `info` to one thread (target_thread) or to a thread group. sender
  // is null for signals from outside the sandbox (control channel) or from
  // the kernel itself. No permission check (see CanSignal).
  void SendSignalLocked(Task* sender, Task* target_thread,
                        ThreadGroup* target_group, const siginfo_t& info)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendSignal(Task* sender, Task* target_thread, ThreadGroup* target_group,
                  const siginfo_t& info);
  // Linux's kill_ok_by_cred: real or effective uid of the sender matches the
  // real or saved uid of the target, or CAP_KILL; SIGCONT within a session.
  bool CanSignal(const Task& sender, const Task& target, int sig) const;
  // kill(2): pid > 0, 0 (own group), -1 (all but init and self), < -1 (group).
  ErrnoStatus Kill(Task& sender, int pid, const siginfo_t& info);
  // tgkill(2)/tkill(2) (tgid 0 = tkill).
  ErrnoStatus TgKill(Task& sender, int tgid, int tid, const siginfo_t& info);
  // Starts a group exit with `status` (a wait status) and kills every thread.
  void GroupExitLocked(ThreadGroup& tg, int status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // --- wait ---
  // wait4/waitid. Returns nullopt for WNOHANG with nothing to report,
  // ECHILD with no eligible child, ERESTARTSYS (EINTR) if interrupted.
  ErrnoOr<std::optional<WaitResult>> Wait(Task& t, const WaitOptions& o);

  // --- sessions and process groups ---
  ErrnoOr<int> SetSid(Task& t);
  ErrnoStatus SetPgid(Task& t, int pid, int pgid);
  ErrnoOr<int> GetPgid(Task& t, int pid);
  ErrnoOr<int> GetSid(Task& t, int pid);
  // Whether process group `pgid` exists and belongs to session `sid`
  // (terminal TIOCSPGRP).
  bool ProcessGroupInSession(int pgid, int sid);

  // --- compatibility visibility ---
  // True the first time `nr` is reported (the caller then logs it once).
  bool FirstUnimplemented(int nr);
  bool strace() const { return strace_; }
  void set_strace(bool on) { strace_ = on; }

  // --- used by Task ---
  void ThreadExited(Task* t, int status);  // after clear_child_tid/robust
  ThreadGroup* InitGroupLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Interrupts the best thread of `tg` to take a group signal.
  void WakeForSignalLocked(ThreadGroup& tg, Task* thread, int sig)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Continues a stopped group (SIGCONT).
  void ContinueGroupLocked(ThreadGroup& tg) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Notifies the parent of a state change of `child` (SIGCHLD + wakeup).
  void NotifyParentLocked(ThreadGroup& child, int code, int status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Signals the task's stop/continue waiters (group-stop in Task::Run).
  absl::CondVar& stop_cv() { return stop_cv_; }
  bool FrozenLocked(const std::string& container) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !frozen_.empty() && frozen_.contains(container);
  }

 private:
  // fork/clone in run mode: the child's host thread, its platform context
  // and (Context::Prepare) its stub in `as` exist before the child does, so
  // that a host refusal (a pids cgroup limit) is EAGAIN to the caller, as
  // Linux's fork under RLIMIT_NPROC/pids.max, not a dead sandbox or child.
  // The thread waits until the clone commits (it then runs the task) or
  // gives up (it then exits).
  struct PendingThread;
  ErrnoOr<std::shared_ptr<PendingThread>> SpawnPendingThread(
      platform::AddressSpace* as);
  // Makes `tg` (not in any process group) the leader of a new session and
  // process group named by its tgid (setsid, init, exec'd processes).
  void NewSessionLocked(ThreadGroup& tg) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives a new process its image, credentials and files from `args`.
  Task* SetUpProcessLocked(Task& t, NewTaskArgs args)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ErrnoOr<std::shared_ptr<Task>> NewTaskLocked(std::shared_ptr<ThreadGroup> tg)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<ThreadGroup> NewThreadGroupLocked(int tgid)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void JoinProcessGroupLocked(ThreadGroup& tg, std::shared_ptr<ProcessGroup> pg)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LeaveProcessGroupLocked(ThreadGroup& tg)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void GroupBecameZombieLocked(ThreadGroup& tg)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReapLocked(ThreadGroup& child) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<WaitResult> TryWaitLocked(Task& t, const WaitOptions& o,
                                          bool* any_eligible)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const KernelConfig config_;
  mutable absl::Mutex mu_;
  PidNamespace pidns_ ABSL_GUARDED_BY(mu_);
  std::map<Task*, std::shared_ptr<Task>> tasks_ ABSL_GUARDED_BY(mu_);
  std::map<ThreadGroup*, std::shared_ptr<ThreadGroup>> groups_
      ABSL_GUARDED_BY(mu_);
  std::shared_ptr<ThreadGroup> init_ ABSL_GUARDED_BY(mu_);
  absl::CondVar init_exit_cv_;
  absl::CondVar zombie_cv_;
  // Exit statuses by pid for WaitPidExit (entry dropped when the pid is
  // reused).
  std::map<int, int> exit_statuses_ ABSL_GUARDED_BY(mu_);
  absl::CondVar stop_cv_;
  // Containers paused (Freeze).
  absl::flat_hash_set<std::string> frozen_ ABSL_GUARDED_BY(mu_);
  // CPU time of threads that have exited (Usage).
  int64_t exited_user_ns_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t exited_system_ns_ ABSL_GUARDED_BY(mu_) = 0;
  // The same per container id: {user, system}.
  std::map<std::string, std::pair<int64_t, int64_t>> exited_by_container_
      ABSL_GUARDED_BY(mu_);

  FutexManager futexes_;
  TimerQueue timers_;

  absl::Mutex unimpl_mu_;
  absl::flat_hash_set<int> unimplemented_ ABSL_GUARDED_BY(unimpl_mu_);
  std::atomic<bool> strace_{false};

  absl::Mutex dispatch_mu_;
  std::function<SyscallResult(Task&)> dispatcher_;
  ContextFactory context_factory_;
  ExecEnv exec_env_;
  absl::Mutex threads_mu_;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(threads_mu_);
};

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_KERNEL_H_
