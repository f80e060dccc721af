// Application memory as the kernel sees it: a typed user address and the
// copy-in/copy-out interface.
//
// The typed addresses are sentry/mm's. UserMemory is the narrow interface the
// kernel needs from an address space: MmUserMemory (mm_adapter.h) wraps
// mm::MemoryManager for real tasks; FlatUserMemory is an in-process fake for
// unit tests: one contiguous buffer that appears at a fixed user address.
//
// Contract (like Linux's copy_{from,to}_user): copies never dereference a user
// address in the sentry directly; a copy that crosses an unmapped page stops
// there and reports the bytes done, or EFAULT when nothing was copied.
//
// Thread-safe: every method may be called from any task thread.
#ifndef SENTRY_KERNEL_USER_MEMORY_H_
#define SENTRY_KERNEL_USER_MEMORY_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sentry/base/errno.h"
#include "sentry/mm/usermem.h"
#include "sentry/platform/platform.h"

namespace sentry::mm {
class MemoryManager;
}  // namespace sentry::mm

namespace sentry::kernel {

using UserAddr = mm::UserAddr;
template <typename T>
using UserPtr = mm::UserPtr<T>;

// The highest user address + 1 on x86-64 (47-bit address space).
inline constexpr uint64_t kUserAddrEnd = uint64_t{1} << 47;

class UserMemory {
 public:
  virtual ~UserMemory() = default;

  // Copies up to n bytes; returns the count done (n unless a fault stopped
  // the copy) or EFAULT if none.
  virtual ErrnoOr<size_t> CopyIn(UserAddr src, void* dst, size_t n) = 0;
  virtual ErrnoOr<size_t> CopyOut(UserAddr dst, const void* src, size_t n) = 0;

  // Atomic 32-bit operations for futexes and robust lists. `addr` must be
  // 4-byte aligned (EINVAL otherwise).
  virtual ErrnoOr<uint32_t> LoadU32(UserAddr addr) = 0;
  // Compare-and-swap; returns the value found (== expected on success).
  virtual ErrnoOr<uint32_t> CompareExchangeU32(UserAddr addr, uint32_t expected,
                                               uint32_t desired) = 0;

  // The key of a shared (non-FUTEX_PRIVATE) futex: something that names the
  // same memory in every address space that maps it (mm: the memory-file
  // offset). The default keys by address space and address, which is right
  // for private mappings only.
  virtual std::pair<const void*, uint64_t> SharedFutexKey(UserAddr a) {
    return {this, a.value()};
  }

  // A copy-on-write duplicate for fork().
  virtual ErrnoOr<std::shared_ptr<UserMemory>> Fork() = 0;

  // Resolves a fault at `addr` (lazy population, COW break, stack growth).
  // EFAULT when the address is not mapped (-> SIGSEGV/SEGV_MAPERR), EACCES on
  // a protection violation (-> SEGV_ACCERR), EIO for SIGBUS.
  virtual ErrnoStatus HandleFault(UserAddr addr,
                                  platform::AccessType access) = 0;

  // The memory manager behind this address space (mm syscalls), or null
  // for fakes.
  virtual mm::MemoryManager* memory_manager() { return nullptr; }

  // The platform address space the task runs in (never null for a task
  // that runs; fakes return a do-nothing one).
  virtual platform::AddressSpace* address_space() = 0;

  // Helpers built on the primitives. Full copies: EFAULT on a short copy.
  template <typename T>
  ErrnoOr<T> CopyInObj(UserPtr<T> p) {
    T v;
    ASSIGN_OR_RETURN_ERRNO(size_t n, CopyIn(p.addr(), &v, sizeof(T)));
    if (n != sizeof(T)) return Errno{EFAULT};
    return v;
  }
  template <typename T>
  ErrnoStatus CopyOutObj(UserPtr<T> p, const T& v) {
    ASSIGN_OR_RETURN_ERRNO(size_t n, CopyOut(p.addr(), &v, sizeof(T)));
    if (n != sizeof(T)) return Errno{EFAULT};
    return OkErrno();
  }
  ErrnoStatus CopyInFull(UserAddr src, void* dst, size_t n);
  ErrnoStatus CopyOutFull(UserAddr dst, const void* src, size_t n);
  // Reads a NUL-terminated string of at most max_len bytes (ENAMETOOLONG if
  // longer, EFAULT if unreadable), like Linux's strncpy_from_user + checks.
  ErrnoOr<std::string> CopyInString(UserAddr src, size_t max_len);
};

// Test fake: `size` bytes of zeroed memory visible at [base, base+size).
class FlatUserMemory : public UserMemory {
 public:
  FlatUserMemory(uint64_t base, size_t size);

  ErrnoOr<size_t> CopyIn(UserAddr src, void* dst, size_t n) override;
  ErrnoOr<size_t> CopyOut(UserAddr dst, const void* src, size_t n) override;
  ErrnoOr<uint32_t> LoadU32(UserAddr addr) override;
  ErrnoOr<uint32_t> CompareExchangeU32(UserAddr addr, uint32_t expected,
                                       uint32_t desired) override;
  ErrnoOr<std::shared_ptr<UserMemory>> Fork() override;
  ErrnoStatus HandleFault(UserAddr addr, platform::AccessType access) override;
  platform::AddressSpace* address_space() override { return &as_; }

  uint64_t base() const { return base_; }
  size_t size() const { return mem_.size(); }

 private:
  // Bytes of [a, a+n) inside the buffer, from a's offset; 0 if a is outside.
  size_t Available(uint64_t a, size_t n) const;

  // Maps nothing: FlatUserMemory is only ever used by fake contexts.
  class NullAddressSpace : public platform::AddressSpace {
   public:
    ErrnoStatus MapFile(uint64_t, uint64_t, uint64_t, int) override {
      return OkErrno();
    }
    ErrnoStatus Unmap(uint64_t, uint64_t) override { return OkErrno(); }
    ErrnoStatus Protect(uint64_t, uint64_t, int) override { return OkErrno(); }
    void Release() override {}
  };

  const uint64_t base_;
  NullAddressSpace as_;
  absl::Mutex mu_;  // serialises the fake's atomics against copies
  std::vector<uint8_t> mem_;
};

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_USER_MEMORY_H_
