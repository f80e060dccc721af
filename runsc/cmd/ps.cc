// runsc ps: list the container's processes (table or JSON of PIDs).
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

absl::StatusOr<int> Ps(const Context& ctx) {
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md, LoadContainer(store, ctx.inv.ps.id));
  RETURN_IF_ERROR(
      RequireStatus(md, "ps",
                    {container::Status::kCreated, container::Status::kRunning,
                     container::Status::kPaused}));
  return NotImplemented("ps",
                        "listing processes needs the sandbox, which is not "
                        "built yet");
}

}  // namespace runsc::cmd
