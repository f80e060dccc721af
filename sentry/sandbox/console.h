// Terminals of the sandbox (docs/terminals.md): the sentry's side of
// `--console-socket`.
//
// TtyHooks implements devpts' TtyKernel over the sentry kernel (signals to
// process groups, session hangup, the current task) and keeps which session
// has which controlling terminal. TaskTtyCaller is the calling task as a
// terminal ioctl sees it (files.cc dispatches ioctl on a TtyFile to it).
//
// Console: one per terminal process (the root container's init, or an
// `exec -t`): a pair in the container's devpts instance (/dev/pts), the
// replica opened for the process (its stdin/stdout/stderr), and a
// HostBridge copying between the pair's master and the host terminal the
// front end gave us (the replica of a host pty whose master the engine
// holds). After the process exists, Attach makes it the session's
// controlling terminal with the process's group in the foreground, so ^C
// signals the sandbox's foreground group.
//
// Thread-safety: TtyHooks is internally locked (its mutex is a leaf: it is
// never held while calling the kernel or a Pty).
#ifndef SENTRY_SANDBOX_CONSOLE_H_
#define SENTRY_SANDBOX_CONSOLE_H_

#include <map>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "base/unique_fd.h"
#include "sentry/fs/devpts/host_bridge.h"
#include "sentry/fs/devpts/tty.h"
#include "sentry/kernel/kernel.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

namespace sentry::sandbox {

class TtyHooks final : public fs::devpts::TtyKernel,
                       public std::enable_shared_from_this<TtyHooks> {
 public:
  explicit TtyHooks(kernel::Kernel* k) : kernel_(k) {}

  void SignalProcessGroup(int32_t pgid, int sig) override;
  void HangupSession(int32_t sid, const fs::devpts::Pty& tty) override;
  fs::devpts::TtyCaller* CurrentTask() override;

  std::shared_ptr<fs::devpts::Pty> SessionTty(int32_t sid);
  void SetSessionTty(int32_t sid, std::shared_ptr<fs::devpts::Pty> tty);
  void DetachSession(int32_t sid, const fs::devpts::Pty& tty);
  kernel::Kernel* kernel() const { return kernel_; }

 private:
  kernel::Kernel* const kernel_;
  absl::Mutex mu_;
  std::map<int32_t, std::weak_ptr<fs::devpts::Pty>> ctty_ ABSL_GUARDED_BY(mu_);
};

// The task `t` as a terminal sees it.
class TaskTtyCaller final : public fs::devpts::TtyCaller {
 public:
  TaskTtyCaller(kernel::Task& t, TtyHooks& hooks) : t_(&t), hooks_(&hooks) {}

  ErrnoStatus CopyIn(uint64_t addr, std::span<std::byte> dst) override;
  ErrnoStatus CopyOut(uint64_t addr, std::span<const std::byte> src) override;
  int32_t Pid() override;
  int32_t Sid() override;
  int32_t Pgid() override;
  bool HasCapSysAdmin() override;
  uint32_t Fsuid() override;
  uint32_t Fsgid() override;
  bool ProcessGroupInSession(int32_t pgid, int32_t sid) override;
  std::shared_ptr<fs::devpts::Pty> ControllingTty() override;
  void SetControllingTty(std::shared_ptr<fs::devpts::Pty> tty) override;
  void DetachSession(int32_t sid, const fs::devpts::Pty& tty) override;

 private:
  kernel::Task* t_;
  TtyHooks* hooks_;
};

class Console {
 public:
  // Allocates the pair in the devpts mounted at /dev/pts (ctx's root) and
  // starts the bridge to `host` (the host terminal).
  static absl::StatusOr<std::unique_ptr<Console>> Create(
      vfs::VirtualFilesystem* vfs, const vfs::Context& ctx,
      std::shared_ptr<TtyHooks> hooks, base::UniqueFd host);
  ~Console();

  // The replica, open for the process's stdio.
  const vfs::FileRef& replica() const { return replica_; }
  // Makes the terminal the controlling terminal of session `pid` (the new
  // process, a session leader) with its group in the foreground. Drops
  // replica() (the process has its own opens by then).
  absl::Status Attach(int32_t pid);
  // Stops the bridge (idempotent; also on destruction).
  void Stop();

 private:
  Console() = default;
  std::shared_ptr<TtyHooks> hooks_;
  std::shared_ptr<fs::devpts::Pty> pty_;
  vfs::FileRef replica_;
  std::unique_ptr<fs::devpts::HostBridge> bridge_;
};

// The sandbox's hooks, for ConsoleIoctl; null when unset.
void SetSandboxTtyHooks(std::shared_ptr<TtyHooks> hooks);
TtyHooks* SandboxTtyHooks();

// ioctl(2) on a devpts file, served with the task as the terminal's caller;
// nullopt when the syscall is not an ioctl on a terminal (the regular
// dispatcher serves it). The sandbox's dispatcher calls this first.
std::optional<kernel::SyscallResult> ConsoleIoctl(kernel::Task& t);

}  // namespace sentry::sandbox

#endif  // SENTRY_SANDBOX_CONSOLE_H_
