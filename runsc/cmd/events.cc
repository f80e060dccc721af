// runsc events: statistics (once with --stats, else every --interval).
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

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
  RETURN_IF_ERROR(
      RequireStatus(md, "get events of",
                    {container::Status::kCreated, container::Status::kRunning,
                     container::Status::kPaused}));
  return NotImplemented("events",
                        "statistics come from the sandbox, which is not "
                        "built yet");
}

}  // namespace runsc::cmd
