// runsc restore: create a container from a checkpoint image.
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {

absl::StatusOr<int> Restore(const Context& ctx) {
  const cli::RestoreOptions& o = ctx.inv.restore;
  if (o.image_path.empty()) {
    return absl::InvalidArgumentError("restore: --image-path is required");
  }
  struct stat st;
  if (::stat(o.image_path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(
        absl::StrCat("restore: checkpoint image directory ", o.image_path,
                     " does not exist"));
  }
  ASSIGN_OR_RETURN(specutils::Spec spec,
                   PrepareCreate(ctx.inv.global, o.create));
  (void)spec;
  return NotImplemented(
      "restore", absl::StrCat("checkpoint/restore needs the sandbox, which "
                              "is not built yet; nothing was created for \"",
                              o.create.id, "\""));
}

}  // namespace runsc::cmd
