// File system event hooks (Linux's fsnotify), the minimum inotify needs.
//
// A watcher (sentry/syscalls/sys_inotify.cc) attaches an FsWatch to an
// inode; the VFS and FileDescription report events on inodes through
// NotifyInode (the watches of the inode itself, with an empty name) and
// VirtualFilesystem::NotifyEvent (the inode plus its parent directory, with
// the entry's name, as Linux's fsnotify_parent). Masks are inotify's IN_*
// bits. Where events come from:
//   create/mkdir/mknod/symlink/link -> IN_CREATE on the parent (IN_ATTRIB on
//     a hard-linked inode); open -> IN_OPEN; read -> IN_ACCESS; write,
//     truncate -> IN_MODIFY; chmod/chown/utimes -> IN_ATTRIB; last close ->
//     IN_CLOSE_WRITE / IN_CLOSE_NOWRITE; rename -> IN_MOVED_FROM / IN_MOVED_TO
//     (one cookie) on the parents and IN_MOVE_SELF on the inode; unlink/rmdir
//     -> IN_DELETE on the parent, IN_ATTRIB on a file that keeps links, and
//     IN_DELETE_SELF on a removed directory or a file's last link.
// Differs from Linux: IN_DELETE_SELF of a file comes at its last unlink,
// not when the last descriptor closes.
//
// The table of watches is global, keyed by inode address: a watcher keeps
// the inode alive (it pins the location) for as long as its watch exists,
// so an address is never reused under a live watch. HaveWatches() is an
// atomic fast path: with no watch anywhere, hooks cost one load.
//
// Locking: the table mutex is a leaf; FsWatch::Event runs with no lock of
// this module held (a snapshot of the list is taken), possibly under the
// VFS namespace lock, so it must only queue and wake (take leaf locks) and
// may call RemoveWatch.
#ifndef SENTRY_VFS_FSNOTIFY_H_
#define SENTRY_VFS_FSNOTIFY_H_

#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "sentry/vfs/inode.h"

namespace sentry::vfs {

class FsWatch {
 public:
  virtual ~FsWatch() = default;
  // `mask` may include IN_ISDIR; `name` is empty for events on the watched
  // inode itself.
  virtual void Event(uint32_t mask, uint32_t cookie,
                     absl::string_view name) = 0;
};

void AddWatch(const Inode* inode, std::shared_ptr<FsWatch> w);
void RemoveWatch(const Inode* inode, const FsWatch* w);
bool HaveWatches();
// Delivers to the watches of `inode`.
void NotifyInode(const Inode* inode, uint32_t mask, uint32_t cookie = 0,
                 absl::string_view name = {});
// A fresh non-zero cookie pairing IN_MOVED_FROM with IN_MOVED_TO.
uint32_t NewMoveCookie();

}  // namespace sentry::vfs

#endif  // SENTRY_VFS_FSNOTIFY_H_
