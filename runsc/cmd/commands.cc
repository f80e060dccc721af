#include "runsc/cmd/commands.h"

namespace runsc::cmd {

const std::vector<CommandEntry>& CommandTable() {
  static const auto* table = new std::vector<CommandEntry>{
      {"create", Create},   {"start", Start},
      {"run", Run},         {"state", State},
      {"kill", Kill},       {"delete", Delete},
      {"list", List},       {"ps", Ps},
      {"exec", Exec},       {"pause", Pause},
      {"resume", Resume},   {"events", Events},
      {"wait", Wait},       {"update", Update},
      {"spec", Spec},       {"checkpoint", Checkpoint},
      {"restore", Restore}, {"features", Features},
      {"boot", Boot},       {"gofer", Gofer},
      {"help", Help},       {"version", Version},
      {"install", Install}, {"uninstall", Uninstall},
  };
  return *table;
}

const CommandEntry* FindCommand(absl::string_view name) {
  for (const CommandEntry& e : CommandTable()) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

std::string ContainerIdOf(const cli::Invocation& inv) {
  const std::string& c = inv.command;
  if (c == "create") return inv.create.id;
  if (c == "run") return inv.run.create.id;
  if (c == "restore") return inv.restore.create.id;
  if (c == "start") return inv.start.id;
  if (c == "state") return inv.state.id;
  if (c == "pause") return inv.pause.id;
  if (c == "resume") return inv.resume.id;
  if (c == "kill") return inv.kill.id;
  if (c == "delete") return inv.del.id;
  if (c == "ps") return inv.ps.id;
  if (c == "exec") return inv.exec.id;
  if (c == "events") return inv.events.id;
  if (c == "wait") return inv.wait.id;
  if (c == "update") return inv.update.id;
  if (c == "checkpoint") return inv.checkpoint.id;
  if (c == "boot") return inv.boot.id;
  return "";
}

}  // namespace runsc::cmd
