#include "sentry/net/socket.h"

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <atomic>
#include <cstring>

namespace sentry::net {

ErrnoOr<size_t> Socket::Read(vfs::IoDst& dst, int64_t,
                             const vfs::IoOptions& opts) {
  RecvArgs args;
  args.data = &dst;
  args.wait = {opts.nonblock, opts.waiter};
  ASSIGN_OR_RETURN_ERRNO(RecvResult r, ep_->Recv(args));
  return r.length;
}

ErrnoOr<size_t> Socket::Write(vfs::IoSrc& src, int64_t,
                              const vfs::IoOptions& opts, int64_t* end) {
  *end = 0;
  SendArgs args;
  args.data = &src;
  args.sender = owner_;
  args.wait = {opts.nonblock, opts.waiter};
  return ep_->Send(args);
}

namespace {

// The sandbox's one network interface, "lo" (index 1), as the SIOCGIF*
// ioctls describe it (Linux's dev_ioctl; any socket can ask).
constexpr int kLoIndex = 1;

ErrnoOr<int64_t> InterfaceIoctl(uint32_t cmd, uint64_t arg,
                                vfs::IoctlCaller& caller) {
  auto bytes = [](auto* p, size_t n) {
    return std::span<std::byte>(reinterpret_cast<std::byte*>(p), n);
  };
  if (cmd == SIOCGIFCONF) {
    ifconf ifc;
    RETURN_IF_ERRNO(caller.CopyIn(arg, bytes(&ifc, sizeof(ifc))));
    if (ifc.ifc_buf != nullptr) {
      if (ifc.ifc_len < static_cast<int>(sizeof(ifreq))) {
        ifc.ifc_len = 0;
      } else {
        ifreq r = {};
        std::strcpy(r.ifr_name, "lo");
        sockaddr_in in = {};
        in.sin_family = AF_INET;
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        std::memcpy(&r.ifr_addr, &in, sizeof(in));
        RETURN_IF_ERRNO(caller.CopyOut(reinterpret_cast<uint64_t>(ifc.ifc_buf),
                                       bytes(&r, sizeof(r))));
        ifc.ifc_len = sizeof(ifreq);
      }
    } else {
      ifc.ifc_len = sizeof(ifreq);
    }
    RETURN_IF_ERRNO(caller.CopyOut(arg, bytes(&ifc, sizeof(ifc))));
    return int64_t{0};
  }
  ifreq r;
  RETURN_IF_ERRNO(caller.CopyIn(arg, bytes(&r, sizeof(r))));
  r.ifr_name[IFNAMSIZ - 1] = '\0';
  if (cmd == SIOCGIFNAME) {
    if (r.ifr_ifindex != kLoIndex) return Errno{ENODEV};
    std::memset(r.ifr_name, 0, IFNAMSIZ);
    std::strcpy(r.ifr_name, "lo");
  } else {
    if (std::strcmp(r.ifr_name, "lo") != 0) return Errno{ENODEV};
    sockaddr_in in = {};
    in.sin_family = AF_INET;
    switch (cmd) {
      case SIOCGIFINDEX:
        r.ifr_ifindex = kLoIndex;
        break;
      case SIOCGIFFLAGS:
        r.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
        break;
      case SIOCGIFMTU:
        r.ifr_mtu = 65536;
        break;
      case SIOCGIFADDR:
        in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        std::memcpy(&r.ifr_addr, &in, sizeof(in));
        break;
      case SIOCGIFNETMASK:
        in.sin_addr.s_addr = htonl(0xff000000);
        std::memcpy(&r.ifr_netmask, &in, sizeof(in));
        break;
      case SIOCGIFHWADDR:
        std::memset(&r.ifr_hwaddr, 0, sizeof(r.ifr_hwaddr));
        r.ifr_hwaddr.sa_family = 772;  // ARPHRD_LOOPBACK
        break;
      default:
        return Errno{ENOTTY};
    }
  }
  RETURN_IF_ERRNO(caller.CopyOut(arg, bytes(&r, sizeof(r))));
  return int64_t{0};
}

}  // namespace

ErrnoOr<int64_t> Socket::Ioctl(uint32_t cmd, uint64_t arg,
                               vfs::IoctlCaller& caller) {
  int v;
  switch (cmd) {
    case SIOCGIFCONF:
    case SIOCGIFNAME:
    case SIOCGIFINDEX:
    case SIOCGIFFLAGS:
    case SIOCGIFMTU:
    case SIOCGIFADDR:
    case SIOCGIFNETMASK:
    case SIOCGIFHWADDR:
      return InterfaceIoctl(cmd, arg, caller);
    case FIONREAD: {
      ASSIGN_OR_RETURN_ERRNO(v, ep_->InQueue());
      break;
    }
    case TIOCOUTQ:
      v = ep_->OutQueue();
      break;
    default:
      return Errno{ENOTTY};
  }
  RETURN_IF_ERRNO(caller.CopyOut(
      arg,
      std::span<const std::byte>(reinterpret_cast<std::byte*>(&v), sizeof(v))));
  return int64_t{0};
}

ErrnoOr<SocketKind> CheckSocketKind(int family, int type, int protocol) {
  if (family < 0 || family >= AF_MAX) return Errno{EAFNOSUPPORT};
  if (type < 0 || type > SOCK_PACKET) return Errno{EINVAL};
  switch (family) {
    case AF_UNIX:
      if (protocol != 0 && protocol != AF_UNIX) return Errno{EPROTONOSUPPORT};
      switch (type) {
        case SOCK_STREAM:
        case SOCK_DGRAM:
        case SOCK_SEQPACKET:
          return SocketKind{AF_UNIX, type, 0};
        case SOCK_RAW:
          return SocketKind{AF_UNIX, SOCK_DGRAM, 0};  // as Linux's unix_create
        default:
          return Errno{ESOCKTNOSUPPORT};
      }
    case AF_INET:
    case AF_INET6:
      switch (type) {
        case SOCK_STREAM:
          if (protocol != 0 && protocol != IPPROTO_TCP) {
            return Errno{EPROTONOSUPPORT};
          }
          return SocketKind{family, type, IPPROTO_TCP};
        case SOCK_DGRAM:
          if (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6) {
            return Errno{EACCES};  // ping_group_range "1 0"
          }
          if (protocol != 0 && protocol != IPPROTO_UDP) {
            return Errno{EPROTONOSUPPORT};
          }
          return SocketKind{family, type, IPPROTO_UDP};
        case SOCK_RAW:
          return Errno{EPERM};
        default:
          return Errno{ESOCKTNOSUPPORT};
      }
    default:
      return Errno{EAFNOSUPPORT};
  }
}

ErrnoOr<std::unique_ptr<Socket>> NewSocket(Stack& stack, int family, int type,
                                           int protocol, const Cred& owner) {
  ASSIGN_OR_RETURN_ERRNO(SocketKind k, CheckSocketKind(family, type, protocol));
  auto ep = std::make_shared<Endpoint>(&stack, k.family, k.type, k.protocol);
  return std::make_unique<Socket>(std::move(ep), owner);
}

ErrnoOr<std::pair<std::unique_ptr<Socket>, std::unique_ptr<Socket>>>
NewSocketPair(Stack& stack, int family, int type, int protocol,
              const Cred& owner) {
  ASSIGN_OR_RETURN_ERRNO(SocketKind k, CheckSocketKind(family, type, protocol));
  if (k.family != AF_UNIX) return Errno{EOPNOTSUPP};
  auto a = std::make_shared<Endpoint>(&stack, k.family, k.type, k.protocol);
  auto b = std::make_shared<Endpoint>(&stack, k.family, k.type, k.protocol);
  Endpoint::Pair(a, b, owner);
  return std::make_pair(std::make_unique<Socket>(std::move(a), owner),
                        std::make_unique<Socket>(std::move(b), owner));
}

vfs::FileRef NewSocketFile(vfs::VirtualFilesystem* vfs,
                           std::unique_ptr<Socket> sock, int flags,
                           uint32_t uid, uint32_t gid) {
  static const uint64_t dev = vfs::NewAnonDev();
  static std::atomic<uint64_t> next_ino{1};
  auto inode = std::make_shared<vfs::SimpleInode>(dev, next_ino.fetch_add(1),
                                                  S_IFSOCK | 0777, uid, gid);
  return std::make_shared<vfs::FileDescription>(
      vfs, vfs::VirtualDentry{}, std::move(inode),
      O_RDWR | (flags & O_NONBLOCK), std::move(sock));
}

Socket* AsSocket(vfs::FileDescription& f) {
  return dynamic_cast<Socket*>(f.impl());
}

Stack& SandboxStack() {
  static Stack* stack = new Stack();  // never destroyed: outlives all sockets
  return *stack;
}

}  // namespace sentry::net
