// The state of one socket, shared by its file (Socket), its peer, the
// listener that queued it and the stack's name tables: Linux's struct sock.
//
// Every socket has a receive queue of messages. A sender appends to the
// receiver's queue (its connected peer for streams, the addressed socket
// for datagrams) under the receiver's lock; a reader consumes its own queue.
// Blocking waits on the queue owner's condition variable (readers wait for
// data, writers for room), interruptible through the task's vfs::Waiter.
// Readiness is announced on each endpoint's own EventQueue: a sender
// notifies the receiver (POLLIN), a reader that made room notifies its peer
// (POLLOUT).
//
// The same machinery serves AF_UNIX (stream, seqpacket, dgram) and the
// loopback AF_INET/AF_INET6 stack (TCP as a stream, UDP as datagrams): on a
// loopback-only stack a TCP connection is a reliable in-order byte stream
// between two endpoints, exactly what a unix stream is.
//
// Lock order: Stack::mu_ -> Endpoint::mu_ (one endpoint at a time, except a
// listener's lock before a new, still private, child's). File references
// carried by messages are dropped only after the locks are released (their
// last close may release another socket).
#ifndef SENTRY_NET_ENDPOINT_H_
#define SENTRY_NET_ENDPOINT_H_

#include <poll.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sentry/base/errno.h"
#include "sentry/net/address.h"
#include "sentry/vfs/events.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/io.h"
#include "sentry/vfs/waiter.h"

namespace sentry::net {

class Stack;

// Credentials of a process as sockets see them (struct ucred).
struct Cred {
  int32_t pid = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// One queued message (a datagram, a seqpacket record, or one write of a
// stream).
struct Message {
  std::vector<std::byte> data;
  size_t off = 0;  // bytes already read (streams)
  Address from;
  std::vector<vfs::FileRef> rights;
  Cred cred;
  bool has_rights() const { return !rights.empty(); }
};

// How an operation may block.
struct WaitOptions {
  bool nonblock = false;
  vfs::Waiter* waiter = nullptr;
};

struct SendArgs {
  vfs::IoSrc* data = nullptr;
  const Address* to = nullptr;  // sendto/sendmsg with a name
  std::vector<vfs::FileRef> rights;
  std::optional<Cred> cred;  // SCM_CREDENTIALS (validated by the caller)
  Cred sender;               // the caller (default credentials)
  int flags = 0;             // MSG_*
  WaitOptions wait;
};

struct RecvArgs {
  vfs::IoDst* data = nullptr;
  int flags = 0;  // MSG_PEEK, MSG_WAITALL, MSG_TRUNC, MSG_DONTWAIT...
  WaitOptions wait;
};

struct RecvResult {
  size_t length = 0;  // the return value (MSG_TRUNC: the datagram's size)
  int msg_flags = 0;  // MSG_TRUNC / MSG_EOR...
  Address from;       // AF_UNSPEC: no name to report
  std::vector<vfs::FileRef> rights;
  std::optional<Cred> cred;  // SO_PASSCRED receivers
};

// Linux's default net.core.[rw]mem_default.
inline constexpr int kDefaultBuf = 212992;
inline constexpr int kMinBuf = 4608;
inline constexpr int kMaxBuf = 4 * 1024 * 1024;
// SOMAXCONN.
inline constexpr int kMaxBacklog = 4096;

class Endpoint : public std::enable_shared_from_this<Endpoint> {
 public:
  Endpoint(Stack* stack, int family, int type, int protocol);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  int family() const { return family_; }
  int type() const { return type_; }
  int protocol() const { return protocol_; }
  bool is_inet() const { return family_ != AF_UNIX; }
  bool is_stream() const { return type_ == SOCK_STREAM; }
  bool connection_oriented() const { return type_ != SOCK_DGRAM; }
  vfs::EventQueue& events() { return events_; }

  // --- connection management (endpoint.cc) ---------------------------------
  // Connects two fresh endpoints (socketpair).
  static void Pair(const std::shared_ptr<Endpoint>& a,
                   const std::shared_ptr<Endpoint>& b, const Cred& cred);
  // bind(2). AF_UNIX: an empty name autobinds; a path name's node was
  // created by the caller. EINVAL if already bound.
  ErrnoStatus Bind(const Address& addr);
  bool IsBound();
  ErrnoStatus Listen(int backlog, const Cred& cred);
  ErrnoOr<std::shared_ptr<Endpoint>> Accept(const WaitOptions& w);
  // connect(2). For non-blocking TCP, sets *in_progress (Linux reports
  // EINPROGRESS even on loopback; the connection is already established).
  ErrnoStatus Connect(const Address& addr, const Cred& cred,
                      const WaitOptions& w, bool* in_progress);
  ErrnoStatus Shutdown(int how);
  // The last file reference is gone: disconnects, unbinds, drops the queue.
  void Release();

  ErrnoOr<Address> LocalAddress();
  ErrnoOr<Address> PeerAddress();

  // --- options (endpoint.cc) ---------------------------------------------
  ErrnoStatus SetOption(int level, int name, std::span<const std::byte> val);
  // Fills `out` (resized to the option's natural size) or fails.
  ErrnoStatus GetOption(int level, int name, std::vector<std::byte>* out);
  bool passcred();

  // --- data (endpoint_io.cc) -----------------------------------------------
  ErrnoOr<size_t> Send(SendArgs& args);
  ErrnoOr<RecvResult> Recv(RecvArgs& args);
  uint32_t Readiness(uint32_t mask);
  // FIONREAD / TIOCOUTQ.
  ErrnoOr<int> InQueue();
  int OutQueue();

  // --- for the stack -----------------------------------------------------
  // Whether this endpoint still accepts deliveries (not released).
  bool alive();

 private:
  friend class Stack;
  // Waits on this endpoint's condition variable (mu_ held). OK: check
  // again; EAGAIN: would block / timed out; EINTR: interrupted.
  ErrnoStatus WaitLocked(const WaitOptions& w,
                         std::optional<absl::Time> deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t RoomLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends `m` to this (the receiver's) queue, waiting for room if
  // `wait`. Streams may take part of the data (returns the bytes queued).
  ErrnoOr<size_t> Deliver(Endpoint* sender, SendArgs& args, size_t total,
                          const Address& from, bool block_when_full);
  ErrnoOr<size_t> SendStream(SendArgs& args, size_t total);
  ErrnoOr<size_t> SendDgram(SendArgs& args, size_t total);
  ErrnoOr<RecvResult> RecvStream(RecvArgs& args);
  ErrnoOr<RecvResult> RecvDgram(RecvArgs& args);
  ErrnoStatus ConnectStream(const Address& addr, const Cred& cred,
                            const WaitOptions& w);
  ErrnoStatus ConnectDgram(const Address& addr);
  // The peer closed or shut down; `reset` = it left data unread.
  void PeerGone(bool reset);
  void NotifyPeerRoom();
  std::optional<absl::Time> Deadline(bool send);
  // Binds an inet socket to an ephemeral port if unbound (connect, send,
  // listen).
  ErrnoStatus AutoBind();

  Stack* const stack_;
  const int family_;
  const int type_;
  const int protocol_;
  vfs::EventQueue events_;

  absl::Mutex mu_;
  absl::CondVar cv_;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  bool bound_ ABSL_GUARDED_BY(mu_) = false;
  Address local_ ABSL_GUARDED_BY(mu_);
  bool listening_ ABSL_GUARDED_BY(mu_) = false;
  int backlog_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::shared_ptr<Endpoint>> accept_queue_ ABSL_GUARDED_BY(mu_);
  // Connected peer (streams) or default destination (unix datagrams).
  std::shared_ptr<Endpoint> peer_ ABSL_GUARDED_BY(mu_);
  bool connected_ ABSL_GUARDED_BY(mu_) = false;  // streams: ever connected
  Address peer_addr_ ABSL_GUARDED_BY(mu_);       // AF_UNSPEC when none
  Cred peer_cred_ ABSL_GUARDED_BY(mu_);
  bool has_peer_cred_ ABSL_GUARDED_BY(mu_) = false;
  Cred listen_cred_ ABSL_GUARDED_BY(mu_);
  // Linux's sk_shutdown: RCV = nothing more to read once the queue is
  // empty; SEND = writes fail with EPIPE.
  bool rcv_shut_ ABSL_GUARDED_BY(mu_) = false;
  bool send_shut_ ABSL_GUARDED_BY(mu_) = false;
  int so_error_ ABSL_GUARDED_BY(mu_) = 0;  // pending error (SO_ERROR)
  std::deque<Message> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_ ABSL_GUARDED_BY(mu_) = 0;  // bytes in queue_

  // Options.
  int rcvbuf_ ABSL_GUARDED_BY(mu_) = kDefaultBuf;
  int sndbuf_ ABSL_GUARDED_BY(mu_) = kDefaultBuf;
  bool passcred_ ABSL_GUARDED_BY(mu_) = false;
  bool reuseaddr_ ABSL_GUARDED_BY(mu_) = false;
  bool v6only_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration rcvtimeo_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Duration sndtimeo_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  // Options accepted and reported back without further effect
  // (SO_KEEPALIVE, SO_LINGER, TCP_NODELAY, IP_TOS...): (level, name) ->
  // value bytes.
  std::map<std::pair<int, int>, std::vector<std::byte>> stored_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace sentry::net

#endif  // SENTRY_NET_ENDPOINT_H_
