// runsc boot (internal): the sandbox process. Started by create with every
// resource as an inherited descriptor; runs boot::RunBoot with the sentry
// (sentry/sandbox) as its kernel.
#include "boot/boot.h"

#include <sys/wait.h>

#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "sentry/sandbox/sandbox_kernel.h"

namespace runsc::cmd {

absl::StatusOr<int> Boot(const Context& ctx) {
  const cli::BootOptions& o = ctx.inv.boot;
  const cli::GlobalOptions& g = ctx.inv.global;
  boot::BootConfig c;
  c.container_id = o.id;
  c.bundle = o.bundle;
  c.spec_fd = o.spec_fd;
  c.controller_fd = o.controller_fd;
  c.start_sync_fd = o.start_sync_fd;
  c.io_fds = o.io_fds;
  c.stdio_fds = o.stdio_fds;
  c.log_fd = o.log_fd;
  c.exit_status_fd = o.exit_status_fd;
  c.log_level = g.debug ? base::LogLevel::kDebug : base::LogLevel::kInfo;
  c.host_network = g.network == "host";
  c.report_seccomp_violations = g.debug;
  sentry::sandbox::SandboxOptions so;
  // --overlay=none (or gVisor's --overlay2=none) writes through to the
  // host; otherwise writes stay in the sandbox (the default).
  so.overlay = g.overlay2 != "none" && g.overlay_mode != "none" &&
               g.overlay_mode != "false";
  so.strace = g.strace;
  so.platform = g.platform;
  c.kernel_factory = [so](boot::KernelArgs args) {
    return sentry::sandbox::NewSandboxKernel(std::move(args), so);
  };
  int init_status = -1;
  c.init_wait_status = &init_status;
  RETURN_IF_ERROR(boot::RunBoot(c));
  // The container's status as ours (engines wait on this process): the exit
  // code, or 128+N for a signal (PID 1 of a namespace cannot die of its own
  // signal).
  if (init_status < 0) return 0;
  if (WIFEXITED(init_status)) return WEXITSTATUS(init_status);
  if (WIFSIGNALED(init_status)) return 128 + WTERMSIG(init_status);
  return 0;
}

}  // namespace runsc::cmd
