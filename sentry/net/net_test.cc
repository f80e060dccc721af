#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/un.h>

#include <cstring>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sentry/net/socket.h"

namespace sentry::net {
namespace {

using EpRef = std::shared_ptr<Endpoint>;

Cred TestCred() { return Cred{42, 1000, 1000}; }

// A test's reference to an endpoint, held as a socket file holds one: when
// the last copy goes, the endpoint is released (Socket's destructor), which
// breaks the peer <-> peer references of a connection.
EpRef Own(EpRef ep) {
  Endpoint* raw = ep.get();
  return EpRef(raw, [ep = std::move(ep)](Endpoint* e) mutable {
    e->Release();
    ep.reset();
  });
}

// An endpoint as the stack sees it (what Pair and Bind keep references to).
EpRef NewEndpoint(Stack& s, int family, int type) {
  auto k = CheckSocketKind(family, type, 0);
  EXPECT_TRUE(k.ok());
  return std::make_shared<Endpoint>(&s, k->family, k->type, k->protocol);
}

EpRef New(Stack& s, int family, int type) {
  return Own(NewEndpoint(s, family, type));
}

ErrnoOr<size_t> SendStr(Endpoint& ep, const std::string& s,
                        const Address* to = nullptr, int flags = 0) {
  vfs::SpanSrc src(s.data(), s.size());
  SendArgs a;
  a.data = &src;
  a.to = to;
  a.flags = flags;
  a.sender = TestCred();
  a.wait.nonblock = true;
  return ep.Send(a);
}

struct Got {
  Errno err{0};
  std::string data;
  RecvResult res;
};

Got RecvStr(Endpoint& ep, size_t n, int flags = 0, bool nonblock = true) {
  std::string buf(n, '\0');
  vfs::SpanDst dst(buf.data(), buf.size());
  RecvArgs a;
  a.data = &dst;
  a.flags = flags;
  a.wait.nonblock = nonblock;
  Got g;
  auto r = ep.Recv(a);
  if (!r.ok()) {
    g.err = r.error();
    return g;
  }
  g.data = buf.substr(0, std::min(n, r->length));
  g.res = std::move(*r);
  return g;
}

std::pair<EpRef, EpRef> MakePair(Stack& s, int type) {
  auto a = NewEndpoint(s, AF_UNIX, type);
  auto b = NewEndpoint(s, AF_UNIX, type);
  Endpoint::Pair(a, b, TestCred());
  return {Own(a), Own(b)};
}

TEST(AddressTest, UnixDecodeAndEncode) {
  sockaddr_un sun = {};
  sun.sun_family = AF_UNIX;
  std::strcpy(sun.sun_path, "/tmp/sock");
  auto raw = std::span<const std::byte>(reinterpret_cast<std::byte*>(&sun),
                                        offsetof(sockaddr_un, sun_path) + 12);
  auto a = DecodeAddress(AF_UNIX, raw, false);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->unix_name, "/tmp/sock");
  EXPECT_TRUE(a->unix_path());
  // Path names count their NUL.
  EXPECT_EQ(EncodeAddress(AF_UNIX, *a).size(),
            offsetof(sockaddr_un, sun_path) + 10);
  // Too long, wrong family, autobind only where allowed.
  auto big = std::vector<std::byte>(sizeof(sockaddr_un) + 1);
  std::memcpy(big.data(), &sun, sizeof(sun));
  EXPECT_EQ(DecodeAddress(AF_UNIX, big, false).error(), Errno{EINVAL});
  auto fam_only = raw.subspan(0, sizeof(sa_family_t));
  EXPECT_EQ(DecodeAddress(AF_UNIX, fam_only, false).error(), Errno{EINVAL});
  ASSERT_TRUE(DecodeAddress(AF_UNIX, fam_only, true).ok());
  // Abstract: every byte counts.
  Address abs = UnixAddress(std::string("\0ab\0", 4));
  EXPECT_TRUE(abs.unix_abstract());
  EXPECT_EQ(EncodeAddress(AF_UNIX, abs).size(),
            offsetof(sockaddr_un, sun_path) + 4);
}

TEST(AddressTest, Inet) {
  sockaddr_in in = {};
  in.sin_family = AF_INET;
  in.sin_port = htons(80);
  in.sin_addr.s_addr = htonl(0x7f000002);
  auto raw =
      std::span<const std::byte>(reinterpret_cast<std::byte*>(&in), sizeof(in));
  auto a = DecodeAddress(AF_INET, raw, false);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->is_loopback());
  EXPECT_EQ(a->port, 80);
  EXPECT_EQ(a->ToString(), "127.0.0.2:80");
  EXPECT_EQ(DecodeAddress(AF_INET, raw.subspan(0, 8), false).error(),
            Errno{EINVAL});
  EXPECT_FALSE(Ipv4(0x08080808, 1).is_loopback());
  EXPECT_TRUE(Ipv4(0, 1).is_any());
  EXPECT_TRUE(Ipv6Loopback(1).is_loopback());
  auto enc = EncodeAddress(AF_INET, *a);
  ASSERT_EQ(enc.size(), sizeof(sockaddr_in));
  EXPECT_EQ(std::memcmp(enc.data(), &in, sizeof(in)), 0);
}

TEST(SocketKindTest, LinuxErrors) {
  EXPECT_EQ(CheckSocketKind(AF_UNIX, 42, 0).error(), Errno{EINVAL});
  EXPECT_EQ(CheckSocketKind(AF_UNIX, SOCK_STREAM, 7).error(),
            Errno{EPROTONOSUPPORT});
  EXPECT_EQ(CheckSocketKind(AF_NETLINK, SOCK_RAW, 0).error(),
            Errno{EAFNOSUPPORT});
  EXPECT_EQ(CheckSocketKind(AF_INET, SOCK_RAW, IPPROTO_ICMP).error(),
            Errno{EPERM});
  EXPECT_EQ(CheckSocketKind(AF_INET, SOCK_SEQPACKET, 0).error(),
            Errno{ESOCKTNOSUPPORT});
  EXPECT_EQ(CheckSocketKind(AF_INET, SOCK_STREAM, IPPROTO_UDP).error(),
            Errno{EPROTONOSUPPORT});
  EXPECT_EQ(CheckSocketKind(AF_INET6, SOCK_DGRAM, 0)->protocol, IPPROTO_UDP);
}

TEST(UnixTest, StreamPairDataPeekShutdown) {
  Stack s;
  auto [a, b] = MakePair(s, SOCK_STREAM);
  ASSERT_EQ(*SendStr(*a, "hello"), 5u);
  ASSERT_EQ(*SendStr(*a, "world"), 5u);
  EXPECT_EQ(*b->InQueue(), 10);
  EXPECT_EQ(a->OutQueue(), 10);
  EXPECT_EQ(RecvStr(*b, 3, MSG_PEEK).data, "hel");
  EXPECT_EQ(RecvStr(*b, 7).data, "hellowo");
  EXPECT_EQ(RecvStr(*b, 10).data, "rld");
  EXPECT_EQ(RecvStr(*b, 10).err, Errno{EAGAIN});
  ASSERT_TRUE(a->Shutdown(SHUT_WR).ok());
  EXPECT_EQ(RecvStr(*b, 10).data, "");  // EOF
  EXPECT_EQ(RecvStr(*b, 10).err, Errno{0});
  EXPECT_EQ(SendStr(*a, "x").error(), Errno{EPIPE});
  EXPECT_TRUE(b->Readiness(POLLIN | POLLRDHUP) & POLLRDHUP);
  EXPECT_EQ(a->Shutdown(42).error(), Errno{EINVAL});
  // Closing a with data unread by a resets b's side.
  ASSERT_EQ(*SendStr(*b, "unread"), 6u);
  a->Release();
  EXPECT_EQ(RecvStr(*b, 4).err, Errno{ECONNRESET});
  EXPECT_EQ(SendStr(*b, "x").error(), Errno{EPIPE});
  EXPECT_TRUE(b->Readiness(0) & POLLHUP);
}

TEST(UnixTest, DatagramBoundariesAndTrunc) {
  Stack s;
  for (int type : {SOCK_DGRAM, SOCK_SEQPACKET}) {
    auto [a, b] = MakePair(s, type);
    ASSERT_TRUE(SendStr(*a, "one").ok());
    ASSERT_TRUE(SendStr(*a, "longer message").ok());
    ASSERT_TRUE(SendStr(*a, "").ok());
    EXPECT_EQ(RecvStr(*b, 16).data, "one");
    Got g = RecvStr(*b, 4, MSG_TRUNC);
    EXPECT_EQ(g.data, "long");
    EXPECT_EQ(g.res.length, 14u);
    EXPECT_TRUE(g.res.msg_flags & MSG_TRUNC);
    g = RecvStr(*b, 4);
    EXPECT_EQ(g.err, Errno{0});
    EXPECT_EQ(g.res.length, 0u);
    EXPECT_EQ(RecvStr(*b, 4).err, Errno{EAGAIN});
  }
}

TEST(UnixTest, ListenConnectAcceptAbstract) {
  Stack s;
  auto srv = New(s, AF_UNIX, SOCK_STREAM);
  Address name = UnixAddress(std::string("\0test", 5));
  bool inprog = false;
  auto cli = New(s, AF_UNIX, SOCK_STREAM);
  EXPECT_EQ(cli->Connect(name, TestCred(), {true, nullptr}, &inprog).error(),
            Errno{ECONNREFUSED});
  ASSERT_TRUE(srv->Bind(name).ok());
  EXPECT_EQ(New(s, AF_UNIX, SOCK_STREAM)->Bind(name).error(),
            Errno{EADDRINUSE});
  EXPECT_EQ(cli->Connect(name, TestCred(), {true, nullptr}, &inprog).error(),
            Errno{ECONNREFUSED});  // bound, not listening
  ASSERT_TRUE(srv->Listen(1, Cred{7, 0, 0}).ok());
  EXPECT_EQ(srv->Accept({true, nullptr}).error(), Errno{EAGAIN});
  EXPECT_FALSE(srv->Readiness(POLLIN) & POLLIN);
  ASSERT_TRUE(cli->Connect(name, TestCred(), {true, nullptr}, &inprog).ok());
  EXPECT_FALSE(inprog);
  EXPECT_TRUE(srv->Readiness(POLLIN) & POLLIN);
  EXPECT_EQ(cli->Connect(name, TestCred(), {true, nullptr}, &inprog).error(),
            Errno{EISCONN});
  auto conn = srv->Accept({true, nullptr});
  ASSERT_TRUE(conn.ok());
  *conn = Own(*conn);  // as accept(2)'s new socket file holds it
  ASSERT_TRUE(SendStr(*cli, "ping").ok());
  EXPECT_EQ(RecvStr(**conn, 8).data, "ping");
  EXPECT_EQ((*conn)->LocalAddress()->unix_name, name.unix_name);
  EXPECT_EQ(cli->PeerAddress()->unix_name, name.unix_name);
  EXPECT_TRUE((*conn)->PeerAddress()->unix_name.empty());
  std::vector<std::byte> cred;
  ASSERT_TRUE(cli->GetOption(SOL_SOCKET, SO_PEERCRED, &cred).ok());
  ucred u;
  std::memcpy(&u, cred.data(), sizeof(u));
  EXPECT_EQ(u.pid, 7);
  ASSERT_TRUE((*conn)->GetOption(SOL_SOCKET, SO_PEERCRED, &cred).ok());
  std::memcpy(&u, cred.data(), sizeof(u));
  EXPECT_EQ(u.pid, 42);
  EXPECT_EQ(u.uid, 1000u);
  // Wrong type.
  auto seq = New(s, AF_UNIX, SOCK_SEQPACKET);
  EXPECT_EQ(seq->Connect(name, TestCred(), {true, nullptr}, &inprog).error(),
            Errno{EPROTOTYPE});
  // Releasing the listener frees the name.
  srv->Release();
  EXPECT_TRUE(New(s, AF_UNIX, SOCK_STREAM)->Bind(name).ok());
}

TEST(UnixTest, PathNamesUseInodeKeys) {
  Stack s;
  auto srv = New(s, AF_UNIX, SOCK_DGRAM);
  Address p = UnixAddress("/tmp/x");
  p.key = {5, 77};
  ASSERT_TRUE(srv->Bind(p).ok());
  auto cli = New(s, AF_UNIX, SOCK_DGRAM);
  Address other = p;
  other.key = {5, 78};
  EXPECT_EQ(SendStr(*cli, "x", &other).error(), Errno{ECONNREFUSED});
  ASSERT_TRUE(SendStr(*cli, "x", &p).ok());
  Got g = RecvStr(*srv, 4);
  EXPECT_EQ(g.data, "x");
  EXPECT_TRUE(g.res.from.unix_name.empty());  // unbound sender
  EXPECT_EQ(SendStr(*cli, "x").error(), Errno{ENOTCONN});
  // Autobind.
  ASSERT_TRUE(cli->Bind(UnixAddress("")).ok());
  auto name = cli->LocalAddress();
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->unix_name.size(), 6u);
  EXPECT_TRUE(name->unix_abstract());
}

TEST(UnixTest, RightsTravelWithData) {
  Stack s;
  auto [a, b] = MakePair(s, SOCK_STREAM);
  auto passed = NewSocketFile(
      nullptr,
      std::make_unique<Socket>(New(s, AF_UNIX, SOCK_DGRAM), TestCred()), 0, 0,
      0);
  ASSERT_TRUE(SendStr(*a, "ab").ok());
  {
    std::string d = "D";
    vfs::SpanSrc src(d.data(), 1);
    SendArgs args;
    args.data = &src;
    args.rights.push_back(passed);
    args.wait.nonblock = true;
    ASSERT_TRUE(a->Send(args).ok());
  }
  EXPECT_EQ(passed.use_count(), 2);
  // A read stops before the message that carries files...
  Got g = RecvStr(*b, 10);
  EXPECT_EQ(g.data, "ab");
  EXPECT_TRUE(g.res.rights.empty());
  // ...and after it.
  ASSERT_TRUE(SendStr(*a, "more").ok());
  g = RecvStr(*b, 10);
  EXPECT_EQ(g.data, "D");
  ASSERT_EQ(g.res.rights.size(), 1u);
  EXPECT_EQ(g.res.rights[0], passed);
  EXPECT_EQ(RecvStr(*b, 10).data, "more");
  // Released sockets drop the files queued to them.
  g.res.rights.clear();
  {
    std::string d = "E";
    vfs::SpanSrc src(d.data(), 1);
    SendArgs args;
    args.data = &src;
    args.rights.push_back(passed);
    args.wait.nonblock = true;
    ASSERT_TRUE(a->Send(args).ok());
  }
  EXPECT_EQ(passed.use_count(), 2);
  b->Release();
  EXPECT_EQ(passed.use_count(), 1);
}

TEST(UnixTest, PassCred) {
  Stack s;
  auto [a, b] = MakePair(s, SOCK_DGRAM);
  int one = 1;
  ASSERT_TRUE(b->SetOption(SOL_SOCKET, SO_PASSCRED,
                           std::span<const std::byte>(
                               reinterpret_cast<std::byte*>(&one), 4))
                  .ok());
  ASSERT_TRUE(SendStr(*a, "c").ok());
  Got g = RecvStr(*b, 4);
  ASSERT_TRUE(g.res.cred.has_value());
  EXPECT_EQ(g.res.cred->pid, 42);
  // A SO_PASSCRED sender is autobound on its first send.
  EXPECT_TRUE(g.res.from.unix_name.empty());
  ASSERT_TRUE(SendStr(*b, "d").ok());
  g = RecvStr(*a, 4);
  EXPECT_TRUE(g.res.from.unix_abstract());
}

TEST(UnixTest, BlockingReadWokenByWriter) {
  Stack s;
  auto [a, b] = MakePair(s, SOCK_STREAM);
  std::thread writer([a = a] {
    // A megabyte: more than the receive buffer, so the writer blocks too.
    std::string big(1 << 20, 'x');
    vfs::SpanSrc src(big.data(), big.size());
    SendArgs args;
    args.data = &src;
    EXPECT_EQ(*a->Send(args), big.size());
    ASSERT_TRUE(a->Shutdown(SHUT_WR).ok());
  });
  size_t total = 0;
  for (;;) {
    Got g = RecvStr(*b, 65536, 0, /*nonblock=*/false);
    ASSERT_EQ(g.err, Errno{0});
    if (g.res.length == 0) break;
    total += g.res.length;
  }
  writer.join();
  EXPECT_EQ(total, 1u << 20);
}

TEST(UnixTest, InterruptedWaitReturnsEintr) {
  Stack s;
  auto [a, b] = MakePair(s, SOCK_STREAM);
  vfs::Waiter w;
  std::thread t([&] { w.Interrupt(); });
  t.join();
  std::string buf(4, '\0');
  vfs::SpanDst dst(buf.data(), buf.size());
  RecvArgs args;
  args.data = &dst;
  args.wait.waiter = &w;
  EXPECT_EQ(b->Recv(args).error(), Errno{EINTR});
}

class Recorder : public vfs::EventListener {
 public:
  void OnEvents(uint32_t e) override { events |= e; }
  uint32_t events = 0;
};

TEST(UnixTest, EventsNotifyReaderAndWriter) {
  Stack s;
  auto [a, b] = MakePair(s, SOCK_STREAM);
  Recorder rb, ra;
  vfs::EventRegistration regb(&b->events(), &rb, POLLIN);
  vfs::EventRegistration rega(&a->events(), &ra, POLLOUT);
  ASSERT_TRUE(SendStr(*a, "x").ok());
  EXPECT_TRUE(rb.events & POLLIN);
  ra.events = 0;
  EXPECT_EQ(RecvStr(*b, 1).data, "x");
  EXPECT_TRUE(ra.events & POLLOUT);
}

TEST(InetTest, TcpLoopback) {
  Stack s;
  auto srv = New(s, AF_INET, SOCK_STREAM);
  ASSERT_TRUE(srv->Bind(Ipv4(INADDR_LOOPBACK, 0)).ok());
  const uint16_t port = srv->LocalAddress()->port;
  EXPECT_GE(port, kEphemeralFirst);
  auto cli = New(s, AF_INET, SOCK_STREAM);
  bool inprog = false;
  EXPECT_EQ(cli->Connect(Ipv4(INADDR_LOOPBACK, port), TestCred(),
                         {false, nullptr}, &inprog)
                .error(),
            Errno{ECONNREFUSED});
  ASSERT_TRUE(srv->Listen(4, TestCred()).ok());
  auto other = New(s, AF_INET, SOCK_STREAM);
  EXPECT_EQ(other->Bind(Ipv4(INADDR_ANY, port)).error(), Errno{EADDRINUSE});
  EXPECT_EQ(other->Bind(Ipv4(0x0a000001, 0)).error(), Errno{EADDRNOTAVAIL});
  EXPECT_EQ(
      cli->Connect(Ipv4(0x08080808, 53), TestCred(), {false, nullptr}, &inprog)
          .error(),
      Errno{ENETUNREACH});
  ASSERT_TRUE(cli->Connect(Ipv4(INADDR_LOOPBACK, port), TestCred(),
                           {true, nullptr}, &inprog)
                  .ok());
  EXPECT_TRUE(inprog);  // non-blocking TCP: EINPROGRESS, as Linux
  auto conn = srv->Accept({true, nullptr});
  ASSERT_TRUE(conn.ok());
  *conn = Own(*conn);  // as accept(2)'s new socket file holds it
  EXPECT_EQ((*conn)->PeerAddress()->port, cli->LocalAddress()->port);
  EXPECT_EQ(cli->LocalAddress()->ToString().substr(0, 10), "127.0.0.1:");
  ASSERT_TRUE(SendStr(*cli, "tcp").ok());
  EXPECT_EQ(RecvStr(**conn, 8).data, "tcp");
  // MSG_TRUNC on TCP discards what it counts.
  ASSERT_TRUE(SendStr(*cli, "drop").ok());
  Got d = RecvStr(**conn, 2, MSG_TRUNC);
  EXPECT_EQ(d.res.length, 2u);
  EXPECT_EQ(d.data, std::string(2, '\0'));
  EXPECT_EQ(RecvStr(**conn, 8).data, "op");
  // Closing with unread data resets the peer.
  ASSERT_TRUE(SendStr(*cli, "unread").ok());
  (*conn)->Release();
  EXPECT_EQ(RecvStr(*cli, 4).err, Errno{ECONNRESET});
  // The listener's port is free again once it is released.
  srv->Release();
  EXPECT_TRUE(New(s, AF_INET, SOCK_STREAM)->Bind(Ipv4(INADDR_ANY, port)).ok());
}

TEST(InetTest, ReuseAddr) {
  Stack s;
  int one = 1;
  auto opt = std::span<const std::byte>(reinterpret_cast<std::byte*>(&one), 4);
  auto a = New(s, AF_INET, SOCK_STREAM);
  auto b = New(s, AF_INET, SOCK_STREAM);
  ASSERT_TRUE(a->SetOption(SOL_SOCKET, SO_REUSEADDR, opt).ok());
  ASSERT_TRUE(b->SetOption(SOL_SOCKET, SO_REUSEADDR, opt).ok());
  EXPECT_EQ(a->SetOption(SOL_SOCKET, SO_REUSEADDR, opt.subspan(0, 1)).error(),
            Errno{EINVAL});
  ASSERT_TRUE(a->Bind(Ipv4(INADDR_LOOPBACK, 0)).ok());
  const uint16_t port = a->LocalAddress()->port;
  EXPECT_TRUE(b->Bind(Ipv4(INADDR_LOOPBACK, port)).ok());
}

TEST(InetTest, UdpAndIcmpRefusal) {
  Stack s;
  auto a = New(s, AF_INET, SOCK_DGRAM);
  auto b = New(s, AF_INET6, SOCK_DGRAM);
  ASSERT_TRUE(b->Bind(InetAddress(AF_INET6, {}, 0)).ok());  // [::]
  const uint16_t pb = b->LocalAddress()->port;
  Address to = Ipv4(INADDR_LOOPBACK, pb);
  ASSERT_EQ(*SendStr(*a, "udp", &to), 3u);
  Got g = RecvStr(*b, 8);
  EXPECT_EQ(g.data, "udp");
  // A v4 sender reaches a dual-stack socket as a v4-mapped address.
  EXPECT_EQ(g.res.from.family, AF_INET6);
  EXPECT_TRUE(g.res.from.is_v4_mapped());
  EXPECT_EQ(g.res.from.port, a->LocalAddress()->port);
  EXPECT_EQ(SendStr(*a, "x").error(), Errno{EDESTADDRREQ});
  // Connected to a port nobody has: the next receive reports the refusal.
  auto c = New(s, AF_INET, SOCK_DGRAM);
  bool inprog;
  ASSERT_TRUE(
      c->Connect(Ipv4(INADDR_LOOPBACK, 9), TestCred(), {}, &inprog).ok());
  ASSERT_TRUE(SendStr(*c, "x").ok());
  EXPECT_TRUE(c->Readiness(POLLIN) & POLLERR);
  EXPECT_EQ(RecvStr(*c, 1).err, Errno{ECONNREFUSED});
  EXPECT_EQ(RecvStr(*c, 1).err, Errno{EAGAIN});
}

TEST(OptionsTest, SocketLevel) {
  Stack s;
  auto t = New(s, AF_INET, SOCK_STREAM);
  std::vector<std::byte> out;
  auto get_int = [&](Endpoint& ep, int level, int name) {
    EXPECT_TRUE(ep.GetOption(level, name, &out).ok());
    int v;
    std::memcpy(&v, out.data(), sizeof(v));
    return v;
  };
  EXPECT_EQ(get_int(*t, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  EXPECT_EQ(get_int(*t, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
  EXPECT_EQ(get_int(*t, SOL_SOCKET, SO_DOMAIN), AF_INET);
  int v = 10000;
  auto opt = std::span<const std::byte>(reinterpret_cast<std::byte*>(&v), 4);
  ASSERT_TRUE(t->SetOption(SOL_SOCKET, SO_RCVBUF, opt).ok());
  EXPECT_EQ(get_int(*t, SOL_SOCKET, SO_RCVBUF), 20000);
  ASSERT_TRUE(t->SetOption(IPPROTO_TCP, TCP_NODELAY, opt).ok());
  EXPECT_EQ(get_int(*t, IPPROTO_TCP, TCP_NODELAY), 1);
  EXPECT_EQ(get_int(*t, IPPROTO_IP, IP_TTL), 64);
  EXPECT_EQ(t->SetOption(SOL_SOCKET, 9999, opt).error(), Errno{ENOPROTOOPT});
  auto u = New(s, AF_UNIX, SOCK_STREAM);
  EXPECT_EQ(u->SetOption(IPPROTO_TCP, TCP_NODELAY, opt).error(),
            Errno{EOPNOTSUPP});
  timeval tv = {0, 2000000};
  EXPECT_EQ(u->SetOption(SOL_SOCKET, SO_RCVTIMEO,
                         std::span<const std::byte>(
                             reinterpret_cast<std::byte*>(&tv), sizeof(tv)))
                .error(),
            Errno{EDOM});
}

}  // namespace
}  // namespace sentry::net
