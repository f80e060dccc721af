// runsc run: create + start (+ wait unless --detach).
#include "base/logging.h"
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

absl::StatusOr<int> Run(const Context& ctx) {
  const cli::RunOptions& o = ctx.inv.run;
  ASSIGN_OR_RETURN(specutils::Spec spec,
                   PrepareCreate(ctx.inv.global, o.create));
  LOG(DEBUG) << "run " << o.create.id << ": bundle " << spec.bundle_dir
             << " is valid";
  return SandboxNotImplemented("run", o.create.id);
}

}  // namespace runsc::cmd
