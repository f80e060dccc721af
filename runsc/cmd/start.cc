// runsc start: run the user process of a created container.
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/sandbox_ops.h"

namespace runsc::cmd {

absl::StatusOr<int> Start(const Context& ctx) {
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md,
                   LoadContainer(store, ctx.inv.start.id));
  RETURN_IF_ERROR(
      container::CheckOperation(md.status, container::Operation::kStart));
  RETURN_IF_ERROR(StartContainer(store, md));
  return 0;
}

}  // namespace runsc::cmd
