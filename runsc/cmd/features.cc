// runsc features: the OCI features document.
#include "runsc/cmd/commands.h"
#include "runsc/specutils/spec.h"

namespace runsc::cmd {

absl::StatusOr<int> Features(const Context& ctx) {
  ctx.out << specutils::Features().dump(4) << "\n";
  return 0;
}

}  // namespace runsc::cmd
