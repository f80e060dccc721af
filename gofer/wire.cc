#include "gofer/wire.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/errors.h"

namespace gofer {
namespace {

void PutLE(char* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t GetLE(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

}  // namespace

std::string EncodeMessage(const MessageHeader& header, absl::string_view body) {
  std::string out(kHeaderSize, '\0');
  PutLE(out.data(), header.id, 8);
  PutLE(out.data() + 8, header.type, 4);
  PutLE(out.data() + 12, static_cast<uint32_t>(header.error), 4);
  out.append(body.data(), body.size());
  return out;
}

bool DecodeHeader(absl::string_view datagram, MessageHeader* header,
                  absl::string_view* body) {
  if (datagram.size() < kHeaderSize) return false;
  header->id = GetLE(datagram.data(), 8);
  header->type = static_cast<uint32_t>(GetLE(datagram.data() + 8, 4));
  header->error = static_cast<int32_t>(GetLE(datagram.data() + 12, 4));
  *body = datagram.substr(kHeaderSize);
  return true;
}

absl::Status SendDatagram(int sock, absl::string_view data, int fd) {
  struct iovec iov = {const_cast<char*>(data.data()), data.size()};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  }
  for (;;) {
    ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n >= 0) return absl::OkStatus();
    if (errno != EINTR) return base::ErrnoStatus(errno, "gofer sendmsg");
  }
}

absl::StatusOr<size_t> RecvDatagram(int sock, char* buf, size_t cap,
                                    base::UniqueFd* fd) {
  struct iovec iov = {buf, cap};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  // Room for a few descriptors, so that a peer sending more than one cannot
  // make us leak the rest (they are all closed below).
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  for (;;) {
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (n >= 0) break;
    if (errno != EINTR) return base::ErrnoStatus(errno, "gofer recvmsg");
  }
  bool kept = false;
  for (struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr;
       cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) {
      continue;
    }
    size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int got;
      std::memcpy(&got, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
      if (fd != nullptr && !kept) {
        fd->reset(got);
        kept = true;
      } else {
        ::close(got);
      }
    }
  }
  if (static_cast<size_t>(n) > cap) {
    if (fd != nullptr) fd->reset();
    return base::ErrnoStatus(EMSGSIZE, "gofer datagram too large");
  }
  return static_cast<size_t>(n);
}

}  // namespace gofer
