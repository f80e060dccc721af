#include "sentry/kernel/user_memory.h"

#include <algorithm>

namespace sentry::kernel {

ErrnoStatus UserMemory::CopyInFull(UserAddr src, void* dst, size_t n) {
  ASSIGN_OR_RETURN_ERRNO(size_t done, CopyIn(src, dst, n));
  if (done != n) return Errno{EFAULT};
  return OkErrno();
}

ErrnoStatus UserMemory::CopyOutFull(UserAddr dst, const void* src, size_t n) {
  ASSIGN_OR_RETURN_ERRNO(size_t done, CopyOut(dst, src, n));
  if (done != n) return Errno{EFAULT};
  return OkErrno();
}

ErrnoOr<std::string> UserMemory::CopyInString(UserAddr src, size_t max_len) {
  std::string out;
  // Read in small chunks so that a string near the end of a mapping is still
  // read up to the fault.
  constexpr size_t kChunk = 256;
  char buf[kChunk];
  UserAddr cur = src;
  while (out.size() < max_len + 1) {
    size_t want = std::min(kChunk, max_len + 1 - out.size());
    auto r = CopyIn(cur, buf, want);
    if (!r.ok() || *r == 0) return Errno{EFAULT};
    size_t got = *r;
    const void* nul = memchr(buf, 0, got);
    if (nul != nullptr) {
      out.append(buf, static_cast<const char*>(nul) - buf);
      return out;
    }
    out.append(buf, got);
    auto next = cur.Add(got);
    if (!next) return Errno{EFAULT};
    cur = *next;
  }
  return Errno{ENAMETOOLONG};
}

FlatUserMemory::FlatUserMemory(uint64_t base, size_t size)
    : base_(base), mem_(size, 0) {}

size_t FlatUserMemory::Available(uint64_t a, size_t n) const {
  if (a < base_ || a >= base_ + mem_.size()) return 0;
  return std::min<uint64_t>(n, base_ + mem_.size() - a);
}

ErrnoOr<size_t> FlatUserMemory::CopyIn(UserAddr src, void* dst, size_t n) {
  if (n == 0) return size_t{0};
  absl::MutexLock l(&mu_);
  size_t k = Available(src.value(), n);
  if (k == 0) return Errno{EFAULT};
  memcpy(dst, &mem_[src.value() - base_], k);
  return k;
}

ErrnoOr<size_t> FlatUserMemory::CopyOut(UserAddr dst, const void* src,
                                        size_t n) {
  if (n == 0) return size_t{0};
  absl::MutexLock l(&mu_);
  size_t k = Available(dst.value(), n);
  if (k == 0) return Errno{EFAULT};
  memcpy(&mem_[dst.value() - base_], src, k);
  return k;
}

ErrnoOr<uint32_t> FlatUserMemory::LoadU32(UserAddr addr) {
  if (addr.value() % 4 != 0) return Errno{EINVAL};
  absl::MutexLock l(&mu_);
  if (Available(addr.value(), 4) != 4) return Errno{EFAULT};
  uint32_t v;
  memcpy(&v, &mem_[addr.value() - base_], 4);
  return v;
}

ErrnoOr<uint32_t> FlatUserMemory::CompareExchangeU32(UserAddr addr,
                                                     uint32_t expected,
                                                     uint32_t desired) {
  if (addr.value() % 4 != 0) return Errno{EINVAL};
  absl::MutexLock l(&mu_);
  if (Available(addr.value(), 4) != 4) return Errno{EFAULT};
  uint32_t v;
  memcpy(&v, &mem_[addr.value() - base_], 4);
  if (v == expected) memcpy(&mem_[addr.value() - base_], &desired, 4);
  return v;
}

ErrnoOr<std::shared_ptr<UserMemory>> FlatUserMemory::Fork() {
  auto m = std::make_shared<FlatUserMemory>(base_, 0);
  absl::MutexLock l(&mu_);
  m->mem_ = mem_;
  return std::shared_ptr<UserMemory>(std::move(m));
}

ErrnoStatus FlatUserMemory::HandleFault(UserAddr addr,
                                        platform::AccessType access) {
  absl::MutexLock l(&mu_);
  return Available(addr.value(), 1) ? OkErrno() : ErrnoStatus(Errno{EFAULT});
}

}  // namespace sentry::kernel
