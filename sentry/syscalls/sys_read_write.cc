// read/write and their vector and positional variants, lseek, getdents64.
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <cstring>
#include <optional>
#include <vector>

#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/file_mappable.h"
#include "sentry/syscalls/file_write.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

// Linux's MAX_RW_COUNT: one call moves at most this much.
constexpr size_t kMaxRwCount = 0x7ffff000;

bool IsRegular(const vfs::FileDescription& f) {
  return f.inode() != nullptr && f.inode()->IsRegular();
}

ErrnoOr<size_t> ReadOne(Task& t, vfs::FileDescription& f, uint64_t buf,
                        size_t n, std::optional<int64_t> off) {
  UserDst dst(t.mm(), buf, std::min(n, kMaxRwCount));
  if (IsRegular(f)) BeforeFileIo(*f.inode());
  return off ? f.PRead(dst, *off, t.vfs_waiter()) : f.Read(dst, t.vfs_waiter());
}

ErrnoOr<size_t> WriteOne(Task& t, vfs::FileDescription& f, uint64_t buf,
                         size_t n, std::optional<int64_t> off) {
  UserSrc src(t.mm(), buf, std::min(n, kMaxRwCount));
  return WriteFile(t, f, src, off);
}

// A read or write interrupted before moving anything restarts after the
// handler when SA_RESTART says so (ERESTARTSYS).
template <typename T>
SyscallResult IoResult(const ErrnoOr<T>& r) {
  if (!r.ok() && r.error() == Errno{EINTR}) {
    return SyscallResult::Restart(kernel::RestartKind::kRestartSys);
  }
  return SyscallResult::From(r);
}

SyscallResult Read(Task& t, Fd fd, UserAddr buf, size_t n) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  return IoResult(ReadOne(t, *f, buf.value(), n, std::nullopt));
}

SyscallResult Write(Task& t, Fd fd, UserAddr buf, size_t n) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  return IoResult(WriteOne(t, *f, buf.value(), n, std::nullopt));
}

SyscallResult Pread64(Task& t, Fd fd, UserAddr buf, size_t n, int64_t off) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  return IoResult(ReadOne(t, *f, buf.value(), n, off));
}

SyscallResult Pwrite64(Task& t, Fd fd, UserAddr buf, size_t n, int64_t off) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  return IoResult(WriteOne(t, *f, buf.value(), n, off));
}

// The vector forms: segments in order, stopping at the first short transfer;
// an error after some progress returns the progress (as Linux).
ErrnoOr<int64_t> DoVec(Task& t, int fd, UserAddr iov_addr, int iovcnt,
                       bool write, std::optional<int64_t> off) {
  if (iovcnt < 0 || iovcnt > IOV_MAX) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd));
  std::vector<iovec> iov(iovcnt);
  if (iovcnt > 0) {
    RETURN_IF_ERRNO(
        t.mm().CopyInFull(iov_addr, iov.data(), iov.size() * sizeof(iovec)));
  }
  size_t sum = 0;
  for (const iovec& v : iov) {
    if (v.iov_len > static_cast<size_t>(SSIZE_MAX) - sum) return Errno{EINVAL};
    sum += v.iov_len;
  }
  if (off && *off < 0) return Errno{EINVAL};
  int64_t total = 0;
  for (const iovec& v : iov) {
    if (v.iov_len == 0) continue;
    uint64_t base = reinterpret_cast<uint64_t>(v.iov_base);
    std::optional<int64_t> o;
    if (off) o = *off + total;
    auto r = write ? WriteOne(t, *f, base, v.iov_len, o)
                   : ReadOne(t, *f, base, v.iov_len, o);
    if (!r.ok()) {
      if (total > 0) return total;
      return r.error();
    }
    total += static_cast<int64_t>(*r);
    if (*r < v.iov_len) break;
  }
  return total;
}

SyscallResult Readv(Task& t, Fd fd, UserAddr iov, int cnt) {
  return IoResult(DoVec(t, fd.value, iov, cnt, false, std::nullopt));
}
SyscallResult Writev(Task& t, Fd fd, UserAddr iov, int cnt) {
  return IoResult(DoVec(t, fd.value, iov, cnt, true, std::nullopt));
}
SyscallResult Preadv(Task& t, Fd fd, UserAddr iov, int cnt, int64_t off) {
  return IoResult(DoVec(t, fd.value, iov, cnt, false, off));
}
SyscallResult Pwritev(Task& t, Fd fd, UserAddr iov, int cnt, int64_t off) {
  return IoResult(DoVec(t, fd.value, iov, cnt, true, off));
}
// preadv2/pwritev2: offset -1 means the current position; RWF_* flags other
// than the hints are refused.
SyscallResult Preadv2(Task& t, Fd fd, UserAddr iov, int cnt, int64_t off,
                      uint64_t /*off_hi*/, int flags) {
  if (flags & ~(RWF_HIPRI | RWF_DSYNC | RWF_SYNC)) {
    return SyscallResult::Error(Errno{EOPNOTSUPP});
  }
  std::optional<int64_t> o;
  if (off != -1) o = off;
  return IoResult(DoVec(t, fd.value, iov, cnt, false, o));
}
SyscallResult Pwritev2(Task& t, Fd fd, UserAddr iov, int cnt, int64_t off,
                       uint64_t /*off_hi*/, int flags) {
  if (flags & ~(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_APPEND)) {
    return SyscallResult::Error(Errno{EOPNOTSUPP});
  }
  std::optional<int64_t> o;
  if (off != -1) o = off;
  return IoResult(DoVec(t, fd.value, iov, cnt, true, o));
}

SyscallResult Lseek(Task& t, Fd fd, int64_t off, int whence) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  return SyscallResult::From(f->Seek(off, whence));
}

// getdents64: linux_dirent64 records, 8-byte aligned; EINVAL when not even
// one entry fits.
SyscallResult Getdents64(Task& t, Fd fd, UserAddr buf, size_t n) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
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
  if (too_small) return SyscallResult::Error(Errno{EINVAL});
  if (!s.ok()) return SyscallResult::Error(s.error());
  if (!out.empty()) {
    RETURN_IF_ERRNO(t.mm().CopyOutFull(buf, out.data(), out.size()));
  }
  return SyscallResult::Value(static_cast<int64_t>(out.size()));
}

}  // namespace

void RegisterReadWriteSyscalls(SyscallTable& tab) {
  tab.Set(__NR_read, FileAdapt<&Read>, Support::kFull);
  tab.Set(__NR_write, FileAdapt<&Write>, Support::kFull);
  tab.Set(__NR_pread64, FileAdapt<&Pread64>, Support::kFull);
  tab.Set(__NR_pwrite64, FileAdapt<&Pwrite64>, Support::kFull);
  tab.Set(__NR_readv, FileAdapt<&Readv>, Support::kFull);
  tab.Set(__NR_writev, FileAdapt<&Writev>, Support::kFull);
  tab.Set(__NR_preadv, FileAdapt<&Preadv>, Support::kFull);
  tab.Set(__NR_pwritev, FileAdapt<&Pwritev>, Support::kFull);
  tab.Set(__NR_preadv2, FileAdapt<&Preadv2>, Support::kPartial,
          "RWF_NOWAIT unsupported");
  tab.Set(__NR_pwritev2, FileAdapt<&Pwritev2>, Support::kPartial,
          "RWF_NOWAIT unsupported");
  tab.Set(__NR_lseek, FileAdapt<&Lseek>, Support::kFull);
  tab.Set(__NR_getdents64, FileAdapt<&Getdents64>, Support::kFull);
}

}  // namespace sentry::syscalls
