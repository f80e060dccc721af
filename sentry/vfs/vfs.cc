#include "sentry/vfs/vfs.h"

#include <linux/fs.h>
#include <sys/inotify.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/fsnotify.h"

namespace sentry::vfs {

using auth::kMayExec;
using auth::kMayRead;
using auth::kMayWrite;

struct VirtualFilesystem::ParentAndName {
  VirtualDentry parent;
  std::string name;  // "" when the path names ctx.root or "/" itself
  bool trailing_slash = false;
};

namespace {

uint64_t DeviceKey(uint32_t type, uint64_t rdev) {
  return (type == S_IFBLK ? (uint64_t{1} << 63) : 0) | rdev;
}

bool IsDotName(absl::string_view n) { return n == "." || n == ".."; }

uint32_t DirBit(const Inode& i) { return i.IsDir() ? IN_ISDIR : 0; }

// After the last link of `victim` went away (or a link of it): what its own
// watches hear.
void NotifyUnlinked(Inode& victim) {
  if (!HaveWatches()) return;
  bool gone = victim.IsDir();
  if (!gone) {
    auto st = victim.GetStat();
    gone = !st.ok() || st->nlink == 0;
  }
  NotifyInode(&victim, gone ? IN_DELETE_SELF : IN_ATTRIB);
}

}  // namespace

VirtualFilesystem::VirtualFilesystem() = default;

VirtualFilesystem::~VirtualFilesystem() {
  absl::MutexLock l(&ns_mu_);
  mounts_.clear();
  mount_list_.clear();
  root_mount_.reset();
}

Context VirtualFilesystem::RootContext(const VirtualDentry& root) {
  Context ctx;
  ctx.creds =
      std::make_shared<const auth::Credentials>(auth::Credentials::Root());
  ctx.root = root;
  ctx.cwd = root;
  return ctx;
}

// --- Registries ------------------------------------------------------------

void VirtualFilesystem::RegisterFilesystemType(std::string name,
                                               FilesystemFactory factory) {
  absl::MutexLock l(&reg_mu_);
  for (auto& [n, f] : fs_types_) {
    if (n == name) {
      f = std::move(factory);
      return;
    }
  }
  fs_types_.emplace_back(std::move(name), std::move(factory));
}

std::vector<std::string> VirtualFilesystem::FilesystemTypes() {
  absl::MutexLock l(&reg_mu_);
  std::vector<std::string> names;
  for (const auto& [n, f] : fs_types_) names.push_back(n);
  return names;
}

ErrnoOr<std::shared_ptr<Filesystem>> VirtualFilesystem::NewFilesystem(
    absl::string_view type, absl::string_view source,
    absl::string_view options) {
  FilesystemFactory factory;
  {
    absl::MutexLock l(&reg_mu_);
    for (const auto& [n, f] : fs_types_) {
      if (n == type) factory = f;
    }
  }
  if (!factory) return Errno{ENODEV};
  return factory(*this, source, options);
}

void VirtualFilesystem::RegisterDevice(uint32_t type, uint32_t major,
                                       uint32_t minor, DeviceOpener opener) {
  absl::MutexLock l(&reg_mu_);
  devices_[DeviceKey(type, makedev(major, minor))] = std::move(opener);
}

ErrnoOr<std::unique_ptr<FileImpl>> VirtualFilesystem::OpenDevice(
    uint32_t type, uint64_t rdev, const OpenRequest& req) {
  DeviceOpener opener;
  {
    absl::MutexLock l(&reg_mu_);
    auto it = devices_.find(DeviceKey(type, rdev));
    if (it == devices_.end()) return Errno{ENXIO};
    opener = it->second;
  }
  return opener(req);
}

// --- Mounts ----------------------------------------------------------------

ErrnoOr<VirtualDentry> VirtualFilesystem::MountRoot(
    std::shared_ptr<Filesystem> fs, MountFlags flags, std::string source) {
  absl::MutexLock l(&ns_mu_);
  if (root_mount_) return Errno{EBUSY};
  auto root = std::make_shared<Dentry>(fs->Root(), nullptr, "");
  root_mount_ = std::make_shared<Mount>(next_mount_id_++, std::move(fs), root,
                                        flags, std::move(source));
  mount_list_.push_back(root_mount_);
  return VirtualDentry{root_mount_, root};
}

ErrnoOr<std::shared_ptr<Mount>> VirtualFilesystem::MountAt(
    const Context& ctx, const PathAt& target, std::shared_ptr<Filesystem> fs,
    MountFlags flags, std::string source) {
  absl::MutexLock l(&ns_mu_);
  int links = 0;
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry at,
                         WalkLocked(ctx, target, true, &links));
  // A file system whose root is a file (a gofer attach of a file) mounts on
  // a file; otherwise the target must be a directory.
  std::shared_ptr<Inode> root_inode = fs->Root();
  if (at.inode()->IsDir() != root_inode->IsDir()) return Errno{ENOTDIR};
  if (at.dentry->dead_) return Errno{ENOENT};
  auto root = std::make_shared<Dentry>(std::move(root_inode), nullptr, "");
  auto m = std::make_shared<Mount>(next_mount_id_++, std::move(fs), root, flags,
                                   std::move(source));
  m->parent_ = at.mount;
  m->mountpoint_ = at.dentry;
  mounts_[{at.mount.get(), at.dentry.get()}] = m;
  at.dentry->mounts_.fetch_add(1);
  mount_list_.push_back(m);
  return m;
}

ErrnoOr<std::shared_ptr<Mount>> VirtualFilesystem::BindMount(
    const Context& ctx, const PathAt& source, const PathAt& target,
    MountFlags flags) {
  absl::MutexLock l(&ns_mu_);
  int links = 0;
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry src,
                         WalkLocked(ctx, source, true, &links));
  links = 0;
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry at,
                         WalkLocked(ctx, target, true, &links));
  return AttachLocked(src, at, flags);
}

ErrnoOr<std::shared_ptr<Mount>> VirtualFilesystem::AttachLocked(
    const VirtualDentry& src, const VirtualDentry& at, MountFlags flags) {
  if (src.inode()->IsDir() != at.inode()->IsDir()) return Errno{ENOTDIR};
  if (at.dentry->dead_ || src.dentry->dead_) return Errno{ENOENT};
  auto m = std::make_shared<Mount>(next_mount_id_++, src.mount->fs_, src.dentry,
                                   flags, src.mount->source_);
  m->parent_ = at.mount;
  m->mountpoint_ = at.dentry;
  mounts_[{at.mount.get(), at.dentry.get()}] = m;
  at.dentry->mounts_.fetch_add(1);
  mount_list_.push_back(m);
  return m;
}

ErrnoOr<std::shared_ptr<Mount>> VirtualFilesystem::BindMountFrom(
    const Context& ctx, const VirtualDentry& source, const PathAt& target,
    MountFlags flags) {
  absl::MutexLock l(&ns_mu_);
  int links = 0;
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry at,
                         WalkLocked(ctx, target, true, &links));
  return AttachLocked(source, at, flags);
}

VirtualDentry VirtualFilesystem::MountTreeRoot(std::shared_ptr<Filesystem> fs,
                                               MountFlags flags,
                                               std::string source) {
  absl::MutexLock l(&ns_mu_);
  auto root = std::make_shared<Dentry>(fs->Root(), nullptr, "");
  auto m = std::make_shared<Mount>(next_mount_id_++, std::move(fs), root, flags,
                                   std::move(source));
  mount_list_.push_back(m);
  return VirtualDentry{m, root};
}

void VirtualFilesystem::ReleaseMountTree(const std::shared_ptr<Mount>& root) {
  absl::MutexLock l(&ns_mu_);
  auto in_tree = [&](const Mount* m) {
    for (; m != nullptr; m = m->parent_.get()) {
      if (m == root.get()) return true;
    }
    return false;
  };
  std::vector<std::shared_ptr<Mount>> keep;
  for (const auto& m : mount_list_) {
    if (!in_tree(m.get())) {
      keep.push_back(m);
      continue;
    }
    if (m->parent_) {
      mounts_.erase({m->parent_.get(), m->mountpoint_.get()});
      m->mountpoint_->mounts_.fetch_sub(1);
    }
  }
  mount_list_.swap(keep);
}

VirtualDentry VirtualFilesystem::NewDetachedMount(
    std::shared_ptr<Filesystem> fs, MountFlags flags) {
  absl::MutexLock l(&ns_mu_);
  auto root = std::make_shared<Dentry>(fs->Root(), nullptr, "");
  auto m = std::make_shared<Mount>(next_mount_id_++, std::move(fs), root, flags,
                                   "none");
  return VirtualDentry{m, root};
}

ErrnoOr<MountFlags> VirtualFilesystem::GetMountFlags(const Context& ctx,
                                                     const PathAt& at) {
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry vd, Resolve(ctx, at, true));
  absl::ReaderMutexLock l(&ns_mu_);
  return vd.mount->flags_;
}

ErrnoStatus VirtualFilesystem::SetMountFlags(const Context& ctx,
                                             const PathAt& target,
                                             MountFlags flags) {
  absl::MutexLock l(&ns_mu_);
  int links = 0;
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry at,
                         WalkLocked(ctx, target, true, &links));
  if (at.dentry != at.mount->root_) return Errno{EINVAL};
  at.mount->flags_ = flags;
  return OkErrno();
}

ErrnoStatus VirtualFilesystem::Unmount(const Context& ctx,
                                       const PathAt& target) {
  absl::MutexLock l(&ns_mu_);
  int links = 0;
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry at,
                         WalkLocked(ctx, target, true, &links));
  if (at.dentry != at.mount->root_) return Errno{EINVAL};
  std::shared_ptr<Mount> m = at.mount;
  if (!m->parent_) return Errno{EBUSY};
  for (const auto& other : mount_list_) {
    if (other->parent_ == m) return Errno{EBUSY};
  }
  mounts_.erase({m->parent_.get(), m->mountpoint_.get()});
  m->mountpoint_->mounts_.fetch_sub(1);
  mount_list_.erase(std::find(mount_list_.begin(), mount_list_.end(), m));
  return OkErrno();
}

std::vector<MountInfo> VirtualFilesystem::Mounts(const Context& ctx) {
  absl::ReaderMutexLock l(&ns_mu_);
  std::vector<MountInfo> out;
  for (const auto& m : mount_list_) {
    bool unreachable = false;
    auto path = PathLocked(ctx, VirtualDentry{m, m->root_}, &unreachable);
    if (!path.ok() || unreachable) continue;
    MountInfo mi;
    mi.id = m->id();
    mi.parent_id = m->parent_ ? m->parent_->id() : m->id();
    mi.source = m->source_.empty() ? "none" : m->source_;
    mi.path = *path;
    mi.type = m->fs_->Type();
    mi.flags = m->flags_;
    mi.fs_options = m->fs_->Options();
    out.push_back(std::move(mi));
  }
  return out;
}

bool VirtualFilesystem::IsMountedLocked(const VirtualDentry& vd) {
  if (vd.dentry->mount_count() == 0) return false;
  return mounts_.contains({vd.mount.get(), vd.dentry.get()});
}

// --- Resolution ------------------------------------------------------------

ErrnoStatus VirtualFilesystem::Permission(const auth::Credentials& creds,
                                          Inode& inode, int may) {
  ASSIGN_OR_RETURN_ERRNO(Stat st, inode.GetStat());
  return auth::GenericPermission(creds, st.mode, st.uid, st.gid, may);
}

ErrnoOr<std::shared_ptr<Dentry>> VirtualFilesystem::ChildLocked(
    const std::shared_ptr<Dentry>& d, absl::string_view name) {
  Inode* dir = d->get();
  absl::MutexLock l(&d->children_mu_);
  std::shared_ptr<Dentry> cached;
  if (auto it = d->children_.find(name); it != d->children_.end()) {
    cached = it->second.lock();
  }
  if (cached && (dir->CacheChildren() || cached->mount_count() > 0)) {
    return cached;
  }
  ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<Inode> inode, dir->Lookup(name));
  if (cached && cached->inode() == inode) return cached;
  auto child = std::make_shared<Dentry>(std::move(inode), d, std::string(name));
  // Expired weak entries keep their control blocks: sweep them when the map
  // has grown well past its last swept size.
  if (d->children_.size() >= 64 && d->children_.size() % 64 == 0) {
    absl::erase_if(d->children_,
                   [](const auto& kv) { return kv.second.expired(); });
  }
  d->children_[std::string(name)] = child;
  return child;
}

void VirtualFilesystem::ForgetChild(Dentry& parent, absl::string_view name) {
  absl::MutexLock l(&parent.children_mu_);
  if (auto it = parent.children_.find(name); it != parent.children_.end()) {
    parent.children_.erase(it);
  }
}

VirtualDentry VirtualFilesystem::FollowMountsLocked(VirtualDentry vd) {
  while (vd.dentry->mount_count() > 0) {
    auto it = mounts_.find({vd.mount.get(), vd.dentry.get()});
    if (it == mounts_.end()) break;
    vd = VirtualDentry{it->second, it->second->root_};
  }
  return vd;
}

VirtualDentry VirtualFilesystem::ParentLocked(const Context& ctx,
                                              const VirtualDentry& vd) {
  VirtualDentry cur = vd;
  for (;;) {
    if (ctx.root.ok() && cur == ctx.root) return cur;
    if (cur.dentry != cur.mount->root_) break;
    // At a mount's root: ".." is the parent of its mount point.
    if (!cur.mount->parent_) return cur;  // "/.." is "/"
    cur = VirtualDentry{cur.mount->parent_, cur.mount->mountpoint_};
  }
  if (!cur.dentry->parent_) return cur;
  return VirtualDentry{cur.mount, cur.dentry->parent_};
}

VirtualDentry VirtualFilesystem::Parent(const Context& ctx,
                                        const VirtualDentry& vd) {
  absl::ReaderMutexLock l(&ns_mu_);
  return ParentLocked(ctx, vd);
}

ErrnoOr<VirtualDentry> VirtualFilesystem::StepLocked(const Context& ctx,
                                                     const VirtualDentry& dir,
                                                     absl::string_view name) {
  if (name == ".") return dir;
  if (name == "..") return ParentLocked(ctx, dir);
  if (name.size() > kNameMax) return Errno{ENAMETOOLONG};
  ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<Dentry> child,
                         ChildLocked(dir.dentry, name));
  return FollowMountsLocked(VirtualDentry{dir.mount, std::move(child)});
}

ErrnoOr<VirtualDentry> VirtualFilesystem::FollowLinkLocked(
    const Context& ctx, const VirtualDentry& dir, const VirtualDentry& link,
    int* links) {
  if (++*links > kMaxSymlinks) return Errno{ELOOP};
  ASSIGN_OR_RETURN_ERRNO(std::string target, link.inode()->ReadLink());
  if (target.empty()) return Errno{ENOENT};
  bool trailing = false;
  return WalkFrom(ctx, dir, target, /*follow_last=*/true,
                  /*stop_before_last=*/false, links, nullptr, &trailing);
}

ErrnoOr<VirtualDentry> VirtualFilesystem::WalkFrom(
    const Context& ctx, VirtualDentry cur, absl::string_view path,
    bool follow_last, bool stop_before_last, int* links, std::string* last,
    bool* trailing_slash) {
  if (path.empty()) return Errno{ENOENT};
  if (path.size() >= kPathMax) return Errno{ENAMETOOLONG};
  if (path[0] == '/') cur = ctx.root;
  if (!cur.ok()) return Errno{ENOENT};
  // Split into components, ignoring empty ones ("a//b", leading "/").
  absl::InlinedVector<absl::string_view, 16> comps;
  for (size_t i = 0; i < path.size();) {
    size_t j = path.find('/', i);
    if (j == absl::string_view::npos) j = path.size();
    if (j > i) comps.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  *trailing_slash = path.back() == '/' && !comps.empty();
  if (comps.empty()) {
    if (last) last->clear();
    return cur;
  }
  const auth::Credentials& creds = *ctx.creds;
  for (size_t i = 0; i < comps.size(); ++i) {
    const bool is_last = i + 1 == comps.size();
    if (!cur.inode()->IsDir()) return Errno{ENOTDIR};
    RETURN_IF_ERRNO(Permission(creds, *cur.inode(), kMayExec));
    if (is_last && stop_before_last) {
      if (comps[i].size() > kNameMax) return Errno{ENAMETOOLONG};
      *last = std::string(comps[i]);
      return cur;
    }
    ASSIGN_OR_RETURN_ERRNO(VirtualDentry next, StepLocked(ctx, cur, comps[i]));
    if (next.inode()->IsSymlink() &&
        (!is_last || follow_last || *trailing_slash)) {
      std::shared_ptr<FileDescription> magic = next.inode()->MagicLinkTarget();
      if (magic != nullptr && magic->location().ok()) {
        if (++*links > kMaxSymlinks) return Errno{ELOOP};
        next = magic->location();
      } else {
        ASSIGN_OR_RETURN_ERRNO(next, FollowLinkLocked(ctx, cur, next, links));
      }
    }
    cur = std::move(next);
  }
  if (*trailing_slash && !cur.inode()->IsDir()) return Errno{ENOTDIR};
  return cur;
}

ErrnoOr<VirtualDentry> VirtualFilesystem::WalkLocked(const Context& ctx,
                                                     const PathAt& at,
                                                     bool follow, int* links) {
  bool trailing = false;
  return WalkFrom(ctx, at.start.ok() ? at.start : ctx.cwd, at.path, follow,
                  false, links, nullptr, &trailing);
}

ErrnoOr<VirtualFilesystem::ParentAndName> VirtualFilesystem::WalkParentLocked(
    const Context& ctx, const PathAt& at, int* links) {
  ParentAndName pn;
  ASSIGN_OR_RETURN_ERRNO(
      pn.parent, WalkFrom(ctx, at.start.ok() ? at.start : ctx.cwd, at.path,
                          false, true, links, &pn.name, &pn.trailing_slash));
  return pn;
}

ErrnoOr<VirtualDentry> VirtualFilesystem::Resolve(const Context& ctx,
                                                  const PathAt& at,
                                                  bool follow) {
  absl::ReaderMutexLock l(&ns_mu_);
  int links = 0;
  return WalkLocked(ctx, at, follow, &links);
}

ErrnoOr<VirtualDentry> VirtualFilesystem::ResolveDirectory(const Context& ctx,
                                                           const PathAt& at) {
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry vd, Resolve(ctx, at, true));
  if (!vd.inode()->IsDir()) return Errno{ENOTDIR};
  RETURN_IF_ERRNO(Permission(*ctx.creds, *vd.inode(), kMayExec));
  return vd;
}

ErrnoOr<std::string> VirtualFilesystem::PathLocked(const Context& ctx,
                                                   const VirtualDentry& vd,
                                                   bool* unreachable) {
  std::vector<absl::string_view> parts;
  VirtualDentry cur = vd;
  *unreachable = false;
  for (;;) {
    if (ctx.root.ok() && cur == ctx.root) break;
    if (cur.dentry == cur.mount->root_) {
      if (!cur.mount->parent_) {
        *unreachable = ctx.root.ok();
        break;
      }
      cur = VirtualDentry{cur.mount->parent_, cur.mount->mountpoint_};
      continue;
    }
    parts.push_back(cur.dentry->name_);
    if (!cur.dentry->parent_) break;
    cur.dentry = cur.dentry->parent_;
  }
  std::reverse(parts.begin(), parts.end());
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

ErrnoOr<std::string> VirtualFilesystem::GetCwd(const Context& ctx,
                                               const VirtualDentry& vd) {
  absl::ReaderMutexLock l(&ns_mu_);
  if (vd.dentry->dead_) return Errno{ENOENT};
  bool unreachable = false;
  ASSIGN_OR_RETURN_ERRNO(std::string p, PathLocked(ctx, vd, &unreachable));
  if (unreachable) return absl::StrCat("(unreachable)", p);
  return p;
}

std::string VirtualFilesystem::PathOf(const Context& ctx,
                                      const VirtualDentry& vd) {
  absl::ReaderMutexLock l(&ns_mu_);
  bool unreachable = false;
  auto p = PathLocked(ctx, vd, &unreachable);
  std::string s = p.ok() ? *p : "";
  if (vd.dentry->dead_) absl::StrAppend(&s, " (deleted)");
  return s;
}

// --- Creation and removal --------------------------------------------------

ErrnoStatus VirtualFilesystem::CreateLocked(const Context& ctx,
                                            const PathAt& at, CreateRequest req,
                                            bool allow_trailing_slash) {
  int links = 0;
  ASSIGN_OR_RETURN_ERRNO(ParentAndName pn, WalkParentLocked(ctx, at, &links));
  if (pn.name.empty() || IsDotName(pn.name)) return Errno{EEXIST};
  auto existing = ChildLocked(pn.parent.dentry, pn.name);
  if (existing.ok()) return Errno{EEXIST};
  if (existing.error() != Errno{ENOENT}) return existing.error();
  if (pn.trailing_slash && !allow_trailing_slash) return Errno{ENOENT};
  if (pn.parent.mount->flags_.read_only) return Errno{EROFS};
  if (pn.parent.dentry->dead_) return Errno{ENOENT};
  Inode& dir = *pn.parent.inode();
  RETURN_IF_ERRNO(Permission(*ctx.creds, dir, kMayWrite | kMayExec));
  ASSIGN_OR_RETURN_ERRNO(Stat dst, dir.GetStat());
  req.uid = ctx.creds->fs_uid;
  req.gid = ctx.creds->fs_gid;
  if (dst.mode & S_ISGID) {
    // BSD group semantics in setgid directories; subdirectories inherit it.
    req.gid = dst.gid;
    if (S_ISDIR(req.mode)) req.mode |= S_ISGID;
  }
  ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<Inode> inode,
                         dir.Create(pn.name, req));
  NotifyInode(&dir, IN_CREATE | (S_ISDIR(req.mode) ? IN_ISDIR : 0), 0, pn.name);
  return OkErrno();
}

ErrnoStatus VirtualFilesystem::Mkdir(const Context& ctx, const PathAt& at,
                                     uint32_t mode) {
  absl::MutexLock l(&ns_mu_);
  CreateRequest req;
  req.mode = S_IFDIR | (mode & 01777 & ~ctx.umask);
  return CreateLocked(ctx, at, std::move(req), true);
}

ErrnoStatus VirtualFilesystem::Mknod(const Context& ctx, const PathAt& at,
                                     uint32_t mode, uint64_t rdev) {
  uint32_t type = mode & S_IFMT;
  if (type == 0) type = S_IFREG;
  switch (type) {
    case S_IFREG:
    case S_IFIFO:
    case S_IFSOCK:
      break;
    case S_IFCHR:
    case S_IFBLK:
      if (!ctx.creds->HasCapability(CAP_MKNOD)) return Errno{EPERM};
      break;
    case S_IFDIR:
      return Errno{EPERM};
    default:
      return Errno{EINVAL};
  }
  absl::MutexLock l(&ns_mu_);
  CreateRequest req;
  req.mode = type | (mode & 07777 & ~ctx.umask);
  req.rdev = (type == S_IFCHR || type == S_IFBLK) ? rdev : 0;
  return CreateLocked(ctx, at, std::move(req), false);
}

ErrnoStatus VirtualFilesystem::Symlink(const Context& ctx,
                                       absl::string_view target,
                                       const PathAt& linkpath) {
  if (target.empty()) return Errno{ENOENT};
  if (target.size() >= kPathMax) return Errno{ENAMETOOLONG};
  absl::MutexLock l(&ns_mu_);
  CreateRequest req;
  req.mode = S_IFLNK | 0777;
  req.symlink_target = std::string(target);
  return CreateLocked(ctx, linkpath, std::move(req), false);
}

ErrnoStatus VirtualFilesystem::Link(const Context& ctx, const PathAt& oldpath,
                                    const PathAt& newpath, bool follow) {
  absl::MutexLock l(&ns_mu_);
  int links = 0;
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry old,
                         WalkLocked(ctx, oldpath, follow, &links));
  links = 0;
  ASSIGN_OR_RETURN_ERRNO(ParentAndName pn,
                         WalkParentLocked(ctx, newpath, &links));
  if (pn.name.empty() || IsDotName(pn.name)) return Errno{EEXIST};
  auto existing = ChildLocked(pn.parent.dentry, pn.name);
  if (existing.ok()) return Errno{EEXIST};
  if (existing.error() != Errno{ENOENT}) return existing.error();
  if (pn.trailing_slash) return Errno{ENOENT};
  if (old.mount != pn.parent.mount) return Errno{EXDEV};
  if (pn.parent.mount->flags_.read_only) return Errno{EROFS};
  Inode& dir = *pn.parent.inode();
  RETURN_IF_ERRNO(Permission(*ctx.creds, dir, kMayWrite | kMayExec));
  if (old.inode()->IsDir()) return Errno{EPERM};
  if (old.dentry->dead_) return Errno{ENOENT};
  if (pn.parent.dentry->dead_) return Errno{ENOENT};
  RETURN_IF_ERRNO(dir.Link(pn.name, old.dentry->inode()));
  NotifyInode(old.inode(), IN_ATTRIB);
  NotifyInode(&dir, IN_CREATE, 0, pn.name);
  return OkErrno();
}

ErrnoOr<std::string> VirtualFilesystem::ReadLink(const Context& ctx,
                                                 const PathAt& at) {
  // An empty path names at.start itself (readlinkat on an O_PATH fd).
  VirtualDentry vd = at.start;
  if (!at.path.empty() || !vd.ok()) {
    ASSIGN_OR_RETURN_ERRNO(vd, Resolve(ctx, at, false));
  }
  if (!vd.inode()->IsSymlink()) return Errno{EINVAL};
  return vd.inode()->ReadLink();
}

ErrnoStatus VirtualFilesystem::CheckSticky(const auth::Credentials& creds,
                                           Inode& dir, Inode& victim) {
  ASSIGN_OR_RETURN_ERRNO(Stat dst, dir.GetStat());
  if (!(dst.mode & S_ISVTX)) return OkErrno();
  ASSIGN_OR_RETURN_ERRNO(Stat vst, victim.GetStat());
  if (creds.fs_uid == vst.uid || creds.fs_uid == dst.uid ||
      creds.HasCapability(CAP_FOWNER)) {
    return OkErrno();
  }
  return Errno{EPERM};
}

ErrnoStatus VirtualFilesystem::RemoveLocked(const Context& ctx,
                                            const PathAt& at, bool dir) {
  int links = 0;
  ASSIGN_OR_RETURN_ERRNO(ParentAndName pn, WalkParentLocked(ctx, at, &links));
  if (pn.name.empty()) return dir ? Errno{EBUSY} : Errno{EISDIR};
  if (pn.name == ".") return dir ? Errno{EINVAL} : Errno{EISDIR};
  if (pn.name == "..") return dir ? Errno{ENOTEMPTY} : Errno{EISDIR};
  if (pn.parent.mount->flags_.read_only) return Errno{EROFS};
  ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<Dentry> child,
                         ChildLocked(pn.parent.dentry, pn.name));
  Inode& parent = *pn.parent.inode();
  RETURN_IF_ERRNO(Permission(*ctx.creds, parent, kMayWrite | kMayExec));
  RETURN_IF_ERRNO(CheckSticky(*ctx.creds, parent, *child->get()));
  if (dir) {
    if (!child->get()->IsDir()) return Errno{ENOTDIR};
  } else {
    if (child->get()->IsDir()) return Errno{EISDIR};
    if (pn.trailing_slash) return Errno{ENOTDIR};
  }
  if (IsMountedLocked(VirtualDentry{pn.parent.mount, child})) {
    return Errno{EBUSY};
  }
  RETURN_IF_ERRNO(parent.Unlink(pn.name, dir));
  NotifyUnlinked(*child->get());
  NotifyInode(&parent, IN_DELETE | DirBit(*child->get()), 0, pn.name);
  child->dead_ = true;
  ForgetChild(*pn.parent.dentry, pn.name);
  return OkErrno();
}

ErrnoStatus VirtualFilesystem::Unlink(const Context& ctx, const PathAt& at) {
  absl::MutexLock l(&ns_mu_);
  return RemoveLocked(ctx, at, false);
}

ErrnoStatus VirtualFilesystem::Rmdir(const Context& ctx, const PathAt& at) {
  absl::MutexLock l(&ns_mu_);
  return RemoveLocked(ctx, at, true);
}

ErrnoStatus VirtualFilesystem::Rename(const Context& ctx, const PathAt& oldpath,
                                      const PathAt& newpath, uint32_t flags) {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) return Errno{EINVAL};
  if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) {
    return Errno{EINVAL};
  }
  absl::MutexLock l(&ns_mu_);
  int links = 0;
  ASSIGN_OR_RETURN_ERRNO(ParentAndName op,
                         WalkParentLocked(ctx, oldpath, &links));
  links = 0;
  ASSIGN_OR_RETURN_ERRNO(ParentAndName np,
                         WalkParentLocked(ctx, newpath, &links));
  if (op.name.empty() || IsDotName(op.name) || np.name.empty() ||
      IsDotName(np.name)) {
    return Errno{EBUSY};
  }
  if (op.parent.mount != np.parent.mount) return Errno{EXDEV};
  if (op.parent.mount->flags_.read_only) return Errno{EROFS};
  ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<Dentry> src,
                         ChildLocked(op.parent.dentry, op.name));
  std::shared_ptr<Dentry> dst;
  if (auto d = ChildLocked(np.parent.dentry, np.name); d.ok()) {
    dst = *d;
  } else if (d.error() != Errno{ENOENT}) {
    return d.error();
  }
  const bool exchange = flags & RENAME_EXCHANGE;
  const bool src_dir = src->get()->IsDir();
  if (!src_dir && (op.trailing_slash || np.trailing_slash)) {
    return Errno{ENOTDIR};
  }
  if (exchange && !dst) return Errno{ENOENT};
  if (dst && (flags & RENAME_NOREPLACE)) return Errno{EEXIST};

  Inode& odir = *op.parent.inode();
  Inode& ndir = *np.parent.inode();
  const auth::Credentials& creds = *ctx.creds;
  RETURN_IF_ERRNO(Permission(creds, odir, kMayWrite | kMayExec));
  RETURN_IF_ERRNO(Permission(creds, ndir, kMayWrite | kMayExec));
  RETURN_IF_ERRNO(CheckSticky(creds, odir, *src->get()));
  if (dst) RETURN_IF_ERRNO(CheckSticky(creds, ndir, *dst->get()));
  if (dst && dst->inode() == src->inode()) return OkErrno();  // same file
  if (!exchange && dst) {
    const bool dst_dir = dst->get()->IsDir();
    if (src_dir && !dst_dir) return Errno{ENOTDIR};
    if (!src_dir && dst_dir) return Errno{EISDIR};
  }
  // A moved directory's ".." changes: it needs write permission itself.
  if (op.parent.dentry != np.parent.dentry) {
    if (src_dir) RETURN_IF_ERRNO(Permission(creds, *src->get(), kMayWrite));
    if (exchange && dst->get()->IsDir()) {
      RETURN_IF_ERRNO(Permission(creds, *dst->get(), kMayWrite));
    }
  }
  // A directory cannot move into its own subtree; the target cannot be an
  // ancestor of the source (it would be non-empty).
  for (Dentry* d = np.parent.dentry.get(); d != nullptr; d = d->parent_.get()) {
    if (d == src.get()) return Errno{EINVAL};
  }
  if (dst) {
    for (Dentry* d = op.parent.dentry.get(); d != nullptr;
         d = d->parent_.get()) {
      if (d == dst.get()) return exchange ? Errno{EINVAL} : Errno{ENOTEMPTY};
    }
  }
  if (IsMountedLocked(VirtualDentry{op.parent.mount, src}) ||
      (dst && IsMountedLocked(VirtualDentry{np.parent.mount, dst}))) {
    return Errno{EBUSY};
  }
  RETURN_IF_ERRNO(odir.Rename(op.name, ndir, np.name, flags));
  if (HaveWatches()) {
    const uint32_t cookie = NewMoveCookie();
    NotifyInode(&odir, IN_MOVED_FROM | DirBit(*src->get()), cookie, op.name);
    NotifyInode(&ndir, IN_MOVED_TO | DirBit(*src->get()), cookie, np.name);
    NotifyInode(src->get(), IN_MOVE_SELF);
    if (exchange) {
      const uint32_t c2 = NewMoveCookie();
      NotifyInode(&ndir, IN_MOVED_FROM | DirBit(*dst->get()), c2, np.name);
      NotifyInode(&odir, IN_MOVED_TO | DirBit(*dst->get()), c2, op.name);
      NotifyInode(dst->get(), IN_MOVE_SELF);
    } else if (dst) {
      NotifyUnlinked(*dst->get());
    }
  }

  // Move the cached dentries to match.
  ForgetChild(*op.parent.dentry, op.name);
  ForgetChild(*np.parent.dentry, np.name);
  if (exchange) {
    dst->parent_ = op.parent.dentry;
    dst->name_ = op.name;
    absl::MutexLock cl(&op.parent.dentry->children_mu_);
    op.parent.dentry->children_[op.name] = dst;
  } else if (dst) {
    dst->dead_ = true;
  }
  src->parent_ = np.parent.dentry;
  src->name_ = np.name;
  absl::MutexLock cl(&np.parent.dentry->children_mu_);
  np.parent.dentry->children_[np.name] = src;
  return OkErrno();
}

// --- Attributes --------------------------------------------------------------

ErrnoOr<Stat> VirtualFilesystem::GetStat(const Context& ctx, const PathAt& at,
                                         bool follow) {
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry vd, Resolve(ctx, at, follow));
  return vd.inode()->GetStat();
}

ErrnoOr<Stat> VirtualFilesystem::GetStat(const VirtualDentry& vd) {
  return vd.inode()->GetStat();
}

ErrnoOr<StatFs> VirtualFilesystem::GetStatFs(const Context& ctx,
                                             const PathAt& at) {
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry vd, Resolve(ctx, at, true));
  return GetStatFs(vd);
}

ErrnoOr<StatFs> VirtualFilesystem::GetStatFs(const VirtualDentry& vd) {
  ASSIGN_OR_RETURN_ERRNO(StatFs s, vd.mount->fs()->GetStatFs());
  MountFlags f;
  {
    absl::ReaderMutexLock l(&ns_mu_);
    f = vd.mount->flags_;
  }
  s.flags = 0x20 /* ST_VALID */ | (f.read_only ? ST_RDONLY : 0) |
            (f.nosuid ? ST_NOSUID : 0) | (f.nodev ? ST_NODEV : 0) |
            (f.noexec ? ST_NOEXEC : 0);
  return s;
}

ErrnoStatus VirtualFilesystem::SetStatLocked(const Context& ctx,
                                             const VirtualDentry& vd,
                                             SetStatRequest req) {
  if (vd.mount->flags_.read_only) return Errno{EROFS};
  Inode& inode = *vd.inode();
  ASSIGN_OR_RETURN_ERRNO(Stat st, inode.GetStat());
  const auth::Credentials& creds = *ctx.creds;
  if (req.mask & SetStatRequest::kMode) {
    if (!auth::IsOwnerOrCapable(creds, st.uid)) return Errno{EPERM};
    if (!creds.InGroup(st.gid) && !creds.HasCapability(CAP_FSETID)) {
      req.mode &= ~S_ISGID;
    }
  }
  if (req.mask & (SetStatRequest::kUid | SetStatRequest::kGid)) {
    bool chown_cap = creds.HasCapability(CAP_CHOWN);
    if ((req.mask & SetStatRequest::kUid) && req.uid != st.uid && !chown_cap) {
      return Errno{EPERM};
    }
    if ((req.mask & SetStatRequest::kGid) && req.gid != st.gid && !chown_cap &&
        !(creds.fs_uid == st.uid && creds.InGroup(req.gid))) {
      return Errno{EPERM};
    }
    if ((req.mask & (SetStatRequest::kUid | SetStatRequest::kGid)) &&
        !chown_cap && creds.fs_uid != st.uid) {
      return Errno{EPERM};
    }
    // Changing owners clears set-id bits of non-directories (Linux).
    if (!S_ISDIR(st.mode) && (st.mode & (S_ISUID | S_ISGID))) {
      uint32_t mode = (req.mask & SetStatRequest::kMode) ? req.mode : st.mode;
      mode &= ~S_ISUID;
      if (mode & S_IXGRP) mode &= ~S_ISGID;
      req.mask |= SetStatRequest::kMode;
      req.mode = mode & 07777;
    }
  }
  RETURN_IF_ERRNO(inode.SetStat(req));
  NotifyEventLocked(vd,
                    (req.mask & SetStatRequest::kSize) ? IN_MODIFY : IN_ATTRIB);
  return OkErrno();
}

ErrnoStatus VirtualFilesystem::ChmodAt(const Context& ctx,
                                       const VirtualDentry& vd, uint32_t mode) {
  absl::ReaderMutexLock l(&ns_mu_);
  SetStatRequest req;
  req.mask = SetStatRequest::kMode;
  req.mode = mode & 07777;
  return SetStatLocked(ctx, vd, req);
}

ErrnoStatus VirtualFilesystem::ChownAt(const Context& ctx,
                                       const VirtualDentry& vd, uint32_t uid,
                                       uint32_t gid) {
  absl::ReaderMutexLock l(&ns_mu_);
  SetStatRequest req;
  if (uid != static_cast<uint32_t>(-1)) {
    req.mask |= SetStatRequest::kUid;
    req.uid = uid;
  }
  if (gid != static_cast<uint32_t>(-1)) {
    req.mask |= SetStatRequest::kGid;
    req.gid = gid;
  }
  if (req.mask == 0) {
    if (vd.mount->flags_.read_only) return Errno{EROFS};
    return OkErrno();
  }
  return SetStatLocked(ctx, vd, req);
}

ErrnoStatus VirtualFilesystem::UtimensAt(const Context& ctx,
                                         const VirtualDentry& vd,
                                         Timespec atime, Timespec mtime) {
  absl::ReaderMutexLock l(&ns_mu_);
  if (vd.mount->flags_.read_only) return Errno{EROFS};
  SetStatRequest req;
  Timespec now = Now();
  bool explicit_time = false;
  for (auto [t, bit, out] :
       {std::tuple{atime, SetStatRequest::kAtime, &req.atime},
        std::tuple{mtime, SetStatRequest::kMtime, &req.mtime}}) {
    if (t.nsec == UTIME_OMIT) continue;
    if (t.nsec == UTIME_NOW) {
      *out = now;
    } else {
      if (t.nsec < 0 || t.nsec >= 1000000000) return Errno{EINVAL};
      *out = t;
      explicit_time = true;
    }
    req.mask |= bit;
  }
  if (req.mask == 0) return OkErrno();
  ASSIGN_OR_RETURN_ERRNO(Stat st, vd.inode()->GetStat());
  if (!auth::IsOwnerOrCapable(*ctx.creds, st.uid)) {
    if (explicit_time) return Errno{EPERM};
    RETURN_IF_ERRNO(Permission(*ctx.creds, *vd.inode(), kMayWrite));
  }
  RETURN_IF_ERRNO(vd.inode()->SetStat(req));
  NotifyEventLocked(vd, IN_ATTRIB);
  return OkErrno();
}

ErrnoStatus VirtualFilesystem::Chmod(const Context& ctx, const PathAt& at,
                                     uint32_t mode, bool follow) {
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry vd, Resolve(ctx, at, follow));
  return ChmodAt(ctx, vd, mode);
}

ErrnoStatus VirtualFilesystem::Chown(const Context& ctx, const PathAt& at,
                                     uint32_t uid, uint32_t gid, bool follow) {
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry vd, Resolve(ctx, at, follow));
  return ChownAt(ctx, vd, uid, gid);
}

ErrnoStatus VirtualFilesystem::Utimens(const Context& ctx, const PathAt& at,
                                       Timespec atime, Timespec mtime,
                                       bool follow) {
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry vd, Resolve(ctx, at, follow));
  return UtimensAt(ctx, vd, atime, mtime);
}

ErrnoStatus VirtualFilesystem::Truncate(const Context& ctx, const PathAt& at,
                                        int64_t size) {
  if (size < 0) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(VirtualDentry vd, Resolve(ctx, at, true));
  Inode& inode = *vd.inode();
  if (inode.IsDir()) return Errno{EISDIR};
  {
    absl::ReaderMutexLock l(&ns_mu_);
    if (vd.mount->flags_.read_only) return Errno{EROFS};
  }
  RETURN_IF_ERRNO(Permission(*ctx.creds, inode, kMayWrite));
  if (!inode.IsRegular()) return Errno{EINVAL};
  SetStatRequest req;
  req.mask = SetStatRequest::kSize;
  req.size = size;
  RETURN_IF_ERRNO(inode.SetStat(req));
  NotifyEvent(vd, IN_MODIFY);
  return OkErrno();
}

ErrnoStatus VirtualFilesystem::Access(const Context& ctx, const PathAt& at,
                                      int mode, bool follow,
                                      bool effective_ids) {
  if (mode & ~(R_OK | W_OK | X_OK)) return Errno{EINVAL};
  Context c = ctx;
  if (!effective_ids) {
    c.creds =
        std::make_shared<const auth::Credentials>(ctx.creds->ForAccessCheck());
  }
  // An empty path names at.start itself (faccessat2's AT_EMPTY_PATH).
  VirtualDentry vd = at.start;
  if (!at.path.empty() || !vd.ok()) {
    ASSIGN_OR_RETURN_ERRNO(vd, Resolve(c, at, follow));
  }
  if (mode == F_OK) return OkErrno();
  Inode& inode = *vd.inode();
  MountFlags mf;
  {
    absl::ReaderMutexLock l(&ns_mu_);
    mf = vd.mount->flags_;
  }
  uint32_t t = inode.type();
  if ((mode & W_OK) && mf.read_only &&
      (t == S_IFREG || t == S_IFDIR || t == S_IFLNK)) {
    return Errno{EROFS};
  }
  if ((mode & X_OK) && mf.noexec && t == S_IFREG) return Errno{EACCES};
  return Permission(*c.creds, inode, mode);
}

// --- Open ------------------------------------------------------------------

ErrnoOr<std::shared_ptr<FileDescription>> VirtualFilesystem::Open(
    const Context& ctx, const PathAt& at, int flags, uint32_t mode) {
  if (flags & O_PATH) {
    flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  } else if ((flags & O_ACCMODE) == O_ACCMODE) {
    return Errno{EINVAL};
  }
  if ((flags & O_TMPFILE) == O_TMPFILE) return Errno{EOPNOTSUPP};
  const bool nofollow = flags & O_NOFOLLOW;
  VirtualDentry vd;
  bool created = false;
  if (!(flags & O_CREAT)) {
    absl::ReaderMutexLock l(&ns_mu_);
    int links = 0;
    auto walked = WalkLocked(ctx, at, !nofollow, &links);
    if (!walked.ok() && walked.error() == Errno{ENOENT} && !nofollow) {
      // A magic link to a file without a path (a pipe or socket of
      // /proc/self/fd, as bash's <(...) hands out): open that file.
      auto link = WalkLocked(ctx, at, false, &links);
      if (link.ok() && link->inode()->IsSymlink()) {
        std::shared_ptr<FileDescription> magic =
            link->inode()->MagicLinkTarget();
        if (magic != nullptr && !magic->location().ok()) {
          return ReopenAnonymous(magic, flags);
        }
      }
    }
    ASSIGN_OR_RETURN_ERRNO(vd, std::move(walked));
  } else {
    absl::MutexLock l(&ns_mu_);
    int links = 0;
    PathAt cur = at;
    std::string link_target;
    for (;;) {
      ASSIGN_OR_RETURN_ERRNO(ParentAndName pn,
                             WalkParentLocked(ctx, cur, &links));
      if (pn.name.empty() || IsDotName(pn.name) || pn.trailing_slash) {
        return Errno{EISDIR};
      }
      auto child = ChildLocked(pn.parent.dentry, pn.name);
      if (child.ok()) {
        // O_EXCL fails on any existing name, a dangling symlink included.
        if (flags & O_EXCL) return Errno{EEXIST};
        VirtualDentry cvd =
            FollowMountsLocked(VirtualDentry{pn.parent.mount, *child});
        if (cvd.inode()->IsSymlink()) {
          if (nofollow) return Errno{ELOOP};
          if (++links > kMaxSymlinks) return Errno{ELOOP};
          // Follow it; a dangling link creates its target (Linux).
          ASSIGN_OR_RETURN_ERRNO(link_target, cvd.inode()->ReadLink());
          if (link_target.empty()) return Errno{ENOENT};
          cur = PathAt{pn.parent, link_target};
          continue;
        }
        if (cvd.inode()->IsDir()) return Errno{EISDIR};
        vd = std::move(cvd);
        break;
      }
      if (child.error() != Errno{ENOENT}) return child.error();
      if (pn.parent.mount->flags_.read_only) return Errno{EROFS};
      if (pn.parent.dentry->dead_) return Errno{ENOENT};
      CreateRequest req;
      req.mode = S_IFREG | (mode & 07777 & ~ctx.umask);
      RETURN_IF_ERRNO(
          CreateLocked(ctx, PathAt{pn.parent, pn.name}, req, false));
      ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<Dentry> d,
                             ChildLocked(pn.parent.dentry, pn.name));
      vd = VirtualDentry{pn.parent.mount, std::move(d)};
      created = true;
      break;
    }
  }
  if (vd.inode()->IsSymlink() && !(flags & O_PATH)) return Errno{ELOOP};
  return OpenResolved(ctx, vd, flags, created);
}

std::shared_ptr<FileDescription> VirtualFilesystem::AnonymousMagicLink(
    const Context& ctx, const PathAt& at) {
  auto link = Resolve(ctx, at, false);
  if (!link.ok() || !link->inode()->IsSymlink()) return nullptr;
  std::shared_ptr<FileDescription> magic = link->inode()->MagicLinkTarget();
  if (magic == nullptr || magic->location().ok()) return nullptr;
  return magic;
}

ErrnoOr<std::shared_ptr<FileDescription>> VirtualFilesystem::ReopenAnonymous(
    const std::shared_ptr<FileDescription>& file, int flags) {
  // Linux opens the pipe or socket inode afresh; we share the description
  // (its offset and status flags), which is what a program that reopens
  // /dev/stdin or /dev/fd/N observes for pipes and sockets anyway. The
  // access mode must be one the description allows.
  const int acc = flags & O_ACCMODE;
  if (flags & O_PATH) return file;
  if ((acc == O_RDONLY || acc == O_RDWR) && !file->readable()) {
    return Errno{EACCES};
  }
  if ((acc == O_WRONLY || acc == O_RDWR) && !file->writable()) {
    return Errno{EACCES};
  }
  return file;
}

ErrnoOr<std::shared_ptr<FileDescription>> VirtualFilesystem::OpenAt(
    const Context& ctx, const VirtualDentry& vd, int flags) {
  if (flags & O_PATH) {
    flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  } else if ((flags & O_ACCMODE) == O_ACCMODE) {
    return Errno{EINVAL};
  }
  if (vd.inode()->IsSymlink() && !(flags & O_PATH)) return Errno{ELOOP};
  return OpenResolved(ctx, vd, flags & ~(O_CREAT | O_EXCL), false);
}

ErrnoOr<std::shared_ptr<FileDescription>> VirtualFilesystem::OpenResolved(
    const Context& ctx, const VirtualDentry& vd, int flags, bool created) {
  Inode& inode = *vd.inode();
  if ((flags & O_DIRECTORY) && !inode.IsDir()) return Errno{ENOTDIR};
  if (flags & O_PATH) {
    return std::make_shared<FileDescription>(this, vd, nullptr, flags, nullptr);
  }
  const int acc = flags & O_ACCMODE;
  int may = 0;
  if (acc == O_RDONLY || acc == O_RDWR) may |= kMayRead;
  if (acc == O_WRONLY || acc == O_RDWR) may |= kMayWrite;
  if (flags & O_TRUNC) may |= kMayWrite;
  if (inode.IsDir() && (may & kMayWrite)) return Errno{EISDIR};
  MountFlags mf;
  {
    absl::ReaderMutexLock l(&ns_mu_);
    mf = vd.mount->flags_;
  }
  const uint32_t type = inode.type();
  const bool is_dev = type == S_IFCHR || type == S_IFBLK;
  if (is_dev && mf.nodev) return Errno{EACCES};
  if ((may & kMayWrite) && mf.read_only &&
      (type == S_IFREG || type == S_IFDIR || type == S_IFLNK)) {
    return Errno{EROFS};
  }
  if (!created) RETURN_IF_ERRNO(Permission(*ctx.creds, inode, may));
  if ((flags & O_TRUNC) && inode.IsRegular() && !created) {
    SetStatRequest req;
    req.mask = SetStatRequest::kSize;
    req.size = 0;
    RETURN_IF_ERRNO(inode.SetStat(req));
    NotifyEvent(vd, IN_MODIFY);
  }
  std::unique_ptr<FileImpl> impl;
  OpenRequest req;
  req.flags = flags & ~(O_CREAT | O_EXCL | O_TRUNC);
  req.waiter = ctx.waiter;
  req.vfs = this;
  if (is_dev) {
    ASSIGN_OR_RETURN_ERRNO(Stat st, inode.GetStat());
    ASSIGN_OR_RETURN_ERRNO(impl, OpenDevice(type, st.rdev, req));
  } else if (!inode.IsDir()) {
    ASSIGN_OR_RETURN_ERRNO(impl, inode.Open(req));
  }
  auto f = std::make_shared<FileDescription>(this, vd, nullptr, flags,
                                             std::move(impl));
  NotifyEvent(vd, IN_OPEN);
  return f;
}

// --- Events ----------------------------------------------------------------

void VirtualFilesystem::NotifyEvent(const VirtualDentry& vd, uint32_t mask) {
  if (!HaveWatches() || !vd.ok()) return;
  absl::ReaderMutexLock l(&ns_mu_);
  NotifyEventLocked(vd, mask);
}

void VirtualFilesystem::NotifyEventLocked(const VirtualDentry& vd,
                                          uint32_t mask) {
  if (!HaveWatches() || !vd.ok()) return;
  const Dentry& d = *vd.dentry;
  mask |= DirBit(*d.get());
  NotifyInode(d.get(), mask);
  // A mount root's parent lies in another mount: Linux reports the event
  // to the parent only within one mount too.
  if (d.parent_ != nullptr && !d.dead_) {
    NotifyInode(d.parent_->get(), mask, 0, d.name_);
  }
}

}  // namespace sentry::vfs
