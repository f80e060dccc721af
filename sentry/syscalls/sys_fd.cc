// Descriptor-table syscalls: close, close_range, dup family, fcntl, pipe,
// ioctl's generic requests.
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/file_locks.h"
#include "sentry/syscalls/sys_memfd.h"
#include "sentry/syscalls/sys_tty.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

SyscallResult Close(Task& t, Fd fd) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, TaskFdTable(t).Remove(fd.value));
  // POSIX record locks die with any close of the file by the process.
  ReleaseProcessLocks(t, *f);
  return SyscallResult::Value(0);
}

SyscallResult CloseRange(Task& t, unsigned first, unsigned last,
                         unsigned flags) {
  if (flags & ~unsigned{CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE}) {
    return Errno{EINVAL};
  }
  if (first > last) return Errno{EINVAL};
  if (flags & CLOSE_RANGE_UNSHARE) {
    // Give the caller its own table before closing (unshare(CLONE_FILES)).
    t.files = t.files->Fork();
  }
  std::vector<vfs::FileRef> closed =
      TaskFdTable(t).CloseRange(first, last, flags & CLOSE_RANGE_CLOEXEC);
  for (const vfs::FileRef& f : closed) {
    if (f) ReleaseProcessLocks(t, *f);
  }
  return SyscallResult::Value(0);
}

SyscallResult Dup(Task& t, Fd fd) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  return SyscallResult::From(TaskFdTable(t).Add(std::move(f), false));
}

SyscallResult Dup2(Task& t, Fd oldfd, Fd newfd) {
  return SyscallResult::From(TaskFdTable(t).Dup2(oldfd.value, newfd.value));
}

SyscallResult Dup3(Task& t, Fd oldfd, Fd newfd, int flags) {
  if (flags & ~O_CLOEXEC) return Errno{EINVAL};
  return SyscallResult::From(
      TaskFdTable(t).Dup3(oldfd.value, newfd.value, flags & O_CLOEXEC));
}

SyscallResult Fcntl(Task& t, Fd fd, int cmd, uint64_t arg) {
  vfs::FdTable& table = TaskFdTable(t);
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, table.Get(fd.value));
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      if (static_cast<int>(arg) < 0) return Errno{EINVAL};
      return SyscallResult::From(
          table.Add(f, cmd == F_DUPFD_CLOEXEC, static_cast<int>(arg)));
    }
    case F_GETFD: {
      ASSIGN_OR_RETURN_ERRNO(bool c, table.GetCloexec(fd.value));
      return SyscallResult::Value(c ? FD_CLOEXEC : 0);
    }
    case F_SETFD:
      return SyscallResult::From(table.SetCloexec(fd.value, arg & FD_CLOEXEC));
    case F_GETFL:
      return SyscallResult::Value(f->flags());
    case F_SETFL:
      f->SetStatusFlags(static_cast<int>(arg));
      return SyscallResult::Value(0);
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      return RecordLockFcntl(t, f, cmd, UserAddr(arg));
    case F_ADD_SEALS:
    case F_GET_SEALS:
      return SealFcntl(f, cmd, arg);
    case F_GETPIPE_SZ:
    case F_SETPIPE_SZ: {
      auto* p = dynamic_cast<fs::pipe::PipeFile*>(f->impl());
      if (p == nullptr) return Errno{EBADF};
      if (cmd == F_GETPIPE_SZ) {
        return SyscallResult::Value(static_cast<int64_t>(p->pipe().capacity()));
      }
      return SyscallResult::From(
          p->pipe().SetCapacity(static_cast<size_t>(static_cast<int>(arg))));
    }
    case F_GETOWN:
    case F_GETSIG:
      // No SIGIO delivery: nobody owns the file.
      return SyscallResult::Value(0);
    case F_SETOWN:
    case F_SETSIG:
      return SyscallResult::Value(0);
    default:
      return Errno{EINVAL};
  }
}

SyscallResult Pipe2(Task& t, UserAddr addr, int flags) {
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
  auto s = t.mm().CopyOutFull(addr, fds, sizeof(fds));
  if (!s.ok()) {
    (void)table.Remove(r);
    (void)table.Remove(*w);
    return s.error();
  }
  return SyscallResult::Value(0);
}

SyscallResult Pipe(Task& t, UserAddr addr) { return Pipe2(t, addr, 0); }

// ioctl: the requests every file answers (Linux's do_vfs_ioctl), then
// terminals, then the file's own.
SyscallResult Ioctl(Task& t, Fd fd, uint32_t cmd, uint64_t arg) {
  vfs::FdTable& table = TaskFdTable(t);
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, table.Get(fd.value));
  if (f->is_path()) return Errno{EBADF};
  switch (cmd) {
    case FIOCLEX:
      return SyscallResult::From(table.SetCloexec(fd.value, true));
    case FIONCLEX:
      return SyscallResult::From(table.SetCloexec(fd.value, false));
    case FIONBIO:
    case FIOASYNC: {
      int on;
      RETURN_IF_ERRNO(t.mm().CopyInFull(UserAddr(arg), &on, sizeof(on)));
      int bit = cmd == FIONBIO ? O_NONBLOCK : O_ASYNC;
      f->SetStatusFlags(on ? (f->flags() | bit) : (f->flags() & ~bit));
      return SyscallResult::Value(0);
    }
    default:
      break;
  }
  if (std::optional<SyscallResult> r = TtyIoctl(t, f, cmd, arg)) return *r;
  TaskIoctlCaller caller(t);
  ErrnoOr<int64_t> r = f->impl() ? f->impl()->Ioctl(cmd, arg, caller)
                                 : ErrnoOr<int64_t>(Errno{ENOTTY});
  if (!r.ok() && r.error() == Errno{ENOTTY} && cmd == FIONREAD && f->inode() &&
      f->inode()->IsRegular()) {
    // FIONREAD on a regular file: bytes from the offset to the end.
    ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, f->GetStat());
    ASSIGN_OR_RETURN_ERRNO(int64_t pos, f->Seek(0, SEEK_CUR));
    int n = static_cast<int>(std::max<int64_t>(0, st.size - pos));
    RETURN_IF_ERRNO(t.mm().CopyOutFull(UserAddr(arg), &n, sizeof(n)));
    return SyscallResult::Value(0);
  }
  return SyscallResult::From(r);
}

}  // namespace

void RegisterFdSyscalls(SyscallTable& tab) {
  tab.Set(__NR_close, FileAdapt<&Close>, Support::kFull);
  tab.Set(__NR_close_range, FileAdapt<&CloseRange>, Support::kFull);
  tab.Set(__NR_dup, FileAdapt<&Dup>, Support::kFull);
  tab.Set(__NR_dup2, FileAdapt<&Dup2>, Support::kFull);
  tab.Set(__NR_dup3, FileAdapt<&Dup3>, Support::kFull);
  tab.Set(__NR_fcntl, FileAdapt<&Fcntl>, Support::kPartial,
          "F_SETOWN/F_SETSIG accepted, no SIGIO; no leases or notify");
  tab.Set(__NR_pipe, FileAdapt<&Pipe>, Support::kFull);
  tab.Set(__NR_pipe2, FileAdapt<&Pipe2>, Support::kFull);
  tab.Set(__NR_ioctl, FileAdapt<&Ioctl>, Support::kPartial,
          "generic, tty and per-file requests; no others");
}

}  // namespace sentry::syscalls
