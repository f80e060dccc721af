#include "sentry/fs/signalfd/signalfd.h"

#include <fcntl.h>
#include <poll.h>

#include <cstring>
#include <optional>

#include "sentry/fs/anon/anon_file.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/proc_provider.h"

namespace sentry::fs::signalfd {

namespace {

// Wakes the blocked reader (events.h: record and wake only).
class Waker final : public vfs::EventListener {
 public:
  explicit Waker(kernel::Task& t) : t_(t) {}
  void OnEvents(uint32_t events) override { t_.Notify(); }

 private:
  kernel::Task& t_;
};

bool SignalSpecificCode(int sig, int code) {
  if (code <= 0 || code >= SI_KERNEL) return false;
  switch (sig) {
    case SIGILL:
    case SIGFPE:
    case SIGSEGV:
    case SIGBUS:
    case SIGTRAP:
    case SIGCHLD:
    case SIGPOLL:
    case SIGSYS:
      return true;
    default:
      return false;
  }
}

}  // namespace

signalfd_siginfo ToSignalfdSiginfo(const siginfo_t& si) {
  signalfd_siginfo o;
  std::memset(&o, 0, sizeof(o));
  const int sig = si.si_signo;
  const int code = si.si_code;
  o.ssi_signo = static_cast<uint32_t>(sig);
  o.ssi_errno = si.si_errno;
  o.ssi_code = code;
  if (SignalSpecificCode(sig, code)) {
    switch (sig) {
      case SIGCHLD:
        o.ssi_pid = static_cast<uint32_t>(si.si_pid);
        o.ssi_uid = si.si_uid;
        o.ssi_status = si.si_status;
        o.ssi_utime = static_cast<uint64_t>(si.si_utime);
        o.ssi_stime = static_cast<uint64_t>(si.si_stime);
        break;
      case SIGPOLL:
        o.ssi_band = static_cast<uint32_t>(si.si_band);
        o.ssi_fd = si.si_fd;
        break;
      case SIGSYS:
        o.ssi_addr = reinterpret_cast<uint64_t>(si.si_call_addr);
        o.ssi_syscall = si.si_syscall;
        o.ssi_arch = si.si_arch;
        break;
      default:  // faults
        o.ssi_addr = reinterpret_cast<uint64_t>(si.si_addr);
        break;
    }
    return o;
  }
  switch (code) {
    case SI_TIMER:
      o.ssi_tid = static_cast<uint32_t>(si.si_timerid);
      o.ssi_overrun = static_cast<uint32_t>(si.si_overrun);
      o.ssi_ptr = reinterpret_cast<uint64_t>(si.si_ptr);
      o.ssi_int = si.si_int;
      break;
    case SI_SIGIO:
      o.ssi_band = static_cast<uint32_t>(si.si_band);
      o.ssi_fd = si.si_fd;
      break;
    case SI_USER:
    case SI_KERNEL:
      o.ssi_pid = static_cast<uint32_t>(si.si_pid);
      o.ssi_uid = si.si_uid;
      break;
    default:  // SI_QUEUE, SI_TKILL, SI_MESGQ...: sender and value
      o.ssi_pid = static_cast<uint32_t>(si.si_pid);
      o.ssi_uid = si.si_uid;
      o.ssi_ptr = reinterpret_cast<uint64_t>(si.si_ptr);
      o.ssi_int = si.si_int;
      break;
  }
  return o;
}

void SignalFd::SetMask(kernel::SigSet mask) {
  absl::MutexLock l(&mu_);
  mask_ = Sanitize(mask);
}

kernel::SigSet SignalFd::mask() {
  absl::MutexLock l(&mu_);
  return mask_;
}

ErrnoOr<size_t> SignalFd::ReadFor(kernel::Task& t, vfs::IoDst& dst,
                                  bool nonblock) {
  constexpr size_t kRecord = sizeof(signalfd_siginfo);
  if (dst.size() < kRecord) return Errno{EINVAL};
  const size_t max = dst.size() / kRecord;
  size_t done = 0;
  Waker waker(t);
  vfs::EventRegistration reg;
  bool registered = false;
  for (;;) {
    t.PrepareBlock();
    const kernel::SigSet want = mask();
    // Dequeue and copy one at a time: a fault loses no signal beyond the
    // one being copied, as Linux.
    while (done < max) {
      std::optional<siginfo_t> got;
      {
        absl::MutexLock l(t.kernel().mu());
        got = t.pending.Dequeue(~want);
        if (!got.has_value()) got = t.tg().pending.Dequeue(~want);
      }
      if (!got.has_value()) break;
      signalfd_siginfo rec = ToSignalfdSiginfo(*got);
      auto n =
          dst.CopyOut(done * kRecord,
                      std::as_bytes(std::span<signalfd_siginfo, 1>(&rec, 1)));
      if (!n.ok() || *n != kRecord) {
        if (done > 0) return done * kRecord;
        return Errno{EFAULT};
      }
      ++done;
    }
    if (done > 0) return done * kRecord;
    if (nonblock) return Errno{EAGAIN};
    if (!registered) {
      reg = vfs::EventRegistration(EventsFor(t), &waker, POLLIN);
      registered = true;
      continue;  // look again now that a new signal will wake us
    }
    if (t.Block() == kernel::Task::BlockResult::kInterrupted) {
      return Errno{EINTR};
    }
  }
}

ErrnoOr<size_t> SignalFd::Read(vfs::IoDst& dst, int64_t offset,
                               const vfs::IoOptions& opts) {
  kernel::Task* t = kernel::CurrentTask();
  if (t == nullptr) return Errno{EINVAL};
  return ReadFor(*t, dst, opts.nonblock);
}

uint32_t SignalFd::ReadinessFor(kernel::Task& t, uint32_t mask) {
  const kernel::SigSet want = this->mask();
  absl::MutexLock l(t.kernel().mu());
  kernel::SigSet pending = t.pending.Pending() | t.tg().pending.Pending();
  return (pending & want).Empty() ? 0 : mask & (POLLIN | POLLRDNORM);
}

uint32_t SignalFd::Readiness(uint32_t mask) {
  kernel::Task* t = kernel::CurrentTask();
  return t ? ReadinessFor(*t, mask) : 0;
}

vfs::EventQueue* SignalFd::EventsFor(kernel::Task& t) {
  std::shared_ptr<vfs::EventQueue> q = t.tg().signal_events;
  absl::MutexLock l(&mu_);
  queues_.insert(q);  // kept alive while a poller may be registered
  return q.get();
}

vfs::EventQueue* SignalFd::Events() {
  kernel::Task* t = kernel::CurrentTask();
  return t ? EventsFor(*t) : nullptr;
}

SignalFd* AsSignalFd(vfs::FileDescription& f) {
  return dynamic_cast<SignalFd*>(f.impl());
}

ErrnoOr<vfs::FileRef> NewSignalFd(vfs::VirtualFilesystem* vfs,
                                  kernel::SigSet mask, int flags, uint32_t uid,
                                  uint32_t gid) {
  if (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC)) return Errno{EINVAL};
  return anon::NewAnonFile(vfs, O_RDWR | (flags & O_NONBLOCK),
                           std::make_unique<SignalFd>(mask), uid, gid);
}

}  // namespace sentry::fs::signalfd
