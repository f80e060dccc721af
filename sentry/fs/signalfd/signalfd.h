// signalfd(2) files: read pending signals of a mask as struct
// signalfd_siginfo records.
//
// As in Linux, the file reads and polls the signals pending for the task
// that reads or polls it (its own and its thread group's), not the creator's:
// after fork the child's signals are read through the inherited file.
// Signals are dequeued like delivery would (synchronous first, then lowest
// number; real-time signals in order). SIGKILL and SIGSTOP are never in the
// mask. The kernel notifies ThreadGroup::signal_events on every queued
// signal; the file hands out that queue from Events() and keeps the queues
// it handed out alive.
//
// Locking: SignalFd::mu_ guards the mask and the kept queues (leaf); the
// pending sets are read under the kernel mu.
#ifndef SENTRY_FS_SIGNALFD_SIGNALFD_H_
#define SENTRY_FS_SIGNALFD_SIGNALFD_H_

#include <sys/signalfd.h>

#include <memory>
#include <set>

#include "absl/synchronization/mutex.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/events.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/inode.h"

namespace sentry::fs::signalfd {

static_assert(sizeof(signalfd_siginfo) == 128);

// The record Linux's signalfd_copyinfo makes from a siginfo.
signalfd_siginfo ToSignalfdSiginfo(const siginfo_t& info);

class SignalFd final : public vfs::FileImpl {
 public:
  explicit SignalFd(kernel::SigSet mask) : mask_(Sanitize(mask)) {}

  void SetMask(kernel::SigSet mask);
  kernel::SigSet mask();

  // Reads for kernel::CurrentTask(); EINVAL under 128 bytes.
  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t offset,
                       const vfs::IoOptions& opts) override;
  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t offset,
                        const vfs::IoOptions& opts, int64_t* end) override {
    return Errno{EINVAL};
  }
  bool Seekable() const override { return false; }
  uint32_t Readiness(uint32_t mask) override;
  vfs::EventQueue* Events() override;

  // For `t` explicitly (tests, and the paths above).
  ErrnoOr<size_t> ReadFor(kernel::Task& t, vfs::IoDst& dst, bool nonblock);
  uint32_t ReadinessFor(kernel::Task& t, uint32_t mask);
  vfs::EventQueue* EventsFor(kernel::Task& t);

 private:
  static kernel::SigSet Sanitize(kernel::SigSet m) {
    return m & ~kernel::kUnblockable;
  }
  absl::Mutex mu_;
  kernel::SigSet mask_ ABSL_GUARDED_BY(mu_);
  std::set<std::shared_ptr<vfs::EventQueue>> queues_ ABSL_GUARDED_BY(mu_);
};

// signalfd4 with fd == -1: a new file. flags: SFD_NONBLOCK | SFD_CLOEXEC
// (the caller handles SFD_CLOEXEC); EINVAL for others.
ErrnoOr<vfs::FileRef> NewSignalFd(vfs::VirtualFilesystem* vfs,
                                  kernel::SigSet mask, int flags, uint32_t uid,
                                  uint32_t gid);

SignalFd* AsSignalFd(vfs::FileDescription& f);

}  // namespace sentry::fs::signalfd

#endif  // SENTRY_FS_SIGNALFD_SIGNALFD_H_
