// The front end's half of terminals (docs/terminals.md): a host pty whose
// master goes to the engine's --console-socket (one SCM_RIGHTS message, as
// runc does) and whose replica, in raw mode, goes to the sandbox, where the
// sentry bridges it to a pty of its own.
#ifndef RUNSC_CMD_CONSOLE_H_
#define RUNSC_CMD_CONSOLE_H_

#include <string>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "nlohmann/json.hpp"

namespace runsc::cmd {

struct HostConsole {
  base::UniqueFd replica;  // for the sandbox
};

// Opens a host pty, applies `process`'s consoleSize (if any) and sends the
// master to the Unix socket `socket_path`. The master is closed here once
// sent; the replica is returned.
absl::StatusOr<HostConsole> SetUpConsole(const std::string& socket_path,
                                         const nlohmann::json& process);

}  // namespace runsc::cmd

#endif  // RUNSC_CMD_CONSOLE_H_
