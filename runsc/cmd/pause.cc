// runsc pause: stop every task of the container (the sentry freezes them;
// kill and delete still work; a pod's other containers run on), then
// record "paused".
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/sandbox_ops.h"
#include "runsc/sandbox/control_client.h"

namespace runsc::cmd {

absl::StatusOr<int> Pause(const Context& ctx) {
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md,
                   LoadContainer(store, ctx.inv.pause.id));
  md.status = LiveStatus(md);
  RETURN_IF_ERROR(
      container::CheckOperation(md.status, container::Operation::kPause));
  RETURN_IF_ERROR(RequireSandbox(md));
  sandbox::ControlClient client(md.control_socket);
  RETURN_IF_ERROR(client.Pause(md.id));
  RETURN_IF_ERROR(store
                      .Update(md.id,
                              [](container::Metadata& m) {
                                m.status = container::Status::kPaused;
                                return absl::OkStatus();
                              })
                      .status());
  return 0;
}

}  // namespace runsc::cmd
