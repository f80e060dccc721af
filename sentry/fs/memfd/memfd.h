// memfd_create(2) files: anonymous regular files whose bytes live in the
// sentry's memory file (sentry/mm/memory_file.h), so read/write and every
// mmap of the file (MAP_SHARED in several processes) see the same frames.
// Linux backs memfds with an internal tmpfs (shmem) mount; like there, the
// file has no name in any directory: fstat shows a regular file on an
// anonymous device and /proc/*/maps shows "/memfd:<name> (deleted)".
//
// Seals (fcntl F_ADD_SEALS/F_GET_SEALS) as Linux: F_SEAL_SEAL forbids new
// seals, F_SEAL_SHRINK / F_SEAL_GROW forbid size changes in that direction
// (truncate and writes past the end: EPERM), F_SEAL_WRITE and
// F_SEAL_FUTURE_WRITE forbid writes and new shared writable mappings.
// Differs from Linux: F_SEAL_WRITE does not fail with EBUSY while shared
// writable mappings exist (they are not counted).
//
// Locking: MemfdData::mu_ guards size, pages and seals; only MemoryFile's
// own mutex is taken under it. Bytes are copied with mu_ released (the
// page pinned), because copying application memory may fault and the fault
// path calls GetPage under the memory manager's lock.
#ifndef SENTRY_FS_MEMFD_MEMFD_H_
#define SENTRY_FS_MEMFD_MEMFD_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "sentry/base/errno.h"
#include "sentry/mm/mappable.h"
#include "sentry/mm/memory_file.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/inode.h"

namespace sentry::fs::memfd {

// Linux's limit on the name given to memfd_create (without "memfd:").
inline constexpr size_t kMaxNameLen = 249;

// The file's contents: pages of the memory file, shared by the inode and
// every mapping (a mapping keeps them after the last close).
class MemfdData final : public mm::Mappable {
 public:
  MemfdData(mm::MemoryFile* mf, std::string name, uint64_t ino, uint32_t seals)
      : mf_(mf), name_(std::move(name)), ino_(ino), seals_(seals) {}
  ~MemfdData() override;

  ErrnoOr<uint64_t> GetPage(uint64_t page_index, bool write) override;
  std::string Name() const override { return "/" + name_ + " (deleted)"; }
  uint64_t Inode() const override { return ino_; }

  ErrnoOr<size_t> ReadAt(vfs::IoDst& dst, int64_t offset);
  ErrnoOr<size_t> WriteAt(vfs::IoSrc& src, int64_t offset, bool append,
                          int64_t* end);
  ErrnoStatus Truncate(int64_t size);
  int64_t size();

  uint32_t seals();
  // F_ADD_SEALS: EPERM once F_SEAL_SEAL is set, EINVAL for unknown bits.
  ErrnoStatus AddSeals(uint32_t seals);
  // Whether a new MAP_SHARED|PROT_WRITE mapping is allowed.
  bool WritableMappingAllowed();

 private:
  // Frame of page `idx`, allocated zeroed if absent.
  ErrnoOr<uint64_t> FrameLocked(uint64_t idx)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mm::MemoryFile* const mf_;
  const std::string name_;  // "memfd:<name>"
  const uint64_t ino_;
  absl::Mutex mu_;
  int64_t size_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, uint64_t> pages_ ABSL_GUARDED_BY(mu_);  // idx -> frame
  uint32_t seals_ ABSL_GUARDED_BY(mu_);
};

// The memfd's inode (anonymous, owned by the creating uid/gid).
class MemfdInode final : public vfs::SimpleInode {
 public:
  MemfdInode(uint64_t ino, uint32_t uid, uint32_t gid,
             std::shared_ptr<MemfdData> data);
  ErrnoOr<std::unique_ptr<vfs::FileImpl>> Open(
      const vfs::OpenRequest& req) override;
  const std::shared_ptr<MemfdData>& data() const { return data_; }

 protected:
  void FillSize(vfs::Stat* st) override;
  ErrnoStatus Truncate(int64_t size) override;

 private:
  static uint64_t MemfdDev();
  std::shared_ptr<MemfdData> data_;
};

// memfd_create(2) minus the fd table: `name` is the caller's (checked by the
// caller for length), flags MFD_ALLOW_SEALING (else the file starts with
// F_SEAL_SEAL). The description is O_RDWR.
ErrnoOr<vfs::FileRef> NewMemfd(vfs::VirtualFilesystem* vfs, mm::MemoryFile* mf,
                               const std::string& name, bool allow_sealing,
                               uint32_t uid, uint32_t gid);

// The memfd behind a description, or nullptr.
MemfdData* MemfdOf(const vfs::FileDescription& f);

}  // namespace sentry::fs::memfd

#endif  // SENTRY_FS_MEMFD_MEMFD_H_
