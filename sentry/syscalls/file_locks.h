// Advisory file locks: POSIX record locks (fcntl F_SETLK/F_SETLKW/F_GETLK,
// owned by the process), open-file-description locks (F_OFD_*, owned by the
// description) and flock(2).
#ifndef SENTRY_SYSCALLS_FILE_LOCKS_H_
#define SENTRY_SYSCALLS_FILE_LOCKS_H_

#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"

namespace sentry::syscalls {

// fcntl's lock commands; `arg` points at the caller's struct flock.
SyscallResult RecordLockFcntl(Task& t, const vfs::FileRef& f, int cmd,
                              UserAddr arg);
// Drops the POSIX record locks of t's process on f's inode (any close of
// the file by the process does, as in Linux).
void ReleaseProcessLocks(Task& t, vfs::FileDescription& f);

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_FILE_LOCKS_H_
