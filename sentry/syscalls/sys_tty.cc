#include "sentry/syscalls/sys_tty.h"

namespace sentry::syscalls {

// Terminals are not wired to the kernel's sessions yet: every ioctl on them
// falls through to the file (ENOTTY).
std::optional<SyscallResult> TtyIoctl(Task&, const vfs::FileRef&, uint32_t,
                                      uint64_t) {
  return std::nullopt;
}

}  // namespace sentry::syscalls
