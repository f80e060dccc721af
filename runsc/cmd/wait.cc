// runsc wait: wait for the container (or one of its processes) to exit.
#include <sys/wait.h>

#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/sandbox_ops.h"
#include "runsc/sandbox/control_client.h"

namespace runsc::cmd {

absl::StatusOr<int> Wait(const Context& ctx) {
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md,
                   LoadContainer(store, ctx.inv.wait.id));
  RETURN_IF_ERROR(RequireSandbox(md));
  sandbox::ControlClient client(md.control_socket);
  const cli::WaitOptions& o = ctx.inv.wait;
  int pid = o.pid != 0 ? o.pid : o.rootpid;
  absl::StatusOr<int> ws =
      pid != 0 ? client.WaitPid(md.id, pid) : WaitForInit(store, md);
  if (!ws.ok()) return ws.status();
  int code = WIFEXITED(*ws) ? WEXITSTATUS(*ws)
                            : (WIFSIGNALED(*ws) ? 128 + WTERMSIG(*ws) : 1);
  // As gVisor's runsc wait prints it.
  nlohmann::json out = {{"id", md.id}, {"exitStatus", code}};
  ctx.out << out.dump() << "\n";
  return 0;
}

}  // namespace runsc::cmd
