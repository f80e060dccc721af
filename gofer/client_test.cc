// The client against a misbehaving peer: every bad reply is EIO, never a
// crash or a wrong result.
#include "gofer/client.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <functional>
#include <memory>
#include <thread>

#include "base/errors.h"
#include "gofer/proto/gofer.pb.h"
#include "gofer/wire.h"
#include "gtest/gtest.h"

namespace gofer {
namespace {

namespace pb = ::runsc::gofer;

// Answers the first request with whatever `reply` makes of its header.
class FakePeer {
 public:
  using ReplyFn = std::function<void(int sock, const MessageHeader& req)>;
  explicit FakePeer(ReplyFn reply) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    client_ = std::make_unique<Client>(base::UniqueFd(sv[0]));
    thread_ = std::thread([fd = sv[1], reply] {
      base::UniqueFd sock(fd);
      auto buf = std::make_unique_for_overwrite<char[]>(kMaxMessageSize);
      auto n = RecvDatagram(sock.get(), buf.get(), kMaxMessageSize, nullptr);
      if (!n.ok() || *n == 0) return;
      MessageHeader h;
      absl::string_view body;
      if (!DecodeHeader(absl::string_view(buf.get(), *n), &h, &body)) return;
      reply(sock.get(), h);
    });
  }
  ~FakePeer() {
    client_.reset();
    thread_.join();
  }
  Client& client() { return *client_; }

 private:
  std::unique_ptr<Client> client_;
  std::thread thread_;
};

int Err(const absl::Status& s) { return base::ErrnoFromStatus(s); }

TEST(ClientTest, ReplyWithAnotherIdIsEio) {
  FakePeer peer([](int sock, const MessageHeader& h) {
    (void)SendDatagram(sock, EncodeMessage({h.id + 5, h.type, 0}, ""));
  });
  EXPECT_EQ(Err(peer.client().GetStat(1).status()), EIO);
}

TEST(ClientTest, ReplyOfAnotherTypeIsEio) {
  FakePeer peer([](int sock, const MessageHeader& h) {
    (void)SendDatagram(sock, EncodeMessage({h.id, h.type + 1, 0}, ""));
  });
  EXPECT_EQ(Err(peer.client().GetStat(1).status()), EIO);
}

TEST(ClientTest, GarbageBodyIsEio) {
  FakePeer peer([](int sock, const MessageHeader& h) {
    (void)SendDatagram(sock,
                       EncodeMessage({h.id, h.type, 0}, "\xff\xff\xff\xff"));
  });
  EXPECT_EQ(Err(peer.client().GetStat(1).status()), EIO);
}

TEST(ClientTest, ErrnoOutOfRangeIsEio) {
  FakePeer peer([](int sock, const MessageHeader& h) {
    (void)SendDatagram(sock, EncodeMessage({h.id, h.type, 100000}, ""));
  });
  EXPECT_EQ(Err(peer.client().GetStat(1).status()), EIO);
}

TEST(ClientTest, ErrnoIsPassedThrough) {
  FakePeer peer([](int sock, const MessageHeader& h) {
    (void)SendDatagram(sock, EncodeMessage({h.id, h.type, EACCES}, ""));
  });
  EXPECT_EQ(Err(peer.client().GetStat(1).status()), EACCES);
}

TEST(ClientTest, ClosedPeerIsEio) {
  FakePeer peer([](int, const MessageHeader&) {});
  EXPECT_EQ(Err(peer.client().GetStat(1).status()), EIO);
  EXPECT_EQ(Err(peer.client().GetStat(1).status()), EIO);
}

TEST(ClientTest, OpenReplyWithoutDescriptorIsEio) {
  FakePeer peer([](int sock, const MessageHeader& h) {
    pb::OpenResponse r;
    r.set_has_fd(true);
    (void)SendDatagram(sock,
                       EncodeMessage({h.id, h.type, 0}, r.SerializeAsString()));
  });
  EXPECT_EQ(Err(peer.client().Open(1, O_RDONLY).status()), EIO);
}

int CountFds() {
  int n = 0;
  for (int fd = 0; fd < 1024; ++fd) n += fcntl(fd, F_GETFD) >= 0;
  return n;
}

TEST(ClientTest, UnexpectedDescriptorIsClosedNotLeaked) {
  int before = CountFds();
  {
    FakePeer peer([](int sock, const MessageHeader& h) {
      int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      pb::StatResponse r;
      (void)SendDatagram(
          sock, EncodeMessage({h.id, h.type, 0}, r.SerializeAsString()), fd);
      close(fd);
    });
    EXPECT_TRUE(peer.client().GetStat(1).ok());
  }
  EXPECT_EQ(CountFds(), before);
}

TEST(ClientTest, OversizedRequestIsRefusedLocally) {
  FakePeer peer([](int, const MessageHeader&) {});
  std::string huge(kMaxMessageSize, 'v');
  EXPECT_EQ(Err(peer.client().SetXattr(1, "user.x", huge)), ENAMETOOLONG);
}

}  // namespace
}  // namespace gofer
