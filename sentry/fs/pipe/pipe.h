// Pipes (pipe2(2)) and FIFOs (named pipes on any file system).
//
// A Pipe is a bounded byte queue (64 KiB by default, F_SETPIPE_SZ can change
// it) with Linux semantics: writes of at most PIPE_BUF (4096) bytes are
// atomic (never interleaved, never partial); larger writes may be split. A
// read returns what is queued (0 = EOF when no writer is left); a write with
// no reader fails with EPIPE (the kernel adds SIGPIPE); O_NONBLOCK gives
// EAGAIN instead of blocking. Blocking waits on a condition variable and is
// interruptible through the task's vfs::Waiter (EINTR, or the partial count).
//
// FIFO opens rendezvous as in Linux: O_RDONLY waits for a writer, O_WRONLY
// for a reader (O_NONBLOCK: read opens succeed at once, write opens fail
// with ENXIO), O_RDWR never waits.
//
// Locking: Pipe::mu_ is a leaf lock (taken after vfs::Waiter's mutex).
#ifndef SENTRY_FS_PIPE_PIPE_H_
#define SENTRY_FS_PIPE_PIPE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sentry/base/errno.h"
#include "sentry/vfs/events.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/inode.h"
#include "sentry/vfs/io.h"
#include "sentry/vfs/waiter.h"

namespace sentry::fs::pipe {

inline constexpr size_t kDefaultCapacity = 65536;
inline constexpr size_t kPipeBuf = 4096;
inline constexpr size_t kMaxCapacity = 1 << 20;  // /proc/sys/fs/pipe-max-size

class Pipe {
 public:
  explicit Pipe(size_t capacity = kDefaultCapacity);

  ErrnoOr<size_t> Read(vfs::IoDst& dst, const vfs::IoOptions& opts);
  ErrnoOr<size_t> Write(vfs::IoSrc& src, const vfs::IoOptions& opts);

  // Ends opened without rendezvous (pipe2).
  void AddEnds(bool reader, bool writer);
  // Ends closed; wakes the other side (EOF / EPIPE).
  void RemoveEnds(bool reader, bool writer);
  // FIFO open: adds the ends and waits for the peer as described above.
  ErrnoStatus OpenFifo(bool reader, bool writer, bool nonblock,
                       vfs::Waiter* waiter);

  // splice(2)/tee(2): copies up to dst.size() queued bytes without
  // consuming them, waiting for data like Read (0 at EOF, EAGAIN when
  // opts.nonblock). Consume then drops the bytes actually used.
  ErrnoOr<size_t> Peek(vfs::IoDst& dst, const vfs::IoOptions& opts);
  void Consume(size_t n);
  // Bytes that fit without blocking.
  size_t Free();

  // Bytes queued (FIONREAD).
  size_t Queued();
  size_t capacity();
  // F_SETPIPE_SZ: rounds up to a power of two >= one page; EBUSY if the
  // queued data would not fit; EPERM above kMaxCapacity.
  ErrnoOr<size_t> SetCapacity(size_t size);
  // poll readiness for an end.
  uint32_t Readiness(bool reader, bool writer, uint32_t mask);
  // poll/epoll waiters of both ends.
  vfs::EventQueue& events() { return events_; }

 private:
  // Wakes blocked readers/writers and poll waiters after a state change.
  void WakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    cv_.SignalAll();
    events_.Notify(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLHUP |
                   POLLERR);
  }

  absl::Mutex mu_;
  absl::CondVar cv_;
  vfs::EventQueue events_;
  std::vector<std::byte> ring_ ABSL_GUARDED_BY(mu_);
  size_t head_ ABSL_GUARDED_BY(mu_) = 0;
  size_t size_ ABSL_GUARDED_BY(mu_) = 0;
  int readers_ ABSL_GUARDED_BY(mu_) = 0;
  int writers_ ABSL_GUARDED_BY(mu_) = 0;
  // Opens ever made, so that a FIFO open notices a peer that came and went.
  uint64_t reader_opens_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t writer_opens_ ABSL_GUARDED_BY(mu_) = 0;
};

// One open end (or both, for a FIFO opened O_RDWR).
class PipeFile final : public vfs::FileImpl {
 public:
  PipeFile(std::shared_ptr<Pipe> pipe, bool reader, bool writer)
      : pipe_(std::move(pipe)), reader_(reader), writer_(writer) {}
  ~PipeFile() override { pipe_->RemoveEnds(reader_, writer_); }

  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t offset,
                       const vfs::IoOptions& opts) override;
  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t offset,
                        const vfs::IoOptions& opts, int64_t* end) override;
  bool Seekable() const override { return false; }
  uint32_t Readiness(uint32_t mask) override;
  vfs::EventQueue* Events() override { return &pipe_->events(); }
  // FIONREAD: bytes queued.
  ErrnoOr<int64_t> Ioctl(uint32_t cmd, uint64_t arg,
                         vfs::IoctlCaller& caller) override;
  Pipe& pipe() { return *pipe_; }

 private:
  std::shared_ptr<Pipe> pipe_;
  const bool reader_;
  const bool writer_;
};

// pipe2(2): {read end, write end}. flags: O_NONBLOCK (O_CLOEXEC is for the
// fd table; O_DIRECT packet mode is accepted and ignored). uid/gid own the
// anonymous inode seen by fstat.
ErrnoOr<std::pair<vfs::FileRef, vfs::FileRef>> NewPipe(
    vfs::VirtualFilesystem* vfs, int flags, uint32_t uid, uint32_t gid);

// A FIFO node: tmpfs, overlay and gofer mknod(S_IFIFO) create these; every
// open joins the node's one pipe.
class FifoInode final : public vfs::SimpleInode {
 public:
  FifoInode(uint64_t dev, uint64_t ino, uint32_t mode, uint32_t uid,
            uint32_t gid)
      : SimpleInode(dev, ino, S_IFIFO | (mode & 07777), uid, gid),
        pipe_(std::make_shared<Pipe>()) {}
  ErrnoOr<std::unique_ptr<vfs::FileImpl>> Open(
      const vfs::OpenRequest& req) override;

 private:
  std::shared_ptr<Pipe> pipe_;
};

}  // namespace sentry::fs::pipe

#endif  // SENTRY_FS_PIPE_PIPE_H_
