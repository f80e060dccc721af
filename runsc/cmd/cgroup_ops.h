// The commands' use of the container's cgroup (runsc/cgroup): create puts
// the sandbox and the gofer in it, update applies new limits, events reads
// its figures, exec --detach's waiter joins it, and every path that tears a
// sandbox down removes it. The cgroup is recorded in meta.json under
// extra["cgroup"] (runsc/cgroup's ToJson: the path and, per hierarchy, the
// directory and the directories create made).
//
// --ignore-cgroups turns all of this off. A spec that asks for nothing (no
// cgroupsPath, no memory/cpu/pids resources) gets no cgroup: the sandbox
// stays in the caller's (runc would make "<id>" below it). Otherwise a
// cgroup that cannot be made fails create.
#ifndef RUNSC_CMD_CGROUP_OPS_H_
#define RUNSC_CMD_CGROUP_OPS_H_

#include <sys/types.h>

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runsc/cgroup/cgroup.h"
#include "runsc/cli/options.h"
#include "runsc/container/store.h"
#include "runsc/specutils/spec.h"

namespace runsc::cmd {

inline constexpr char kCgroupExtraKey[] = "cgroup";

// create (of a root container or a pod's subcontainer): resolves
// linux.cgroupsPath, creates the cgroup with the spec's linux.resources and
// records it in container `id`'s meta.json before any process exists, so
// that every later command (and delete after a killed create) finds it.
// nullopt when cgroups are off or nothing is asked. On failure nothing is
// left.
absl::StatusOr<std::optional<cgroup::Cgroup>> CreateContainerCgroup(
    const cli::GlobalOptions& g, const specutils::Spec& spec,
    container::Store& store, const std::string& id);

// The cgroup recorded in md, if any.
std::optional<cgroup::Cgroup> RecordedCgroup(const container::Metadata& md);

// update: writes the given linux.resources fields (a document holding only
// what the user gave). OK when the container has no cgroup.
absl::Status UpdateContainerCgroup(const container::Metadata& md,
                                   const nlohmann::json& given);

// events --stats: replaces memory, pids and cpu figures in `data` (runc's
// stats schema) with the cgroup's, where the cgroup has them.
void OverlayCgroupStats(const container::Metadata& md, nlohmann::json* data);

// Puts a host process the runtime leaves behind (exec's waiter) in the
// container's cgroup; failures are logged.
void JoinContainerCgroup(const container::Metadata& md, pid_t pid);

// Removes the recorded cgroup's directories (after the processes are gone).
// Idempotent; failures are logged.
void RemoveContainerCgroup(const container::Metadata& md);

}  // namespace runsc::cmd

#endif  // RUNSC_CMD_CGROUP_OPS_H_
