// Data movement between descriptors without a user buffer: sendfile,
// splice, tee, vmsplice, copy_file_range; and the space/advice calls
// fallocate, fadvise64, readahead.
//
// Linux moves pages between a pipe and a file; here every transfer goes
// through a sentry buffer (at most kChunk bytes at a time) with ordinary
// FileDescription reads and writes. Offsets follow Linux: with an offset
// pointer the file position is neither used nor changed and the pointer is
// updated; without one the file position advances by what was written.
// Pipe sources are peeked and consumed only by what the destination took, so
// a short write loses nothing.
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <vector>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/file_mappable.h"
#include "sentry/syscalls/file_write.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

constexpr size_t kMaxRwCount = 0x7ffff000;
constexpr size_t kChunk = 64 * 1024;

fs::pipe::Pipe* PipeOf(const vfs::FileRef& f) {
  auto* p = dynamic_cast<fs::pipe::PipeFile*>(f->impl());
  return p ? &p->pipe() : nullptr;
}

vfs::IoOptions PipeOpts(Task& t, const vfs::FileRef& f, bool nonblock) {
  vfs::IoOptions o;
  o.nonblock = nonblock || (f->flags() & O_NONBLOCK) != 0;
  o.waiter = t.vfs_waiter();
  return o;
}

ErrnoOr<int64_t> ReadOffset(Task& t, UserAddr p) {
  int64_t off;
  RETURN_IF_ERRNO(t.mm().CopyInFull(p, &off, sizeof(off)));
  return off;
}

ErrnoStatus WriteOffset(Task& t, UserAddr p, int64_t off) {
  return t.mm().CopyOutFull(p, &off, sizeof(off));
}

// Reads at most n bytes from `in` into buf: at *off when given (pread),
// else at the file position without moving it (the caller advances it by
// what was used). Non-seekable sources read (and consume) directly.
ErrnoOr<size_t> ReadSome(Task& t, const vfs::FileRef& in,
                         std::optional<int64_t> off, std::byte* buf, size_t n,
                         bool* consumed) {
  vfs::SpanDst dst(buf, n);
  *consumed = false;
  // Mapped regular files: dirty shared pages reach the file first.
  if (in->inode() && in->inode()->IsRegular()) BeforeFileIo(*in->inode());
  if (off) return in->PRead(dst, *off, t.vfs_waiter());
  if (in->impl() != nullptr && !in->impl()->Seekable()) {
    *consumed = true;
    return in->Read(dst, t.vfs_waiter());
  }
  ASSIGN_OR_RETURN_ERRNO(int64_t pos, in->Seek(0, SEEK_CUR));
  return in->PRead(dst, pos, t.vfs_waiter());
}

ErrnoOr<size_t> WriteAll(Task& t, const vfs::FileRef& out,
                         std::optional<int64_t> off, const std::byte* buf,
                         size_t n) {
  vfs::SpanSrc src(buf, n);
  return WriteFile(t, *out, src, off);
}

// The common loop of sendfile and copy_file_range: file-ish `in` to any
// `out`. in_off/out_off: explicit offsets (updated) or the positions.
ErrnoOr<size_t> Transfer(Task& t, const vfs::FileRef& in,
                         std::optional<int64_t>* in_off,
                         const vfs::FileRef& out,
                         std::optional<int64_t>* out_off, size_t count) {
  std::vector<std::byte> buf(std::min(count, kChunk));
  size_t total = 0;
  while (total < count) {
    const size_t want = std::min(count - total, buf.size());
    bool consumed = false;
    auto r = ReadSome(t, in, *in_off, buf.data(), want, &consumed);
    if (!r.ok()) {
      if (total > 0) break;
      return r.error();
    }
    if (*r == 0) break;
    auto w = WriteAll(t, out, *out_off, buf.data(), *r);
    if (!w.ok()) {
      if (total > 0) break;
      return w.error();
    }
    const size_t n = *w;
    if (*in_off) {
      **in_off += static_cast<int64_t>(n);
    } else if (!consumed) {
      RETURN_IF_ERRNO(in->Seek(static_cast<int64_t>(n), SEEK_CUR));
    }
    if (*out_off) **out_off += static_cast<int64_t>(n);
    total += n;
    if (n < *r || *r < want) break;
  }
  return total;
}

SyscallResult Sendfile(Task& t, Fd out_fd, Fd in_fd, UserAddr offp,
                       size_t count) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef in, GetFile(t, in_fd.value));
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef out, GetFile(t, out_fd.value));
  if (!in->readable() || !out->writable()) return Errno{EBADF};
  if (out->flags() & O_APPEND) return Errno{EINVAL};
  std::optional<int64_t> in_off;
  if (!offp.IsNull()) {
    ASSIGN_OR_RETURN_ERRNO(int64_t o, ReadOffset(t, offp));
    if (o < 0) return Errno{EINVAL};
    if (in->impl() != nullptr && !in->impl()->Seekable()) {
      return Errno{ESPIPE};
    }
    in_off = o;
  }
  count = std::min(count, kMaxRwCount);
  if (count == 0) return SyscallResult::Value(0);
  std::optional<int64_t> out_off;
  auto r = Transfer(t, in, &in_off, out, &out_off, count);
  if (in_off) RETURN_IF_ERRNO(WriteOffset(t, offp, *in_off));
  return SyscallResult::From(r);
}

// pipe -> anything (or pipe -> pipe).
ErrnoOr<size_t> FromPipe(Task& t, const vfs::FileRef& in, fs::pipe::Pipe& p,
                         const vfs::FileRef& out, std::optional<int64_t>* off,
                         size_t len, bool nonblock) {
  fs::pipe::Pipe* q = PipeOf(out);
  if (q != nullptr) {
    size_t free = q->Free();
    if (free == 0) {
      if (nonblock || (out->flags() & O_NONBLOCK)) return Errno{EAGAIN};
      free = fs::pipe::kPipeBuf;  // the write below waits for room
    }
    len = std::min(len, free);
  }
  std::vector<std::byte> buf(std::min(len, kChunk));
  vfs::SpanDst dst(buf.data(), buf.size());
  ASSIGN_OR_RETURN_ERRNO(size_t n, p.Peek(dst, PipeOpts(t, in, nonblock)));
  if (n == 0) return size_t{0};
  ErrnoOr<size_t> w = size_t{0};
  if (q != nullptr) {
    vfs::SpanSrc src(buf.data(), n);
    w = q->Write(src, PipeOpts(t, out, nonblock));
    if (!w.ok() && w.error() == Errno{EPIPE}) SendSigpipe(t);
  } else {
    w = WriteAll(t, out, *off, buf.data(), n);
  }
  if (!w.ok()) return w.error();
  p.Consume(*w);
  if (*off) **off += static_cast<int64_t>(*w);
  return *w;
}

// anything -> pipe.
ErrnoOr<size_t> ToPipe(Task& t, const vfs::FileRef& in,
                       std::optional<int64_t>* off, const vfs::FileRef& out,
                       fs::pipe::Pipe& q, size_t len, bool nonblock) {
  size_t free = q.Free();
  if (free == 0) {
    if (nonblock || (out->flags() & O_NONBLOCK)) return Errno{EAGAIN};
    free = fs::pipe::kPipeBuf;
  }
  len = std::min({len, free, kChunk});
  std::vector<std::byte> buf(len);
  bool consumed = false;
  ASSIGN_OR_RETURN_ERRNO(size_t n,
                         ReadSome(t, in, *off, buf.data(), len, &consumed));
  if (n == 0) return size_t{0};
  vfs::SpanSrc src(buf.data(), n);
  auto w = q.Write(src, PipeOpts(t, out, nonblock));
  if (!w.ok()) {
    if (w.error() == Errno{EPIPE}) SendSigpipe(t);
    return w.error();
  }
  if (*off) {
    **off += static_cast<int64_t>(*w);
  } else if (!consumed) {
    RETURN_IF_ERRNO(in->Seek(static_cast<int64_t>(*w), SEEK_CUR));
  }
  return *w;
}

SyscallResult Splice(Task& t, Fd in_fd, UserAddr in_offp, Fd out_fd,
                     UserAddr out_offp, size_t len, unsigned flags) {
  constexpr unsigned kFlags =
      SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;
  if (flags & ~kFlags) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef in, GetFile(t, in_fd.value));
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef out, GetFile(t, out_fd.value));
  if (!in->readable() || !out->writable()) return Errno{EBADF};
  fs::pipe::Pipe* ip = PipeOf(in);
  fs::pipe::Pipe* op = PipeOf(out);
  if (ip == nullptr && op == nullptr) return Errno{EINVAL};
  if (ip != nullptr && op != nullptr && ip == op) return Errno{EINVAL};
  std::optional<int64_t> in_off, out_off;
  if (!in_offp.IsNull()) {
    if (ip != nullptr) return Errno{ESPIPE};
    ASSIGN_OR_RETURN_ERRNO(int64_t o, ReadOffset(t, in_offp));
    if (o < 0) return Errno{EINVAL};
    in_off = o;
  }
  if (!out_offp.IsNull()) {
    if (op != nullptr) return Errno{ESPIPE};
    ASSIGN_OR_RETURN_ERRNO(int64_t o, ReadOffset(t, out_offp));
    if (o < 0) return Errno{EINVAL};
    out_off = o;
  }
  if (ip == nullptr && in->impl() != nullptr && !in->impl()->Seekable() &&
      in_off) {
    return Errno{ESPIPE};
  }
  if (op == nullptr && (out->flags() & O_APPEND)) return Errno{EINVAL};
  len = std::min(len, kMaxRwCount);
  if (len == 0) return SyscallResult::Value(0);
  const bool nonblock = (flags & SPLICE_F_NONBLOCK) != 0;
  ErrnoOr<size_t> r = ip != nullptr
                          ? FromPipe(t, in, *ip, out, &out_off, len, nonblock)
                          : ToPipe(t, in, &in_off, out, *op, len, nonblock);
  if (r.ok()) {
    if (in_off) RETURN_IF_ERRNO(WriteOffset(t, in_offp, *in_off));
    if (out_off) RETURN_IF_ERRNO(WriteOffset(t, out_offp, *out_off));
  }
  return SyscallResult::From(r);
}

SyscallResult Tee(Task& t, Fd in_fd, Fd out_fd, size_t len, unsigned flags) {
  constexpr unsigned kFlags =
      SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;
  if (flags & ~kFlags) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef in, GetFile(t, in_fd.value));
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef out, GetFile(t, out_fd.value));
  fs::pipe::Pipe* ip = PipeOf(in);
  fs::pipe::Pipe* op = PipeOf(out);
  if (ip == nullptr || op == nullptr || ip == op) return Errno{EINVAL};
  if (!in->readable() || !out->writable()) return Errno{EBADF};
  len = std::min(len, kMaxRwCount);
  if (len == 0) return SyscallResult::Value(0);
  const bool nonblock = (flags & SPLICE_F_NONBLOCK) != 0;
  size_t free = op->Free();
  if (free == 0) {
    if (nonblock || (out->flags() & O_NONBLOCK)) return Errno{EAGAIN};
    free = fs::pipe::kPipeBuf;
  }
  std::vector<std::byte> buf(std::min({len, free, kChunk}));
  vfs::SpanDst dst(buf.data(), buf.size());
  ASSIGN_OR_RETURN_ERRNO(size_t n, ip->Peek(dst, PipeOpts(t, in, nonblock)));
  if (n == 0) return SyscallResult::Value(0);
  vfs::SpanSrc src(buf.data(), n);
  auto w = op->Write(src, PipeOpts(t, out, nonblock));
  if (!w.ok() && w.error() == Errno{EPIPE}) SendSigpipe(t);
  return SyscallResult::From(w);
}

// vmsplice: user memory into a pipe's write end, or out of its read end
// (copying, as Linux does for the read direction).
SyscallResult Vmsplice(Task& t, Fd fd, UserAddr iov_addr, size_t nr,
                       unsigned flags) {
  constexpr unsigned kFlags =
      SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;
  if (flags & ~kFlags) return Errno{EINVAL};
  if (nr > IOV_MAX) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  fs::pipe::Pipe* p = PipeOf(f);
  if (p == nullptr) return Errno{EBADF};
  std::vector<iovec> iov(nr);
  if (nr > 0) {
    RETURN_IF_ERRNO(
        t.mm().CopyInFull(iov_addr, iov.data(), nr * sizeof(iovec)));
  }
  const bool nonblock = (flags & SPLICE_F_NONBLOCK) != 0;
  int64_t total = 0;
  for (const iovec& v : iov) {
    if (v.iov_len == 0) continue;
    const uint64_t base = reinterpret_cast<uint64_t>(v.iov_base);
    ErrnoOr<size_t> r = size_t{0};
    if (f->writable()) {
      UserSrc src(t.mm(), base, v.iov_len);
      r = p->Write(src, PipeOpts(t, f, nonblock));
      if (!r.ok() && r.error() == Errno{EPIPE} && total == 0) SendSigpipe(t);
    } else if (f->readable()) {
      UserDst dst(t.mm(), base, v.iov_len);
      r = p->Read(dst, PipeOpts(t, f, nonblock));
    } else {
      return Errno{EBADF};
    }
    if (!r.ok()) {
      if (total > 0) break;
      return r.error();
    }
    total += static_cast<int64_t>(*r);
    if (*r < v.iov_len) break;
  }
  return SyscallResult::Value(total);
}

SyscallResult CopyFileRange(Task& t, Fd in_fd, UserAddr in_offp, Fd out_fd,
                            UserAddr out_offp, size_t len, unsigned flags) {
  if (flags != 0) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef in, GetFile(t, in_fd.value));
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef out, GetFile(t, out_fd.value));
  if (!in->readable() || !out->writable()) return Errno{EBADF};
  if (out->flags() & O_APPEND) return Errno{EBADF};
  if (in->inode()->IsDir() || out->inode()->IsDir()) return Errno{EISDIR};
  if (!in->inode()->IsRegular() || !out->inode()->IsRegular()) {
    return Errno{EINVAL};
  }
  std::optional<int64_t> in_off, out_off;
  if (!in_offp.IsNull()) {
    ASSIGN_OR_RETURN_ERRNO(int64_t o, ReadOffset(t, in_offp));
    if (o < 0) return Errno{EINVAL};
    in_off = o;
  }
  if (!out_offp.IsNull()) {
    ASSIGN_OR_RETURN_ERRNO(int64_t o, ReadOffset(t, out_offp));
    if (o < 0) return Errno{EINVAL};
    out_off = o;
  }
  len = std::min(len, kMaxRwCount);
  if (in->inode() == out->inode()) {
    // Overlapping ranges of one file: EINVAL (Linux).
    ASSIGN_OR_RETURN_ERRNO(int64_t ipos, in_off ? ErrnoOr<int64_t>(*in_off)
                                                : in->Seek(0, SEEK_CUR));
    ASSIGN_OR_RETURN_ERRNO(int64_t opos, out_off ? ErrnoOr<int64_t>(*out_off)
                                                 : out->Seek(0, SEEK_CUR));
    const int64_t l = static_cast<int64_t>(len);
    if (ipos < opos + l && opos < ipos + l) return Errno{EINVAL};
  }
  if (len == 0) return SyscallResult::Value(0);
  auto r = Transfer(t, in, &in_off, out, &out_off, len);
  if (r.ok()) {
    if (in_off) RETURN_IF_ERRNO(WriteOffset(t, in_offp, *in_off));
    if (out_off) RETURN_IF_ERRNO(WriteOffset(t, out_offp, *out_off));
  }
  return SyscallResult::From(r);
}

// fallocate: mode 0 reserves by growing the file (the data reads as zeros,
// as after an allocation); FALLOC_FL_KEEP_SIZE has nothing to reserve on
// these file systems and succeeds; other modes are EOPNOTSUPP.
SyscallResult Fallocate(Task& t, Fd fd, int mode, int64_t offset, int64_t len) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  if (offset < 0 || len <= 0) return Errno{EINVAL};
  if (f->is_path() || !f->writable()) return Errno{EBADF};
  if (f->impl() != nullptr && !f->impl()->Seekable()) return Errno{ESPIPE};
  if (f->inode()->IsDir()) return Errno{EISDIR};
  if (!f->inode()->IsRegular()) return Errno{ENODEV};
  if (mode != 0 && mode != FALLOC_FL_KEEP_SIZE) return Errno{EOPNOTSUPP};
  int64_t end;
  if (__builtin_add_overflow(offset, len, &end)) return Errno{EFBIG};
  if (mode == FALLOC_FL_KEEP_SIZE) return SyscallResult::Value(0);
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, f->GetStat());
  if (end > st.size) RETURN_IF_ERRNO(f->Truncate(end));
  return SyscallResult::Value(0);
}

SyscallResult Fadvise64(Task& t, Fd fd, int64_t offset, int64_t len,
                        int advice) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  if (f->impl() != nullptr && !f->impl()->Seekable()) return Errno{ESPIPE};
  if (advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE) {
    return Errno{EINVAL};
  }
  if (len < 0) return Errno{EINVAL};
  (void)offset;
  return SyscallResult::Value(0);  // Advice only: nothing to do.
}

SyscallResult Readahead(Task& t, Fd fd, int64_t offset, size_t count) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  if (!f->readable()) return Errno{EBADF};
  if (!f->inode()->IsRegular()) return Errno{EINVAL};
  if (offset < 0) return Errno{EINVAL};
  (void)count;
  return SyscallResult::Value(0);
}

}  // namespace

void RegisterSpliceSyscalls(SyscallTable& tab) {
  tab.Set(__NR_sendfile, FileAdapt<&Sendfile>, Support::kFull);
  tab.Set(__NR_splice, FileAdapt<&Splice>, Support::kPartial,
          "copies through a buffer; at most 64 KiB per call");
  tab.Set(__NR_tee, FileAdapt<&Tee>, Support::kFull);
  tab.Set(__NR_vmsplice, FileAdapt<&Vmsplice>, Support::kPartial,
          "copies (no page gifting)");
  tab.Set(__NR_copy_file_range, FileAdapt<&CopyFileRange>, Support::kFull);
  tab.Set(__NR_fallocate, FileAdapt<&Fallocate>, Support::kPartial,
          "mode 0 and FALLOC_FL_KEEP_SIZE only");
  tab.Set(__NR_fadvise64, FileAdapt<&Fadvise64>, Support::kFull);
  tab.Set(__NR_readahead, FileAdapt<&Readahead>, Support::kFull);
}

}  // namespace sentry::syscalls
