#include "sentry/sandbox/files.h"

#include <fcntl.h>
#include <linux/stat.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <vector>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/kernel.h"
#include "sentry/vfs/inode.h"
#include "sentry/vfs/io.h"

namespace sentry::sandbox {
namespace {

using kernel::SyscallResult;
using kernel::Task;
using kernel::UserAddr;

std::atomic<vfs::VirtualFilesystem*> g_vfs{nullptr};

constexpr size_t kMaxPath = 4096;
constexpr int kAtFdCwd = AT_FDCWD;

// --- I/O buffers over application memory -------------------------------

class UserDst final : public vfs::IoDst {
 public:
  UserDst(kernel::UserMemory& mm, uint64_t addr, size_t n)
      : mm_(mm), addr_(addr), n_(n) {}
  size_t size() const override { return n_; }
  ErrnoOr<size_t> CopyOut(size_t at, std::span<const std::byte> src) override {
    if (at > n_) return Errno{EFAULT};
    size_t n = std::min(src.size(), n_ - at);
    if (n == 0) return size_t{0};
    ASSIGN_OR_RETURN_ERRNO(size_t done,
                           mm_.CopyOut(UserAddr(addr_ + at), src.data(), n));
    if (done == 0) return Errno{EFAULT};
    return done;
  }

 private:
  kernel::UserMemory& mm_;
  uint64_t addr_;
  size_t n_;
};

class UserSrc final : public vfs::IoSrc {
 public:
  UserSrc(kernel::UserMemory& mm, uint64_t addr, size_t n)
      : mm_(mm), addr_(addr), n_(n) {}
  size_t size() const override { return n_; }
  ErrnoOr<size_t> CopyIn(size_t at, std::span<std::byte> dst) override {
    if (at > n_) return Errno{EFAULT};
    size_t n = std::min(dst.size(), n_ - at);
    if (n == 0) return size_t{0};
    ASSIGN_OR_RETURN_ERRNO(size_t done,
                           mm_.CopyIn(UserAddr(addr_ + at), dst.data(), n));
    if (done == 0) return Errno{EFAULT};
    return done;
  }

 private:
  kernel::UserMemory& mm_;
  uint64_t addr_;
  size_t n_;
};

// --- host descriptors (stdio) -------------------------------------------

class HostFdImpl final : public vfs::FileImpl {
 public:
  explicit HostFdImpl(base::UniqueFd fd) : fd_(std::move(fd)) {}
  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t,
                       const vfs::IoOptions&) override {
    std::vector<std::byte> buf(std::min<size_t>(dst.size(), 64 << 10));
    ssize_t n;
    do {
      n = ::read(fd_.get(), buf.data(), buf.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Errno{errno};
    if (n == 0) return size_t{0};
    return dst.CopyOut(0, std::span<const std::byte>(buf.data(), n));
  }
  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t, const vfs::IoOptions&,
                        int64_t* end) override {
    size_t total = 0;
    std::vector<std::byte> buf(std::min<size_t>(src.size(), 64 << 10));
    while (total < src.size()) {
      size_t want = std::min(buf.size(), src.size() - total);
      auto got = src.CopyIn(total, std::span<std::byte>(buf.data(), want));
      if (!got.ok()) {
        if (total > 0) break;
        return got.error();
      }
      size_t off = 0;
      while (off < *got) {
        ssize_t n = ::write(fd_.get(), buf.data() + off, *got - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          if (total + off > 0) return total + off;
          return Errno{errno};
        }
        off += n;
      }
      total += *got;
      if (*got < want) break;
    }
    *end = 0;
    return total;
  }
  bool Seekable() const override { return false; }
  uint32_t Readiness(uint32_t mask) override { return mask; }

 private:
  base::UniqueFd fd_;
};

// --- helpers ------------------------------------------------------------

struct FsSnapshot {
  vfs::Context ctx;
};

ErrnoOr<vfs::FileRef> GetFile(Task& t, int fd) {
  return TaskFdTable(t).Get(fd);
}

// The start of a path relative to dirfd.
ErrnoOr<vfs::VirtualDentry> StartOf(Task& t, const vfs::Context& ctx, int dirfd,
                                    const std::string& path) {
  if (!path.empty() && path[0] == '/') return ctx.root;
  if (dirfd == kAtFdCwd) return ctx.cwd;
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, dirfd));
  if (!f->location().ok()) return Errno{ENOTDIR};
  return f->location();
}

ErrnoOr<std::string> PathArg(Task& t, uint64_t addr) {
  return t.mm().CopyInString(UserAddr(addr), kMaxPath);
}

void FillStat(const vfs::Stat& s, struct stat* o) {
  std::memset(o, 0, sizeof(*o));
  o->st_dev = s.dev;
  o->st_ino = s.ino;
  o->st_mode = s.mode;
  o->st_nlink = s.nlink;
  o->st_uid = s.uid;
  o->st_gid = s.gid;
  o->st_rdev = s.rdev;
  o->st_size = s.size;
  o->st_blksize = s.blksize;
  o->st_blocks = s.blocks;
  o->st_atim = {s.atime.sec, s.atime.nsec};
  o->st_mtim = {s.mtime.sec, s.mtime.nsec};
  o->st_ctim = {s.ctime.sec, s.ctime.nsec};
}

ErrnoOr<int64_t> CopyOutStat(Task& t, uint64_t addr, const vfs::Stat& s) {
  struct stat o;
  FillStat(s, &o);
  RETURN_IF_ERRNO(t.mm().CopyOutFull(UserAddr(addr), &o, sizeof(o)));
  return 0;
}

// stat-family on dirfd/path with AT_* flags.
ErrnoOr<vfs::Stat> StatAt(Task& t, int dirfd, uint64_t path_addr, int flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
                AT_STATX_SYNC_TYPE)) {
    return Errno{EINVAL};
  }
  ASSIGN_OR_RETURN_ERRNO(std::string path, PathArg(t, path_addr));
  if (path.empty()) {
    if (!(flags & AT_EMPTY_PATH)) return Errno{ENOENT};
    if (dirfd == kAtFdCwd) {
      vfs::Context ctx = TaskContext(t);
      return SandboxVfs()->GetStat(ctx.cwd);
    }
    ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, dirfd));
    return f->GetStat();
  }
  vfs::Context ctx = TaskContext(t);
  ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry start,
                         StartOf(t, ctx, dirfd, path));
  return SandboxVfs()->GetStat(ctx, vfs::PathAt{start, path},
                               !(flags & AT_SYMLINK_NOFOLLOW));
}

// Runs `op(ctx, PathAt)` on dirfd/path.
template <typename F>
auto WithPath(Task& t, int dirfd, uint64_t path_addr, F op)
    -> decltype(op(std::declval<vfs::Context&>(),
                   std::declval<vfs::PathAt>())) {
  ASSIGN_OR_RETURN_ERRNO(std::string path, PathArg(t, path_addr));
  if (path.empty()) return Errno{ENOENT};
  vfs::Context ctx = TaskContext(t);
  ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry start,
                         StartOf(t, ctx, dirfd, path));
  return op(ctx, vfs::PathAt{start, path});
}

ErrnoOr<int64_t> Status0(const ErrnoStatus& s) {
  if (!s.ok()) return s.error();
  return 0;
}

// --- handlers -------------------------------------------------------------

ErrnoOr<int64_t> DoOpen(Task& t, int dirfd, uint64_t path_addr, int flags,
                        uint32_t mode) {
  ASSIGN_OR_RETURN_ERRNO(std::string path, PathArg(t, path_addr));
  if (path.empty()) return Errno{ENOENT};
  vfs::Context ctx = TaskContext(t);
  ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry start,
                         StartOf(t, ctx, dirfd, path));
  ASSIGN_OR_RETURN_ERRNO(
      vfs::FileRef f,
      SandboxVfs()->Open(ctx, vfs::PathAt{start, path}, flags, mode));
  ASSIGN_OR_RETURN_ERRNO(int fd,
                         TaskFdTable(t).Add(std::move(f), flags & O_CLOEXEC));
  return fd;
}

ErrnoOr<int64_t> DoRead(Task& t, int fd, uint64_t buf, size_t n,
                        std::optional<int64_t> off) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd));
  UserDst dst(t.mm(), buf, n);
  ASSIGN_OR_RETURN_ERRNO(size_t done, off ? f->PRead(dst, *off, t.vfs_waiter())
                                          : f->Read(dst, t.vfs_waiter()));
  return static_cast<int64_t>(done);
}

ErrnoOr<int64_t> DoWrite(Task& t, int fd, uint64_t buf, size_t n,
                         std::optional<int64_t> off) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd));
  UserSrc src(t.mm(), buf, n);
  auto r = off ? f->PWrite(src, *off, t.vfs_waiter())
               : f->Write(src, t.vfs_waiter());
  if (!r.ok() && r.error() == Errno{EPIPE}) {
    siginfo_t info{};
    info.si_signo = SIGPIPE;
    info.si_code = SI_USER;
    t.kernel().SendSignal(nullptr, &t, nullptr, info);
  }
  ASSIGN_OR_RETURN_ERRNO(size_t done, r);
  return static_cast<int64_t>(done);
}

ErrnoOr<int64_t> DoVec(Task& t, int fd, uint64_t iov_addr, int iovcnt,
                       bool write, std::optional<int64_t> off) {
  if (iovcnt < 0 || iovcnt > IOV_MAX) return Errno{EINVAL};
  std::vector<iovec> iov(iovcnt);
  if (iovcnt > 0) {
    RETURN_IF_ERRNO(t.mm().CopyInFull(UserAddr(iov_addr), iov.data(),
                                      iov.size() * sizeof(iovec)));
  }
  int64_t total = 0;
  for (const iovec& v : iov) {
    if (v.iov_len == 0) continue;
    uint64_t base = reinterpret_cast<uint64_t>(v.iov_base);
    std::optional<int64_t> o;
    if (off) o = *off + total;
    auto r = write ? DoWrite(t, fd, base, v.iov_len, o)
                   : DoRead(t, fd, base, v.iov_len, o);
    if (!r.ok()) {
      if (total > 0) return total;
      return r.error();
    }
    total += *r;
    if (static_cast<size_t>(*r) < v.iov_len) break;
  }
  if (iovcnt > 0 && total == 0 && !write) {
    // A zero-length read still validates the descriptor.
    RETURN_IF_ERRNO(GetFile(t, fd));
  }
  return total;
}

ErrnoOr<int64_t> DoGetdents64(Task& t, int fd, uint64_t buf, size_t n) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd));
  std::vector<char> out;
  bool too_small = false;
  ErrnoStatus s = f->IterateDir([&](const vfs::DirEntry& e) {
    size_t reclen = (19 + e.name.size() + 1 + 7) & ~size_t{7};
    if (out.size() + reclen > n) {
      if (out.empty()) too_small = true;
      return false;
    }
    size_t at = out.size();
    out.resize(at + reclen, 0);
    uint64_t ino = e.ino;
    int64_t off = static_cast<int64_t>(e.next_cookie);
    uint16_t rl = static_cast<uint16_t>(reclen);
    std::memcpy(&out[at], &ino, 8);
    std::memcpy(&out[at + 8], &off, 8);
    std::memcpy(&out[at + 16], &rl, 2);
    out[at + 18] = static_cast<char>(e.type);
    std::memcpy(&out[at + 19], e.name.data(), e.name.size());
    return true;
  });
  if (too_small) return Errno{EINVAL};
  if (!s.ok()) return s.error();
  if (!out.empty()) {
    RETURN_IF_ERRNO(t.mm().CopyOutFull(UserAddr(buf), out.data(), out.size()));
  }
  return static_cast<int64_t>(out.size());
}

ErrnoOr<int64_t> DoFcntl(Task& t, int fd, int cmd, uint64_t arg) {
  vfs::FdTable& table = TaskFdTable(t);
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, table.Get(fd));
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      if (static_cast<int>(arg) < 0) return Errno{EINVAL};
      ASSIGN_OR_RETURN_ERRNO(
          int nfd, table.Add(f, cmd == F_DUPFD_CLOEXEC, static_cast<int>(arg)));
      return nfd;
    }
    case F_GETFD: {
      ASSIGN_OR_RETURN_ERRNO(bool c, table.GetCloexec(fd));
      return c ? FD_CLOEXEC : 0;
    }
    case F_SETFD:
      return Status0(table.SetCloexec(fd, arg & FD_CLOEXEC));
    case F_GETFL:
      return f->flags();
    case F_SETFL:
      f->SetStatusFlags(static_cast<int>(arg));
      return 0;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      // No lock table yet. Pretending a lock was taken would let two
      // processes corrupt a file they both believe they own, so refuse the
      // way Linux does when locking is unavailable (as on some NFS mounts).
      return Errno{ENOLCK};
    default:
      return Errno{EINVAL};
  }
}

ErrnoOr<int64_t> DoPipe(Task& t, uint64_t addr, int flags) {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return Errno{EINVAL};
  auto creds = t.creds();
  ASSIGN_OR_RETURN_ERRNO(
      auto ends, fs::pipe::NewPipe(SandboxVfs(), flags, creds->effective_uid,
                                   creds->effective_gid));
  vfs::FdTable& table = TaskFdTable(t);
  ASSIGN_OR_RETURN_ERRNO(int r, table.Add(ends.first, flags & O_CLOEXEC));
  auto w = table.Add(ends.second, flags & O_CLOEXEC);
  if (!w.ok()) {
    (void)table.Remove(r);
    return w.error();
  }
  int fds[2] = {r, *w};
  auto s = t.mm().CopyOutFull(UserAddr(addr), fds, sizeof(fds));
  if (!s.ok()) {
    (void)table.Remove(r);
    (void)table.Remove(*w);
    return s.error();
  }
  return 0;
}

ErrnoOr<int64_t> DoGetcwd(Task& t, uint64_t buf, size_t size) {
  vfs::Context ctx = TaskContext(t);
  ASSIGN_OR_RETURN_ERRNO(std::string cwd, SandboxVfs()->GetCwd(ctx, ctx.cwd));
  if (cwd.size() + 1 > size) return Errno{ERANGE};
  RETURN_IF_ERRNO(
      t.mm().CopyOutFull(UserAddr(buf), cwd.c_str(), cwd.size() + 1));
  return static_cast<int64_t>(cwd.size() + 1);
}

ErrnoOr<int64_t> SetCwd(Task& t, const vfs::VirtualDentry& vd) {
  auto* fs = static_cast<FsResource*>(t.fs.get());
  absl::MutexLock l(&fs->mu);
  fs->cwd = vd;
  return 0;
}

ErrnoOr<int64_t> DoChdir(Task& t, uint64_t path_addr) {
  ASSIGN_OR_RETURN_ERRNO(
      vfs::VirtualDentry vd,
      WithPath(t, kAtFdCwd, path_addr, [](vfs::Context& ctx, vfs::PathAt at) {
        return SandboxVfs()->ResolveDirectory(ctx, at);
      }));
  return SetCwd(t, vd);
}

ErrnoOr<int64_t> DoFchdir(Task& t, int fd) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd));
  if (!f->location().ok() || !f->location().inode()->IsDir()) {
    return Errno{ENOTDIR};
  }
  return SetCwd(t, f->location());
}

ErrnoOr<int64_t> DoReadlink(Task& t, int dirfd, uint64_t path_addr,
                            uint64_t buf, int64_t size) {
  if (size <= 0) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(
      std::string target,
      WithPath(t, dirfd, path_addr, [](vfs::Context& ctx, vfs::PathAt at) {
        return SandboxVfs()->ReadLink(ctx, at);
      }));
  size_t n = std::min<size_t>(target.size(), size);
  RETURN_IF_ERRNO(t.mm().CopyOutFull(UserAddr(buf), target.data(), n));
  return static_cast<int64_t>(n);
}

ErrnoOr<int64_t> DoStatx(Task& t, int dirfd, uint64_t path_addr, int flags,
                         uint32_t mask, uint64_t out) {
  // Linux: STATX__RESERVED in the mask, or both sync types, is EINVAL.
  if ((mask & 0x80000000u) ||
      (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE) {
    return Errno{EINVAL};
  }
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat s, StatAt(t, dirfd, path_addr, flags));
  struct statx x;
  std::memset(&x, 0, sizeof(x));
  x.stx_mask = STATX_BASIC_STATS;
  x.stx_blksize = s.blksize;
  x.stx_nlink = s.nlink;
  x.stx_uid = s.uid;
  x.stx_gid = s.gid;
  x.stx_mode = static_cast<uint16_t>(s.mode);
  x.stx_ino = s.ino;
  x.stx_size = s.size;
  x.stx_blocks = s.blocks;
  x.stx_atime = {s.atime.sec, static_cast<uint32_t>(s.atime.nsec), 0};
  x.stx_mtime = {s.mtime.sec, static_cast<uint32_t>(s.mtime.nsec), 0};
  x.stx_ctime = {s.ctime.sec, static_cast<uint32_t>(s.ctime.nsec), 0};
  x.stx_rdev_major = major(s.rdev);
  x.stx_rdev_minor = minor(s.rdev);
  x.stx_dev_major = major(s.dev);
  x.stx_dev_minor = minor(s.dev);
  RETURN_IF_ERRNO(t.mm().CopyOutFull(UserAddr(out), &x, sizeof(x)));
  return 0;
}

ErrnoOr<int64_t> DoStatfs(Task& t, const ErrnoOr<vfs::StatFs>& r,
                          uint64_t out) {
  if (!r.ok()) return r.error();
  struct statfs o;
  std::memset(&o, 0, sizeof(o));
  const vfs::StatFs& s = *r;
  o.f_type = s.type;
  o.f_bsize = s.block_size;
  o.f_blocks = s.blocks;
  o.f_bfree = s.blocks_free;
  o.f_bavail = s.blocks_available;
  o.f_files = s.files;
  o.f_ffree = s.files_free;
  o.f_namelen = s.name_max;
  o.f_frsize = s.block_size;
  RETURN_IF_ERRNO(t.mm().CopyOutFull(UserAddr(out), &o, sizeof(o)));
  return 0;
}

ErrnoOr<int64_t> DoUtimensat(Task& t, int dirfd, uint64_t path_addr,
                             uint64_t times_addr, int flags) {
  vfs::Timespec at{0, UTIME_NOW}, mt{0, UTIME_NOW};
  if (times_addr != 0) {
    struct timespec ts[2];
    RETURN_IF_ERRNO(t.mm().CopyInFull(UserAddr(times_addr), ts, sizeof(ts)));
    at = {ts[0].tv_sec, ts[0].tv_nsec};
    mt = {ts[1].tv_sec, ts[1].tv_nsec};
  }
  vfs::Context ctx = TaskContext(t);
  if (path_addr == 0) {
    ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, dirfd));
    return Status0(SandboxVfs()->UtimensAt(ctx, f->location(), at, mt));
  }
  return WithPath(t, dirfd, path_addr,
                  [&](vfs::Context& c, vfs::PathAt p) -> ErrnoOr<int64_t> {
                    return Status0(SandboxVfs()->Utimens(
                        c, p, at, mt, !(flags & AT_SYMLINK_NOFOLLOW)));
                  });
}

ErrnoOr<int64_t> TwoPaths(
    Task& t, int olddir, uint64_t oldp, int newdir, uint64_t newp,
    const std::function<ErrnoStatus(vfs::Context&, vfs::PathAt, vfs::PathAt)>&
        op) {
  ASSIGN_OR_RETURN_ERRNO(std::string a, PathArg(t, oldp));
  ASSIGN_OR_RETURN_ERRNO(std::string b, PathArg(t, newp));
  if (a.empty() || b.empty()) return Errno{ENOENT};
  vfs::Context ctx = TaskContext(t);
  ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry sa, StartOf(t, ctx, olddir, a));
  ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry sb, StartOf(t, ctx, newdir, b));
  return Status0(op(ctx, vfs::PathAt{sa, a}, vfs::PathAt{sb, b}));
}

ErrnoOr<int64_t> Serve(Task& t, uint64_t nr, const uint64_t* a) {
  vfs::VirtualFilesystem* v = SandboxVfs();
  const int ia0 = static_cast<int>(a[0]);
  switch (nr) {
    case SYS_read:
      return DoRead(t, ia0, a[1], a[2], std::nullopt);
    case SYS_write:
      return DoWrite(t, ia0, a[1], a[2], std::nullopt);
    case SYS_pread64:
      return DoRead(t, ia0, a[1], a[2], static_cast<int64_t>(a[3]));
    case SYS_pwrite64:
      return DoWrite(t, ia0, a[1], a[2], static_cast<int64_t>(a[3]));
    case SYS_readv:
      return DoVec(t, ia0, a[1], static_cast<int>(a[2]), false, std::nullopt);
    case SYS_writev:
      return DoVec(t, ia0, a[1], static_cast<int>(a[2]), true, std::nullopt);
    case SYS_preadv:
      return DoVec(t, ia0, a[1], static_cast<int>(a[2]), false,
                   static_cast<int64_t>(a[3]));
    case SYS_pwritev:
      return DoVec(t, ia0, a[1], static_cast<int>(a[2]), true,
                   static_cast<int64_t>(a[3]));
    case SYS_open:
      return DoOpen(t, kAtFdCwd, a[0], static_cast<int>(a[1]),
                    static_cast<uint32_t>(a[2]));
    case SYS_creat:
      return DoOpen(t, kAtFdCwd, a[0], O_CREAT | O_WRONLY | O_TRUNC,
                    static_cast<uint32_t>(a[1]));
    case SYS_openat:
      return DoOpen(t, ia0, a[1], static_cast<int>(a[2]),
                    static_cast<uint32_t>(a[3]));
    case SYS_close: {
      ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, TaskFdTable(t).Remove(ia0));
      return 0;
    }
    case SYS_close_range: {
      if (a[2] & ~uint64_t{CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE}) {
        return Errno{EINVAL};
      }
      if (a[0] > a[1]) return Errno{EINVAL};
      TaskFdTable(t).CloseRange(static_cast<unsigned>(a[0]),
                                static_cast<unsigned>(a[1]),
                                static_cast<unsigned>(a[2]));
      return 0;
    }
    case SYS_dup: {
      ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, ia0));
      ASSIGN_OR_RETURN_ERRNO(int fd, TaskFdTable(t).Add(f, false));
      return fd;
    }
    case SYS_dup2: {
      ASSIGN_OR_RETURN_ERRNO(int fd,
                             TaskFdTable(t).Dup2(ia0, static_cast<int>(a[1])));
      return fd;
    }
    case SYS_dup3: {
      if (a[2] & ~uint64_t{O_CLOEXEC}) return Errno{EINVAL};
      ASSIGN_OR_RETURN_ERRNO(
          int fd,
          TaskFdTable(t).Dup3(ia0, static_cast<int>(a[1]), a[2] & O_CLOEXEC));
      return fd;
    }
    case SYS_fcntl:
      return DoFcntl(t, ia0, static_cast<int>(a[1]), a[2]);
    case SYS_lseek: {
      ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, ia0));
      ASSIGN_OR_RETURN_ERRNO(int64_t off, f->Seek(static_cast<int64_t>(a[1]),
                                                  static_cast<int>(a[2])));
      return off;
    }
    case SYS_ioctl: {
      ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, ia0));
      return Errno{ENOTTY};
    }
    case SYS_fstat: {
      ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, ia0));
      ASSIGN_OR_RETURN_ERRNO(vfs::Stat s, f->GetStat());
      return CopyOutStat(t, a[1], s);
    }
    case SYS_stat: {
      ASSIGN_OR_RETURN_ERRNO(vfs::Stat s, StatAt(t, kAtFdCwd, a[0], 0));
      return CopyOutStat(t, a[1], s);
    }
    case SYS_lstat: {
      ASSIGN_OR_RETURN_ERRNO(vfs::Stat s,
                             StatAt(t, kAtFdCwd, a[0], AT_SYMLINK_NOFOLLOW));
      return CopyOutStat(t, a[1], s);
    }
    case SYS_newfstatat: {
      ASSIGN_OR_RETURN_ERRNO(vfs::Stat s,
                             StatAt(t, ia0, a[1], static_cast<int>(a[3])));
      return CopyOutStat(t, a[2], s);
    }
    case SYS_statx:
      return DoStatx(t, ia0, a[1], static_cast<int>(a[2]),
                     static_cast<uint32_t>(a[3]), a[4]);
    case SYS_getdents64:
      return DoGetdents64(t, ia0, a[1], a[2]);
    case SYS_getcwd:
      return DoGetcwd(t, a[0], a[1]);
    case SYS_chdir:
      return DoChdir(t, a[0]);
    case SYS_fchdir:
      return DoFchdir(t, ia0);
    case SYS_pipe:
      return DoPipe(t, a[0], 0);
    case SYS_pipe2:
      return DoPipe(t, a[0], static_cast<int>(a[1]));
    case SYS_access:
    case SYS_faccessat:
    case SYS_faccessat2: {
      int dirfd = nr == SYS_access ? kAtFdCwd : ia0;
      uint64_t p = nr == SYS_access ? a[0] : a[1];
      int mode = static_cast<int>(nr == SYS_access ? a[1] : a[2]);
      int flags = nr == SYS_faccessat2 ? static_cast<int>(a[3]) : 0;
      return WithPath(t, dirfd, p,
                      [&](vfs::Context& c, vfs::PathAt at) -> ErrnoOr<int64_t> {
                        return Status0(v->Access(c, at, mode,
                                                 !(flags & AT_SYMLINK_NOFOLLOW),
                                                 flags & AT_EACCESS));
                      });
    }
    case SYS_mkdir:
    case SYS_mkdirat: {
      int dirfd = nr == SYS_mkdir ? kAtFdCwd : ia0;
      uint64_t p = nr == SYS_mkdir ? a[0] : a[1];
      uint32_t mode = static_cast<uint32_t>(nr == SYS_mkdir ? a[1] : a[2]);
      return WithPath(t, dirfd, p,
                      [&](vfs::Context& c, vfs::PathAt at) -> ErrnoOr<int64_t> {
                        return Status0(v->Mkdir(c, at, mode));
                      });
    }
    case SYS_mknod:
    case SYS_mknodat: {
      int dirfd = nr == SYS_mknod ? kAtFdCwd : ia0;
      const uint64_t* r = nr == SYS_mknod ? a : a + 1;
      return WithPath(
          t, dirfd, r[0],
          [&](vfs::Context& c, vfs::PathAt at) -> ErrnoOr<int64_t> {
            return Status0(v->Mknod(c, at, static_cast<uint32_t>(r[1]), r[2]));
          });
    }
    case SYS_rmdir:
      return WithPath(t, kAtFdCwd, a[0],
                      [&](vfs::Context& c, vfs::PathAt at) -> ErrnoOr<int64_t> {
                        return Status0(v->Rmdir(c, at));
                      });
    case SYS_unlink:
    case SYS_unlinkat: {
      int dirfd = nr == SYS_unlink ? kAtFdCwd : ia0;
      uint64_t p = nr == SYS_unlink ? a[0] : a[1];
      int flags = nr == SYS_unlinkat ? static_cast<int>(a[2]) : 0;
      if (flags & ~AT_REMOVEDIR) return Errno{EINVAL};
      return WithPath(t, dirfd, p,
                      [&](vfs::Context& c, vfs::PathAt at) -> ErrnoOr<int64_t> {
                        return Status0((flags & AT_REMOVEDIR)
                                           ? v->Rmdir(c, at)
                                           : v->Unlink(c, at));
                      });
    }
    case SYS_rename:
      return TwoPaths(t, kAtFdCwd, a[0], kAtFdCwd, a[1],
                      [v](vfs::Context& c, vfs::PathAt o, vfs::PathAt n) {
                        return v->Rename(c, o, n, 0);
                      });
    case SYS_renameat:
    case SYS_renameat2: {
      uint32_t flags = nr == SYS_renameat2 ? static_cast<uint32_t>(a[4]) : 0;
      return TwoPaths(
          t, ia0, a[1], static_cast<int>(a[2]), a[3],
          [v, flags](vfs::Context& c, vfs::PathAt o, vfs::PathAt n) {
            return v->Rename(c, o, n, flags);
          });
    }
    case SYS_link:
      return TwoPaths(t, kAtFdCwd, a[0], kAtFdCwd, a[1],
                      [v](vfs::Context& c, vfs::PathAt o, vfs::PathAt n) {
                        return v->Link(c, o, n, false);
                      });
    case SYS_linkat: {
      bool follow = a[4] & AT_SYMLINK_FOLLOW;
      return TwoPaths(
          t, ia0, a[1], static_cast<int>(a[2]), a[3],
          [v, follow](vfs::Context& c, vfs::PathAt o, vfs::PathAt n) {
            return v->Link(c, o, n, follow);
          });
    }
    case SYS_symlink:
    case SYS_symlinkat: {
      ASSIGN_OR_RETURN_ERRNO(std::string target, PathArg(t, a[0]));
      int dirfd = nr == SYS_symlink ? kAtFdCwd : static_cast<int>(a[1]);
      uint64_t p = nr == SYS_symlink ? a[1] : a[2];
      return WithPath(t, dirfd, p,
                      [&](vfs::Context& c, vfs::PathAt at) -> ErrnoOr<int64_t> {
                        return Status0(v->Symlink(c, target, at));
                      });
    }
    case SYS_readlink:
      return DoReadlink(t, kAtFdCwd, a[0], a[1], static_cast<int64_t>(a[2]));
    case SYS_readlinkat:
      return DoReadlink(t, ia0, a[1], a[2], static_cast<int64_t>(a[3]));
    case SYS_chmod:
    case SYS_fchmodat: {
      int dirfd = nr == SYS_chmod ? kAtFdCwd : ia0;
      uint64_t p = nr == SYS_chmod ? a[0] : a[1];
      uint32_t mode = static_cast<uint32_t>(nr == SYS_chmod ? a[1] : a[2]);
      return WithPath(t, dirfd, p,
                      [&](vfs::Context& c, vfs::PathAt at) -> ErrnoOr<int64_t> {
                        return Status0(v->Chmod(c, at, mode, true));
                      });
    }
    case SYS_fchmod: {
      ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, ia0));
      return Status0(v->ChmodAt(TaskContext(t), f->location(),
                                static_cast<uint32_t>(a[1])));
    }
    case SYS_chown:
    case SYS_lchown:
    case SYS_fchownat: {
      int dirfd = nr == SYS_fchownat ? ia0 : kAtFdCwd;
      const uint64_t* r = nr == SYS_fchownat ? a + 1 : a;
      bool follow = nr == SYS_chown ||
                    (nr == SYS_fchownat && !(a[4] & AT_SYMLINK_NOFOLLOW));
      return WithPath(
          t, dirfd, r[0],
          [&](vfs::Context& c, vfs::PathAt at) -> ErrnoOr<int64_t> {
            return Status0(v->Chown(c, at, static_cast<uint32_t>(r[1]),
                                    static_cast<uint32_t>(r[2]), follow));
          });
    }
    case SYS_fchown: {
      ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, ia0));
      return Status0(v->ChownAt(TaskContext(t), f->location(),
                                static_cast<uint32_t>(a[1]),
                                static_cast<uint32_t>(a[2])));
    }
    case SYS_utimensat:
      return DoUtimensat(t, ia0, a[1], a[2], static_cast<int>(a[3]));
    case SYS_truncate:
      return WithPath(
          t, kAtFdCwd, a[0],
          [&](vfs::Context& c, vfs::PathAt at) -> ErrnoOr<int64_t> {
            return Status0(v->Truncate(c, at, static_cast<int64_t>(a[1])));
          });
    case SYS_ftruncate: {
      ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, ia0));
      return Status0(f->Truncate(static_cast<int64_t>(a[1])));
    }
    case SYS_fsync:
    case SYS_fdatasync: {
      ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, ia0));
      return Status0(f->Sync());
    }
    case SYS_umask: {
      auto* fs = static_cast<FsResource*>(t.fs.get());
      absl::MutexLock l(&fs->mu);
      uint32_t old = fs->umask;
      fs->umask = static_cast<uint32_t>(a[0]) & 0777;
      return old;
    }
    case SYS_statfs: {
      ASSIGN_OR_RETURN_ERRNO(std::string path, PathArg(t, a[0]));
      vfs::Context ctx = TaskContext(t);
      ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry start,
                             StartOf(t, ctx, kAtFdCwd, path));
      return DoStatfs(t, v->GetStatFs(ctx, vfs::PathAt{start, path}), a[1]);
    }
    case SYS_fstatfs: {
      ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, ia0));
      if (!f->location().ok()) return Errno{ENOSYS};
      return DoStatfs(t, v->GetStatFs(f->location()), a[1]);
    }
    default:
      return Errno{ENOSYS};
  }
}

bool IsFileSyscall(uint64_t nr) {
  switch (nr) {
    case SYS_read:
    case SYS_write:
    case SYS_pread64:
    case SYS_pwrite64:
    case SYS_readv:
    case SYS_writev:
    case SYS_preadv:
    case SYS_pwritev:
    case SYS_open:
    case SYS_creat:
    case SYS_openat:
    case SYS_close:
    case SYS_close_range:
    case SYS_dup:
    case SYS_dup2:
    case SYS_dup3:
    case SYS_fcntl:
    case SYS_lseek:
    case SYS_ioctl:
    case SYS_fstat:
    case SYS_stat:
    case SYS_lstat:
    case SYS_newfstatat:
    case SYS_statx:
    case SYS_getdents64:
    case SYS_getcwd:
    case SYS_chdir:
    case SYS_fchdir:
    case SYS_pipe:
    case SYS_pipe2:
    case SYS_access:
    case SYS_faccessat:
    case SYS_faccessat2:
    case SYS_mkdir:
    case SYS_mkdirat:
    case SYS_mknod:
    case SYS_mknodat:
    case SYS_rmdir:
    case SYS_unlink:
    case SYS_unlinkat:
    case SYS_rename:
    case SYS_renameat:
    case SYS_renameat2:
    case SYS_link:
    case SYS_linkat:
    case SYS_symlink:
    case SYS_symlinkat:
    case SYS_readlink:
    case SYS_readlinkat:
    case SYS_chmod:
    case SYS_fchmodat:
    case SYS_fchmod:
    case SYS_chown:
    case SYS_lchown:
    case SYS_fchownat:
    case SYS_fchown:
    case SYS_utimensat:
    case SYS_truncate:
    case SYS_ftruncate:
    case SYS_fsync:
    case SYS_fdatasync:
    case SYS_umask:
    case SYS_statfs:
    case SYS_fstatfs:
      return true;
    default:
      return false;
  }
}

}  // namespace

void SetSandboxVfs(vfs::VirtualFilesystem* v) { g_vfs.store(v); }
vfs::VirtualFilesystem* SandboxVfs() { return g_vfs.load(); }

vfs::Context TaskContext(Task& t) {
  vfs::Context ctx;
  ctx.creds = t.creds();
  ctx.waiter = t.vfs_waiter();  // signals interrupt blocking opens
  auto* fs = static_cast<FsResource*>(t.fs.get());
  absl::MutexLock l(&fs->mu);
  ctx.umask = fs->umask;
  ctx.root = fs->root;
  ctx.cwd = fs->cwd;
  return ctx;
}

vfs::FdTable& TaskFdTable(Task& t) {
  return *static_cast<FilesResource*>(t.files.get())->table;
}

ErrnoOr<vfs::FileRef> NewHostFdFile(vfs::VirtualFilesystem* v,
                                    base::UniqueFd fd) {
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Errno{errno};
  int fl = fcntl(fd.get(), F_GETFL);
  if (fl < 0) return Errno{errno};
  static const uint64_t dev = vfs::NewAnonDev();
  static std::atomic<uint64_t> ino{1};
  // A character device or FIFO look-alike owned by root; the host's mode
  // bits are kept so that `test -t` style probes see the right type.
  uint32_t type =
      S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) ? S_IFIFO : S_IFCHR;
  auto inode = std::make_shared<vfs::SimpleInode>(dev, ino.fetch_add(1),
                                                  type | 0620, 0, 0);
  return std::make_shared<vfs::FileDescription>(
      v, vfs::VirtualDentry{}, std::move(inode), fl & (O_ACCMODE | O_APPEND),
      std::make_unique<HostFdImpl>(std::move(fd)));
}

namespace {
class VfsExecFile final : public loader::File {
 public:
  explicit VfsExecFile(vfs::FileRef f) : f_(std::move(f)) {}
  ErrnoOr<size_t> ReadAt(void* buf, size_t len, uint64_t off) override {
    vfs::SpanDst dst(buf, len);
    return f_->PRead(dst, static_cast<int64_t>(off));
  }

 private:
  vfs::FileRef f_;
};
}  // namespace

ErrnoOr<std::unique_ptr<loader::File>> VfsFileOpener::Open(
    const std::string& path) {
  if (path.empty()) return Errno{ENOENT};
  vfs::PathAt at{path[0] == '/' ? ctx_.root : ctx_.cwd, path};
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, vfs_->GetStat(ctx_, at, true));
  if (S_ISDIR(st.mode)) return Errno{EACCES};
  if (!S_ISREG(st.mode)) return Errno{EACCES};
  RETURN_IF_ERRNO(vfs_->Access(ctx_, at, X_OK, true, true));
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, vfs_->Open(ctx_, at, O_RDONLY, 0));
  return std::unique_ptr<loader::File>(
      std::make_unique<VfsExecFile>(std::move(f)));
}

std::optional<SyscallResult> DispatchFileSyscall(Task& t) {
  const kernel::Registers& r = t.regs();
  uint64_t nr = r.SyscallNo();
  if (!IsFileSyscall(nr) || t.files == nullptr || t.fs == nullptr) {
    return std::nullopt;
  }
  uint64_t a[6];
  for (int i = 0; i < 6; ++i) a[i] = r.SyscallArg(i);
  ErrnoOr<int64_t> res = Serve(t, nr, a);
  if (!res.ok()) {
    // A blocked read/write interrupted by a signal restarts like Linux's.
    return SyscallResult::Error(res.error());
  }
  return SyscallResult::Value(*res);
}

}  // namespace sentry::sandbox
