#include "runsc/cli/version.h"

#include "absl/strings/str_cat.h"
#include "runsc/cli/version_info.h"
#include "runsc/specutils/spec.h"

namespace runsc::cli {

std::string VersionString() { return RUNSC_VERSION_STRING; }

std::string GitCommit() {
  std::string c = RUNSC_GIT_COMMIT;
  return c.empty() ? "unknown" : c;
}

std::string VersionText() {
  return absl::StrCat("runsc version ", VersionString(),
                      "\ncommit: ", GitCommit(),
                      "\nspec: ", specutils::kOciVersion, "\n");
}

}  // namespace runsc::cli
