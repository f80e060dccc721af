// Terminal ioctls (TCGETS, TIOCGWINSZ, TIOCSCTTY, job control...) on devpts
// files, with the calling task's session and process group.
#ifndef SENTRY_SYSCALLS_SYS_TTY_H_
#define SENTRY_SYSCALLS_SYS_TTY_H_

#include <optional>

#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"

namespace sentry::syscalls {

// Serves ioctl `cmd` if `f` is a terminal; nullopt otherwise.
std::optional<SyscallResult> TtyIoctl(Task& t, const vfs::FileRef& f,
                                      uint32_t cmd, uint64_t arg);

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_SYS_TTY_H_
