#include "runsc/proto/wire.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/status_macros.h"
#include "google/protobuf/message_lite.h"

namespace runsc::control {
namespace {

constexpr size_t kHeaderSize = 4;

// Waits until `sock` is ready for `events` or the deadline passes.
absl::Status WaitReady(int sock, short events, absl::Time deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline != absl::InfiniteFuture()) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError("control channel: timed out");
      }
      // Round up so that we never spin with a zero timeout.
      timeout_ms = static_cast<int>(
          std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30));
    }
    struct pollfd pfd = {sock, events, 0};
    int n = ::poll(&pfd, 1, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(errno, "poll");
    }
    if (n > 0) return absl::OkStatus();
  }
}

absl::Status PeerGone(int err, absl::string_view what) {
  if (err == EPIPE || err == ECONNRESET) {
    return absl::UnavailableError(absl::StrCat(
        "control channel: connection closed by peer (", what, ")"));
  }
  return base::ErrnoStatus(err, what);
}

void CloseRights(struct msghdr* msg, std::vector<base::UniqueFd>* out) {
  for (struct cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr;
       c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; ++i) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      out->emplace_back(fd);
    }
  }
}

// Resolves a socket path into something that fits in sun_path. `dir_keep`
// holds the O_PATH directory descriptor for as long as the address is used.
absl::StatusOr<struct sockaddr_un> MakeAddress(const std::string& path,
                                               base::UniqueFd* dir_keep) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty()) return absl::InvalidArgumentError("empty socket path");
  if (path.size() < sizeof(addr.sun_path)) {
    memcpy(addr.sun_path, path.data(), path.size());
    return addr;
  }
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket path too long: ", path));
  }
  std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  std::string name = path.substr(slash + 1);
  int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoStatus(errno, absl::StrCat("open ", dir));
  dir_keep->reset(fd);
  std::string alias = absl::StrCat("/proc/self/fd/", fd, "/", name);
  if (alias.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket name too long: ", name));
  }
  memcpy(addr.sun_path, alias.data(), alias.size());
  return addr;
}

}  // namespace

absl::Status SendFrame(int sock, absl::string_view body,
                       absl::Span<const int> fds, absl::Time deadline) {
  if (body.size() > kMaxFrameSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("control message of ", body.size(),
                     " bytes exceeds the limit of ", kMaxFrameSize));
  }
  if (fds.size() > kMaxFds) {
    return absl::InvalidArgumentError(
        absl::StrCat("control message carries ", fds.size(),
                     " descriptors; the limit is ", kMaxFds));
  }
  std::string buf(kHeaderSize + body.size(), '\0');
  uint32_t len = static_cast<uint32_t>(body.size());
  for (size_t i = 0; i < kHeaderSize; ++i) buf[i] = (len >> (8 * i)) & 0xff;
  memcpy(buf.data() + kHeaderSize, body.data(), body.size());

  size_t done = 0;
  bool rights_sent = fds.empty();
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * kMaxFds)];
  while (done < buf.size()) {
    RETURN_IF_ERROR(WaitReady(sock, POLLOUT, deadline));
    struct iovec iov = {buf.data() + done, buf.size() - done};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (!rights_sent) {
      memset(cbuf, 0, sizeof(cbuf));
      msg.msg_control = cbuf;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return PeerGone(errno, "sendmsg");
    }
    rights_sent = true;
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<Frame> RecvFrame(int sock, absl::Time deadline) {
  Frame frame;
  char header[kHeaderSize];
  size_t have = 0;
  // Descriptors come with the first bytes; we accept them on any segment of
  // the header and refuse them afterwards (MSG_CTRUNC would mean loss).
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * kMaxFds)];
  bool too_many_fds = false;
  while (have < kHeaderSize) {
    RETURN_IF_ERROR(WaitReady(sock, POLLIN, deadline));
    struct iovec iov = {header + have, kHeaderSize - have};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof(cbuf);
    ssize_t n = ::recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return PeerGone(errno, "recvmsg");
    }
    CloseRights(&msg, &frame.fds);
    if (msg.msg_flags & MSG_CTRUNC) too_many_fds = true;
    if (n == 0) {
      return absl::UnavailableError(
          have == 0 ? "control channel: connection closed by peer"
                    : "control channel: connection closed mid-frame");
    }
    have += static_cast<size_t>(n);
  }
  if (too_many_fds || frame.fds.size() > kMaxFds) {
    return absl::InvalidArgumentError(
        "control message carries too many descriptors");
  }
  uint32_t len = 0;
  for (size_t i = 0; i < kHeaderSize; ++i) {
    len |= static_cast<uint32_t>(static_cast<unsigned char>(header[i]))
           << (8 * i);
  }
  if (len > kMaxFrameSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("control message of ", len, " bytes exceeds the limit of ",
                     kMaxFrameSize));
  }
  frame.body.resize(len);
  size_t got = 0;
  while (got < len) {
    RETURN_IF_ERROR(WaitReady(sock, POLLIN, deadline));
    ssize_t n = ::recv(sock, frame.body.data() + got, len - got, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return PeerGone(errno, "recv");
    }
    if (n == 0) {
      return absl::UnavailableError(
          "control channel: connection closed mid-frame");
    }
    got += static_cast<size_t>(n);
  }
  return frame;
}

absl::Status SendMessage(int sock, const google::protobuf::MessageLite& msg,
                         absl::Span<const int> fds, absl::Time deadline) {
  std::string body;
  if (!msg.SerializeToString(&body)) {
    return absl::InternalError("cannot serialize control message");
  }
  return SendFrame(sock, body, fds, deadline);
}

absl::Status RecvMessage(int sock, google::protobuf::MessageLite* msg,
                         std::vector<base::UniqueFd>* fds,
                         absl::Time deadline) {
  ASSIGN_OR_RETURN(Frame frame, RecvFrame(sock, deadline));
  if (!msg->ParseFromString(frame.body)) {
    return absl::InvalidArgumentError("malformed control message");
  }
  if (fds != nullptr) *fds = std::move(frame.fds);
  return absl::OkStatus();
}

absl::StatusOr<base::UniqueFd> ConnectUnix(const std::string& path,
                                           absl::Time deadline) {
  base::UniqueFd dir;
  ASSIGN_OR_RETURN(struct sockaddr_un addr, MakeAddress(path, &dir));
  base::UniqueFd sock(
      ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!sock.valid()) return base::ErrnoStatus(errno, "socket");
  for (;;) {
    if (::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr),
                  sizeof(addr)) == 0) {
      return sock;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      return base::ErrnoStatus(errno, absl::StrCat("connect ", path));
    }
    // The listener's backlog is full: retry until the deadline.
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("connect ", path, ": timed out"));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

absl::StatusOr<base::UniqueFd> ListenUnix(const std::string& path) {
  base::UniqueFd dir;
  ASSIGN_OR_RETURN(struct sockaddr_un addr, MakeAddress(path, &dir));
  base::UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return base::ErrnoStatus(errno, "socket");
  if (::bind(sock.get(), reinterpret_cast<struct sockaddr*>(&addr),
             sizeof(addr)) != 0) {
    return base::ErrnoStatus(errno, absl::StrCat("bind ", path));
  }
  if (::listen(sock.get(), 64) != 0) {
    return base::ErrnoStatus(errno, absl::StrCat("listen ", path));
  }
  return sock;
}

}  // namespace runsc::control
