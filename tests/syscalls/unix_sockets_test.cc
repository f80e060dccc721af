// AF_UNIX sockets: socketpair (stream, dgram, seqpacket), bind/listen/
// connect/accept on a path and in the abstract namespace, SCM_RIGHTS,
// SO_PEERCRED, shutdown, message boundaries, ECONNREFUSED.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

struct Pair {
  Fd a, b;
};

Pair SocketPair(int type) {
  int sv[2];
  if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) return {};
  return {Fd(sv[0]), Fd(sv[1])};
}

// A sockaddr_un for `path`; a leading '\0' makes it abstract.
std::pair<sockaddr_un, socklen_t> Addr(const std::string& path) {
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.data(), path.size());
  return {addr, static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                       path.size())};
}

std::string UniqueAbstract(const char* tag) {
  return std::string(1, '\0') + "syscall_test_" + tag + "_" +
         std::to_string(getpid());
}

class UnixSocketTest : public TempDirTest {};

TEST_F(UnixSocketTest, SocketpairStream) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  ASSERT_THAT(write(p.a.get(), "hello", 5), SyscallSucceedsWithValue(5));
  ASSERT_THAT(write(p.a.get(), "world", 5), SyscallSucceedsWithValue(5));
  char buf[16];
  // A stream has no boundaries: both writes may come in one read.
  size_t got = 0;
  while (got < 10) {
    ssize_t n = read(p.b.get(), buf + got, sizeof(buf) - got);
    ASSERT_GT(n, 0);
    got += n;
  }
  EXPECT_EQ(std::string(buf, 10), "helloworld");
  // Bidirectional.
  ASSERT_THAT(write(p.b.get(), "x", 1), SyscallSucceeds());
  EXPECT_THAT(read(p.a.get(), buf, 1), SyscallSucceedsWithValue(1));
  int type = 0;
  socklen_t len = sizeof(type);
  ASSERT_THAT(getsockopt(p.a.get(), SOL_SOCKET, SO_TYPE, &type, &len),
              SyscallSucceeds());
  EXPECT_EQ(type, SOCK_STREAM);
  EXPECT_EQ(fcntl(p.a.get(), F_GETFD), FD_CLOEXEC);
}

TEST_F(UnixSocketTest, DgramAndSeqpacketKeepBoundaries) {
  for (int type : {SOCK_DGRAM, SOCK_SEQPACKET}) {
    Pair p = SocketPair(type);
    ASSERT_TRUE(p.a.valid());
    ASSERT_THAT(send(p.a.get(), "one", 3, 0), SyscallSucceedsWithValue(3));
    ASSERT_THAT(send(p.a.get(), "three", 5, 0), SyscallSucceedsWithValue(5));
    char buf[16];
    EXPECT_THAT(recv(p.b.get(), buf, sizeof(buf), 0),
                SyscallSucceedsWithValue(3));
    EXPECT_EQ(std::string(buf, 3), "one");
    // A short buffer truncates the message; MSG_TRUNC reports the real size.
    ASSERT_THAT(send(p.a.get(), "longer message", 14, 0), SyscallSucceeds());
    EXPECT_THAT(recv(p.b.get(), buf, 2, 0), SyscallSucceedsWithValue(2));
    EXPECT_EQ(std::string(buf, 2), "th");  // "three" was next.
    EXPECT_THAT(recv(p.b.get(), buf, 4, MSG_TRUNC),
                SyscallSucceedsWithValue(14));
    // The rest of a truncated message is gone.
    ASSERT_THAT(send(p.a.get(), "z", 1, 0), SyscallSucceeds());
    EXPECT_THAT(recv(p.b.get(), buf, sizeof(buf), 0),
                SyscallSucceedsWithValue(1));
    EXPECT_EQ(buf[0], 'z');
    // Zero-length messages exist.
    ASSERT_THAT(send(p.a.get(), "", 0, 0), SyscallSucceedsWithValue(0));
    EXPECT_THAT(recv(p.b.get(), buf, sizeof(buf), MSG_DONTWAIT),
                SyscallSucceedsWithValue(0));
    EXPECT_THAT(recv(p.b.get(), buf, sizeof(buf), MSG_DONTWAIT),
                SyscallFailsWithErrno(EAGAIN));
  }
}

TEST_F(UnixSocketTest, PathBindListenConnectAccept) {
  Fd srv(socket(AF_UNIX, SOCK_STREAM, 0));
  ASSERT_TRUE(srv.valid());
  auto [addr, len] = Addr(Path("sock"));
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(Path("sock").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  // Binding again to an existing path is EADDRINUSE.
  Fd other(socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_THAT(bind(other.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallFailsWithErrno(EADDRINUSE));
  ASSERT_THAT(listen(srv.get(), 8), SyscallSucceeds());
  Fd cli(socket(AF_UNIX, SOCK_STREAM, 0));
  ASSERT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallSucceeds());
  sockaddr_un peer = {};
  socklen_t plen = sizeof(peer);
  Fd conn(accept4(srv.get(), reinterpret_cast<sockaddr*>(&peer), &plen,
                  SOCK_CLOEXEC));
  ASSERT_TRUE(conn.valid());
  EXPECT_EQ(plen, offsetof(sockaddr_un, sun_path));  // Unbound client.
  ASSERT_THAT(write(cli.get(), "ping", 4), SyscallSucceeds());
  char buf[4];
  EXPECT_THAT(read(conn.get(), buf, 4), SyscallSucceedsWithValue(4));
  // getsockname/getpeername.
  sockaddr_un name = {};
  socklen_t nlen = sizeof(name);
  ASSERT_THAT(getpeername(cli.get(), reinterpret_cast<sockaddr*>(&name), &nlen),
              SyscallSucceeds());
  EXPECT_STREQ(name.sun_path, Path("sock").c_str());
  nlen = sizeof(name);
  ASSERT_THAT(
      getsockname(conn.get(), reinterpret_cast<sockaddr*>(&name), &nlen),
      SyscallSucceeds());
  EXPECT_STREQ(name.sun_path, Path("sock").c_str());
  // Already connected.
  EXPECT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallFailsWithErrno(EISCONN));
}

TEST_F(UnixSocketTest, AbstractNamespace) {
  Fd srv(socket(AF_UNIX, SOCK_SEQPACKET, 0));
  auto [addr, len] = Addr(UniqueAbstract("abs"));
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallSucceeds());
  ASSERT_THAT(listen(srv.get(), 1), SyscallSucceeds());
  Fd cli(socket(AF_UNIX, SOCK_SEQPACKET, 0));
  ASSERT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallSucceeds());
  Fd conn(accept(srv.get(), nullptr, nullptr));
  ASSERT_TRUE(conn.valid());
  ASSERT_THAT(send(cli.get(), "a", 1, 0), SyscallSucceeds());
  ASSERT_THAT(send(cli.get(), "bc", 2, 0), SyscallSucceeds());
  char buf[8];
  EXPECT_THAT(recv(conn.get(), buf, sizeof(buf), 0),
              SyscallSucceedsWithValue(1));
  EXPECT_THAT(recv(conn.get(), buf, sizeof(buf), 0),
              SyscallSucceedsWithValue(2));
  sockaddr_un name = {};
  socklen_t nlen = sizeof(name);
  ASSERT_THAT(getsockname(srv.get(), reinterpret_cast<sockaddr*>(&name), &nlen),
              SyscallSucceeds());
  EXPECT_EQ(nlen, len);
  EXPECT_EQ(name.sun_path[0], '\0');
  // Closing the listener frees the name.
  srv.reset();
  Fd again(socket(AF_UNIX, SOCK_SEQPACKET, 0));
  EXPECT_THAT(bind(again.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallSucceeds());
}

TEST_F(UnixSocketTest, ConnectionRefused) {
  Fd cli(socket(AF_UNIX, SOCK_STREAM, 0));
  auto [missing, mlen] = Addr(Path("nothing"));
  EXPECT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&missing), mlen),
              SyscallFailsWithErrno(ENOENT));
  auto [abs, alen] = Addr(UniqueAbstract("nobody_listens"));
  EXPECT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&abs), alen),
              SyscallFailsWithErrno(ECONNREFUSED));
  // Bound but not listening.
  Fd bound(socket(AF_UNIX, SOCK_STREAM, 0));
  auto [addr, len] = Addr(Path("notlistening"));
  ASSERT_THAT(bind(bound.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallSucceeds());
  EXPECT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallFailsWithErrno(ECONNREFUSED));
  // A stale socket file whose socket was closed.
  bound.reset();
  EXPECT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallFailsWithErrno(ECONNREFUSED));
  // Wrong socket type.
  Fd srv(socket(AF_UNIX, SOCK_DGRAM, 0));
  auto [d, dlen] = Addr(Path("dgram"));
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&d), dlen),
              SyscallSucceeds());
  Fd s2(socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_THAT(connect(s2.get(), reinterpret_cast<sockaddr*>(&d), dlen),
              SyscallFailsWithErrno(EPROTOTYPE));
}

TEST_F(UnixSocketTest, DgramSendtoAndRecvfrom) {
  Fd srv(socket(AF_UNIX, SOCK_DGRAM, 0));
  auto [addr, len] = Addr(Path("d"));
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallSucceeds());
  Fd cli(socket(AF_UNIX, SOCK_DGRAM, 0));
  auto [caddr, clen] = Addr(Path("c"));
  ASSERT_THAT(bind(cli.get(), reinterpret_cast<sockaddr*>(&caddr), clen),
              SyscallSucceeds());
  ASSERT_THAT(
      sendto(cli.get(), "dgram", 5, 0, reinterpret_cast<sockaddr*>(&addr), len),
      SyscallSucceedsWithValue(5));
  char buf[16];
  sockaddr_un from = {};
  socklen_t flen = sizeof(from);
  ASSERT_THAT(recvfrom(srv.get(), buf, sizeof(buf), 0,
                       reinterpret_cast<sockaddr*>(&from), &flen),
              SyscallSucceedsWithValue(5));
  EXPECT_STREQ(from.sun_path, Path("c").c_str());
  // Unconnected send without an address.
  EXPECT_THAT(send(cli.get(), "x", 1, 0), SyscallFailsWithErrno(ENOTCONN));
}

TEST_F(UnixSocketTest, ScmRightsPassesDescriptor) {
  Pair p = SocketPair(SOCK_STREAM);
  WriteFile(Path("passed"), "through the socket");
  Fd file(open(Path("passed").c_str(), O_RDONLY));
  ASSERT_TRUE(file.valid());
  char data = 'D';
  struct iovec iov = {&data, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  int fd = file.get();
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ASSERT_THAT(sendmsg(p.a.get(), &msg, 0), SyscallSucceedsWithValue(1));
  file.reset();  // The in-flight reference keeps the file open.

  char got = 0;
  struct iovec riov = {&got, 1};
  alignas(struct cmsghdr) char rcontrol[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr rmsg = {};
  rmsg.msg_iov = &riov;
  rmsg.msg_iovlen = 1;
  rmsg.msg_control = rcontrol;
  rmsg.msg_controllen = sizeof(rcontrol);
  ASSERT_THAT(recvmsg(p.b.get(), &rmsg, MSG_CMSG_CLOEXEC),
              SyscallSucceedsWithValue(1));
  EXPECT_EQ(got, 'D');
  struct cmsghdr* rc = CMSG_FIRSTHDR(&rmsg);
  ASSERT_NE(rc, nullptr);
  EXPECT_EQ(rc->cmsg_level, SOL_SOCKET);
  EXPECT_EQ(rc->cmsg_type, SCM_RIGHTS);
  int received;
  memcpy(&received, CMSG_DATA(rc), sizeof(int));
  Fd r(received);
  EXPECT_EQ(fcntl(r.get(), F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(ReadAll(r.get()), "through the socket");
}

TEST_F(UnixSocketTest, ScmRightsAcrossProcesses) {
  Pair p = SocketPair(SOCK_DGRAM);
  pid_t pid = fork();
  if (pid == 0) {
    int pipefd[2];
    pipe(pipefd);
    write(pipefd[1], "from child pipe", 15);
    close(pipefd[1]);
    char d = 'x';
    struct iovec iov = {&d, 1};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pipefd[0], sizeof(int));
    _exit(sendmsg(p.a.get(), &msg, 0) == 1 ? 0 : 1);
  }
  char d;
  struct iovec iov = {&d, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ASSERT_THAT(recvmsg(p.b.get(), &msg, 0), SyscallSucceedsWithValue(1));
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  ASSERT_NE(c, nullptr);
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(int));
  Fd r(fd);
  EXPECT_EQ(ReadAll(r.get()), "from child pipe");
}

TEST_F(UnixSocketTest, PeerCredentials) {
  Pair p = SocketPair(SOCK_STREAM);
  struct ucred cred = {};
  socklen_t len = sizeof(cred);
  ASSERT_THAT(getsockopt(p.a.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len),
              SyscallSucceeds());
  EXPECT_EQ(cred.pid, getpid());
  EXPECT_EQ(cred.uid, getuid());
  EXPECT_EQ(cred.gid, getgid());
  // Across processes: the connecting process's credentials.
  Fd srv(socket(AF_UNIX, SOCK_STREAM, 0));
  auto [addr, alen] = Addr(UniqueAbstract("cred"));
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&addr), alen),
              SyscallSucceeds());
  ASSERT_THAT(listen(srv.get(), 1), SyscallSucceeds());
  const bool drop = CanChangeIds();
  pid_t pid = fork();
  if (pid == 0) {
    if (drop && !DropToNobody()) _exit(2);
    Fd c(socket(AF_UNIX, SOCK_STREAM, 0));
    if (connect(c.get(), reinterpret_cast<sockaddr*>(&addr), alen) != 0)
      _exit(1);
    char x;
    read(c.get(), &x, 1);  // Wait until the parent has looked.
    _exit(0);
  }
  Fd conn(accept(srv.get(), nullptr, nullptr));
  ASSERT_TRUE(conn.valid());
  len = sizeof(cred);
  ASSERT_THAT(getsockopt(conn.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len),
              SyscallSucceeds());
  EXPECT_EQ(cred.pid, pid);
  EXPECT_EQ(cred.uid, drop ? kNobody : getuid());
  write(conn.get(), "k", 1);
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeStatus(status);
}

TEST_F(UnixSocketTest, Shutdown) {
  EXPECT_CHILD_SUCCEEDS([] {
    signal(SIGPIPE, SIG_IGN);
    Pair p = SocketPair(SOCK_STREAM);
    ASSERT_THAT(write(p.a.get(), "last", 4), SyscallSucceeds());
    ASSERT_THAT(shutdown(p.a.get(), SHUT_WR), SyscallSucceeds());
    char buf[8];
    EXPECT_THAT(read(p.b.get(), buf, sizeof(buf)), SyscallSucceedsWithValue(4));
    EXPECT_THAT(read(p.b.get(), buf, sizeof(buf)),
                SyscallSucceedsWithValue(0));  // EOF.
    EXPECT_THAT(write(p.a.get(), "x", 1), SyscallFailsWithErrno(EPIPE));
    // The other direction still works.
    ASSERT_THAT(write(p.b.get(), "back", 4), SyscallSucceeds());
    EXPECT_THAT(read(p.a.get(), buf, sizeof(buf)), SyscallSucceedsWithValue(4));
    struct pollfd pfd = {p.b.get(), POLLIN, 0};
    ASSERT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
    EXPECT_TRUE(pfd.revents & (POLLIN | POLLRDHUP));
    EXPECT_THAT(shutdown(p.a.get(), 42), SyscallFailsWithErrno(EINVAL));
    // Closing the peer: EOF, then EPIPE for writes.
    p.a.reset();
    EXPECT_THAT(read(p.b.get(), buf, sizeof(buf)), SyscallSucceedsWithValue(0));
    EXPECT_THAT(write(p.b.get(), "x", 1), SyscallFailsWithErrno(EPIPE));
  });
}

TEST_F(UnixSocketTest, NonblockingAcceptAndConnectBacklog) {
  Fd srv(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
  auto [addr, len] = Addr(Path("nb"));
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallSucceeds());
  ASSERT_THAT(listen(srv.get(), 4), SyscallSucceeds());
  EXPECT_THAT(accept(srv.get(), nullptr, nullptr),
              SyscallFailsWithErrno(EAGAIN));
  Fd cli(socket(AF_UNIX, SOCK_STREAM, 0));
  ASSERT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallSucceeds());
  struct pollfd pfd = {srv.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  Fd conn(accept(srv.get(), nullptr, nullptr));
  EXPECT_TRUE(conn.valid());
}

TEST_F(UnixSocketTest, Errors) {
  EXPECT_THAT(socket(AF_UNIX, 42, 0), SyscallFailsWithErrno(EINVAL));
  Fd s(socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_THAT(listen(s.get(), 1), SyscallFailsWithErrno(EINVAL));  // Unbound.
  char buf[1];
  EXPECT_THAT(read(s.get(), buf, 1), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(write(s.get(), "x", 1), SyscallFailsWithErrno(ENOTCONN));
  // An address longer than sockaddr_un is EINVAL.
  sockaddr_un big = {};
  big.sun_family = AF_UNIX;
  EXPECT_THAT(
      bind(s.get(), reinterpret_cast<sockaddr*>(&big), sizeof(big) + 10),
      SyscallFailsWithErrno(EINVAL));
  Fd f(open(dir_.c_str(), O_RDONLY));
  EXPECT_THAT(listen(f.get(), 1), SyscallFailsWithErrno(ENOTSOCK));
}

TEST_F(UnixSocketTest, PeekWaitallAndFionread) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_THAT(write(p.a.get(), "abcd", 4), SyscallSucceedsWithValue(4));
  int n = -1;
  ASSERT_THAT(ioctl(p.b.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 4);
  // Linux counts buffer overhead in TIOCOUTQ: at least the bytes queued.
  ASSERT_THAT(ioctl(p.a.get(), TIOCOUTQ, &n), SyscallSucceeds());
  EXPECT_GE(n, 4);
  char buf[8];
  EXPECT_THAT(recv(p.b.get(), buf, 2, MSG_PEEK), SyscallSucceedsWithValue(2));
  EXPECT_EQ(std::string(buf, 2), "ab");
  // MSG_WAITALL waits for the second write (whenever it comes).
  std::thread writer([&] { write(p.a.get(), "efgh", 4); });
  EXPECT_THAT(recv(p.b.get(), buf, 8, MSG_WAITALL),
              SyscallSucceedsWithValue(8));
  writer.join();
  EXPECT_EQ(std::string(buf, 8), "abcdefgh");
  EXPECT_THAT(recv(p.b.get(), buf, 8, MSG_DONTWAIT),
              SyscallFailsWithErrno(EAGAIN));
}

TEST_F(UnixSocketTest, Autobind) {
  Fd s(socket(AF_UNIX, SOCK_DGRAM, 0));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  ASSERT_THAT(
      bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(sa_family_t)),
      SyscallSucceeds());
  sockaddr_un name = {};
  socklen_t len = sizeof(name);
  ASSERT_THAT(getsockname(s.get(), reinterpret_cast<sockaddr*>(&name), &len),
              SyscallSucceeds());
  // "\0" and five hex digits.
  EXPECT_EQ(len, offsetof(sockaddr_un, sun_path) + 6);
  EXPECT_EQ(name.sun_path[0], '\0');
  // Autobinding a bound socket is a no-op; naming it again is EINVAL.
  EXPECT_THAT(
      bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(sa_family_t)),
      SyscallSucceeds());
  auto [path, plen] = Addr(Path("again"));
  EXPECT_THAT(bind(s.get(), reinterpret_cast<sockaddr*>(&path), plen),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(UnixSocketTest, PassCredentials) {
  Pair p = SocketPair(SOCK_DGRAM);
  int one = 1;
  ASSERT_THAT(setsockopt(p.b.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)),
              SyscallSucceeds());
  ASSERT_THAT(send(p.a.get(), "c", 1, 0), SyscallSucceeds());
  char d;
  struct iovec iov = {&d, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(ucred))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ASSERT_THAT(recvmsg(p.b.get(), &msg, 0), SyscallSucceedsWithValue(1));
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->cmsg_level, SOL_SOCKET);
  ASSERT_EQ(c->cmsg_type, SCM_CREDENTIALS);
  ucred u;
  memcpy(&u, CMSG_DATA(c), sizeof(u));
  EXPECT_EQ(u.pid, getpid());
  EXPECT_EQ(u.uid, geteuid());
  EXPECT_EQ(u.gid, getegid());
}

TEST_F(UnixSocketTest, ScmRightsTruncatedControl) {
  Pair p = SocketPair(SOCK_STREAM);
  int fds[2] = {p.a.get(), p.b.get()};
  char data = 'R';
  struct iovec iov = {&data, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(fds))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(fds));
  memcpy(CMSG_DATA(c), fds, sizeof(fds));
  ASSERT_THAT(sendmsg(p.a.get(), &msg, 0), SyscallSucceedsWithValue(1));
  // Room for one descriptor only (CMSG_SPACE would fit two: padding).
  alignas(struct cmsghdr) char small[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr rmsg = {};
  rmsg.msg_iov = &iov;
  rmsg.msg_iovlen = 1;
  rmsg.msg_control = small;
  rmsg.msg_controllen = CMSG_LEN(sizeof(int));
  ASSERT_THAT(recvmsg(p.b.get(), &rmsg, 0), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(rmsg.msg_flags & MSG_CTRUNC);
  struct cmsghdr* rc = CMSG_FIRSTHDR(&rmsg);
  ASSERT_NE(rc, nullptr);
  EXPECT_EQ(rc->cmsg_len, CMSG_LEN(sizeof(int)));
  int got;
  memcpy(&got, CMSG_DATA(rc), sizeof(got));
  Fd r(got);
  int type = 0;
  socklen_t len = sizeof(type);
  EXPECT_THAT(getsockopt(r.get(), SOL_SOCKET, SO_TYPE, &type, &len),
              SyscallSucceeds());
  EXPECT_EQ(type, SOCK_STREAM);
  // A bad descriptor in SCM_RIGHTS fails the send.
  int bad = 12345;
  memcpy(CMSG_DATA(c), &bad, sizeof(bad));
  c->cmsg_len = CMSG_LEN(sizeof(int));
  msg.msg_controllen = CMSG_SPACE(sizeof(int));
  EXPECT_THAT(sendmsg(p.a.get(), &msg, 0), SyscallFailsWithErrno(EBADF));
}

TEST_F(UnixSocketTest, SendmmsgRecvmmsg) {
  Pair p = SocketPair(SOCK_SEQPACKET);
  char m0[] = "a", m1[] = "bb", m2[] = "ccc";
  struct iovec iov[3] = {{m0, 1}, {m1, 2}, {m2, 3}};
  struct mmsghdr out[3] = {};
  for (int i = 0; i < 3; ++i) {
    out[i].msg_hdr.msg_iov = &iov[i];
    out[i].msg_hdr.msg_iovlen = 1;
  }
  ASSERT_THAT(sendmmsg(p.a.get(), out, 3, 0), SyscallSucceedsWithValue(3));
  EXPECT_EQ(out[2].msg_len, 3u);
  char bufs[3][8];
  struct iovec riov[3];
  struct mmsghdr in[3] = {};
  for (int i = 0; i < 3; ++i) {
    riov[i] = {bufs[i], sizeof(bufs[i])};
    in[i].msg_hdr.msg_iov = &riov[i];
    in[i].msg_hdr.msg_iovlen = 1;
  }
  ASSERT_THAT(recvmmsg(p.b.get(), in, 3, MSG_DONTWAIT, nullptr),
              SyscallSucceedsWithValue(3));
  EXPECT_EQ(in[0].msg_len, 1u);
  EXPECT_EQ(in[1].msg_len, 2u);
  EXPECT_EQ(in[2].msg_len, 3u);
  EXPECT_EQ(std::string(bufs[2], 3), "ccc");
}

TEST_F(UnixSocketTest, SigpipeUnlessNosignal) {
  EXPECT_CHILD_SUCCEEDS([] {
    static int sigpipes = 0;
    signal(SIGPIPE, [](int) { ++sigpipes; });
    Pair p = SocketPair(SOCK_STREAM);
    p.b.reset();
    EXPECT_THAT(send(p.a.get(), "x", 1, MSG_NOSIGNAL),
                SyscallFailsWithErrno(EPIPE));
    EXPECT_EQ(sigpipes, 0);
    EXPECT_THAT(write(p.a.get(), "x", 1), SyscallFailsWithErrno(EPIPE));
    EXPECT_EQ(sigpipes, 1);
    EXPECT_THAT(send(p.a.get(), "x", 1, 0), SyscallFailsWithErrno(EPIPE));
    EXPECT_EQ(sigpipes, 2);
  });
}

TEST_F(UnixSocketTest, ReceiveTimeout) {
  Pair p = SocketPair(SOCK_STREAM);
  // 100 ms: a whole number of jiffies for any HZ Linux uses.
  struct timeval tv = {0, 100000};
  ASSERT_THAT(setsockopt(p.a.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
              SyscallSucceeds());
  struct timeval got = {};
  socklen_t len = sizeof(got);
  ASSERT_THAT(getsockopt(p.a.get(), SOL_SOCKET, SO_RCVTIMEO, &got, &len),
              SyscallSucceeds());
  EXPECT_EQ(got.tv_usec, 100000);
  char c;
  EXPECT_THAT(read(p.a.get(), &c, 1), SyscallFailsWithErrno(EAGAIN));
  tv.tv_usec = 2000000;
  EXPECT_THAT(setsockopt(p.a.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
              SyscallFailsWithErrno(EDOM));
}

TEST_F(UnixSocketTest, SocketLevelOptions) {
  Fd s(socket(AF_UNIX, SOCK_SEQPACKET, 0));
  auto get = [&](int name) {
    int v = -1;
    socklen_t len = sizeof(v);
    EXPECT_THAT(getsockopt(s.get(), SOL_SOCKET, name, &v, &len),
                SyscallSucceeds());
    return v;
  };
  EXPECT_EQ(get(SO_DOMAIN), AF_UNIX);
  EXPECT_EQ(get(SO_TYPE), SOCK_SEQPACKET);
  EXPECT_EQ(get(SO_PROTOCOL), 0);
  EXPECT_EQ(get(SO_ACCEPTCONN), 0);
  int v = 8192;
  ASSERT_THAT(setsockopt(s.get(), SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)),
              SyscallSucceeds());
  EXPECT_EQ(get(SO_SNDBUF), 2 * 8192);  // Linux doubles it
  auto [addr, len] = Addr(UniqueAbstract("opts"));
  ASSERT_THAT(bind(s.get(), reinterpret_cast<sockaddr*>(&addr), len),
              SyscallSucceeds());
  ASSERT_THAT(listen(s.get(), 1), SyscallSucceeds());
  EXPECT_EQ(get(SO_ACCEPTCONN), 1);
  EXPECT_THAT(setsockopt(s.get(), SOL_SOCKET, SO_TYPE, &v, sizeof(v)),
              SyscallFailsWithErrno(ENOPROTOOPT));
  EXPECT_THAT(socket(AF_UNIX, SOCK_STREAM, 7),
              SyscallFailsWithErrno(EPROTONOSUPPORT));
}

TEST_F(UnixSocketTest, SeqpacketEofAndDgramPeerGone) {
  Pair p = SocketPair(SOCK_SEQPACKET);
  ASSERT_THAT(send(p.a.get(), "last", 4, 0), SyscallSucceeds());
  p.a.reset();
  char buf[8];
  EXPECT_THAT(recv(p.b.get(), buf, sizeof(buf), 0),
              SyscallSucceedsWithValue(4));
  EXPECT_THAT(recv(p.b.get(), buf, sizeof(buf), 0),
              SyscallSucceedsWithValue(0));
  // A datagram socket whose peer closed: refused once, then unconnected.
  Pair d = SocketPair(SOCK_DGRAM);
  d.b.reset();
  EXPECT_THAT(send(d.a.get(), "x", 1, MSG_NOSIGNAL),
              SyscallFailsWithErrno(ECONNREFUSED));
  EXPECT_THAT(send(d.a.get(), "x", 1, MSG_NOSIGNAL),
              SyscallFailsWithErrno(ENOTCONN));
}

}  // namespace
}  // namespace syscall_test
