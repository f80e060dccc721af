// runsc create: validate the ID and the bundle, then create the sandbox.
#include "base/logging.h"
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

absl::StatusOr<int> Create(const Context& ctx) {
  const cli::CreateOptions& o = ctx.inv.create;
  ASSIGN_OR_RETURN(specutils::Spec spec, PrepareCreate(ctx.inv.global, o));
  LOG(DEBUG) << "create " << o.id << ": bundle " << spec.bundle_dir
             << " is valid";
  return SandboxNotImplemented("create", o.id);
}

}  // namespace runsc::cmd
