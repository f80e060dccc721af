// runsc events: resource statistics in runc's event schema. --stats prints
// one {"type":"stats","id":...,"data":{cpu,memory,pids,...}} line; without
// it one such line is printed every --interval until the container stops.
//
// Figures come from the sentry (control Event): CPU time of the sandbox's
// tasks, application memory (pages of the sentry's memory file), the number
// of processes; limits from the spec's linux.resources (memory limit
// defaults to the machine's RAM, like an unlimited cgroup reads). When the
// container has a cgroup, its memory, pids and cpu figures replace those
// (cgroup_ops.h: what the host charges, stubs and gofer included), except
// for a pod's subcontainer, whose tasks live in the pod's sentry.
#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "runsc/cmd/cgroup_ops.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/sandbox_ops.h"
#include "runsc/cmd/subcontainer.h"
#include "runsc/sandbox/control_client.h"

namespace runsc::cmd {
namespace {

using json = nlohmann::json;

json StatsEvent(const std::string& id, const control::ContainerStats& s) {
  json usage = {{"usage", s.memory_usage_bytes()},
                {"max", s.memory_usage_bytes()},
                {"limit", s.memory_limit_bytes()},
                {"failcnt", 0}};
  json zero_usage = {{"usage", 0}, {"max", 0}, {"limit", 0}, {"failcnt", 0}};
  json data = {
      {"cpu",
       {{"usage",
         {{"total", s.cpu_usage_ns()},
          {"kernel", s.cpu_kernel_ns()},
          {"user", s.cpu_user_ns()}}},
        {"throttling", json::object()}}},
      {"memory",
       {{"usage", usage},
        {"swap", zero_usage},
        {"kernel", zero_usage},
        {"kernelTCP", zero_usage},
        {"raw", {{"rss", s.memory_usage_bytes()}}}}},
      {"pids", {{"current", s.pids_current()}, {"limit", s.pids_limit()}}},
      {"blkio", json::object()},
      {"hugetlb", json::object()}};
  return {{"type", "stats"}, {"id", id}, {"data", data}};
}

// Limits recorded by `runsc update` (meta.json) win over the sandbox's copy
// of the original spec.
void ApplyRecordedLimits(const json& spec, control::ContainerStats& s) {
  if (!spec.is_object() || !spec.contains("linux") ||
      !spec["linux"].is_object() || !spec["linux"].contains("resources")) {
    return;
  }
  const json& r = spec["linux"]["resources"];
  auto positive = [&](const char* group, const char* key) -> int64_t {
    if (!r.is_object() || !r.contains(group) || !r[group].is_object() ||
        !r[group].contains(key) || !r[group][key].is_number_integer()) {
      return 0;
    }
    return std::max<int64_t>(0, r[group][key].get<int64_t>());
  };
  if (int64_t m = positive("memory", "limit"); m > 0) {
    s.set_memory_limit_bytes(static_cast<uint64_t>(m));
  }
  if (int64_t p = positive("pids", "limit"); p > 0) {
    s.set_pids_limit(static_cast<uint64_t>(p));
  }
}

}  // namespace

absl::StatusOr<int> Events(const Context& ctx) {
  const cli::EventsOptions& o = ctx.inv.events;
  absl::Duration interval;
  if (!absl::ParseDuration(o.interval, &interval) ||
      interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("events: invalid --interval \"", o.interval,
                     "\": want a positive duration such as 5s or 500ms"));
  }
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md, LoadContainer(store, o.id));
  md.status = LiveStatus(md);
  RETURN_IF_ERROR(
      RequireStatus(md, "get events of",
                    {container::Status::kCreated, container::Status::kRunning,
                     container::Status::kPaused}));
  RETURN_IF_ERROR(RequireSandbox(md));
  sandbox::ControlClient client(md.control_socket, absl::Seconds(10));
  for (;;) {
    absl::StatusOr<control::ContainerStats> s = client.Event(md.id);
    if (!s.ok()) {
      // The stream ends when the container does.
      if (!o.stats && sandbox::IsSandboxGone(s.status())) return 0;
      return s.status();
    }
    ApplyRecordedLimits(md.spec, *s);
    json ev = StatsEvent(md.id, *s);
    // A subcontainer's cgroup holds only its gofer and waiter: the
    // sentry's per-container figures are the container's own.
    if (!IsSubcontainer(md)) OverlayCgroupStats(md, &ev["data"]);
    ctx.out << ev.dump() << std::endl;
    if (o.stats) return 0;
    absl::SleepFor(interval);
    if (LiveStatus(md) == container::Status::kStopped) return 0;
  }
}

}  // namespace runsc::cmd
