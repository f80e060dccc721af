#include "runsc/cmd/cgroup_ops.h"

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/logging.h"
#include "base/status_macros.h"

namespace runsc::cmd {
namespace {

using json = nlohmann::json;

bool AsksForCgroup(const specutils::Spec& spec) {
  if (!spec.has_linux) return false;
  if (!spec.linux_spec.cgroups_path.empty()) return true;
  if (!spec.linux_spec.resources) return false;
  const specutils::Resources& r = *spec.linux_spec.resources;
  return r.memory.has_value() || r.cpu.has_value() || r.pids.has_value();
}

json SpecResources(const json& spec) {
  if (!spec.is_object() || !spec.contains("linux") ||
      !spec["linux"].is_object() || !spec["linux"].contains("resources")) {
    return nullptr;
  }
  return spec["linux"]["resources"];
}

}  // namespace

absl::StatusOr<std::optional<cgroup::Cgroup>> CreateContainerCgroup(
    const cli::GlobalOptions& g, const specutils::Spec& spec,
    container::Store& store, const std::string& id) {
  if (g.ignore_cgroups) return std::nullopt;
  if (!AsksForCgroup(spec)) {
    // Nothing to enforce and no place named: the sandbox stays in the
    // caller's cgroup (runc would make "<id>" below it; see docs/cgroups.md).
    LOG(DEBUG) << "no cgroupsPath and no limits: no cgroup";
    return std::nullopt;
  }
  cgroup::Environment env;
  ASSIGN_OR_RETURN(cgroup::Resources res,
                   cgroup::ResourcesFromJson(SpecResources(spec.raw)));
  ASSIGN_OR_RETURN(cgroup::CgroupPath where,
                   cgroup::ResolveCgroupsPath(env, spec.linux_spec.cgroups_path,
                                              id, g.systemd_cgroup));
  absl::StatusOr<cgroup::Layout> layout = cgroup::DiscoverLayout(env);
  absl::StatusOr<cgroup::Cgroup> cg =
      layout.ok() ? cgroup::Cgroup::Create(env, *layout, where, res)
                  : absl::StatusOr<cgroup::Cgroup>(layout.status());
  if (!cg.ok()) {
    return absl::Status(cg.status().code(),
                        absl::StrCat("cgroup: ", cg.status().message()));
  }
  LOG(DEBUG) << "cgroup " << where.path << " (" << layout->Mode() << ")";
  absl::Status recorded = store
                              .Update(id,
                                      [&](container::Metadata& m) {
                                        m.extra[kCgroupExtraKey] = cg->ToJson();
                                        return absl::OkStatus();
                                      })
                              .status();
  if (!recorded.ok()) {
    (void)cg->Destroy();
    return recorded;
  }
  return std::optional<cgroup::Cgroup>(std::move(*cg));
}

std::optional<cgroup::Cgroup> RecordedCgroup(const container::Metadata& md) {
  if (!md.extra.is_object() || !md.extra.contains(kCgroupExtraKey)) {
    return std::nullopt;
  }
  absl::StatusOr<cgroup::Cgroup> cg = cgroup::Cgroup::FromJson(
      cgroup::Environment{}, md.extra[kCgroupExtraKey]);
  if (!cg.ok()) {
    LOG(WARNING) << "container " << md.id << ": " << cg.status();
    return std::nullopt;
  }
  return std::move(*cg);
}

absl::Status UpdateContainerCgroup(const container::Metadata& md,
                                   const json& given) {
  std::optional<cgroup::Cgroup> cg = RecordedCgroup(md);
  if (!cg) return absl::OkStatus();
  ASSIGN_OR_RETURN(cgroup::Resources r, cgroup::ResourcesFromJson(given));
  absl::Status s = cg->Update(r);
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat("update: ", s.message()));
  }
  return absl::OkStatus();
}

void OverlayCgroupStats(const container::Metadata& md, json* data) {
  std::optional<cgroup::Cgroup> cg = RecordedCgroup(md);
  if (!cg) return;
  absl::StatusOr<cgroup::Stats> s = cg->ReadStats();
  if (!s.ok()) {
    LOG(DEBUG) << "cgroup stats: " << s.status();
    return;
  }
  if (s->has_memory) {
    json& m = (*data)["memory"];
    m["usage"] = {{"usage", s->memory_usage},
                  {"max", s->memory_max_usage},
                  {"limit", s->memory_limit},
                  {"failcnt", s->memory_failcnt}};
    m["swap"] = {{"usage", s->swap_usage},
                 {"max", s->swap_usage},
                 {"limit", s->swap_limit},
                 {"failcnt", 0}};
  }
  if (s->has_pids) {
    (*data)["pids"] = {{"current", s->pids_current}, {"limit", s->pids_limit}};
  }
  if (s->has_cpu) {
    json& c = (*data)["cpu"];
    c["usage"] = {{"total", s->cpu_total_ns},
                  {"kernel", s->cpu_kernel_ns},
                  {"user", s->cpu_user_ns}};
    c["throttling"] = {{"periods", s->cpu_periods},
                       {"throttledPeriods", s->cpu_throttled_periods},
                       {"throttledTime", s->cpu_throttled_ns}};
  }
}

void JoinContainerCgroup(const container::Metadata& md, pid_t pid) {
  std::optional<cgroup::Cgroup> cg = RecordedCgroup(md);
  if (!cg) return;
  absl::Status s = cg->AddProcess(pid);
  if (!s.ok()) LOG(WARNING) << "cgroup: process " << pid << ": " << s;
}

void RemoveContainerCgroup(const container::Metadata& md) {
  std::optional<cgroup::Cgroup> cg = RecordedCgroup(md);
  if (!cg) return;
  absl::Status s = cg->Destroy();
  if (!s.ok()) LOG(WARNING) << "container " << md.id << ": " << s;
}

}  // namespace runsc::cmd
