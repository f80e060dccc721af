// Dentries, mounts and locations (a dentry within a mount).
//
// A Dentry binds a name in a parent directory to an inode. Dentries form a
// tree through strong parent links (an open file keeps its ancestors alive
// for getcwd and ".."); a parent caches its children through weak pointers,
// so unused dentries vanish by themselves and the cache never keeps an inode
// alive. Mounts pin their root and mount point dentries.
//
// Locking: name_, parent_ and dead_ change only under the VFS namespace lock
// held exclusively (renames, unlinks) and are read under it held shared.
// children_ has its own mutex (lookups run concurrently under the shared
// namespace lock). Mount fields are immutable except flags, which change
// under the namespace lock held exclusively.
#ifndef SENTRY_VFS_DENTRY_H_
#define SENTRY_VFS_DENTRY_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "sentry/vfs/inode.h"

namespace sentry::vfs {

class Dentry {
 public:
  Dentry(std::shared_ptr<Inode> inode, std::shared_ptr<Dentry> parent,
         std::string name)
      : inode_(std::move(inode)),
        parent_(std::move(parent)),
        name_(std::move(name)) {}

  const std::shared_ptr<Inode>& inode() const { return inode_; }
  Inode* get() const { return inode_.get(); }

  // Namespace-lock protected (see file comment).
  const std::shared_ptr<Dentry>& parent() const { return parent_; }
  const std::string& name() const { return name_; }
  bool dead() const { return dead_; }

  // Number of mounts whose mount point is this dentry.
  int mount_count() const { return mounts_.load(std::memory_order_acquire); }

 private:
  friend class VirtualFilesystem;

  const std::shared_ptr<Inode> inode_;
  std::shared_ptr<Dentry> parent_;
  std::string name_;
  bool dead_ = false;
  std::atomic<int> mounts_{0};

  absl::Mutex children_mu_;
  absl::flat_hash_map<std::string, std::weak_ptr<Dentry>> children_
      ABSL_GUARDED_BY(children_mu_);
};

struct MountFlags {
  bool read_only = false;
  bool nosuid = false;
  bool nodev = false;
  bool noexec = false;
  bool operator==(const MountFlags&) const = default;
};

class Mount {
 public:
  Mount(uint64_t id, std::shared_ptr<Filesystem> fs,
        std::shared_ptr<Dentry> root, MountFlags flags, std::string source)
      : id_(id),
        fs_(std::move(fs)),
        root_(std::move(root)),
        flags_(flags),
        source_(std::move(source)) {}

  uint64_t id() const { return id_; }
  const std::shared_ptr<Filesystem>& fs() const { return fs_; }
  const std::shared_ptr<Dentry>& root() const { return root_; }
  // Namespace-lock protected.
  const MountFlags& flags() const { return flags_; }
  const std::string& source() const { return source_; }
  // Null for the root mount.
  const std::shared_ptr<Mount>& parent() const { return parent_; }
  const std::shared_ptr<Dentry>& mountpoint() const { return mountpoint_; }

 private:
  friend class VirtualFilesystem;
  const uint64_t id_;
  const std::shared_ptr<Filesystem> fs_;
  const std::shared_ptr<Dentry> root_;
  MountFlags flags_;
  const std::string source_;
  std::shared_ptr<Mount> parent_;
  std::shared_ptr<Dentry> mountpoint_;
};

// A location: a dentry seen through a mount.
struct VirtualDentry {
  std::shared_ptr<Mount> mount;
  std::shared_ptr<Dentry> dentry;

  bool ok() const { return mount && dentry; }
  Inode* inode() const { return dentry->get(); }
  bool operator==(const VirtualDentry& o) const {
    return mount == o.mount && dentry == o.dentry;
  }
};

}  // namespace sentry::vfs

#endif  // SENTRY_VFS_DENTRY_H_
