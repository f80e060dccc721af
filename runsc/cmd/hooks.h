// OCI lifecycle hooks (runtime spec, config.md "POSIX-platform Hooks").
//
// A hook is a host program: `path` run with `args` (args[0] is argv[0]; the
// path when args is empty) and exactly `env`, the container's state JSON on
// its stdin, its stdout/stderr to the runtime's stderr. `timeout` (seconds)
// bounds it: the hook is SIGKILLed and the run fails.
//
// When they run here (runc's order):
//  * create: prestart, then createRuntime, then createContainer, after the
//    sandbox exists (state "creating", pid = the sandbox PID) and before the
//    pid file is written. A failure fails create and destroys the sandbox.
//  * start: startContainer inside the sandbox (sandbox_ops.cc sends them in
//    StartRoot; path resolved in the container, as the spec asks), after
//    init is created and before it runs (state "created"); a failure fails
//    start and stops the container. poststart after it started ("running");
//    a failure is logged only (runc warns).
//  * delete: poststop after the sandbox is gone ("stopped"); failures are
//    logged only.
// Difference from runc: createContainer runs on the host (like the others),
// not in the container's namespaces: the container's mount namespace is the
// sentry's, which runs no host binaries (docs/exec.md "Hooks").
#ifndef RUNSC_CMD_HOOKS_H_
#define RUNSC_CMD_HOOKS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "runsc/container/store.h"

namespace runsc::cmd {

struct HookSpec {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<absl::Duration> timeout;
};

// The hooks of kind `kind` ("prestart", "createRuntime", ...) in a spec
// document (config.json). InvalidArgument naming the hook when malformed.
absl::StatusOr<std::vector<HookSpec>> ParseHooks(const nlohmann::json& spec,
                                                 absl::string_view kind);

// Runs one hook with `state` on its stdin; OK when it exits 0.
absl::Status RunHook(const HookSpec& hook, const std::string& state);

// Runs every hook of `kind` in order; stops at the first failure, which is
// returned as `<kind> hook #<n> (<path>): <reason>`.
absl::Status RunHooks(const nlohmann::json& spec, absl::string_view kind,
                      const nlohmann::json& state);

// create's hooks for container `md` (its spec): prestart (deprecated, still
// sent by Docker), createRuntime, createContainer, with md's state as
// "creating"; stops at the first failure.
absl::Status RunCreateHooks(const container::Metadata& md);

// Like RunHooks but runs them all and only logs failures (poststart,
// poststop).
void RunHooksBestEffort(const nlohmann::json& spec, absl::string_view kind,
                        const nlohmann::json& state);

}  // namespace runsc::cmd

#endif  // RUNSC_CMD_HOOKS_H_
