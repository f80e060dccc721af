// runsc kill ID [SIGNAL]: signal the container's init (or every process).
#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "runsc/cli/signal.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

absl::StatusOr<int> Kill(const Context& ctx) {
  const cli::KillOptions& o = ctx.inv.kill;
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md, LoadContainer(store, o.id));
  ASSIGN_OR_RETURN(int sig, cli::ParseSignal(o.signal));
  // --all is allowed on a stopped container (its other processes may live).
  if (!o.all) {
    RETURN_IF_ERROR(
        container::CheckOperation(md.status, container::Operation::kKill));
  }
  LOG(DEBUG) << "kill " << md.id << " " << cli::SignalName(sig)
             << (o.all ? " (all)" : "");
  return NotImplemented(
      "kill", absl::StrCat("delivering ", cli::SignalName(sig),
                           " needs the sandbox, which is not built yet"));
}

}  // namespace runsc::cmd
