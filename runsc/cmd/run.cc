// runsc run: create + start (+ wait unless --detach). The exit status is the
// container's: its exit code, or 128 + the signal that killed it.
#include <sys/wait.h>

#include "base/logging.h"
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/hooks.h"
#include "runsc/cmd/sandbox_ops.h"
#include "runsc/sandbox/control_client.h"

namespace runsc::cmd {

absl::StatusOr<int> Run(const Context& ctx) {
  const cli::RunOptions& o = ctx.inv.run;
  ASSIGN_OR_RETURN(specutils::Spec spec,
                   PrepareCreate(ctx.inv.global, o.create));
  ASSIGN_OR_RETURN(container::Metadata md,
                   CreateContainer(ctx.inv.global, o.create, spec));
  container::Store store = OpenStore(ctx.inv.global);
  auto teardown = [&]() {
    StopContainer(md);  // only this container when it joined a pod
    absl::Status r = store.Remove(md.id);
    if (!r.ok()) LOG(WARNING) << "run cleanup: " << r;
    container::Metadata stopped = md;
    stopped.status = container::Status::kStopped;
    RunHooksBestEffort(md.spec, "poststop", container::OciState(stopped));
  };
  absl::Status started = StartContainer(store, md);
  if (!started.ok()) {
    teardown();
    return started;
  }
  if (o.detach) return 0;
  absl::StatusOr<int> ws = WaitForInit(store, md);
  if (!o.keep) {
    teardown();
  } else {
    (void)store.Update(md.id, [](container::Metadata& m) {
      m.status = container::Status::kStopped;
      return absl::OkStatus();
    });
  }
  if (!ws.ok()) return ws.status();
  if (WIFEXITED(*ws)) return WEXITSTATUS(*ws);
  if (WIFSIGNALED(*ws)) return 128 + WTERMSIG(*ws);
  return 1;
}

}  // namespace runsc::cmd
