// Page faults, copies through the memory file, fork and /proc/pid/maps.
#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"
#include "sentry/mm/memory_manager.h"

namespace sentry::mm {

namespace {
constexpr uint64_t kFaultAroundPages = 16;
}  // namespace

int MemoryManager::StubProtLocked(const Vma& vma, const Pte& pte) const {
  int prot = vma.prot;
  // A private page whose frame is shared (after fork, or still the file's
  // page-cache frame) is mapped read-only; a write faults and copies.
  if (!vma.shared && (prot & PROT_WRITE) && mf_->RefCount(pte.frame) > 1) {
    prot &= ~PROT_WRITE;
  }
  return prot;
}

ErrnoOr<MemoryManager::Pte*> MemoryManager::EnsurePageLocked(Vma& vma,
                                                             uint64_t page,
                                                             bool write) {
  auto it = pages_.find(page);
  if (it == pages_.end()) {
    uint64_t frame;
    if (vma.file != nullptr) {
      const uint64_t index = (vma.offset + (page - vma.start)) / kPageSize;
      ASSIGN_OR_RETURN_ERRNO(frame,
                             vma.file->GetPage(index, write && vma.shared));
    } else {
      ASSIGN_OR_RETURN_ERRNO(frame, mf_->Allocate(1));
    }
    it = pages_.emplace(page, Pte{frame, 0}).first;
  }
  Pte& pte = it->second;
  if (write && !vma.shared && mf_->RefCount(pte.frame) > 1) {
    ASSIGN_OR_RETURN_ERRNO(uint64_t copy, mf_->Allocate(1));
    std::memcpy(mf_->Data(copy), mf_->Data(pte.frame), kPageSize);
    // The stub must stop seeing the old frame before we let go of it.
    if (pte.mapped_prot != 0) {
      pte.mapped_prot = 0;
      if (as_ != nullptr) (void)as_->Unmap(page, kPageSize);
    }
    mf_->DecRef(pte.frame);
    pte.frame = copy;
  }
  return &pte;
}

void MemoryManager::MapIntoStubLocked(const Vma& vma, uint64_t start,
                                      uint64_t end) {
  if (as_ == nullptr) return;
  uint64_t run_addr = 0, run_frame = 0, run_len = 0;
  int run_prot = 0;
  auto flush = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (run_len == 0) return;
    if (!as_->MapFile(run_addr, run_len, run_frame, run_prot).ok()) {
      for (uint64_t a = run_addr; a < run_addr + run_len; a += kPageSize) {
        pages_[a].mapped_prot = 0;
      }
    }
    run_len = 0;
  };
  for (auto it = pages_.lower_bound(start);
       it != pages_.end() && it->first < end; ++it) {
    Pte& pte = it->second;
    if (pte.mapped_prot != 0) {
      flush();
      continue;
    }
    const int prot = StubProtLocked(vma, pte);
    if (prot == 0) {
      flush();
      continue;
    }
    if (run_len > 0 && run_addr + run_len == it->first &&
        run_frame + run_len == pte.frame && run_prot == prot) {
      run_len += kPageSize;
    } else {
      flush();
      run_addr = it->first;
      run_frame = pte.frame;
      run_len = kPageSize;
      run_prot = prot;
    }
    pte.mapped_prot = prot;
  }
  flush();
}

ErrnoStatus MemoryManager::PopulateLocked(uint64_t start, uint64_t end,
                                          bool write) {
  for (auto it = FindVmaLocked(start) != vmas_.end() ? FindVmaLocked(start)
                                                     : vmas_.lower_bound(start);
       it != vmas_.end() && it->second.start < end; ++it) {
    Vma& v = it->second;
    if (v.prot == PROT_NONE) continue;
    const uint64_t s = std::max(start, v.start), e = std::min(end, v.end);
    if (v.file == nullptr) {
      // Allocate the missing pages in as few contiguous runs as possible.
      uint64_t a = s;
      while (a < e) {
        if (pages_.count(a)) {
          a += kPageSize;
          continue;
        }
        uint64_t b = a;
        while (b < e && !pages_.count(b)) b += kPageSize;
        auto first = mf_->Allocate((b - a) / kPageSize);
        if (!first.ok()) return first.error();
        for (uint64_t p = a; p < b; p += kPageSize)
          pages_[p] = Pte{*first + (p - a), 0};
        a = b;
      }
    } else {
      for (uint64_t p = s; p < e; p += kPageSize) {
        auto r = EnsurePageLocked(v, p, write && (v.prot & PROT_WRITE));
        if (!r.ok()) break;  // past EOF: stop quietly, like Linux
      }
    }
    MapIntoStubLocked(v, s, e);
  }
  return OkErrno();
}

FaultResult MemoryManager::HandleFault(UserAddr addr,
                                       platform::AccessType access) {
  const uint64_t page = PageDown(addr.value());
  absl::MutexLock l(&mu_);
  auto it = FindVmaLocked(page);
  if (it == vmas_.end()) {
    // Stack growth: a fault below a MAP_GROWSDOWN mapping extends it, up to
    // RLIMIT_STACK (no guard gap is kept).
    auto next = vmas_.upper_bound(page);
    if (next == vmas_.end() || !next->second.growsdown ||
        next->second.end - page > limits_.stack_limit ||
        page < limits_.min_addr) {
      return FaultResult::kSegvMapErr;
    }
    Vma grown = next->second;
    vmas_.erase(next);
    grown.start = page;
    it = vmas_.emplace(page, std::move(grown)).first;
  }
  Vma& v = it->second;
  const bool write = access == platform::AccessType::kWrite;
  if (v.prot == PROT_NONE) return FaultResult::kSegvAccErr;
  if (write && !(v.prot & PROT_WRITE)) return FaultResult::kSegvAccErr;
  if (access == platform::AccessType::kExec && !(v.prot & PROT_EXEC)) {
    return FaultResult::kSegvAccErr;
  }
  // Fault-around window: the aligned 16-page block, within the VMA.
  const uint64_t block = kFaultAroundPages * kPageSize;
  const uint64_t ws = std::max(v.start, page & ~(block - 1));
  const uint64_t we = std::min(v.end, (page & ~(block - 1)) + block);
  if (v.file == nullptr && !pages_.count(page)) {
    uint64_t a = page, b = page + kPageSize;
    while (a > ws && !pages_.count(a - kPageSize)) a -= kPageSize;
    while (b < we && !pages_.count(b)) b += kPageSize;
    auto first = mf_->Allocate((b - a) / kPageSize);
    if (!first.ok()) return FaultResult::kBus;
    for (uint64_t p = a; p < b; p += kPageSize)
      pages_[p] = Pte{*first + (p - a), 0};
  }
  auto pte = EnsurePageLocked(v, page, write);
  if (!pte.ok()) return FaultResult::kBus;
  // The faulting page may be mapped with too little access (a read-only COW
  // page on a write): it is replaced by the mapping below.
  if ((*pte)->mapped_prot != 0 && write &&
      !((*pte)->mapped_prot & PROT_WRITE)) {
    (*pte)->mapped_prot = 0;
  } else if ((*pte)->mapped_prot != 0) {
    // Spurious (another thread mapped it, or the platform's access guess was
    // weaker than the real access): remap it to be sure.
    (*pte)->mapped_prot = 0;
  }
  MapIntoStubLocked(v, ws, we);
  return FaultResult::kOk;
}

size_t MemoryManager::CopyLocked(uint64_t addr, uint8_t* buf, size_t len,
                                 bool out, bool force) {
  // A range that wraps is cut at the wrap: the tail faults.
  if (addr > ~uint64_t{0} - len) len = ~uint64_t{0} - addr;
  size_t done = 0;
  while (done < len) {
    const uint64_t cur = addr + done;
    auto it = FindVmaLocked(cur);
    if (it == vmas_.end()) break;
    Vma& v = it->second;
    if (!force) {
      if (out && !(v.prot & PROT_WRITE)) break;
      if (!out && v.prot == PROT_NONE) break;
    }
    auto pte = EnsurePageLocked(v, PageDown(cur), out);
    if (!pte.ok()) break;
    const size_t in_page = cur & kPageMask;
    const size_t n = std::min<size_t>(len - done, kPageSize - in_page);
    uint8_t* mem = mf_->Data((*pte)->frame) + in_page;
    if (out) {
      std::memcpy(mem, buf + done, n);
    } else {
      std::memcpy(buf + done, mem, n);
    }
    done += n;
  }
  return done;
}

size_t MemoryManager::CopyOutPartial(UserAddr addr, const void* src, size_t len,
                                     bool force) {
  absl::MutexLock l(&mu_);
  return CopyLocked(addr.value(),
                    const_cast<uint8_t*>(static_cast<const uint8_t*>(src)), len,
                    true, force);
}

size_t MemoryManager::CopyInPartial(UserAddr addr, void* dst, size_t len) {
  absl::MutexLock l(&mu_);
  return CopyLocked(addr.value(), static_cast<uint8_t*>(dst), len, false,
                    false);
}

ErrnoStatus MemoryManager::CopyOut(UserAddr addr, const void* src, size_t len,
                                   bool force) {
  return CopyOutPartial(addr, src, len, force) == len
             ? OkErrno()
             : ErrnoStatus(Errno{EFAULT});
}

ErrnoStatus MemoryManager::CopyIn(UserAddr addr, void* dst, size_t len) {
  return CopyInPartial(addr, dst, len) == len ? OkErrno()
                                              : ErrnoStatus(Errno{EFAULT});
}

ErrnoStatus MemoryManager::ZeroOut(UserAddr addr, size_t len, bool force) {
  static const uint8_t kZeros[kPageSize] = {};
  size_t done = 0;
  while (done < len) {
    const size_t n = std::min<size_t>(len - done, kPageSize);
    auto a = addr.Add(done);
    if (!a) return Errno{EFAULT};
    RETURN_IF_ERRNO(CopyOut(*a, kZeros, n, force));
    done += n;
  }
  return OkErrno();
}

ErrnoOr<std::string> MemoryManager::CopyInString(UserAddr addr,
                                                 size_t max_len) {
  std::string out;
  absl::MutexLock l(&mu_);
  uint64_t cur = addr.value();
  while (out.size() < max_len) {
    // Read up to the end of the page, then look for the NUL.
    const size_t chunk =
        std::min<size_t>(max_len - out.size(), kPageSize - (cur & kPageMask));
    char buf[kPageSize];
    const size_t got =
        CopyLocked(cur, reinterpret_cast<uint8_t*>(buf), chunk, false, false);
    const void* nul = std::memchr(buf, 0, got);
    if (nul != nullptr) {
      out.append(buf, static_cast<const char*>(nul) - buf);
      return out;
    }
    out.append(buf, got);
    if (got < chunk) return Errno{EFAULT};
    if (cur > ~uint64_t{0} - got) return Errno{EFAULT};
    cur += got;
  }
  return Errno{ENAMETOOLONG};
}

ErrnoOr<std::unique_ptr<MemoryManager>> MemoryManager::Fork(
    std::unique_ptr<platform::AddressSpace> child_as) {
  absl::MutexLock l(&mu_);
  auto child =
      std::make_unique<MemoryManager>(mf_, std::move(child_as), limits_);
  absl::MutexLock cl(&child->mu_);
  for (auto& [start, v] : vmas_) {
    if (v.dontfork) continue;
    Vma c = v;
    c.locked = false;  // memory locks are not inherited (Linux)
    child->vmas_.emplace(start, std::move(c));
    // Write-protect, in the parent's stub, exactly the private pages it has
    // mapped writable: they now share frames with the child (copy on write).
    // mprotect over the whole VMA would fail with ENOMEM at the first page
    // the stub has not mapped yet (lazy faults) and protect nothing.
    uint64_t run_start = 0, run_end = 0;
    int run_prot = 0;
    auto flush = [&]() {
      if (run_end > run_start && as_ != nullptr) {
        (void)as_->Protect(run_start, run_end - run_start, run_prot);
      }
      run_start = run_end = 0;
    };
    for (auto it = pages_.lower_bound(v.start);
         it != pages_.end() && it->first < v.end; ++it) {
      mf_->IncRef(it->second.frame);
      child->pages_.emplace(it->first, Pte{it->second.frame, 0});
      if (!v.shared && (it->second.mapped_prot & PROT_WRITE)) {
        it->second.mapped_prot &= ~PROT_WRITE;
        int prot = it->second.mapped_prot;
        if (run_end != it->first || prot != run_prot) {
          flush();
          run_start = it->first;
          run_prot = prot;
        }
        run_end = it->first + kPageSize;
      }
    }
    flush();
  }
  child->brk_start_ = brk_start_;
  child->brk_ = brk_;
  child->mmap_base_ = mmap_base_;
  return child;
}

std::string MemoryManager::MapsText() const {
  absl::MutexLock l(&mu_);
  std::string out;
  for (const auto& [start, v] : vmas_) {
    std::string name = v.file != nullptr ? v.file->Name() : v.name;
    const uint64_t dev = v.file != nullptr ? v.file->Device() : 0;
    const uint64_t ino = v.file != nullptr ? v.file->Inode() : 0;
    std::string line = absl::StrFormat(
        "%08x-%08x %c%c%c%c %08x %02x:%02x %d ", v.start, v.end,
        (v.prot & PROT_READ) ? 'r' : '-', (v.prot & PROT_WRITE) ? 'w' : '-',
        (v.prot & PROT_EXEC) ? 'x' : '-', v.shared ? 's' : 'p',
        v.file != nullptr ? v.offset : 0, (dev >> 8) & 0xfff, dev & 0xff, ino);
    if (!name.empty()) {
      // Linux pads the name to start at column 74.
      if (line.size() < 73) line.append(73 - line.size(), ' ');
      line += name;
    }
    out += line;
    out += '\n';
  }
  return out;
}

uint64_t MemoryManager::ResidentPages() const {
  absl::MutexLock l(&mu_);
  return pages_.size();
}

}  // namespace sentry::mm
