// runsc kill ID [SIGNAL]: signal the container's init (or every process).
#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "runsc/cli/signal.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/sandbox_ops.h"
#include "runsc/sandbox/control_client.h"

namespace runsc::cmd {

namespace control = ::runsc::control;

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
  if (md.status == container::Status::kStopped) {
    // --all on a stopped container: nothing left to signal.
    return 0;
  }
  RETURN_IF_ERROR(RequireSandbox(md));
  sandbox::ControlClient client(md.control_socket);
  control::SignalRequest::Target target = control::SignalRequest::INIT;
  if (o.all) {
    target = control::SignalRequest::ALL;
  } else if (o.pid != 0) {
    target = control::SignalRequest::PROCESS;
  }
  RETURN_IF_ERROR(client.Signal(md.id, target, o.pid, sig));
  return 0;
}

}  // namespace runsc::cmd
