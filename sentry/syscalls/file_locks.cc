#include "sentry/syscalls/file_locks.h"

namespace sentry::syscalls {

// No lock table yet. Pretending a lock was taken would let two processes
// corrupt a file they both believe they own, so refuse the way Linux does
// when locking is unavailable (as on some NFS mounts).
SyscallResult RecordLockFcntl(Task&, const vfs::FileRef&, int, UserAddr) {
  return Errno{ENOLCK};
}

void ReleaseProcessLocks(Task&, vfs::FileDescription&) {}

}  // namespace sentry::syscalls
