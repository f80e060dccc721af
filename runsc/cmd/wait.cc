// runsc wait: wait for the container (or one of its processes) to exit.
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

absl::StatusOr<int> Wait(const Context& ctx) {
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md,
                   LoadContainer(store, ctx.inv.wait.id));
  (void)md;
  return NotImplemented("wait",
                        "exit statuses come from the sandbox, which is not "
                        "built yet");
}

}  // namespace runsc::cmd
