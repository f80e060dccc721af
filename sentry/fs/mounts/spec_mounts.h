// Builds the container's mount tree from the OCI spec's mounts, masked paths
// and read-only paths, the way runc does inside its mount namespace.
//
// Mount types: proc, sysfs, tmpfs (size=, mode=, uid=, gid=), devpts, bind
// (type "bind" or an option bind/rbind; the source is resolved by the
// caller's BindSourceResolver: a gofer mount in the sandbox, any file system
// in tests), mqueue (a tmpfs stand-in until POSIX message queues exist),
// cgroup/cgroup2 (an empty read-only tmpfs stand-in). A tmpfs on /dev becomes
// our populated devfs (runc creates the same nodes in its /dev tmpfs).
// Options ro/rw, nosuid/suid, nodev/dev, noexec/exec apply as mount flags;
// propagation (private, rprivate, shared, slave...) and atime options are
// accepted and ignored (there is one mount namespace); rbind is treated as
// bind (no sub-mounts below a gofer source). Anything else is passed to the
// file system as its options (tmpfs rejects unknown ones: EINVAL).
//
// Destinations are created as needed (directories, or an empty file when a
// file is bound). Read-only paths are bound on themselves read-only (keeping
// nosuid/nodev/noexec); masked paths get /dev/null bound on files (an empty
// read-only file when there is no /dev/null) and an empty read-only tmpfs on
// directories; paths that do not exist are skipped, as runc does. Order:
// mounts, then read-only paths, then masked paths.
#ifndef SENTRY_FS_MOUNTS_SPEC_MOUNTS_H_
#define SENTRY_FS_MOUNTS_SPEC_MOUNTS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sentry/base/errno.h"
#include "sentry/vfs/vfs.h"

namespace sentry::fs::mounts {

struct MountSpec {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

struct MountTreeSpec {
  std::vector<MountSpec> mounts;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
};

// Returns the file system serving a bind mount's source.
using BindSourceResolver =
    std::function<ErrnoOr<std::shared_ptr<vfs::Filesystem>>(const MountSpec&)>;

// Parsed mount options.
struct ParsedOptions {
  vfs::MountFlags flags;
  bool bind = false;
  std::string data;  // comma-joined options for the file system
};
ParsedOptions ParseMountOptions(const std::vector<std::string>& options);

// Applies `spec` on the tree of `vfs` (whose root is ctx.root). The VFS must
// have tmpfs registered; proc, sysfs, devfs/devpts are used when registered
// (ENODEV otherwise). Stops at the first failure, returning its errno.
ErrnoStatus ApplyMountSpec(vfs::VirtualFilesystem& vfs, const vfs::Context& ctx,
                           const MountTreeSpec& spec,
                           const BindSourceResolver& bind_resolver);

// mkdir -p.
ErrnoStatus MakeDirs(vfs::VirtualFilesystem& vfs, const vfs::Context& ctx,
                     absl::string_view path, uint32_t mode);

}  // namespace sentry::fs::mounts

#endif  // SENTRY_FS_MOUNTS_SPEC_MOUNTS_H_
