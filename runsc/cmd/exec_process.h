// The process `runsc exec` asks the sandbox to start, as an OCI "process"
// JSON object, built from --process FILE or from the container's own
// process with runc's exec flags applied. Pure: no I/O.
//
// Like runc:
//  * --process FILE: the file's object is used as is (it must parse as an
//    OCI process; see specutils::ParseProcess); only --tty is applied on
//    top (terminal=true), the other flags are ignored.
//  * Otherwise the container's spec.process is the base (env, user, rlimits,
//    capabilities...), args are the command after the ID, terminal is
//    --tty, --cwd replaces cwd, --env entries are appended (a later entry of
//    the same name wins in the program's getenv), --user uid[:gid] replaces
//    the ids, --additional-gids replaces the supplementary groups, --cap adds
//    a capability to every set, --no-new-privs sets noNewPrivileges.
#ifndef RUNSC_CMD_EXEC_PROCESS_H_
#define RUNSC_CMD_EXEC_PROCESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runsc/cli/options.h"

namespace runsc::cmd {

// `process_file_text` is the --process file's contents (ignored when
// o.process is empty); `spec_process` is config.json's "process" (may be
// null). InvalidArgument on a bad file, a bad --user or no command.
absl::StatusOr<nlohmann::json> BuildExecProcess(
    const cli::ExecOptions& o, const std::string& process_file_text,
    const nlohmann::json& spec_process);

}  // namespace runsc::cmd

#endif  // RUNSC_CMD_EXEC_PROCESS_H_
