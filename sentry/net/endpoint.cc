// Endpoint: binding, connection management, shutdown, release and options.
// Data transfer is in endpoint_io.cc.
#include "sentry/net/endpoint.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/time.h>

#include <algorithm>
#include <cstring>

#include "sentry/net/stack.h"

namespace sentry::net {

namespace {

constexpr uint32_t kAllEvents =
    POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLHUP | POLLRDHUP | POLLERR;

std::vector<std::byte> IntBytes(int v) {
  std::vector<std::byte> b(sizeof(int));
  std::memcpy(b.data(), &v, sizeof(v));
  return b;
}

// The address a connection from an unbound or wildcard-bound inet socket
// uses: the loopback of its family (v4-mapped if it talks to IPv4).
Address LoopbackSource(int family, const Address& dst) {
  if (family == AF_INET || dst.is_v4_mapped()) {
    Address a = Ipv4(INADDR_LOOPBACK, 0);
    a.family = family;
    return a;
  }
  return Ipv6Loopback(0);
}

}  // namespace

Endpoint::Endpoint(Stack* stack, int family, int type, int protocol)
    : stack_(stack), family_(family), type_(type), protocol_(protocol) {
  local_.family = family;
  peer_addr_.family = AF_UNSPEC;
  if (family != AF_UNIX && type == SOCK_STREAM) {
    // Linux's tcp_wmem/tcp_rmem defaults.
    sndbuf_ = 16384;
    rcvbuf_ = 131072;
  }
}

Endpoint::~Endpoint() = default;

bool Endpoint::alive() {
  absl::MutexLock l(&mu_);
  return !released_;
}

bool Endpoint::IsBound() {
  absl::MutexLock l(&mu_);
  return bound_;
}

void Endpoint::WakeLocked() {
  cv_.SignalAll();
  events_.Notify(kAllEvents);
}

size_t Endpoint::RoomLocked() {
  const size_t limit = static_cast<size_t>(rcvbuf_);
  return queued_ >= limit ? 0 : limit - queued_;
}

std::optional<absl::Time> Endpoint::Deadline(bool send) {
  absl::MutexLock l(&mu_);
  absl::Duration d = send ? sndtimeo_ : rcvtimeo_;
  if (d == absl::ZeroDuration()) return std::nullopt;
  return absl::Now() + d;
}

ErrnoStatus Endpoint::WaitLocked(const WaitOptions& w,
                                 std::optional<absl::Time> deadline) {
  if (w.nonblock) return Errno{EAGAIN};
  if (w.waiter != nullptr && w.waiter->interrupted()) return Errno{EINTR};
  if (deadline) {
    if (absl::Now() >= *deadline) return Errno{EAGAIN};
    cv_.WaitWithDeadline(&mu_, *deadline);
  } else {
    cv_.Wait(&mu_);
  }
  return OkErrno();
}

void Endpoint::Pair(const std::shared_ptr<Endpoint>& a,
                    const std::shared_ptr<Endpoint>& b, const Cred& cred) {
  for (auto [self, other] : {std::pair{a, b}, std::pair{b, a}}) {
    absl::MutexLock l(&self->mu_);
    self->peer_ = other;
    self->connected_ = true;
    self->peer_addr_ = Address();
    self->peer_addr_.family = self->family_;
    self->peer_cred_ = cred;
    self->has_peer_cred_ = true;
  }
}

ErrnoStatus Endpoint::Bind(const Address& addr) {
  bool reuse, v6only;
  {
    absl::MutexLock l(&mu_);
    // Autobinding a bound unix socket succeeds without effect (Linux).
    if (bound_ && family_ == AF_UNIX && addr.unix_name.empty()) {
      return OkErrno();
    }
    if (bound_ || released_) return Errno{EINVAL};
    reuse = reuseaddr_;
    v6only = v6only_;
  }
  Address bound;
  if (family_ == AF_UNIX) {
    if (addr.unix_name.empty()) {
      ASSIGN_OR_RETURN_ERRNO(bound, stack_->AutoBindUnix(shared_from_this()));
    } else {
      RETURN_IF_ERRNO(stack_->BindUnix(addr, shared_from_this()));
      bound = addr;
    }
  } else {
    if (addr.family == AF_UNSPEC && !(addr.is_v4_mapped() && addr.is_any())) {
      return Errno{EAFNOSUPPORT};
    }
    Stack::InetBindRequest req;
    req.family = family_;
    req.type = type_;
    req.addr = addr;
    req.reuseaddr = reuse;
    req.v6only = v6only;
    if (family_ == AF_INET6 && v6only && addr.is_v4_mapped()) {
      return Errno{EINVAL};
    }
    ASSIGN_OR_RETURN_ERRNO(bound, stack_->BindInet(req, shared_from_this()));
  }
  bound.family = family_;
  {
    absl::MutexLock l(&mu_);
    if (!bound_) {
      bound_ = true;
      local_ = bound;
      return OkErrno();
    }
  }
  // Lost a race with another bind of this socket (the stack's lock is
  // taken without ours: lock order).
  if (family_ == AF_UNIX) {
    stack_->UnbindUnix(bound, this);
  } else {
    stack_->UnbindInet(type_, bound.port, this);
  }
  return Errno{EINVAL};
}

ErrnoStatus Endpoint::AutoBind() {
  {
    absl::MutexLock l(&mu_);
    if (bound_) return OkErrno();
  }
  Address any;
  if (family_ == AF_INET) {
    any = Ipv4(INADDR_ANY, 0);
  } else {
    any = InetAddress(AF_INET6, {}, 0);
  }
  ErrnoStatus s = Bind(any);
  if (!s.ok() && s.error() == Errno{EINVAL}) return OkErrno();  // raced
  return s;
}

ErrnoStatus Endpoint::Listen(int backlog, const Cred& cred) {
  if (type_ == SOCK_DGRAM) return Errno{EOPNOTSUPP};
  if (is_inet()) RETURN_IF_ERRNO(AutoBind());
  uint16_t port;
  {
    absl::MutexLock l(&mu_);
    if (released_ || connected_) return Errno{EINVAL};
    if (!bound_) return Errno{EINVAL};
    if (backlog < 0 || backlog > kMaxBacklog) backlog = kMaxBacklog;
    backlog_ = backlog;
    listening_ = true;
    listen_cred_ = cred;
    port = local_.port;
    WakeLocked();
  }
  if (is_inet()) stack_->SetInetListening(type_, port, this, true);
  return OkErrno();
}

ErrnoOr<std::shared_ptr<Endpoint>> Endpoint::Accept(const WaitOptions& w) {
  if (type_ == SOCK_DGRAM) return Errno{EOPNOTSUPP};
  auto deadline = Deadline(false);
  vfs::WaiterRegistration reg(w.waiter, &mu_, &cv_);
  absl::MutexLock l(&mu_);
  for (;;) {
    if (!listening_) return Errno{EINVAL};
    if (!accept_queue_.empty()) {
      std::shared_ptr<Endpoint> child = std::move(accept_queue_.front());
      accept_queue_.pop_front();
      WakeLocked();  // room in the backlog for blocked connectors
      return child;
    }
    RETURN_IF_ERRNO(WaitLocked(w, deadline));
  }
}

ErrnoStatus Endpoint::Connect(const Address& addr, const Cred& cred,
                              const WaitOptions& w, bool* in_progress) {
  *in_progress = false;
  if (!connection_oriented()) return ConnectDgram(addr);
  if (addr.family == AF_UNSPEC) {
    // TCP's disconnect; nothing to undo for an unconnected socket.
    return OkErrno();
  }
  RETURN_IF_ERRNO(ConnectStream(addr, cred, w));
  // Linux answers EINPROGRESS to a non-blocking TCP connect even on
  // loopback; ours is already established.
  if (is_inet() && w.nonblock) *in_progress = true;
  return OkErrno();
}

ErrnoStatus Endpoint::ConnectStream(const Address& addr, const Cred& cred,
                                    const WaitOptions& w) {
  {
    absl::MutexLock l(&mu_);
    if (released_) return Errno{EINVAL};
    if (listening_) return Errno{EINVAL};
    if (connected_) return Errno{EISCONN};
  }
  Address dst = addr;
  std::shared_ptr<Endpoint> target;
  if (family_ == AF_UNIX) {
    if (passcred() && !IsBound()) RETURN_IF_ERRNO(Bind(UnixAddress("")));
    target = stack_->FindUnix(dst);
    if (!target) return Errno{ECONNREFUSED};
    if (target->type_ != type_) return Errno{EPROTOTYPE};
  } else {
    if (dst.is_any()) {
      Address lo = LoopbackSource(family_, dst);
      lo.port = dst.port;
      dst = lo;
    }
    if (!dst.is_loopback()) return Errno{ENETUNREACH};
    RETURN_IF_ERRNO(AutoBind());
    target = stack_->FindInet(SOCK_STREAM, dst);
    if (!target) return Errno{ECONNREFUSED};
  }
  if (target.get() == this) return Errno{ECONNREFUSED};

  // What the server side sees of us.
  Address my_addr;
  {
    absl::MutexLock l(&mu_);
    if (is_inet() && local_.is_any()) {
      Address src = LoopbackSource(family_, dst);
      src.port = local_.port;
      local_ = src;
    }
    my_addr = local_;
    if (family_ == AF_UNIX && !bound_) my_addr.unix_name.clear();
  }
  auto child =
      std::make_shared<Endpoint>(stack_, target->family_, type_, protocol_);
  Cred server_cred;
  Address server_addr;
  {
    auto deadline = Deadline(true);
    vfs::WaiterRegistration reg(w.waiter, &target->mu_, &target->cv_);
    absl::MutexLock tl(&target->mu_);
    for (;;) {
      if (!target->listening_ || target->released_) {
        return Errno{ECONNREFUSED};
      }
      if (target->accept_queue_.size() <= static_cast<size_t>(target->backlog_))
        break;
      RETURN_IF_ERRNO(target->WaitLocked(w, deadline));
    }
    server_cred = target->listen_cred_;
    server_addr = family_ == AF_UNIX ? target->local_ : dst;
    {
      absl::MutexLock cl(&child->mu_);
      child->bound_ = target->bound_;
      child->local_ = dst;
      child->local_.family = target->family_;
      if (family_ == AF_UNIX) child->local_ = target->local_;
      child->peer_ = shared_from_this();
      child->connected_ = true;
      child->peer_addr_ = my_addr;
      child->peer_addr_.family = target->family_;
      // SO_PEERCRED is a unix socket's business: TCP peers report none.
      child->peer_cred_ = cred;
      child->has_peer_cred_ = family_ == AF_UNIX;
      child->rcvbuf_ = target->rcvbuf_;
      child->sndbuf_ = target->sndbuf_;
      child->passcred_ = target->passcred_;
      child->stored_ = target->stored_;
    }
    target->accept_queue_.push_back(child);
    target->WakeLocked();
  }
  absl::MutexLock l(&mu_);
  peer_ = child;
  connected_ = true;
  peer_addr_ = server_addr;
  peer_addr_.family = family_;
  peer_cred_ = server_cred;
  has_peer_cred_ = family_ == AF_UNIX;
  WakeLocked();
  return OkErrno();
}

ErrnoStatus Endpoint::ConnectDgram(const Address& addr) {
  if (addr.family == AF_UNSPEC) {
    absl::MutexLock l(&mu_);
    peer_.reset();
    peer_addr_ = Address();
    connected_ = false;
    WakeLocked();
    return OkErrno();
  }
  if (family_ == AF_UNIX) {
    std::shared_ptr<Endpoint> target = stack_->FindUnix(addr);
    if (!target) return Errno{ECONNREFUSED};
    if (target->type_ != type_) return Errno{EPROTOTYPE};
    Address peer_addr;
    {
      absl::MutexLock tl(&target->mu_);
      peer_addr = target->local_;
    }
    absl::MutexLock l(&mu_);
    peer_ = std::move(target);
    peer_addr_ = peer_addr;
    connected_ = true;
    WakeLocked();
    return OkErrno();
  }
  Address dst = addr;
  if (dst.is_any()) {
    Address lo = LoopbackSource(family_, dst);
    lo.port = dst.port;
    dst = lo;
  }
  if (!dst.is_loopback()) return Errno{ENETUNREACH};
  RETURN_IF_ERRNO(AutoBind());
  absl::MutexLock l(&mu_);
  if (local_.is_any()) {
    Address src = LoopbackSource(family_, dst);
    src.port = local_.port;
    local_ = src;
  }
  peer_addr_ = dst;
  peer_addr_.family = family_;
  connected_ = true;
  so_error_ = 0;
  WakeLocked();
  return OkErrno();
}

ErrnoStatus Endpoint::Shutdown(int how) {
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) {
    return Errno{EINVAL};
  }
  const bool rd = how != SHUT_WR;
  const bool wr = how != SHUT_RD;
  std::shared_ptr<Endpoint> peer;
  std::deque<std::shared_ptr<Endpoint>> embryos;
  {
    absl::MutexLock l(&mu_);
    if (is_inet() && !connected_ && !listening_) return Errno{ENOTCONN};
    if (rd) rcv_shut_ = true;
    if (wr) send_shut_ = true;
    if (is_inet() && listening_ && rd) {
      // TCP: shutting down a listener closes it (inet_shutdown).
      listening_ = false;
      embryos.swap(accept_queue_);
    }
    if (connection_oriented()) peer = peer_;
    WakeLocked();
  }
  for (auto& e : embryos) e->Release();
  if (peer) {
    absl::MutexLock l(&peer->mu_);
    if (wr) peer->rcv_shut_ = true;
    // A unix peer can no longer write to us; TCP keeps its half open.
    if (rd && !is_inet()) peer->send_shut_ = true;
    peer->WakeLocked();
  }
  return OkErrno();
}

void Endpoint::PeerGone(bool reset) {
  absl::MutexLock l(&mu_);
  rcv_shut_ = true;
  send_shut_ = true;
  if (reset) so_error_ = ECONNRESET;
  peer_.reset();
  WakeLocked();
}

void Endpoint::Release() {
  std::deque<Message> drop;
  std::deque<std::shared_ptr<Endpoint>> embryos;
  std::shared_ptr<Endpoint> peer;
  Address local;
  bool bound, listening, unread;
  {
    absl::MutexLock l(&mu_);
    if (released_) return;
    released_ = true;
    rcv_shut_ = true;
    send_shut_ = true;
    unread = !queue_.empty();
    drop.swap(queue_);
    queued_ = 0;
    embryos.swap(accept_queue_);
    peer.swap(peer_);
    local = local_;
    bound = bound_;
    listening = listening_;
    listening_ = false;
    WakeLocked();
  }
  if (bound) {
    if (family_ == AF_UNIX) {
      if (!local.unix_name.empty()) stack_->UnbindUnix(local, this);
    } else {
      stack_->UnbindInet(type_, local.port, this);
    }
  }
  (void)listening;
  if (peer && connection_oriented()) peer->PeerGone(unread);
  for (auto& e : embryos) e->Release();
  // `drop` (and the files its messages carried) goes here, unlocked.
}

ErrnoOr<Address> Endpoint::LocalAddress() {
  absl::MutexLock l(&mu_);
  Address a = local_;
  if (!bound_) {
    a = Address();
    if (is_inet()) {
      a = family_ == AF_INET ? Ipv4(INADDR_ANY, 0)
                             : InetAddress(AF_INET6, {}, 0);
    }
  }
  a.family = family_;
  return a;
}

ErrnoOr<Address> Endpoint::PeerAddress() {
  absl::MutexLock l(&mu_);
  if (!connected_ || peer_addr_.family == AF_UNSPEC) return Errno{ENOTCONN};
  Address a = peer_addr_;
  a.family = family_;
  return a;
}

bool Endpoint::passcred() {
  absl::MutexLock l(&mu_);
  return passcred_;
}

// --- options -------------------------------------------------------------

namespace {

bool IsStoredSocketOption(int name) {
  switch (name) {
    case SO_KEEPALIVE:
    case SO_BROADCAST:
    case SO_OOBINLINE:
    case SO_DONTROUTE:
    case SO_PRIORITY:
    case SO_RCVLOWAT:
    case SO_REUSEPORT:
    case SO_TIMESTAMP:
    case SO_TIMESTAMPNS:
    case SO_MARK:
    case SO_ZEROCOPY:
    case SO_BUSY_POLL:
    case SO_INCOMING_CPU:
    case SO_PASSSEC:
    case SO_NO_CHECK:
    case SO_SELECT_ERR_QUEUE:
      return true;
    default:
      return false;
  }
}

bool IsStoredTcpOption(int name) {
  switch (name) {
    case TCP_NODELAY:
    case TCP_MAXSEG:
    case TCP_CORK:
    case TCP_KEEPIDLE:
    case TCP_KEEPINTVL:
    case TCP_KEEPCNT:
    case TCP_SYNCNT:
    case TCP_LINGER2:
    case TCP_DEFER_ACCEPT:
    case TCP_WINDOW_CLAMP:
    case TCP_QUICKACK:
    case TCP_USER_TIMEOUT:
    case TCP_NOTSENT_LOWAT:
    case TCP_FASTOPEN:
    case TCP_FASTOPEN_CONNECT:
    case TCP_THIN_LINEAR_TIMEOUTS:
      return true;
    default:
      return false;
  }
}

bool IsStoredIpOption(int name) {
  switch (name) {
    case IP_TOS:
    case IP_TTL:
    case IP_RECVERR:
    case IP_PKTINFO:
    case IP_RECVTOS:
    case IP_RECVTTL:
    case IP_MTU_DISCOVER:
    case IP_MULTICAST_TTL:
    case IP_MULTICAST_LOOP:
    case IP_FREEBIND:
    case IP_BIND_ADDRESS_NO_PORT:
    case IP_RECVORIGDSTADDR:
      return true;
    default:
      return false;
  }
}

bool IsStoredIpv6Option(int name) {
  switch (name) {
    case IPV6_RECVERR:
    case IPV6_UNICAST_HOPS:
    case IPV6_MULTICAST_HOPS:
    case IPV6_MULTICAST_LOOP:
    case IPV6_RECVPKTINFO:
    case IPV6_TCLASS:
    case IPV6_RECVTCLASS:
    case IPV6_MTU_DISCOVER:
      return true;
    default:
      return false;
  }
}

int DefaultInt(int level, int name) {
  if (level == SOL_SOCKET && (name == SO_RCVLOWAT)) return 1;
  if (level == IPPROTO_TCP) {
    switch (name) {
      case TCP_MAXSEG:
        return 536;
      case TCP_KEEPIDLE:
        return 7200;
      case TCP_KEEPINTVL:
        return 75;
      case TCP_KEEPCNT:
        return 9;
      case TCP_SYNCNT:
        return 6;
      case TCP_LINGER2:
        return 60;
    }
  }
  if (level == IPPROTO_IP) {
    switch (name) {
      case IP_TTL:
        return 64;
      case IP_MULTICAST_TTL:
      case IP_MULTICAST_LOOP:
        return 1;
    }
  }
  if (level == IPPROTO_IPV6) {
    switch (name) {
      case IPV6_UNICAST_HOPS:
        return 64;
      case IPV6_MULTICAST_HOPS:
      case IPV6_MULTICAST_LOOP:
        return 1;
    }
  }
  return 0;
}

std::vector<std::byte> StoredOr(
    const std::map<std::pair<int, int>, std::vector<std::byte>>& stored,
    int level, int name, int def) {
  auto it = stored.find({level, name});
  return it != stored.end() ? it->second : IntBytes(def);
}

ErrnoOr<absl::Duration> DecodeTimeout(std::span<const std::byte> val) {
  timeval tv;
  if (val.size() < sizeof(tv)) return Errno{EINVAL};
  std::memcpy(&tv, val.data(), sizeof(tv));
  if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return Errno{EDOM};
  // Linux: a negative time means "do not wait"; zero means forever.
  if (tv.tv_sec < 0) return absl::Nanoseconds(1);
  return absl::Seconds(tv.tv_sec) + absl::Microseconds(tv.tv_usec);
}

std::vector<std::byte> EncodeTimeout(absl::Duration d) {
  timeval tv = {};
  if (d != absl::ZeroDuration()) tv = absl::ToTimeval(d);
  std::vector<std::byte> b(sizeof(tv));
  std::memcpy(b.data(), &tv, sizeof(tv));
  return b;
}

}  // namespace

ErrnoStatus Endpoint::SetOption(int level, int name,
                                std::span<const std::byte> val) {
  auto int_val = [&]() -> ErrnoOr<int> {
    if (val.size() < sizeof(int)) return Errno{EINVAL};
    int v;
    std::memcpy(&v, val.data(), sizeof(v));
    return v;
  };
  absl::MutexLock l(&mu_);
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_SNDBUF:
      case SO_RCVBUF:
      case SO_SNDBUFFORCE:
      case SO_RCVBUFFORCE: {
        ASSIGN_OR_RETURN_ERRNO(int v, int_val());
        // Linux doubles the request (bookkeeping overhead), within
        // [SOCK_MIN_*BUF, 2 * [rw]mem_max].
        int64_t b = std::clamp<int64_t>(v, 0, kDefaultBuf) * 2;
        b = std::max<int64_t>(b, kMinBuf);
        if (name == SO_SNDBUF || name == SO_SNDBUFFORCE) {
          sndbuf_ = static_cast<int>(b);
        } else {
          rcvbuf_ = static_cast<int>(b);
        }
        WakeLocked();
        return OkErrno();
      }
      case SO_PASSCRED: {
        ASSIGN_OR_RETURN_ERRNO(int v, int_val());
        passcred_ = v != 0;
        return OkErrno();
      }
      case SO_REUSEADDR: {
        ASSIGN_OR_RETURN_ERRNO(int v, int_val());
        reuseaddr_ = v != 0;
        return OkErrno();
      }
      case SO_RCVTIMEO:
      case SO_SNDTIMEO: {
        ASSIGN_OR_RETURN_ERRNO(absl::Duration d, DecodeTimeout(val));
        (name == SO_RCVTIMEO ? rcvtimeo_ : sndtimeo_) = d;
        return OkErrno();
      }
      case SO_LINGER: {
        if (val.size() < sizeof(linger)) return Errno{EINVAL};
        stored_[{level, name}].assign(val.begin(),
                                      val.begin() + sizeof(linger));
        return OkErrno();
      }
      default:
        if (!IsStoredSocketOption(name)) return Errno{ENOPROTOOPT};
        ASSIGN_OR_RETURN_ERRNO(int v, int_val());
        if (name == SO_KEEPALIVE || name == SO_BROADCAST ||
            name == SO_OOBINLINE || name == SO_REUSEPORT) {
          v = v != 0;
        }
        stored_[{level, name}] = IntBytes(v);
        return OkErrno();
    }
  }
  if (!is_inet()) return Errno{EOPNOTSUPP};
  if (level == IPPROTO_TCP && type_ == SOCK_STREAM) {
    if (name == TCP_CONGESTION) {
      stored_[{level, name}].assign(val.begin(), val.end());
      return OkErrno();
    }
    if (!IsStoredTcpOption(name)) return Errno{ENOPROTOOPT};
    ASSIGN_OR_RETURN_ERRNO(int v, int_val());
    if (name == TCP_NODELAY || name == TCP_CORK) v = v != 0;
    stored_[{level, name}] = IntBytes(v);
    return OkErrno();
  }
  if (level == IPPROTO_UDP && type_ == SOCK_DGRAM) {
    ASSIGN_OR_RETURN_ERRNO(int v, int_val());
    stored_[{level, name}] = IntBytes(v);
    return OkErrno();
  }
  if (level == IPPROTO_IP) {
    if (!IsStoredIpOption(name)) return Errno{ENOPROTOOPT};
    // ip_setsockopt takes a char or an int for most options.
    if (val.empty()) return Errno{EINVAL};
    int v = 0;
    if (val.size() >= sizeof(int)) {
      std::memcpy(&v, val.data(), sizeof(v));
    } else {
      v = static_cast<unsigned char>(val[0]);
    }
    stored_[{level, name}] = IntBytes(v);
    return OkErrno();
  }
  if (level == IPPROTO_IPV6 && family_ == AF_INET6) {
    if (name == IPV6_V6ONLY) {
      ASSIGN_OR_RETURN_ERRNO(int v, int_val());
      if (bound_) return Errno{EINVAL};
      v6only_ = v != 0;
      return OkErrno();
    }
    if (!IsStoredIpv6Option(name)) return Errno{ENOPROTOOPT};
    ASSIGN_OR_RETURN_ERRNO(int v, int_val());
    stored_[{level, name}] = IntBytes(v);
    return OkErrno();
  }
  return Errno{ENOPROTOOPT};
}

ErrnoStatus Endpoint::GetOption(int level, int name,
                                std::vector<std::byte>* out) {
  absl::MutexLock l(&mu_);
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_TYPE:
        *out = IntBytes(type_);
        return OkErrno();
      case SO_DOMAIN:
        *out = IntBytes(family_);
        return OkErrno();
      case SO_PROTOCOL:
        *out = IntBytes(protocol_);
        return OkErrno();
      case SO_ERROR:
        *out = IntBytes(so_error_);
        so_error_ = 0;
        return OkErrno();
      case SO_ACCEPTCONN:
        *out = IntBytes(listening_ ? 1 : 0);
        return OkErrno();
      case SO_SNDBUF:
        *out = IntBytes(sndbuf_);
        return OkErrno();
      case SO_RCVBUF:
        *out = IntBytes(rcvbuf_);
        return OkErrno();
      case SO_PASSCRED:
        *out = IntBytes(passcred_ ? 1 : 0);
        return OkErrno();
      case SO_REUSEADDR:
        *out = IntBytes(reuseaddr_ ? 1 : 0);
        return OkErrno();
      case SO_SNDLOWAT:
        *out = IntBytes(1);
        return OkErrno();
      case SO_RCVTIMEO:
        *out = EncodeTimeout(rcvtimeo_);
        return OkErrno();
      case SO_SNDTIMEO:
        *out = EncodeTimeout(sndtimeo_);
        return OkErrno();
      case SO_LINGER: {
        auto it = stored_.find({level, name});
        *out = it != stored_.end() ? it->second
                                   : std::vector<std::byte>(sizeof(linger));
        return OkErrno();
      }
      case SO_PEERCRED: {
        // Linux: pid 0 and ids -1 when there is no peer.
        ucred c = {0, static_cast<uid_t>(-1), static_cast<gid_t>(-1)};
        if (has_peer_cred_) {
          c.pid = peer_cred_.pid;
          c.uid = peer_cred_.uid;
          c.gid = peer_cred_.gid;
        }
        out->resize(sizeof(c));
        std::memcpy(out->data(), &c, sizeof(c));
        return OkErrno();
      }
      default:
        if (!IsStoredSocketOption(name)) return Errno{ENOPROTOOPT};
        *out = StoredOr(stored_, level, name, DefaultInt(level, name));
        return OkErrno();
    }
  }
  if (!is_inet()) return Errno{EOPNOTSUPP};
  if (level == IPPROTO_TCP && type_ == SOCK_STREAM) {
    if (name == TCP_CONGESTION) {
      auto it = stored_.find({level, name});
      std::string v =
          it != stored_.end()
              ? std::string(reinterpret_cast<const char*>(it->second.data()),
                            it->second.size())
              : std::string("cubic");
      out->assign(16, std::byte{0});
      std::memcpy(out->data(), v.data(), std::min<size_t>(v.size(), 16));
      return OkErrno();
    }
    if (name == TCP_INFO) {
      tcp_info info = {};
      info.tcpi_state =
          listening_ ? 10 /*TCP_LISTEN*/ : (connected_ && !send_shut_ ? 1 : 7);
      out->resize(sizeof(info));
      std::memcpy(out->data(), &info, sizeof(info));
      return OkErrno();
    }
    if (!IsStoredTcpOption(name)) return Errno{ENOPROTOOPT};
    *out = StoredOr(stored_, level, name, DefaultInt(level, name));
    return OkErrno();
  }
  if (level == IPPROTO_UDP && type_ == SOCK_DGRAM) {
    *out = StoredOr(stored_, level, name, 0);
    return OkErrno();
  }
  if (level == IPPROTO_IP) {
    if (!IsStoredIpOption(name)) return Errno{ENOPROTOOPT};
    *out = StoredOr(stored_, level, name, DefaultInt(level, name));
    return OkErrno();
  }
  if (level == IPPROTO_IPV6 && family_ == AF_INET6) {
    if (name == IPV6_V6ONLY) {
      *out = IntBytes(v6only_ ? 1 : 0);
      return OkErrno();
    }
    if (!IsStoredIpv6Option(name)) return Errno{ENOPROTOOPT};
    *out = StoredOr(stored_, level, name, DefaultInt(level, name));
    return OkErrno();
  }
  return Errno{ENOPROTOOPT};
}

}  // namespace sentry::net
