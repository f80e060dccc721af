#include "sentry/fs/eventfd/eventfd.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>

#include <cstring>

#include "sentry/fs/anon/anon_file.h"
#include "sentry/vfs/waiter.h"

namespace sentry::fs::eventfd {

ErrnoOr<size_t> EventFd::Read(vfs::IoDst& dst, int64_t offset,
                              const vfs::IoOptions& opts) {
  if (dst.size() < sizeof(uint64_t)) return Errno{EINVAL};
  vfs::WaiterRegistration reg(opts.waiter, &mu_, &cv_);
  absl::MutexLock l(&mu_);
  for (;;) {
    if (count_ > 0) {
      uint64_t v = semaphore_ ? 1 : count_;
      std::byte buf[sizeof(v)];
      std::memcpy(buf, &v, sizeof(v));
      ASSIGN_OR_RETURN_ERRNO(size_t n, dst.CopyOut(0, buf));
      if (n != sizeof(v)) return Errno{EFAULT};
      count_ -= v;
      cv_.SignalAll();
      events_.Notify(POLLOUT | POLLWRNORM);
      return sizeof(v);
    }
    if (opts.nonblock) return Errno{EAGAIN};
    if (opts.waiter && opts.waiter->interrupted()) return Errno{EINTR};
    cv_.Wait(&mu_);
  }
}

ErrnoOr<size_t> EventFd::Write(vfs::IoSrc& src, int64_t offset,
                               const vfs::IoOptions& opts, int64_t* end) {
  *end = 0;
  if (src.size() < sizeof(uint64_t)) return Errno{EINVAL};
  uint64_t v;
  std::byte buf[sizeof(v)];
  ASSIGN_OR_RETURN_ERRNO(size_t n, src.CopyIn(0, buf));
  if (n != sizeof(v)) return Errno{EFAULT};
  std::memcpy(&v, buf, sizeof(v));
  if (v == ~uint64_t{0}) return Errno{EINVAL};
  vfs::WaiterRegistration reg(opts.waiter, &mu_, &cv_);
  absl::MutexLock l(&mu_);
  for (;;) {
    if (kMaxCount - count_ >= v) {
      count_ += v;
      if (v > 0) {
        cv_.SignalAll();
        events_.Notify(POLLIN | POLLRDNORM);
      }
      return sizeof(v);
    }
    if (opts.nonblock) return Errno{EAGAIN};
    if (opts.waiter && opts.waiter->interrupted()) return Errno{EINTR};
    cv_.Wait(&mu_);
  }
}

uint32_t EventFd::Readiness(uint32_t mask) {
  absl::MutexLock l(&mu_);
  uint32_t r = 0;
  if (count_ > 0) r |= POLLIN | POLLRDNORM;
  if (count_ < kMaxCount) r |= POLLOUT | POLLWRNORM;
  return r & mask;
}

uint64_t EventFd::count() {
  absl::MutexLock l(&mu_);
  return count_;
}

ErrnoOr<vfs::FileRef> NewEventFd(vfs::VirtualFilesystem* vfs, uint64_t initval,
                                 int flags, uint32_t uid, uint32_t gid) {
  if (flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC)) {
    return Errno{EINVAL};
  }
  return anon::NewAnonFile(
      vfs, O_RDWR | (flags & O_NONBLOCK),
      std::make_unique<EventFd>(initval, flags & EFD_SEMAPHORE), uid, gid);
}

}  // namespace sentry::fs::eventfd
