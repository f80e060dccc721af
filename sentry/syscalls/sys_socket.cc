// Socket syscalls: socket, socketpair, bind, listen, accept(4), connect,
// shutdown, send/recv in all forms (sendto, recvfrom, sendmsg, recvmsg,
// sendmmsg, recvmmsg), getsockname, getpeername, getsockopt, setsockopt.
// Sockets live in the sentry (sentry/net): AF_UNIX and loopback-only
// AF_INET/AF_INET6. Nothing here reaches a host socket.
//
// AF_UNIX path names: bind creates the node through the VFS (mknod
// S_IFSOCK semantics: umask applies, EEXIST becomes EADDRINUSE) and records
// the node's (st_dev, st_ino) in the stack; connect and sendto resolve the
// path (following symlinks), require a socket node with write permission
// and look the key up. The node itself holds nothing, so any file system
// that can hold a socket node (tmpfs, the overlay's upper layer, the gofer
// rootfs, where the gofer creates a real node) works without keeping
// inodes alive in the dentry cache.
#include <limits.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "sentry/net/socket.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

constexpr size_t kMaxRwCount = 0x7ffff000;
constexpr int kScmMaxFd = 253;  // Linux's SCM_MAX_FD
constexpr size_t kMaxOptLen = 64 * 1024;

net::Cred TaskCred(Task& t) {
  auto c = t.creds();
  return net::Cred{t.tg().tgid, c->effective_uid, c->effective_gid};
}

// EINTR from a blocking socket call restarts it unless a handler runs
// without SA_RESTART (Linux's -ERESTARTSYS).
SyscallResult Result(const ErrnoOr<int64_t>& r) {
  if (!r.ok() && r.error() == Errno{EINTR}) {
    return SyscallResult::Restart(kernel::RestartKind::kRestartSys);
  }
  return SyscallResult::From(r);
}

ErrnoOr<std::pair<vfs::FileRef, net::Socket*>> GetSocket(Task& t, int fd) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd));
  net::Socket* s = net::AsSocket(*f);
  if (s == nullptr) return Errno{ENOTSOCK};
  return std::make_pair(std::move(f), s);
}

// move_addr_to_kernel.
ErrnoOr<std::vector<std::byte>> CopyInAddr(Task& t, UserAddr addr, int len) {
  if (len < 0 || static_cast<size_t>(len) > sizeof(sockaddr_storage)) {
    return Errno{EINVAL};
  }
  std::vector<std::byte> b(len);
  if (len > 0) RETURN_IF_ERRNO(t.mm().CopyInFull(addr, b.data(), b.size()));
  return b;
}

// move_addr_to_user: copies what fits, stores the full length.
ErrnoStatus CopyOutAddr(Task& t, const std::vector<std::byte>& a, UserAddr addr,
                        UserAddr lenp) {
  if (addr.value() == 0 || lenp.value() == 0) return OkErrno();
  int len;
  RETURN_IF_ERRNO(t.mm().CopyInFull(lenp, &len, sizeof(len)));
  if (len < 0) return Errno{EINVAL};
  size_t n = std::min(static_cast<size_t>(len), a.size());
  if (n > 0) RETURN_IF_ERRNO(t.mm().CopyOutFull(addr, a.data(), n));
  int full = static_cast<int>(a.size());
  return t.mm().CopyOutFull(lenp, &full, sizeof(full));
}

// The encoded name of a received message (none for unnamed senders).
std::vector<std::byte> FromBytes(int family, const net::Address& from) {
  if (from.family == AF_UNSPEC) return {};
  if (family == AF_UNIX && from.unix_name.empty()) return {};
  return net::EncodeAddress(family, from);
}

// Resolves a unix path name for connect/sendto.
ErrnoStatus ResolveUnixPath(Task& t, net::Address* a) {
  vfs::Context ctx = TaskContext(t);
  ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry start,
                         StartOf(t, ctx, AT_FDCWD, a->unix_name));
  vfs::PathAt at{start, a->unix_name};
  ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry vd,
                         SandboxVfs()->Resolve(ctx, at, true));
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, SandboxVfs()->GetStat(vd));
  if (!S_ISSOCK(st.mode)) return Errno{ECONNREFUSED};
  RETURN_IF_ERRNO(vfs::VirtualFilesystem::Permission(*ctx.creds, *vd.inode(),
                                                     auth::kMayWrite));
  a->key = {st.dev, st.ino};
  return OkErrno();
}

// Decodes a destination address; unix path names are resolved.
ErrnoOr<net::Address> DestAddr(Task& t, net::Endpoint& ep,
                               const std::vector<std::byte>& raw) {
  if (ep.family() == AF_UNIX && raw.size() >= sizeof(sa_family_t)) {
    sa_family_t fam;
    std::memcpy(&fam, raw.data(), sizeof(fam));
    if (fam == AF_UNSPEC && ep.type() == SOCK_DGRAM) return net::Address();
  }
  ASSIGN_OR_RETURN_ERRNO(net::Address a,
                         net::DecodeAddress(ep.family(), raw, false));
  if (a.family == AF_UNIX && a.unix_path()) {
    RETURN_IF_ERRNO(ResolveUnixPath(t, &a));
  }
  return a;
}

// I/O over an application iovec array.
class IovIo final : public vfs::IoSrc, public vfs::IoDst {
 public:
  IovIo(kernel::UserMemory& mm, std::vector<iovec> iov) : mm_(mm) {
    for (const iovec& v : iov) {
      if (v.iov_len == 0) continue;
      size_t n = std::min(v.iov_len, kMaxRwCount - total_);
      segs_.push_back({reinterpret_cast<uint64_t>(v.iov_base), n});
      total_ += n;
      if (total_ == kMaxRwCount) break;
    }
  }
  size_t size() const override { return total_; }
  ErrnoOr<size_t> CopyIn(size_t at, std::span<std::byte> dst) override {
    return Walk(at, dst.size(), [&](uint64_t addr, size_t off, size_t n) {
      return mm_.CopyIn(UserAddr(addr), dst.data() + off, n);
    });
  }
  ErrnoOr<size_t> CopyOut(size_t at, std::span<const std::byte> src) override {
    return Walk(at, src.size(), [&](uint64_t addr, size_t off, size_t n) {
      return mm_.CopyOut(UserAddr(addr), src.data() + off, n);
    });
  }

 private:
  struct Seg {
    uint64_t addr;
    size_t len;
  };
  template <typename F>
  ErrnoOr<size_t> Walk(size_t at, size_t n, F copy) {
    size_t done = 0;
    size_t base = 0;
    for (const Seg& s : segs_) {
      if (done == n) break;
      if (at + done >= base + s.len) {
        base += s.len;
        continue;
      }
      const size_t in = at + done - base;
      const size_t k = std::min(s.len - in, n - done);
      auto r = copy(s.addr + in, done, k);
      if (!r.ok() || *r == 0) break;
      done += *r;
      if (*r < k) break;
      base += s.len;
    }
    if (done == 0 && n > 0) return Errno{EFAULT};
    return done;
  }
  kernel::UserMemory& mm_;
  std::vector<Seg> segs_;
  size_t total_ = 0;
};

ErrnoOr<std::vector<iovec>> CopyInIov(Task& t, uint64_t addr, size_t n) {
  if (n > IOV_MAX) return Errno{EMSGSIZE};
  std::vector<iovec> iov(n);
  if (n > 0) {
    RETURN_IF_ERRNO(
        t.mm().CopyInFull(UserAddr(addr), iov.data(), n * sizeof(iovec)));
  }
  size_t sum = 0;
  for (const iovec& v : iov) {
    if (v.iov_len > static_cast<size_t>(SSIZE_MAX) - sum) return Errno{EINVAL};
    sum += v.iov_len;
  }
  return iov;
}

// SCM_RIGHTS / SCM_CREDENTIALS of a sendmsg.
ErrnoStatus ParseControl(Task& t, net::Endpoint& ep, const msghdr& m,
                         net::SendArgs* args) {
  if (m.msg_controllen == 0) return OkErrno();
  if (m.msg_controllen > INT_MAX) return Errno{ENOBUFS};
  std::vector<std::byte> buf(m.msg_controllen);
  RETURN_IF_ERRNO(
      t.mm().CopyInFull(UserAddr(reinterpret_cast<uint64_t>(m.msg_control)),
                        buf.data(), buf.size()));
  size_t off = 0;
  while (off + sizeof(cmsghdr) <= buf.size()) {
    cmsghdr h;
    std::memcpy(&h, buf.data() + off, sizeof(h));
    if (h.cmsg_len < sizeof(cmsghdr) || h.cmsg_len > buf.size() - off) {
      return Errno{EINVAL};
    }
    const std::byte* data = buf.data() + off + CMSG_LEN(0);
    const size_t dlen = h.cmsg_len - CMSG_LEN(0);
    if (h.cmsg_level == SOL_SOCKET) {
      if (ep.family() != AF_UNIX) return Errno{EINVAL};
      if (h.cmsg_type == SCM_RIGHTS) {
        const size_t n = dlen / sizeof(int);
        if (n + args->rights.size() > kScmMaxFd) return Errno{EINVAL};
        for (size_t i = 0; i < n; ++i) {
          int fd;
          std::memcpy(&fd, data + i * sizeof(int), sizeof(int));
          // O_PATH descriptors travel too (Linux's fget_raw).
          ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd));
          args->rights.push_back(std::move(f));
        }
      } else if (h.cmsg_type == SCM_CREDENTIALS) {
        if (h.cmsg_len != CMSG_LEN(sizeof(ucred))) return Errno{EINVAL};
        ucred u;
        std::memcpy(&u, data, sizeof(u));
        auto c = t.creds();
        // scm_check_creds.
        if (u.pid != t.tg().tgid && !c->HasCapability(CAP_SYS_ADMIN)) {
          return Errno{EPERM};
        }
        if (u.uid != c->real_uid && u.uid != c->effective_uid &&
            u.uid != c->saved_uid && !c->HasCapability(CAP_SETUID)) {
          return Errno{EPERM};
        }
        if (u.gid != c->real_gid && u.gid != c->effective_gid &&
            u.gid != c->saved_gid && !c->HasCapability(CAP_SETGID)) {
          return Errno{EPERM};
        }
        args->cred = net::Cred{u.pid, u.uid, u.gid};
      } else {
        return Errno{EINVAL};
      }
    }
    off += CMSG_ALIGN(h.cmsg_len);
  }
  return OkErrno();
}

// Writes the received control messages; sets MSG_CTRUNC in *flags when
// they do not fit. Returns the control length used.
ErrnoOr<size_t> WriteControl(Task& t, const msghdr& m, net::RecvResult& r,
                             bool cloexec, int* flags) {
  const size_t space = m.msg_control ? m.msg_controllen : 0;
  std::vector<std::byte> out;
  if (r.cred) {
    if (space - out.size() >= CMSG_SPACE(sizeof(ucred)) ||
        space - out.size() >= CMSG_LEN(sizeof(ucred))) {
      size_t at = out.size();
      out.resize(at + std::min(CMSG_SPACE(sizeof(ucred)), space - at));
      cmsghdr h = {};
      h.cmsg_len = CMSG_LEN(sizeof(ucred));
      h.cmsg_level = SOL_SOCKET;
      h.cmsg_type = SCM_CREDENTIALS;
      ucred u = {r.cred->pid, r.cred->uid, r.cred->gid};
      std::memcpy(out.data() + at, &h, sizeof(h));
      std::memcpy(out.data() + at + CMSG_LEN(0), &u, sizeof(u));
    } else {
      *flags |= MSG_CTRUNC;
    }
  }
  if (!r.rights.empty()) {
    const size_t left = space - out.size();
    size_t fit = left > CMSG_LEN(0) ? (left - CMSG_LEN(0)) / sizeof(int) : 0;
    fit = std::min(fit, r.rights.size());
    if (fit < r.rights.size()) *flags |= MSG_CTRUNC;
    if (fit > 0) {
      std::vector<int> fds;
      for (size_t i = 0; i < fit; ++i) {
        auto fd = TaskFdTable(t).Add(r.rights[i], cloexec);
        if (!fd.ok()) {
          *flags |= MSG_CTRUNC;
          break;
        }
        fds.push_back(*fd);
      }
      if (!fds.empty()) {
        size_t at = out.size();
        const size_t len = CMSG_LEN(fds.size() * sizeof(int));
        out.resize(at +
                   std::min(CMSG_SPACE(fds.size() * sizeof(int)), space - at));
        cmsghdr h = {};
        h.cmsg_len = len;
        h.cmsg_level = SOL_SOCKET;
        h.cmsg_type = SCM_RIGHTS;
        std::memcpy(out.data() + at, &h, sizeof(h));
        std::memcpy(out.data() + at + CMSG_LEN(0), fds.data(),
                    fds.size() * sizeof(int));
      }
    }
  }
  if (!out.empty()) {
    RETURN_IF_ERRNO(
        t.mm().CopyOutFull(UserAddr(reinterpret_cast<uint64_t>(m.msg_control)),
                           out.data(), out.size()));
  }
  return out.size();
}

// --- handlers ----------------------------------------------------------------

SyscallResult Socket(Task& t, int family, int type, int protocol) {
  const int flags = type & ~0xf;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(auto sock,
                         net::NewSocket(net::SandboxStack(), family, type & 0xf,
                                        protocol, TaskCred(t)));
  auto c = t.creds();
  vfs::FileRef f =
      net::NewSocketFile(SandboxVfs(), std::move(sock), flags & SOCK_NONBLOCK,
                         c->effective_uid, c->effective_gid);
  return SyscallResult::From(
      TaskFdTable(t).Add(std::move(f), flags & SOCK_CLOEXEC));
}

SyscallResult Socketpair(Task& t, int family, int type, int protocol,
                         UserAddr sv) {
  const int flags = type & ~0xf;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(
      auto pair, net::NewSocketPair(net::SandboxStack(), family, type & 0xf,
                                    protocol, TaskCred(t)));
  auto c = t.creds();
  vfs::FileRef a = net::NewSocketFile(SandboxVfs(), std::move(pair.first),
                                      flags & SOCK_NONBLOCK, c->effective_uid,
                                      c->effective_gid);
  vfs::FileRef b = net::NewSocketFile(SandboxVfs(), std::move(pair.second),
                                      flags & SOCK_NONBLOCK, c->effective_uid,
                                      c->effective_gid);
  vfs::FdTable& table = TaskFdTable(t);
  ASSIGN_OR_RETURN_ERRNO(int fa, table.Add(std::move(a), flags & SOCK_CLOEXEC));
  auto fb = table.Add(std::move(b), flags & SOCK_CLOEXEC);
  if (!fb.ok()) {
    (void)table.Remove(fa);
    return fb.error();
  }
  int fds[2] = {fa, *fb};
  ErrnoStatus s = t.mm().CopyOutFull(sv, fds, sizeof(fds));
  if (!s.ok()) {
    (void)table.Remove(fa);
    (void)table.Remove(*fb);
    return s.error();
  }
  return SyscallResult::Value(0);
}

SyscallResult Bind(Task& t, Fd fd, UserAddr addr, int len) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  net::Endpoint& ep = fs.second->endpoint();
  ASSIGN_OR_RETURN_ERRNO(auto raw, CopyInAddr(t, addr, len));
  ASSIGN_OR_RETURN_ERRNO(net::Address a,
                         net::DecodeAddress(ep.family(), raw, true));
  if (a.family == AF_UNIX && a.unix_path()) {
    if (ep.IsBound()) return Errno{EINVAL};
    vfs::Context ctx = TaskContext(t);
    ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry start,
                           StartOf(t, ctx, AT_FDCWD, a.unix_name));
    vfs::PathAt at{start, a.unix_name};
    ErrnoStatus s = SandboxVfs()->Mknod(ctx, at, S_IFSOCK | 0777, 0);
    if (!s.ok()) {
      return s.error() == Errno{EEXIST} ? Errno{EADDRINUSE} : s.error();
    }
    ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, SandboxVfs()->GetStat(ctx, at, false));
    a.key = {st.dev, st.ino};
    ErrnoStatus b = ep.Bind(a);
    if (!b.ok()) (void)SandboxVfs()->Unlink(ctx, at);
    return SyscallResult::From(b);
  }
  return SyscallResult::From(ep.Bind(a));
}

SyscallResult Listen(Task& t, Fd fd, int backlog) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  return SyscallResult::From(
      fs.second->endpoint().Listen(backlog, TaskCred(t)));
}

SyscallResult Accept4(Task& t, Fd fd, UserAddr addr, UserAddr lenp, int flags) {
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  net::WaitOptions w{(fs.first->flags() & O_NONBLOCK) != 0, t.vfs_waiter()};
  auto child = fs.second->endpoint().Accept(w);
  if (!child.ok()) return Result(child.error());
  std::shared_ptr<net::Endpoint> ep = std::move(*child);
  auto sock = std::make_unique<net::Socket>(ep, TaskCred(t));
  auto c = t.creds();
  vfs::FileRef f =
      net::NewSocketFile(SandboxVfs(), std::move(sock), flags & SOCK_NONBLOCK,
                         c->effective_uid, c->effective_gid);
  if (addr.value() != 0) {
    auto peer = ep->PeerAddress();
    net::Address pa = peer.ok() ? *peer : net::Address();
    pa.family = ep->family();
    RETURN_IF_ERRNO(
        CopyOutAddr(t, net::EncodeAddress(ep->family(), pa), addr, lenp));
  }
  return SyscallResult::From(
      TaskFdTable(t).Add(std::move(f), flags & SOCK_CLOEXEC));
}

SyscallResult Accept(Task& t, Fd fd, UserAddr addr, UserAddr lenp) {
  return Accept4(t, fd, addr, lenp, 0);
}

SyscallResult Connect(Task& t, Fd fd, UserAddr addr, int len) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  net::Endpoint& ep = fs.second->endpoint();
  ASSIGN_OR_RETURN_ERRNO(auto raw, CopyInAddr(t, addr, len));
  ASSIGN_OR_RETURN_ERRNO(net::Address a, DestAddr(t, ep, raw));
  net::WaitOptions w{(fs.first->flags() & O_NONBLOCK) != 0, t.vfs_waiter()};
  bool in_progress = false;
  ErrnoStatus s = ep.Connect(a, TaskCred(t), w, &in_progress);
  if (!s.ok()) return Result(s.error());
  if (in_progress) return Errno{EINPROGRESS};
  return SyscallResult::Value(0);
}

SyscallResult Shutdown(Task& t, Fd fd, int how) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  return SyscallResult::From(fs.second->endpoint().Shutdown(how));
}

SyscallResult GetName(Task& t, Fd fd, UserAddr addr, UserAddr lenp, bool peer) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  net::Endpoint& ep = fs.second->endpoint();
  ASSIGN_OR_RETURN_ERRNO(net::Address a,
                         peer ? ep.PeerAddress() : ep.LocalAddress());
  int len;
  RETURN_IF_ERRNO(t.mm().CopyInFull(lenp, &len, sizeof(len)));
  if (len < 0) return Errno{EINVAL};
  return SyscallResult::From(
      CopyOutAddr(t, net::EncodeAddress(ep.family(), a), addr, lenp));
}

SyscallResult Getsockname(Task& t, Fd fd, UserAddr addr, UserAddr lenp) {
  return GetName(t, fd, addr, lenp, false);
}
SyscallResult Getpeername(Task& t, Fd fd, UserAddr addr, UserAddr lenp) {
  return GetName(t, fd, addr, lenp, true);
}

SyscallResult Getsockopt(Task& t, Fd fd, int level, int name, UserAddr val,
                         UserAddr lenp) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  int len;
  RETURN_IF_ERRNO(t.mm().CopyInFull(lenp, &len, sizeof(len)));
  if (len < 0) return Errno{EINVAL};
  std::vector<std::byte> out;
  RETURN_IF_ERRNO(fs.second->endpoint().GetOption(level, name, &out));
  size_t n = std::min(static_cast<size_t>(len), out.size());
  if (n > 0) RETURN_IF_ERRNO(t.mm().CopyOutFull(val, out.data(), n));
  int written = static_cast<int>(n);
  RETURN_IF_ERRNO(t.mm().CopyOutFull(lenp, &written, sizeof(written)));
  return SyscallResult::Value(0);
}

SyscallResult Setsockopt(Task& t, Fd fd, int level, int name, UserAddr val,
                         int len) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  if (len < 0) return Errno{EINVAL};
  std::vector<std::byte> in(std::min(static_cast<size_t>(len), kMaxOptLen));
  if (!in.empty())
    RETURN_IF_ERRNO(t.mm().CopyInFull(val, in.data(), in.size()));
  return SyscallResult::From(fs.second->endpoint().SetOption(level, name, in));
}

// One sendmsg on an already decoded header.
ErrnoOr<int64_t> DoSendMsg(Task& t, vfs::FileDescription& f, net::Socket& s,
                           const msghdr& m, int flags) {
  net::Endpoint& ep = s.endpoint();
  net::SendArgs args;
  args.flags = flags;
  args.sender = TaskCred(t);
  args.wait = {(flags & MSG_DONTWAIT) || (f.flags() & O_NONBLOCK),
               t.vfs_waiter()};
  net::Address to;
  const bool has_name = m.msg_name != nullptr && m.msg_namelen != 0;
  if (has_name && !(ep.is_inet() && ep.type() == SOCK_STREAM)) {
    ASSIGN_OR_RETURN_ERRNO(
        auto raw,
        CopyInAddr(t, UserAddr(reinterpret_cast<uint64_t>(m.msg_name)),
                   static_cast<int>(m.msg_namelen)));
    ASSIGN_OR_RETURN_ERRNO(to, DestAddr(t, ep, raw));
    if (to.family != AF_UNSPEC || ep.is_inet()) args.to = &to;
  }
  ASSIGN_OR_RETURN_ERRNO(
      auto iov,
      CopyInIov(t, reinterpret_cast<uint64_t>(m.msg_iov), m.msg_iovlen));
  RETURN_IF_ERRNO(ParseControl(t, ep, m, &args));
  IovIo io(t.mm(), std::move(iov));
  args.data = &io;
  auto r = ep.Send(args);
  if (!r.ok()) {
    if (r.error() == Errno{EPIPE} && !(flags & MSG_NOSIGNAL)) SendSigpipe(t);
    return r.error();
  }
  return static_cast<int64_t>(*r);
}

// One recvmsg; updates the header's namelen/controllen/flags in *m.
ErrnoOr<int64_t> DoRecvMsg(Task& t, vfs::FileDescription& f, net::Socket& s,
                           msghdr* m, int flags) {
  net::Endpoint& ep = s.endpoint();
  if (flags & MSG_ERRQUEUE) return Errno{EAGAIN};  // no error queue
  ASSIGN_OR_RETURN_ERRNO(
      auto iov,
      CopyInIov(t, reinterpret_cast<uint64_t>(m->msg_iov), m->msg_iovlen));
  IovIo io(t.mm(), std::move(iov));
  net::RecvArgs args;
  args.data = &io;
  args.flags = flags;
  args.wait = {(flags & MSG_DONTWAIT) || (f.flags() & O_NONBLOCK),
               t.vfs_waiter()};
  ASSIGN_OR_RETURN_ERRNO(net::RecvResult r, ep.Recv(args));
  int out_flags = r.msg_flags;
  if (m->msg_name != nullptr) {
    std::vector<std::byte> a = FromBytes(ep.family(), r.from);
    size_t n = std::min<size_t>(a.size(), m->msg_namelen);
    if (n > 0) {
      RETURN_IF_ERRNO(t.mm().CopyOutFull(
          UserAddr(reinterpret_cast<uint64_t>(m->msg_name)), a.data(), n));
    }
    m->msg_namelen = static_cast<socklen_t>(a.size());
  } else {
    m->msg_namelen = 0;
  }
  ASSIGN_OR_RETURN_ERRNO(
      size_t clen,
      WriteControl(t, *m, r, flags & MSG_CMSG_CLOEXEC, &out_flags));
  m->msg_controllen = clen;
  m->msg_flags = out_flags;
  return static_cast<int64_t>(r.length);
}

SyscallResult Sendto(Task& t, Fd fd, UserAddr buf, size_t len, int flags,
                     UserAddr addr, int addrlen) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  iovec v = {reinterpret_cast<void*>(buf.value()), len};
  msghdr m = {};
  m.msg_name = reinterpret_cast<void*>(addr.value());
  m.msg_namelen = addr.value() ? addrlen : 0;
  if (addr.value() && addrlen < 0) return Errno{EINVAL};
  // The iovec is built here, not copied from the application.
  net::Endpoint& ep = fs.second->endpoint();
  net::SendArgs args;
  args.flags = flags;
  args.sender = TaskCred(t);
  args.wait = {(flags & MSG_DONTWAIT) || (fs.first->flags() & O_NONBLOCK),
               t.vfs_waiter()};
  net::Address to;
  if (m.msg_name != nullptr && m.msg_namelen != 0 &&
      !(ep.is_inet() && ep.type() == SOCK_STREAM)) {
    ASSIGN_OR_RETURN_ERRNO(auto raw, CopyInAddr(t, addr, addrlen));
    ASSIGN_OR_RETURN_ERRNO(to, DestAddr(t, ep, raw));
    if (to.family != AF_UNSPEC || ep.is_inet()) args.to = &to;
  }
  IovIo io(t.mm(), {v});
  args.data = &io;
  auto r = ep.Send(args);
  if (!r.ok()) {
    if (r.error() == Errno{EPIPE} && !(flags & MSG_NOSIGNAL)) SendSigpipe(t);
    return Result(r.error());
  }
  return SyscallResult::Value(static_cast<int64_t>(*r));
}

SyscallResult Recvfrom(Task& t, Fd fd, UserAddr buf, size_t len, int flags,
                       UserAddr addr, UserAddr lenp) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  iovec v = {reinterpret_cast<void*>(buf.value()), len};
  net::Endpoint& ep = fs.second->endpoint();
  if (flags & MSG_ERRQUEUE) return Errno{EAGAIN};
  IovIo io(t.mm(), {v});
  net::RecvArgs args;
  args.data = &io;
  args.flags = flags;
  args.wait = {(flags & MSG_DONTWAIT) || (fs.first->flags() & O_NONBLOCK),
               t.vfs_waiter()};
  auto r = ep.Recv(args);
  if (!r.ok()) return Result(r.error());
  if (addr.value() != 0 && lenp.value() != 0) {
    std::vector<std::byte> a = FromBytes(ep.family(), r->from);
    RETURN_IF_ERRNO(CopyOutAddr(t, a, addr, lenp));
  }
  return SyscallResult::Value(static_cast<int64_t>(r->length));
}

SyscallResult Sendmsg(Task& t, Fd fd, UserAddr msg, int flags) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  msghdr m;
  RETURN_IF_ERRNO(t.mm().CopyInFull(msg, &m, sizeof(m)));
  return Result(DoSendMsg(t, *fs.first, *fs.second, m, flags));
}

SyscallResult Recvmsg(Task& t, Fd fd, UserAddr msg, int flags) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  msghdr m;
  RETURN_IF_ERRNO(t.mm().CopyInFull(msg, &m, sizeof(m)));
  auto r = DoRecvMsg(t, *fs.first, *fs.second, &m, flags);
  if (!r.ok()) return Result(r.error());
  RETURN_IF_ERRNO(t.mm().CopyOutFull(msg, &m, sizeof(m)));
  return SyscallResult::Value(*r);
}

SyscallResult Sendmmsg(Task& t, Fd fd, UserAddr vec, unsigned vlen, int flags) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  vlen = std::min(vlen, unsigned{UIO_MAXIOV});
  unsigned i = 0;
  for (; i < vlen; ++i) {
    UserAddr at(vec.value() + i * sizeof(mmsghdr));
    mmsghdr mm;
    RETURN_IF_ERRNO(t.mm().CopyInFull(at, &mm, sizeof(mm)));
    auto r = DoSendMsg(t, *fs.first, *fs.second, mm.msg_hdr, flags);
    if (!r.ok()) {
      if (i > 0) break;
      return Result(r.error());
    }
    mm.msg_len = static_cast<unsigned>(*r);
    RETURN_IF_ERRNO(
        t.mm().CopyOutFull(UserAddr(at.value() + offsetof(mmsghdr, msg_len)),
                           &mm.msg_len, sizeof(mm.msg_len)));
  }
  return SyscallResult::Value(i);
}

SyscallResult Recvmmsg(Task& t, Fd fd, UserAddr vec, unsigned vlen, int flags,
                       UserAddr timeout) {
  ASSIGN_OR_RETURN_ERRNO(auto fs, GetSocket(t, fd.value));
  std::optional<absl::Time> deadline;
  if (timeout.value() != 0) {
    timespec ts;
    RETURN_IF_ERRNO(t.mm().CopyInFull(timeout, &ts, sizeof(ts)));
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) {
      return Errno{EINVAL};
    }
    deadline = absl::Now() + absl::DurationFromTimespec(ts);
  }
  vlen = std::min(vlen, unsigned{UIO_MAXIOV});
  unsigned i = 0;
  for (; i < vlen; ++i) {
    UserAddr at(vec.value() + i * sizeof(mmsghdr));
    mmsghdr mm;
    RETURN_IF_ERRNO(t.mm().CopyInFull(at, &mm, sizeof(mm)));
    int f = flags & ~MSG_WAITFORONE;
    if (i > 0 && (flags & MSG_WAITFORONE)) f |= MSG_DONTWAIT;
    auto r = DoRecvMsg(t, *fs.first, *fs.second, &mm.msg_hdr, f);
    if (!r.ok()) {
      if (i > 0) break;
      return Result(r.error());
    }
    mm.msg_len = static_cast<unsigned>(*r);
    RETURN_IF_ERRNO(t.mm().CopyOutFull(at, &mm, sizeof(mm)));
    // The timeout is checked after each datagram, as Linux does.
    if (deadline && absl::Now() >= *deadline) {
      ++i;
      break;
    }
  }
  return SyscallResult::Value(i);
}

}  // namespace

void RegisterSocketSyscalls(SyscallTable& tab) {
  constexpr const char* kNote =
      "AF_UNIX and loopback AF_INET/AF_INET6 (TCP, UDP) only";
  tab.Set(__NR_socket, FileAdapt<&Socket>, Support::kPartial, kNote);
  tab.Set(__NR_socketpair, FileAdapt<&Socketpair>, Support::kFull);
  tab.Set(__NR_bind, FileAdapt<&Bind>, Support::kPartial, kNote);
  tab.Set(__NR_listen, FileAdapt<&Listen>, Support::kFull);
  tab.Set(__NR_accept, FileAdapt<&Accept>, Support::kFull);
  tab.Set(__NR_accept4, FileAdapt<&Accept4>, Support::kFull);
  tab.Set(__NR_connect, FileAdapt<&Connect>, Support::kPartial, kNote);
  tab.Set(__NR_shutdown, FileAdapt<&Shutdown>, Support::kFull);
  tab.Set(__NR_getsockname, FileAdapt<&Getsockname>, Support::kFull);
  tab.Set(__NR_getpeername, FileAdapt<&Getpeername>, Support::kFull);
  tab.Set(__NR_getsockopt, FileAdapt<&Getsockopt>, Support::kPartial,
          "common SOL_SOCKET, IPPROTO_TCP/IP/IPV6 options");
  tab.Set(__NR_setsockopt, FileAdapt<&Setsockopt>, Support::kPartial,
          "common SOL_SOCKET, IPPROTO_TCP/IP/IPV6 options");
  tab.Set(__NR_sendto, FileAdapt<&Sendto>, Support::kFull);
  tab.Set(__NR_recvfrom, FileAdapt<&Recvfrom>, Support::kFull);
  tab.Set(__NR_sendmsg, FileAdapt<&Sendmsg>, Support::kPartial,
          "SCM_RIGHTS, SCM_CREDENTIALS");
  tab.Set(__NR_recvmsg, FileAdapt<&Recvmsg>, Support::kPartial,
          "no MSG_ERRQUEUE");
  tab.Set(__NR_sendmmsg, FileAdapt<&Sendmmsg>, Support::kFull);
  tab.Set(__NR_recvmmsg, FileAdapt<&Recvmmsg>, Support::kFull);
}

}  // namespace sentry::syscalls
