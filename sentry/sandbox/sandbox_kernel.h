// The sentry behind boot's SandboxKernel interface (boot/kernel.h): builds
// the container's file system tree from the spec and the gofer connections,
// runs the spec's process as PID 1 of a sentry Kernel on the chosen
// platform, and answers the control channel (start, wait, signal, ps,
// destroy).
//
// File system (DESIGN.md, container_fs.h): the root is the gofer's rootfs
// (connection 0); by default an overlay with a tmpfs upper layer sits on top
// so writes stay in the sandbox (`--overlay=none` writes through to the
// host, and a read-only root.readonly mount then stays read-only). The
// spec's mounts, read-only and masked paths follow (sentry/fs/mounts); bind
// mounts use gofer connections 1..N in the order of the spec's bind mounts,
// matching the gofer's served mounts.
//
// Process: args (resolved through PATH in the process environment when
// args[0] has no '/', like runc), env, cwd, user (uid, gid, additional
// gids), rlimits, hostname. The root container's stdio is the --stdio-fds;
// with process.terminal those are the host terminal, bridged to a sentry pty
// (console.h). Exec starts further processes (parentless, own session);
// Pause/Resume freeze and thaw every task (Kernel::Freeze); Event reports
// CPU time, memory-file pages and the process count.
//
// Multi-container sandboxes (docs/multi-container.md): further containers
// join with CreateSubcontainer, each with its own gofer connections, mount
// tree (container_fs.h, built like the root container's), stdio and init;
// requests naming a container act on its processes only. The
// implementation is SentryKernel (sentry_kernel.h).
//
// Thread-safety: every method may be called from any control connection.
#ifndef SENTRY_SANDBOX_SANDBOX_KERNEL_H_
#define SENTRY_SANDBOX_SANDBOX_KERNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boot/boot.h"
#include "boot/kernel.h"

namespace sentry::sandbox {

struct SandboxOptions {
  // The overlay over the rootfs (DESIGN.md default). False: writes go to
  // the host through the gofer.
  bool overlay = true;
  bool strace = false;
  std::string platform = "ptrace";
};

// Builds the sentry for boot's kernel factory. Runs before the sentry's
// seccomp filter is installed.
absl::StatusOr<std::unique_ptr<boot::SandboxKernel>> NewSandboxKernel(
    boot::KernelArgs args, const SandboxOptions& options);

}  // namespace sentry::sandbox

#endif  // SENTRY_SANDBOX_SANDBOX_KERNEL_H_
