#include "sentry/syscalls/file_write.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>

#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/file_mappable.h"

namespace sentry::syscalls {

namespace {

// The first `n` bytes of `src` (RLIMIT_FSIZE shortens a write).
class PrefixSrc final : public vfs::IoSrc {
 public:
  PrefixSrc(vfs::IoSrc& src, size_t n) : src_(src), n_(n) {}
  size_t size() const override { return n_; }
  ErrnoOr<size_t> CopyIn(size_t at, std::span<std::byte> dst) override {
    if (at > n_) return Errno{EFAULT};
    return src_.CopyIn(at, dst.first(std::min(dst.size(), n_ - at)));
  }

 private:
  vfs::IoSrc& src_;
  const size_t n_;
};

// Linux's file_remove_privs: a write by a caller without CAP_FSETID drops
// set-user-ID, and set-group-ID when group-executable.
void RemovePrivs(Task& t, vfs::FileDescription& f) {
  auto st = f.inode()->GetStat();
  if (!st.ok()) return;
  uint32_t kill = 0;
  if (st->mode & S_ISUID) kill |= S_ISUID;
  if ((st->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP)) kill |= S_ISGID;
  if (kill == 0 || t.creds()->HasCapability(CAP_FSETID)) return;
  vfs::SetStatRequest req;
  req.mask = vfs::SetStatRequest::kMode;
  req.mode = st->mode & 07777 & ~kill;
  (void)f.inode()->SetStat(req);
}

}  // namespace

ErrnoOr<size_t> WriteFile(Task& t, vfs::FileDescription& f, vfs::IoSrc& src,
                          std::optional<int64_t> off) {
  size_t n = src.size();
  int64_t start = 0;
  const bool regular = f.inode() != nullptr && f.inode()->IsRegular();
  if (regular) {
    const bool mapped = BeforeFileIo(*f.inode());
    rlimit fsize;
    {
      absl::MutexLock l(t.kernel().mu());
      fsize = t.tg().rlimits[RLIMIT_FSIZE];
    }
    const bool limited = fsize.rlim_cur != RLIM_INFINITY;
    if (mapped || limited) {
      // Where the write lands, for RLIMIT_FSIZE and the mapping refresh.
      if (off) {
        start = *off;
      } else if (f.flags() & O_APPEND) {
        ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, f.GetStat());
        start = st.size;
      } else {
        ASSIGN_OR_RETURN_ERRNO(start, f.Seek(0, SEEK_CUR));
      }
    }
    if (limited && n > 0) {
      uint64_t limit = fsize.rlim_cur;
      if (static_cast<uint64_t>(start) >= limit) {
        siginfo_t info{};
        info.si_signo = SIGXFSZ;
        info.si_code = SI_USER;
        t.kernel().SendSignal(nullptr, &t, nullptr, info);
        return Errno{EFBIG};
      }
      n = std::min<uint64_t>(n, limit - start);
    }
    RemovePrivs(t, f);
  }
  PrefixSrc limited(src, n);
  auto r = off ? f.PWrite(limited, *off, t.vfs_waiter())
               : f.Write(limited, t.vfs_waiter());
  if (!r.ok() && r.error() == Errno{EPIPE}) SendSigpipe(t);
  if (regular && r.ok()) {
    AfterFileWrite(*f.inode(), start, static_cast<int64_t>(*r));
  }
  return r;
}

}  // namespace sentry::syscalls
