// Tasks (threads), thread groups (processes), process groups and sessions.
//
// Model (as in Linux and gVisor): a Task is one application thread, run by
// one host thread of the sentry (Task::Run). Tasks sharing CLONE_THREAD form
// a ThreadGroup: the process, with the tgid, the parent/children tree, exit
// status, rlimits, timers and the shared pending signals. CLONE_SIGHAND
// shares one SignalHandlers table. Every ThreadGroup belongs to a
// ProcessGroup, which belongs to a Session.
//
// Lock order: Kernel::mu() (the task-tree and signal lock, one per kernel)
//   -> FutexManager::mu_ -> WaitQueue::mu_ -> Task::block_mu_
//   -> vfs::Waiter's mutex (Interrupt) -> the VFS object's registered mutex.
// Fields marked "kernel mu" are guarded by Kernel::mu(); fields marked
// "task thread" are touched only by the task's own host thread (or before it
// starts). Objects are owned by shared_ptr in the Kernel and freed when
// reaped; raw pointers between them are valid under the kernel mu.
#ifndef SENTRY_KERNEL_TASK_H_
#define SENTRY_KERNEL_TASK_H_

#include <signal.h>
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sentry/kernel/credentials.h"
#include "sentry/kernel/platform_adapter.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/syscall_result.h"
#include "sentry/kernel/timers.h"
#include "sentry/kernel/user_memory.h"
#include "sentry/vfs/events.h"
#include "sentry/vfs/waiter.h"

namespace sentry::kernel {

class Kernel;
class Task;
class ThreadGroup;
class Session;
class PosixTimer;

// A set of blocked tasks to wake together (Linux's wait_queue_head).
// Waking is level-free: Notify marks each waiter notified; a task must
// re-check its condition after Block returns.
class WaitQueue {
 public:
  void Add(Task* t);
  void Remove(Task* t);
  void NotifyAll();

 private:
  absl::Mutex mu_;
  std::list<Task*> waiters_ ABSL_GUARDED_BY(mu_);
};

// RAII: registers a task on a queue for the duration of a wait.
class WaitQueueEntry {
 public:
  WaitQueueEntry(WaitQueue& q, Task* t);
  ~WaitQueueEntry();
  WaitQueueEntry(const WaitQueueEntry&) = delete;
  WaitQueueEntry& operator=(const WaitQueueEntry&) = delete;

 private:
  WaitQueue& q_;
  Task* t_;
};

// The shared table of signal actions (CLONE_SIGHAND).
struct SignalHandlers {
  std::array<KernelSigAction, kMaxSignal + 1> actions{};
};

// Opaque per-task resources owned by other modules (the fd table and the fs
// context of sentry/vfs). CLONE_FILES / CLONE_FS share the pointer; without
// the flag the kernel calls Fork().
class ForkableResource {
 public:
  virtual ~ForkableResource() = default;
  virtual std::shared_ptr<ForkableResource> Fork() = 0;
};

// A session's controlling terminal, opaque to the kernel: the terminal layer
// (sentry/syscalls/sys_tty.cc over sentry/fs/devpts) implements it, so that
// the kernel does not depend on devpts. The kernel only stores it, drops it
// on setsid (a new session has none) and tells it when the session leader
// exits.
class ControllingTerminal {
 public:
  virtual ~ControllingTerminal() = default;
  // The session leader `sid` exited (Linux's disassociate_ctty(1) for a
  // pty: SIGHUP to the foreground process group, the terminal leaves the
  // session). Called without the kernel mu, after the session dropped it.
  virtual void SessionLeaderExited(int sid) = 0;
};

class Session {
 public:
  int sid;
  int group_count = 0;  // process groups in the session (kernel mu)
  // The controlling terminal of the session's processes (kernel mu), null
  // if none. A process that gave it up alone (TIOCNOTTY by a non-leader)
  // has ThreadGroup::ctty_detached set.
  std::shared_ptr<ControllingTerminal> ctty;
};

class ProcessGroup {
 public:
  int pgid;
  std::shared_ptr<Session> session;
  std::set<ThreadGroup*> members;  // kernel mu
};

// Wait status encodings (what wait4 stores in *wstatus).
inline int ExitedStatus(int code) { return (code & 0xff) << 8; }
inline int KilledStatus(int sig, bool core) { return sig | (core ? 0x80 : 0); }
inline int StoppedStatus(int sig) { return (sig << 8) | 0x7f; }
inline constexpr int kContinuedStatus = 0xffff;
// What a shell (and `runsc run`) reports for a wait status: the exit code,
// or 128 + signal number.
int ShellExitCode(int wait_status);

class ThreadGroup {
 public:
  // Immutable after creation.
  int tgid = 0;
  Kernel* kernel = nullptr;

  // kernel mu:
  std::vector<Task*> tasks;  // live tasks, leader first while alive
  Task* leader = nullptr;    // valid until the group is reaped
  ThreadGroup* parent = nullptr;
  std::set<ThreadGroup*> children;
  std::shared_ptr<SignalHandlers> handlers;
  PendingSignals pending;
  std::shared_ptr<ProcessGroup> pgrp;
  int exit_signal = SIGCHLD;  // sent to the parent on exit (clone low byte)

  // The program image as of the last exec (procfs cmdline/environ/exe).
  std::vector<std::string> argv, envp;
  std::string exe;

  bool exiting = false;  // group exit started (exit_group or fatal signal)
  bool zombie = false;   // every task exited; waiting to be reaped
  int exit_status = 0;   // wait status once exiting

  // Job control: a group stop in effect, and reports pending for wait
  // (WUNTRACED/WCONTINUED).
  bool stopped = false;
  int stop_signal = 0;
  bool stop_report = false;
  bool continue_report = false;
  // SIGCHLD-style reports to the parent's waiters.
  WaitQueue child_events;

  std::array<rlimit, RLIM_NLIMITS> rlimits{};
  int pdeath_parent_tgid = 0;
  // This process gave up its session's controlling terminal (TIOCNOTTY by a
  // non-leader); inherited by fork, cleared by setsid (kernel mu).
  bool ctty_detached = false;

  // Notified (POLLIN, under the kernel mu) whenever a signal is queued for
  // the group or one of its threads: signalfd readers and pollers wait here
  // (Linux's sighand->signalfd_wqh). Shared so that a signalfd can keep it
  // alive after the group is reaped.
  const std::shared_ptr<vfs::EventQueue> signal_events =
      std::make_shared<vfs::EventQueue>();

  // Accounting (nanoseconds).
  int64_t utime_ns = 0, stime_ns = 0;
  int64_t child_utime_ns = 0, child_stime_ns = 0;
  absl::Time start_time;

  // Timers (kernel mu).
  std::shared_ptr<PosixTimer> itimer_real;
  // personality(2) flags (PER_LINUX plus ADDR_NO_RANDOMIZE and friends):
  // kept and inherited, not acted on.
  uint32_t personality = 0;  // kernel mu
  // PR_SET_CHILD_SUBREAPER: orphaned descendants are reparented here
  // rather than to init. Kernel mu.
  bool child_subreaper = false;
  // ITIMER_VIRTUAL (user time) and ITIMER_PROF (user + system time) count
  // the CPU time tasks spend in application code (Switch) and in the
  // sentry serving their syscalls; see ChargeCpuItimersLocked (timers.h).
  CpuItimer itimer_virtual, itimer_prof;  // kernel mu
  // Set while either is armed, so that the run loop charges time (taking
  // the kernel mu) only then.
  std::atomic<bool> cpu_itimers_armed{false};
  std::map<int, std::shared_ptr<PosixTimer>> posix_timers;
  int next_timer_id = 0;

  // The container of a multi-container sandbox this process belongs to
  // (docs/multi-container.md): set at creation (init, exec'd processes),
  // inherited by fork/clone, never changed afterwards.
  std::string container_id;
  // The container's first process. When a subcontainer's init exits, the
  // container's other processes are killed, as Linux kills a PID
  // namespace's processes when its init dies (all containers share one
  // PID namespace here, so this is done per container id).
  bool container_init = false;

  // Whether this is the PID namespace's init (pid 1): it ignores signals
  // without a handler that come from inside the namespace.
  bool IsInit() const { return tgid == 1; }
};

class Task {
 public:
  Task(Kernel* k, int tid, std::shared_ptr<ThreadGroup> tg);
  ~Task();

  Kernel& kernel() const { return *kernel_; }
  int tid() const { return tid_; }
  ThreadGroup& tg() const { return *tg_; }
  std::shared_ptr<ThreadGroup> tg_ref() const { return tg_; }
  bool IsLeader() const;

  // --- state owned by the task thread ---
  Registers& regs() { return regs_; }
  UserMemory& mm() { return *mm_; }
  std::shared_ptr<UserMemory> mm_ref() const { return mm_; }
  void set_mm(std::shared_ptr<UserMemory> mm) { mm_ = std::move(mm); }
  platform::Context* context() { return ctx_.get(); }
  // Tests may give a context up front; otherwise Run() makes one through the
  // kernel's ContextFactory on the task thread.
  void set_context(std::unique_ptr<platform::Context> c) {
    ctx_ = std::move(c);
    ctx_for_interrupt_.store(ctx_.get());
  }

  CredentialsRef creds() const;
  void set_creds(Credentials c);

  // Thread name (comm), at most 15 bytes (PR_SET_NAME truncates).
  std::string name() const;
  void set_name(std::string n);

  stack_t altstack{nullptr, SS_DISABLE, 0};
  UserAddr clear_child_tid;
  UserAddr robust_list;
  uint64_t robust_list_len = 0;
  int pdeath_signal = 0;
  bool no_new_privs = false;
  bool keep_caps = false;  // PR_SET_KEEPCAPS
  bool dumpable = true;
  uint64_t cpu_affinity = ~uint64_t{0};
  // restart_syscall(2): re-run the interrupted call (nanosleep).
  std::function<SyscallResult(Task&)> restart_fn;
  // Set once this task has exec'd (kernel mu): a vfork parent resumes.
  bool exec_done = false;
  // Set by exit(2): the thread leaves the run loop with this wait status.
  std::optional<int> exit_request;
  // Accounting of this task (nanoseconds), task thread.
  int64_t utime_ns = 0, stime_ns = 0;

  std::shared_ptr<ForkableResource> files;
  std::shared_ptr<ForkableResource> fs;

  // --- signals (kernel mu) ---
  SigSet mask;
  // The nice value (-20..19) getpriority/setpriority see; the sentry's host
  // threads are not reprioritised (advisory, as sched_setaffinity). Kernel mu.
  int nice = 0;
  // Mask to restore after a sigsuspend/ppoll/pselect call's handler runs.
  std::optional<SigSet> saved_mask;
  PendingSignals pending;
  // Signals this task waits for in rt_sigtimedwait: they wake it although
  // blocked, and are never fatal on arrival (Linux's real_blocked).
  SigSet sigwait_set;

  // --- blocking ---
  // The pattern (gVisor's waiter.Queue): PrepareBlock(); register on the
  // queues; check the condition; Block(); unregister; repeat.
  enum class BlockResult { kNotified, kInterrupted, kTimedOut };
  void PrepareBlock();
  BlockResult Block(std::optional<absl::Time> deadline = std::nullopt);
  // Wakes a Block in progress (or makes the next one return at once).
  void Notify();
  // Interrupts: Block returns kInterrupted and a running Switch stops; the
  // flag stays up until the run loop has handled pending signals.
  void Interrupt();
  bool interrupted() const { return interrupted_.load(); }
  void ClearInterrupt() {
    interrupted_.store(false);
    vfs_waiter_.ClearInterrupt();
  }
  // The waiter VFS operations (pipes, FIFO opens) block with; Interrupt()
  // interrupts it too.
  vfs::Waiter* vfs_waiter() { return &vfs_waiter_; }
  // Set when the task must exit (SIGKILL, group exit, exec by another thread).
  bool killed() const { return killed_.load(); }
  void set_killed() { killed_.store(true); }

  // The run loop: switches into application code until the task exits.
  // Returns when the task is dead. Requires mm() and a context (set, or
  // made by the kernel's ContextFactory).
  void Run();
  // While CPU itimers are armed: a timer-thread wakeup that interrupts the
  // Switch when the first could expire, so a busy loop without syscalls
  // still gets its SIGVTALRM/SIGPROF. 0 when none is armed.
  uint64_t ScheduleCpuItimerWake();

  // Exit of this thread (exit(2)); the group exits when its last thread
  // does. `status` is the wait status for the group if this starts a group
  // exit. Runs clear_child_tid and the robust list first. Task thread.
  void ExitThread(int status);
  bool exited() const { return exited_; }

  // Signal delivery at a return to user mode. `syscall_result` (if any) is
  // the result of the syscall just executed, for the restart decision.
  // Returns false if the task must exit now.
  bool HandleSignals(const SyscallResult* syscall_result);

 private:
  friend class Kernel;
  Kernel* kernel_;
  int tid_;
  std::shared_ptr<ThreadGroup> tg_;
  Registers regs_;
  std::shared_ptr<UserMemory> mm_;
  std::unique_ptr<platform::Context> ctx_;  // task thread
  // What Interrupt() may poke from other threads (set while ctx_ lives).
  std::atomic<platform::Context*> ctx_for_interrupt_{nullptr};

  mutable absl::Mutex creds_mu_;
  CredentialsRef creds_ ABSL_GUARDED_BY(creds_mu_);
  std::string name_ ABSL_GUARDED_BY(creds_mu_);

  absl::Mutex block_mu_;
  absl::CondVar block_cv_;
  bool notified_ ABSL_GUARDED_BY(block_mu_) = false;
  std::atomic<bool> interrupted_{false};

 public:
  // True while the task runs application code (inside Switch): procfs
  // reports such a task as running ('R') rather than sleeping.
  std::atomic<bool> running_app{false};

 private:
  vfs::Waiter vfs_waiter_;
  std::atomic<bool> killed_{false};
  bool exited_ = false;  // kernel mu
};

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_TASK_H_
