// devfs: the container's /dev.
//
// As runc does, /dev is a tmpfs (mode 0755) populated with device nodes and
// links; the nodes are opened through the VFS device registry, so the same
// devices work wherever a node with that number is created (mknod on any
// tmpfs, a bind of /dev/null). What exists:
//   null (1:3), zero (1:5), full (1:7; writes fail with ENOSPC),
//   random (1:8) and urandom (1:9) (bytes from the host's getrandom),
//   tty (5:0): ENXIO on open (no controlling terminal yet; the kernel will
//     provide one with job control),
//   console (5:1): a sink like null until the kernel connects it to the
//     container's stdio,
//   ptmx -> pts/ptmx, pts/ (devpts, see NewDevpts): the ptmx node (5:2)
//     opens with ENXIO until pseudo-terminals are implemented,
//   shm/ (a tmpfs mode 1777, mounted by the spec or MakeDevShm),
//   fd -> /proc/self/fd, stdin/stdout/stderr -> /proc/self/fd/0..2,
//   core -> /proc/kcore is not created (Docker does not either).
#ifndef SENTRY_FS_DEVFS_DEVFS_H_
#define SENTRY_FS_DEVFS_DEVFS_H_

#include <memory>

#include "sentry/base/errno.h"
#include "sentry/vfs/vfs.h"

namespace sentry::fs::devfs {

// Registers the device implementations above with the VFS.
void RegisterDevices(vfs::VirtualFilesystem& vfs);

// A populated /dev (a tmpfs). Registers "devtmpfs"-like type "devfs" and
// "devpts" with the VFS when called through RegisterDevfs.
ErrnoOr<std::shared_ptr<vfs::Filesystem>> NewDevfs();
// A devpts instance: a directory holding ptmx (5:2, mode 0666).
ErrnoOr<std::shared_ptr<vfs::Filesystem>> NewDevpts();

// Registers devices plus the "devfs" and "devpts" file system types.
void RegisterDevfs(vfs::VirtualFilesystem& vfs);

}  // namespace sentry::fs::devfs

#endif  // SENTRY_FS_DEVFS_DEVFS_H_
