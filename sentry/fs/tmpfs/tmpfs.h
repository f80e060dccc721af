// tmpfs: an in-memory file system (also the overlay's upper layer and the
// base of devfs' /dev/shm and of masked directories).
//
// Regular files keep their bytes in 4 KiB pages allocated on first write
// (holes read as zeros and use no memory); directories keep entries in
// insertion order with stable getdents cookies (an entry's cookie never
// changes while it exists, so concurrent iterations resume correctly);
// symlinks, hard links, device nodes (opened through the VFS device
// registry), FIFOs (fs/pipe) and socket nodes are supported.
//
// Mount options (Linux's): size=N[k|m|g|%] (ENOSPC beyond, 0 = unlimited),
// mode=octal (root directory), uid=, gid=; nr_inodes= is accepted and not
// enforced.
//
// Locking: each directory has a mutex over its entries; each regular file a
// reader/writer mutex over its pages. A thread holds at most a parent and a
// child directory lock (emptiness check), or two directory locks for a
// rename (ordered by address). Page accounting is atomic.
#ifndef SENTRY_FS_TMPFS_TMPFS_H_
#define SENTRY_FS_TMPFS_TMPFS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "sentry/base/errno.h"
#include "sentry/vfs/inode.h"
#include "sentry/vfs/vfs.h"

namespace sentry::fs::tmpfs {

inline constexpr uint64_t kTmpfsMagic = 0x01021994;
inline constexpr size_t kPageSize = 4096;

struct TmpfsOptions {
  uint64_t size_bytes = 0;  // 0 = unlimited
  uint32_t mode = 01777;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// Parses "size=64m,mode=755,uid=0,gid=0". EINVAL on unknown or bad options.
ErrnoOr<TmpfsOptions> ParseOptions(absl::string_view options);

// State shared by all inodes of one tmpfs instance.
class TmpfsState {
 public:
  explicit TmpfsState(uint64_t max_pages)
      : dev_(vfs::NewAnonDev()), max_pages_(max_pages) {}
  uint64_t dev() const { return dev_; }
  uint64_t NextIno() { return next_ino_.fetch_add(1); }
  // Page accounting against size=. False when full.
  bool ReservePages(uint64_t n);
  void ReleasePages(uint64_t n) { used_pages_.fetch_sub(n); }
  uint64_t used_pages() const { return used_pages_.load(); }
  uint64_t max_pages() const { return max_pages_; }
  // A new inode of any type for `req`.
  ErrnoOr<std::shared_ptr<vfs::Inode>> NewInode(const vfs::CreateRequest& req);

 private:
  const uint64_t dev_;
  const uint64_t max_pages_;
  std::atomic<uint64_t> next_ino_{1};
  std::atomic<uint64_t> used_pages_{0};
};

class Tmpfs final : public vfs::Filesystem {
 public:
  explicit Tmpfs(const TmpfsOptions& opts);
  std::string Type() const override { return "tmpfs"; }
  std::shared_ptr<vfs::Inode> Root() override { return root_; }
  std::string Options() const override;
  ErrnoOr<vfs::StatFs> GetStatFs() override;
  const std::shared_ptr<TmpfsState>& state() const { return state_; }

 private:
  TmpfsOptions opts_;
  std::shared_ptr<TmpfsState> state_;
  std::shared_ptr<vfs::Inode> root_;
};

// Registers "tmpfs" with the VFS.
void RegisterTmpfs(vfs::VirtualFilesystem& vfs);

class Directory final : public vfs::SimpleInode {
 public:
  Directory(std::shared_ptr<TmpfsState> state, uint64_t ino, uint32_t mode,
            uint32_t uid, uint32_t gid);

  ErrnoOr<std::shared_ptr<vfs::Inode>> Lookup(absl::string_view name) override;
  ErrnoOr<std::shared_ptr<vfs::Inode>> Create(
      absl::string_view name, const vfs::CreateRequest& req) override;
  ErrnoStatus Link(absl::string_view name,
                   const std::shared_ptr<vfs::Inode>& target) override;
  ErrnoStatus Unlink(absl::string_view name, bool is_dir) override;
  // Locks both directories (ordered by address), which the thread-safety
  // analysis cannot follow.
  ErrnoStatus Rename(absl::string_view old_name, vfs::Inode& new_dir,
                     absl::string_view new_name,
                     uint32_t flags) override ABSL_NO_THREAD_SAFETY_ANALYSIS;
  ErrnoStatus IterateDir(uint64_t cookie, const vfs::DirEmitter& emit) override;
  uint64_t DirEndCookie() override {
    absl::MutexLock l(&mu_);
    return next_cookie_;
  }

  bool Empty();
  size_t size();

 private:
  struct Entry {
    std::string name;
    std::shared_ptr<vfs::Inode> inode;
    uint64_t ino;
  };
  void InsertLocked(std::string name, std::shared_ptr<vfs::Inode> inode)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::shared_ptr<TmpfsState> state_;
  absl::Mutex mu_;
  std::map<uint64_t, Entry> by_cookie_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint64_t> by_name_ ABSL_GUARDED_BY(mu_);
  uint64_t next_cookie_ ABSL_GUARDED_BY(mu_) = vfs::kFirstDirCookie;
  // Removed by rmdir: listing it or creating in it fails with ENOENT, as
  // Linux's IS_DEADDIR.
  std::atomic<bool> dead_{false};
};

class RegularFile final : public vfs::SimpleInode {
 public:
  RegularFile(std::shared_ptr<TmpfsState> state, uint64_t ino, uint32_t mode,
              uint32_t uid, uint32_t gid);
  ~RegularFile() override;

  ErrnoOr<std::unique_ptr<vfs::FileImpl>> Open(
      const vfs::OpenRequest& req) override;

  ErrnoOr<size_t> ReadAt(vfs::IoDst& dst, int64_t offset);
  ErrnoOr<size_t> WriteAt(vfs::IoSrc& src, int64_t offset, bool append,
                          int64_t* end);
  int64_t file_size();

 protected:
  void FillSize(vfs::Stat* st) override;
  ErrnoStatus Truncate(int64_t size) override;

 private:
  std::shared_ptr<TmpfsState> state_;
  absl::Mutex data_mu_;
  int64_t size_ ABSL_GUARDED_BY(data_mu_) = 0;
  std::map<uint64_t, std::unique_ptr<std::byte[]>> pages_
      ABSL_GUARDED_BY(data_mu_);
};

class Symlink final : public vfs::SimpleInode {
 public:
  Symlink(uint64_t dev, uint64_t ino, uint32_t uid, uint32_t gid,
          std::string target)
      : SimpleInode(dev, ino, S_IFLNK | 0777, uid, gid),
        target_(std::move(target)) {}
  ErrnoOr<std::string> ReadLink() override { return target_; }

 protected:
  void FillSize(vfs::Stat* st) override {
    st->size = static_cast<int64_t>(target_.size());
  }

 private:
  const std::string target_;
};

}  // namespace sentry::fs::tmpfs

#endif  // SENTRY_FS_TMPFS_TMPFS_H_
