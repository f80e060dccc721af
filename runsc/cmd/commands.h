// The subcommands of runsc: one handler per verb, one file per verb
// (runsc/cmd/<verb>.cc), and the table that maps verbs to handlers.
//
// Contract:
//  * A handler validates and converts its flags (cli/ only did the syntax),
//    calls the library (runsc/container, runsc/specutils, later the sandbox)
//    and returns the process exit code, or a Status whose message main prints
//    as `runsc: <message>` and logs at error level (exit code 1).
//  * Handlers write results (state JSON, list table, ...) only to Context::out
//    and never exit the process.
//  * Commands that need a running sandbox first check that the container
//    exists and is in a state that allows the request, then fail with an
//    Unimplemented status that says so: nothing pretends to work.
//  * create/run/restore validate the ID and the bundle, refuse an existing
//    ID, and leave nothing behind when they fail.
//
// Thread-compatible; one command per process.
#ifndef RUNSC_CMD_COMMANDS_H_
#define RUNSC_CMD_COMMANDS_H_

#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runsc/cli/options.h"

namespace runsc::cmd {

struct Context {
  const cli::Invocation& inv;
  std::ostream& out;  // The command's output (stdout).
  std::istream& in;   // stdin (update --resources -).
};

using Handler = absl::StatusOr<int> (*)(const Context& ctx);

struct CommandEntry {
  const char* name;
  Handler handler;
};

// Every verb cli::ParseCommandLine can return (including "help" and
// "version"), each with its handler.
const std::vector<CommandEntry>& CommandTable();

// The entry for `name`, or nullptr.
const CommandEntry* FindCommand(absl::string_view name);

// The container ID the invocation names, or "" (list, spec, gofer, ...).
std::string ContainerIdOf(const cli::Invocation& inv);

// One per file in runsc/cmd/.
absl::StatusOr<int> Boot(const Context& ctx);
absl::StatusOr<int> Checkpoint(const Context& ctx);
absl::StatusOr<int> Create(const Context& ctx);
absl::StatusOr<int> Delete(const Context& ctx);
absl::StatusOr<int> Events(const Context& ctx);
absl::StatusOr<int> Exec(const Context& ctx);
absl::StatusOr<int> Features(const Context& ctx);
absl::StatusOr<int> Gofer(const Context& ctx);
absl::StatusOr<int> Help(const Context& ctx);
absl::StatusOr<int> Install(const Context& ctx);
absl::StatusOr<int> Kill(const Context& ctx);
absl::StatusOr<int> List(const Context& ctx);
absl::StatusOr<int> Pause(const Context& ctx);
absl::StatusOr<int> Ps(const Context& ctx);
absl::StatusOr<int> Restore(const Context& ctx);
absl::StatusOr<int> Resume(const Context& ctx);
absl::StatusOr<int> Run(const Context& ctx);
absl::StatusOr<int> Spec(const Context& ctx);
absl::StatusOr<int> Start(const Context& ctx);
absl::StatusOr<int> State(const Context& ctx);
absl::StatusOr<int> Uninstall(const Context& ctx);
absl::StatusOr<int> Update(const Context& ctx);
absl::StatusOr<int> Version(const Context& ctx);
absl::StatusOr<int> Wait(const Context& ctx);

}  // namespace runsc::cmd

#endif  // RUNSC_CMD_COMMANDS_H_
