// End to end: terminals. create/run with process.terminal=true and exec
// --tty send the master of a pty over --console-socket (SCM_RIGHTS, one
// message, as runc); the container's process has a sentry pty as stdio and
// controlling terminal (docs/terminals.md).
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "tests/oci/lifecycle_harness.h"

namespace oci_test {
namespace {

using ::testing::HasSubstr;

class TerminalTest : public LifecycleTest {
 protected:
  void SetUp() override {
    LifecycleTest::SetUp();
    if (IsSkipped()) return;
    socket_path_ = dir_ + "/console.sock";
    listener_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener_, 0);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, socket_path_.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
              0);
    ASSERT_EQ(listen(listener_, 4), 0);
  }
  void TearDown() override {
    if (master_ >= 0) close(master_);
    if (listener_ >= 0) close(listener_);
    LifecycleTest::TearDown();
  }

  // Accepts the runtime's connection and receives the master.
  int ReceiveMaster() {
    pollfd p = {listener_, POLLIN, 0};
    if (poll(&p, 1, 10000) != 1) return -1;
    int conn = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
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

  // Reads the master until `want` shows up, EOF/EIO, or 20s.
  std::string ReadUntil(int fd, const std::string& want) {
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

  std::string socket_path_;
  int listener_ = -1;
  int master_ = -1;
};

TEST_F(TerminalTest, CreateSendsTheMasterAndTheProcessHasATerminal) {
  config_["process"]["terminal"] = true;
  config_["process"]["consoleSize"] = {{"height", 33}, {"width", 101}};
  SetArgs({"sh", "-c", "tty; stty size; echo done-here; sleep 1000"});
  Result r = Runsc(
      {"create", "--bundle", bundle_, "--console-socket", socket_path_, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("c1");
  master_ = ReceiveMaster();
  ASSERT_GE(master_, 0);
  EXPECT_TRUE(isatty(master_));
  ASSERT_EQ(Runsc({"start", "c1"}).code, 0);
  std::string out = ReadUntil(master_, "done-here");
  EXPECT_THAT(out, HasSubstr("/dev/pts/"));
  EXPECT_THAT(out, HasSubstr("33 101"));
  EXPECT_THAT(out, HasSubstr("done-here\r\n"));  // ONLCR of the sentry tty
}

TEST_F(TerminalTest, TerminalWithoutConsoleSocketIsRefused) {
  config_["process"]["terminal"] = true;
  SetArgs({"true"});
  Result r = Runsc({"create", "--bundle", bundle_, "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("console-socket"));
  EXPECT_FALSE(Exists(root_ + "/c1"));
}

TEST_F(TerminalTest, CtrlCSignalsTheForegroundGroup) {
  config_["process"]["terminal"] = true;
  SetArgs({"sh", "-c",
           "trap 'echo got-int; exit 0' INT; echo ready; "
           "while true; do sleep 0.1; done"});
  Result r = Runsc(
      {"create", "--bundle", bundle_, "--console-socket", socket_path_, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("c1");
  master_ = ReceiveMaster();
  ASSERT_GE(master_, 0);
  ASSERT_EQ(Runsc({"start", "c1"}).code, 0);
  ASSERT_THAT(ReadUntil(master_, "ready"), HasSubstr("ready"));
  ASSERT_EQ(write(master_, "\x03", 1), 1);
  EXPECT_THAT(ReadUntil(master_, "got-int"), HasSubstr("got-int"));
}

TEST_F(TerminalTest, InputReachesTheProcessThroughTheLineDiscipline) {
  config_["process"]["terminal"] = true;
  // head reads with read(2) (busybox sh's `read` needs poll(2), which the
  // sentry does not serve yet).
  SetArgs({"sh", "-c", "head -n 1 | sed s/^/got:/; sleep 1000"});
  Result r = Runsc(
      {"create", "--bundle", bundle_, "--console-socket", socket_path_, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("c1");
  master_ = ReceiveMaster();
  ASSERT_GE(master_, 0);
  ASSERT_EQ(Runsc({"start", "c1"}).code, 0);
  ASSERT_EQ(write(master_, "hello\r", 6), 6);
  std::string out = ReadUntil(master_, "got:hello");
  EXPECT_THAT(out, HasSubstr("hello"));  // echo
  EXPECT_THAT(out, HasSubstr("got:hello"));
}

TEST_F(TerminalTest, ExecTtySendsItsOwnTerminal) {
  StartContainer({"sleep", "1000"});
  Result r = Runsc({"exec", "--tty", "--console-socket", socket_path_, "c1",
                    "sh", "-c", "tty; exit 6"});
  EXPECT_EQ(r.code, 6) << r.err;
  master_ = ReceiveMaster();
  ASSERT_GE(master_, 0);
  EXPECT_THAT(ReadUntil(master_, "\n"), HasSubstr("/dev/pts/"));
  r = Runsc({"exec", "--tty", "c1", "true"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("console-socket"));
}

}  // namespace
}  // namespace oci_test
