// VMA bookkeeping and the memory syscalls. Faults, copies, fork and
// /proc/pid/maps are in memory_manager_io.cc.
#include "sentry/mm/memory_manager.h"

#include <algorithm>
#include <iterator>

namespace sentry::mm {

namespace {
constexpr int kProtMask = PROT_READ | PROT_WRITE | PROT_EXEC;
}  // namespace

MemoryManager::MemoryManager(MemoryFile* mf,
                             std::unique_ptr<platform::AddressSpace> as,
                             MemoryManagerLimits limits)
    : mf_(mf), as_(std::move(as)), limits_(limits) {}

MemoryManager::~MemoryManager() {
  absl::MutexLock l(&mu_);
  // Kill the stubs before releasing frames they may still map.
  if (as_ != nullptr) as_->Release();
  for (auto& [addr, pte] : pages_) mf_->DecRef(pte.frame);
  pages_.clear();
  vmas_.clear();
}

void MemoryManager::SetLimits(const MemoryManagerLimits& l) {
  absl::MutexLock lock(&mu_);
  limits_ = l;
}

MemoryManagerLimits MemoryManager::limits() {
  absl::MutexLock lock(&mu_);
  return limits_;
}

void MemoryManager::SetMmapBase(uint64_t base) {
  absl::MutexLock l(&mu_);
  mmap_base_ = PageDown(base);
}

std::map<uint64_t, MemoryManager::Vma>::iterator MemoryManager::FindVmaLocked(
    uint64_t addr) {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return vmas_.end();
  --it;
  return addr < it->second.end ? it : vmas_.end();
}

bool MemoryManager::RangeFreeLocked(uint64_t start, uint64_t end) const {
  auto it = vmas_.lower_bound(start);
  if (it != vmas_.end() && it->second.start < end) return false;
  if (it != vmas_.begin() && std::prev(it)->second.end > start) return false;
  return true;
}

bool MemoryManager::RangeFullyMappedLocked(uint64_t start, uint64_t end) const {
  uint64_t cur = start;
  auto it = vmas_.upper_bound(cur);
  if (it != vmas_.begin()) --it;
  for (; it != vmas_.end() && cur < end; ++it) {
    if (it->second.end <= cur) continue;
    if (it->second.start > cur) return false;
    cur = it->second.end;
  }
  return cur >= end;
}

void MemoryManager::SplitAtLocked(uint64_t addr) {
  auto it = FindVmaLocked(addr);
  if (it == vmas_.end() || it->second.start == addr) return;
  Vma hi = it->second;
  hi.offset += addr - hi.start;
  hi.start = addr;
  it->second.end = addr;
  vmas_.emplace(addr, std::move(hi));
}

void MemoryManager::MergeAroundLocked(uint64_t addr) {
  auto same = [](const Vma& a, const Vma& b) {
    return a.end == b.start && a.prot == b.prot && a.max_prot == b.max_prot &&
           a.shared == b.shared && a.growsdown == b.growsdown &&
           a.locked == b.locked && a.dontfork == b.dontfork &&
           a.file == b.file && a.name == b.name &&
           (a.file == nullptr || a.offset + (a.end - a.start) == b.offset);
  };
  auto it = vmas_.find(addr);
  if (it == vmas_.end()) return;
  if (it != vmas_.begin()) {
    auto p = std::prev(it);
    if (same(p->second, it->second)) {
      p->second.end = it->second.end;
      vmas_.erase(it);
      it = p;
    }
  }
  auto n = std::next(it);
  if (n != vmas_.end() && same(it->second, n->second)) {
    it->second.end = n->second.end;
    vmas_.erase(n);
  }
}

void MemoryManager::StubUnmapLocked(uint64_t start, uint64_t end) {
  bool any = false;
  for (auto it = pages_.lower_bound(start);
       it != pages_.end() && it->first < end; ++it) {
    if (it->second.mapped_prot != 0) {
      any = true;
      it->second.mapped_prot = 0;
    }
  }
  if (any && as_ != nullptr) (void)as_->Unmap(start, end - start);
}

void MemoryManager::DropPagesLocked(uint64_t start, uint64_t end) {
  StubUnmapLocked(start, end);
  auto it = pages_.lower_bound(start);
  while (it != pages_.end() && it->first < end) {
    mf_->DecRef(it->second.frame);
    it = pages_.erase(it);
  }
}

void MemoryManager::UnmapLocked(uint64_t start, uint64_t end) {
  SplitAtLocked(start);
  SplitAtLocked(end);
  auto it = vmas_.lower_bound(start);
  while (it != vmas_.end() && it->second.start < end) it = vmas_.erase(it);
  DropPagesLocked(start, end);
}

ErrnoOr<uint64_t> MemoryManager::FindGapLocked(uint64_t hint, uint64_t len,
                                               uint64_t limit) {
  const uint64_t lo = limits_.min_addr;
  const uint64_t hi =
      limit != 0 ? std::min(limit, limits_.max_addr) : limits_.max_addr;
  if (len > hi - lo) return Errno{ENOMEM};
  if (hint != 0) {
    hint = PageDown(hint);
    if (hint >= lo && hint <= hi - len && RangeFreeLocked(hint, hint + len))
      return hint;
  }
  // Top-down from the mmap base, like Linux's default layout.
  uint64_t gap_end = (mmap_base_ != 0 && mmap_base_ <= hi) ? mmap_base_ : hi;
  auto it = vmas_.lower_bound(gap_end);
  for (;;) {
    uint64_t gap_start = lo;
    if (it != vmas_.begin()) {
      auto p = std::prev(it);
      if (p->second.end > gap_end) {  // straddles: look below it
        gap_end = std::min(gap_end, p->second.start);
        it = p;
        continue;
      }
      gap_start = std::max(lo, p->second.end);
    }
    if (gap_end >= gap_start && gap_end - gap_start >= len)
      return gap_end - len;
    if (it == vmas_.begin()) break;
    --it;
    gap_end = it->second.start;
  }
  // Then bottom-up above the base.
  uint64_t cur = (mmap_base_ != 0 && mmap_base_ <= hi) ? mmap_base_ : hi;
  for (auto i = vmas_.lower_bound(cur); cur <= hi - len; ++i) {
    uint64_t next = i == vmas_.end() ? hi : i->second.start;
    if (next >= cur && next - cur >= len) return cur;
    if (i == vmas_.end()) break;
    cur = std::max(cur, i->second.end);
  }
  return Errno{ENOMEM};
}

ErrnoOr<UserAddr> MemoryManager::Mmap(const MmapOpts& o) {
  if (o.length == 0) return Errno{EINVAL};
  auto len_up = PageUp(o.length);
  if (!len_up) return Errno{ENOMEM};
  const uint64_t len = *len_up;
  if (!IsPageAligned(o.offset)) return Errno{EINVAL};
  if (o.offset > ~uint64_t{0} - len) return Errno{EOVERFLOW};
  const int type = o.flags & MAP_TYPE;
  if (type != MAP_SHARED && type != MAP_PRIVATE &&
      type != MAP_SHARED_VALIDATE) {
    return Errno{EINVAL};
  }
  const bool shared = type != MAP_PRIVATE;
  const bool anonymous = (o.flags & MAP_ANONYMOUS) != 0 || o.file == nullptr;
  const bool noreplace = (o.flags & MAP_FIXED_NOREPLACE) != 0;
  const bool fixed = (o.flags & MAP_FIXED) != 0 || noreplace;
  if (fixed && !IsPageAligned(o.addr)) return Errno{EINVAL};
  if (o.prot & ~kProtMask) return Errno{EINVAL};
  if (shared && !anonymous && (o.prot & PROT_WRITE) &&
      !(o.max_prot & PROT_WRITE)) {
    return Errno{EACCES};
  }

  absl::MutexLock l(&mu_);
  uint64_t start;
  if (fixed) {
    if (o.addr > limits_.max_addr || len > limits_.max_addr - o.addr)
      return Errno{ENOMEM};
    if (o.addr < limits_.min_addr) return Errno{EPERM};
    start = o.addr;
    if (noreplace && !(o.flags & MAP_FIXED)) {
      if (!RangeFreeLocked(start, start + len)) return Errno{EEXIST};
    }
  } else {
    // MAP_32BIT: Linux places it in the first 2 GiB.
    ASSIGN_OR_RETURN_ERRNO(
        start,
        FindGapLocked(o.addr, len, (o.flags & MAP_32BIT) ? 0x80000000ull : 0));
  }
  const bool locked = (o.flags & MAP_LOCKED) != 0 || lock_future_;
  if (locked && limits_.memlock_limit != ~uint64_t{0} &&
      LockedBytesLocked() + len > limits_.memlock_limit) {
    return Errno{EAGAIN};
  }
  if (fixed) UnmapLocked(start, start + len);

  Vma v;
  v.start = start;
  v.end = start + len;
  v.prot = o.prot;
  v.shared = shared;
  v.growsdown = (o.flags & MAP_GROWSDOWN) != 0;
  v.locked = locked;
  v.name = o.name;
  if (anonymous) {
    v.max_prot = kProtMask;
    if (shared) {
      v.file =
          std::make_shared<AnonymousMappable>(mf_, len, "/dev/zero (deleted)");
    }
  } else {
    v.file = o.file;
    v.offset = o.offset;
    v.max_prot = shared ? o.max_prot : kProtMask;
  }
  vmas_.emplace(start, std::move(v));
  if ((o.flags & MAP_POPULATE) || locked) {
    (void)PopulateLocked(start, start + len, (o.prot & PROT_WRITE) != 0);
  }
  return UserAddr(start);
}

ErrnoStatus MemoryManager::Munmap(UserAddr addr, uint64_t length) {
  if (!addr.IsPageAligned() || length == 0) return Errno{EINVAL};
  auto len = PageUp(length);
  if (!len || addr.value() > ~uint64_t{0} - *len) return Errno{EINVAL};
  absl::MutexLock l(&mu_);
  if (addr.value() + *len > limits_.max_addr) {
    if (addr.value() >= limits_.max_addr) return Errno{EINVAL};
  }
  UnmapLocked(addr.value(), addr.value() + *len);
  return OkErrno();
}

ErrnoStatus MemoryManager::Mprotect(UserAddr addr, uint64_t length, int prot) {
  if (!addr.IsPageAligned()) return Errno{EINVAL};
  if (prot & ~(kProtMask | PROT_GROWSDOWN | PROT_GROWSUP)) return Errno{EINVAL};
  prot &= kProtMask;
  if (length == 0) return OkErrno();
  auto len = PageUp(length);
  if (!len || addr.value() > ~uint64_t{0} - *len) return Errno{ENOMEM};
  const uint64_t start = addr.value(), end = start + *len;
  absl::MutexLock l(&mu_);
  if (!RangeFullyMappedLocked(start, end)) return Errno{ENOMEM};
  for (auto it = FindVmaLocked(start);
       it != vmas_.end() && it->second.start < end; ++it) {
    if (prot & ~it->second.max_prot) return Errno{EACCES};
  }
  SplitAtLocked(start);
  SplitAtLocked(end);
  for (auto it = vmas_.find(start); it != vmas_.end() && it->second.start < end;
       ++it) {
    it->second.prot = prot;
  }
  // The stub's view is rebuilt lazily on the next fault.
  StubUnmapLocked(start, end);
  MergeAroundLocked(start);
  auto e = FindVmaLocked(end);
  if (e != vmas_.end()) MergeAroundLocked(e->second.start);
  return OkErrno();
}

ErrnoOr<UserAddr> MemoryManager::Mremap(UserAddr old_addr, uint64_t old_len,
                                        uint64_t new_len, int flags,
                                        UserAddr new_addr) {
  // MREMAP_DONTUNMAP is not supported (EINVAL, as on kernels before 5.7).
  if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) return Errno{EINVAL};
  if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) return Errno{EINVAL};
  if (!old_addr.IsPageAligned()) return Errno{EINVAL};
  auto nl = PageUp(new_len);
  auto ol = PageUp(old_len);
  if (new_len == 0 || !nl || !ol) return Errno{EINVAL};
  const uint64_t old_start = old_addr.value();
  if (*ol == 0) {
    // Linux: a zero old_len makes a second mapping of the same pages of a
    // shared mapping (MREMAP_MAYMOVE required); private ones are EINVAL.
    if (!(flags & MREMAP_MAYMOVE)) return Errno{EINVAL};
    absl::MutexLock l(&mu_);
    auto it = FindVmaLocked(old_start);
    if (it == vmas_.end()) return Errno{EFAULT};
    if (!it->second.shared || it->second.file == nullptr) return Errno{EINVAL};
    Vma dup = it->second;
    dup.offset += old_start - dup.start;
    dup.locked = false;
    uint64_t dst;
    if (flags & MREMAP_FIXED) {
      dst = new_addr.value();
      if (!new_addr.IsPageAligned() || dst < limits_.min_addr ||
          dst > limits_.max_addr || *nl > limits_.max_addr - dst) {
        return Errno{EINVAL};
      }
      UnmapLocked(dst, dst + *nl);
    } else {
      ASSIGN_OR_RETURN_ERRNO(dst, FindGapLocked(0, *nl));
    }
    dup.start = dst;
    dup.end = dst + *nl;
    vmas_.emplace(dst, std::move(dup));
    return UserAddr(dst);
  }
  if (old_start > ~uint64_t{0} - *ol) return Errno{EFAULT};
  const uint64_t old_end = old_start + *ol;

  absl::MutexLock l(&mu_);
  auto it = FindVmaLocked(old_start);
  if (it == vmas_.end() || old_end > it->second.end) return Errno{EFAULT};
  const bool fixed = (flags & MREMAP_FIXED) != 0;
  if (fixed) {
    const uint64_t ns = new_addr.value();
    if (!new_addr.IsPageAligned()) return Errno{EINVAL};
    if (ns > limits_.max_addr || *nl > limits_.max_addr - ns ||
        ns < limits_.min_addr) {
      return Errno{EINVAL};
    }
    if (ns < old_end && old_start < ns + *nl) return Errno{EINVAL};
  }
  if (!fixed && *nl <= *ol) {
    if (*nl < *ol) UnmapLocked(old_start + *nl, old_end);
    return old_addr;
  }
  if (!fixed && old_end == it->second.end &&
      old_start + *nl <= limits_.max_addr &&
      RangeFreeLocked(old_end, old_start + *nl)) {
    Vma& v = it->second;
    if (v.locked && limits_.memlock_limit != ~uint64_t{0} &&
        LockedBytesLocked() + (*nl - *ol) > limits_.memlock_limit) {
      return Errno{EAGAIN};
    }
    v.end = old_start + *nl;
    if (v.locked) (void)PopulateLocked(old_end, v.end, false);
    return old_addr;
  }
  if (!(flags & MREMAP_MAYMOVE)) return Errno{ENOMEM};
  uint64_t dst;
  if (fixed) {
    dst = new_addr.value();
    UnmapLocked(dst, dst + *nl);
    it = FindVmaLocked(old_start);  // iterators may have moved
  } else {
    ASSIGN_OR_RETURN_ERRNO(dst, FindGapLocked(0, *nl));
  }
  Vma moved = it->second;
  moved.offset += old_start - moved.start;
  moved.start = dst;
  moved.end = dst + *nl;
  const uint64_t keep = std::min(*ol, *nl);
  // Move the pages of the kept part; the stub's old view goes away.
  StubUnmapLocked(old_start, old_end);
  std::vector<std::pair<uint64_t, Pte>> moving;
  for (auto p = pages_.lower_bound(old_start);
       p != pages_.end() && p->first < old_start + keep;) {
    moving.emplace_back(p->first - old_start + dst, p->second);
    p = pages_.erase(p);
  }
  UnmapLocked(old_start, old_end);
  for (auto& [a, pte] : moving) pages_[a] = Pte{pte.frame, 0};
  vmas_.emplace(dst, std::move(moved));
  return UserAddr(dst);
}

void MemoryManager::SetBrkStart(UserAddr start) {
  absl::MutexLock l(&mu_);
  brk_start_ = brk_ = start.value();
}

UserAddr MemoryManager::brk() const {
  absl::MutexLock l(&mu_);
  return UserAddr(brk_);
}

UserAddr MemoryManager::Brk(UserAddr addr) {
  absl::MutexLock l(&mu_);
  const uint64_t want = addr.value();
  if (want < brk_start_ || want - brk_start_ > limits_.data_limit)
    return UserAddr(brk_);
  auto new_end = PageUp(want);
  auto old_end = PageUp(brk_);
  if (!new_end || !old_end || *new_end > limits_.max_addr)
    return UserAddr(brk_);
  if (*new_end > *old_end) {
    if (!RangeFreeLocked(*old_end, *new_end)) return UserAddr(brk_);
    Vma v;
    v.start = *old_end;
    v.end = *new_end;
    v.prot = PROT_READ | PROT_WRITE;
    v.max_prot = kProtMask;
    v.name = "[heap]";
    v.locked = lock_future_;
    vmas_.emplace(v.start, v);
    MergeAroundLocked(v.start);
  } else if (*new_end < *old_end) {
    UnmapLocked(*new_end, *old_end);
  }
  brk_ = want;
  return UserAddr(brk_);
}

ErrnoStatus MemoryManager::Madvise(UserAddr addr, uint64_t length, int advice) {
  if (!addr.IsPageAligned()) return Errno{EINVAL};
  switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_DONTNEED:
    case MADV_FREE:
    case MADV_REMOVE:
    case MADV_DONTFORK:
    case MADV_DOFORK:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
    case MADV_COLD:
    case MADV_PAGEOUT:
      break;
    default:
      return Errno{EINVAL};
  }
  if (length == 0) return OkErrno();
  auto len = PageUp(length);
  if (!len || addr.value() > ~uint64_t{0} - *len) return Errno{EINVAL};
  const uint64_t start = addr.value(), end = start + *len;
  absl::MutexLock l(&mu_);
  const bool holes = !RangeFullyMappedLocked(start, end);
  if (advice == MADV_DONTNEED || advice == MADV_REMOVE) {
    for (auto it = FindVmaLocked(start) != vmas_.end()
                       ? FindVmaLocked(start)
                       : vmas_.lower_bound(start);
         it != vmas_.end() && it->second.start < end; ++it) {
      const Vma& v = it->second;
      if (v.locked && advice == MADV_DONTNEED) return Errno{EINVAL};
      const uint64_t s = std::max(start, v.start), e = std::min(end, v.end);
      if (v.shared) {
        StubUnmapLocked(s, e);  // the data stays in the shared object
      } else {
        DropPagesLocked(s, e);  // private: zero-fill (or file) on next touch
      }
    }
  } else if (advice == MADV_DONTFORK || advice == MADV_DOFORK) {
    SplitAtLocked(start);
    SplitAtLocked(end);
    for (auto it = vmas_.lower_bound(start);
         it != vmas_.end() && it->second.start < end; ++it) {
      it->second.dontfork = advice == MADV_DONTFORK;
    }
  } else if (advice == MADV_WILLNEED) {
    (void)PopulateLocked(start, end, false);
  }
  // Linux applies the advice to the mapped parts and then reports the holes.
  return holes ? ErrnoStatus(Errno{ENOMEM}) : OkErrno();
}

ErrnoOr<std::vector<uint8_t>> MemoryManager::Mincore(UserAddr addr,
                                                     uint64_t length) {
  if (!addr.IsPageAligned()) return Errno{EINVAL};
  auto len = PageUp(length);
  if (!len || addr.value() > ~uint64_t{0} - *len) return Errno{ENOMEM};
  const uint64_t start = addr.value(), end = start + *len;
  absl::MutexLock l(&mu_);
  if (end > limits_.max_addr || !RangeFullyMappedLocked(start, end))
    return Errno{ENOMEM};
  std::vector<uint8_t> out(*len / kPageSize, 0);
  for (auto it = pages_.lower_bound(start);
       it != pages_.end() && it->first < end; ++it) {
    out[(it->first - start) / kPageSize] = 1;
  }
  return out;
}

ErrnoStatus MemoryManager::Msync(UserAddr addr, uint64_t length, int flags) {
  if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) return Errno{EINVAL};
  if ((flags & MS_ASYNC) && (flags & MS_SYNC)) return Errno{EINVAL};
  if (!addr.IsPageAligned()) return Errno{EINVAL};
  auto len = PageUp(length);
  if (!len || addr.value() > ~uint64_t{0} - *len) return Errno{ENOMEM};
  const uint64_t start = addr.value(), end = start + *len;
  absl::MutexLock l(&mu_);
  if (!RangeFullyMappedLocked(start, end)) return Errno{ENOMEM};
  for (auto it = FindVmaLocked(start);
       it != vmas_.end() && it->second.start < end; ++it) {
    const Vma& v = it->second;
    if ((flags & MS_INVALIDATE) && v.locked) return Errno{EBUSY};
    if (v.shared && v.file != nullptr && (flags & MS_SYNC)) {
      const uint64_t s = std::max(start, v.start), e = std::min(end, v.end);
      RETURN_IF_ERRNO(v.file->Sync(v.offset + (s - v.start), e - s));
    }
  }
  return OkErrno();
}

uint64_t MemoryManager::LockedBytesLocked() const {
  uint64_t n = 0;
  for (const auto& [s, v] : vmas_) {
    if (v.locked) n += v.end - v.start;
  }
  return n;
}

uint64_t MemoryManager::LockedBytes() const {
  absl::MutexLock l(&mu_);
  return LockedBytesLocked();
}

ErrnoStatus MemoryManager::Mlock(UserAddr addr, uint64_t length, bool onfault) {
  const uint64_t start = addr.PageDown().value();
  if (addr.value() > ~uint64_t{0} - length) return Errno{ENOMEM};
  auto end_up = PageUp(addr.value() + length);
  if (!end_up) return Errno{ENOMEM};
  const uint64_t end = *end_up;
  if (start == end) return OkErrno();
  absl::MutexLock l(&mu_);
  if (!RangeFullyMappedLocked(start, end)) return Errno{ENOMEM};
  uint64_t extra = 0;
  for (auto it = FindVmaLocked(start);
       it != vmas_.end() && it->second.start < end; ++it) {
    if (!it->second.locked) {
      extra +=
          std::min(end, it->second.end) - std::max(start, it->second.start);
    }
  }
  if (limits_.memlock_limit != ~uint64_t{0} &&
      LockedBytesLocked() + extra > limits_.memlock_limit) {
    return limits_.memlock_limit == 0 ? ErrnoStatus(Errno{EPERM})
                                      : ErrnoStatus(Errno{ENOMEM});
  }
  SplitAtLocked(start);
  SplitAtLocked(end);
  for (auto it = vmas_.find(start); it != vmas_.end() && it->second.start < end;
       ++it) {
    it->second.locked = true;
  }
  if (!onfault) (void)PopulateLocked(start, end, false);
  return OkErrno();
}

ErrnoStatus MemoryManager::Munlock(UserAddr addr, uint64_t length) {
  const uint64_t start = addr.PageDown().value();
  if (addr.value() > ~uint64_t{0} - length) return Errno{ENOMEM};
  auto end_up = PageUp(addr.value() + length);
  if (!end_up) return Errno{ENOMEM};
  const uint64_t end = *end_up;
  if (start == end) return OkErrno();
  absl::MutexLock l(&mu_);
  if (!RangeFullyMappedLocked(start, end)) return Errno{ENOMEM};
  SplitAtLocked(start);
  SplitAtLocked(end);
  for (auto it = vmas_.find(start); it != vmas_.end() && it->second.start < end;
       ++it) {
    it->second.locked = false;
  }
  MergeAroundLocked(start);
  return OkErrno();
}

ErrnoStatus MemoryManager::Mlockall(int flags) {
  if (flags == 0 || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) ||
      flags == MCL_ONFAULT) {
    return Errno{EINVAL};
  }
  absl::MutexLock l(&mu_);
  if (flags & MCL_CURRENT) {
    uint64_t total = 0;
    for (const auto& [s, v] : vmas_) total += v.end - v.start;
    if (limits_.memlock_limit != ~uint64_t{0} &&
        total > limits_.memlock_limit) {
      return Errno{ENOMEM};
    }
    for (auto& [s, v] : vmas_) {
      v.locked = true;
      if (!(flags & MCL_ONFAULT)) (void)PopulateLocked(v.start, v.end, false);
    }
  }
  lock_future_ = (flags & MCL_FUTURE) != 0;
  return OkErrno();
}

ErrnoStatus MemoryManager::Munlockall() {
  absl::MutexLock l(&mu_);
  for (auto& [s, v] : vmas_) v.locked = false;
  lock_future_ = false;
  return OkErrno();
}

}  // namespace sentry::mm
