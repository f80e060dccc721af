// runsc start: run the user process of a created container.
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

absl::StatusOr<int> Start(const Context& ctx) {
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md,
                   LoadContainer(store, ctx.inv.start.id));
  RETURN_IF_ERROR(
      container::CheckOperation(md.status, container::Operation::kStart));
  return NotImplemented("start",
                        "the sandbox is not built yet, so there is no process "
                        "to start");
}

}  // namespace runsc::cmd
