// The runsc command line: global flags, subcommands and their flags, parsed
// with CLI11 into an Invocation (options.h).
//
// Contract:
//  * Accepts what runc and gVisor's runsc accept and what Docker, containerd
//    and podman send (see docs and shared/CLIENTS.md): `--flag value`,
//    `--flag=value`, Go-style single-dash long flags (`-root /x`,
//    `-log-format=json`, `-no-subreaper`), real short flags (`-d`, `-t`,
//    `-a`, `-f`), and flags after the container ID (`kill ID 9`,
//    `delete ID --force`). Global flags may also follow the subcommand.
//  * exec and ps stop reading flags at the first positional after the ID:
//    everything after it is the command (`exec ID ls -la`) or ps(1)'s
//    arguments, as with runc.
//  * A repeated single-valued flag keeps its last value (Go's flag package
//    does the same).
//  * `--help`/`-h` anywhere and `help [COMMAND]` give command "help" with the
//    usage text; `--version`/`-v` gives command "version".
//  * Never prints, never exits, never throws: CLI11's exceptions are turned
//    into InvalidArgument statuses whose message names the offending flag.
//
// No global state; thread-compatible.
#ifndef RUNSC_CLI_PARSER_H_
#define RUNSC_CLI_PARSER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runsc/cli/options.h"

namespace runsc::cli {

struct CommandInfo {
  const char* name;
  const char* summary;
  bool internal;  // boot, gofer: started by runsc itself, hidden from help.
};

// Every subcommand, in the order help lists them.
const std::vector<CommandInfo>& Commands();

// Rewrites Go-style single-dash long flags into CLI11's double-dash form:
// `-word` or `-word=value` whose `word` (2+ characters) is a long option of
// the global flags or of the current subcommand becomes `--word...`. Short
// flags and their clusters (`-d`, `-dt`), negative numbers, values of
// options, positionals and everything after `--` are left alone, as is
// everything after the ID of exec and ps. runc's `--rootless VALUE` (a string
// flag in runc, a bool in gVisor) is folded into `--rootless=VALUE` when
// VALUE is true, false or auto.
std::vector<std::string> NormalizeArgs(const std::vector<std::string>& args);

// Parses `args` (argv without argv[0]).
absl::StatusOr<Invocation> ParseCommandLine(
    const std::vector<std::string>& args);

// The logging flags (--log, --log-format, --debug-log, --debug-log-format,
// --debug) found in `args` without a full parse: when the command line is
// wrong, its error still reaches the engine's --log (podman and containerd
// read errors from there). Values that fail validation are left at their
// defaults.
GlobalOptions LoggingFlagsOnly(const std::vector<std::string>& args);

// Usage text for `command` (empty: the top level).
std::string UsageText(absl::string_view command);

}  // namespace runsc::cli

#endif  // RUNSC_CLI_PARSER_H_
