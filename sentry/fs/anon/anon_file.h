// Anonymous files (Linux's anon_inode_getfile): eventfd, epoll, timerfd,
// signalfd. Each gets a FileDescription with no path and a fresh in-memory
// inode (mode 0600, no file type bits, like Linux's anon inode) owned by
// the creating task's ids, so fstat shows something sensible.
#ifndef SENTRY_FS_ANON_ANON_FILE_H_
#define SENTRY_FS_ANON_ANON_FILE_H_

#include <cstdint>
#include <memory>

#include "sentry/vfs/file.h"

namespace sentry::fs::anon {

// `flags`: O_RDONLY/O_WRONLY/O_RDWR plus O_NONBLOCK.
vfs::FileRef NewAnonFile(vfs::VirtualFilesystem* vfs, int flags,
                         std::unique_ptr<vfs::FileImpl> impl, uint32_t uid,
                         uint32_t gid);

}  // namespace sentry::fs::anon

#endif  // SENTRY_FS_ANON_ANON_FILE_H_
