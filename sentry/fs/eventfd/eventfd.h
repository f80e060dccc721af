// eventfd(2): a 64-bit counter file.
//
// Linux semantics: read needs an 8-byte buffer (EINVAL otherwise) and
// returns the counter and resets it to 0, or with EFD_SEMAPHORE returns 1 and
// decrements; it blocks (or EAGAIN) while the counter is 0. write adds an
// 8-byte value (0xffffffffffffffff is EINVAL) and blocks (or EAGAIN) while
// the sum would exceed 0xfffffffffffffffe. Readable while the counter is
// non-zero, writable while at least 1 can be added.
//
// Locking: EventFd::mu_ is a leaf lock taken after the vfs::Waiter's mutex;
// the EventQueue is notified under it (events.h order).
#ifndef SENTRY_FS_EVENTFD_EVENTFD_H_
#define SENTRY_FS_EVENTFD_EVENTFD_H_

#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "sentry/vfs/events.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/inode.h"

namespace sentry::fs::eventfd {

inline constexpr uint64_t kMaxCount = 0xfffffffffffffffeull;

class EventFd final : public vfs::FileImpl {
 public:
  EventFd(uint64_t initval, bool semaphore)
      : count_(initval), semaphore_(semaphore) {}

  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t offset,
                       const vfs::IoOptions& opts) override;
  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t offset,
                        const vfs::IoOptions& opts, int64_t* end) override;
  bool Seekable() const override { return false; }
  uint32_t Readiness(uint32_t mask) override;
  vfs::EventQueue* Events() override { return &events_; }

  uint64_t count();

 private:
  absl::Mutex mu_;
  absl::CondVar cv_;
  vfs::EventQueue events_;
  uint64_t count_ ABSL_GUARDED_BY(mu_);
  const bool semaphore_;
};

// eventfd2(initval, flags): flags EFD_SEMAPHORE | EFD_NONBLOCK |
// EFD_CLOEXEC (the caller handles O_CLOEXEC); EINVAL for others.
ErrnoOr<vfs::FileRef> NewEventFd(vfs::VirtualFilesystem* vfs, uint64_t initval,
                                 int flags, uint32_t uid, uint32_t gid);

}  // namespace sentry::fs::eventfd

#endif  // SENTRY_FS_EVENTFD_EVENTFD_H_
