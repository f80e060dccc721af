// Path syscalls: open, the directory-entry operations (mkdir, mknod,
// unlink, rename, link, symlink), attribute changes (chmod, chown,
// utimensat, truncate), sync, and the fs context (umask, cwd).
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

vfs::VirtualFilesystem& V() { return *SandboxVfs(); }

SyscallResult DoOpen(Task& t, int dirfd, UserAddr path_addr, int flags,
                     uint32_t mode) {
  ASSIGN_OR_RETURN_ERRNO(
      vfs::FileRef f,
      WithPath(t, dirfd, path_addr, [&](vfs::Context& c, vfs::PathAt at) {
        return V().Open(c, at, flags, mode);
      }));
  return SyscallResult::From(
      TaskFdTable(t).Add(std::move(f), flags & O_CLOEXEC));
}

SyscallResult Open(Task& t, UserAddr path, int flags, uint32_t mode) {
  return DoOpen(t, AT_FDCWD, path, flags, mode);
}
SyscallResult Openat(Task& t, Fd dirfd, UserAddr path, int flags,
                     uint32_t mode) {
  return DoOpen(t, dirfd.value, path, flags, mode);
}
SyscallResult Creat(Task& t, UserAddr path, uint32_t mode) {
  return DoOpen(t, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

// openat2: the flags/mode of struct open_how; RESOLVE_* restrictions are
// refused rather than ignored (ignoring them would weaken what callers rely
// on for safety).
SyscallResult Openat2(Task& t, Fd dirfd, UserAddr path, UserAddr how_addr,
                      size_t size) {
  if (size < sizeof(open_how)) return Errno{EINVAL};
  if (size > 4096) return Errno{E2BIG};
  open_how how{};
  RETURN_IF_ERRNO(t.mm().CopyInFull(how_addr, &how, sizeof(how)));
  if (how.flags >> 32) return Errno{EINVAL};
  if (how.mode & ~uint64_t{07777}) return Errno{EINVAL};
  if (!(how.flags & (O_CREAT | __O_TMPFILE)) && how.mode != 0) {
    return Errno{EINVAL};
  }
  if (how.resolve != 0) return Errno{EOPNOTSUPP};
  return DoOpen(t, dirfd.value, path, static_cast<int>(how.flags),
                static_cast<uint32_t>(how.mode));
}

SyscallResult Mkdirat(Task& t, Fd dirfd, UserAddr path, uint32_t mode) {
  return SyscallResult::From(WithPath(
      t, dirfd.value, path,
      [&](vfs::Context& c, vfs::PathAt at) { return V().Mkdir(c, at, mode); }));
}
SyscallResult Mkdir(Task& t, UserAddr path, uint32_t mode) {
  return Mkdirat(t, Fd{AT_FDCWD}, path, mode);
}

SyscallResult Mknodat(Task& t, Fd dirfd, UserAddr path, uint32_t mode,
                      uint32_t dev) {
  return SyscallResult::From(
      WithPath(t, dirfd.value, path, [&](vfs::Context& c, vfs::PathAt at) {
        return V().Mknod(c, at, mode, dev);
      }));
}
SyscallResult Mknod(Task& t, UserAddr path, uint32_t mode, uint32_t dev) {
  return Mknodat(t, Fd{AT_FDCWD}, path, mode, dev);
}

SyscallResult Unlinkat(Task& t, Fd dirfd, UserAddr path, int flags) {
  if (flags & ~AT_REMOVEDIR) return Errno{EINVAL};
  return SyscallResult::From(
      WithPath(t, dirfd.value, path, [&](vfs::Context& c, vfs::PathAt at) {
        return (flags & AT_REMOVEDIR) ? V().Rmdir(c, at) : V().Unlink(c, at);
      }));
}
SyscallResult Unlink(Task& t, UserAddr path) {
  return Unlinkat(t, Fd{AT_FDCWD}, path, 0);
}
SyscallResult Rmdir(Task& t, UserAddr path) {
  return Unlinkat(t, Fd{AT_FDCWD}, path, AT_REMOVEDIR);
}

SyscallResult Renameat2(Task& t, Fd olddir, UserAddr oldp, Fd newdir,
                        UserAddr newp, uint32_t flags) {
  return SyscallResult::From(
      WithTwoPaths(t, olddir.value, oldp, newdir.value, newp,
                   [flags](vfs::Context& c, vfs::PathAt o, vfs::PathAt n) {
                     return V().Rename(c, o, n, flags);
                   }));
}
SyscallResult Renameat(Task& t, Fd olddir, UserAddr oldp, Fd newdir,
                       UserAddr newp) {
  return Renameat2(t, olddir, oldp, newdir, newp, 0);
}
SyscallResult Rename(Task& t, UserAddr oldp, UserAddr newp) {
  return Renameat2(t, Fd{AT_FDCWD}, oldp, Fd{AT_FDCWD}, newp, 0);
}

SyscallResult Linkat(Task& t, Fd olddir, UserAddr oldp, Fd newdir,
                     UserAddr newp, int flags) {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return Errno{EINVAL};
  bool follow = flags & AT_SYMLINK_FOLLOW;
  return SyscallResult::From(
      WithTwoPaths(t, olddir.value, oldp, newdir.value, newp,
                   [follow](vfs::Context& c, vfs::PathAt o, vfs::PathAt n) {
                     return V().Link(c, o, n, follow);
                   }));
}
SyscallResult Link(Task& t, UserAddr oldp, UserAddr newp) {
  return Linkat(t, Fd{AT_FDCWD}, oldp, Fd{AT_FDCWD}, newp, 0);
}

SyscallResult Symlinkat(Task& t, UserAddr target_addr, Fd dirfd,
                        UserAddr path) {
  ASSIGN_OR_RETURN_ERRNO(std::string target, PathArg(t, target_addr));
  if (target.empty()) return Errno{ENOENT};
  return SyscallResult::From(
      WithPath(t, dirfd.value, path, [&](vfs::Context& c, vfs::PathAt at) {
        return V().Symlink(c, target, at);
      }));
}
SyscallResult Symlink(Task& t, UserAddr target, UserAddr path) {
  return Symlinkat(t, target, Fd{AT_FDCWD}, path);
}

SyscallResult Fchmodat(Task& t, Fd dirfd, UserAddr path, uint32_t mode) {
  return SyscallResult::From(
      WithPath(t, dirfd.value, path, [&](vfs::Context& c, vfs::PathAt at) {
        return V().Chmod(c, at, mode, true);
      }));
}
SyscallResult Chmod(Task& t, UserAddr path, uint32_t mode) {
  return Fchmodat(t, Fd{AT_FDCWD}, path, mode);
}
SyscallResult Fchmod(Task& t, Fd fd, uint32_t mode) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  if (f->is_path()) return Errno{EBADF};
  return SyscallResult::From(V().ChmodAt(TaskContext(t), f->location(), mode));
}

SyscallResult Fchownat(Task& t, Fd dirfd, UserAddr path, uint32_t uid,
                       uint32_t gid, int flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(std::string p, PathArg(t, path));
  if (p.empty() && (flags & AT_EMPTY_PATH)) {
    vfs::Context ctx = TaskContext(t);
    vfs::VirtualDentry vd = ctx.cwd;
    if (dirfd.value != AT_FDCWD) {
      ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, dirfd.value));
      vd = f->location();
    }
    return SyscallResult::From(V().ChownAt(ctx, vd, uid, gid));
  }
  bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
  return SyscallResult::From(
      WithPath(t, dirfd.value, path, [&](vfs::Context& c, vfs::PathAt at) {
        return V().Chown(c, at, uid, gid, follow);
      }));
}
SyscallResult Chown(Task& t, UserAddr path, uint32_t uid, uint32_t gid) {
  return Fchownat(t, Fd{AT_FDCWD}, path, uid, gid, 0);
}
SyscallResult Lchown(Task& t, UserAddr path, uint32_t uid, uint32_t gid) {
  return Fchownat(t, Fd{AT_FDCWD}, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}
SyscallResult Fchown(Task& t, Fd fd, uint32_t uid, uint32_t gid) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  if (f->is_path()) return Errno{EBADF};
  return SyscallResult::From(
      V().ChownAt(TaskContext(t), f->location(), uid, gid));
}

SyscallResult Utimensat(Task& t, Fd dirfd, UserAddr path, UserAddr times,
                        int flags) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return Errno{EINVAL};
  vfs::Timespec at{0, UTIME_NOW}, mt{0, UTIME_NOW};
  if (times.value() != 0) {
    struct timespec ts[2];
    RETURN_IF_ERRNO(t.mm().CopyInFull(times, ts, sizeof(ts)));
    for (const timespec& x : ts) {
      if (x.tv_nsec != UTIME_NOW && x.tv_nsec != UTIME_OMIT &&
          (x.tv_nsec < 0 || x.tv_nsec >= 1000000000)) {
        return Errno{EINVAL};
      }
    }
    at = {ts[0].tv_sec, ts[0].tv_nsec};
    mt = {ts[1].tv_sec, ts[1].tv_nsec};
  }
  vfs::Context ctx = TaskContext(t);
  if (path.value() == 0) {
    // futimens: the file of dirfd itself.
    ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, dirfd.value));
    return SyscallResult::From(V().UtimensAt(ctx, f->location(), at, mt));
  }
  return SyscallResult::From(
      WithPath(t, dirfd.value, path, [&](vfs::Context& c, vfs::PathAt p) {
        return V().Utimens(c, p, at, mt, !(flags & AT_SYMLINK_NOFOLLOW));
      }));
}

// utime/utimes/futimesat: microsecond forms over Utimens.
SyscallResult Futimesat(Task& t, Fd dirfd, UserAddr path, UserAddr times) {
  vfs::Timespec at{0, UTIME_NOW}, mt{0, UTIME_NOW};
  if (times.value() != 0) {
    struct timeval tv[2];
    RETURN_IF_ERRNO(t.mm().CopyInFull(times, tv, sizeof(tv)));
    for (const timeval& x : tv) {
      if (x.tv_usec < 0 || x.tv_usec >= 1000000) return Errno{EINVAL};
    }
    at = {tv[0].tv_sec, tv[0].tv_usec * 1000};
    mt = {tv[1].tv_sec, tv[1].tv_usec * 1000};
  }
  return SyscallResult::From(
      WithPath(t, dirfd.value, path, [&](vfs::Context& c, vfs::PathAt p) {
        return V().Utimens(c, p, at, mt, true);
      }));
}
SyscallResult Utimes(Task& t, UserAddr path, UserAddr times) {
  return Futimesat(t, Fd{AT_FDCWD}, path, times);
}
SyscallResult Utime(Task& t, UserAddr path, UserAddr times) {
  vfs::Timespec at{0, UTIME_NOW}, mt{0, UTIME_NOW};
  if (times.value() != 0) {
    int64_t tb[2];  // struct utimbuf {actime, modtime}
    RETURN_IF_ERRNO(t.mm().CopyInFull(times, tb, sizeof(tb)));
    at = {tb[0], 0};
    mt = {tb[1], 0};
  }
  return SyscallResult::From(
      WithPath(t, AT_FDCWD, path, [&](vfs::Context& c, vfs::PathAt p) {
        return V().Utimens(c, p, at, mt, true);
      }));
}

SyscallResult Truncate(Task& t, UserAddr path, int64_t len) {
  return SyscallResult::From(
      WithPath(t, AT_FDCWD, path, [&](vfs::Context& c, vfs::PathAt at) {
        return V().Truncate(c, at, len);
      }));
}
SyscallResult Ftruncate(Task& t, Fd fd, int64_t len) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  return SyscallResult::From(f->Truncate(len));
}

SyscallResult Fsync(Task& t, Fd fd) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  return SyscallResult::From(f->Sync());
}
SyscallResult SyncFileRange(Task& t, Fd fd, int64_t off, int64_t n,
                            unsigned flags) {
  if (off < 0 || n < 0 || (flags & ~7u)) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  return SyscallResult::From(f->Sync());
}
SyscallResult Syncfs(Task& t, Fd fd) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  return SyscallResult::Value(0);
}
// sync(2): every file system's dirty data goes to the gofer on write
// already (no write-back cache), so there is nothing to flush.
SyscallResult Sync(Task&) { return SyscallResult::Value(0); }

SyscallResult Umask(Task& t, uint32_t mask) {
  FsResource& fs = TaskFs(t);
  absl::MutexLock l(&fs.mu);
  uint32_t old = fs.umask;
  fs.umask = mask & 0777;
  return SyscallResult::Value(old);
}

SyscallResult Getcwd(Task& t, UserAddr buf, size_t size) {
  vfs::Context ctx = TaskContext(t);
  ASSIGN_OR_RETURN_ERRNO(std::string cwd, V().GetCwd(ctx, ctx.cwd));
  if (cwd.size() + 1 > size) return Errno{ERANGE};
  RETURN_IF_ERRNO(t.mm().CopyOutFull(buf, cwd.c_str(), cwd.size() + 1));
  return SyscallResult::Value(static_cast<int64_t>(cwd.size() + 1));
}

SyscallResult SetCwd(Task& t, const vfs::VirtualDentry& vd) {
  FsResource& fs = TaskFs(t);
  absl::MutexLock l(&fs.mu);
  fs.cwd = vd;
  return SyscallResult::Value(0);
}

SyscallResult Chdir(Task& t, UserAddr path) {
  ASSIGN_OR_RETURN_ERRNO(
      vfs::VirtualDentry vd,
      WithPath(t, AT_FDCWD, path, [](vfs::Context& ctx, vfs::PathAt at) {
        return V().ResolveDirectory(ctx, at);
      }));
  return SetCwd(t, vd);
}

SyscallResult Fchdir(Task& t, Fd fd) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  if (!f->location().ok() || !f->location().inode()->IsDir()) {
    return Errno{ENOTDIR};
  }
  RETURN_IF_ERRNO(V().Access(TaskContext(t), vfs::PathAt{f->location(), "."},
                             X_OK, true, false));
  return SetCwd(t, f->location());
}

// chroot: needs CAP_SYS_CHROOT; the new root must be a searchable
// directory.
SyscallResult Chroot(Task& t, UserAddr path) {
  if (!t.creds()->HasCapability(CAP_SYS_CHROOT)) return Errno{EPERM};
  ASSIGN_OR_RETURN_ERRNO(
      vfs::VirtualDentry vd,
      WithPath(t, AT_FDCWD, path, [](vfs::Context& ctx, vfs::PathAt at) {
        return V().ResolveDirectory(ctx, at);
      }));
  FsResource& fs = TaskFs(t);
  absl::MutexLock l(&fs.mu);
  fs.root = vd;
  return SyscallResult::Value(0);
}

}  // namespace

void RegisterPathSyscalls(SyscallTable& tab) {
  tab.Set(__NR_open, FileAdapt<&Open>, Support::kFull);
  tab.Set(__NR_openat, FileAdapt<&Openat>, Support::kFull);
  tab.Set(__NR_creat, FileAdapt<&Creat>, Support::kFull);
  tab.Set(__NR_openat2, FileAdapt<&Openat2>, Support::kPartial,
          "RESOLVE_* flags refused with EOPNOTSUPP");
  tab.Set(__NR_mkdir, FileAdapt<&Mkdir>, Support::kFull);
  tab.Set(__NR_mkdirat, FileAdapt<&Mkdirat>, Support::kFull);
  tab.Set(__NR_mknod, FileAdapt<&Mknod>, Support::kFull);
  tab.Set(__NR_mknodat, FileAdapt<&Mknodat>, Support::kFull);
  tab.Set(__NR_rmdir, FileAdapt<&Rmdir>, Support::kFull);
  tab.Set(__NR_unlink, FileAdapt<&Unlink>, Support::kFull);
  tab.Set(__NR_unlinkat, FileAdapt<&Unlinkat>, Support::kFull);
  tab.Set(__NR_rename, FileAdapt<&Rename>, Support::kFull);
  tab.Set(__NR_renameat, FileAdapt<&Renameat>, Support::kFull);
  tab.Set(__NR_renameat2, FileAdapt<&Renameat2>, Support::kPartial,
          "RENAME_WHITEOUT unsupported");
  tab.Set(__NR_link, FileAdapt<&Link>, Support::kFull);
  tab.Set(__NR_linkat, FileAdapt<&Linkat>, Support::kFull);
  tab.Set(__NR_symlink, FileAdapt<&Symlink>, Support::kFull);
  tab.Set(__NR_symlinkat, FileAdapt<&Symlinkat>, Support::kFull);
  tab.Set(__NR_chmod, FileAdapt<&Chmod>, Support::kFull);
  tab.Set(__NR_fchmod, FileAdapt<&Fchmod>, Support::kFull);
  tab.Set(__NR_fchmodat, FileAdapt<&Fchmodat>, Support::kFull);
  tab.Set(__NR_chown, FileAdapt<&Chown>, Support::kFull);
  tab.Set(__NR_lchown, FileAdapt<&Lchown>, Support::kFull);
  tab.Set(__NR_fchown, FileAdapt<&Fchown>, Support::kFull);
  tab.Set(__NR_fchownat, FileAdapt<&Fchownat>, Support::kFull);
  tab.Set(__NR_utimensat, FileAdapt<&Utimensat>, Support::kFull);
  tab.Set(__NR_futimesat, FileAdapt<&Futimesat>, Support::kFull);
  tab.Set(__NR_utimes, FileAdapt<&Utimes>, Support::kFull);
  tab.Set(__NR_utime, FileAdapt<&Utime>, Support::kFull);
  tab.Set(__NR_truncate, FileAdapt<&Truncate>, Support::kFull);
  tab.Set(__NR_ftruncate, FileAdapt<&Ftruncate>, Support::kFull);
  tab.Set(__NR_fsync, FileAdapt<&Fsync>, Support::kFull);
  tab.Set(__NR_fdatasync, FileAdapt<&Fsync>, Support::kFull);
  tab.Set(__NR_sync_file_range, FileAdapt<&SyncFileRange>, Support::kFull);
  tab.Set(__NR_syncfs, FileAdapt<&Syncfs>, Support::kFull);
  tab.Set(__NR_sync, Adapt<&Sync>, Support::kFull);
  tab.Set(__NR_umask, FileAdapt<&Umask>, Support::kFull);
  tab.Set(__NR_getcwd, FileAdapt<&Getcwd>, Support::kFull);
  tab.Set(__NR_chdir, FileAdapt<&Chdir>, Support::kFull);
  tab.Set(__NR_fchdir, FileAdapt<&Fchdir>, Support::kFull);
  tab.Set(__NR_chroot, FileAdapt<&Chroot>, Support::kFull);
}

}  // namespace sentry::syscalls
