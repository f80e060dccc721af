#include "sentry/fs/tmpfs/tmpfs.h"

#include <linux/fs.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "sentry/fs/pipe/pipe.h"

namespace sentry::fs::tmpfs {
namespace {

const std::byte kZeroPage[kPageSize] = {};

bool ParseOctal(absl::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 6) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return false;
    v = v * 8 + (c - '0');
  }
  *out = v;
  return true;
}

bool ParseSize(absl::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t mult = 1;
  char last = s.back();
  bool percent = false;
  switch (last) {
    case 'k':
    case 'K':
      mult = 1ull << 10;
      break;
    case 'm':
    case 'M':
      mult = 1ull << 20;
      break;
    case 'g':
    case 'G':
      mult = 1ull << 30;
      break;
    case '%':
      percent = true;
      break;
    default:
      break;
  }
  if (mult != 1 || percent) s.remove_suffix(1);
  uint64_t v;
  if (!absl::SimpleAtoi(s, &v)) return false;
  if (percent) {
    uint64_t mem = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                   static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    *out = mem / 100 * v;
    return true;
  }
  if (v > std::numeric_limits<uint64_t>::max() / mult) return false;
  *out = v * mult;
  return true;
}

// Application buffers are copied through a bounce buffer outside the
// file's data lock: copying to or from application memory takes the memory
// manager's lock, which a page fault on a mapping of this file holds while
// reading the file (lock order: memory manager -> file data).
constexpr size_t kBounce = 1 << 20;

class RegularFileImpl final : public vfs::FileImpl {
 public:
  explicit RegularFileImpl(std::shared_ptr<RegularFile> f) : f_(std::move(f)) {}
  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t offset,
                       const vfs::IoOptions&) override {
    std::vector<std::byte> buf(std::min(dst.size(), kBounce));
    size_t done = 0;
    while (done < dst.size()) {
      size_t chunk = std::min(buf.size(), dst.size() - done);
      vfs::SpanDst bounce(buf.data(), chunk);
      ASSIGN_OR_RETURN_ERRNO(
          size_t n, f_->ReadAt(bounce, offset + static_cast<int64_t>(done)));
      if (n == 0) break;
      auto c = dst.CopyOut(done, std::span<const std::byte>(buf.data(), n));
      if (!c.ok()) {
        if (done == 0) return c.error();
        break;
      }
      done += *c;
      if (*c < chunk) break;
    }
    return done;
  }
  // Writes up to kBounce bytes in one locked step (so O_APPEND writes of
  // that size stay atomic); larger ones go in kBounce pieces.
  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t offset,
                        const vfs::IoOptions& opts, int64_t* end) override {
    std::vector<std::byte> buf(std::min(src.size(), kBounce));
    size_t done = 0;
    *end = offset;
    do {
      size_t chunk = std::min(buf.size(), src.size() - done);
      ErrnoOr<size_t> got =
          chunk ? src.CopyIn(done, std::span<std::byte>(buf.data(), chunk))
                : ErrnoOr<size_t>(size_t{0});
      if (!got.ok()) {
        if (done == 0) return got.error();
        break;
      }
      vfs::SpanSrc bounce(buf.data(), *got);
      auto n = f_->WriteAt(bounce, opts.append ? 0 : *end, opts.append, end);
      if (!n.ok()) {
        if (done == 0) return n.error();
        break;
      }
      done += *n;
      if (*n < chunk) break;
    } while (done < src.size());
    return done;
  }

 private:
  std::shared_ptr<RegularFile> f_;
};

}  // namespace

ErrnoOr<TmpfsOptions> ParseOptions(absl::string_view options) {
  TmpfsOptions o;
  for (absl::string_view opt :
       absl::StrSplit(options, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(opt, absl::MaxSplits('=', 1));
    auto [k, v] = kv;
    if (k == "size") {
      if (!ParseSize(v, &o.size_bytes)) return Errno{EINVAL};
    } else if (k == "mode") {
      if (!ParseOctal(v, &o.mode) || o.mode > 07777) return Errno{EINVAL};
    } else if (k == "uid") {
      if (!absl::SimpleAtoi(v, &o.uid)) return Errno{EINVAL};
    } else if (k == "gid") {
      if (!absl::SimpleAtoi(v, &o.gid)) return Errno{EINVAL};
    } else if (k == "nr_inodes" || k == "nr_blocks" || k == "huge" ||
               k == "mpol" || k == "inode64" || k == "inode32") {
      // Accepted, not enforced.
    } else {
      return Errno{EINVAL};
    }
  }
  return o;
}

bool TmpfsState::ReservePages(uint64_t n) {
  if (max_pages_ == 0) {
    used_pages_.fetch_add(n);
    return true;
  }
  uint64_t cur = used_pages_.load();
  do {
    if (cur + n > max_pages_) return false;
  } while (!used_pages_.compare_exchange_weak(cur, cur + n));
  return true;
}

ErrnoOr<std::shared_ptr<vfs::Inode>> TmpfsState::NewInode(
    const vfs::CreateRequest& req) {
  const uint64_t ino = NextIno();
  const uint32_t perm = req.mode & 07777;
  switch (req.mode & S_IFMT) {
    case S_IFREG:
    case S_IFDIR:
      // Created by the callers that hold the shared state (see below).
      return Errno{EINVAL};
    case S_IFLNK:
      return std::shared_ptr<vfs::Inode>(std::make_shared<Symlink>(
          dev_, ino, req.uid, req.gid, req.symlink_target));
    case S_IFIFO:
      return std::shared_ptr<vfs::Inode>(
          std::make_shared<pipe::FifoInode>(dev_, ino, perm, req.uid, req.gid));
    case S_IFCHR:
    case S_IFBLK:
    case S_IFSOCK:
      return std::shared_ptr<vfs::Inode>(std::make_shared<vfs::SimpleInode>(
          dev_, ino, req.mode, req.uid, req.gid, req.rdev));
    default:
      return Errno{EINVAL};
  }
}

// --- Tmpfs -------------------------------------------------------------------

Tmpfs::Tmpfs(const TmpfsOptions& opts)
    : opts_(opts),
      state_(std::make_shared<TmpfsState>((opts.size_bytes + kPageSize - 1) /
                                          kPageSize)) {
  root_ = std::make_shared<Directory>(state_, state_->NextIno(),
                                      S_IFDIR | (opts.mode & 07777), opts.uid,
                                      opts.gid);
}

std::string Tmpfs::Options() const {
  std::string s;
  if (opts_.size_bytes)
    absl::StrAppend(&s, "size=", opts_.size_bytes / 1024, "k,");
  absl::StrAppend(&s, "mode=", absl::StrFormat("%o", opts_.mode));
  if (opts_.uid) absl::StrAppend(&s, ",uid=", opts_.uid);
  if (opts_.gid) absl::StrAppend(&s, ",gid=", opts_.gid);
  return s;
}

ErrnoOr<vfs::StatFs> Tmpfs::GetStatFs() {
  vfs::StatFs s;
  s.type = kTmpfsMagic;
  s.block_size = kPageSize;
  // Unlimited instances report half of memory, as Linux's default size.
  uint64_t total = state_->max_pages();
  if (total == 0) {
    total = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) / 2;
  }
  uint64_t used = std::min(total, state_->used_pages());
  s.blocks = total;
  s.blocks_free = s.blocks_available = total - used;
  s.files = 1 << 20;
  s.files_free = s.files - std::min<uint64_t>(s.files, state_->NextIno());
  return s;
}

void RegisterTmpfs(vfs::VirtualFilesystem& vfs) {
  vfs.RegisterFilesystemType(
      "tmpfs",
      [](vfs::VirtualFilesystem&, absl::string_view, absl::string_view options)
          -> ErrnoOr<std::shared_ptr<vfs::Filesystem>> {
        ASSIGN_OR_RETURN_ERRNO(TmpfsOptions o, ParseOptions(options));
        return std::shared_ptr<vfs::Filesystem>(std::make_shared<Tmpfs>(o));
      });
}

// --- Directory
// -----------------------------------------------------------------

Directory::Directory(std::shared_ptr<TmpfsState> state, uint64_t ino,
                     uint32_t mode, uint32_t uid, uint32_t gid)
    : SimpleInode(state->dev(), ino, S_IFDIR | (mode & 07777), uid, gid),
      state_(std::move(state)) {}

void Directory::InsertLocked(std::string name,
                             std::shared_ptr<vfs::Inode> inode) {
  uint64_t ino = static_cast<SimpleInode*>(inode.get())->ino();
  uint64_t cookie = next_cookie_++;
  by_name_[name] = cookie;
  by_cookie_[cookie] = Entry{std::move(name), std::move(inode), ino};
}

ErrnoOr<std::shared_ptr<vfs::Inode>> Directory::Lookup(absl::string_view name) {
  absl::MutexLock l(&mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return Errno{ENOENT};
  return by_cookie_.at(it->second).inode;
}

ErrnoOr<std::shared_ptr<vfs::Inode>> Directory::Create(
    absl::string_view name, const vfs::CreateRequest& req) {
  if (dead_.load()) return Errno{ENOENT};
  std::shared_ptr<vfs::Inode> inode;
  const uint32_t type = req.mode & S_IFMT;
  if (type == S_IFDIR) {
    inode = std::make_shared<Directory>(state_, state_->NextIno(), req.mode,
                                        req.uid, req.gid);
  } else if (type == S_IFREG) {
    inode = std::make_shared<RegularFile>(state_, state_->NextIno(), req.mode,
                                          req.uid, req.gid);
  } else {
    ASSIGN_OR_RETURN_ERRNO(inode, state_->NewInode(req));
  }
  absl::MutexLock l(&mu_);
  if (by_name_.contains(name)) return Errno{EEXIST};
  InsertLocked(std::string(name), inode);
  if (type == S_IFDIR) AdjustLinks(1);
  TouchModify();
  return inode;
}

ErrnoStatus Directory::Link(absl::string_view name,
                            const std::shared_ptr<vfs::Inode>& target) {
  auto* t = dynamic_cast<SimpleInode*>(target.get());
  if (t == nullptr || t->dev() != dev()) return Errno{EXDEV};
  absl::MutexLock l(&mu_);
  if (by_name_.contains(name)) return Errno{EEXIST};
  InsertLocked(std::string(name), target);
  t->AdjustLinks(1);
  TouchModify();
  return OkErrno();
}

bool Directory::Empty() {
  absl::MutexLock l(&mu_);
  return by_name_.empty();
}

size_t Directory::size() {
  absl::MutexLock l(&mu_);
  return by_name_.size();
}

ErrnoStatus Directory::Unlink(absl::string_view name, bool is_dir) {
  absl::MutexLock l(&mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return Errno{ENOENT};
  auto e = by_cookie_.find(it->second);
  std::shared_ptr<vfs::Inode> child = e->second.inode;
  if (is_dir) {
    auto* d = dynamic_cast<Directory*>(child.get());
    if (d == nullptr) return Errno{ENOTDIR};
    if (!d->Empty()) return Errno{ENOTEMPTY};
    d->dead_.store(true);
  } else if (child->IsDir()) {
    return Errno{EISDIR};
  }
  by_cookie_.erase(e);
  by_name_.erase(it);
  auto* s = static_cast<SimpleInode*>(child.get());
  s->AdjustLinks(is_dir ? -2 : -1);
  if (is_dir) AdjustLinks(-1);
  TouchModify();
  return OkErrno();
}

ErrnoStatus Directory::Rename(absl::string_view old_name, vfs::Inode& new_dir,
                              absl::string_view new_name, uint32_t flags) {
  auto* nd = dynamic_cast<Directory*>(&new_dir);
  if (nd == nullptr || nd->dev() != dev()) return Errno{EXDEV};
  // Two directory locks, ordered by address.
  Directory* first = this < nd ? this : nd;
  Directory* second = this < nd ? nd : this;
  absl::MutexLock l1(&first->mu_);
  std::optional<absl::MutexLock> l2;
  if (second != first) l2.emplace(&second->mu_);

  auto oit = by_name_.find(old_name);
  if (oit == by_name_.end()) return Errno{ENOENT};
  auto nit = nd->by_name_.find(new_name);
  const bool exists = nit != nd->by_name_.end();
  if ((flags & RENAME_NOREPLACE) && exists) return Errno{EEXIST};
  if ((flags & RENAME_EXCHANGE) && !exists) return Errno{ENOENT};
  std::shared_ptr<vfs::Inode> src = by_cookie_.at(oit->second).inode;

  if (flags & RENAME_EXCHANGE) {
    Entry& oe = by_cookie_.at(oit->second);
    Entry& ne = nd->by_cookie_.at(nit->second);
    if (this != nd && oe.inode->IsDir() != ne.inode->IsDir()) {
      int d = oe.inode->IsDir() ? 1 : -1;
      nd->AdjustLinks(d);
      AdjustLinks(-d);
    }
    std::swap(oe.inode, ne.inode);
    std::swap(oe.ino, ne.ino);
    TouchModify();
    nd->TouchModify();
    return OkErrno();
  }
  if (exists) {
    auto ne = nd->by_cookie_.find(nit->second);
    std::shared_ptr<vfs::Inode> victim = ne->second.inode;
    if (victim == src) return OkErrno();
    if (victim->IsDir()) {
      auto* vd = static_cast<Directory*>(victim.get());
      if (!vd->Empty()) return Errno{ENOTEMPTY};
      static_cast<SimpleInode*>(victim.get())->AdjustLinks(-2);
      nd->AdjustLinks(-1);
    } else {
      static_cast<SimpleInode*>(victim.get())->AdjustLinks(-1);
    }
    nd->by_cookie_.erase(ne);
    nd->by_name_.erase(nit);
  }
  by_cookie_.erase(oit->second);
  by_name_.erase(oit);
  nd->InsertLocked(std::string(new_name), src);
  if (src->IsDir() && this != nd) {
    AdjustLinks(-1);
    nd->AdjustLinks(1);
  }
  static_cast<SimpleInode*>(src.get())->TouchChange();
  TouchModify();
  if (nd != this) nd->TouchModify();
  return OkErrno();
}

ErrnoStatus Directory::IterateDir(uint64_t cookie,
                                  const vfs::DirEmitter& emit) {
  if (dead_.load()) return Errno{ENOENT};
  // Snapshot a batch under the lock, emit without it (the emitter may copy
  // to application memory).
  for (;;) {
    std::vector<vfs::DirEntry> batch;
    {
      absl::MutexLock l(&mu_);
      for (auto it = by_cookie_.lower_bound(cookie);
           it != by_cookie_.end() && batch.size() < 128; ++it) {
        batch.push_back(vfs::DirEntry{it->second.name, it->second.ino,
                                      vfs::DirentType(it->second.inode->type()),
                                      it->first + 1});
      }
    }
    if (batch.empty()) return OkErrno();
    for (const vfs::DirEntry& e : batch) {
      if (!emit(e)) return OkErrno();
      cookie = e.next_cookie;
    }
  }
}

// --- RegularFile
// ---------------------------------------------------------------

RegularFile::RegularFile(std::shared_ptr<TmpfsState> state, uint64_t ino,
                         uint32_t mode, uint32_t uid, uint32_t gid)
    : SimpleInode(state->dev(), ino, S_IFREG | (mode & 07777), uid, gid),
      state_(std::move(state)) {}

RegularFile::~RegularFile() {
  absl::MutexLock l(&data_mu_);
  state_->ReleasePages(pages_.size());
}

ErrnoOr<std::unique_ptr<vfs::FileImpl>> RegularFile::Open(
    const vfs::OpenRequest&) {
  return std::unique_ptr<vfs::FileImpl>(std::make_unique<RegularFileImpl>(
      std::static_pointer_cast<RegularFile>(shared_from_this())));
}

int64_t RegularFile::file_size() {
  absl::ReaderMutexLock l(&data_mu_);
  return size_;
}

void RegularFile::FillSize(vfs::Stat* st) {
  absl::ReaderMutexLock l(&data_mu_);
  st->size = size_;
  st->blocks = static_cast<int64_t>(pages_.size() * (kPageSize / 512));
}

ErrnoOr<size_t> RegularFile::ReadAt(vfs::IoDst& dst, int64_t offset) {
  absl::ReaderMutexLock l(&data_mu_);
  if (offset >= size_ || dst.size() == 0) return size_t{0};
  const size_t want =
      std::min<uint64_t>(dst.size(), static_cast<uint64_t>(size_ - offset));
  size_t done = 0;
  while (done < want) {
    uint64_t pos = static_cast<uint64_t>(offset) + done;
    uint64_t idx = pos / kPageSize;
    size_t in_page = pos % kPageSize;
    size_t chunk = std::min(want - done, kPageSize - in_page);
    auto it = pages_.find(idx);
    const std::byte* p =
        it == pages_.end() ? kZeroPage : it->second.get() + in_page;
    auto n = dst.CopyOut(done, std::span<const std::byte>(p, chunk));
    if (!n.ok()) {
      if (done == 0) return n.error();
      break;
    }
    done += *n;
    if (*n < chunk) break;
  }
  return done;
}

ErrnoOr<size_t> RegularFile::WriteAt(vfs::IoSrc& src, int64_t offset,
                                     bool append, int64_t* end) {
  size_t done = 0;
  {
    absl::MutexLock l(&data_mu_);
    if (append) offset = size_;
    const size_t want = src.size();
    if (want == 0) {
      *end = offset;
      return size_t{0};
    }
    if (static_cast<uint64_t>(offset) >
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - want) {
      return Errno{EFBIG};
    }
    while (done < want) {
      uint64_t pos = static_cast<uint64_t>(offset) + done;
      uint64_t idx = pos / kPageSize;
      size_t in_page = pos % kPageSize;
      size_t chunk = std::min(want - done, kPageSize - in_page);
      auto it = pages_.find(idx);
      if (it == pages_.end()) {
        if (!state_->ReservePages(1)) {
          if (done == 0) return Errno{ENOSPC};
          break;
        }
        it =
            pages_.emplace(idx, std::make_unique<std::byte[]>(kPageSize)).first;
      }
      auto n = src.CopyIn(
          done, std::span<std::byte>(it->second.get() + in_page, chunk));
      if (!n.ok()) {
        if (done == 0) return n.error();
        break;
      }
      done += *n;
      if (*n < chunk) break;
    }
    size_ = std::max<int64_t>(size_, offset + static_cast<int64_t>(done));
    *end = offset + static_cast<int64_t>(done);
  }
  TouchModify();
  return done;
}

ErrnoStatus RegularFile::Truncate(int64_t size) {
  if (size < 0) return Errno{EINVAL};
  absl::MutexLock l(&data_mu_);
  if (size < size_) {
    uint64_t first_dead =
        (static_cast<uint64_t>(size) + kPageSize - 1) / kPageSize;
    auto it = pages_.lower_bound(first_dead);
    uint64_t freed = 0;
    while (it != pages_.end()) {
      it = pages_.erase(it);
      ++freed;
    }
    state_->ReleasePages(freed);
    // Zero the tail of a partial last page so that growing again reads zeros.
    if (size % kPageSize) {
      auto p = pages_.find(static_cast<uint64_t>(size) / kPageSize);
      if (p != pages_.end()) {
        std::memset(p->second.get() + size % kPageSize, 0,
                    kPageSize - size % kPageSize);
      }
    }
  }
  size_ = size;
  return OkErrno();
}

}  // namespace sentry::fs::tmpfs
