// Helpers shared by the subcommand handlers (runsc/cmd/*.cc).
#ifndef RUNSC_CMD_COMMON_H_
#define RUNSC_CMD_COMMON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runsc/cli/options.h"
#include "runsc/container/store.h"
#include "runsc/specutils/spec.h"

namespace runsc::cmd {

// The store under --root (or the default root).
container::Store OpenStore(const cli::GlobalOptions& g);

// Loads an existing container by ID or unique prefix, with its status
// refreshed (a container whose sandbox died reads as stopped). NotFound
// `container "<id>" does not exist` for an unknown one.
absl::StatusOr<container::Metadata> LoadContainer(const container::Store& store,
                                                  absl::string_view id);

// Unimplemented: `<verb>: not implemented yet: <what>`.
absl::Status NotImplemented(absl::string_view verb, absl::string_view what);

// FailedPrecondition unless md's status is one of `allowed`:
// `cannot <verb> container "<id>": it is <status>`.
absl::Status RequireStatus(const container::Metadata& md,
                           absl::string_view verb,
                           std::initializer_list<container::Status> allowed);

// The first half of create, run and restore: validates the ID, loads and
// validates <bundle>/config.json (the current directory when `bundle` is
// empty) and refuses an ID that is already in use. Touches nothing.
absl::StatusOr<specutils::Spec> PrepareCreate(const cli::GlobalOptions& g,
                                              const cli::CreateOptions& o);

// The message create/run/restore end with until the sandbox exists.
absl::Status SandboxNotImplemented(absl::string_view verb,
                                   absl::string_view id);

// The current working directory.
absl::StatusOr<std::string> CurrentDir();

}  // namespace runsc::cmd

#endif  // RUNSC_CMD_COMMON_H_
