#include "sentry/vfs/file.h"

#include <dirent.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <limits>
#include <utility>

#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs.h"

namespace sentry::vfs {

FileDescription::FileDescription(VirtualFilesystem* vfs, VirtualDentry vd,
                                 std::shared_ptr<Inode> inode, int flags,
                                 std::unique_ptr<FileImpl> impl)
    : vfs_(vfs),
      vd_(std::move(vd)),
      inode_(inode ? std::move(inode) : vd_.dentry->inode()),
      flags_(flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC)),
      impl_(std::move(impl)) {}

namespace {
std::atomic<FileReleaseHook> release_hooks[kMaxFileReleaseHooks];
}  // namespace

void AddFileReleaseHook(FileReleaseHook hook) {
  for (auto& h : release_hooks) {
    FileReleaseHook expected = nullptr;
    if (h.compare_exchange_strong(expected, hook) || expected == hook) return;
  }
}

FileDescription::~FileDescription() {
  if (!is_path()) Notify(writable() ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
  for (auto& h : release_hooks) {
    FileReleaseHook f = h.load(std::memory_order_acquire);
    if (f == nullptr) break;
    f(*this);
  }
  std::vector<std::weak_ptr<FileReleaseObserver>> observers;
  {
    absl::MutexLock l(&observers_mu_);
    observers.swap(observers_);
  }
  for (auto& w : observers) {
    if (std::shared_ptr<FileReleaseObserver> o = w.lock()) {
      o->OnFileRelease(this);
    }
  }
}

void FileDescription::AddReleaseObserver(std::weak_ptr<FileReleaseObserver> o) {
  absl::MutexLock l(&observers_mu_);
  // Drop observers already gone so that repeated add/remove does not grow
  // the list.
  std::erase_if(observers_, [](const auto& w) { return w.expired(); });
  observers_.push_back(std::move(o));
}

void FileDescription::Notify(uint32_t mask) {
  if (HaveWatches() && vd_.ok() && vfs_ != nullptr)
    vfs_->NotifyEvent(vd_, mask);
}

void FileDescription::SetStatusFlags(int flags) {
  constexpr int kSettable =
      O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
  int cur = flags_.load();
  while (!flags_.compare_exchange_weak(
      cur, (cur & ~kSettable) | (flags & kSettable))) {
  }
}

bool FileDescription::readable() const {
  int f = flags();
  if (f & O_PATH) return false;
  return (f & O_ACCMODE) == O_RDONLY || (f & O_ACCMODE) == O_RDWR;
}

bool FileDescription::writable() const {
  int f = flags();
  if (f & O_PATH) return false;
  return (f & O_ACCMODE) == O_WRONLY || (f & O_ACCMODE) == O_RDWR;
}

ErrnoStatus FileDescription::CheckIo(bool write) const {
  if (write ? !writable() : !readable()) return Errno{EBADF};
  if (inode_->IsDir()) return Errno{EISDIR};
  if (!impl_) return Errno{EINVAL};
  return OkErrno();
}

ErrnoOr<size_t> FileDescription::DoRead(IoDst& dst, int64_t offset,
                                        Waiter* waiter) {
  IoOptions opts;
  opts.nonblock = (flags() & O_NONBLOCK) != 0;
  opts.waiter = waiter;
  auto r = impl_->Read(dst, offset, opts);
  if (r.ok() && *r > 0) Notify(IN_ACCESS);
  return r;
}

ErrnoOr<size_t> FileDescription::DoWrite(IoSrc& src, int64_t offset,
                                         bool append, Waiter* waiter,
                                         int64_t* end) {
  IoOptions opts;
  opts.nonblock = (flags() & O_NONBLOCK) != 0;
  opts.append = append;
  opts.waiter = waiter;
  auto r = impl_->Write(src, offset, opts, end);
  if (r.ok() && *r > 0) Notify(IN_MODIFY);
  return r;
}

ErrnoOr<size_t> FileDescription::Read(IoDst& dst, Waiter* waiter) {
  RETURN_IF_ERRNO(CheckIo(false));
  if (!impl_->Seekable()) return DoRead(dst, 0, waiter);
  absl::MutexLock l(&pos_mu_);
  ASSIGN_OR_RETURN_ERRNO(size_t n, DoRead(dst, offset_, waiter));
  offset_ += static_cast<int64_t>(n);
  return n;
}

ErrnoOr<size_t> FileDescription::PRead(IoDst& dst, int64_t offset,
                                       Waiter* waiter) {
  RETURN_IF_ERRNO(CheckIo(false));
  if (!impl_->Seekable()) return Errno{ESPIPE};
  if (offset < 0) return Errno{EINVAL};
  return DoRead(dst, offset, waiter);
}

ErrnoOr<size_t> FileDescription::Write(IoSrc& src, Waiter* waiter) {
  RETURN_IF_ERRNO(CheckIo(true));
  bool append = (flags() & O_APPEND) != 0;
  int64_t end = 0;
  if (!impl_->Seekable()) return DoWrite(src, 0, append, waiter, &end);
  absl::MutexLock l(&pos_mu_);
  ASSIGN_OR_RETURN_ERRNO(size_t n, DoWrite(src, offset_, append, waiter, &end));
  offset_ = end;
  return n;
}

ErrnoOr<size_t> FileDescription::PWrite(IoSrc& src, int64_t offset,
                                        Waiter* waiter) {
  RETURN_IF_ERRNO(CheckIo(true));
  if (!impl_->Seekable()) return Errno{ESPIPE};
  if (offset < 0) return Errno{EINVAL};
  int64_t end = 0;
  // Linux quirk kept: pwrite on an O_APPEND file appends.
  return DoWrite(src, offset, (flags() & O_APPEND) != 0, waiter, &end);
}

ErrnoOr<int64_t> FileDescription::Seek(int64_t offset, int whence) {
  if (is_path()) return Errno{EBADF};
  if (impl_ && !impl_->Seekable()) return Errno{ESPIPE};
  absl::MutexLock l(&pos_mu_);
  if (impl_) {
    if (auto r = impl_->Seek(offset, whence)) {
      if (r->ok()) offset_ = **r;
      return *r;
    }
  }
  int64_t base;
  switch (whence) {
    case SEEK_SET:
      base = 0;
      break;
    case SEEK_CUR:
      base = offset_;
      break;
    case SEEK_END:
    case SEEK_DATA:
    case SEEK_HOLE: {
      if (inode_->IsDir()) return Errno{EINVAL};
      ASSIGN_OR_RETURN_ERRNO(Stat st, inode_->GetStat());
      if (whence == SEEK_END) {
        base = st.size;
        break;
      }
      // The whole file is data: the only hole is at the end.
      if (offset < 0 || offset >= st.size) return Errno{ENXIO};
      offset_ = whence == SEEK_DATA ? offset : st.size;
      return offset_;
    }
    default:
      return Errno{EINVAL};
  }
  if ((offset > 0 && base > std::numeric_limits<int64_t>::max() - offset)) {
    return Errno{EOVERFLOW};
  }
  int64_t pos = base + offset;
  if (pos < 0) return Errno{EINVAL};
  offset_ = pos;
  return pos;
}

ErrnoOr<Stat> FileDescription::GetStat() { return inode_->GetStat(); }

ErrnoStatus FileDescription::Truncate(int64_t size) {
  if (is_path()) return Errno{EBADF};
  if (!writable()) return Errno{EINVAL};
  if (!inode_->IsRegular()) return Errno{EINVAL};
  if (size < 0) return Errno{EINVAL};
  SetStatRequest req;
  req.mask = SetStatRequest::kSize;
  req.size = size;
  RETURN_IF_ERRNO(inode_->SetStat(req));
  Notify(IN_MODIFY);
  return OkErrno();
}

ErrnoStatus FileDescription::Sync() {
  if (is_path()) return Errno{EBADF};
  return impl_ ? impl_->Sync() : OkErrno();
}

uint32_t FileDescription::Readiness(uint32_t mask) {
  if (is_path()) return POLLNVAL & mask;
  return impl_ ? impl_->Readiness(mask)
               : mask & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}

ErrnoStatus FileDescription::IterateDir(const DirEmitter& emit) {
  if (is_path()) return Errno{EBADF};
  if (!inode_->IsDir()) return Errno{ENOTDIR};
  absl::MutexLock l(&pos_mu_);
  if (offset_ == 0) {
    dir_end_ = inode_->DirEndCookie();
    ASSIGN_OR_RETURN_ERRNO(Stat st, inode_->GetStat());
    if (!emit(DirEntry{".", st.ino, DT_DIR, 1})) return OkErrno();
    offset_ = 1;
  }
  if (offset_ == 1) {
    uint64_t ino = 0;
    if (vd_.ok()) {
      VirtualDentry parent = vfs_->Parent(Context{}, vd_);
      if (auto st = parent.inode()->GetStat(); st.ok()) ino = st->ino;
    }
    if (!emit(DirEntry{"..", ino, DT_DIR, kFirstDirCookie})) return OkErrno();
    offset_ = kFirstDirCookie;
  }
  int64_t pos = offset_;
  ErrnoStatus st =
      inode_->IterateDir(static_cast<uint64_t>(pos), [&](const DirEntry& e) {
        if (e.next_cookie > dir_end_) return false;
        if (!emit(e)) return false;
        pos = static_cast<int64_t>(e.next_cookie);
        return true;
      });
  offset_ = pos;
  return st;
}

}  // namespace sentry::vfs
