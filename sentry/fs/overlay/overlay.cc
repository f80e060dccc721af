#include "sentry/fs/overlay/overlay.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>

#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace sentry::fs::overlay {
namespace {

constexpr uint64_t kUpperInoBit = uint64_t{1} << 48;

uint64_t InoOf(vfs::Inode& inode) {
  auto st = inode.GetStat();
  return st.ok() ? st->ino : 0;
}

// Copies all bytes of a lower regular file into a new upper one.
ErrnoStatus CopyData(vfs::Inode& from, vfs::Inode& to) {
  vfs::OpenRequest rreq;
  rreq.flags = O_RDONLY;
  ASSIGN_OR_RETURN_ERRNO(std::unique_ptr<vfs::FileImpl> in, from.Open(rreq));
  vfs::OpenRequest wreq;
  wreq.flags = O_WRONLY;
  ASSIGN_OR_RETURN_ERRNO(std::unique_ptr<vfs::FileImpl> out, to.Open(wreq));
  std::vector<std::byte> buf(1 << 16);
  int64_t off = 0;
  for (;;) {
    vfs::SpanDst dst(buf);
    ASSIGN_OR_RETURN_ERRNO(size_t n, in->Read(dst, off, vfs::IoOptions{}));
    if (n == 0) break;
    vfs::SpanSrc src(buf.data(), n);
    int64_t end = 0;
    ASSIGN_OR_RETURN_ERRNO(size_t w,
                           out->Write(src, off, vfs::IoOptions{}, &end));
    if (w != n) return Errno{EIO};
    off += static_cast<int64_t>(n);
  }
  return OkErrno();
}

uint64_t InitialIno(OverlayState& state, vfs::Inode* upper, vfs::Inode* lower) {
  if (lower) return InoOf(*lower);
  if (auto o = state.Origin(upper)) return *o;
  return InoOf(*upper) | kUpperInoBit;
}

}  // namespace

void OverlayState::SetOrigin(const std::shared_ptr<vfs::Inode>& upper,
                             uint64_t ino) {
  absl::MutexLock l(&mu_);
  if (origin_.size() >= 1024 && origin_.size() % 1024 == 0) {
    absl::erase_if(origin_,
                   [](const auto& kv) { return kv.second.first.expired(); });
  }
  origin_[upper.get()] = {upper, ino};
}

std::optional<uint64_t> OverlayState::Origin(const vfs::Inode* upper) {
  absl::MutexLock l(&mu_);
  auto it = origin_.find(upper);
  if (it == origin_.end() || it->second.first.expired()) return std::nullopt;
  return it->second.second;
}

bool IsWhiteout(vfs::Inode& inode) {
  if (inode.type() != S_IFCHR) return false;
  auto st = inode.GetStat();
  return st.ok() && st->rdev == 0;
}

// --- OverlayFs ---------------------------------------------------------------

OverlayFs::OverlayFs(std::shared_ptr<vfs::Filesystem> upper,
                     std::shared_ptr<vfs::Filesystem> lower)
    : upper_(std::move(upper)),
      lower_(std::move(lower)),
      state_(std::make_shared<OverlayState>()) {
  std::shared_ptr<vfs::Inode> uroot = upper_->Root();
  std::shared_ptr<vfs::Inode> lroot = lower_->Root();
  // The merged root looks like the lower root.
  if (auto st = lroot->GetStat(); st.ok()) {
    vfs::SetStatRequest req;
    req.mask = vfs::SetStatRequest::kMode | vfs::SetStatRequest::kUid |
               vfs::SetStatRequest::kGid;
    req.mode = st->mode & 07777;
    req.uid = st->uid;
    req.gid = st->gid;
    (void)uroot->SetStat(req);
  }
  bool opaque = uroot->Lookup(kOpaqueMarker).ok();
  root_ =
      std::make_shared<OverlayInode>(state_, uroot, lroot, opaque, nullptr, "");
}

std::shared_ptr<vfs::Inode> OverlayFs::Root() { return root_; }

ErrnoOr<vfs::StatFs> OverlayFs::GetStatFs() {
  ASSIGN_OR_RETURN_ERRNO(vfs::StatFs s, upper_->GetStatFs());
  s.type = kOverlayMagic;
  return s;
}

// --- OverlayInode
// --------------------------------------------------------------

OverlayInode::OverlayInode(std::shared_ptr<OverlayState> state,
                           std::shared_ptr<vfs::Inode> upper,
                           std::shared_ptr<vfs::Inode> lower, bool opaque,
                           std::shared_ptr<OverlayInode> parent,
                           std::string name)
    : Inode(upper ? upper->type() : lower->type()),
      state_(std::move(state)),
      lower_(std::move(lower)),
      ino_(InitialIno(*state_, upper.get(), lower_.get())),
      upper_(std::move(upper)),
      opaque_(opaque),
      parent_(std::move(parent)),
      name_(std::move(name)) {}

std::shared_ptr<vfs::Inode> OverlayInode::upper() {
  absl::MutexLock l(&mu_);
  return upper_;
}

bool OverlayInode::has_upper() { return upper() != nullptr; }

bool OverlayInode::opaque() {
  absl::MutexLock l(&mu_);
  return opaque_;
}

ErrnoOr<vfs::Stat> OverlayInode::GetStat() {
  std::shared_ptr<vfs::Inode> up = upper();
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, (up ? up : lower_)->GetStat());
  st.dev = state_->dev();
  st.ino = ino_;
  return st;
}

ErrnoStatus OverlayInode::SetStat(const vfs::SetStatRequest& req) {
  RETURN_IF_ERRNO(CopyUp());
  return upper()->SetStat(req);
}

ErrnoStatus OverlayInode::CopyUp() {
  std::shared_ptr<OverlayInode> parent;
  std::string name;
  {
    absl::MutexLock l(&mu_);
    if (upper_) return OkErrno();
    parent = parent_;
    name = name_;
  }
  if (!parent) return Errno{EIO};  // the root always has an upper part
  RETURN_IF_ERRNO(parent->CopyUp());
  absl::MutexLock l(&mu_);
  if (upper_) return OkErrno();
  return CopyUpLocked(*parent, name);
}

ErrnoStatus OverlayInode::CopyUpLocked(OverlayInode& parent,
                                       const std::string& name) {
  std::shared_ptr<vfs::Inode> pu = parent.upper();
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, lower_->GetStat());
  vfs::CreateRequest req;
  req.mode = st.mode;
  req.uid = st.uid;
  req.gid = st.gid;
  req.rdev = st.rdev;
  if (lower_->IsSymlink()) {
    ASSIGN_OR_RETURN_ERRNO(req.symlink_target, lower_->ReadLink());
  }
  ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<vfs::Inode> created,
                         pu->Create(name, req));
  if (lower_->IsRegular()) {
    if (auto s = CopyData(*lower_, *created); !s.ok()) {
      (void)pu->Unlink(name, false);
      return s.error();
    }
  }
  vfs::SetStatRequest attrs;
  attrs.mask = vfs::SetStatRequest::kMode | vfs::SetStatRequest::kUid |
               vfs::SetStatRequest::kGid | vfs::SetStatRequest::kAtime |
               vfs::SetStatRequest::kMtime;
  attrs.mode = st.mode & 07777;
  attrs.uid = st.uid;
  attrs.gid = st.gid;
  attrs.atime = st.atime;
  attrs.mtime = st.mtime;
  if (!lower_->IsSymlink()) (void)created->SetStat(attrs);
  state_->SetOrigin(created, ino_);
  upper_ = std::move(created);
  return OkErrno();
}

ErrnoOr<std::shared_ptr<vfs::Inode>> OverlayInode::Lookup(
    absl::string_view name) {
  if (name == kOpaqueMarker) return Errno{ENOENT};
  absl::MutexLock l(&mu_);
  if (auto it = children_.find(name); it != children_.end()) {
    if (auto c = it->second.lock()) return std::shared_ptr<vfs::Inode>(c);
  }
  std::shared_ptr<vfs::Inode> u, lo;
  if (upper_) {
    auto r = upper_->Lookup(name);
    if (r.ok()) {
      u = *r;
    } else if (r.error() != Errno{ENOENT}) {
      return r.error();
    }
  }
  if (u && IsWhiteout(*u)) return Errno{ENOENT};
  bool child_opaque = u && u->IsDir() && u->Lookup(kOpaqueMarker).ok();
  if (lower_ && !opaque_ && (!u || (u->IsDir() && !child_opaque))) {
    auto r = lower_->Lookup(name);
    if (r.ok()) {
      lo = *r;
    } else if (r.error() != Errno{ENOENT}) {
      return r.error();
    }
    if (u && lo && !lo->IsDir()) lo = nullptr;
  }
  if (!u && !lo) return Errno{ENOENT};
  auto child = std::make_shared<OverlayInode>(
      state_, u, lo, child_opaque,
      std::static_pointer_cast<OverlayInode>(shared_from_this()),
      std::string(name));
  if (children_.size() >= 64 && children_.size() % 64 == 0) {
    absl::erase_if(children_,
                   [](const auto& kv) { return kv.second.expired(); });
  }
  children_[std::string(name)] = child;
  return std::shared_ptr<vfs::Inode>(child);
}

void OverlayInode::Forget(absl::string_view name) {
  absl::MutexLock l(&mu_);
  if (auto it = children_.find(name); it != children_.end()) {
    children_.erase(it);
  }
}

bool OverlayInode::LowerHas(absl::string_view name) {
  {
    absl::MutexLock l(&mu_);
    if (!lower_ || opaque_) return false;
  }
  return lower_->Lookup(name).ok();
}

ErrnoOr<bool> OverlayInode::RemoveWhiteout(absl::string_view name) {
  std::shared_ptr<vfs::Inode> up = upper();
  auto r = up->Lookup(name);
  if (!r.ok() || !IsWhiteout(**r)) return false;
  RETURN_IF_ERRNO(up->Unlink(name, false));
  return true;
}

ErrnoStatus OverlayInode::AddWhiteout(absl::string_view name) {
  vfs::CreateRequest req;
  req.mode = S_IFCHR;
  req.rdev = 0;
  return upper()->Create(name, req).ok() ? OkErrno() : Errno{EIO};
}

ErrnoStatus OverlayInode::ClearUpperDir() {
  std::shared_ptr<vfs::Inode> up = upper();
  if (!up) return OkErrno();
  std::vector<std::string> names;
  RETURN_IF_ERRNO(
      up->IterateDir(vfs::kFirstDirCookie, [&](const vfs::DirEntry& e) {
        names.push_back(e.name);
        return true;
      }));
  for (const std::string& n : names) RETURN_IF_ERRNO(up->Unlink(n, false));
  return OkErrno();
}

ErrnoOr<std::shared_ptr<vfs::Inode>> OverlayInode::Create(
    absl::string_view name, const vfs::CreateRequest& req) {
  if (name == kOpaqueMarker) return Errno{EINVAL};
  RETURN_IF_ERRNO(CopyUp());
  ASSIGN_OR_RETURN_ERRNO(bool had_whiteout, RemoveWhiteout(name));
  const bool lower_has = LowerHas(name);
  ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<vfs::Inode> inode,
                         upper()->Create(name, req));
  bool opaque = false;
  if (S_ISDIR(req.mode) && (had_whiteout || lower_has)) {
    // A new directory must not merge with the lower one it replaces.
    vfs::CreateRequest marker;
    marker.mode = S_IFREG;
    RETURN_IF_ERRNO(inode->Create(kOpaqueMarker, marker));
    opaque = true;
  }
  auto child = std::make_shared<OverlayInode>(
      state_, inode, nullptr, opaque,
      std::static_pointer_cast<OverlayInode>(shared_from_this()),
      std::string(name));
  absl::MutexLock l(&mu_);
  children_[std::string(name)] = child;
  return std::shared_ptr<vfs::Inode>(child);
}

ErrnoStatus OverlayInode::Link(absl::string_view name,
                               const std::shared_ptr<vfs::Inode>& target) {
  auto t = std::dynamic_pointer_cast<OverlayInode>(target);
  if (!t) return Errno{EXDEV};
  RETURN_IF_ERRNO(t->CopyUp());
  RETURN_IF_ERRNO(CopyUp());
  RETURN_IF_ERRNO(RemoveWhiteout(name));
  RETURN_IF_ERRNO(upper()->Link(name, t->upper()));
  absl::MutexLock l(&mu_);
  children_[std::string(name)] = t;  // one inode (and st_ino) for both names
  return OkErrno();
}

ErrnoStatus OverlayInode::Unlink(absl::string_view name, bool is_dir) {
  ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<vfs::Inode> ci, Lookup(name));
  auto child = std::static_pointer_cast<OverlayInode>(ci);
  if (is_dir) {
    ASSIGN_OR_RETURN_ERRNO(std::vector<MergedEntry> m, child->Merged());
    if (!m.empty()) return Errno{ENOTEMPTY};
  }
  RETURN_IF_ERRNO(CopyUp());
  const bool lower_has = LowerHas(name);
  if (child->has_upper()) {
    if (is_dir) RETURN_IF_ERRNO(child->ClearUpperDir());
    RETURN_IF_ERRNO(upper()->Unlink(name, is_dir));
  }
  if (lower_has) RETURN_IF_ERRNO(AddWhiteout(name));
  Forget(name);
  return OkErrno();
}

ErrnoStatus OverlayInode::Rename(absl::string_view old_name,
                                 vfs::Inode& new_dir,
                                 absl::string_view new_name, uint32_t flags) {
  auto* nd = dynamic_cast<OverlayInode*>(&new_dir);
  if (nd == nullptr) return Errno{EXDEV};
  const bool exchange = flags & RENAME_EXCHANGE;
  ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<vfs::Inode> si, Lookup(old_name));
  auto src = std::static_pointer_cast<OverlayInode>(si);
  std::shared_ptr<OverlayInode> dst;
  if (auto d = nd->Lookup(new_name); d.ok()) {
    dst = std::static_pointer_cast<OverlayInode>(*d);
  } else if (d.error() != Errno{ENOENT}) {
    return d.error();
  }
  if (dst && (flags & RENAME_NOREPLACE)) return Errno{EEXIST};
  if (exchange && !dst) return Errno{ENOENT};
  // Without redirect_dir a merged directory cannot move (Linux: EXDEV).
  if (src->IsDir() && src->has_lower()) return Errno{EXDEV};
  if (exchange && dst->IsDir() && dst->has_lower()) return Errno{EXDEV};
  if (dst && dst->IsDir() && !exchange) {
    ASSIGN_OR_RETURN_ERRNO(std::vector<MergedEntry> m, dst->Merged());
    if (!m.empty()) return Errno{ENOTEMPTY};
  }
  RETURN_IF_ERRNO(CopyUp());
  RETURN_IF_ERRNO(nd->CopyUp());
  RETURN_IF_ERRNO(src->CopyUp());
  if (exchange) RETURN_IF_ERRNO(dst->CopyUp());
  if (dst && dst->IsDir() && !exchange) RETURN_IF_ERRNO(dst->ClearUpperDir());
  const bool old_lower = LowerHas(old_name);
  const bool new_lower = nd->LowerHas(new_name);
  // A whiteout at the new name is simply replaced.
  RETURN_IF_ERRNO(upper()->Rename(old_name, *nd->upper(), new_name,
                                  flags & RENAME_EXCHANGE));
  auto mark_opaque = [](OverlayInode& d) -> ErrnoStatus {
    vfs::CreateRequest marker;
    marker.mode = S_IFREG;
    RETURN_IF_ERRNO(d.upper()->Create(kOpaqueMarker, marker));
    absl::MutexLock l(&d.mu_);
    d.opaque_ = true;
    return OkErrno();
  };
  if (src->IsDir() && new_lower && !src->opaque())
    RETURN_IF_ERRNO(mark_opaque(*src));
  if (exchange && dst->IsDir() && old_lower && !dst->opaque()) {
    RETURN_IF_ERRNO(mark_opaque(*dst));
  }
  if (!exchange && old_lower) RETURN_IF_ERRNO(AddWhiteout(old_name));
  // Caches and parent links follow the move.
  Forget(old_name);
  nd->Forget(new_name);
  auto self = std::static_pointer_cast<OverlayInode>(shared_from_this());
  auto new_parent =
      std::static_pointer_cast<OverlayInode>(nd->shared_from_this());
  {
    absl::MutexLock l(&src->mu_);
    src->parent_ = new_parent;
    src->name_ = std::string(new_name);
  }
  {
    absl::MutexLock l(&nd->mu_);
    nd->children_[std::string(new_name)] = src;
  }
  if (exchange) {
    {
      absl::MutexLock l(&dst->mu_);
      dst->parent_ = self;
      dst->name_ = std::string(old_name);
    }
    absl::MutexLock l(&mu_);
    children_[std::string(old_name)] = dst;
  }
  return OkErrno();
}

ErrnoOr<std::vector<OverlayInode::MergedEntry>> OverlayInode::Merged() {
  if (!IsDir()) return Errno{ENOTDIR};
  std::shared_ptr<vfs::Inode> up;
  bool opaque;
  {
    absl::MutexLock l(&mu_);
    up = upper_;
    opaque = opaque_;
  }
  absl::flat_hash_map<std::string, std::pair<uint64_t, uint8_t>> lower;
  std::vector<std::string> lower_order;
  if (lower_ && !opaque) {
    RETURN_IF_ERRNO(
        lower_->IterateDir(vfs::kFirstDirCookie, [&](const vfs::DirEntry& e) {
          lower[e.name] = {e.ino, e.type};
          lower_order.push_back(e.name);
          return true;
        }));
  }
  std::vector<MergedEntry> out;
  absl::flat_hash_set<std::string> hidden;
  if (up) {
    RETURN_IF_ERRNO(
        up->IterateDir(vfs::kFirstDirCookie, [&](const vfs::DirEntry& e) {
          if (e.name == kOpaqueMarker) return true;
          hidden.insert(e.name);
          if (e.type == DT_CHR) {
            auto c = up->Lookup(e.name);
            if (c.ok() && IsWhiteout(**c)) return true;
          }
          uint64_t ino = e.ino | kUpperInoBit;
          if (auto it = lower.find(e.name); it != lower.end()) {
            if (e.type == DT_DIR && it->second.second == DT_DIR) {
              ino = it->second.first;
            } else if (auto c = up->Lookup(e.name); c.ok()) {
              ino = InitialIno(*state_, c->get(), nullptr);
            }
          }
          out.push_back(MergedEntry{e.name, ino, e.type});
          return true;
        }));
  }
  for (const std::string& n : lower_order) {
    if (hidden.contains(n)) continue;
    out.push_back(MergedEntry{n, lower[n].first, lower[n].second});
  }
  return out;
}

ErrnoStatus OverlayInode::IterateDir(uint64_t cookie,
                                     const vfs::DirEmitter& emit) {
  ASSIGN_OR_RETURN_ERRNO(std::vector<MergedEntry> m, Merged());
  for (uint64_t i = cookie - vfs::kFirstDirCookie; i < m.size(); ++i) {
    if (!emit(vfs::DirEntry{m[i].name, m[i].ino, m[i].type,
                            vfs::kFirstDirCookie + i + 1})) {
      break;
    }
  }
  return OkErrno();
}

ErrnoOr<std::string> OverlayInode::ReadLink() {
  std::shared_ptr<vfs::Inode> up = upper();
  return (up ? up : lower_)->ReadLink();
}

ErrnoOr<std::unique_ptr<vfs::FileImpl>> OverlayInode::Open(
    const vfs::OpenRequest& req) {
  if (IsRegular() && (req.flags & O_ACCMODE) != O_RDONLY) {
    RETURN_IF_ERRNO(CopyUp());
  }
  std::shared_ptr<vfs::Inode> up = upper();
  return (up ? up : lower_)->Open(req);
}

}  // namespace sentry::fs::overlay
