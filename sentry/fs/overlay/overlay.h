// overlay: a writable upper file system (tmpfs) over a read-only lower one
// (the gofer rootfs; any file system in tests). The rootfs default, so that
// the container's writes stay in the sandbox.
//
// Semantics follow Linux overlayfs (without redirect_dir, index, xino):
// * Lookup: an upper entry hides the lower one, except that an upper
//   directory merges with a lower directory of the same name unless the
//   upper one is opaque. A whiteout (a character device 0:0 in the upper
//   directory, Linux's format) hides a lower entry.
// * Opaque directories are marked by an entry named ".wh..wh..opq" in the
//   upper directory (the AUFS/OCI-layer convention: our tmpfs has no
//   xattrs, Linux uses trusted.overlay.opaque). The marker is never listed.
// * Copy-up: the first change to a lower file (open for write, truncate,
//   chmod/chown/utimes, link, rename) copies it (data, mode, owner, times;
//   its parents first) into the upper layer. A lower hard link is broken
//   by copy-up (Linux without index=on does the same).
// * Unlink/rmdir of a lower entry leaves a whiteout; rmdir checks the merged
//   directory is empty; a directory created where a whiteout was is opaque.
// * Rename: files and upper-only directories are renamed in the upper layer
//   (copied up first, whiteout at the old name if a lower entry exists);
//   renaming a directory that has a lower part returns EXDEV, as Linux
//   without redirect_dir (tools such as mv then copy and delete).
// * getdents: upper entries, then lower entries not hidden. Cookies are
//   positions in that merged list, recomputed per call: entries added or
//   removed during an iteration can shift positions (Linux caches the
//   merged list per open directory instead).
// * st_dev is the overlay's; st_ino is the lower inode number when there is
//   a lower file (stable across copy-up) else the upper's with bit 48 set.
//
// Locking: OverlayInode::mu_ protects its upper pointer, children cache and
// name/parent; it is never held while calling the parent's methods, so the
// order is parent before child; the layers' locks come after it.
#ifndef SENTRY_FS_OVERLAY_OVERLAY_H_
#define SENTRY_FS_OVERLAY_OVERLAY_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "sentry/vfs/inode.h"

namespace sentry::fs::overlay {

inline constexpr char kOpaqueMarker[] = ".wh..wh..opq";
inline constexpr uint64_t kOverlayMagic = 0x794c7630;

class OverlayInode;

// Per-instance state: the lower inode number a copied-up upper inode came
// from (Linux keeps it in the trusted.overlay.origin xattr), so st_ino stays
// stable across copy-up.
class OverlayState {
 public:
  uint64_t dev() const { return dev_; }
  void SetOrigin(const std::shared_ptr<vfs::Inode>& upper, uint64_t ino);
  std::optional<uint64_t> Origin(const vfs::Inode* upper);

 private:
  const uint64_t dev_ = vfs::NewAnonDev();
  absl::Mutex mu_;
  absl::flat_hash_map<const vfs::Inode*,
                      std::pair<std::weak_ptr<vfs::Inode>, uint64_t>>
      origin_ ABSL_GUARDED_BY(mu_);
};

class OverlayFs final : public vfs::Filesystem {
 public:
  // upper must be an empty writable file system (tmpfs).
  OverlayFs(std::shared_ptr<vfs::Filesystem> upper,
            std::shared_ptr<vfs::Filesystem> lower);
  std::string Type() const override { return "overlay"; }
  std::shared_ptr<vfs::Inode> Root() override;
  std::string Options() const override { return "lowerdir=/,upperdir=tmpfs"; }
  ErrnoOr<vfs::StatFs> GetStatFs() override;

 private:
  std::shared_ptr<vfs::Filesystem> upper_;
  std::shared_ptr<vfs::Filesystem> lower_;
  std::shared_ptr<OverlayState> state_;
  std::shared_ptr<OverlayInode> root_;
};

class OverlayInode final : public vfs::Inode {
 public:
  OverlayInode(std::shared_ptr<OverlayState> state,
               std::shared_ptr<vfs::Inode> upper,
               std::shared_ptr<vfs::Inode> lower, bool opaque,
               std::shared_ptr<OverlayInode> parent, std::string name);

  ErrnoOr<vfs::Stat> GetStat() override;
  ErrnoStatus SetStat(const vfs::SetStatRequest& req) override;
  ErrnoOr<std::shared_ptr<vfs::Inode>> Lookup(absl::string_view name) override;
  ErrnoOr<std::shared_ptr<vfs::Inode>> Create(
      absl::string_view name, const vfs::CreateRequest& req) override;
  ErrnoStatus Link(absl::string_view name,
                   const std::shared_ptr<vfs::Inode>& target) override;
  ErrnoStatus Unlink(absl::string_view name, bool is_dir) override;
  ErrnoStatus Rename(absl::string_view old_name, vfs::Inode& new_dir,
                     absl::string_view new_name, uint32_t flags) override;
  ErrnoStatus IterateDir(uint64_t cookie, const vfs::DirEmitter& emit) override;
  ErrnoOr<std::string> ReadLink() override;
  ErrnoOr<std::unique_ptr<vfs::FileImpl>> Open(
      const vfs::OpenRequest& req) override;

  // Copies this inode (and its parents) into the upper layer if needed.
  ErrnoStatus CopyUp();
  bool has_upper();
  bool has_lower() const { return lower_ != nullptr; }
  bool opaque();

 private:
  struct MergedEntry {
    std::string name;
    uint64_t ino;
    uint8_t type;
  };
  std::shared_ptr<vfs::Inode> upper();
  ErrnoOr<std::vector<MergedEntry>> Merged();
  ErrnoStatus CopyUpLocked(OverlayInode& parent, const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes a whiteout at `name` in this (copied-up) directory, if any.
  // Returns whether one was there.
  ErrnoOr<bool> RemoveWhiteout(absl::string_view name);
  ErrnoStatus AddWhiteout(absl::string_view name);
  // Whether the lower directory (not hidden by opacity) has `name`.
  bool LowerHas(absl::string_view name);
  // Empties the upper directory of a merged-empty directory (whiteouts and
  // the opaque marker) before it is removed or replaced.
  ErrnoStatus ClearUpperDir();
  void Forget(absl::string_view name);

  const std::shared_ptr<OverlayState> state_;
  const std::shared_ptr<vfs::Inode> lower_;
  const uint64_t ino_;
  absl::Mutex mu_;
  std::shared_ptr<vfs::Inode> upper_ ABSL_GUARDED_BY(mu_);
  bool opaque_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<OverlayInode> parent_ ABSL_GUARDED_BY(mu_);
  std::string name_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::weak_ptr<OverlayInode>> children_
      ABSL_GUARDED_BY(mu_);
};

// Whether `inode` is a whiteout (character device 0:0).
bool IsWhiteout(vfs::Inode& inode);

}  // namespace sentry::fs::overlay

#endif  // SENTRY_FS_OVERLAY_OVERLAY_H_
