#include "sentry/sandbox/container_fs.h"

#include <map>
#include <memory>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "gofer/client.h"
#include "sentry/base/errno.h"
#include "sentry/fs/gofer/gofer_fs.h"
#include "sentry/fs/mounts/spec_mounts.h"
#include "sentry/fs/overlay/overlay.h"

namespace sentry::sandbox {

using json = nlohmann::json;

absl::StatusOr<vfs::VirtualDentry> BuildContainerFs(
    vfs::VirtualFilesystem& v, const json& spec,
    std::vector<base::UniqueFd> io_fds, const ContainerFsOptions& options) {
  if (io_fds.empty()) {
    return absl::InvalidArgumentError("no gofer connection for the rootfs");
  }
  std::vector<std::shared_ptr<gofer::Client>> clients;
  for (auto& fd : io_fds) {
    clients.push_back(std::make_shared<gofer::Client>(std::move(fd)));
  }
  auto lower = fs::gofer_fs::GoferFs::Attach(clients[0], 0);
  if (!lower.ok()) return ErrnoToStatus(lower.error(), "attaching the rootfs");
  bool root_ro = spec.contains("root") && spec["root"].is_object() &&
                 spec["root"].value("readonly", false);
  std::shared_ptr<vfs::Filesystem> rootfs = *lower;
  if (options.overlay) {
    auto upper = v.NewFilesystem("tmpfs", "overlay-upper", "mode=755");
    if (!upper.ok()) return ErrnoToStatus(upper.error(), "overlay upper layer");
    rootfs = std::make_shared<fs::overlay::OverlayFs>(*upper, *lower);
  }
  // Mount read-write first so mount points can be created; then remount.
  vfs::VirtualDentry root;
  if (options.separate_tree) {
    root = v.MountTreeRoot(rootfs, vfs::MountFlags{}, "rootfs");
  } else {
    auto r = v.MountRoot(rootfs, vfs::MountFlags{}, "rootfs");
    if (!r.ok()) return ErrnoToStatus(r.error(), "mounting the rootfs");
    root = *r;
  }
  // A separate tree that failed halfway is dropped (the root tree dies with
  // the sandbox, which fails to start then).
  bool ok = false;
  absl::Cleanup release = [&] {
    if (!ok && options.separate_tree) v.ReleaseMountTree(root.mount);
  };

  fs::mounts::MountTreeSpec ms;
  std::map<std::string, uint32_t> bind_index;
  uint32_t next = 1;
  try {
    if (spec.contains("mounts")) {
      for (const json& m : spec["mounts"]) {
        fs::mounts::MountSpec s;
        s.destination = m.value("destination", "");
        s.type = m.value("type", "");
        s.source = m.value("source", "");
        if (m.contains("options")) {
          for (const auto& o : m["options"]) {
            s.options.push_back(o.get<std::string>());
          }
        }
        bool bind = s.type == "bind";
        for (const auto& o : s.options) bind |= o == "bind" || o == "rbind";
        if (bind) bind_index[s.destination] = next++;
        ms.mounts.push_back(std::move(s));
      }
    }
    if (spec.contains("linux")) {
      const json& l = spec["linux"];
      if (l.contains("maskedPaths")) {
        for (const auto& p : l["maskedPaths"]) {
          ms.masked_paths.push_back(p.get<std::string>());
        }
      }
      if (l.contains("readonlyPaths")) {
        for (const auto& p : l["readonlyPaths"]) {
          ms.readonly_paths.push_back(p.get<std::string>());
        }
      }
    }
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(std::string("bad mounts in the spec: ") +
                                      e.what());
  }
  vfs::Context ctx = v.RootContext(root);
  auto resolver = [&](const fs::mounts::MountSpec& m)
      -> ErrnoOr<std::shared_ptr<vfs::Filesystem>> {
    auto it = bind_index.find(m.destination);
    if (it == bind_index.end() || it->second >= clients.size()) {
      return Errno{ENOENT};
    }
    ASSIGN_OR_RETURN_ERRNO(auto gfs, fs::gofer_fs::GoferFs::Attach(
                                         clients[it->second], it->second));
    return std::shared_ptr<vfs::Filesystem>(std::move(gfs));
  };
  auto applied = fs::mounts::ApplyMountSpec(v, ctx, ms, resolver);
  if (!applied.ok()) {
    return ErrnoToStatus(applied.error(), "applying the mounts");
  }
  if (root_ro) {
    vfs::MountFlags rf;
    rf.read_only = true;
    auto s = v.SetMountFlags(ctx, vfs::PathAt{root, "/"}, rf);
    if (!s.ok()) return ErrnoToStatus(s.error(), "making the root read-only");
  }
  ok = true;
  return root;
}

}  // namespace sentry::sandbox
