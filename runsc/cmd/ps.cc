// runsc ps: list the container's processes.
//
// --format json prints the array of PIDs containerd's runc shim parses. The
// engines read them as host PIDs (containerd matches them with the exec
// PIDs it was given, `docker top` filters the host's ps by them), so they
// are the host processes that stand for the container's: the sandbox (for
// init and everything without a host process) and the waiters of detached
// execs. --format table prints the sandbox's own view, one row per process
// (PID 1 is the container's init), like ps -ef and gVisor's runsc ps
// (docs/exec.md).
#include <pwd.h>

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/sandbox_ops.h"
#include "runsc/sandbox/control_client.h"

namespace runsc::cmd {
namespace {

std::string UserName(uint32_t uid) {
  // Names inside the container are the container's business; show numbers
  // except for root, like ps does for unknown uids.
  return uid == 0 ? "root" : absl::StrCat(uid);
}

std::string FormatCpu(int64_t ns) {
  int64_t s = ns / 1000000000;
  return absl::StrFormat("%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
}

}  // namespace

absl::StatusOr<int> Ps(const Context& ctx) {
  const cli::PsOptions& o = ctx.inv.ps;
  if (o.format != "table" && o.format != "json") {
    return absl::InvalidArgumentError(absl::StrCat(
        "ps: invalid --format \"", o.format, "\": want table or json"));
  }
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md, LoadContainer(store, o.id));
  md.status = LiveStatus(md);
  if (md.status == container::Status::kStopped && o.format == "json") {
    // containerd asks for the PIDs of a container that may just have exited.
    ctx.out << "[]\n";
    return 0;
  }
  RETURN_IF_ERROR(
      RequireStatus(md, "ps",
                    {container::Status::kCreated, container::Status::kRunning,
                     container::Status::kPaused}));
  RETURN_IF_ERROR(RequireSandbox(md));
  sandbox::ControlClient client(md.control_socket);
  ASSIGN_OR_RETURN(std::vector<control::ProcessInfo> procs,
                   client.Processes(md.id));
  std::sort(procs.begin(), procs.end(),
            [](const auto& a, const auto& b) { return a.pid() < b.pid(); });
  if (o.format == "json") {
    nlohmann::json pids = nlohmann::json::array();
    if (md.sandbox_pid > 0) pids.push_back(md.sandbox_pid);
    for (const container::ExecRecord& e : md.execs) {
      if (container::ProcessAlive(e.pid, e.start_time)) pids.push_back(e.pid);
    }
    ctx.out << pids.dump() << "\n";
    return 0;
  }
  std::vector<std::array<std::string, 7>> rows;
  rows.push_back({"UID", "PID", "PPID", "STIME", "TTY", "TIME", "CMD"});
  absl::Time boot = md.created;
  for (const auto& p : procs) {
    absl::Time start = boot + absl::Nanoseconds(p.start_time_ns());
    rows.push_back(
        {UserName(p.uid()), absl::StrCat(p.pid()), absl::StrCat(p.ppid()),
         absl::FormatTime("%H:%M", start, absl::LocalTimeZone()),
         p.tty().empty() ? "?" : p.tty(), FormatCpu(p.cpu_time_ns()), p.cmd()});
  }
  std::array<size_t, 7> width{};
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      width[i] = std::max(width[i], r[i].size());
    }
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(width[i] - r[i].size() + 2, ' ');
    }
    ctx.out << line << "\n";
  }
  return 0;
}

}  // namespace runsc::cmd
