// runsc resume: continue a paused container's tasks; status "running".
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/sandbox_ops.h"
#include "runsc/sandbox/control_client.h"

namespace runsc::cmd {

absl::StatusOr<int> Resume(const Context& ctx) {
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md,
                   LoadContainer(store, ctx.inv.resume.id));
  md.status = LiveStatus(md);
  RETURN_IF_ERROR(
      container::CheckOperation(md.status, container::Operation::kResume));
  RETURN_IF_ERROR(RequireSandbox(md));
  sandbox::ControlClient client(md.control_socket);
  RETURN_IF_ERROR(client.Resume(md.id));
  RETURN_IF_ERROR(store
                      .Update(md.id,
                              [](container::Metadata& m) {
                                m.status = container::Status::kRunning;
                                return absl::OkStatus();
                              })
                      .status());
  return 0;
}

}  // namespace runsc::cmd
