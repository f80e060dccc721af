// runsc help [COMMAND], --help, -h.
#include "absl/strings/str_cat.h"
#include "runsc/cli/parser.h"
#include "runsc/cmd/commands.h"

namespace runsc::cmd {

absl::StatusOr<int> Help(const Context& ctx) {
  const std::string& topic = ctx.inv.help.topic;
  if (!topic.empty() && topic != "help" && FindCommand(topic) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("help: unknown command \"", topic, "\""));
  }
  ctx.out << ctx.inv.help_text;
  return 0;
}

}  // namespace runsc::cmd
