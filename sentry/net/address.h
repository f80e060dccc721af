// Socket addresses: decoding what the application passes to bind, connect
// and sendto (struct sockaddr bytes) and encoding what getsockname,
// getpeername, accept and recvfrom return, with Linux's length rules.
//
// AF_UNIX names are either a path (sun_path up to its first NUL), an
// abstract name (sun_path[0] == '\0', every byte up to the length counts) or
// unnamed (length sizeof(sa_family_t)). Path names are resolved by the
// syscall layer through the VFS; the socket inode they name is identified by
// an InodeKey (st_dev, st_ino), which is what the stack's path table holds.
//
// AF_INET/AF_INET6 addresses are kept as 16 bytes: IPv4 as v4-mapped IPv6
// (::ffff:a.b.c.d) so that one comparison serves both families.
//
// Thread-safe: plain values.
#ifndef SENTRY_NET_ADDRESS_H_
#define SENTRY_NET_ADDRESS_H_

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sentry/base/errno.h"

namespace sentry::net {

// (st_dev, st_ino) of a socket node in the VFS.
using InodeKey = std::pair<uint64_t, uint64_t>;

struct Address {
  int family = AF_UNSPEC;
  // AF_UNIX: the path or "\0abstract"; empty = unnamed.
  std::string unix_name;
  // AF_UNIX path names: the node, filled by the syscall layer.
  InodeKey key{0, 0};
  // AF_INET/AF_INET6: v4-mapped for IPv4; port in host order.
  std::array<uint8_t, 16> ip{};
  uint16_t port = 0;
  uint32_t flowinfo = 0;
  uint32_t scope_id = 0;

  bool unix_abstract() const {
    return !unix_name.empty() && unix_name[0] == '\0';
  }
  bool unix_path() const { return !unix_name.empty() && unix_name[0] != '\0'; }
  // For AF_INET: the address in network byte order.
  uint32_t v4() const;
  bool is_v4_mapped() const;
  bool is_any() const;       // 0.0.0.0 or ::
  bool is_loopback() const;  // 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104
  bool SameIp(const Address& o) const { return ip == o.ip; }
  std::string ToString() const;  // for logs and tests
};

// Decodes a sockaddr of `family` (the socket's). AF_UNIX: EINVAL for a
// length outside (sizeof(sa_family_t), sizeof(sockaddr_un)] unless
// allow_unnamed and the length is exactly sizeof(sa_family_t) (bind's
// autobind), EINVAL for a wrong sun_family. AF_INET: EINVAL if shorter than
// sockaddr_in, EAFNOSUPPORT for another family (AF_UNSPEC is returned as
// is, for connect's disconnect). AF_INET6: EINVAL if shorter than 24 bytes.
ErrnoOr<Address> DecodeAddress(int family, std::span<const std::byte> raw,
                               bool allow_unnamed);

// The sockaddr bytes for `a` (of the socket's `family`): unnamed unix
// sockets give just the family; path names include the terminating NUL.
std::vector<std::byte> EncodeAddress(int family, const Address& a);

// Helpers for tests and the stack.
Address InetAddress(int family, const std::array<uint8_t, 16>& ip,
                    uint16_t port);
Address Ipv4(uint32_t addr_host_order, uint16_t port);
Address Ipv6Loopback(uint16_t port);
Address UnixAddress(std::string name);

}  // namespace sentry::net

#endif  // SENTRY_NET_ADDRESS_H_
