// devpts: the file system of pseudo-terminal replicas (/dev/pts).
//
// Each instance has a root directory holding `ptmx` and one node `N` per
// live pair. Opening ptmx allocates the lowest free index N, creates pts/N
// (a character device owned by the opener's fsuid and the `gid=` option or
// the opener's fsgid, with the `mode=` permissions, default 0600) and
// returns the master; the replica starts locked (TIOCSPTLCK 0 unlocks it).
// pts/N disappears when the master closes; N is reused once every file of
// the pair is closed. Options as Linux: newinstance, ptmxmode= (default
// 0000), mode= (default 0600), gid=, max=.
//
// Instances: a mount with `newinstance` gets its own instance (indices from
// 0); other mounts share one default instance, which is also what a devfs
// /dev/ptmx character node (5:2) opens. (Linux >= 4.7 makes every mount a
// new instance and finds the instance of /dev/ptmx through the sibling
// "pts" directory; the VFS's device registry does not tell an opener which
// node was opened, so we keep the pre-4.7 model.) Docker's setup
// (newinstance, /dev/ptmx -> pts/ptmx) works either way.
//
// Device numbers: the VFS opens character devices through its registry by
// st_rdev, so nodes of different instances must differ there. The default
// instance has Linux's numbers (ptmx 5:2, pts/N 136:N); instance k > 0
// uses minor bits above 12: ptmx 5:(2 | k << 12), pts/N 136:(N | k << 12).
// Hence at most 4096 pairs per instance and 256 instances (ENOSPC / ENOMEM
// beyond). If OpenRequest one day carries the opened inode, devpts can use
// Linux's numbers everywhere.
//
// /dev/tty (5:0) opens the replica of the caller's controlling terminal
// (TtyKernel::CurrentTask), or fails with ENXIO, as Linux.
//
// Locking: DevptsRegistry::mu_ -> the VFS's device registry lock (a new
// instance registers its ptmx number). Devpts::mu_ and DevptsRoot's mutex
// are leaves, never held with each other nor with Pty::mu_. Hooks are called
// without any of them.
#ifndef SENTRY_FS_DEVPTS_DEVPTS_H_
#define SENTRY_FS_DEVPTS_DEVPTS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "sentry/base/errno.h"
#include "sentry/fs/devpts/tty.h"
#include "sentry/vfs/inode.h"
#include "sentry/vfs/vfs.h"

namespace sentry::fs::devpts {

inline constexpr uint32_t kMaxPtysPerInstance = 4096;
inline constexpr uint32_t kMaxInstances = 256;
inline constexpr uint64_t kDevptsMagic = 0x1cd1;

struct DevptsOptions {
  bool newinstance = false;
  uint32_t ptmxmode = 0;
  uint32_t mode = 0600;
  std::optional<uint32_t> gid;
  uint32_t max = kMaxPtysPerInstance;
};

// Parses "newinstance,ptmxmode=0666,mode=620,gid=5" (octal modes). EINVAL
// for unknown options or bad values, as Linux.
ErrnoOr<DevptsOptions> ParseDevptsOptions(absl::string_view options);

class DevptsRoot;
class DevptsRegistry;

class Devpts final : public vfs::Filesystem,
                     public std::enable_shared_from_this<Devpts> {
 public:
  Devpts(std::shared_ptr<DevptsRegistry> registry, uint32_t id,
         DevptsOptions opts);
  ~Devpts() override;

  std::string Type() const override { return "devpts"; }
  std::shared_ptr<vfs::Inode> Root() override;
  std::string Options() const override;
  ErrnoOr<vfs::StatFs> GetStatFs() override;

  uint32_t id() const { return id_; }
  uint64_t ptmx_rdev() const;
  uint64_t pts_rdev(uint32_t index) const;

  // Opens the master of a new pair (what opening ptmx does). `caller` (may
  // be null) owns the new node.
  ErrnoOr<std::unique_ptr<TtyFile>> OpenMaster(int flags, TtyCaller* caller);
  // Opens the replica pts/N: ENXIO/EIO if N has no live pair (master
  // closed), EIO while locked.
  ErrnoOr<std::unique_ptr<TtyFile>> OpenReplica(uint32_t index, int flags,
                                                TtyCaller* caller);
  // The task doing the current open (TtyKernel::CurrentTask), or null.
  TtyCaller* CurrentTask() {
    return kernel_ ? kernel_->CurrentTask() : nullptr;
  }
  // The live pair with index N, if any.
  std::shared_ptr<Pty> Get(uint32_t index);

 private:
  friend class DevptsRoot;
  void RemoveNode(uint32_t index);

  const std::weak_ptr<DevptsRegistry> registry_;
  const std::shared_ptr<TtyKernel> kernel_;
  vfs::VirtualFilesystem* const vfs_;
  const uint32_t id_;
  const DevptsOptions opts_;
  const uint64_t dev_;
  std::shared_ptr<DevptsRoot> root_;
  absl::Mutex mu_;
  // Every pair not yet destroyed (its index is in use).
  std::map<uint32_t, std::weak_ptr<Pty>> ptys_ ABSL_GUARDED_BY(mu_);
};

// Per-sandbox devpts state: the default instance, instance ids, the kernel
// hooks, and the device registrations. Created by RegisterDevpts.
class DevptsRegistry : public std::enable_shared_from_this<DevptsRegistry> {
 public:
  DevptsRegistry(vfs::VirtualFilesystem* vfs, std::shared_ptr<TtyKernel> kernel)
      : vfs_(vfs), kernel_(std::move(kernel)) {}

  // A devpts mount with these options.
  ErrnoOr<std::shared_ptr<Devpts>> Mount(const DevptsOptions& opts);
  // The default instance (created on first use).
  ErrnoOr<std::shared_ptr<Devpts>> Default();
  // The task doing the current open, if the kernel says.
  TtyCaller* CurrentTask() {
    return kernel_ ? kernel_->CurrentTask() : nullptr;
  }

  vfs::VirtualFilesystem* vfs() const { return vfs_; }
  const std::shared_ptr<TtyKernel>& kernel() const { return kernel_; }
  void ReleaseId(uint32_t id);

 private:
  ErrnoOr<std::shared_ptr<Devpts>> NewInstance(const DevptsOptions& opts,
                                               bool is_default)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  vfs::VirtualFilesystem* const vfs_;
  const std::shared_ptr<TtyKernel> kernel_;
  absl::Mutex mu_;
  std::shared_ptr<Devpts> default_ ABSL_GUARDED_BY(mu_);
  std::map<uint32_t, bool> ids_ ABSL_GUARDED_BY(mu_);  // ids in use
};

// Registers the "devpts" file system type and the devices ptmx (5:2) and
// tty (5:0) with `vfs`. `kernel` may be null (tests, no job control).
std::shared_ptr<DevptsRegistry> RegisterDevpts(
    vfs::VirtualFilesystem& vfs, std::shared_ptr<TtyKernel> kernel);

}  // namespace sentry::fs::devpts

#endif  // SENTRY_FS_DEVPTS_DEVPTS_H_
