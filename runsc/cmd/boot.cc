// runsc boot (internal): the sandbox process. Started by create with every
// resource as an inherited descriptor.
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

absl::StatusOr<int> Boot(const Context& ctx) {
  return NotImplemented("boot",
                        "the sandbox (boot/ and sentry/) is not "
                        "built yet");
}

}  // namespace runsc::cmd
