// runsc exec: run a new process in a running container, described by
// --process FILE (containerd, podman) or by flags and the command after ID.
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/specutils/spec.h"

namespace runsc::cmd {
namespace {

// containerd and podman describe the process in a file (--process).
absl::Status CheckProcessFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("exec: cannot open process file ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<specutils::Process> p = specutils::ParseProcess(ss.str());
  if (!p.ok()) {
    return absl::Status(
        p.status().code(),
        absl::StrCat("exec: process file ", path, ": ", p.status().message()));
  }
  return absl::OkStatus();
}

// --user uid[:gid], numeric as runc requires.
absl::Status CheckUser(const std::string& user) {
  std::vector<std::string> parts = absl::StrSplit(user, ':');
  uint32_t v;
  if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], &v) ||
      (parts.size() == 2 && !absl::SimpleAtoi(parts[1], &v))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "exec: invalid --user \"", user, "\": want uid[:gid] (numbers)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> Exec(const Context& ctx) {
  const cli::ExecOptions& o = ctx.inv.exec;
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md, LoadContainer(store, o.id));
  if (!o.process.empty()) {
    RETURN_IF_ERROR(CheckProcessFile(o.process));
  } else if (o.args.empty()) {
    return absl::InvalidArgumentError(
        "exec: no command given (pass --process FILE or a command after the "
        "container ID)");
  }
  if (!o.user.empty()) RETURN_IF_ERROR(CheckUser(o.user));
  if (md.status == container::Status::kPaused && o.ignore_paused) {
    // Allowed: runc's --ignore-paused.
  } else {
    RETURN_IF_ERROR(
        container::CheckOperation(md.status, container::Operation::kExec));
  }
  return NotImplemented("exec",
                        "running a process needs the sandbox, which is not "
                        "built yet");
}

}  // namespace runsc::cmd
