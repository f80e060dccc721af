// `runsc install` / `runsc uninstall`: registering this runtime with Docker
// by editing its daemon.json (`"runtimes": {NAME: {"path": ...,
// "runtimeArgs": [...]}}`).
//
// Contract: the edit functions are pure (JSON text in, JSON text out) so they
// can be tested without a daemon; EditDaemonConfigFile applies one to a file:
// it refuses a file that is not a JSON object (nothing is touched), keeps a
// copy of the previous contents in `<file>.bak` (replacing an older backup),
// and replaces the file atomically with the same mode. Every other key of the
// document is kept as it was. Docker reads the file only when it starts (or
// on SIGHUP for runtimes), so the caller tells the user to reload it.
#ifndef RUNSC_CMD_DAEMON_CONFIG_H_
#define RUNSC_CMD_DAEMON_CONFIG_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace runsc::cmd {

inline constexpr char kDefaultDaemonConfig[] = "/etc/docker/daemon.json";

struct RuntimeEntry {
  std::string name;                       // The key under "runtimes".
  std::string path;                       // Absolute path of the binary.
  std::vector<std::string> runtime_args;  // Flags Docker passes before verbs.
};

// The result of an edit: the new document, and whether it differs.
struct ConfigEdit {
  std::string json;
  bool changed = false;
};

// Adds (or replaces) the runtime entry; `experimental` also sets
// "experimental": true (checkpoint/restore in Docker needs it).
absl::StatusOr<ConfigEdit> AddRuntime(const std::string& config_json,
                                      const RuntimeEntry& entry,
                                      bool experimental);

// Removes the runtime entry (and "runtimes" when it becomes empty).
// `changed` is false when there was no such entry.
absl::StatusOr<ConfigEdit> RemoveRuntime(const std::string& config_json,
                                         const std::string& name);

// Reads `path` ("{}" when it does not exist), applies `edit`, and when the
// result changed writes the backup and the new file (creating the parent
// directory when missing). Returns whether the file changed.
absl::StatusOr<bool> EditDaemonConfigFile(
    const std::string& path,
    const std::function<absl::StatusOr<ConfigEdit>(const std::string&)>& edit);

}  // namespace runsc::cmd

#endif  // RUNSC_CMD_DAEMON_CONFIG_H_
