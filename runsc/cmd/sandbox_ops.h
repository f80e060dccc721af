// What create, start, run, kill, wait and delete share: launching a sandbox
// for a new container (runsc/sandbox/launcher.h), reaching a running one
// (control client), and tearing one down.
#ifndef RUNSC_CMD_SANDBOX_OPS_H_
#define RUNSC_CMD_SANDBOX_OPS_H_

#include <sys/types.h>

#include <string>
#include <vector>

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
// or the container's own init has exited (per container in a
// multi-container sandbox).
container::Status LiveStatus(const container::Metadata& md);

// Ends a created or running container: the whole sandbox for a root
// container (DestroySandbox), only the container for a subcontainer
// (DestroySubcontainer, subcontainer.h).
void StopContainer(const container::Metadata& md);

// Shared with subcontainer.cc.
// Gofer connections a spec needs: the rootfs plus one per bind mount.
size_t GoferMounts(const specutils::Spec& spec);
// Global flags for the children (runsc boot / runsc gofer).
std::vector<std::string> ChildGlobalArgs(const cli::GlobalOptions& g,
                                         const std::string& root);
// Writes `pid` to `path` atomically (temporary file, rename).
absl::Status WritePidFile(const std::string& path, pid_t pid);

// The start of create (root container or pod subcontainer): the record of
// container o.id in status creating, with this process as its creator, so
// that a create killed midway reads stopped and delete cleans up
// (docs/faults.md). The caller fills in the sandbox fields and stores it.
container::Metadata NewCreatingRecord(const cli::CreateOptions& o,
                                      const specutils::Spec& spec);

// The end of create, once everything is launched and recorded (status
// creating): create's hooks (hooks.h RunCreateHooks), status created, then
// the pid file (last: engines take its appearance as "created") with `pid`.
// The caller undoes its launch when this fails.
absl::StatusOr<container::Metadata> FinishCreate(container::Store& store,
                                                 const container::Metadata& md,
                                                 const std::string& pid_file,
                                                 pid_t pid);
// Waits until `pid` (recorded with /proc start time `start`) is gone;
// reaps it if it is our child; SIGKILLs it after `grace`.
void AwaitGone(pid_t pid, uint64_t start, absl::Duration grace);

}  // namespace runsc::cmd

#endif  // RUNSC_CMD_SANDBOX_OPS_H_
