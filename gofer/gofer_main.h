// The gofer process: builds the container's mount namespace, confines itself
// to it and serves the mounts over the given connections.
//
// RunGofer, in order:
//  1. (setup_namespaces) unshare(CLONE_NEWNS); make every mount private;
//     bind-mount the rootfs onto itself; apply the spec's bind mounts under
//     it (destinations resolved inside the rootfs with openat2 RESOLVE_IN_ROOT
//     so a symlink in the rootfs cannot redirect a mount outside; created when
//     missing; "ro" by a MS_REMOUNT|MS_BIND|MS_RDONLY remount; "rbind" adds
//     MS_REC; propagation options applied); remount the rootfs read-only when
//     asked; pivot_root into it (chroot when pivot_root is refused, e.g. on
//     an initramfs root) and detach the old root.
//     Without setup_namespaces the mounts are served where they are (tests,
//     or when the caller has already built the namespace).
//  2. Closes every descriptor except the connections, the log descriptor and
//     the server's own (mount roots and /proc/self/fd).
//  3. Drops capabilities to kKeptCapabilities (bounding, permitted, effective
//     and inheritable; ambient cleared).
//  4. Sets no_new_privs and installs the seccomp allow-list
//  (InstallGoferFilter)
//     whose default action is SECCOMP_RET_KILL_PROCESS: a gofer asked to do
//     anything unexpected dies rather than carries on.
//  5. Serves every connection (one thread each) until all are closed.
//
// Served mount index 0 is the rootfs; index i+1 is mounts[i]. Any connection
// may attach any index; by convention connection i attaches mount i.
//
// RunGofer changes the calling process for good (namespace, root, creds,
// filter): call it in the gofer process (or a forked child in tests), never
// in a process that must carry on with other work.
#ifndef GOFER_GOFER_MAIN_H_
#define GOFER_GOFER_MAIN_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/unique_fd.h"

namespace gofer {

struct GoferMount {
  std::string destination;  // absolute path inside the container
  std::string source;       // host path
  std::string type = "bind";
  // OCI options: "ro", "rw", "bind", "rbind", "private", "rprivate", "slave",
  // "rslave", "shared", "rshared", "unbindable", "runbindable"; others
  // (nosuid, nodev, noexec) are applied as mount flags; unknown ones ignored.
  std::vector<std::string> options;
};

struct GoferConfig {
  std::string rootfs;  // host path of the container's root
  bool rootfs_read_only = false;
  std::vector<GoferMount> mounts;   // only type "bind" is served
  std::vector<int> connection_fds;  // SOCK_SEQPACKET, owned by RunGofer
  bool setup_namespaces = true;
  bool drop_capabilities = true;
  bool install_seccomp = true;
  int log_fd = -1;  // kept open if >= 0
};

// The capabilities the gofer keeps (see gofer_main.cc for why each).
extern const std::vector<int> kKeptCapabilities;

// Installs the gofer's seccomp filter in the calling process (all threads
// must be created after, or be covered by TSYNC which we use). Requires
// no_new_privs or CAP_SYS_ADMIN.
absl::Status InstallGoferFilter();

absl::Status RunGofer(const GoferConfig& config);

}  // namespace gofer

#endif  // GOFER_GOFER_MAIN_H_
