// The OCI "process" object as the sandbox uses it: parsed from the spec's
// JSON (a container's init) or from an exec request's process JSON.
//
// Validation matches what runc refuses before starting anything: empty
// args, a relative cwd, an unknown rlimit type. Unknown fields are ignored.
#ifndef SENTRY_SANDBOX_PROCESS_SPEC_H_
#define SENTRY_SANDBOX_PROCESS_SPEC_H_

#include <sys/resource.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace sentry::sandbox {

// process.capabilities as masks (auth::CapMask bits).
struct CapSets {
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0,
           ambient = 0;
};

struct ProcessSpec {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> groups;
  std::vector<std::pair<int, rlimit>> rlimits;
  bool terminal = false;
  // process.capabilities, applied as runc does (capset before the exec).
  // Absent: root keeps every capability, other users have none.
  std::optional<CapSets> caps;
  bool no_new_privs = false;
  // The file to run; empty: args[0], through PATH when it has no '/'.
  std::string executable;
};

absl::StatusOr<ProcessSpec> ParseProcess(const nlohmann::json& process);

// The value of `name` in an environment list ("" when absent).
std::string EnvValue(const std::vector<std::string>& env,
                     absl::string_view name);

}  // namespace sentry::sandbox

#endif  // SENTRY_SANDBOX_PROCESS_SPEC_H_
