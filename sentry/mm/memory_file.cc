#include "sentry/mm/memory_file.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "base/errors.h"
#include "base/logging.h"
#include "sentry/mm/usermem.h"

namespace sentry::mm {
namespace {
constexpr uint64_t kGrowStep = uint64_t{64} << 20;
}  // namespace

absl::StatusOr<std::unique_ptr<MemoryFile>> MemoryFile::Create(
    absl::string_view name, uint64_t max_size) {
  std::string n(name.data(), name.size());
  base::UniqueFd fd(memfd_create(n.c_str(), MFD_CLOEXEC));
  if (!fd) return base::ErrnoStatus(errno, "memfd_create");
  // Reserve the sentry's view of the whole file now; pages beyond the current
  // size are never touched (accessing them would SIGBUS).
  void* m = mmap(nullptr, max_size, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_NORESERVE, fd.get(), 0);
  if (m == MAP_FAILED) return base::ErrnoStatus(errno, "mmap memory file");
  return std::unique_ptr<MemoryFile>(
      new MemoryFile(std::move(fd), static_cast<uint8_t*>(m), max_size));
}

MemoryFile::MemoryFile(base::UniqueFd fd, uint8_t* base, uint64_t max_size)
    : fd_(std::move(fd)), base_(base), max_size_(max_size) {}

MemoryFile::~MemoryFile() { munmap(base_, max_size_); }

ErrnoOr<uint64_t> MemoryFile::Allocate(uint64_t npages) {
  if (npages == 0) return Errno{EINVAL};
  absl::MutexLock l(&mu_);
  uint64_t first = 0;
  bool found = false;
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second >= npages) {
      first = it->first;
      uint64_t rest = it->second - npages;
      free_.erase(it);
      if (rest > 0) free_[first + npages] = rest;
      found = true;
      break;
    }
  }
  if (!found) {
    if (npages > max_size_ / kPageSize - next_page_) return Errno{ENOMEM};
    first = next_page_;
    next_page_ += npages;
    const uint64_t need = next_page_ * kPageSize;
    if (need > file_size_) {
      uint64_t size =
          std::min(max_size_, (need + kGrowStep - 1) / kGrowStep * kGrowStep);
      if (ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) {
        next_page_ -= npages;
        return Errno{ENOMEM};
      }
      file_size_ = size;
    }
    if (refs_.size() < next_page_) refs_.resize(next_page_ + 1024, 0);
  }
  for (uint64_t i = 0; i < npages; ++i) refs_[first + i] = 1;
  used_pages_ += npages;
  return first * kPageSize;
}

void MemoryFile::IncRef(uint64_t offset, uint64_t npages) {
  absl::MutexLock l(&mu_);
  const uint64_t p = offset / kPageSize;
  for (uint64_t i = 0; i < npages; ++i) {
    CHECK(refs_[p + i] > 0) << "IncRef of a free page";
    ++refs_[p + i];
  }
}

void MemoryFile::DecRef(uint64_t offset, uint64_t npages) {
  absl::MutexLock l(&mu_);
  const uint64_t p = offset / kPageSize;
  uint64_t run_start = 0, run_len = 0;
  for (uint64_t i = 0; i < npages; ++i) {
    CHECK(refs_[p + i] > 0) << "DecRef of a free page";
    if (--refs_[p + i] == 0) {
      if (run_len > 0 && run_start + run_len == p + i) {
        ++run_len;
      } else {
        if (run_len > 0) FreeRunLocked(run_start, run_len);
        run_start = p + i;
        run_len = 1;
      }
    }
  }
  if (run_len > 0) FreeRunLocked(run_start, run_len);
}

void MemoryFile::FreeRunLocked(uint64_t first, uint64_t n) {
  used_pages_ -= n;
  // Give the memory back and make the pages read as zero on reuse.
  if (fallocate(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                static_cast<off_t>(first * kPageSize),
                static_cast<off_t>(n * kPageSize)) != 0) {
    memset(base_ + first * kPageSize, 0, n * kPageSize);
  }
  // Insert and coalesce with neighbours.
  auto next = free_.lower_bound(first);
  if (next != free_.end() && first + n == next->first) {
    n += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == first) {
      prev->second += n;
      return;
    }
  }
  free_[first] = n;
}

uint32_t MemoryFile::RefCount(uint64_t offset) const {
  absl::MutexLock l(&mu_);
  const uint64_t p = offset / kPageSize;
  return p < refs_.size() ? refs_[p] : 0;
}

uint64_t MemoryFile::UsedPages() const {
  absl::MutexLock l(&mu_);
  return used_pages_;
}

}  // namespace sentry::mm
