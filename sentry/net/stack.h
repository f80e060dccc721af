// The sandbox's network namespace: who is bound to which name.
//
// AF_UNIX: abstract names ("\0name") and path names (keyed by the socket
// node's InodeKey; the node itself lives in the VFS, created by the syscall
// layer with mknod(S_IFSOCK) semantics). AF_INET/AF_INET6: ports per
// protocol (TCP, UDP) on the loopback interface only, as with
// `--network=none` (127.0.0.0/8 and ::1; INADDR_ANY binds behave as
// loopback). Ephemeral ports come from Linux's default
// ip_local_port_range, 32768-60999.
//
// Entries hold weak references: a released endpoint unbinds itself, and a
// dead entry is treated as absent (connect gives ECONNREFUSED, as for a
// stale socket file on Linux).
//
// Lock order: Stack::mu_ -> Endpoint::mu_.
#ifndef SENTRY_NET_STACK_H_
#define SENTRY_NET_STACK_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "sentry/base/errno.h"
#include "sentry/net/address.h"

namespace sentry::net {

class Endpoint;

inline constexpr uint16_t kEphemeralFirst = 32768;
inline constexpr uint16_t kEphemeralLast = 60999;

class Stack {
 public:
  Stack() = default;
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // --- AF_UNIX -------------------------------------------------------------
  // Binds an abstract or path name (the path's key must be set).
  // Abstract names: EADDRINUSE if taken by a live endpoint. Path names: the
  // caller created a fresh node, so the key is taken over.
  ErrnoStatus BindUnix(const Address& a, const std::shared_ptr<Endpoint>& ep);
  // Picks a free abstract name "\0xxxxx" (Linux's autobind) and binds it.
  ErrnoOr<Address> AutoBindUnix(const std::shared_ptr<Endpoint>& ep);
  void UnbindUnix(const Address& a, const Endpoint* ep);
  // The live endpoint bound to `a`, or null.
  std::shared_ptr<Endpoint> FindUnix(const Address& a);

  // --- AF_INET / AF_INET6 --------------------------------------------------
  struct InetBindRequest {
    int family = AF_INET;
    int type = SOCK_STREAM;  // SOCK_STREAM (TCP) or SOCK_DGRAM (UDP)
    Address addr;            // port 0: an ephemeral port
    bool reuseaddr = false;
    bool v6only = false;
  };
  // EADDRNOTAVAIL for an address that is not local (not loopback nor any),
  // EADDRINUSE on conflict. Returns the bound address (with its port).
  ErrnoOr<Address> BindInet(const InetBindRequest& req,
                            const std::shared_ptr<Endpoint>& ep);
  void UnbindInet(int type, uint16_t port, const Endpoint* ep);
  void SetInetListening(int type, uint16_t port, const Endpoint* ep, bool on);
  // The endpoint that receives traffic to `dst`: for TCP only a listening
  // one. An exact address match wins over a wildcard one.
  std::shared_ptr<Endpoint> FindInet(int type, const Address& dst);

 private:
  struct InetBinding {
    std::weak_ptr<Endpoint> ep;
    const Endpoint* raw = nullptr;
    int family = AF_INET;
    Address addr;
    bool reuseaddr = false;
    bool v6only = false;
    bool listening = false;
  };
  using PortKey = std::pair<int, uint16_t>;  // (type, port)
  bool ConflictsLocked(const InetBindRequest& req, uint16_t port)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::weak_ptr<Endpoint>> abstract_
      ABSL_GUARDED_BY(mu_);
  std::map<InodeKey, std::weak_ptr<Endpoint>> paths_ ABSL_GUARDED_BY(mu_);
  std::map<PortKey, std::vector<InetBinding>> ports_ ABSL_GUARDED_BY(mu_);
  uint32_t next_autobind_ ABSL_GUARDED_BY(mu_) = 0;
  uint16_t next_ephemeral_ ABSL_GUARDED_BY(mu_) = kEphemeralFirst;
};

}  // namespace sentry::net

#endif  // SENTRY_NET_STACK_H_
