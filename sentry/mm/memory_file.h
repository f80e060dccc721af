// The memory file: every page of application memory (anonymous memory, the
// page cache of files the VFS maps) lives in one memfd. The sentry maps the
// whole file once, MAP_SHARED, and reads/writes application memory through
// that mapping; stubs map ranges of the same file at application addresses
// (platform::AddressSpace::MapFile). Copy-on-write shares a frame between
// address spaces by reference count.
//
// Allocation is by page runs: first fit from a coalescing free list, else
// from the end of the file (which grows in 64 MiB steps). Freed runs are
// punched out of the file, so they read as zeros when reused and the host
// memory is returned.
//
// Thread-safe: one internal mutex (a leaf lock).
#ifndef SENTRY_MM_MEMORY_FILE_H_
#define SENTRY_MM_MEMORY_FILE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "base/unique_fd.h"
#include "sentry/base/errno.h"

namespace sentry::mm {

class MemoryFile {
 public:
  // `max_size` bounds the file and the sentry's reservation of address space.
  static absl::StatusOr<std::unique_ptr<MemoryFile>> Create(
      absl::string_view name, uint64_t max_size = uint64_t{64} << 30);
  ~MemoryFile();

  int fd() const { return fd_.get(); }

  // Allocates `npages` contiguous zeroed pages with reference count 1 and
  // returns the file offset of the first. ENOMEM when the file is full.
  ErrnoOr<uint64_t> Allocate(uint64_t npages);
  // Reference counting per page; a page whose count drops to 0 is freed.
  void IncRef(uint64_t offset, uint64_t npages = 1);
  void DecRef(uint64_t offset, uint64_t npages = 1);
  uint32_t RefCount(uint64_t offset) const;

  // The sentry's view of the page(s) at `offset`.
  uint8_t* Data(uint64_t offset) const { return base_ + offset; }

  uint64_t UsedPages() const;

 private:
  MemoryFile(base::UniqueFd fd, uint8_t* base, uint64_t max_size);
  void FreeRunLocked(uint64_t first_page, uint64_t npages)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  base::UniqueFd fd_;
  uint8_t* const base_;
  const uint64_t max_size_;

  mutable absl::Mutex mu_;
  uint64_t file_size_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_page_ ABSL_GUARDED_BY(mu_) = 0;             // bump pointer
  std::map<uint64_t, uint64_t> free_ ABSL_GUARDED_BY(mu_);  // first page -> n
  std::vector<uint32_t> refs_ ABSL_GUARDED_BY(mu_);
  uint64_t used_pages_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sentry::mm

#endif  // SENTRY_MM_MEMORY_FILE_H_
