// A container's file system tree, built from its spec and its gofer
// connections. The root container and every subcontainer of a
// multi-container sandbox (docs/multi-container.md) go through the same
// function, so they get the same rootfs, overlay and mount handling.
//
// Layout: the root is the gofer's rootfs (connection 0); with `overlay` an
// overlay with a tmpfs upper layer sits on top so writes stay in the
// sandbox (without it writes go to the host, and a read-only root.readonly
// stays read-only). The spec's mounts, read-only and masked paths follow
// (sentry/fs/mounts); bind mounts use gofer connections 1..N in the order
// of the spec's bind mounts, matching the mounts the gofer serves.
//
// The root container's tree is the VFS's root mount tree; a subcontainer's
// is a separate tree (VirtualFilesystem::MountTreeRoot): its processes,
// rooted there, see only their own rootfs and mounts, like a mount
// namespace of their own. The file system types (tmpfs, proc, sysfs, dev)
// must be registered with the VFS before.
#ifndef SENTRY_SANDBOX_CONTAINER_FS_H_
#define SENTRY_SANDBOX_CONTAINER_FS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "nlohmann/json.hpp"
#include "sentry/vfs/vfs.h"

namespace sentry::sandbox {

struct ContainerFsOptions {
  bool overlay = true;
  // False: the VFS's root tree (the root container, once). True: a
  // separate tree (a subcontainer).
  bool separate_tree = false;
};

// Builds the tree and returns its root. `io_fds` are the sentry ends of
// the container's gofer connections (rootfs first); on failure the part
// built so far is released.
absl::StatusOr<vfs::VirtualDentry> BuildContainerFs(
    vfs::VirtualFilesystem& v, const nlohmann::json& spec,
    std::vector<base::UniqueFd> io_fds, const ContainerFsOptions& options);

}  // namespace sentry::sandbox

#endif  // SENTRY_SANDBOX_CONTAINER_FS_H_
