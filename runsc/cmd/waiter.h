// Host processes that stand for a process of the sandbox (docs/exec.md):
// engines wait on, and signal, host PIDs, so `exec --detach` and a pod's
// subcontainer leave a "waiter" whose PID goes to --pid-file and which exits
// the way the sandboxed process did (same code, or killed by the same
// signal). Attached `exec` uses the same wait and signal forwarding in the
// front end itself.
#ifndef RUNSC_CMD_WAITER_H_
#define RUNSC_CMD_WAITER_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace runsc::cmd {

struct WaitTarget {
  std::string control_socket;
  std::string container_id;
  // A process of the sandbox (exec); 0: the container's init.
  int32_t pid = 0;
};

// Blocks the forwarded asynchronous signals (SIGHUP, SIGINT, SIGTERM, ...) in
// the calling thread and starts a detached thread that passes each one to
// target.pid. Call before any other thread exists.
void StartSignalForwarder(const WaitTarget& target);

// The target's wait status; a sandbox (or container) that went away counts
// as a SIGKILL of it (delete --force, kill -9 of the sandbox).
int WaitStatus(const WaitTarget& target);

// The shell's exit code for a wait status (128+N for signal N).
int ExitCodeOf(int wait_status);

// Forks the waiter: its own session, stdio on /dev/null and no other
// inherited descriptor (no engine pipe is held open by it), signals
// forwarded when target.pid is set. Returns its PID in the parent.
absl::StatusOr<pid_t> ForkWaiter(const WaitTarget& target);

}  // namespace runsc::cmd

#endif  // RUNSC_CMD_WAITER_H_
