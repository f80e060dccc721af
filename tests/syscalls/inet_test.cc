// Loopback TCP and UDP on 127.0.0.1 with ephemeral ports (and ::1 if
// IPv6 loopback is configured): bind/listen/connect/accept, data, options,
// shutdown, ECONNREFUSED, address reuse.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

sockaddr_in Loopback(uint16_t port = 0) {
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// Binds `fd` to 127.0.0.1 on an ephemeral port; returns the port (0 on error).
uint16_t BindEphemeral(int fd) {
  sockaddr_in a = Loopback();
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return 0;
  socklen_t len = sizeof(a);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
  return ntohs(a.sin_port);
}

class InetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Fd probe(socket(AF_INET, SOCK_STREAM, 0));
    if (!probe.valid() && (errno == EAFNOSUPPORT || errno == EPERM)) {
      GTEST_SKIP() << "no AF_INET sockets";
    }
    if (BindEphemeral(probe.get()) == 0)
      GTEST_SKIP() << "no loopback interface";
  }
};

TEST_F(InetTest, TcpConnectAcceptEcho) {
  Fd srv(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  uint16_t port = BindEphemeral(srv.get());
  ASSERT_NE(port, 0);
  ASSERT_THAT(listen(srv.get(), 4), SyscallSucceeds());
  Fd cli(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in to = Loopback(port);
  ASSERT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)),
              SyscallSucceeds());
  sockaddr_in peer = {};
  socklen_t plen = sizeof(peer);
  Fd conn(accept(srv.get(), reinterpret_cast<sockaddr*>(&peer), &plen));
  ASSERT_TRUE(conn.valid());
  EXPECT_EQ(plen, sizeof(sockaddr_in));
  EXPECT_EQ(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  sockaddr_in local = {};
  socklen_t llen = sizeof(local);
  ASSERT_THAT(
      getsockname(cli.get(), reinterpret_cast<sockaddr*>(&local), &llen),
      SyscallSucceeds());
  EXPECT_EQ(local.sin_port, peer.sin_port);
  // A megabyte each way through a thread.
  std::string big(1 << 20, 'T');
  std::thread writer([&] {
    WriteAll(cli.get(), big.data(), big.size());
    shutdown(cli.get(), SHUT_WR);
  });
  std::string got = ReadAll(conn.get());
  writer.join();
  EXPECT_EQ(got.size(), big.size());
  ASSERT_THAT(write(conn.get(), "bye", 3), SyscallSucceeds());
  conn.reset();
  EXPECT_EQ(ReadAll(cli.get()), "bye");
}

TEST_F(InetTest, TcpConnectionRefused) {
  // A port that was just bound and closed (not listening) refuses.
  Fd tmp(socket(AF_INET, SOCK_STREAM, 0));
  uint16_t port = BindEphemeral(tmp.get());
  ASSERT_NE(port, 0);
  Fd cli(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in to = Loopback(port);
  EXPECT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)),
              SyscallFailsWithErrno(ECONNREFUSED));
}

TEST_F(InetTest, TcpOptions) {
  Fd s(socket(AF_INET, SOCK_STREAM, 0));
  int one = 1, v = 0;
  socklen_t len = sizeof(v);
  ASSERT_THAT(setsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)),
              SyscallSucceeds());
  ASSERT_THAT(getsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &v, &len),
              SyscallSucceeds());
  EXPECT_NE(v, 0);
  ASSERT_THAT(setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
              SyscallSucceeds());
  len = sizeof(v);
  ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &v, &len),
              SyscallSucceeds());
  EXPECT_NE(v, 0);
  len = sizeof(v);
  ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_TYPE, &v, &len),
              SyscallSucceeds());
  EXPECT_EQ(v, SOCK_STREAM);
  len = sizeof(v);
  ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &v, &len),
              SyscallSucceeds());
  EXPECT_EQ(v, 0);
  EXPECT_THAT(setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, 1),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(InetTest, AddressInUse) {
  Fd a(socket(AF_INET, SOCK_STREAM, 0));
  uint16_t port = BindEphemeral(a.get());
  ASSERT_NE(port, 0);
  ASSERT_THAT(listen(a.get(), 1), SyscallSucceeds());
  Fd b(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr = Loopback(port);
  EXPECT_THAT(bind(b.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
              SyscallFailsWithErrno(EADDRINUSE));
}

TEST_F(InetTest, NonblockingConnect) {
  Fd srv(socket(AF_INET, SOCK_STREAM, 0));
  uint16_t port = BindEphemeral(srv.get());
  ASSERT_THAT(listen(srv.get(), 1), SyscallSucceeds());
  Fd cli(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
  sockaddr_in to = Loopback(port);
  int r = connect(cli.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to));
  if (r != 0) {
    ASSERT_EQ(errno, EINPROGRESS);
    struct pollfd p = {cli.get(), POLLOUT, 0};
    ASSERT_THAT(poll(&p, 1, 30000), SyscallSucceedsWithValue(1));
  }
  int err = -1;
  socklen_t len = sizeof(err);
  ASSERT_THAT(getsockopt(cli.get(), SOL_SOCKET, SO_ERROR, &err, &len),
              SyscallSucceeds());
  EXPECT_EQ(err, 0);
  Fd conn(accept(srv.get(), nullptr, nullptr));
  EXPECT_TRUE(conn.valid());
}

TEST_F(InetTest, ResetOnCloseWithUnreadData) {
  EXPECT_CHILD_SUCCEEDS([] {
    signal(SIGPIPE, SIG_IGN);
    Fd srv(socket(AF_INET, SOCK_STREAM, 0));
    uint16_t port = BindEphemeral(srv.get());
    ASSERT_THAT(listen(srv.get(), 1), SyscallSucceeds());
    Fd cli(socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in to = Loopback(port);
    ASSERT_THAT(
        connect(cli.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)),
        SyscallSucceeds());
    Fd conn(accept(srv.get(), nullptr, nullptr));
    ASSERT_THAT(write(cli.get(), "unread", 6), SyscallSucceeds());
    // Wait until the data has arrived, then close with it unread: RST.
    struct pollfd p = {conn.get(), POLLIN, 0};
    ASSERT_THAT(poll(&p, 1, 30000), SyscallSucceedsWithValue(1));
    conn.reset();
    char buf[8];
    struct pollfd q = {cli.get(), POLLIN, 0};
    ASSERT_THAT(poll(&q, 1, 30000), SyscallSucceedsWithValue(1));
    EXPECT_THAT(read(cli.get(), buf, sizeof(buf)),
                SyscallFailsWithErrno(ECONNRESET));
  });
}

TEST_F(InetTest, UdpSendRecv) {
  Fd a(socket(AF_INET, SOCK_DGRAM, 0)), b(socket(AF_INET, SOCK_DGRAM, 0));
  uint16_t pa = BindEphemeral(a.get()), pb = BindEphemeral(b.get());
  ASSERT_NE(pa, 0);
  ASSERT_NE(pb, 0);
  sockaddr_in to = Loopback(pb);
  ASSERT_THAT(sendto(a.get(), "udp1", 4, 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof(to)),
              SyscallSucceedsWithValue(4));
  ASSERT_THAT(sendto(a.get(), "udp-22", 6, 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof(to)),
              SyscallSucceedsWithValue(6));
  char buf[16];
  sockaddr_in from = {};
  socklen_t flen = sizeof(from);
  ASSERT_THAT(recvfrom(b.get(), buf, sizeof(buf), 0,
                       reinterpret_cast<sockaddr*>(&from), &flen),
              SyscallSucceedsWithValue(4));
  EXPECT_EQ(ntohs(from.sin_port), pa);
  EXPECT_THAT(recv(b.get(), buf, sizeof(buf), 0), SyscallSucceedsWithValue(6));
  EXPECT_THAT(recv(b.get(), buf, sizeof(buf), MSG_DONTWAIT),
              SyscallFailsWithErrno(EAGAIN));
  // Connected UDP: send without an address, and ICMP refusal on a closed port.
  ASSERT_THAT(connect(a.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)),
              SyscallSucceeds());
  EXPECT_THAT(send(a.get(), "c", 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_THAT(recv(b.get(), buf, sizeof(buf), 0), SyscallSucceedsWithValue(1));
}

TEST_F(InetTest, UdpConnectedToClosedPortGetsEconnrefused) {
  Fd tmp(socket(AF_INET, SOCK_DGRAM, 0));
  uint16_t port = BindEphemeral(tmp.get());
  tmp.reset();  // Nobody there now.
  Fd a(socket(AF_INET, SOCK_DGRAM, 0));
  sockaddr_in to = Loopback(port);
  ASSERT_THAT(connect(a.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)),
              SyscallSucceeds());
  ASSERT_THAT(send(a.get(), "x", 1, 0), SyscallSucceeds());
  // The ICMP error arrives asynchronously: wait for POLLERR, then read it.
  struct pollfd p = {a.get(), POLLIN, 0};
  ASSERT_THAT(poll(&p, 1, 30000), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(p.revents & POLLERR);
  char buf[1];
  EXPECT_THAT(recv(a.get(), buf, 1, 0), SyscallFailsWithErrno(ECONNREFUSED));
}

TEST_F(InetTest, Ipv6LoopbackIfAvailable) {
  Fd srv(socket(AF_INET6, SOCK_STREAM, 0));
  if (!srv.valid()) GTEST_SKIP() << "no AF_INET6";
  sockaddr_in6 a = {};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  if (bind(srv.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    GTEST_SKIP() << "::1 not configured: " << strerror(errno);
  }
  socklen_t len = sizeof(a);
  ASSERT_THAT(getsockname(srv.get(), reinterpret_cast<sockaddr*>(&a), &len),
              SyscallSucceeds());
  ASSERT_THAT(listen(srv.get(), 1), SyscallSucceeds());
  Fd cli(socket(AF_INET6, SOCK_STREAM, 0));
  ASSERT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)),
              SyscallSucceeds());
  Fd conn(accept(srv.get(), nullptr, nullptr));
  ASSERT_TRUE(conn.valid());
  ASSERT_THAT(write(cli.get(), "6", 1), SyscallSucceeds());
  char c;
  EXPECT_THAT(read(conn.get(), &c, 1), SyscallSucceedsWithValue(1));
}

TEST_F(InetTest, SocketKindErrors) {
  EXPECT_THAT(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP),
              SyscallFailsWithErrno(EPROTONOSUPPORT));
  EXPECT_THAT(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP),
              SyscallFailsWithErrno(EPROTONOSUPPORT));
  EXPECT_THAT(socket(AF_MAX + 1, SOCK_STREAM, 0),
              SyscallFailsWithErrno(EAFNOSUPPORT));
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  int v = -1;
  socklen_t len = sizeof(v);
  ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_PROTOCOL, &v, &len),
              SyscallSucceeds());
  EXPECT_EQ(v, IPPROTO_UDP);
}

TEST_F(InetTest, TcpReuseAddrBindsShareAPortUntilListen) {
  int one = 1;
  Fd a(socket(AF_INET, SOCK_STREAM, 0)), b(socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_THAT(setsockopt(a.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
              SyscallSucceeds());
  ASSERT_THAT(setsockopt(b.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
              SyscallSucceeds());
  uint16_t port = BindEphemeral(a.get());
  ASSERT_NE(port, 0);
  sockaddr_in addr = Loopback(port);
  EXPECT_THAT(bind(b.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
              SyscallSucceeds());
}

TEST_F(InetTest, TcpAnyAddressPeekAndFionread) {
  Fd srv(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in any = {};
  any.sin_family = AF_INET;
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&any), sizeof(any)),
              SyscallSucceeds());
  socklen_t alen = sizeof(any);
  ASSERT_THAT(getsockname(srv.get(), reinterpret_cast<sockaddr*>(&any), &alen),
              SyscallSucceeds());
  ASSERT_THAT(listen(srv.get(), 1), SyscallSucceeds());
  Fd cli(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in to = Loopback(ntohs(any.sin_port));
  ASSERT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)),
              SyscallSucceeds());
  Fd conn(accept(srv.get(), nullptr, nullptr));
  ASSERT_TRUE(conn.valid());
  // The accepted socket's name is the address the client used.
  sockaddr_in local = {};
  socklen_t llen = sizeof(local);
  ASSERT_THAT(
      getsockname(conn.get(), reinterpret_cast<sockaddr*>(&local), &llen),
      SyscallSucceeds());
  EXPECT_EQ(local.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  EXPECT_EQ(local.sin_port, any.sin_port);
  ASSERT_THAT(write(cli.get(), "peekaboo", 8), SyscallSucceeds());
  char buf[8];
  // MSG_WAITALL: whatever the segmentation, all 8 bytes.
  EXPECT_THAT(recv(conn.get(), buf, 4, MSG_PEEK | MSG_WAITALL),
              SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "peek");
  int n = 0;
  ASSERT_THAT(ioctl(conn.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 8);
  EXPECT_THAT(recv(conn.get(), buf, 8, MSG_WAITALL),
              SyscallSucceedsWithValue(8));
  int v = 0;
  socklen_t len = sizeof(v);
  ASSERT_THAT(getsockopt(srv.get(), SOL_SOCKET, SO_ACCEPTCONN, &v, &len),
              SyscallSucceeds());
  EXPECT_EQ(v, 1);
}

TEST_F(InetTest, UnconnectedTcpSendIsEpipe) {
  EXPECT_CHILD_SUCCEEDS([] {
    signal(SIGPIPE, SIG_IGN);
    Fd s(socket(AF_INET, SOCK_STREAM, 0));
    EXPECT_THAT(send(s.get(), "x", 1, 0), SyscallFailsWithErrno(EPIPE));
    char c;
    EXPECT_THAT(recv(s.get(), &c, 1, 0), SyscallFailsWithErrno(ENOTCONN));
    EXPECT_THAT(shutdown(s.get(), SHUT_RDWR), SyscallFailsWithErrno(ENOTCONN));
  });
}

TEST_F(InetTest, UdpDualStackSeesV4MappedSender) {
  Fd v6(socket(AF_INET6, SOCK_DGRAM, 0));
  if (!v6.valid()) GTEST_SKIP() << "no AF_INET6";
  sockaddr_in6 any6 = {};
  any6.sin6_family = AF_INET6;
  any6.sin6_addr = in6addr_any;
  if (bind(v6.get(), reinterpret_cast<sockaddr*>(&any6), sizeof(any6)) != 0) {
    GTEST_SKIP() << "cannot bind [::]: " << strerror(errno);
  }
  socklen_t len = sizeof(any6);
  ASSERT_THAT(getsockname(v6.get(), reinterpret_cast<sockaddr*>(&any6), &len),
              SyscallSucceeds());
  Fd v4(socket(AF_INET, SOCK_DGRAM, 0));
  uint16_t p4 = BindEphemeral(v4.get());
  ASSERT_NE(p4, 0);
  sockaddr_in to = Loopback(ntohs(any6.sin6_port));
  ASSERT_THAT(sendto(v4.get(), "46", 2, 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof(to)),
              SyscallSucceeds());
  char buf[4];
  sockaddr_in6 from = {};
  socklen_t flen = sizeof(from);
  ASSERT_THAT(recvfrom(v6.get(), buf, sizeof(buf), 0,
                       reinterpret_cast<sockaddr*>(&from), &flen),
              SyscallSucceedsWithValue(2));
  EXPECT_EQ(flen, sizeof(sockaddr_in6));
  EXPECT_EQ(from.sin6_family, AF_INET6);
  EXPECT_TRUE(IN6_IS_ADDR_V4MAPPED(&from.sin6_addr));
  EXPECT_EQ(ntohs(from.sin6_port), p4);
}

TEST_F(InetTest, LoopbackInterfaceIoctls) {
  Fd s(socket(AF_INET, SOCK_DGRAM, 0));
  ifreq r = {};
  strcpy(r.ifr_name, "lo");
  ASSERT_THAT(ioctl(s.get(), SIOCGIFFLAGS, &r), SyscallSucceeds());
  EXPECT_TRUE(r.ifr_flags & IFF_UP);
  EXPECT_TRUE(r.ifr_flags & IFF_LOOPBACK);
  ASSERT_THAT(ioctl(s.get(), SIOCGIFINDEX, &r), SyscallSucceeds());
  const int index = r.ifr_ifindex;
  EXPECT_GT(index, 0);
  memset(r.ifr_name, 0, sizeof(r.ifr_name));
  r.ifr_ifindex = index;
  ASSERT_THAT(ioctl(s.get(), SIOCGIFNAME, &r), SyscallSucceeds());
  EXPECT_STREQ(r.ifr_name, "lo");
  strcpy(r.ifr_name, "nosuchif0");
  EXPECT_THAT(ioctl(s.get(), SIOCGIFINDEX, &r), SyscallFailsWithErrno(ENODEV));
}

}  // namespace
}  // namespace syscall_test
