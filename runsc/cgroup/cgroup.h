// A container's cgroup: created in every mounted hierarchy (layout.h),
// limits from the spec's linux.resources written, processes added, stats
// read, limits updated, and removed again.
//
// Contract:
//  * Create makes every missing level of the path and remembers exactly the
//    directories it made; Destroy removes only those (leaf first, retrying
//    briefly while the kernel still counts exiting processes: EBUSY), and
//    leaves a shared parent that another container still uses.
//  * On v1, cpuset's cpus/mems of each new level are copied from its parent
//    (a new cpuset is empty and refuses processes). On v2, the controllers
//    needed are enabled in the parents' cgroup.subtree_control.
//  * A hybrid host (v1 controllers plus an empty cgroup2 mount) also gets
//    the directory in the cgroup2 hierarchy, for process tracking only;
//    failures there, and in v1 hierarchies whose controllers we never write
//    (freezer, devices, name=systemd, ...), are logged, not fatal.
//  * Writing limits follows runc (libcontainer/cgroups/fs and fs2): 0 means
//    "not set" for memory and cpu values, -1 unlimited; pids.limit <= 0
//    writes "max"; v2 cpu.weight = 1 + (shares - 2) * 9999 / 262142; v2
//    memory.swap.max = swap - limit (v1's swap is memory+swap); memory and
//    swap are written in the order the kernel accepts when both change.
//    Every failure names the file and the value.
//  * Update writes only the fields present in its argument (runc update).
//  * Nothing here forks, prints or exits. Not thread-safe: one command owns
//    a Cgroup at a time (meta.json's lock serializes commands).
#ifndef RUNSC_CGROUP_CGROUP_H_
#define RUNSC_CGROUP_CGROUP_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runsc/cgroup/layout.h"

namespace runsc::cgroup {

// The parts of linux.resources a cgroup enforces. Absent = not given.
struct Resources {
  std::optional<int64_t> memory_limit;
  std::optional<int64_t> memory_reservation;
  std::optional<int64_t> memory_swap;  // memory+swap, as in the OCI spec
  std::optional<uint64_t> memory_swappiness;
  std::optional<bool> disable_oom_killer;
  std::optional<uint64_t> cpu_shares;
  std::optional<int64_t> cpu_quota;
  std::optional<uint64_t> cpu_period;
  std::optional<int64_t> cpu_rt_runtime;
  std::optional<uint64_t> cpu_rt_period;
  std::optional<std::string> cpuset_cpus;
  std::optional<std::string> cpuset_mems;
  std::optional<int64_t> pids_limit;
};

// Parses a linux.resources object (null = nothing given). InvalidArgument
// naming the field on a wrong type.
absl::StatusOr<Resources> ResourcesFromJson(const nlohmann::json& r);

// What `events --stats` reports (runc's schema). Unknown figures are 0.
struct Stats {
  uint64_t memory_usage = 0;
  uint64_t memory_max_usage = 0;
  uint64_t memory_limit = 0;  // "max"/unlimited reads as UINT64_MAX (runc)
  uint64_t memory_failcnt = 0;
  uint64_t swap_usage = 0;  // v1: memsw usage; v2: memory.swap.current
  uint64_t swap_limit = 0;
  uint64_t pids_current = 0;
  uint64_t pids_limit = 0;  // 0 = unlimited (runc)
  uint64_t cpu_total_ns = 0;
  uint64_t cpu_user_ns = 0;
  uint64_t cpu_kernel_ns = 0;
  uint64_t cpu_periods = 0;
  uint64_t cpu_throttled_periods = 0;
  uint64_t cpu_throttled_ns = 0;
  bool has_memory = false, has_pids = false, has_cpu = false;
};

// One directory of the container's cgroup in one hierarchy.
struct Placement {
  std::string hierarchy;  // Hierarchy::Name()
  bool unified = false;
  std::vector<std::string> controllers;
  std::string dir;
  // Directories Create made, outermost first; Destroy removes these only.
  std::vector<std::string> created;
};

class Cgroup {
 public:
  // Creates the cgroup `path` in every hierarchy of `layout` and writes
  // `resources`. On failure, every directory made is removed again.
  static absl::StatusOr<Cgroup> Create(const Environment& env,
                                       const Layout& layout,
                                       const CgroupPath& path,
                                       const Resources& resources);

  // Moves `pid` (all its threads) into the cgroup in every hierarchy.
  absl::Status AddProcess(pid_t pid) const;

  // Writes the given fields only (runc update).
  absl::Status Update(const Resources& resources) const;

  absl::StatusOr<Stats> ReadStats() const;

  // PIDs in cgroup.procs of the memory (else first) hierarchy.
  absl::StatusOr<std::vector<pid_t>> Pids() const;

  // Removes the directories Create made, leaf first. Processes must be gone
  // (EBUSY is retried for about `busy_retry_ms`). A parent that still holds
  // another cgroup is left. Idempotent.
  absl::Status Destroy(int busy_retry_ms = 2000);

  // For meta.json: {"path": ..., "placements": [...]}.
  nlohmann::json ToJson() const;
  static absl::StatusOr<Cgroup> FromJson(const Environment& env,
                                         const nlohmann::json& doc);

  const std::vector<Placement>& placements() const { return placements_; }
  const std::string& path() const { return path_; }
  // The directory serving `controller`, or "" if none.
  std::string DirFor(const std::string& controller) const;

 private:
  Cgroup(Environment env, std::string path)
      : env_(std::move(env)), path_(std::move(path)) {}

  // cpuset and pids: the same files, values and rules in v1 and v2.
  absl::Status WriteCpusetAndPids(const Placement& p, const Resources& r) const;
  absl::Status Write(const std::string& dir, const std::string& file,
                     const std::string& value) const;
  absl::Status WriteV1(const Resources& r) const;
  absl::Status WriteV2(const Placement& p, const Resources& r) const;
  absl::Status MakeLevels(const Hierarchy& h, const std::string& dir,
                          Placement* out);

  Environment env_;
  std::string path_;
  std::vector<Placement> placements_;
};

}  // namespace runsc::cgroup

#endif  // RUNSC_CGROUP_CGROUP_H_
