// MemoryManager: one application address space (analogous to Linux's
// mm_struct and gVisor's mm.MemoryManager).
//
// It keeps the VMAs and a sentry-side page table (application page -> frame
// of the memory file), implements the memory syscalls (mmap, munmap,
// mprotect, mremap, brk, madvise, mincore, msync, mlock family) with Linux's
// argument checks and errno values, serves page faults lazily, copies to and
// from application memory through the memory file's sentry mapping (never
// ptrace or process_vm_readv), and forks copy-on-write.
//
// The platform AddressSpace (may be null: then nothing is mapped into a stub,
// which unit tests use) is kept in sync lazily: a page is mapped into the
// stub only when the application faults on it (with fault-around of up to 16
// pages), and every operation that removes or downgrades access unmaps or
// write-protects the stub's view *before* frames are released.
//
// Invariant: a page table entry with mapped_prot != 0 means the stub maps
// exactly that entry's frame with that protection.
//
// Thread-safe: one mutex (mu_) guards everything; it is held across
// AddressSpace calls. Lock order: MemoryManager::mu_ -> platform internals ->
// MemoryFile::mu_ / Mappable locks.
#ifndef SENTRY_MM_MEMORY_MANAGER_H_
#define SENTRY_MM_MEMORY_MANAGER_H_

#include <sys/mman.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sentry/base/errno.h"
#include "sentry/mm/mappable.h"
#include "sentry/mm/memory_file.h"
#include "sentry/mm/usermem.h"
#include "sentry/platform/platform.h"

namespace sentry::mm {

struct MmapOpts {
  uint64_t addr = 0;  // hint, or the address with MAP_FIXED*
  uint64_t length = 0;
  int prot = PROT_NONE;
  int flags = MAP_PRIVATE | MAP_ANONYMOUS;  // Linux MAP_* flags
  std::shared_ptr<Mappable> file;           // null for anonymous
  uint64_t offset = 0;
  // Highest protection the file permits (a read-only open forbids
  // PROT_WRITE on a shared mapping, now and via mprotect).
  int max_prot = PROT_READ | PROT_WRITE | PROT_EXEC;
  std::string name;  // shown in /proc/pid/maps when no file ("[stack]")
};

enum class FaultResult { kOk, kSegvMapErr, kSegvAccErr, kBus };

struct MemoryManagerLimits {
  uint64_t min_addr = 0x10000;         // vm.mmap_min_addr
  uint64_t max_addr = 0x7f0000000000;  // below the platform's stub page
  uint64_t stack_limit = 8 << 20;      // RLIMIT_STACK, for MAP_GROWSDOWN
  uint64_t memlock_limit = 64 << 10;   // RLIMIT_MEMLOCK; ~0 = unlimited
  uint64_t data_limit = ~uint64_t{0};  // RLIMIT_DATA, for brk
};

class MemoryManager {
 public:
  // `as` may be null (no stub). `mf` must outlive the manager.
  MemoryManager(MemoryFile* mf, std::unique_ptr<platform::AddressSpace> as,
                MemoryManagerLimits limits = {});
  ~MemoryManager();
  MemoryManager(const MemoryManager&) = delete;
  MemoryManager& operator=(const MemoryManager&) = delete;

  platform::AddressSpace* address_space() { return as_.get(); }
  MemoryFile* memory_file() { return mf_; }
  void SetLimits(const MemoryManagerLimits& l);
  MemoryManagerLimits limits();

  // mmap(2). Returns the start address.
  ErrnoOr<UserAddr> Mmap(const MmapOpts& opts);
  ErrnoStatus Munmap(UserAddr addr, uint64_t length);
  ErrnoStatus Mprotect(UserAddr addr, uint64_t length, int prot);
  ErrnoOr<UserAddr> Mremap(UserAddr old_addr, uint64_t old_len,
                           uint64_t new_len, int flags, UserAddr new_addr);
  // brk(2): returns the new break, or the current one if the request fails
  // (Linux never returns an error from brk).
  UserAddr Brk(UserAddr addr);
  // The loader sets where the heap starts (end of the data segment).
  void SetBrkStart(UserAddr start);
  UserAddr brk() const;
  ErrnoStatus Madvise(UserAddr addr, uint64_t length, int advice);
  ErrnoOr<std::vector<uint8_t>> Mincore(UserAddr addr, uint64_t length);
  ErrnoStatus Msync(UserAddr addr, uint64_t length, int flags);
  ErrnoStatus Mlock(UserAddr addr, uint64_t length, bool onfault = false);
  ErrnoStatus Munlock(UserAddr addr, uint64_t length);
  ErrnoStatus Mlockall(int flags);
  ErrnoStatus Munlockall();
  uint64_t LockedBytes() const;

  // A fault reported by the platform. kOk: the page is now mapped in the
  // stub; retry the instruction. Otherwise deliver SIGSEGV (SEGV_MAPERR /
  // SEGV_ACCERR) or SIGBUS.
  FaultResult HandleFault(UserAddr addr, platform::AccessType access);

  // Copies through the sentry's mapping. The *Partial forms return how many
  // bytes were copied before the first inaccessible byte (so handlers can
  // return short counts); the plain forms fail with EFAULT unless all bytes
  // were copied. `force` ignores VMA protections (the loader writing text,
  // ptrace pokes), like Linux's FOLL_FORCE.
  size_t CopyOutPartial(UserAddr addr, const void* src, size_t len,
                        bool force = false);
  size_t CopyInPartial(UserAddr addr, void* dst, size_t len);
  ErrnoStatus CopyOut(UserAddr addr, const void* src, size_t len,
                      bool force = false);
  ErrnoStatus CopyIn(UserAddr addr, void* dst, size_t len);
  ErrnoStatus ZeroOut(UserAddr addr, size_t len, bool force = false);
  // Reads a NUL-terminated string of at most max_len bytes (without the
  // NUL): ENAMETOOLONG if none within max_len, EFAULT on a fault first.
  ErrnoOr<std::string> CopyInString(UserAddr addr, size_t max_len);

  template <typename T>
  ErrnoStatus CopyOutObj(UserPtr<T> p, const T& v) {
    return CopyOut(p.addr(), &v, sizeof(T));
  }
  template <typename T>
  ErrnoOr<T> CopyInObj(UserPtr<T> p) {
    T v;
    RETURN_IF_ERRNO(CopyIn(p.addr(), &v, sizeof(T)));
    return v;
  }

  // fork(2): a copy-on-write copy of this address space into `child_as`.
  // Private pages are shared read-only by both sides until one writes;
  // shared mappings stay shared; MADV_DONTFORK ranges and mlocks are not
  // inherited (as on Linux).
  ErrnoOr<std::unique_ptr<MemoryManager>> Fork(
      std::unique_ptr<platform::AddressSpace> child_as);

  // The text of /proc/pid/maps.
  std::string MapsText() const;

  // Where the next top-down mmap search starts (below the stack).
  void SetMmapBase(uint64_t base);

  // Number of resident pages (sentry page table entries), for tests/statm.
  uint64_t ResidentPages() const;

 private:
  struct Vma {
    uint64_t start = 0, end = 0;
    int prot = 0, max_prot = 0;
    bool shared = false;
    bool growsdown = false;
    bool locked = false;
    bool dontfork = false;
    std::shared_ptr<Mappable> file;  // null: private anonymous
    uint64_t offset = 0;             // file offset of `start`
    std::string name;
  };
  struct Pte {
    uint64_t frame = 0;
    int mapped_prot = 0;  // 0: not mapped in the stub
  };

  // A free range of len bytes: at the hint if free, else top-down from the
  // mmap base; `limit` (if nonzero) caps the end (MAP_32BIT).
  ErrnoOr<uint64_t> FindGapLocked(uint64_t hint, uint64_t len,
                                  uint64_t limit = 0)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool RangeFreeLocked(uint64_t start, uint64_t end) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool RangeFullyMappedLocked(uint64_t start, uint64_t end) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Splits VMAs so that `addr` is a boundary.
  void SplitAtLocked(uint64_t addr) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes VMAs and pages in [start, end).
  void UnmapLocked(uint64_t start, uint64_t end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops page table entries in [start, end) (stub view first).
  void DropPagesLocked(uint64_t start, uint64_t end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Unmaps [start, end) in the stub and marks entries unmapped.
  void StubUnmapLocked(uint64_t start, uint64_t end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::map<uint64_t, Vma>::iterator FindVmaLocked(uint64_t addr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MergeAroundLocked(uint64_t addr) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ensures a page table entry for `page` in `vma`; with `write` on a
  // private mapping, makes its frame exclusive (copy-on-write break).
  ErrnoOr<Pte*> EnsurePageLocked(Vma& vma, uint64_t page, bool write)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The protection the stub may have for a present page.
  int StubProtLocked(const Vma& vma, const Pte& pte) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Maps present-but-unmapped pages of [start, end) (within one VMA) into
  // the stub, merging runs of contiguous frames.
  void MapIntoStubLocked(const Vma& vma, uint64_t start, uint64_t end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ErrnoStatus PopulateLocked(uint64_t start, uint64_t end, bool write)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t CopyLocked(uint64_t addr, uint8_t* buf, size_t len, bool out,
                    bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t LockedBytesLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  MemoryFile* const mf_;
  std::unique_ptr<platform::AddressSpace> as_;

  mutable absl::Mutex mu_;
  MemoryManagerLimits limits_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, Vma> vmas_ ABSL_GUARDED_BY(mu_);   // by start
  std::map<uint64_t, Pte> pages_ ABSL_GUARDED_BY(mu_);  // by page address
  uint64_t brk_start_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t brk_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t mmap_base_ ABSL_GUARDED_BY(mu_) = 0;
  bool lock_future_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace sentry::mm

#endif  // SENTRY_MM_MEMORY_MANAGER_H_
