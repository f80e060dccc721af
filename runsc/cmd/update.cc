// runsc update: change a container's resource limits from --resources (a
// linux.resources JSON document, "-" for stdin) or runc's individual flags.
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

absl::StatusOr<int> Update(const Context& ctx) {
  const cli::UpdateOptions& o = ctx.inv.update;
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md, LoadContainer(store, o.id));
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
    nlohmann::json doc =
        nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("update: --resources ", o.resources,
                       " is not a JSON object (linux.resources)"));
    }
  }
  const std::pair<const char*, const std::string*> numeric[] = {
      {"--blkio-weight", &o.blkio_weight},
      {"--cpu-period", &o.cpu_period},
      {"--cpu-quota", &o.cpu_quota},
      {"--cpu-share", &o.cpu_share},
      {"--cpu-rt-period", &o.cpu_rt_period},
      {"--cpu-rt-runtime", &o.cpu_rt_runtime},
      {"--kernel-memory", &o.kernel_memory},
      {"--kernel-memory-tcp", &o.kernel_memory_tcp},
      {"--memory", &o.memory},
      {"--memory-reservation", &o.memory_reservation},
      {"--memory-swap", &o.memory_swap},
      {"--pids-limit", &o.pids_limit},
  };
  for (const auto& [flag, value] : numeric) {
    int64_t v;
    if (!value->empty() && !absl::SimpleAtoi(*value, &v)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "update: ", flag, " wants a number, not \"", *value, "\""));
    }
  }
  RETURN_IF_ERROR(
      RequireStatus(md, "update",
                    {container::Status::kCreated, container::Status::kRunning,
                     container::Status::kPaused}));
  return NotImplemented("update",
                        "resource limits are applied by the sandbox, which is "
                        "not built yet");
}

}  // namespace runsc::cmd
