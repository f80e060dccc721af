// Round trips of every control request between ControlClient and
// ControlServer (TestKernel behind it), descriptor passing, peer refusal,
// malformed and oversized input, and a vanished server.
#include "boot/control_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "boot/testing/test_kernel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/proto/wire.h"
#include "runsc/sandbox/control_client.h"

namespace boot {
namespace {

using runsc::sandbox::ControlClient;
using ::testing::HasSubstr;

class ControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/control_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);
    path_ = dir_ + "/sandbox.sock";
    absl::StatusOr<base::UniqueFd> l = runsc::control::ListenUnix(path_);
    ASSERT_TRUE(l.ok()) << l.status();
    ::chmod(path_.c_str(), 0777);
    kernel_ = std::make_unique<TestKernel>("c1");
    server_ = std::make_unique<ControlServer>(
        std::move(*l), kernel_.get(),
        ControlServerOptions{.allowed_uid = ::getuid()});
    thread_ = std::thread([this] { serve_status_ = server_->Serve(); });
  }
  void TearDown() override {
    StopServer();
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  void StopServer() {
    if (server_ != nullptr) {
      server_->Stop();
      thread_.join();
      server_.reset();
    }
  }

  std::string dir_, path_;
  std::unique_ptr<TestKernel> kernel_;
  std::unique_ptr<ControlServer> server_;
  std::thread thread_;
  absl::Status serve_status_;
};

TEST_F(ControlTest, PingStartPauseResume) {
  ControlClient c(path_);
  absl::StatusOr<int32_t> pid = c.Ping();
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(*pid, ::getpid());
  ASSERT_TRUE(c.StartRoot("c1").ok());
  EXPECT_TRUE(kernel_->started());
  EXPECT_FALSE(kernel_->had_console());
  absl::Status again = c.StartRoot("c1");
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.message(), "already started");
  ASSERT_TRUE(c.Pause("").ok());
  EXPECT_TRUE(kernel_->paused());
  ASSERT_TRUE(c.Resume("").ok());
  EXPECT_FALSE(kernel_->paused());
  EXPECT_EQ(c.Resume("").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ControlTest, StartRootWithConsole) {
  ControlClient c(path_);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  base::UniqueFd a(sv[0]), b(sv[1]);
  ASSERT_TRUE(c.StartRoot("c1", a.get()).ok());
  EXPECT_TRUE(kernel_->had_console());
}

TEST_F(ControlTest, ExecPassesStdio) {
  ControlClient c(path_);
  ASSERT_TRUE(c.StartRoot("c1").ok());
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  base::UniqueFd r(p[0]), w(p[1]);
  int fds[] = {r.get(), w.get(), w.get()};
  absl::StatusOr<int32_t> pid = c.Exec("c1", "{\"args\":[\"ls\"]}", false, fds);
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(*pid, 100);
  w.reset();
  std::string got(64, '\0');
  ssize_t n = ::read(r.get(), got.data(), got.size());
  ASSERT_GT(n, 0);
  got.resize(n);
  EXPECT_EQ(got, "exec:{\"args\":[\"ls\"]}\n");

  absl::StatusOr<int> ws = c.WaitPid("c1", *pid);
  ASSERT_TRUE(ws.ok()) << ws.status();
  EXPECT_TRUE(WIFEXITED(*ws));
  EXPECT_EQ(WEXITSTATUS(*ws), 7);
  EXPECT_EQ(c.WaitPid("c1", 555).status().code(), absl::StatusCode::kNotFound);

  absl::StatusOr<std::vector<runsc::control::ProcessInfo>> ps =
      c.Processes("c1");
  ASSERT_TRUE(ps.ok());
  ASSERT_EQ(ps->size(), 2u);
  EXPECT_EQ((*ps)[0].pid(), 1);
  EXPECT_EQ((*ps)[1].pid(), 100);
  EXPECT_EQ((*ps)[1].cmd(), "exec");

  absl::StatusOr<runsc::control::ContainerStats> st = c.Event("c1");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->pids_current(), 2u);
  EXPECT_EQ(st->cpu_usage_ns(), 1234u);
}

TEST_F(ControlTest, ExecWithWrongDescriptorCountRefused) {
  ControlClient c(path_);
  ASSERT_TRUE(c.StartRoot("c1").ok());
  int fds[] = {0};
  absl::StatusOr<int32_t> pid = c.Exec("c1", "{}", false, fds);
  EXPECT_EQ(pid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(pid.status().message()), HasSubstr("descriptors"));
}

TEST_F(ControlTest, SignalAndWait) {
  ControlClient c(path_);
  ASSERT_TRUE(c.StartRoot("c1").ok());
  absl::StatusOr<int> ws;
  std::thread waiter([&] { ws = ControlClient(path_).Wait("c1"); });
  // Wait blocks until the signal: the server serves both concurrently.
  ASSERT_TRUE(
      c.Signal("c1", runsc::control::SignalRequest::INIT, 0, SIGKILL).ok());
  waiter.join();
  ASSERT_TRUE(ws.ok()) << ws.status();
  EXPECT_TRUE(WIFSIGNALED(*ws));
  EXPECT_EQ(WTERMSIG(*ws), SIGKILL);
  EXPECT_EQ(
      c.Signal("c1", runsc::control::SignalRequest::ALL, 0, SIGHUP).code(),
      absl::StatusCode::kOk);
  EXPECT_EQ(
      c.Signal("c1", runsc::control::SignalRequest::FOREGROUND_GROUP, 5, 2)
          .code(),
      absl::StatusCode::kOk);
  EXPECT_EQ(kernel_->signals(), (std::vector<int>{SIGKILL, SIGHUP, 2}));
  EXPECT_EQ(c.Signal("c1", runsc::control::SignalRequest::PROCESS, 0, 9).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Signal("c1", runsc::control::SignalRequest::INIT, 0, 99).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Signal("nope", runsc::control::SignalRequest::INIT, 0, 9).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ControlTest, CheckpointRestore) {
  ControlClient c(path_);
  char tmpl[] = "/tmp/control_img_XXXXXX";
  base::UniqueFd img(::mkstemp(tmpl));
  ASSERT_TRUE(img.valid());
  ::unlink(tmpl);
  ASSERT_TRUE(c.Checkpoint("c1", img.get()).ok());
  ASSERT_TRUE(c.Restore("c1", img.get()).ok());
  ASSERT_EQ(::ftruncate(img.get(), 0), 0);
  EXPECT_EQ(c.Restore("c1", img.get()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ControlTest, DestroyStopsServerAndReleasesWaiters) {
  ControlClient c(path_);
  ASSERT_TRUE(c.StartRoot("c1").ok());
  absl::StatusOr<int> ws;
  std::thread waiter([&] { ws = ControlClient(path_).Wait("c1"); });
  ASSERT_TRUE(c.Destroy().ok());
  waiter.join();
  // Either the waiter got in before Destroy (Aborted) or after the server
  // stopped (gone); never a hang.
  EXPECT_FALSE(ws.ok());
  thread_.join();
  server_.reset();
  EXPECT_TRUE(serve_status_.ok()) << serve_status_;
  EXPECT_TRUE(kernel_->destroyed());
  absl::Status after = c.Pause("");
  EXPECT_TRUE(runsc::sandbox::IsSandboxGone(after)) << after;
}

TEST_F(ControlTest, ServerGoneIsClearError) {
  StopServer();
  ControlClient c(path_);
  absl::Status s = c.Pause("");
  EXPECT_TRUE(runsc::sandbox::IsSandboxGone(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("sandbox is not running"));
  ::unlink(path_.c_str());
  s = c.Pause("");
  EXPECT_TRUE(runsc::sandbox::IsSandboxGone(s)) << s;
}

TEST_F(ControlTest, ForeignUidRefused) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(p[0]);
    if (::setresgid(65534, 65534, 65534) != 0 ||
        ::setresuid(65534, 65534, 65534) != 0) {
      _exit(2);
    }
    absl::Status s = ControlClient(path_).Pause("");
    std::string msg(s.ToString());
    (void)!::write(p[1], msg.data(), msg.size());
    _exit(s.code() == absl::StatusCode::kPermissionDenied ? 0 : 1);
  }
  ::close(p[1]);
  std::string msg(256, '\0');
  ssize_t n = ::read(p[0], msg.data(), msg.size());
  ::close(p[0]);
  msg.resize(n > 0 ? n : 0);
  int ws;
  ASSERT_EQ(::waitpid(child, &ws, 0), child);
  ASSERT_TRUE(WIFEXITED(ws));
  EXPECT_EQ(WEXITSTATUS(ws), 0) << msg;
  EXPECT_THAT(msg, HasSubstr("uid 65534"));
  EXPECT_FALSE(kernel_->paused());
}

// A raw connection that sends `bytes` and returns the server's response.
runsc::control::Response RawExchange(const std::string& path,
                                     const std::string& bytes) {
  absl::StatusOr<base::UniqueFd> s =
      runsc::control::ConnectUnix(path, absl::Now() + absl::Seconds(5));
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(::send(s->get(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
  runsc::control::Response resp;
  EXPECT_TRUE(runsc::control::RecvMessage(s->get(), &resp, nullptr,
                                          absl::Now() + absl::Seconds(5))
                  .ok());
  return resp;
}

TEST_F(ControlTest, MalformedAndOversizedFramesGetErrors) {
  // Garbage body.
  runsc::control::Response r =
      RawExchange(path_, std::string("\x03\x00\x00\x00\xff\xff\xff", 7));
  EXPECT_EQ(r.error().code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  // Oversized length prefix.
  r = RawExchange(path_, std::string("\xff\xff\xff\xff", 4));
  EXPECT_EQ(r.error().code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(r.error().message(), HasSubstr("exceeds"));
  // Empty request (no oneof set).
  r = RawExchange(path_, std::string("\x00\x00\x00\x00", 4));
  EXPECT_EQ(r.error().message(), "unknown control request");
  // The server is still serving.
  EXPECT_TRUE(ControlClient(path_).Ping().ok());
}

TEST_F(ControlTest, RandomFramesNeverBreakTheServer) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 300; ++i) {
    std::string body(rng() % 48, '\0');
    for (char& c : body) c = static_cast<char>(rng());
    runsc::control::Request probe;
    if (probe.ParseFromString(body) && probe.has_destroy()) continue;
    std::string frame(4, '\0');
    uint32_t len = body.size();
    memcpy(frame.data(), &len, 4);  // little-endian host
    frame += body;
    runsc::control::Response r = RawExchange(path_, frame);
    // Whatever it was: a well-formed reply (an error, or a harmless answer
    // when the bytes happened to parse as a request for something else).
    if (r.has_error()) {
      EXPECT_NE(r.error().code(), 0);
    }
  }
  // Unknown enum values and out-of-range fields are refused, not trusted.
  runsc::control::Request req;
  req.mutable_signal()->set_container_id("c1");
  req.mutable_signal()->set_target(
      static_cast<runsc::control::SignalRequest::Target>(99));
  req.mutable_signal()->set_signo(9);
  std::string body = req.SerializeAsString();
  std::string frame(4, '\0');
  uint32_t len = body.size();
  memcpy(frame.data(), &len, 4);
  runsc::control::Response r = RawExchange(path_, frame + body);
  EXPECT_EQ(r.error().message(), "signal: unknown target");
  EXPECT_TRUE(kernel_->signals().empty());
  EXPECT_TRUE(ControlClient(path_).Ping().ok());
}

TEST_F(ControlTest, SilentPeerTimesOutWithoutBlockingOthers) {
  absl::StatusOr<base::UniqueFd> idle =
      runsc::control::ConnectUnix(path_, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(idle.ok());
  EXPECT_TRUE(ControlClient(path_).Ping().ok());
}

TEST_F(ControlTest, ClientTimeout) {
  // A listener nobody serves: connect succeeds (backlog), no reply.
  std::string p2 = dir_ + "/dead.sock";
  absl::StatusOr<base::UniqueFd> l = runsc::control::ListenUnix(p2);
  ASSERT_TRUE(l.ok());
  ControlClient c(p2, absl::Milliseconds(50));
  absl::Status s = c.Pause("");
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  ::unlink(p2.c_str());
}

TEST(DispatchTest, EveryRequestTypeShapeChecked) {
  TestKernel k("c1");
  bool destroyed = false;
  runsc::control::Request req;
  req.mutable_checkpoint()->set_container_id("c1");
  EXPECT_EQ(Dispatch(k, req, {}, &destroyed).error().code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  req.mutable_wait()->set_container_id("");
  EXPECT_EQ(Dispatch(k, req, {}, &destroyed).error().code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  req.mutable_wait_pid()->set_container_id("c1");
  req.mutable_wait_pid()->set_pid(-1);
  EXPECT_EQ(Dispatch(k, req, {}, &destroyed).error().code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  req.mutable_destroy();
  EXPECT_FALSE(Dispatch(k, req, {}, &destroyed).has_error());
  EXPECT_TRUE(destroyed);
}

// Multi-container requests: shape checks here; a kernel without support
// answers Unimplemented (the sentry's are tested end to end in tests/oci).
TEST(DispatchTest, SubcontainerRequests) {
  TestKernel k("c1");
  bool destroyed = false;
  auto code = [&](const runsc::control::Request& req) {
    return Dispatch(k, req, {}, &destroyed).error().code();
  };
  runsc::control::Request req;
  req.mutable_create_subcontainer()->set_container_id("");
  EXPECT_EQ(code(req), static_cast<int>(absl::StatusCode::kInvalidArgument));
  req.mutable_create_subcontainer()->set_container_id("a");
  EXPECT_EQ(code(req), static_cast<int>(absl::StatusCode::kUnimplemented));
  req.mutable_subcontainer_fds()->set_container_id("");
  EXPECT_EQ(code(req), static_cast<int>(absl::StatusCode::kInvalidArgument));
  req.mutable_subcontainer_fds()->set_container_id("a");
  EXPECT_EQ(code(req), static_cast<int>(absl::StatusCode::kUnimplemented));
  req.mutable_destroy_subcontainer()->set_container_id("");
  EXPECT_EQ(code(req), static_cast<int>(absl::StatusCode::kInvalidArgument));
  req.mutable_destroy_subcontainer()->set_container_id("a");
  EXPECT_EQ(code(req), static_cast<int>(absl::StatusCode::kUnimplemented));
  EXPECT_FALSE(destroyed);
}

}  // namespace
}  // namespace boot
