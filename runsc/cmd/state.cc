// runsc state: print the OCI state document.
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/sandbox_ops.h"

namespace runsc::cmd {

absl::StatusOr<int> State(const Context& ctx) {
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md,
                   LoadContainer(store, ctx.inv.state.id));
  md.status = LiveStatus(md);
  // Indented like `runc state`.
  ctx.out << container::OciState(md).dump(2) << "\n";
  return 0;
}

}  // namespace runsc::cmd
