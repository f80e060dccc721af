// runsc spec: write a default config.json (like `runc spec`) into --bundle.
#include "runsc/specutils/spec.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {
namespace {

// WriteDefaultSpec with process.args replaced (gVisor's `spec -- cmd...`).
absl::Status WriteSpecWithArgs(const std::string& bundle, bool rootless,
                               const std::vector<std::string>& args) {
  nlohmann::json doc = specutils::DefaultSpec(rootless);
  doc["process"]["args"] = args;
  std::string path = absl::StrCat(bundle, "/config.json");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST) {
    return absl::AlreadyExistsError(
        absl::StrCat("File ", path, " exists. Remove it first"));
  }
  if (fd < 0) return base::ErrnoStatus(errno, absl::StrCat("open ", path));
  base::UniqueFd file(fd);
  std::string text = doc.dump(4) + "\n";
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(file.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::ErrnoStatus(errno, absl::StrCat("write ", path));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> Spec(const Context& ctx) {
  const cli::SpecOptions& o = ctx.inv.spec;
  std::string bundle = o.bundle;
  if (bundle.empty()) {
    ASSIGN_OR_RETURN(bundle, CurrentDir());
  }
  struct stat st;
  if (::stat(bundle.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(
        absl::StrCat("spec: bundle directory ", bundle, " does not exist"));
  }
  if (!o.args.empty()) {
    RETURN_IF_ERROR(WriteSpecWithArgs(bundle, o.rootless, o.args));
  } else {
    RETURN_IF_ERROR(specutils::WriteDefaultSpec(bundle, o.rootless));
  }
  return 0;
}

}  // namespace runsc::cmd
