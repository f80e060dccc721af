// Multi-container sandboxes on the front end's side (docs/multi-container.md).
//
// A container whose annotations say it is a pod's container
// (io.kubernetes.cri.container-type=container with
// io.kubernetes.cri.sandbox-id=<ID>, or CRI-O's io.kubernetes.cri-o.
// ContainerType / io.kubernetes.cri-o.SandboxID) joins the sandbox of
// container <ID> in the same --root instead of starting its own: `create`
// starts only a gofer for its bundle and hands the sandbox the gofer
// connections and the container's stdio (CreateSubcontainer). Every later
// command reaches it through the sandbox's control socket, recorded in its
// meta.json with the sandbox's pid.
//
// meta.json of a subcontainer: sandbox_id = the pod's sandbox container,
// sandbox_pid / sandbox_start_time / control_socket = that sandbox's,
// gofer_pid = its own gofer (start time in extra.gofer_start_time), init_pid
// = its waiter (below).
//
// The waiter: a small host process forked by `create` that waits (over the
// control socket) for the container's init and exits the way it did. Its
// PID goes to --pid-file and is the state's pid, because containerd's runc
// shim and conmon learn that a container exited when the process in the pid
// file does; the sandbox itself keeps running for the pod's other
// containers. (gVisor writes the sandbox PID, which its own shim can afford.)
#ifndef RUNSC_CMD_SUBCONTAINER_H_
#define RUNSC_CMD_SUBCONTAINER_H_

#include <string>

#include "absl/status/statusor.h"
#include "runsc/cli/options.h"
#include "runsc/container/store.h"
#include "runsc/specutils/spec.h"

namespace runsc::cmd {

// The sandbox container a spec's annotations name, or "" when the spec
// makes an ordinary (root) container: no annotations, or container-type
// "sandbox" (the pod's pause container). InvalidArgument when the type is
// "container" but no sandbox id is given.
absl::StatusOr<std::string> SubcontainerSandboxId(const specutils::Spec& spec);

// Whether md is a container that joined another container's sandbox.
bool IsSubcontainer(const container::Metadata& md);

// create of a subcontainer. The sandbox container must exist (in the same
// store), be created or running, and its sandbox be alive; otherwise
// FailedPrecondition/NotFound naming it, and nothing is left behind (no
// gofer, no state directory). Status created on success; the pid file gets
// the waiter's PID.
absl::StatusOr<container::Metadata> CreateSubcontainer(
    const cli::GlobalOptions& g, const cli::CreateOptions& o,
    const specutils::Spec& spec, const std::string& sandbox_id);

// Drops the container from its sandbox (its processes killed, its mounts,
// gofer connections and stdio released) if the sandbox still runs, then
// waits for its gofer and waiter to be gone (SIGKILL after a grace
// period). The sandbox keeps running. Does not touch the store.
void DestroySubcontainer(const container::Metadata& md);

}  // namespace runsc::cmd

#endif  // RUNSC_CMD_SUBCONTAINER_H_
