#include "sentry/mm/mappable.h"

#include <algorithm>
#include <cstring>

#include "sentry/mm/usermem.h"

namespace sentry::mm {

AnonymousMappable::~AnonymousMappable() {
  absl::MutexLock l(&mu_);
  for (auto& [idx, off] : pages_) mf_->DecRef(off);
}

ErrnoOr<uint64_t> AnonymousMappable::GetPage(uint64_t page_index, bool write) {
  if (page_index >= (size_ + kPageMask) / kPageSize) return Errno{EFAULT};
  absl::MutexLock l(&mu_);
  auto it = pages_.find(page_index);
  if (it == pages_.end()) {
    ASSIGN_OR_RETURN_ERRNO(uint64_t off, mf_->Allocate(1));
    it = pages_.emplace(page_index, off).first;
  }
  mf_->IncRef(it->second);
  return it->second;
}

ErrnoStatus AnonymousMappable::Write(uint64_t offset, const void* data,
                                     uint64_t len) {
  const auto* src = static_cast<const uint8_t*>(data);
  while (len > 0) {
    const uint64_t in_page = offset & kPageMask;
    const uint64_t n = std::min(len, kPageSize - in_page);
    ASSIGN_OR_RETURN_ERRNO(uint64_t frame, GetPage(offset / kPageSize, true));
    std::memcpy(mf_->Data(frame) + in_page, src, n);
    mf_->DecRef(frame);
    src += n;
    offset += n;
    len -= n;
  }
  return OkErrno();
}

ErrnoStatus AnonymousMappable::Read(uint64_t offset, void* data, uint64_t len) {
  auto* dst = static_cast<uint8_t*>(data);
  while (len > 0) {
    const uint64_t in_page = offset & kPageMask;
    const uint64_t n = std::min(len, kPageSize - in_page);
    ASSIGN_OR_RETURN_ERRNO(uint64_t frame, GetPage(offset / kPageSize, false));
    std::memcpy(dst, mf_->Data(frame) + in_page, n);
    mf_->DecRef(frame);
    dst += n;
    offset += n;
    len -= n;
  }
  return OkErrno();
}

}  // namespace sentry::mm
