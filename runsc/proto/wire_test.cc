#include "runsc/proto/wire.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/proto/control.pb.h"

namespace runsc::control {
namespace {

struct Pair {
  base::UniqueFd a, b;
};

Pair MakePair() {
  int sv[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  return {base::UniqueFd(sv[0]), base::UniqueFd(sv[1])};
}

absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

TEST(WireTest, FrameRoundTripWithDescriptors) {
  Pair p = MakePair();
  int pipefd[2];
  ASSERT_EQ(::pipe2(pipefd, O_CLOEXEC), 0);
  base::UniqueFd r(pipefd[0]), w(pipefd[1]);
  int fds[] = {r.get(), w.get()};
  ASSERT_TRUE(SendFrame(p.a.get(), "hello", fds, Soon()).ok());
  absl::StatusOr<Frame> f = RecvFrame(p.b.get(), Soon());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->body, "hello");
  ASSERT_EQ(f->fds.size(), 2u);
  // The received write end feeds the original read end.
  ASSERT_EQ(::write(f->fds[1].get(), "x", 1), 1);
  char c = 0;
  ASSERT_EQ(::read(r.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
  EXPECT_EQ(::fcntl(f->fds[0].get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

TEST(WireTest, EmptyBody) {
  Pair p = MakePair();
  ASSERT_TRUE(SendFrame(p.a.get(), "", {}, Soon()).ok());
  absl::StatusOr<Frame> f = RecvFrame(p.b.get(), Soon());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->body, "");
}

TEST(WireTest, LargeFrameCrossesSocketBuffer) {
  Pair p = MakePair();
  std::string big(kMaxFrameSize, 'z');
  absl::Status send_status;
  // The peer must read concurrently for a frame bigger than the buffer.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    p.b.reset();
    _exit(SendFrame(p.a.get(), big, {}, Soon()).ok() ? 0 : 1);
  }
  p.a.reset();
  absl::StatusOr<Frame> f = RecvFrame(p.b.get(), Soon());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->body.size(), big.size());
  int ws;
  ASSERT_EQ(waitpid(child, &ws, 0), child);
  EXPECT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

TEST(WireTest, OversizedSendRefused) {
  Pair p = MakePair();
  std::string big(kMaxFrameSize + 1, 'z');
  absl::Status s = SendFrame(p.a.get(), big, {}, Soon());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST(WireTest, OversizedLengthPrefixRejected) {
  Pair p = MakePair();
  const unsigned char hdr[] = {0xff, 0xff, 0xff, 0x7f};
  ASSERT_EQ(::write(p.a.get(), hdr, 4), 4);
  absl::StatusOr<Frame> f = RecvFrame(p.b.get(), Soon());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(f.status().message()), testing::HasSubstr("limit"));
}

TEST(WireTest, TooManyDescriptorsRejected) {
  Pair p = MakePair();
  std::vector<int> fds(kMaxFds + 1, p.a.get());
  EXPECT_EQ(SendFrame(p.a.get(), "x", fds, Soon()).code(),
            absl::StatusCode::kInvalidArgument);
  // Raw sendmsg with too many rights: the receiver reports, closes, survives.
  char byte[4] = {1, 0, 0, 0};
  struct iovec iov = {byte, 4};
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * 20)] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof(cbuf);
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * 20);
  for (int i = 0; i < 20; ++i) {
    int fd = p.a.get();
    memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
  }
  ASSERT_EQ(::sendmsg(p.a.get(), &msg, 0), 4);
  absl::StatusOr<Frame> f = RecvFrame(p.b.get(), Soon());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WireTest, TruncatedFrameIsUnavailable) {
  Pair p = MakePair();
  const char hdr[] = {10, 0, 0, 0, 'a', 'b'};
  ASSERT_EQ(::write(p.a.get(), hdr, sizeof(hdr)), 6);
  p.a.reset();
  absl::StatusOr<Frame> f = RecvFrame(p.b.get(), Soon());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kUnavailable);
}

TEST(WireTest, ClosedPeerIsUnavailable) {
  Pair p = MakePair();
  p.a.reset();
  EXPECT_EQ(RecvFrame(p.b.get(), Soon()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(SendFrame(p.b.get(), "x", {}, Soon()).code(),
            absl::StatusCode::kUnavailable);
}

TEST(WireTest, DeadlineExceeded) {
  Pair p = MakePair();
  absl::StatusOr<Frame> f =
      RecvFrame(p.b.get(), absl::Now() + absl::Milliseconds(20));
  EXPECT_EQ(f.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(WireTest, MalformedMessageRejected) {
  Pair p = MakePair();
  ASSERT_TRUE(SendFrame(p.a.get(), "\xff\xff\xff", {}, Soon()).ok());
  Request req;
  absl::Status s = RecvMessage(p.b.get(), &req, nullptr, Soon());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST(WireTest, MessageRoundTrip) {
  Pair p = MakePair();
  Request req;
  req.mutable_signal()->set_container_id("c1");
  req.mutable_signal()->set_signo(9);
  ASSERT_TRUE(SendMessage(p.a.get(), req, {}, Soon()).ok());
  Request got;
  ASSERT_TRUE(RecvMessage(p.b.get(), &got, nullptr, Soon()).ok());
  EXPECT_EQ(got.signal().container_id(), "c1");
  EXPECT_EQ(got.signal().signo(), 9);
}

TEST(WireTest, LongSocketPathWorks) {
  char tmpl[] = "/tmp/wire_test_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = std::string(tmpl) + "/" + std::string(150, 'd');
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  std::string path = dir + "/control.sock";
  absl::StatusOr<base::UniqueFd> l = ListenUnix(path);
  ASSERT_TRUE(l.ok()) << l.status();
  absl::StatusOr<base::UniqueFd> c = ConnectUnix(path, Soon());
  ASSERT_TRUE(c.ok()) << c.status();
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
  ::rmdir(tmpl);
}

TEST(WireTest, ConnectMissingPathKeepsErrno) {
  absl::StatusOr<base::UniqueFd> c =
      ConnectUnix("/nonexistent-dir-xyz/control.sock", Soon());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(base::ErrnoFromStatus(c.status()), ENOENT);
}

}  // namespace
}  // namespace runsc::control
