// Endpoint: sending, receiving and readiness.
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "sentry/net/endpoint.h"
#include "sentry/net/stack.h"

namespace sentry::net {

namespace {

// The largest UDP payload over IPv4 (65535 - 8 - 20).
constexpr size_t kMaxUdpPayload = 65507;
// A stream write is queued in pieces of at most this size, so that a large
// write does not need one large allocation.
constexpr size_t kStreamChunk = 64 * 1024;
// Per-datagram bookkeeping charged against the receive buffer (Linux charges
// the skb's truesize), so that empty datagrams cannot queue without bound.
constexpr size_t kDgramOverhead = 256;

}  // namespace

void Endpoint::NotifyPeerRoom() {
  std::shared_ptr<Endpoint> peer;
  {
    absl::MutexLock l(&mu_);
    peer = peer_;
  }
  if (peer) peer->events().Notify(POLLOUT | POLLWRNORM);
}

ErrnoOr<size_t> Endpoint::Deliver(Endpoint* sender, SendArgs& args,
                                  size_t total, const Address& from,
                                  bool block_when_full) {
  const bool stream = type_ == SOCK_STREAM;
  const bool udp = is_inet() && type_ == SOCK_DGRAM;
  auto deadline = sender->Deadline(true);
  vfs::WaiterRegistration reg(block_when_full ? args.wait.waiter : nullptr,
                              &mu_, &cv_);
  absl::MutexLock l(&mu_);
  size_t done = 0;
  for (;;) {
    if (released_ || (rcv_shut_ && !is_inet())) {
      if (udp) return total;  // nobody reads: the datagram is dropped
      if (done > 0) return done;
      return Errno{released_ && type_ == SOCK_DGRAM ? ECONNREFUSED : EPIPE};
    }
    if (type_ == SOCK_DGRAM && !is_inet() && peer_ && peer_.get() != sender) {
      return Errno{EPERM};  // connected to someone else (unix_may_send)
    }
    if (udp && connected_ && peer_addr_.family != AF_UNSPEC &&
        !(peer_addr_.SameIp(from) && peer_addr_.port == from.port)) {
      return total;  // a connected UDP socket hears only its peer
    }
    const size_t room = RoomLocked();
    const size_t need = stream ? 1 : total + kDgramOverhead;
    if (room >= need || (!stream && queue_.empty())) {
      Message m;
      const size_t n =
          stream ? std::min({room, total - done, kStreamChunk}) : total;
      m.data.resize(n);
      size_t got = 0;
      if (n > 0) {
        auto c = args.data->CopyIn(done, std::span<std::byte>(m.data));
        if (!c.ok()) {
          if (done > 0) return done;
          return c.error();
        }
        got = *c;
        if (got < n && !stream) return Errno{EFAULT};
        m.data.resize(got);
      }
      m.from = from;
      if (is_inet()) m.from.family = family_;
      if (done == 0) {
        m.rights = std::move(args.rights);
        m.cred = args.cred ? *args.cred : args.sender;
      } else {
        m.cred = args.cred ? *args.cred : args.sender;
      }
      queued_ += got + (stream ? 0 : kDgramOverhead);
      queue_.push_back(std::move(m));
      done += got;
      WakeLocked();
      if (!stream || done == total || got < n) return done;
      continue;
    }
    if (udp || !block_when_full) return total;  // dropped, as a full UDP queue
    if (args.wait.nonblock && stream && done > 0) return done;
    ErrnoStatus s = WaitLocked(args.wait, deadline);
    if (!s.ok()) {
      if (done > 0) return done;
      return s.error();
    }
  }
}

ErrnoOr<size_t> Endpoint::Send(SendArgs& args) {
  const size_t total = args.data->size();
  if (args.flags & MSG_OOB) return Errno{EOPNOTSUPP};
  if (type_ == SOCK_DGRAM) return SendDgram(args, total);
  if (args.to != nullptr && family_ == AF_UNIX && type_ == SOCK_STREAM) {
    absl::MutexLock l(&mu_);
    return Errno{connected_ ? EISCONN : EOPNOTSUPP};
  }
  return SendStream(args, total);
}

ErrnoOr<size_t> Endpoint::SendStream(SendArgs& args, size_t total) {
  std::shared_ptr<Endpoint> peer;
  Address from;
  {
    absl::MutexLock l(&mu_);
    if (send_shut_) {
      if (is_inet() && so_error_ != 0) {
        int e = so_error_;
        so_error_ = 0;
        return Errno{e};
      }
      return Errno{EPIPE};
    }
    if (!connected_) {
      // unix_stream_sendmsg: ENOTCONN; tcp_sendmsg on a closed socket:
      // EPIPE.
      if (is_inet()) return Errno{EPIPE};
      return Errno{ENOTCONN};
    }
    peer = peer_;
    if (!peer) return Errno{EPIPE};
    if (type_ == SOCK_SEQPACKET && total + 32 > static_cast<size_t>(sndbuf_)) {
      return Errno{EMSGSIZE};
    }
    from = local_;
    if (family_ == AF_UNIX && !bound_) from.unix_name.clear();
  }
  if (total == 0 && type_ == SOCK_STREAM) return size_t{0};
  return peer->Deliver(this, args, total, from, true);
}

ErrnoOr<size_t> Endpoint::SendDgram(SendArgs& args, size_t total) {
  std::shared_ptr<Endpoint> target;
  Address from;
  if (family_ == AF_UNIX) {
    // SO_PASSCRED senders get a name so that receivers can answer (Linux
    // autobinds them).
    if (passcred() && !IsBound()) RETURN_IF_ERRNO(Bind(UnixAddress("")));
    if (args.to != nullptr) {
      target = stack_->FindUnix(*args.to);
      if (!target) return Errno{ECONNREFUSED};
      if (target->type_ != type_) return Errno{EPROTOTYPE};
    }
    const bool to_peer = target == nullptr;
    {
      absl::MutexLock l(&mu_);
      if (send_shut_) return Errno{EPIPE};
      if (to_peer) {
        if (!peer_) return Errno{ENOTCONN};
        target = peer_;
      }
      if (total + 32 > static_cast<size_t>(sndbuf_)) return Errno{EMSGSIZE};
      from = local_;
      if (!bound_) from.unix_name.clear();
    }
    // (The peer's lock is never taken under ours: two peers send to each
    // other concurrently.)
    if (to_peer && !target->alive()) {
      // The peer is gone: report it once and disconnect (Linux).
      absl::MutexLock l(&mu_);
      if (peer_ == target) {
        peer_.reset();
        peer_addr_ = Address();
        connected_ = false;
      }
      return Errno{ECONNREFUSED};
    }
  } else {
    Address dst;
    if (args.to != nullptr && args.to->family != AF_UNSPEC) {
      dst = *args.to;
    } else {
      absl::MutexLock l(&mu_);
      if (!connected_) return Errno{EDESTADDRREQ};
      dst = peer_addr_;
    }
    if (dst.port == 0) return Errno{EINVAL};
    if (dst.is_any()) {
      const uint16_t port = dst.port;
      dst = (family_ == AF_INET || dst.is_v4_mapped())
                ? Ipv4(INADDR_LOOPBACK, port)
                : Ipv6Loopback(port);
    }
    if (!dst.is_loopback()) return Errno{ENETUNREACH};
    if (total > kMaxUdpPayload) return Errno{EMSGSIZE};
    RETURN_IF_ERRNO(AutoBind());
    {
      absl::MutexLock l(&mu_);
      if (send_shut_) return Errno{EPIPE};
      from = local_;
      if (from.is_any()) {
        const uint16_t port = from.port;
        from = (family_ == AF_INET || dst.is_v4_mapped())
                   ? Ipv4(INADDR_LOOPBACK, port)
                   : Ipv6Loopback(port);
      }
    }
    target = stack_->FindInet(SOCK_DGRAM, dst);
    if (!target) {
      // The ICMP port unreachable reaches connected sockets as an error.
      absl::MutexLock l(&mu_);
      if (connected_ && args.to == nullptr) {
        so_error_ = ECONNREFUSED;
        WakeLocked();
      }
      return total;
    }
  }
  return target->Deliver(this, args, total, from, family_ == AF_UNIX);
}

ErrnoOr<RecvResult> Endpoint::Recv(RecvArgs& args) {
  if (args.flags & MSG_OOB) {
    return Errno{family_ == AF_UNIX ? EOPNOTSUPP : EINVAL};
  }
  if (type_ == SOCK_STREAM) return RecvStream(args);
  return RecvDgram(args);
}

ErrnoOr<RecvResult> Endpoint::RecvStream(RecvArgs& args) {
  const bool peek = args.flags & MSG_PEEK;
  const bool waitall = (args.flags & MSG_WAITALL) && !peek;
  // TCP's MSG_TRUNC consumes without copying (unix streams ignore it).
  const bool discard = is_inet() && (args.flags & MSG_TRUNC);
  const size_t want = args.data->size();
  auto deadline = Deadline(false);
  RecvResult res;
  bool consumed = false;
  {
    vfs::WaiterRegistration reg(args.wait.waiter, &mu_, &cv_);
    absl::MutexLock l(&mu_);
    if (listening_ || !connected_) {
      return Errno{is_inet() ? ENOTCONN : EINVAL};
    }
    size_t copied = 0;
    bool have_first = false;
    Cred first_cred;
    for (;;) {
      bool stop = false;
      size_t i = 0;
      while (i < queue_.size() && copied < want && !stop) {
        Message& m = queue_[i];
        if (copied > 0 && m.has_rights()) break;
        if (have_first && passcred_ &&
            (m.cred.pid != first_cred.pid || m.cred.uid != first_cred.uid ||
             m.cred.gid != first_cred.gid)) {
          break;
        }
        const size_t avail = m.data.size() - m.off;
        const size_t n = std::min(avail, want - copied);
        size_t got = 0;
        if (n > 0 && discard) {
          got = n;
        } else if (n > 0) {
          auto c = args.data->CopyOut(
              copied, std::span<const std::byte>(m.data.data() + m.off, n));
          if (!c.ok()) {
            if (copied == 0) return c.error();
            stop = true;
            break;
          }
          got = *c;
        }
        if (!have_first) {
          have_first = true;
          first_cred = m.cred;
          res.from = m.from;
          if (passcred_) res.cred = m.cred;
        }
        if (m.has_rights()) {
          if (peek) {
            res.rights = m.rights;
          } else {
            res.rights = std::move(m.rights);
            m.rights.clear();
          }
          stop = true;  // fds end a read (Linux)
        }
        copied += got;
        if (!peek) {
          m.off += got;
          queued_ -= got;
          consumed = true;
          if (m.off == m.data.size()) {
            queue_.pop_front();
          } else {
            break;  // the reader's buffer is full (or faulted)
          }
        } else {
          ++i;
        }
        if (got < n) {
          stop = true;
        }
      }
      if (consumed) cv_.SignalAll();
      if (copied == want || stop) break;
      if (copied > 0 && !waitall) break;
      if (so_error_ != 0) {
        if (copied > 0) break;
        int e = so_error_;
        so_error_ = 0;
        return Errno{e};
      }
      if (rcv_shut_) break;
      ErrnoStatus s = WaitLocked(args.wait, deadline);
      if (!s.ok()) {
        if (copied > 0) break;
        return s.error();
      }
    }
    res.length = copied;
    if (consumed) WakeLocked();
  }
  if (consumed) NotifyPeerRoom();
  if (family_ != AF_UNIX) res.from = Address();
  return res;
}

ErrnoOr<RecvResult> Endpoint::RecvDgram(RecvArgs& args) {
  const bool peek = args.flags & MSG_PEEK;
  const size_t want = args.data->size();
  auto deadline = Deadline(false);
  RecvResult res;
  {
    vfs::WaiterRegistration reg(args.wait.waiter, &mu_, &cv_);
    absl::MutexLock l(&mu_);
    for (;;) {
      if (type_ == SOCK_SEQPACKET && !connected_) {
        return Errno{listening_ ? EINVAL : ENOTCONN};
      }
      if (!queue_.empty()) {
        Message& m = queue_.front();
        const size_t n = std::min(m.data.size(), want);
        if (n > 0) {
          auto c = args.data->CopyOut(
              0, std::span<const std::byte>(m.data.data(), n));
          if (!c.ok()) return c.error();
        }
        res.length = (args.flags & MSG_TRUNC) ? m.data.size() : n;
        if (m.data.size() > want) res.msg_flags |= MSG_TRUNC;
        if (type_ == SOCK_SEQPACKET) res.msg_flags |= MSG_EOR;
        res.from = m.from;
        if (passcred_) res.cred = m.cred;
        if (peek) {
          res.rights = m.rights;
          break;
        }
        res.rights = std::move(m.rights);
        queued_ -= m.data.size() + kDgramOverhead;
        queue_.pop_front();
        WakeLocked();
        break;
      }
      if (so_error_ != 0) {
        int e = so_error_;
        so_error_ = 0;
        return Errno{e};
      }
      if (rcv_shut_) return res;  // EOF: 0 bytes
      RETURN_IF_ERRNO(WaitLocked(args.wait, deadline));
    }
  }
  if (!peek) NotifyPeerRoom();
  if (type_ == SOCK_SEQPACKET) res.from = Address();
  return res;
}

uint32_t Endpoint::Readiness(uint32_t mask) {
  uint32_t r = 0;
  std::shared_ptr<Endpoint> peer;
  {
    absl::MutexLock l(&mu_);
    if (listening_) {
      if (!accept_queue_.empty()) r |= POLLIN | POLLRDNORM;
      return r & (mask | vfs::kAlwaysEvents);
    }
    if (!queue_.empty()) r |= POLLIN | POLLRDNORM;
    if (rcv_shut_) r |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (rcv_shut_ && send_shut_) r |= POLLHUP;
    if (so_error_ != 0) r |= POLLERR;
    if (connection_oriented()) {
      if (!connected_) {
        r |= POLLHUP;  // unix_poll and tcp_poll: a closed socket hangs up
        if (!is_inet()) r |= POLLOUT | POLLWRNORM;
      } else if (send_shut_) {
        r |= POLLOUT | POLLWRNORM;  // a write reports EPIPE at once
      } else {
        peer = peer_;
        if (!peer) r |= POLLOUT | POLLWRNORM;
      }
    } else if (!is_inet() && peer_) {
      peer = peer_;
    } else {
      r |= POLLOUT | POLLWRNORM;
    }
  }
  if (peer) {
    absl::MutexLock l(&peer->mu_);
    if (peer->released_ || peer->RoomLocked() > 0) r |= POLLOUT | POLLWRNORM;
  }
  return r & (mask | vfs::kAlwaysEvents);
}

ErrnoOr<int> Endpoint::InQueue() {
  absl::MutexLock l(&mu_);
  if (listening_) return Errno{EINVAL};
  if (type_ == SOCK_DGRAM) {
    return queue_.empty() ? 0 : static_cast<int>(queue_.front().data.size());
  }
  size_t n = 0;
  for (const Message& m : queue_) n += m.data.size() - m.off;
  return static_cast<int>(n);
}

int Endpoint::OutQueue() {
  std::shared_ptr<Endpoint> peer;
  {
    absl::MutexLock l(&mu_);
    if (type_ != SOCK_STREAM && type_ != SOCK_SEQPACKET) return 0;
    peer = peer_;
  }
  if (!peer) return 0;
  auto n = peer->InQueue();
  return n.ok() ? *n : 0;
}

}  // namespace sentry::net
