// gofer::Server: serves file operations on a fixed set of mounts to the
// sentry over SOCK_SEQPACKET connections (protocol: gofer/proto/gofer.proto).
//
// Contract and security model:
// * Everything the peer sends is untrusted. Every handle is looked up in the
//   connection's own table (bounded), every name is a single component
//   (1..255 bytes, no '/', no NUL, not "." or ".."), every size is bounded
//   (gofer/wire.h). A malformed request gets an error reply, never a crash.
// * Descriptor-based, never path-based: each component is opened under its
//   parent's descriptor with O_PATH|O_NOFOLLOW (openat2 with
//   RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS when the kernel
//   has it). A symlink is returned to the sentry, never followed, so nothing
//   outside the mounts can be reached by a name. ".." is refused: the sentry
//   resolves it itself.
// * Regular files and FIFOs are donated: reopened with the requested access
//   mode through /proc/self/fd/<n> (a magic link to the very inode the handle
//   holds, so a rename or swap in between cannot substitute another file).
//   FIFOs are opened O_NONBLOCK so that the server never blocks on one.
//   Device nodes (EPERM) and sockets (ENXIO) are never donated.
// * Read-only mounts refuse every change with EROFS.
// * Permission checks are the sentry's (with the sandbox's credentials); the
//   gofer acts with its own (capability-limited) credentials.
// * "." and ".." are never returned by getdents; the sentry synthesises them.
// * Hard links: a hard link already present in the tree is a file of the
//   tree (the inode is shared with whatever else links it; nothing can tell
//   them apart). LINK can only link a handle, and handles only come from the
//   tree, so no new link to an outside file can be made through the gofer.
//
// Needs /proc mounted when the Server is created (it keeps a descriptor of
// /proc/self/fd, so the process may pivot_root away from /proc afterwards).
// Create the Server in the process that serves: /proc/self is resolved once.
//
// Threading: Serve() handles one connection on the calling thread; several
// connections may be served concurrently (ServeAll: one thread each). The
// Server itself is immutable after Create; each Connection is used by one
// thread. No locks.
#ifndef GOFER_SERVER_H_
#define GOFER_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/unique_fd.h"

namespace gofer {

// One mount the gofer serves: an O_PATH descriptor of its root directory.
struct ServedMount {
  base::UniqueFd root;
  bool read_only = false;
};

// Opens `path` as a mount root (O_PATH|O_DIRECTORY; `path` is trusted: it
// comes from the gofer's configuration).
absl::StatusOr<ServedMount> OpenServedMount(const std::string& path,
                                            bool read_only);

class Connection;

class Server {
 public:
  struct Options {
    // Bound on the handles one connection may hold (each is a descriptor).
    size_t max_handles = 65536;
    // Use openat2 when the kernel has it (tests turn it off to cover the
    // fallback).
    bool use_openat2 = true;
  };

  static absl::StatusOr<std::unique_ptr<Server>> Create(
      std::vector<ServedMount> mounts, Options options);
  static absl::StatusOr<std::unique_ptr<Server>> Create(
      std::vector<ServedMount> mounts) {
    return Create(std::move(mounts), Options());
  }

  // Serves one connection until the peer closes it (OK) or the socket fails.
  absl::Status Serve(base::UniqueFd sock) const;

  // Serves every connection, one thread each, until all have closed. Returns
  // the first error.
  absl::Status ServeAll(std::vector<base::UniqueFd> socks) const;

  // Descriptors the server holds (mount roots, /proc/self/fd), so that a
  // process closing everything else can keep them.
  std::vector<int> HeldDescriptors() const;

  bool openat2_supported() const { return openat2_; }

 private:
  friend class Connection;
  Server() = default;

  std::vector<ServedMount> mounts_;
  base::UniqueFd proc_fd_dir_;  // O_PATH of /proc/self/fd
  Options options_;
  bool openat2_ = false;
};

// The state of one connection: its handle table. HandleDatagram is the whole
// request decoder and dispatcher (the fuzz target drives it directly).
class Connection {
 public:
  explicit Connection(const Server& server);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Decodes one request datagram, performs it and returns the reply datagram.
  // A descriptor to donate, if any, is put in *fd_out.
  std::string HandleDatagram(absl::string_view datagram,
                             base::UniqueFd* fd_out);

  size_t handle_count() const;

 private:
  struct Node;
  class Ops;
  const Server& server_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Node>> handles_;
  uint64_t next_handle_ = 1;
};

}  // namespace gofer

#endif  // GOFER_SERVER_H_
