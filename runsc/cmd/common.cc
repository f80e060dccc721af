#include "runsc/cmd/common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/status_macros.h"

namespace runsc::cmd {

container::Store OpenStore(const cli::GlobalOptions& g) {
  if (g.root.empty()) return container::Store(container::DefaultRoot());
  // Like runc, a relative --root is taken against the current directory, so
  // that paths kept in meta.json stay valid wherever later commands run.
  if (g.root[0] == '/') return container::Store(g.root);
  absl::StatusOr<std::string> cwd = CurrentDir();
  if (!cwd.ok()) return container::Store(g.root);
  return container::Store(specutils::ResolvePath(g.root, *cwd));
}

absl::StatusOr<container::Metadata> LoadContainer(const container::Store& store,
                                                  absl::string_view id) {
  ASSIGN_OR_RETURN(container::Metadata md, store.Load(id));
  return container::RefreshStatus(std::move(md));
}

absl::Status NotImplemented(absl::string_view verb, absl::string_view what) {
  return absl::UnimplementedError(
      absl::StrCat(verb, ": not implemented yet: ", what));
}

absl::Status RequireStatus(const container::Metadata& md,
                           absl::string_view verb,
                           std::initializer_list<container::Status> allowed) {
  if (absl::c_linear_search(allowed, md.status)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", verb, " container \"", md.id, "\": it is ",
                   container::StatusName(md.status)));
}

absl::StatusOr<std::string> CurrentDir() {
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof(buf)) == nullptr) {
    return base::ErrnoStatus(errno, "getcwd");
  }
  return std::string(buf);
}

absl::StatusOr<specutils::Spec> PrepareCreate(const cli::GlobalOptions& g,
                                              const cli::CreateOptions& o) {
  RETURN_IF_ERROR(container::ValidateId(o.id));
  container::Store store = OpenStore(g);
  struct stat st;
  if (::lstat(store.ContainerDir(o.id).c_str(), &st) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("container \"", o.id, "\" already exists"));
  }
  std::string bundle = o.bundle;
  if (bundle.empty()) {
    ASSIGN_OR_RETURN(bundle, CurrentDir());
  }
  // LoadBundle's errors name <bundle>/config.json and the offending field.
  return specutils::LoadBundle(bundle);
}

absl::Status SandboxNotImplemented(absl::string_view verb,
                                   absl::string_view id) {
  return NotImplemented(
      verb, absl::StrCat("the sandbox (runsc boot) is not built yet, so "
                         "container \"",
                         id,
                         "\" cannot be created; its config.json is valid and "
                         "nothing was left behind"));
}

}  // namespace runsc::cmd
