// The engine's side of `--console-socket` for tests: listen on the socket,
// receive the pty master the runtime sends (one SCM_RIGHTS message, as
// runc's utils.SendFd), and read the master until some text shows up.
#ifndef TESTS_OCI_CONSOLE_SOCKET_H_
#define TESTS_OCI_CONSOLE_SOCKET_H_

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/time/clock.h"

namespace oci_test {

// A listening Unix stream socket bound at `path`, or -1.
inline int ListenConsoleSocket(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 4) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Accepts the runtime's connection (10 s at most) and returns the master it
// sends, or -1.
inline int ReceiveMaster(int listener) {
  pollfd p = {listener, POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) return -1;
  int conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return -1;
  char data[256];
  iovec iov = {data, sizeof(data)};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 4)];
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof(cbuf);
  ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  close(conn);
  if (n < 0) return -1;
  int fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(c), sizeof(int));
  }
  return fd;
}

// Reads the master until `want` shows up, EOF/EIO, or 20 s.
inline std::string ReadMasterUntil(int fd, const std::string& want) {
  std::string got;
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (got.find(want) == std::string::npos && absl::Now() < deadline) {
    pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    got.append(buf, n);
  }
  return got;
}

}  // namespace oci_test

#endif  // TESTS_OCI_CONSOLE_SOCKET_H_
