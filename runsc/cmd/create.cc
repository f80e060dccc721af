// runsc create: validate the ID and the bundle, then start the gofer and the
// sandbox and wait until the sandbox is ready (sandbox_ops.h).
#include "base/logging.h"
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/sandbox_ops.h"

namespace runsc::cmd {

absl::StatusOr<int> Create(const Context& ctx) {
  const cli::CreateOptions& o = ctx.inv.create;
  ASSIGN_OR_RETURN(specutils::Spec spec, PrepareCreate(ctx.inv.global, o));
  ASSIGN_OR_RETURN(container::Metadata md,
                   CreateContainer(ctx.inv.global, o, spec));
  LOG(DEBUG) << "created " << md.id << ": sandbox " << md.sandbox_pid
             << ", gofer " << md.gofer_pid;
  return 0;
}

}  // namespace runsc::cmd
