// `runsc boot`: the sandbox process.
//
// RunBoot turns the freshly started process into the sandbox, in order:
//  1. Checks the named descriptors and reads the spec (JSON) from --spec-fd.
//  2. Start sync, part one: waits for `go` on --start-sync-fd (the front end
//     sends it after placing the sandbox in its cgroup).
//  3. SetupSandbox (sandbox_setup.h): every other descriptor closed, new
//     mount/IPC/UTS/network namespaces (PID namespace: must already be PID 1,
//     the launcher clones us with CLONE_NEWPID), empty read-only root,
//     capabilities dropped, no_new_privs.
//  4. Builds the kernel with the factory. It runs after isolation, so the
//     kernel cannot open host paths, but before the seccomp filter, so its
//     one-time setup may use calls outside the allow-list.
//  5. Installs the sentry seccomp filter (seccomp_filter.h).
//  6. Start sync, part two: sends `ready`; `runsc create` returns then.
//  7. Serves the control socket (--controller-fd) until Destroy, or until
//     the root container's init exits (the sandbox then exits with its
//     status, see BootConfig::init_wait_status). `runsc start` releases the
//     container with a StartRoot request: no application instruction runs
//     before it.
// A failure at any step is sent as SyncMessage.error (when the front end is
// still listening) and returned.
//
// Logging: RunBoot replaces every log sink of the process with one on
// --log-fd (none without it). Sinks the CLI opened before calling RunBoot
// would otherwise write into whatever later reuses their closed numbers,
// and the sandbox's stderr belongs to the container. Free slots among 0-2
// are filled with an inert non-blocking eventfd for the same reason.
//
// Flags after `boot` (FormatBootArgs / ParseBootArgs; they match runsc/cli's
// `boot` subcommand; every resource is an inherited fd):
//   --bundle=DIR        informational
//   --spec-fd=N --controller-fd=N --start-sync-fd=N
//   --io-fds=N,N,...    gofer connections (root mount first)
//   --stdio-fds=N,N,N   the root container's stdin, stdout, stderr
//   --log-fd=N          optional: the debug log, kept open (runsc/cli must
//                       add this flag before the launcher is given a log fd)
//   --exit-status-fd=N  optional: receives init's wait status at exit
//   <container-id>      positional
// Host networking comes from the global --network=host flag (runsc/cli
// parses it; the CLI sets BootConfig::host_network). ParseBootArgs also
// accepts --network=host|none|sandbox after `boot` for standalone use.
#ifndef BOOT_BOOT_H_
#define BOOT_BOOT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/logging.h"
#include "base/unique_fd.h"
#include "boot/kernel.h"

namespace boot {

// What the kernel factory gets; it owns the descriptors.
struct KernelArgs {
  std::string container_id;
  std::string spec_json;
  std::vector<base::UniqueFd> io_fds;
  std::vector<base::UniqueFd> stdio_fds;
  bool host_network = false;
};

using KernelFactory =
    std::function<absl::StatusOr<std::unique_ptr<SandboxKernel>>(KernelArgs)>;

struct BootConfig {
  std::string container_id;
  std::string bundle;
  int spec_fd = -1;
  int controller_fd = -1;
  int start_sync_fd = -1;
  std::vector<int> io_fds;
  std::vector<int> stdio_fds;
  int log_fd = -1;
  // Optional: a writable file that receives the root init's wait status
  // (decimal) when the sandbox exits because init exited, so that `runsc
  // wait` still learns it once the sandbox is gone.
  int exit_status_fd = -1;
  // How the sandbox logs to log_fd (from the global log flags).
  base::LogFormat log_format = base::LogFormat::kText;
  base::LogLevel log_level = base::LogLevel::kInfo;
  bool host_network = false;

  // Not flags. The sentry kernel, once it exists, is plugged in here; unset,
  // RunBoot fails with Unimplemented (reported through start sync).
  KernelFactory kernel_factory;
  // Tests may run boot outside a new PID namespace.
  bool require_pid1 = true;
  // Debugging (e.g. with the global --debug): a forbidden host syscall is
  // logged by number to log_fd (or stderr) before the sandbox dies of
  // SIGSYS (SeccompOptions::report_violations).
  bool report_seccomp_violations = false;
  // Out: the root init's wait status when the sandbox stops because init
  // exited (it then exits itself, like gVisor's); untouched otherwise.
  int* init_wait_status = nullptr;
};

// The largest spec accepted on --spec-fd.
inline constexpr size_t kMaxSpecSize = 16 << 20;

absl::Status RunBoot(const BootConfig& config);

// Flag syntax shared with the launcher (runsc/sandbox/launcher.h): the
// arguments after the `boot` subcommand, and back. Parse errors are
// InvalidArgument naming the flag.
std::vector<std::string> FormatBootArgs(const BootConfig& config);
absl::StatusOr<BootConfig> ParseBootArgs(const std::vector<std::string>& args);

}  // namespace boot

#endif  // BOOT_BOOT_H_
