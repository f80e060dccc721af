#include "sentry/net/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace sentry::net {

namespace {
constexpr std::array<uint8_t, 16> kV4MappedPrefix = {0, 0, 0, 0, 0,    0,
                                                     0, 0, 0, 0, 0xff, 0xff};
}  // namespace

uint32_t Address::v4() const {
  uint32_t a;
  std::memcpy(&a, ip.data() + 12, 4);
  return a;
}

bool Address::is_v4_mapped() const {
  return std::equal(ip.begin(), ip.begin() + 12, kV4MappedPrefix.begin());
}

bool Address::is_any() const {
  if (is_v4_mapped()) return v4() == 0;
  return std::all_of(ip.begin(), ip.end(), [](uint8_t b) { return b == 0; });
}

bool Address::is_loopback() const {
  if (is_v4_mapped()) return ip[12] == 127;
  for (int i = 0; i < 15; ++i) {
    if (ip[i] != 0) return false;
  }
  return ip[15] == 1;
}

std::string Address::ToString() const {
  if (family == AF_UNIX) {
    if (unix_name.empty()) return "unix:(unnamed)";
    if (unix_abstract()) return absl::StrCat("unix:@", unix_name.substr(1));
    return absl::StrCat("unix:", unix_name);
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET) {
    uint32_t a = v4();
    inet_ntop(AF_INET, &a, buf, sizeof(buf));
    return absl::StrCat(buf, ":", port);
  }
  inet_ntop(AF_INET6, ip.data(), buf, sizeof(buf));
  return absl::StrCat("[", buf, "]:", port);
}

ErrnoOr<Address> DecodeAddress(int family, std::span<const std::byte> raw,
                               bool allow_unnamed) {
  if (raw.size() < sizeof(sa_family_t)) return Errno{EINVAL};
  sa_family_t fam;
  std::memcpy(&fam, raw.data(), sizeof(fam));
  Address a;
  switch (family) {
    case AF_UNIX: {
      constexpr size_t kPathOff = offsetof(sockaddr_un, sun_path);
      if (raw.size() > sizeof(sockaddr_un)) return Errno{EINVAL};
      if (fam != AF_UNIX) return Errno{EINVAL};
      a.family = AF_UNIX;
      if (raw.size() <= kPathOff) {
        if (allow_unnamed && raw.size() == kPathOff) return a;
        return Errno{EINVAL};
      }
      const char* p = reinterpret_cast<const char*>(raw.data()) + kPathOff;
      const size_t n = raw.size() - kPathOff;
      if (p[0] == '\0') {
        a.unix_name.assign(p, n);  // abstract: every byte counts
      } else {
        a.unix_name.assign(p, strnlen(p, n));
      }
      return a;
    }
    case AF_INET: {
      if (raw.size() < sizeof(sockaddr_in)) return Errno{EINVAL};
      sockaddr_in in;
      std::memcpy(&in, raw.data(), sizeof(in));
      if (fam == AF_UNSPEC) {
        a.family = AF_UNSPEC;
        a = Ipv4(ntohl(in.sin_addr.s_addr), ntohs(in.sin_port));
        a.family = AF_UNSPEC;
        return a;
      }
      if (fam != AF_INET) return Errno{EAFNOSUPPORT};
      return Ipv4(ntohl(in.sin_addr.s_addr), ntohs(in.sin_port));
    }
    case AF_INET6: {
      if (fam == AF_UNSPEC) {
        a.family = AF_UNSPEC;
        return a;
      }
      // SIN6_LEN_RFC2133: the scope id is optional.
      if (raw.size() < 24) return Errno{EINVAL};
      if (fam != AF_INET6) return Errno{EAFNOSUPPORT};
      sockaddr_in6 in6 = {};
      std::memcpy(&in6, raw.data(), std::min(raw.size(), sizeof(in6)));
      std::array<uint8_t, 16> ip;
      std::memcpy(ip.data(), &in6.sin6_addr, 16);
      a = InetAddress(AF_INET6, ip, ntohs(in6.sin6_port));
      a.flowinfo = in6.sin6_flowinfo;
      a.scope_id = in6.sin6_scope_id;
      return a;
    }
    default:
      return Errno{EAFNOSUPPORT};
  }
}

std::vector<std::byte> EncodeAddress(int family, const Address& a) {
  std::vector<std::byte> out;
  switch (family) {
    case AF_UNIX: {
      constexpr size_t kPathOff = offsetof(sockaddr_un, sun_path);
      size_t n = kPathOff + a.unix_name.size();
      if (a.unix_path()) ++n;  // the NUL Linux counts for path names
      out.resize(std::min(n, sizeof(sockaddr_un)));
      sa_family_t f = AF_UNIX;
      std::memcpy(out.data(), &f, sizeof(f));
      std::memcpy(out.data() + kPathOff, a.unix_name.data(),
                  std::min(a.unix_name.size(), out.size() - kPathOff));
      return out;
    }
    case AF_INET: {
      sockaddr_in in = {};
      in.sin_family = AF_INET;
      in.sin_port = htons(a.port);
      in.sin_addr.s_addr = a.is_v4_mapped() ? a.v4() : 0;
      out.resize(sizeof(in));
      std::memcpy(out.data(), &in, sizeof(in));
      return out;
    }
    case AF_INET6: {
      sockaddr_in6 in6 = {};
      in6.sin6_family = AF_INET6;
      in6.sin6_port = htons(a.port);
      in6.sin6_flowinfo = a.flowinfo;
      in6.sin6_scope_id = a.scope_id;
      std::memcpy(&in6.sin6_addr, a.ip.data(), 16);
      out.resize(sizeof(in6));
      std::memcpy(out.data(), &in6, sizeof(in6));
      return out;
    }
    default:
      return out;
  }
}

Address InetAddress(int family, const std::array<uint8_t, 16>& ip,
                    uint16_t port) {
  Address a;
  a.family = family;
  a.ip = ip;
  a.port = port;
  return a;
}

Address Ipv4(uint32_t addr_host_order, uint16_t port) {
  std::array<uint8_t, 16> ip = kV4MappedPrefix;
  uint32_t n = htonl(addr_host_order);
  std::memcpy(ip.data() + 12, &n, 4);
  return InetAddress(AF_INET, ip, port);
}

Address Ipv6Loopback(uint16_t port) {
  std::array<uint8_t, 16> ip{};
  ip[15] = 1;
  return InetAddress(AF_INET6, ip, port);
}

Address UnixAddress(std::string name) {
  Address a;
  a.family = AF_UNIX;
  a.unix_name = std::move(name);
  return a;
}

}  // namespace sentry::net
