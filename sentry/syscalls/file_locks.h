// Advisory file locks: POSIX record locks (fcntl F_SETLK/F_SETLKW/F_GETLK,
// owned by the process), open-file-description locks (F_OFD_*, owned by the
// description) and flock(2) (owned by the description).
//
// One lock list per inode (keyed by the vfs::Inode, checked against a
// weak_ptr so a recycled address never inherits locks). POSIX and OFD locks
// share byte-range semantics and conflict with each other; flock locks are a
// separate whole-file namespace that never meets the first two (Linux on
// local file systems).
//
// Owners, as in Linux: a POSIX lock belongs to the descriptor table of its
// process (Linux's fl_owner = current->files) and reports the tgid as
// l_pid; any close of the file through that table drops the table's locks
// on the inode, and so does the destruction of the table when the process
// exits (FilesResource's destructor calls ReleaseTableLocks: the kernel's
// exit path drops Task::files). OFD and flock locks belong to the open file
// description; they are dropped when the description is freed (a release
// hook installed in vfs::FileDescription's destructor), and owners are also
// held as weak_ptrs so an expired one is ignored if ever left behind.
//
// Deadlock detection (EDEADLK) covers POSIX F_SETLKW chains: a waiter whose
// blocker is itself waiting (transitively) for the caller's table.
//
// Locking: one global mutex for every lock list and the wait graph (a leaf:
// nothing else is taken under it, no FileRef is dropped under it).
#ifndef SENTRY_SYSCALLS_FILE_LOCKS_H_
#define SENTRY_SYSCALLS_FILE_LOCKS_H_

#include "sentry/syscalls/syscall.h"
#include "sentry/syscalls/syscall_table.h"
#include "sentry/vfs/file.h"

namespace sentry::syscalls {

// fcntl's lock commands; `arg` points at the caller's struct flock.
SyscallResult RecordLockFcntl(Task& t, const vfs::FileRef& f, int cmd,
                              UserAddr arg);
// Drops the POSIX record locks of t's process on f's inode (any close of
// the file by the process does, as in Linux).
void ReleaseProcessLocks(Task& t, vfs::FileDescription& f);
// Drops every POSIX lock owned by a descriptor table (process exit).
void ReleaseTableLocks(const void* table);

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_FILE_LOCKS_H_
