#include "sentry/fs/anon/anon_file.h"

#include <atomic>

#include "sentry/vfs/inode.h"

namespace sentry::fs::anon {

vfs::FileRef NewAnonFile(vfs::VirtualFilesystem* vfs, int flags,
                         std::unique_ptr<vfs::FileImpl> impl, uint32_t uid,
                         uint32_t gid) {
  static const uint64_t dev = vfs::NewAnonDev();
  static std::atomic<uint64_t> next_ino{1};
  auto inode = std::make_shared<vfs::SimpleInode>(dev, next_ino.fetch_add(1),
                                                  0600, uid, gid);
  return std::make_shared<vfs::FileDescription>(
      vfs, vfs::VirtualDentry{}, std::move(inode), flags, std::move(impl));
}

}  // namespace sentry::fs::anon
