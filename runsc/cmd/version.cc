// runsc --version.
#include "runsc/cli/version.h"

#include "runsc/cmd/commands.h"

namespace runsc::cmd {

absl::StatusOr<int> Version(const Context& ctx) {
  ctx.out << cli::VersionText();
  return 0;
}

}  // namespace runsc::cmd
