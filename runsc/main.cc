// runsc: the command-line front end. Parses the command line, sets up
// logging from the global flags, dispatches to the command's handler and
// turns a failure into `runsc: <message>` on stderr (also logged at error
// level to --log) and exit code 1.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "base/logging.h"
#include "runsc/cli/logging_setup.h"
#include "runsc/cli/parser.h"
#include "runsc/cmd/commands.h"

namespace {

int PrintError(absl::string_view msg) {
  std::fprintf(stderr, "runsc: %.*s\n", static_cast<int>(msg.size()),
               msg.data());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<runsc::cli::Invocation> inv =
      runsc::cli::ParseCommandLine(args);
  if (!inv.ok()) {
    // Still try to put the error where the engine reads errors (--log).
    absl::StatusOr<std::unique_ptr<runsc::cli::LogSetup>> logs =
        runsc::cli::LogSetup::Install(runsc::cli::LoggingFlagsOnly(args),
                                      "invalid", "");
    if (!logs.ok()) return PrintError(inv.status().message());
    (*logs)->ReportError(inv.status().message());
    return 1;
  }

  const runsc::cmd::CommandEntry* entry = runsc::cmd::FindCommand(inv->command);
  if (entry == nullptr) {
    return PrintError("internal error: no handler for command \"" +
                      inv->command + "\"");
  }
  runsc::cmd::Context ctx{*inv, std::cout, std::cin};
  if (inv->command == "help" || inv->command == "version") {
    absl::StatusOr<int> rc = entry->handler(ctx);
    std::cout.flush();
    return rc.ok() ? *rc : PrintError(rc.status().message());
  }

  absl::StatusOr<std::unique_ptr<runsc::cli::LogSetup>> logs =
      runsc::cli::LogSetup::Install(inv->global, inv->command,
                                    runsc::cmd::ContainerIdOf(*inv));
  if (!logs.ok()) return PrintError(logs.status().message());
  LOG(DEBUG) << "runsc " << absl::StrJoin(args, " ");

  absl::StatusOr<int> rc = entry->handler(ctx);
  std::cout.flush();
  if (!rc.ok()) {
    (*logs)->ReportError(rc.status().message());
    return 1;
  }
  return *rc;
}
