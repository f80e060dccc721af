// The front end's launcher: starts the sandbox (`runsc boot`) and the gofer
// (`runsc gofer`) for a new container and waits until the sandbox is ready.
//
// Processes and descriptors (every resource is an inherited descriptor, see
// boot/boot.h for the sandbox's flags):
//   sandbox: <binary> <global args> [--network=host] boot --bundle=B
//              --spec-fd=3 --controller-fd=4 --start-sync-fd=5
//              --io-fds=6,... --stdio-fds=0,1,2 [--log-fd=N] <id>
//            created with CLONE_NEWPID (it must be PID 1 of its namespace);
//            0,1,2 are the container's stdio.
//   gofer:   <binary> <global args> gofer --spec-fd=3 --io-fds=4,...
//              [--log-fd=N] --bundle=B
//            0,1,2 are /dev/null.
// The spec travels as a sealed memfd holding the JSON; the gofer mounts are
// SOCK_SEQPACKET socketpairs (gofer end to the gofer, sentry end to the
// sandbox, root mount first); the control socket is bound by the launcher at
// <state_dir>/sandbox.sock and handed over listening. Both children call
// setsid and outlive the front end. Nothing else leaks: the children's
// descriptor tables are rebuilt from scratch before execve.
//
// Start sync: after both processes exist, `before_start` runs (cgroup
// placement), then `go` is sent; LaunchSandbox returns once the sandbox
// reports `ready`. On any failure (exec failed, a child exited, an error
// report, the timeout, before_start failing) both processes are killed and
// reaped and the control socket is removed: nothing is left running.
//
// Not thread-safe with respect to other code that reaps children with
// waitpid(-1, ...).
#ifndef RUNSC_SANDBOX_LAUNCHER_H_
#define RUNSC_SANDBOX_LAUNCHER_H_

#include <sched.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/unique_fd.h"

namespace runsc::sandbox {

inline constexpr char kControlSocketName[] = "sandbox.sock";

struct LaunchConfig {
  // The runsc binary; tests inject a stand-in.
  std::string binary = "/proc/self/exe";
  // Global flags placed before the subcommand (--root, --debug, ...).
  std::vector<std::string> global_args;
  std::string container_id;
  std::string bundle;
  // <root>/<id>: must exist; the control socket is created in it.
  std::string state_dir;
  // config.json as read (sent unchanged to both children).
  std::string spec_json;
  // The container's stdin, stdout, stderr (the sandbox gets them as 0,1,2).
  std::vector<int> stdio_fds = {0, 1, 2};
  // Optional debug log descriptor for both children.
  int log_fd = -1;
  // Optional: a writable file the sandbox writes its init's wait status to
  // when it exits (boot --exit-status-fd).
  int exit_status_fd = -1;
  // Gofer connections (root filesystem + one per bind mount). 0: no gofer.
  size_t gofer_mounts = 1;
  // Adds the global --network=host after global_args (the sandbox then
  // keeps the host's network namespace). Otherwise global_args decide.
  bool host_network = false;
  absl::Duration ready_timeout = absl::Seconds(60);
  // Runs after both children exist, before `go` (e.g. cgroup placement).
  std::function<absl::Status(pid_t sandbox_pid, pid_t gofer_pid)> before_start;
  // Namespaces the sandbox is created in (CLONE_NEWPID is what boot needs).
  unsigned long sandbox_clone_flags = CLONE_NEWPID;
};

struct LaunchResult {
  pid_t sandbox_pid = 0;
  pid_t gofer_pid = 0;  // 0 when gofer_mounts == 0
  std::string control_socket;
};

absl::StatusOr<LaunchResult> LaunchSandbox(const LaunchConfig& config);

// Starts only the gofer, for a container joining an existing sandbox
// (docs/multi-container.md): the same process and flags as LaunchSandbox's
// gofer (config.gofer_mounts connections; the sandbox fields are unused).
// Returns its pid and the sentry ends of its connections (root mount
// first), which the caller sends to the sandbox. The gofer exits once they
// are all closed.
struct GoferLaunch {
  pid_t pid = 0;
  std::vector<base::UniqueFd> sentry_ends;
};
absl::StatusOr<GoferLaunch> LaunchGofer(const LaunchConfig& config);

// One child process: argv, descriptors to place (source -> target number),
// and clone flags. The child resets signal handling, calls setsid, installs
// exactly these descriptors (everything else closed) and execs argv[0].
// Returns once exec succeeded; exec failures come back with their errno.
struct SpawnSpec {
  std::vector<std::string> argv;
  std::vector<std::pair<int, int>> fds;  // {source fd, target fd}
  unsigned long clone_flags = 0;
};
absl::StatusOr<pid_t> Spawn(const SpawnSpec& spec);

// "exit status N" / "killed by signal N (NAME)".
std::string DescribeWaitStatus(int wait_status);

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_LAUNCHER_H_
