#include "sentry/platform/platform.h"

#include "absl/strings/str_cat.h"
#include "sentry/platform/ptrace/ptrace_platform.h"

namespace sentry::platform {

absl::StatusOr<std::unique_ptr<Platform>> NewPlatform(absl::string_view name,
                                                      int memory_file_fd) {
  if (name == "ptrace") return ptrace::NewPtracePlatform(memory_file_fd);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown platform \"", name, "\" (have: ptrace)"));
}

}  // namespace sentry::platform
