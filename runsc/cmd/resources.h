// `runsc update`: merging new resource limits into a container's recorded
// linux.resources, as runc update does. Pure: no I/O.
//
// The --resources document is an OCI linux.resources object; only the parts
// runc update reads are taken: memory (limit, reservation, swap, kernel,
// kernelTCP), cpu (shares, quota, period, realtimeRuntime, realtimePeriod,
// cpus, mems), blockIO.weight, pids.limit. Individual flags (--memory,
// --cpu-quota, ...) then override the document. Every value is checked
// (numbers where numbers go, -1 = unlimited where runc allows it, memory
// swap >= memory limit when both are set, cpuset lists well formed).
#ifndef RUNSC_CMD_RESOURCES_H_
#define RUNSC_CMD_RESOURCES_H_

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runsc/cli/options.h"

namespace runsc::cmd {

// Returns `current` (a linux.resources object, or null) with the update
// applied. `doc` is the parsed --resources document (null when not given).
absl::StatusOr<nlohmann::json> MergeResources(const nlohmann::json& current,
                                              const nlohmann::json& doc,
                                              const cli::UpdateOptions& flags);

}  // namespace runsc::cmd

#endif  // RUNSC_CMD_RESOURCES_H_
