// runsc install / uninstall: register this binary as a Docker runtime
// (daemon_config.h does the editing). Like gVisor's, `install` records the
// flags after `--` as the runtime's runtimeArgs.
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/daemon_config.h"

namespace runsc::cmd {
namespace {

std::string ConfigPath(const std::string& flag) {
  return flag.empty() ? kDefaultDaemonConfig : flag;
}

// The binary to register: --path, else this executable (symlinks resolved
// so the entry survives a PATH change).
absl::StatusOr<std::string> BinaryPath(const std::string& flag) {
  const std::string p = flag.empty() ? "/proc/self/exe" : flag;
  char buf[PATH_MAX];
  if (realpath(p.c_str(), buf) == nullptr) {
    return base::ErrnoStatus(errno, absl::StrCat("resolve ", p));
  }
  if (access(buf, X_OK) != 0) {
    return base::ErrnoStatus(errno, absl::StrCat(buf, " is not executable"));
  }
  return std::string(buf);
}

}  // namespace

absl::StatusOr<int> Install(const Context& ctx) {
  const cli::InstallOptions& o = ctx.inv.install;
  RuntimeEntry entry;
  entry.name = o.runtime;
  ASSIGN_OR_RETURN(entry.path, BinaryPath(o.path));
  entry.runtime_args = o.runtime_args;
  const std::string config = ConfigPath(o.config_file);
  ASSIGN_OR_RETURN(bool changed,
                   EditDaemonConfigFile(config, [&](const std::string& text) {
                     return AddRuntime(text, entry, o.experimental);
                   }));
  if (!changed) {
    ctx.out << "Runtime \"" << entry.name << "\" is already installed in "
            << config << "\n";
    return 0;
  }
  ctx.out << "Installed runtime \"" << entry.name << "\" (" << entry.path
          << ") in " << config << "; reload dockerd (SIGHUP or restart) to "
          << "use it\n";
  return 0;
}

absl::StatusOr<int> Uninstall(const Context& ctx) {
  const cli::InstallOptions& o = ctx.inv.uninstall;
  const std::string config = ConfigPath(o.config_file);
  ASSIGN_OR_RETURN(bool changed,
                   EditDaemonConfigFile(config, [&](const std::string& text) {
                     return RemoveRuntime(text, o.runtime);
                   }));
  if (!changed) {
    // Idempotent, like delete --force: the end state is what was asked.
    ctx.out << "Runtime \"" << o.runtime << "\" is not installed in " << config
            << "\n";
    return 0;
  }
  ctx.out << "Removed runtime \"" << o.runtime << "\" from " << config
          << "; reload dockerd to apply\n";
  return 0;
}

}  // namespace runsc::cmd
