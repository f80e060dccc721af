// Sockets inside the sentry (sentry/net): the file side and socket(2).
//
// A Socket is the FileImpl of a socket's open file description: read and
// write are recv and send without flags, poll readiness and the EventQueue
// come from its Endpoint (endpoint.h), FIONREAD/TIOCOUTQ are its ioctls.
// The socket syscalls (sentry/syscalls/sys_socket.cc) reach the Endpoint
// through AsSocket(file). Closing the last descriptor releases the
// endpoint (disconnects the peer, frees the name).
//
// Supported, as Linux: AF_UNIX stream, datagram and seqpacket sockets
// (socketpair, path and abstract names, autobind, SCM_RIGHTS,
// SCM_CREDENTIALS, SO_PEERCRED) and AF_INET/AF_INET6 TCP and UDP on the
// loopback interface only (the `--network=none` sandbox). Everything else
// fails at socket(2) with Linux's errno.
//
// Thread-safe; see endpoint.h for the lock order.
#ifndef SENTRY_NET_SOCKET_H_
#define SENTRY_NET_SOCKET_H_

#include <memory>
#include <utility>

#include "sentry/base/errno.h"
#include "sentry/net/endpoint.h"
#include "sentry/net/stack.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/inode.h"

namespace sentry::vfs {
class VirtualFilesystem;
}

namespace sentry::net {

class Socket final : public vfs::FileImpl {
 public:
  // `owner` stands for the caller's credentials in plain write(2) calls
  // (which have no SCM_CREDENTIALS of their own).
  Socket(std::shared_ptr<Endpoint> ep, const Cred& owner)
      : ep_(std::move(ep)), owner_(owner) {}
  ~Socket() override { ep_->Release(); }

  Endpoint& endpoint() { return *ep_; }
  const std::shared_ptr<Endpoint>& endpoint_ref() { return ep_; }

  // read(2): recv without flags.
  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t offset,
                       const vfs::IoOptions& opts) override;
  // write(2): send without flags (EPIPE: the caller adds SIGPIPE).
  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t offset,
                        const vfs::IoOptions& opts, int64_t* end) override;
  bool Seekable() const override { return false; }
  uint32_t Readiness(uint32_t mask) override { return ep_->Readiness(mask); }
  vfs::EventQueue* Events() override { return &ep_->events(); }
  // FIONREAD (= TIOCINQ, SIOCINQ), TIOCOUTQ (= SIOCOUTQ) and the
  // SIOCGIF* queries about the one interface, "lo".
  ErrnoOr<int64_t> Ioctl(uint32_t cmd, uint64_t arg,
                         vfs::IoctlCaller& caller) override;

 private:
  std::shared_ptr<Endpoint> ep_;
  const Cred owner_;
};

// socket(2) checks: EAFNOSUPPORT for families other than AF_UNIX/AF_INET/
// AF_INET6, ESOCKTNOSUPPORT / EPROTONOSUPPORT for types and protocols
// Linux does not have for the family, EPERM for SOCK_RAW (no raw sockets
// without a network), EACCES for ICMP "ping" sockets (Linux's default
// ping_group_range allows nobody). `type` is without SOCK_NONBLOCK/
// SOCK_CLOEXEC. Returns the endpoint's (family, type, protocol).
struct SocketKind {
  int family, type, protocol;
};
ErrnoOr<SocketKind> CheckSocketKind(int family, int type, int protocol);

ErrnoOr<std::unique_ptr<Socket>> NewSocket(Stack& stack, int family, int type,
                                           int protocol, const Cred& owner);
// socketpair(2): AF_UNIX only (EOPNOTSUPP for inet, as Linux).
ErrnoOr<std::pair<std::unique_ptr<Socket>, std::unique_ptr<Socket>>>
NewSocketPair(Stack& stack, int family, int type, int protocol,
              const Cred& owner);

// An open file description for a socket: anonymous S_IFSOCK inode (mode
// 0777, as Linux's sockfs), O_RDWR plus `flags` & O_NONBLOCK.
vfs::FileRef NewSocketFile(vfs::VirtualFilesystem* vfs,
                           std::unique_ptr<Socket> sock, int flags,
                           uint32_t uid, uint32_t gid);

// The socket behind a file, or null (ENOTSOCK).
Socket* AsSocket(vfs::FileDescription& f);

// The sandbox's one network stack.
Stack& SandboxStack();

}  // namespace sentry::net

#endif  // SENTRY_NET_SOCKET_H_
