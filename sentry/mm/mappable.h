// Mappable: what a file-backed mapping maps. The VFS implements it for
// regular files (its page cache lives in the memory file); the memory
// manager uses AnonymousMappable for MAP_SHARED|MAP_ANONYMOUS (and tests use
// it as a file). Analogous to gVisor's memmap.Mappable.
//
// Thread-safe implementations required: several memory managers may fault
// pages of one object concurrently.
#ifndef SENTRY_MM_MAPPABLE_H_
#define SENTRY_MM_MAPPABLE_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "sentry/base/errno.h"
#include "sentry/mm/memory_file.h"

namespace sentry::mm {

class Mappable {
 public:
  virtual ~Mappable() = default;

  // Returns the memory-file offset of the frame holding page `page_index`
  // (byte offset page_index * kPageSize) with one reference taken for the
  // caller (released with MemoryFile::DecRef). `write`: the caller will
  // write through a shared mapping. A page wholly beyond the end of the
  // object fails with EFAULT (the fault becomes SIGBUS, as on Linux).
  virtual ErrnoOr<uint64_t> GetPage(uint64_t page_index, bool write) = 0;

  // For /proc/pid/maps: path, device and inode.
  virtual std::string Name() const = 0;
  virtual uint64_t Device() const { return 0; }
  virtual uint64_t Inode() const { return 0; }

  // msync on a shared mapping of [offset, offset+len).
  virtual ErrnoStatus Sync(uint64_t offset, uint64_t len) { return OkErrno(); }
};

// Pages held in the memory file, created zeroed on first use; `size` bytes
// long (pages past it fault with SIGBUS).
class AnonymousMappable : public Mappable {
 public:
  AnonymousMappable(MemoryFile* mf, uint64_t size, std::string name)
      : mf_(mf), size_(size), name_(std::move(name)) {}
  ~AnonymousMappable() override;

  ErrnoOr<uint64_t> GetPage(uint64_t page_index, bool write) override;
  std::string Name() const override { return name_; }
  uint64_t Inode() const override { return inode_; }
  void set_inode(uint64_t ino) { inode_ = ino; }

  // Writes bytes at `offset` (for tests and for filling a file's contents).
  ErrnoStatus Write(uint64_t offset, const void* data, uint64_t len);
  ErrnoStatus Read(uint64_t offset, void* data, uint64_t len);

 private:
  MemoryFile* const mf_;
  const uint64_t size_;
  const std::string name_;
  uint64_t inode_ = 0;
  absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, uint64_t> pages_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sentry::mm

#endif  // SENTRY_MM_MAPPABLE_H_
