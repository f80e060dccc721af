// End to end: terminals. create/run with process.terminal=true and exec
// --tty send the master of a pty over --console-socket (SCM_RIGHTS, one
// message, as runc); the container's process has a sentry pty as stdio and
// controlling terminal (docs/terminals.md).
#include <sys/ioctl.h>

#include "gmock/gmock.h"
#include "tests/oci/console_socket.h"
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
    listener_ = ListenConsoleSocket(socket_path_);
    ASSERT_GE(listener_, 0);
  }
  void TearDown() override {
    if (master_ >= 0) close(master_);
    if (listener_ >= 0) close(listener_);
    LifecycleTest::TearDown();
  }

  int ReceiveMaster() { return oci_test::ReceiveMaster(listener_); }
  std::string ReadUntil(int fd, const std::string& want) {
    return ReadMasterUntil(fd, want);
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

// An engine resizes by TIOCSWINSZ on the master it holds (containerd's
// console.Resize, podman's conmon); the process sees SIGWINCH and the new
// size, for the init's terminal and for exec -t's.
TEST_F(TerminalTest, ResizeOfTheMasterReachesTheProcess) {
  config_["process"]["terminal"] = true;
  const std::string script =
      "trap 'stty size' WINCH; echo ready; while true; do sleep 0.1; done";
  SetArgs({"sh", "-c", script});
  Result r = Runsc(
      {"create", "--bundle", bundle_, "--console-socket", socket_path_, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("c1");
  master_ = ReceiveMaster();
  ASSERT_GE(master_, 0);
  ASSERT_EQ(Runsc({"start", "c1"}).code, 0);
  ASSERT_THAT(ReadUntil(master_, "ready"), HasSubstr("ready"));
  struct winsize ws = {};
  ws.ws_row = 41;
  ws.ws_col = 127;
  ASSERT_EQ(ioctl(master_, TIOCSWINSZ, &ws), 0);
  EXPECT_THAT(ReadUntil(master_, "41 127"), HasSubstr("41 127"));

  // exec -t, detached so that this test holds the master while it runs.
  r = Runsc({"exec", "--tty", "--detach", "--console-socket", socket_path_,
             "c1", "sh", "-c", script});
  ASSERT_EQ(r.code, 0) << r.err;
  int exec_master = ReceiveMaster();
  ASSERT_GE(exec_master, 0);
  ASSERT_THAT(ReadUntil(exec_master, "ready"), HasSubstr("ready"));
  ws.ws_row = 17;
  ws.ws_col = 53;
  ASSERT_EQ(ioctl(exec_master, TIOCSWINSZ, &ws), 0);
  EXPECT_THAT(ReadUntil(exec_master, "17 53"), HasSubstr("17 53"));
  close(exec_master);
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
