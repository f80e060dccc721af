// MmUserMemory: the kernel's UserMemory over sentry/mm's MemoryManager.
//
// Partial: the atomic operations futexes need are not offered by the memory
// manager yet, so CompareExchangeU32 is a read-compare-write through the
// sentry mapping, serialised only against other sentry callers (the futex
// table lock). A concurrent application write to the same word between the
// read and the write can be lost (robust-list and PI paths only; plain
// FUTEX_WAIT/WAKE only read). Fix: an mm primitive that does a real atomic
// on the memory file's sentry mapping.
#ifndef SENTRY_KERNEL_MM_ADAPTER_H_
#define SENTRY_KERNEL_MM_ADAPTER_H_

#include <memory>

#include "sentry/kernel/user_memory.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/platform/platform.h"

namespace sentry::kernel {

class MmUserMemory : public UserMemory {
 public:
  // `platform` (may be null in tests) makes the address space of a fork.
  MmUserMemory(std::shared_ptr<mm::MemoryManager> mm,
               platform::Platform* platform)
      : mm_(std::move(mm)), platform_(platform) {}

  mm::MemoryManager* memory_manager() override { return mm_.get(); }

  ErrnoOr<size_t> CopyIn(UserAddr src, void* dst, size_t n) override;
  ErrnoOr<size_t> CopyOut(UserAddr dst, const void* src, size_t n) override;
  ErrnoOr<uint32_t> LoadU32(UserAddr addr) override;
  ErrnoOr<uint32_t> CompareExchangeU32(UserAddr addr, uint32_t expected,
                                       uint32_t desired) override;
  ErrnoOr<std::shared_ptr<UserMemory>> Fork() override;
  ErrnoStatus HandleFault(UserAddr addr, platform::AccessType access) override;
  platform::AddressSpace* address_space() override {
    return mm_->address_space();
  }

 private:
  std::shared_ptr<mm::MemoryManager> mm_;
  platform::Platform* platform_;
};

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_MM_ADAPTER_H_
