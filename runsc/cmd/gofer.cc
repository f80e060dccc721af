// runsc gofer (internal): serves one container's files over --io-fds.
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

absl::StatusOr<int> Gofer(const Context& ctx) {
  return NotImplemented("gofer", "the file server (gofer/) is not built yet");
}

}  // namespace runsc::cmd
