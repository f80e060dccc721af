#include "sentry/vfs/inode.h"

#include <dirent.h>
#include <poll.h>
#include <time.h>

#include <atomic>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace sentry::vfs {
namespace {

absl::Mutex clock_mu;
std::function<Timespec()>* clock_fn ABSL_GUARDED_BY(clock_mu) = nullptr;

}  // namespace

Timespec Now() {
  {
    absl::MutexLock l(&clock_mu);
    if (clock_fn != nullptr) return (*clock_fn)();
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Timespec{ts.tv_sec, ts.tv_nsec};
}

void SetClock(std::function<Timespec()> clock) {
  absl::MutexLock l(&clock_mu);
  delete clock_fn;  // NOLINT: process-lifetime singleton
  clock_fn = clock ? new std::function<Timespec()>(std::move(clock))  // NOLINT
                   : nullptr;
}

uint8_t DirentType(uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return DT_REG;
    case S_IFDIR:
      return DT_DIR;
    case S_IFLNK:
      return DT_LNK;
    case S_IFCHR:
      return DT_CHR;
    case S_IFBLK:
      return DT_BLK;
    case S_IFIFO:
      return DT_FIFO;
    case S_IFSOCK:
      return DT_SOCK;
    default:
      return DT_UNKNOWN;
  }
}

uint64_t NewAnonDev() {
  // Linux hands out anonymous devices with major 0; we do the same.
  static std::atomic<uint64_t> next{1};
  uint64_t minor = next.fetch_add(1);
  return ((minor & 0xffffff00ull) << 12) | (minor & 0xff);
}

ErrnoOr<std::shared_ptr<Inode>> Inode::Lookup(absl::string_view) {
  return Errno{ENOTDIR};
}
ErrnoOr<std::shared_ptr<Inode>> Inode::Create(absl::string_view,
                                              const CreateRequest&) {
  return Errno{ENOTDIR};
}
ErrnoStatus Inode::Link(absl::string_view, const std::shared_ptr<Inode>&) {
  return Errno{ENOTDIR};
}
ErrnoStatus Inode::Unlink(absl::string_view, bool) { return Errno{ENOTDIR}; }
ErrnoStatus Inode::Rename(absl::string_view, Inode&, absl::string_view,
                          uint32_t) {
  return Errno{ENOTDIR};
}
ErrnoStatus Inode::IterateDir(uint64_t, const DirEmitter&) {
  return Errno{ENOTDIR};
}
ErrnoOr<std::string> Inode::ReadLink() { return Errno{EINVAL}; }
ErrnoOr<std::unique_ptr<FileImpl>> Inode::Open(const OpenRequest&) {
  return Errno{ENXIO};
}

SimpleInode::SimpleInode(uint64_t dev, uint64_t ino, uint32_t mode,
                         uint32_t uid, uint32_t gid, uint64_t rdev)
    : Inode(mode),
      dev_(dev),
      ino_(ino),
      rdev_(rdev),
      mode_(mode),
      uid_(uid),
      gid_(gid),
      nlink_(S_ISDIR(mode) ? 2 : 1) {
  Timespec now = Now();
  atime_ = mtime_ = ctime_ = btime_ = now;
}

ErrnoOr<Stat> SimpleInode::GetStat() {
  Stat st;
  {
    absl::MutexLock l(&mu_);
    st.dev = dev_;
    st.ino = ino_;
    st.mode = mode_;
    st.nlink = nlink_;
    st.uid = uid_;
    st.gid = gid_;
    st.rdev = rdev_;
    st.atime = atime_;
    st.mtime = mtime_;
    st.ctime = ctime_;
    st.btime = btime_;
  }
  FillSize(&st);
  return st;
}

void SimpleInode::FillSize(Stat* st) {
  if (S_ISDIR(st->mode)) {
    st->size = 4096;
    st->blocks = 8;
  }
}

ErrnoStatus SimpleInode::SetStat(const SetStatRequest& req) {
  if (req.mask & SetStatRequest::kSize) {
    if (IsDir()) return Errno{EISDIR};
    if (!IsRegular()) return Errno{EINVAL};
    RETURN_IF_ERRNO(Truncate(req.size));
  }
  absl::MutexLock l(&mu_);
  Timespec now = Now();
  if (req.mask & SetStatRequest::kMode) {
    mode_ = (mode_ & S_IFMT) | (req.mode & 07777);
  }
  if (req.mask & SetStatRequest::kUid) uid_ = req.uid;
  if (req.mask & SetStatRequest::kGid) gid_ = req.gid;
  if (req.mask & SetStatRequest::kAtime) atime_ = req.atime;
  if (req.mask & SetStatRequest::kMtime) mtime_ = req.mtime;
  if (req.mask & SetStatRequest::kSize) mtime_ = now;
  ctime_ = (req.mask & SetStatRequest::kCtime) ? req.ctime : now;
  return OkErrno();
}

uint32_t SimpleInode::nlink() {
  absl::MutexLock l(&mu_);
  return nlink_;
}

void SimpleInode::AdjustLinks(int delta) {
  absl::MutexLock l(&mu_);
  nlink_ = static_cast<uint32_t>(static_cast<int64_t>(nlink_) + delta);
  ctime_ = Now();
}

void SimpleInode::TouchModify() {
  Timespec now = Now();
  absl::MutexLock l(&mu_);
  mtime_ = ctime_ = now;
}

void SimpleInode::TouchChange() {
  Timespec now = Now();
  absl::MutexLock l(&mu_);
  ctime_ = now;
}

void SimpleInode::TouchAccess() {
  Timespec now = Now();
  absl::MutexLock l(&mu_);
  atime_ = now;
}

ErrnoOr<size_t> FileImpl::Read(IoDst&, int64_t, const IoOptions&) {
  return Errno{EINVAL};
}
ErrnoOr<size_t> FileImpl::Write(IoSrc&, int64_t, const IoOptions&, int64_t*) {
  return Errno{EINVAL};
}
uint32_t FileImpl::Readiness(uint32_t mask) {
  return mask & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}

}  // namespace sentry::vfs
