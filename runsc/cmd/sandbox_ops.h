// What create, start, run, kill, wait and delete share: launching a sandbox
// for a new container (runsc/sandbox/launcher.h), reaching a running one
// (control client), and tearing one down.
#ifndef RUNSC_CMD_SANDBOX_OPS_H_
#define RUNSC_CMD_SANDBOX_OPS_H_

#include <string>

#include "absl/status/statusor.h"
#include "runsc/cli/options.h"
#include "runsc/container/store.h"
#include "runsc/specutils/spec.h"

namespace runsc::cmd {

// create: records the container (status creating), launches gofer and
// sandbox, records their pids and the control socket (status created), then
// writes the pid file (last: engines treat its appearance as "created").
// On any failure the processes are gone and the state directory removed.
absl::StatusOr<container::Metadata> CreateContainer(
    const cli::GlobalOptions& g, const cli::CreateOptions& o,
    const specutils::Spec& spec);

// start: StartRoot in the sandbox; status running.
absl::Status StartContainer(container::Store& store,
                            const container::Metadata& md);

// Unavailable "sandbox is not running" when md records no control socket
// (start/kill/wait of a container made without a sandbox).
absl::Status RequireSandbox(const container::Metadata& md);

// Tears the sandbox down (Destroy, then SIGKILL of sandbox and gofer if they
// linger) and waits until both are gone. Does not touch the store.
void DestroySandbox(const container::Metadata& md);

// <state dir>/exit_status: where the sandbox records its init's wait status
// before it exits (it exits with its init, like gVisor's).
std::string ExitStatusPath(const container::Store& store,
                           const std::string& id);

// Waits for the container's init and returns its wait status; once the
// sandbox is gone, the status it recorded (SIGKILL if none).
absl::StatusOr<int> WaitForInit(const container::Store& store,
                                const container::Metadata& md);

// The status to report: the stored one, or stopped when the sandbox is gone
// or its init has exited.
container::Status LiveStatus(const container::Metadata& md);

}  // namespace runsc::cmd

#endif  // RUNSC_CMD_SANDBOX_OPS_H_
