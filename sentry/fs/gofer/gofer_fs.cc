#include "sentry/fs/gofer/gofer_fs.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace sentry::fs::gofer_fs {
namespace {

ErrnoStatus FromStatus(const absl::Status& s) {
  if (s.ok()) return OkErrno();
  return StatusToErrno(s);
}

template <typename T>
ErrnoOr<T> FromStatusOr(absl::StatusOr<T> s) {
  if (!s.ok()) return StatusToErrno(s.status());
  return std::move(*s);
}

vfs::Timespec FromNs(int64_t ns) {
  int64_t sec = ns / 1000000000, nsec = ns % 1000000000;
  if (nsec < 0) {
    nsec += 1000000000;
    --sec;
  }
  return vfs::Timespec{sec, nsec};
}

int64_t ToNs(vfs::Timespec t) { return t.sec * 1000000000 + t.nsec; }

constexpr uint64_t kCookieBias = 3;

// I/O on a donated host descriptor.
class GoferFile final : public vfs::FileImpl {
 public:
  GoferFile(std::shared_ptr<GoferInode> inode, base::UniqueFd fd)
      : inode_(std::move(inode)), fd_(std::move(fd)) {}

  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t offset,
                       const vfs::IoOptions&) override {
    std::vector<std::byte> buf(std::min<size_t>(dst.size(), 1 << 20));
    size_t done = 0;
    while (done < dst.size()) {
      size_t want = std::min(buf.size(), dst.size() - done);
      ssize_t n = pread(fd_.get(), buf.data(), want,
                        offset + static_cast<int64_t>(done));
      if (n < 0) {
        if (errno == EINTR) continue;
        if (done) break;
        return Errno{errno};
      }
      if (n == 0) break;
      auto c = dst.CopyOut(done, std::span<const std::byte>(buf.data(), n));
      if (!c.ok()) return done ? ErrnoOr<size_t>(done) : c.error();
      done += *c;
      if (*c < static_cast<size_t>(n) || static_cast<size_t>(n) < want) break;
    }
    return done;
  }

  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t offset,
                        const vfs::IoOptions& opts, int64_t* end) override {
    if (opts.append) offset = inode_->cached_size();
    std::vector<std::byte> buf(std::min<size_t>(src.size(), 1 << 20));
    size_t done = 0;
    while (done < src.size()) {
      size_t want = std::min(buf.size(), src.size() - done);
      auto c = src.CopyIn(done, std::span<std::byte>(buf.data(), want));
      if (!c.ok()) {
        if (done) break;
        return c.error();
      }
      size_t got = *c, written = 0;
      while (written < got) {
        ssize_t n = pwrite(fd_.get(), buf.data() + written, got - written,
                           offset + static_cast<int64_t>(done + written));
        if (n < 0) {
          if (errno == EINTR) continue;
          if (done + written) break;
          return Errno{errno};
        }
        written += static_cast<size_t>(n);
      }
      done += written;
      if (written < got || got < want) break;
    }
    *end = offset + static_cast<int64_t>(done);
    if (done) inode_->NoteWrite(*end);
    return done;
  }

  ErrnoStatus Sync() override {
    if (fsync(fd_.get()) != 0) return Errno{errno};
    return OkErrno();
  }

 private:
  std::shared_ptr<GoferInode> inode_;
  base::UniqueFd fd_;
};

}  // namespace

ErrnoOr<std::shared_ptr<GoferFs>> GoferFs::Attach(
    std::shared_ptr<gofer::Client> client, uint32_t mount_index) {
  ASSIGN_OR_RETURN_ERRNO(gofer::AttachResult a,
                         FromStatusOr(client->Attach(mount_index)));
  auto sh = std::make_shared<GoferShared>();
  sh->client = std::move(client);
  sh->read_only = a.read_only;
  auto root = std::make_shared<GoferInode>(sh, a.root.handle, a.root.stat);
  return std::shared_ptr<GoferFs>(
      new GoferFs(sh, std::move(root)));  // NOLINT: private ctor
}

ErrnoOr<vfs::StatFs> GoferFs::GetStatFs() { return root_->GetStatFs(); }

GoferInode::GoferInode(std::shared_ptr<GoferShared> shared,
                       gofer::Handle handle, const gofer::Stat& stat)
    : Inode(stat.mode), sh_(std::move(shared)), handle_(handle), stat_(stat) {}

GoferInode::~GoferInode() {
  std::vector<gofer::Handle> hs = {handle_};
  {
    absl::MutexLock l(&mu_);
    if (dir_handle_ != gofer::kInvalidHandle) hs.push_back(dir_handle_);
  }
  (void)sh_->client->Close(hs);
}

void GoferInode::SetCached(const gofer::Stat& st) {
  absl::MutexLock l(&mu_);
  stat_ = st;
}

ErrnoOr<vfs::Stat> GoferInode::GetStat() {
  absl::MutexLock l(&mu_);
  vfs::Stat st;
  st.dev = sh_->dev;
  st.ino = stat_.ino;
  st.mode = stat_.mode;
  st.nlink = stat_.nlink;
  st.uid = stat_.uid;
  st.gid = stat_.gid;
  st.rdev = stat_.rdev;
  st.size = static_cast<int64_t>(stat_.size);
  st.blocks = static_cast<int64_t>(stat_.blocks);
  st.blksize = stat_.blksize ? static_cast<int32_t>(stat_.blksize) : 4096;
  st.atime = FromNs(stat_.atime_ns);
  st.mtime = FromNs(stat_.mtime_ns);
  st.ctime = FromNs(stat_.ctime_ns);
  st.btime = st.ctime;
  return st;
}

void GoferInode::NoteWrite(int64_t end) {
  int64_t now = ToNs(vfs::Now());
  absl::MutexLock l(&mu_);
  if (static_cast<uint64_t>(end) > stat_.size) {
    stat_.size = static_cast<uint64_t>(end);
    stat_.blocks = (stat_.size + 511) / 512;
  }
  stat_.mtime_ns = stat_.ctime_ns = now;
}

int64_t GoferInode::cached_size() {
  absl::MutexLock l(&mu_);
  return static_cast<int64_t>(stat_.size);
}

ErrnoStatus GoferInode::SetStat(const vfs::SetStatRequest& req) {
  gofer::SetAttr a;
  if (req.mask & vfs::SetStatRequest::kMode) a.mode = req.mode & 07777;
  if (req.mask & vfs::SetStatRequest::kUid) a.uid = req.uid;
  if (req.mask & vfs::SetStatRequest::kGid) a.gid = req.gid;
  if (req.mask & vfs::SetStatRequest::kSize) {
    if (IsDir()) return Errno{EISDIR};
    if (!IsRegular()) return Errno{EINVAL};
    a.size = static_cast<uint64_t>(req.size);
  }
  if (req.mask & vfs::SetStatRequest::kAtime) {
    a.atime = gofer::Timespec{req.atime.sec, req.atime.nsec};
  }
  if (req.mask & vfs::SetStatRequest::kMtime) {
    a.mtime = gofer::Timespec{req.mtime.sec, req.mtime.nsec};
  }
  if ((req.mask & vfs::SetStatRequest::kSize) &&
      !(req.mask & vfs::SetStatRequest::kMtime)) {
    // truncate(2) updates mtime like Linux.
    vfs::Timespec now = vfs::Now();
    a.mtime = gofer::Timespec{now.sec, now.nsec};
  }
  ASSIGN_OR_RETURN_ERRNO(gofer::Stat st,
                         FromStatusOr(sh_->client->SetAttributes(handle_, a)));
  SetCached(st);
  return OkErrno();
}

ErrnoOr<vfs::StatFs> GoferInode::GetStatFs() {
  ASSIGN_OR_RETURN_ERRNO(gofer::StatFs g,
                         FromStatusOr(sh_->client->Statfs(handle_)));
  vfs::StatFs s;
  s.type = g.type;
  s.block_size = static_cast<int64_t>(g.bsize);
  s.blocks = g.blocks;
  s.blocks_free = g.bfree;
  s.blocks_available = g.bavail;
  s.files = g.files;
  s.files_free = g.ffree;
  s.name_max = g.namelen ? static_cast<int64_t>(g.namelen) : vfs::kNameMax;
  return s;
}

ErrnoOr<std::shared_ptr<vfs::Inode>> GoferInode::Wrap(
    const gofer::HandleStat& hs) {
  return std::shared_ptr<vfs::Inode>(
      std::make_shared<GoferInode>(sh_, hs.handle, hs.stat));
}

ErrnoOr<std::shared_ptr<vfs::Inode>> GoferInode::Lookup(
    absl::string_view name) {
  if (!IsDir()) return Errno{ENOTDIR};
  std::string n(name);
  ASSIGN_OR_RETURN_ERRNO(
      gofer::WalkResult w,
      FromStatusOr(sh_->client->Walk(handle_, absl::MakeConstSpan(&n, 1))));
  if (w.entries.empty()) return Errno{w.error ? w.error : ENOENT};
  return Wrap(w.entries[0]);
}

ErrnoOr<std::shared_ptr<vfs::Inode>> GoferInode::Create(
    absl::string_view name, const vfs::CreateRequest& req) {
  gofer::Owner owner{req.uid, req.gid};
  const uint32_t perm = req.mode & 07777;
  switch (req.mode & S_IFMT) {
    case S_IFREG: {
      ASSIGN_OR_RETURN_ERRNO(gofer::CreateResult c,
                             FromStatusOr(sh_->client->Create(
                                 handle_, name, O_RDWR, perm, owner)));
      auto inode =
          std::make_shared<GoferInode>(sh_, c.entry.handle, c.entry.stat);
      {
        absl::MutexLock l(&inode->mu_);
        inode->created_fd_ = std::move(c.fd);
      }
      return std::shared_ptr<vfs::Inode>(inode);
    }
    case S_IFDIR: {
      ASSIGN_OR_RETURN_ERRNO(
          gofer::HandleStat hs,
          FromStatusOr(sh_->client->Mkdir(handle_, name, perm, owner)));
      return Wrap(hs);
    }
    case S_IFLNK: {
      ASSIGN_OR_RETURN_ERRNO(gofer::HandleStat hs,
                             FromStatusOr(sh_->client->Symlink(
                                 handle_, name, req.symlink_target, owner)));
      return Wrap(hs);
    }
    default: {
      ASSIGN_OR_RETURN_ERRNO(gofer::HandleStat hs,
                             FromStatusOr(sh_->client->Mknod(
                                 handle_, name, req.mode, req.rdev, owner)));
      return Wrap(hs);
    }
  }
}

ErrnoStatus GoferInode::Link(absl::string_view name,
                             const std::shared_ptr<vfs::Inode>& target) {
  auto* t = dynamic_cast<GoferInode*>(target.get());
  if (t == nullptr || t->sh_ != sh_) return Errno{EXDEV};
  ASSIGN_OR_RETURN_ERRNO(gofer::HandleStat hs, FromStatusOr(sh_->client->Link(
                                                   handle_, name, t->handle_)));
  (void)sh_->client->Close(hs.handle);
  t->SetCached(hs.stat);  // nlink changed
  return OkErrno();
}

ErrnoStatus GoferInode::Unlink(absl::string_view name, bool is_dir) {
  return FromStatus(
      sh_->client->Unlink(handle_, name, is_dir ? AT_REMOVEDIR : 0));
}

ErrnoStatus GoferInode::Rename(absl::string_view old_name, vfs::Inode& new_dir,
                               absl::string_view new_name, uint32_t flags) {
  auto* nd = dynamic_cast<GoferInode*>(&new_dir);
  if (nd == nullptr || nd->sh_ != sh_) return Errno{EXDEV};
  return FromStatus(
      sh_->client->Rename(handle_, old_name, nd->handle_, new_name, flags));
}

ErrnoOr<gofer::Handle> GoferInode::DirHandle() {
  absl::MutexLock l(&mu_);
  if (dir_handle_ != gofer::kInvalidHandle) return dir_handle_;
  ASSIGN_OR_RETURN_ERRNO(gofer::OpenResult r,
                         FromStatusOr(sh_->client->Open(handle_, O_RDONLY)));
  if (r.dir == gofer::kInvalidHandle) return Errno{ENOTDIR};
  dir_handle_ = r.dir;
  return dir_handle_;
}

ErrnoStatus GoferInode::IterateDir(uint64_t cookie,
                                   const vfs::DirEmitter& emit) {
  if (!IsDir()) return Errno{ENOTDIR};
  ASSIGN_OR_RETURN_ERRNO(gofer::Handle dh, DirHandle());
  int64_t offset = cookie <= vfs::kFirstDirCookie
                       ? 0
                       : static_cast<int64_t>(cookie - kCookieBias);
  for (;;) {
    ASSIGN_OR_RETURN_ERRNO(gofer::DirentBatch b,
                           FromStatusOr(sh_->client->Getdents(dh, offset)));
    for (const gofer::Dirent& d : b.entries) {
      uint64_t next =
          static_cast<uint64_t>(d.next_offset) >
                  static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) -
                      kCookieBias
              ? static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
              : static_cast<uint64_t>(d.next_offset) + kCookieBias;
      if (!emit(vfs::DirEntry{d.name, d.ino, d.type, next})) return OkErrno();
      offset = d.next_offset;
    }
    if (b.eof || b.entries.empty()) return OkErrno();
  }
}

ErrnoOr<std::string> GoferInode::ReadLink() {
  if (!IsSymlink()) return Errno{EINVAL};
  return FromStatusOr(sh_->client->Readlink(handle_));
}

ErrnoOr<std::unique_ptr<vfs::FileImpl>> GoferInode::Open(
    const vfs::OpenRequest& req) {
  switch (type()) {
    case S_IFREG:
      break;
    case S_IFIFO: {
      std::shared_ptr<pipe::Pipe> p;
      {
        absl::MutexLock l(&mu_);
        if (!fifo_) fifo_ = std::make_shared<pipe::Pipe>();
        p = fifo_;
      }
      const int acc = req.flags & O_ACCMODE;
      const bool r = acc == O_RDONLY || acc == O_RDWR;
      const bool w = acc == O_WRONLY || acc == O_RDWR;
      RETURN_IF_ERRNO(p->OpenFifo(r, w, req.flags & O_NONBLOCK, req.waiter));
      return std::unique_ptr<vfs::FileImpl>(
          std::make_unique<pipe::PipeFile>(std::move(p), r, w));
    }
    default:
      return Errno{ENXIO};
  }
  auto self = std::static_pointer_cast<GoferInode>(shared_from_this());
  {
    absl::MutexLock l(&mu_);
    if (created_fd_.valid()) {
      // The descriptor from O_CREAT is O_RDWR: good for any access mode.
      return std::unique_ptr<vfs::FileImpl>(
          std::make_unique<GoferFile>(self, std::move(created_fd_)));
    }
  }
  const int flags =
      req.flags & (O_ACCMODE | O_SYNC | O_DSYNC | O_DIRECT | O_NOATIME);
  ASSIGN_OR_RETURN_ERRNO(gofer::OpenResult r,
                         FromStatusOr(sh_->client->Open(handle_, flags)));
  if (!r.fd.valid()) return Errno{EIO};
  return std::unique_ptr<vfs::FileImpl>(
      std::make_unique<GoferFile>(self, std::move(r.fd)));
}

}  // namespace sentry::fs::gofer_fs
