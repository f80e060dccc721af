// Sealing fcntls of memfd files (sys_memfd.cc), called from fcntl.
#ifndef SENTRY_SYSCALLS_SYS_MEMFD_H_
#define SENTRY_SYSCALLS_SYS_MEMFD_H_

#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"

namespace sentry::syscalls {

// F_ADD_SEALS / F_GET_SEALS: EINVAL on files that are not memfds; adding
// seals needs a writable description (EPERM).
SyscallResult SealFcntl(const vfs::FileRef& f, int cmd, uint64_t arg);

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_SYS_MEMFD_H_
