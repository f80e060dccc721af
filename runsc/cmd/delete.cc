// runsc delete [--force] ID: remove a container's state (and its sandbox).
//
// Like runc: a stopped or created container is deleted without --force (a
// created one has its sandbox killed); a running or paused one needs --force;
// with --force an unknown ID is not an error (Docker and podman delete twice).
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "runsc/cmd/cgroup_ops.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/hooks.h"
#include "runsc/cmd/sandbox_ops.h"
#include "runsc/cmd/subcontainer.h"

namespace runsc::cmd {
namespace {

// SIGKILLs a process recorded in meta.json if it is still the same process.
// Without a recorded start time the PID may have been reused by an unrelated
// process, so it is left alone. (The gofer exits by itself once the sandbox's
// end of its connections closes.)
void KillRecorded(pid_t pid, uint64_t start_time, absl::string_view what) {
  if (pid <= 0 || start_time == 0) return;
  if (!container::ProcessAlive(pid, start_time)) return;
  LOG(DEBUG) << "delete: killing " << what << " " << pid;
  ::kill(pid, SIGKILL);
}

}  // namespace

absl::StatusOr<int> Delete(const Context& ctx) {
  const cli::DeleteOptions& o = ctx.inv.del;
  container::Store store = OpenStore(ctx.inv.global);
  absl::StatusOr<container::Metadata> md = LoadContainer(store, o.id);
  if (!md.ok()) {
    if (!o.force || !absl::IsNotFound(md.status())) return md.status();
    // Docker and podman delete twice; also clean up a directory a failed
    // create may have left without meta.json.
    LOG(DEBUG) << "delete --force: " << md.status().message();
    RETURN_IF_ERROR(container::ValidateId(o.id));
    absl::Status removed = store.Remove(o.id);
    if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
    return 0;
  }
  using container::Status;
  // A sandbox whose init has exited is stopped (and may be deleted).
  md->status = LiveStatus(*md);
  if (!o.force) {
    absl::Status allowed =
        container::CheckOperation(md->status, container::Operation::kDelete);
    if (!allowed.ok()) {
      return absl::Status(allowed.code(),
                          absl::StrCat(allowed.message(), " (use --force)"));
    }
  }
  if (IsSubcontainer(*md)) {
    // Only this container: the pod's sandbox keeps running (or is gone
    // already, its root container deleted first).
    DestroySubcontainer(*md);
  } else if (!md->control_socket.empty()) {
    // Destroy asks the sandbox to kill everything and exit; processes that
    // linger are SIGKILLed; the gofer exits once its connections close.
    DestroySandbox(*md);
  } else if (md->status != Status::kStopped) {
    KillRecorded(md->sandbox_pid, md->sandbox_start_time, "sandbox");
    KillRecorded(md->init_pid, md->init_start_time, "init");
  }
  RemoveContainerCgroup(*md);  // the processes are gone (or never were)
  absl::Status removed = store.Remove(md->id);
  if (!removed.ok() && !(o.force && absl::IsNotFound(removed))) {
    return removed;
  }
  // poststop: after the container is gone; failures are only logged.
  md->status = Status::kStopped;
  RunHooksBestEffort(md->spec, "poststop", container::OciState(*md));
  return 0;
}

}  // namespace runsc::cmd
