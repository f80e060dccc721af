#include "sentry/fs/kernfs/kernfs.h"

#include <fcntl.h>

#include <algorithm>

namespace sentry::fs::kernfs {

ErrnoOr<size_t> StringFileImpl::Read(vfs::IoDst& dst, int64_t offset,
                                     const vfs::IoOptions&) {
  if (offset >= static_cast<int64_t>(data_.size())) return size_t{0};
  size_t n = std::min(dst.size(), data_.size() - static_cast<size_t>(offset));
  return dst.CopyOut(
      0, std::span<const std::byte>(
             reinterpret_cast<const std::byte*>(data_.data()) + offset, n));
}

ErrnoOr<std::unique_ptr<vfs::FileImpl>> GeneratedFile::Open(
    const vfs::OpenRequest& req) {
  if ((req.flags & O_ACCMODE) != O_RDONLY) return Errno{EACCES};
  ASSIGN_OR_RETURN_ERRNO(std::string data, gen_());
  return std::unique_ptr<vfs::FileImpl>(
      std::make_unique<StringFileImpl>(std::move(data)));
}

void StaticDir::Add(std::string name, std::shared_ptr<vfs::Inode> inode) {
  if (inode->IsDir()) AdjustLinks(1);
  children_.push_back(Child{std::move(name), std::move(inode)});
}

ErrnoOr<std::shared_ptr<vfs::Inode>> StaticDir::Lookup(absl::string_view name) {
  for (const Child& c : children_) {
    if (c.name == name) return c.inode;
  }
  return DynamicLookup(name);
}

ErrnoStatus StaticDir::IterateDir(uint64_t cookie,
                                  const vfs::DirEmitter& emit) {
  std::vector<Child> all = children_;
  std::vector<Child> dyn = DynamicList();
  all.insert(all.end(), dyn.begin(), dyn.end());
  for (uint64_t i = cookie - vfs::kFirstDirCookie; i < all.size(); ++i) {
    auto st = all[i].inode->GetStat();
    if (!st.ok()) continue;
    if (!emit(vfs::DirEntry{all[i].name, st->ino, vfs::DirentType(st->mode),
                            vfs::kFirstDirCookie + i + 1})) {
      break;
    }
  }
  return OkErrno();
}

ErrnoOr<vfs::StatFs> SimpleFilesystem::GetStatFs() {
  vfs::StatFs s;
  s.type = magic_;
  return s;
}

}  // namespace sentry::fs::kernfs
