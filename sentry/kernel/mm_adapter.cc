#include "sentry/kernel/mm_adapter.h"

namespace sentry::kernel {

ErrnoOr<size_t> MmUserMemory::CopyIn(UserAddr src, void* dst, size_t n) {
  if (n == 0) return size_t{0};
  size_t done = mm_->CopyInPartial(src, dst, n);
  if (done == 0) return Errno{EFAULT};
  return done;
}

ErrnoOr<size_t> MmUserMemory::CopyOut(UserAddr dst, const void* src, size_t n) {
  if (n == 0) return size_t{0};
  size_t done = mm_->CopyOutPartial(dst, src, n);
  if (done == 0) return Errno{EFAULT};
  return done;
}

ErrnoOr<uint32_t> MmUserMemory::LoadU32(UserAddr addr) {
  if (addr.value() % 4 != 0) return Errno{EINVAL};
  uint32_t v;
  RETURN_IF_ERRNO(mm_->CopyIn(addr, &v, sizeof(v)));
  return v;
}

ErrnoOr<uint32_t> MmUserMemory::CompareExchangeU32(UserAddr addr,
                                                   uint32_t expected,
                                                   uint32_t desired) {
  ASSIGN_OR_RETURN_ERRNO(uint32_t cur, LoadU32(addr));
  if (cur != expected) return cur;
  RETURN_IF_ERRNO(mm_->CopyOut(addr, &desired, sizeof(desired)));
  return cur;
}

ErrnoOr<std::shared_ptr<UserMemory>> MmUserMemory::Fork() {
  std::unique_ptr<platform::AddressSpace> as;
  if (platform_ != nullptr) {
    auto r = platform_->NewAddressSpace();
    if (!r.ok()) return Errno{EAGAIN};
    as = std::move(*r);
  }
  ASSIGN_OR_RETURN_ERRNO(std::unique_ptr<mm::MemoryManager> child,
                         mm_->Fork(std::move(as)));
  return std::shared_ptr<UserMemory>(std::make_shared<MmUserMemory>(
      std::shared_ptr<mm::MemoryManager>(std::move(child)), platform_));
}

ErrnoStatus MmUserMemory::HandleFault(UserAddr addr,
                                      platform::AccessType access) {
  switch (mm_->HandleFault(addr, access)) {
    case mm::FaultResult::kOk:
      return OkErrno();
    case mm::FaultResult::kSegvMapErr:
      return Errno{EFAULT};
    case mm::FaultResult::kSegvAccErr:
      return Errno{EACCES};
    case mm::FaultResult::kBus:
      return Errno{EIO};
  }
  return Errno{EFAULT};
}

}  // namespace sentry::kernel
