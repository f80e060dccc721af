// runsc update: change a container's resource limits from --resources (a
// linux.resources JSON document, "-" for stdin) or runc's individual flags
// (resources.h). The merged limits are recorded in meta.json (the spec's
// linux.resources, which `events` reports) and the given fields are written
// to the container's cgroup (cgroup_ops.h), where the host enforces them
// (docs/cgroups.md).
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "runsc/cmd/cgroup_ops.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/resources.h"
#include "runsc/cmd/sandbox_ops.h"

namespace runsc::cmd {

absl::StatusOr<int> Update(const Context& ctx) {
  const cli::UpdateOptions& o = ctx.inv.update;
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md, LoadContainer(store, o.id));
  nlohmann::json doc;
  if (!o.resources.empty()) {
    std::string text;
    if (o.resources == "-") {
      std::stringstream ss;
      ss << ctx.in.rdbuf();
      text = ss.str();
    } else {
      std::ifstream in(o.resources);
      if (!in) {
        return absl::NotFoundError(
            absl::StrCat("update: cannot open ", o.resources));
      }
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
    doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("update: --resources ", o.resources,
                       " is not a JSON object (linux.resources)"));
    }
  }
  nlohmann::json current;
  if (md.spec.is_object() && md.spec.contains("linux") &&
      md.spec["linux"].is_object() && md.spec["linux"].contains("resources")) {
    current = md.spec["linux"]["resources"];
  }
  ASSIGN_OR_RETURN(nlohmann::json merged, MergeResources(current, doc, o));
  md.status = LiveStatus(md);
  RETURN_IF_ERROR(
      RequireStatus(md, "update",
                    {container::Status::kCreated, container::Status::kRunning,
                     container::Status::kPaused}));
  // Only what was given is written to the cgroup (runc update).
  ASSIGN_OR_RETURN(nlohmann::json given, MergeResources(nullptr, doc, o));
  RETURN_IF_ERROR(UpdateContainerCgroup(md, given));
  RETURN_IF_ERROR(store
                      .Update(md.id,
                              [&](container::Metadata& m) {
                                if (!m.spec.is_object()) {
                                  m.spec = nlohmann::json::object();
                                }
                                m.spec["linux"]["resources"] = merged;
                                return absl::OkStatus();
                              })
                      .status());
  LOG(DEBUG) << "update " << md.id << ": " << merged.dump();
  return 0;
}

}  // namespace runsc::cmd
