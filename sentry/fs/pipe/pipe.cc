#include "sentry/fs/pipe/pipe.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <atomic>

namespace sentry::fs::pipe {

Pipe::Pipe(size_t capacity) : ring_(capacity) {}

ErrnoOr<size_t> Pipe::Read(vfs::IoDst& dst, const vfs::IoOptions& opts) {
  if (dst.size() == 0) return size_t{0};
  vfs::WaiterRegistration reg(opts.waiter, &mu_, &cv_);
  absl::MutexLock l(&mu_);
  for (;;) {
    if (size_ > 0) {
      size_t want = std::min(size_, dst.size());
      size_t done = 0;
      while (done < want) {
        size_t chunk = std::min(want - done, ring_.size() - head_);
        auto n = dst.CopyOut(
            done, std::span<const std::byte>(ring_.data() + head_, chunk));
        if (!n.ok() || *n == 0) break;
        done += *n;
        head_ = (head_ + *n) % ring_.size();
        size_ -= *n;
        if (*n < chunk) break;
      }
      if (size_ == 0) head_ = 0;
      WakeLocked();
      if (done == 0) return Errno{EFAULT};
      return done;
    }
    if (writers_ == 0) return size_t{0};
    if (opts.nonblock) return Errno{EAGAIN};
    if (opts.waiter && opts.waiter->interrupted()) return Errno{EINTR};
    cv_.Wait(&mu_);
  }
}

ErrnoOr<size_t> Pipe::Write(vfs::IoSrc& src, const vfs::IoOptions& opts) {
  const size_t total = src.size();
  if (total == 0) return size_t{0};
  vfs::WaiterRegistration reg(opts.waiter, &mu_, &cv_);
  absl::MutexLock l(&mu_);
  size_t done = 0;
  for (;;) {
    if (readers_ == 0) {
      if (done > 0) return done;
      return Errno{EPIPE};
    }
    const size_t avail = ring_.size() - size_;
    // Small writes go in whole or not at all.
    const size_t need = total <= kPipeBuf ? total : 1;
    if (avail >= need) {
      size_t n = std::min(avail, total - done);
      size_t copied = 0;
      while (copied < n) {
        size_t tail = (head_ + size_) % ring_.size();
        size_t chunk = std::min(n - copied, ring_.size() - tail);
        auto c = src.CopyIn(done + copied,
                            std::span<std::byte>(ring_.data() + tail, chunk));
        if (!c.ok() || *c == 0) break;
        copied += *c;
        size_ += *c;
        if (*c < chunk) break;
      }
      done += copied;
      WakeLocked();
      if (copied < n) return done > 0 ? ErrnoOr<size_t>(done) : Errno{EFAULT};
      if (done == total) return done;
      continue;
    }
    if (opts.nonblock) {
      if (done > 0) return done;
      return Errno{EAGAIN};
    }
    if (opts.waiter && opts.waiter->interrupted()) {
      if (done > 0) return done;
      return Errno{EINTR};
    }
    cv_.Wait(&mu_);
  }
}

ErrnoOr<size_t> Pipe::Peek(vfs::IoDst& dst, const vfs::IoOptions& opts) {
  if (dst.size() == 0) return size_t{0};
  vfs::WaiterRegistration reg(opts.waiter, &mu_, &cv_);
  absl::MutexLock l(&mu_);
  for (;;) {
    if (size_ > 0) {
      const size_t want = std::min(size_, dst.size());
      size_t done = 0;
      while (done < want) {
        size_t pos = (head_ + done) % ring_.size();
        size_t chunk = std::min(want - done, ring_.size() - pos);
        auto n = dst.CopyOut(
            done, std::span<const std::byte>(ring_.data() + pos, chunk));
        if (!n.ok() || *n == 0) break;
        done += *n;
        if (*n < chunk) break;
      }
      if (done == 0) return Errno{EFAULT};
      return done;
    }
    if (writers_ == 0) return size_t{0};
    if (opts.nonblock) return Errno{EAGAIN};
    if (opts.waiter && opts.waiter->interrupted()) return Errno{EINTR};
    cv_.Wait(&mu_);
  }
}

void Pipe::Consume(size_t n) {
  absl::MutexLock l(&mu_);
  n = std::min(n, size_);
  if (n == 0) return;
  head_ = (head_ + n) % ring_.size();
  size_ -= n;
  if (size_ == 0) head_ = 0;
  WakeLocked();
}

size_t Pipe::Free() {
  absl::MutexLock l(&mu_);
  return ring_.size() - size_;
}

void Pipe::AddEnds(bool reader, bool writer) {
  absl::MutexLock l(&mu_);
  if (reader) {
    ++readers_;
    ++reader_opens_;
  }
  if (writer) {
    ++writers_;
    ++writer_opens_;
  }
  WakeLocked();
}

void Pipe::RemoveEnds(bool reader, bool writer) {
  absl::MutexLock l(&mu_);
  if (reader) --readers_;
  if (writer) --writers_;
  WakeLocked();
}

ErrnoStatus Pipe::OpenFifo(bool reader, bool writer, bool nonblock,
                           vfs::Waiter* waiter) {
  vfs::WaiterRegistration reg(waiter, &mu_, &cv_);
  absl::MutexLock l(&mu_);
  if (writer && !reader && nonblock && readers_ == 0) return Errno{ENXIO};
  const uint64_t seen_readers = reader_opens_;
  const uint64_t seen_writers = writer_opens_;
  if (reader) {
    ++readers_;
    ++reader_opens_;
  }
  if (writer) {
    ++writers_;
    ++writer_opens_;
  }
  WakeLocked();
  if (reader == writer || nonblock) return OkErrno();
  for (;;) {
    if (reader && (writers_ > 0 || writer_opens_ != seen_writers)) break;
    if (writer && (readers_ > 0 || reader_opens_ != seen_readers)) break;
    if (waiter && waiter->interrupted()) {
      if (reader) --readers_;
      if (writer) --writers_;
      WakeLocked();
      return Errno{EINTR};
    }
    cv_.Wait(&mu_);
  }
  return OkErrno();
}

size_t Pipe::Queued() {
  absl::MutexLock l(&mu_);
  return size_;
}

size_t Pipe::capacity() {
  absl::MutexLock l(&mu_);
  return ring_.size();
}

ErrnoOr<size_t> Pipe::SetCapacity(size_t size) {
  if (size > kMaxCapacity) return Errno{EPERM};
  size_t cap = 4096;
  while (cap < size) cap <<= 1;
  absl::MutexLock l(&mu_);
  if (cap < size_) return Errno{EBUSY};
  std::vector<std::byte> ring(cap);
  for (size_t i = 0; i < size_; ++i)
    ring[i] = ring_[(head_ + i) % ring_.size()];
  ring_ = std::move(ring);
  head_ = 0;
  WakeLocked();
  return cap;
}

uint32_t Pipe::Readiness(bool reader, bool writer, uint32_t mask) {
  absl::MutexLock l(&mu_);
  uint32_t r = 0;
  if (reader) {
    if (size_ > 0) r |= POLLIN | POLLRDNORM;
    if (writers_ == 0 && writer_opens_ > 0) r |= POLLHUP;
  }
  if (writer) {
    if (readers_ == 0) {
      r |= POLLERR;
    } else if (ring_.size() - size_ >= kPipeBuf) {
      r |= POLLOUT | POLLWRNORM;
    }
  }
  return r & (mask | POLLHUP | POLLERR);
}

ErrnoOr<size_t> PipeFile::Read(vfs::IoDst& dst, int64_t,
                               const vfs::IoOptions& opts) {
  if (!reader_) return Errno{EBADF};
  return pipe_->Read(dst, opts);
}

ErrnoOr<size_t> PipeFile::Write(vfs::IoSrc& src, int64_t,
                                const vfs::IoOptions& opts, int64_t* end) {
  if (!writer_) return Errno{EBADF};
  *end = 0;
  return pipe_->Write(src, opts);
}

ErrnoOr<int64_t> PipeFile::Ioctl(uint32_t cmd, uint64_t arg,
                                 vfs::IoctlCaller& caller) {
  if (cmd != FIONREAD) return Errno{ENOTTY};
  const int n = static_cast<int>(pipe_->Queued());
  RETURN_IF_ERRNO(caller.CopyOut(
      arg, std::span<const std::byte>(reinterpret_cast<const std::byte*>(&n),
                                      sizeof(n))));
  return int64_t{0};
}

uint32_t PipeFile::Readiness(uint32_t mask) {
  return pipe_->Readiness(reader_, writer_, mask);
}

ErrnoOr<std::pair<vfs::FileRef, vfs::FileRef>> NewPipe(
    vfs::VirtualFilesystem* vfs, int flags, uint32_t uid, uint32_t gid) {
  if (flags & ~(O_NONBLOCK | O_CLOEXEC | O_DIRECT)) return Errno{EINVAL};
  static const uint64_t dev = vfs::NewAnonDev();
  static std::atomic<uint64_t> next_ino{1};
  auto inode = std::make_shared<vfs::SimpleInode>(dev, next_ino.fetch_add(1),
                                                  S_IFIFO | 0600, uid, gid);
  auto p = std::make_shared<Pipe>();
  p->AddEnds(true, true);
  const int nb = flags & O_NONBLOCK;
  auto r = std::make_shared<vfs::FileDescription>(
      vfs, vfs::VirtualDentry{}, inode, O_RDONLY | nb,
      std::make_unique<PipeFile>(p, true, false));
  auto w = std::make_shared<vfs::FileDescription>(
      vfs, vfs::VirtualDentry{}, inode, O_WRONLY | nb,
      std::make_unique<PipeFile>(p, false, true));
  return std::make_pair(std::move(r), std::move(w));
}

ErrnoOr<std::unique_ptr<vfs::FileImpl>> FifoInode::Open(
    const vfs::OpenRequest& req) {
  const int acc = req.flags & O_ACCMODE;
  const bool reader = acc == O_RDONLY || acc == O_RDWR;
  const bool writer = acc == O_WRONLY || acc == O_RDWR;
  RETURN_IF_ERRNO(
      pipe_->OpenFifo(reader, writer, req.flags & O_NONBLOCK, req.waiter));
  return std::unique_ptr<vfs::FileImpl>(
      std::make_unique<PipeFile>(pipe_, reader, writer));
}

}  // namespace sentry::fs::pipe
