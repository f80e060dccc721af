// runsc pause: stop every task of the container.
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

absl::StatusOr<int> Pause(const Context& ctx) {
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md,
                   LoadContainer(store, ctx.inv.pause.id));
  RETURN_IF_ERROR(
      container::CheckOperation(md.status, container::Operation::kPause));
  return NotImplemented("pause", "needs the sandbox, which is not built yet");
}

}  // namespace runsc::cmd
