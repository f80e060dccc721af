// Terminals and the kernel: the devpts hooks (TtyKernel, TtyCaller) over
// kernel::Kernel and kernel::Task, and terminal ioctls (TCGETS, TIOCGWINSZ,
// TIOCSCTTY, job control...) on devpts files.
//
// Where the controlling terminal lives: kernel::Session::ctty, an opaque
// kernel::ControllingTerminal that this file implements (PtyTerminal, a weak
// reference to the devpts Pty). The kernel never sees devpts: it stores the
// handle, drops it with the session (setsid makes a new session without
// one), copies nothing on fork (children share the session) and calls
// SessionLeaderExited when the leader exits. A registry keyed by sid here
// would need the kernel to tell it when sessions die and sids are reused;
// a field of the session dies with it. A process that gave the terminal up
// alone (TIOCNOTTY by a non-leader) is marked ThreadGroup::ctty_detached.
//
// The current task (TtyKernel::CurrentTask, for opens of /dev/tty, ptys
// acquiring a controlling terminal and job control in read/write) is
// kernel::CurrentTask(): a thread_local that Task::Run sets on each task's
// host thread for the task's life. Every syscall of a task runs on that
// thread, so during an open/read/write it is the caller; other sentry
// threads (the console bridge) see null, which devpts treats as "no task".
//
// Locking: hooks take the kernel mu themselves and are called by devpts
// without Pty::mu_ (devpts' contract), so the order is kernel mu -> (never
// Pty::mu_ under it: weak_ptr::lock only).
#ifndef SENTRY_SYSCALLS_SYS_TTY_H_
#define SENTRY_SYSCALLS_SYS_TTY_H_

#include <memory>
#include <optional>

#include "sentry/fs/devpts/tty.h"
#include "sentry/kernel/kernel.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"

namespace sentry::syscalls {

// Serves ioctl `cmd` if `f` is a terminal; nullopt otherwise.
std::optional<SyscallResult> TtyIoctl(Task& t, const vfs::FileRef& f,
                                      uint32_t cmd, uint64_t arg);

// The kernel's side of terminals for devpts, one per sandbox (passed to
// fs::devfs::RegisterDevfs). `k` must outlive it.
std::shared_ptr<fs::devpts::TtyKernel> NewTtyKernel(kernel::Kernel* k);

// devpts' view of a calling task. Public for tests.
class TaskTtyCaller final : public fs::devpts::TtyCaller {
 public:
  explicit TaskTtyCaller(Task* t) : t_(t) {}
  void set_task(Task* t) { t_ = t; }

  ErrnoStatus CopyIn(uint64_t addr, std::span<std::byte> dst) override;
  ErrnoStatus CopyOut(uint64_t addr, std::span<const std::byte> src) override;
  int32_t Pid() override;
  int32_t Sid() override;
  int32_t Pgid() override;
  bool HasCapSysAdmin() override;
  uint32_t Fsuid() override;
  uint32_t Fsgid() override;
  bool ProcessGroupInSession(int32_t pgid, int32_t sid) override;
  bool ProcessGroupExists(int32_t pgid) override;
  std::shared_ptr<fs::devpts::Pty> ControllingTty() override;
  void SetControllingTty(std::shared_ptr<fs::devpts::Pty> tty) override;
  void DetachSession(int32_t sid, const fs::devpts::Pty& tty) override;
  ErrnoStatus BackgroundAccess(int sig) override;

 private:
  Task* t_;
};

// Sends `sig` (from the kernel, SI_KERNEL) to every process of group
// `pgid`, as Linux's kill_pgrp with a privileged sender: init (pid 1) only
// gets it if it has a handler. Takes the kernel mu.
void SignalProcessGroup(kernel::Kernel& k, int32_t pgid, int sig);

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_SYS_TTY_H_
