// Buffers for read and write.
//
// File systems never see raw pointers to the caller's memory: they copy out
// to an IoDst and in from an IoSrc. Today these wrap spans of sentry memory;
// the kernel will implement them over application memory (copy through the
// memory manager), so a read can land directly in the application's buffer.
// A copy may be partial (a fault in application memory): the return value is
// the count done, and file systems then return the short count.
#ifndef SENTRY_VFS_IO_H_
#define SENTRY_VFS_IO_H_

#include <cstddef>
#include <cstring>
#include <span>

#include "sentry/base/errno.h"

namespace sentry::vfs {

class IoDst {
 public:
  virtual ~IoDst() = default;
  virtual size_t size() const = 0;
  // Copies `src` to position `at` of this buffer. Returns bytes copied, or
  // EFAULT if none could be.
  virtual ErrnoOr<size_t> CopyOut(size_t at,
                                  std::span<const std::byte> src) = 0;
};

class IoSrc {
 public:
  virtual ~IoSrc() = default;
  virtual size_t size() const = 0;
  // Copies from position `at` of this buffer into `dst`.
  virtual ErrnoOr<size_t> CopyIn(size_t at, std::span<std::byte> dst) = 0;
};

// IoDst over sentry memory.
class SpanDst final : public IoDst {
 public:
  explicit SpanDst(std::span<std::byte> buf) : buf_(buf) {}
  SpanDst(void* p, size_t n) : buf_(static_cast<std::byte*>(p), n) {}
  size_t size() const override { return buf_.size(); }
  ErrnoOr<size_t> CopyOut(size_t at, std::span<const std::byte> src) override {
    if (at > buf_.size()) return Errno{EFAULT};
    size_t n = std::min(src.size(), buf_.size() - at);
    if (n) std::memcpy(buf_.data() + at, src.data(), n);
    return n;
  }

 private:
  std::span<std::byte> buf_;
};

// IoSrc over sentry memory.
class SpanSrc final : public IoSrc {
 public:
  explicit SpanSrc(std::span<const std::byte> buf) : buf_(buf) {}
  SpanSrc(const void* p, size_t n)
      : buf_(static_cast<const std::byte*>(p), n) {}
  size_t size() const override { return buf_.size(); }
  ErrnoOr<size_t> CopyIn(size_t at, std::span<std::byte> dst) override {
    if (at > buf_.size()) return Errno{EFAULT};
    size_t n = std::min(dst.size(), buf_.size() - at);
    if (n) std::memcpy(dst.data(), buf_.data() + at, n);
    return n;
  }

 private:
  std::span<const std::byte> buf_;
};

}  // namespace sentry::vfs

#endif  // SENTRY_VFS_IO_H_
