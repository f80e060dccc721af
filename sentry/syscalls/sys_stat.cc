// Metadata queries: the stat family, statx, statfs, access, readlink.
#include <linux/stat.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>

#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

ErrnoStatus CopyOutStat(Task& t, UserAddr addr, const vfs::Stat& s) {
  struct stat o;
  std::memset(&o, 0, sizeof(o));
  o.st_dev = s.dev;
  o.st_ino = s.ino;
  o.st_mode = s.mode;
  o.st_nlink = s.nlink;
  o.st_uid = s.uid;
  o.st_gid = s.gid;
  o.st_rdev = s.rdev;
  o.st_size = s.size;
  o.st_blksize = s.blksize;
  o.st_blocks = s.blocks;
  o.st_atim = {s.atime.sec, s.atime.nsec};
  o.st_mtim = {s.mtime.sec, s.mtime.nsec};
  o.st_ctim = {s.ctime.sec, s.ctime.nsec};
  return t.mm().CopyOutFull(addr, &o, sizeof(o));
}

// stat-family lookup of dirfd/path with AT_* flags.
ErrnoOr<vfs::Stat> StatAt(Task& t, int dirfd, UserAddr path_addr, int flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
                AT_STATX_SYNC_TYPE)) {
    return Errno{EINVAL};
  }
  ASSIGN_OR_RETURN_ERRNO(std::string path, PathArg(t, path_addr));
  if (path.empty()) {
    if (!(flags & AT_EMPTY_PATH)) return Errno{ENOENT};
    if (dirfd == AT_FDCWD) return SandboxVfs()->GetStat(TaskContext(t).cwd);
    ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, dirfd));
    return f->GetStat();
  }
  vfs::Context ctx = TaskContext(t);
  ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry start,
                         StartOf(t, ctx, dirfd, path));
  const bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
  auto st = SandboxVfs()->GetStat(ctx, vfs::PathAt{start, path}, follow);
  if (!st.ok() && st.error() == Errno{ENOENT} && follow) {
    // /proc/self/fd/N of a pipe or socket: the file itself.
    if (vfs::FileRef f =
            SandboxVfs()->AnonymousMagicLink(ctx, vfs::PathAt{start, path})) {
      return f->GetStat();
    }
  }
  return st;
}

// What an empty path with AT_EMPTY_PATH names: dirfd's file (or the cwd).
ErrnoOr<vfs::VirtualDentry> EmptyPathTarget(Task& t, int dirfd) {
  if (dirfd == AT_FDCWD) return TaskContext(t).cwd;
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, dirfd));
  if (!f->location().ok()) return Errno{EBADF};
  return f->location();
}

SyscallResult Stat(Task& t, UserAddr path, UserAddr out) {
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat s, StatAt(t, AT_FDCWD, path, 0));
  return SyscallResult::From(CopyOutStat(t, out, s));
}

SyscallResult Lstat(Task& t, UserAddr path, UserAddr out) {
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat s,
                         StatAt(t, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW));
  return SyscallResult::From(CopyOutStat(t, out, s));
}

SyscallResult Fstat(Task& t, Fd fd, UserAddr out) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat s, f->GetStat());
  return SyscallResult::From(CopyOutStat(t, out, s));
}

SyscallResult Newfstatat(Task& t, Fd dirfd, UserAddr path, UserAddr out,
                         int flags) {
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat s, StatAt(t, dirfd.value, path, flags));
  return SyscallResult::From(CopyOutStat(t, out, s));
}

SyscallResult Statx(Task& t, Fd dirfd, UserAddr path, int flags, uint32_t mask,
                    UserAddr out) {
  // Linux: STATX__RESERVED in the mask, or both sync types, is EINVAL.
  if ((mask & 0x80000000u) ||
      (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE) {
    return Errno{EINVAL};
  }
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat s, StatAt(t, dirfd.value, path, flags));
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
  return SyscallResult::From(t.mm().CopyOutFull(out, &x, sizeof(x)));
}

SyscallResult CopyOutStatFs(Task& t, const ErrnoOr<vfs::StatFs>& r,
                            UserAddr out) {
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
  return SyscallResult::From(t.mm().CopyOutFull(out, &o, sizeof(o)));
}

SyscallResult Statfs(Task& t, UserAddr path, UserAddr out) {
  return CopyOutStatFs(t,
                       WithPath(t, AT_FDCWD, path,
                                [](vfs::Context& c, vfs::PathAt at) {
                                  return SandboxVfs()->GetStatFs(c, at);
                                }),
                       out);
}

SyscallResult Fstatfs(Task& t, Fd fd, UserAddr out) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  if (!f->location().ok()) {
    // Anonymous files (pipes, sockets) live on internal file systems Linux
    // still describes; report a minimal pipefs-like answer.
    vfs::StatFs s{};
    s.type = 0x50495045;  // PIPEFS_MAGIC
    s.block_size = 4096;
    s.name_max = 255;
    return CopyOutStatFs(t, s, out);
  }
  return CopyOutStatFs(t, SandboxVfs()->GetStatFs(f->location()), out);
}

SyscallResult DoAccess(Task& t, int dirfd, UserAddr path, int mode, int flags) {
  if (mode & ~(R_OK | W_OK | X_OK)) return Errno{EINVAL};
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH)) {
    return Errno{EINVAL};
  }
  if (flags & AT_EMPTY_PATH) {
    ASSIGN_OR_RETURN_ERRNO(std::string p, PathArg(t, path));
    if (p.empty()) {
      ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry vd, EmptyPathTarget(t, dirfd));
      return SyscallResult::From(
          SandboxVfs()->Access(TaskContext(t), vfs::PathAt{vd, ""}, mode, false,
                               flags & AT_EACCESS));
    }
  }
  return SyscallResult::From(
      WithPath(t, dirfd, path, [&](vfs::Context& c, vfs::PathAt at) {
        return SandboxVfs()->Access(c, at, mode, !(flags & AT_SYMLINK_NOFOLLOW),
                                    flags & AT_EACCESS);
      }));
}

SyscallResult Access(Task& t, UserAddr path, int mode) {
  return DoAccess(t, AT_FDCWD, path, mode, 0);
}
SyscallResult Faccessat(Task& t, Fd dirfd, UserAddr path, int mode) {
  return DoAccess(t, dirfd.value, path, mode, 0);
}
SyscallResult Faccessat2(Task& t, Fd dirfd, UserAddr path, int mode,
                         int flags) {
  return DoAccess(t, dirfd.value, path, mode, flags);
}

SyscallResult DoReadlink(Task& t, int dirfd, UserAddr path, UserAddr buf,
                         int size) {
  if (size <= 0) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(std::string p, PathArg(t, path));
  std::string target;
  if (p.empty()) {
    // readlinkat(fd, "") reads the link an O_PATH|O_NOFOLLOW fd refers to.
    if (dirfd == AT_FDCWD) return Errno{ENOENT};
    ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry vd, EmptyPathTarget(t, dirfd));
    ASSIGN_OR_RETURN_ERRNO(
        target, SandboxVfs()->ReadLink(TaskContext(t), vfs::PathAt{vd, ""}));
  } else {
    ASSIGN_OR_RETURN_ERRNO(
        target, WithPath(t, dirfd, path, [](vfs::Context& ctx, vfs::PathAt at) {
          return SandboxVfs()->ReadLink(ctx, at);
        }));
  }
  size_t n = std::min<size_t>(target.size(), static_cast<size_t>(size));
  RETURN_IF_ERRNO(t.mm().CopyOutFull(buf, target.data(), n));
  return SyscallResult::Value(static_cast<int64_t>(n));
}

SyscallResult Readlink(Task& t, UserAddr path, UserAddr buf, int size) {
  return DoReadlink(t, AT_FDCWD, path, buf, size);
}
SyscallResult Readlinkat(Task& t, Fd dirfd, UserAddr path, UserAddr buf,
                         int size) {
  return DoReadlink(t, dirfd.value, path, buf, size);
}

}  // namespace

void RegisterStatSyscalls(SyscallTable& tab) {
  tab.Set(__NR_stat, FileAdapt<&Stat>, Support::kFull);
  tab.Set(__NR_lstat, FileAdapt<&Lstat>, Support::kFull);
  tab.Set(__NR_fstat, FileAdapt<&Fstat>, Support::kFull);
  tab.Set(__NR_newfstatat, FileAdapt<&Newfstatat>, Support::kFull);
  tab.Set(__NR_statx, FileAdapt<&Statx>, Support::kPartial,
          "basic stats only (no btime, mount id)");
  tab.Set(__NR_statfs, FileAdapt<&Statfs>, Support::kFull);
  tab.Set(__NR_fstatfs, FileAdapt<&Fstatfs>, Support::kFull);
  tab.Set(__NR_access, FileAdapt<&Access>, Support::kFull);
  tab.Set(__NR_faccessat, FileAdapt<&Faccessat>, Support::kFull);
  tab.Set(__NR_faccessat2, FileAdapt<&Faccessat2>, Support::kFull);
  tab.Set(__NR_readlink, FileAdapt<&Readlink>, Support::kFull);
  tab.Set(__NR_readlinkat, FileAdapt<&Readlinkat>, Support::kFull);
}

}  // namespace sentry::syscalls
