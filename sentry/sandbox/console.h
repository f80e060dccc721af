// Terminals of the sandbox (docs/terminals.md): the sentry's side of
// `--console-socket`.
//
// Console: one per terminal process (the root container's init, or an
// `exec -t`): a pair in the container's devpts instance (/dev/pts), the
// replica opened for the process (its stdin/stdout/stderr), and a
// HostBridge copying between the pair's master and the host terminal the
// front end gave us (the replica of a host pty whose master the engine
// holds). After the process exists, Attach makes it the session's
// controlling terminal with the process's group in the foreground, so ^C
// signals the sandbox's foreground group. Controlling terminals, job
// control and terminal ioctls themselves are sentry/syscalls/sys_tty.h's.
#ifndef SENTRY_SANDBOX_CONSOLE_H_
#define SENTRY_SANDBOX_CONSOLE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "sentry/fs/devpts/host_bridge.h"
#include "sentry/fs/devpts/tty.h"
#include "sentry/kernel/kernel.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

namespace sentry::sandbox {

class Console {
 public:
  // Allocates the pair in the devpts mounted at /dev/pts (ctx's root) and
  // starts the bridge to `host` (the host terminal).
  static absl::StatusOr<std::unique_ptr<Console>> Create(
      vfs::VirtualFilesystem* vfs, const vfs::Context& ctx,
      base::UniqueFd host);
  ~Console();

  // The replica, open for the process's stdio.
  const vfs::FileRef& replica() const { return replica_; }
  // Makes the terminal the controlling terminal of `leader`'s session (the
  // new process, a session leader) with its group in the foreground. Drops
  // replica() (the process has its own opens by then). Call without the
  // kernel mu.
  absl::Status Attach(kernel::Task* leader);
  // Stops the bridge (idempotent; also on destruction).
  void Stop();

 private:
  Console() = default;
  std::shared_ptr<fs::devpts::Pty> pty_;
  vfs::FileRef replica_;
  std::unique_ptr<fs::devpts::HostBridge> bridge_;
};

}  // namespace sentry::sandbox

#endif  // SENTRY_SANDBOX_CONSOLE_H_
