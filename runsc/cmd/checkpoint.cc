// runsc checkpoint: save the container's state to --image-path.
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

absl::StatusOr<int> Checkpoint(const Context& ctx) {
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md,
                   LoadContainer(store, ctx.inv.checkpoint.id));
  RETURN_IF_ERROR(
      container::CheckOperation(md.status, container::Operation::kCheckpoint));
  return NotImplemented("checkpoint",
                        "needs the sandbox, which is not built yet");
}

}  // namespace runsc::cmd
