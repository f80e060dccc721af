// The launcher with a stand-in binary (testing/fake_runsc.cc): success with
// the real boot path (namespaces, seccomp, control server), a sandbox that
// exits early, one that never becomes ready, failures before start, and
// checks that nothing is left running after a failure.
#include "runsc/sandbox/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "base/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/sandbox/control_client.h"

namespace runsc::sandbox {
namespace {

using ::testing::HasSubstr;

// No child of this process remains (running or zombie).
bool NoChildrenLeft() {
  return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

class LauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/launcher_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    int out[2], log[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(log, O_CLOEXEC), 0);
    out_r_.reset(out[0]);
    out_w_.reset(out[1]);
    log_r_.reset(log[0]);
    log_w_.reset(log[1]);
    config_.binary = FAKE_RUNSC_PATH;
    config_.global_args = {"--root=/x"};
    config_.container_id = "c1";
    config_.bundle = "/bundle";
    config_.state_dir = dir_;
    config_.spec_json = "{\"ociVersion\":\"1.0.2\"}";
    config_.stdio_fds = {out_w_.get(), out_w_.get(), out_w_.get()};
    config_.log_fd = log_w_.get();
    config_.gofer_mounts = 2;
    config_.ready_timeout = absl::Seconds(30);
    ::setenv("FAKE_RUNSC_MODE", "ok", 1);
    ::unsetenv("FAKE_RUNSC_GOFER");
  }
  void TearDown() override {
    ::unlink((dir_ + "/sandbox.sock").c_str());
    ::rmdir(dir_.c_str());
  }
  // Reads until both children's argument lines arrived.
  std::string ReadLog() {
    std::string s;
    auto has_line = [&s](const char* who) {
      size_t at = s.find(who);
      return at != std::string::npos && s.find('\n', at) != std::string::npos;
    };
    while (!has_line("boot pid=") || !has_line("gofer pid=")) {
      char buf[1024];
      ssize_t n = ::read(log_r_.get(), buf, sizeof(buf));
      if (n <= 0) break;
      s.append(buf, n);
    }
    return s;
  }

  std::string dir_;
  base::UniqueFd out_r_, out_w_, log_r_, log_w_;
  LaunchConfig config_;
};

TEST_F(LauncherTest, StartsSandboxAndGofer) {
  pid_t seen_sandbox = 0, seen_gofer = 0;
  config_.before_start = [&](pid_t s, pid_t g) {
    seen_sandbox = s;
    seen_gofer = g;
    return absl::OkStatus();
  };
  absl::StatusOr<LaunchResult> r = LaunchSandbox(config_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->sandbox_pid, 0);
  EXPECT_GT(r->gofer_pid, 0);
  EXPECT_EQ(seen_sandbox, r->sandbox_pid);
  EXPECT_EQ(seen_gofer, r->gofer_pid);
  EXPECT_EQ(r->control_socket, dir_ + "/sandbox.sock");
  // Both children are session leaders.
  EXPECT_EQ(::getsid(r->sandbox_pid), r->sandbox_pid);
  EXPECT_EQ(::getsid(r->gofer_pid), r->gofer_pid);

  // The kernel factory saw the spec and both gofer connections, and wrote to
  // the container's stdout.
  std::string out(256, '\0');
  ssize_t n = ::read(out_r_.get(), out.data(), out.size());
  ASSERT_GT(n, 0);
  out.resize(n);
  EXPECT_EQ(out, "spec:{\"ociVersion\":\"1.0.2\"} io:2\n");
  std::string log = ReadLog();
  EXPECT_THAT(log, HasSubstr("gofer pid="));
  EXPECT_THAT(log, HasSubstr("--spec-fd=3 --io-fds=4,5 --log-fd=6 "
                             "--bundle=/bundle\n"));
  EXPECT_THAT(log, HasSubstr("--bundle=/bundle --spec-fd=3 --controller-fd=4 "
                             "--start-sync-fd=5 --io-fds=6,7 "
                             "--stdio-fds=0,1,2 --log-fd=8 c1\n"));

  ControlClient c(r->control_socket);
  absl::StatusOr<int32_t> pid = c.Ping();
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(*pid, 1);
  ASSERT_TRUE(c.StartRoot("c1").ok());
  ASSERT_TRUE(c.Destroy().ok());
  int ws;
  ASSERT_EQ(::waitpid(r->sandbox_pid, &ws, 0), r->sandbox_pid);
  EXPECT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) << DescribeWaitStatus(ws);
  // The gofer's connections closed with the sandbox: it exits by itself.
  ASSERT_EQ(::waitpid(r->gofer_pid, &ws, 0), r->gofer_pid);
  EXPECT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) << DescribeWaitStatus(ws);
  EXPECT_TRUE(NoChildrenLeft());
}

TEST_F(LauncherTest, SandboxExitsEarly) {
  ::setenv("FAKE_RUNSC_MODE", "exit", 1);
  absl::StatusOr<LaunchResult> r = LaunchSandbox(config_);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("sandbox exited before it was ready (exit status 3)"));
  EXPECT_TRUE(NoChildrenLeft());
  struct stat st;
  EXPECT_NE(::stat((dir_ + "/sandbox.sock").c_str(), &st), 0);
}

TEST_F(LauncherTest, SandboxNeverReady) {
  ::setenv("FAKE_RUNSC_MODE", "hang", 1);
  config_.ready_timeout = absl::Milliseconds(300);
  absl::StatusOr<LaunchResult> r = LaunchSandbox(config_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("did not become ready"));
  EXPECT_TRUE(NoChildrenLeft());
}

TEST_F(LauncherTest, BootWithoutKernelIsUnimplemented) {
  ::setenv("FAKE_RUNSC_MODE", "nokernel", 1);
  absl::StatusOr<LaunchResult> r = LaunchSandbox(config_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("sandbox failed to start: the sentry kernel is not "
                        "implemented"));
  EXPECT_TRUE(NoChildrenLeft());
}

TEST_F(LauncherTest, GoferExitsEarly) {
  ::setenv("FAKE_RUNSC_GOFER", "exit", 1);
  // Hold the sandbox back until the gofer is certainly gone.
  config_.before_start = [](pid_t, pid_t gofer) {
    siginfo_t info;
    ::waitid(P_PID, gofer, &info, WEXITED | WNOWAIT);
    return absl::OkStatus();
  };
  absl::StatusOr<LaunchResult> r = LaunchSandbox(config_);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("gofer exited early (exit status 4)"));
  EXPECT_TRUE(NoChildrenLeft());
}

TEST_F(LauncherTest, BeforeStartFailureCleansUp) {
  config_.before_start = [](pid_t, pid_t) {
    return absl::PermissionDeniedError("cgroup: no access");
  };
  absl::StatusOr<LaunchResult> r = LaunchSandbox(config_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(NoChildrenLeft());
}

TEST_F(LauncherTest, MissingBinary) {
  config_.binary = "/nonexistent/runsc";
  absl::StatusOr<LaunchResult> r = LaunchSandbox(config_);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("starting the gofer: spawn /nonexistent/runsc: "
                        "execve"));
  EXPECT_TRUE(NoChildrenLeft());
}

TEST_F(LauncherTest, MissingStateDir) {
  config_.state_dir = dir_ + "/nope";
  EXPECT_EQ(LaunchSandbox(config_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SpawnTest, PlacesExactlyTheNamedDescriptors) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  base::UniqueFd r(p[0]), w(p[1]);
  base::UniqueFd extra(::open("/dev/null", O_RDONLY));  // not CLOEXEC
  ASSERT_TRUE(extra.valid());
  // The child lists its descriptors into fd 1 (our pipe).
  SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c", "ls /proc/self/fd | sort -n | tr '\\n' ' '"};
  base::UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  spec.fds = {{devnull.get(), 0}, {w.get(), 1}, {w.get(), 2}};
  absl::StatusOr<pid_t> pid = Spawn(spec);
  ASSERT_TRUE(pid.ok()) << pid.status();
  w.reset();
  std::string out(256, '\0');
  ssize_t n = ::read(r.get(), out.data(), out.size());
  out.resize(n > 0 ? n : 0);
  int ws;
  ASSERT_EQ(::waitpid(*pid, &ws, 0), *pid);
  // 0, 1 and 2 as given, 3 is ls's own directory handle; not `extra`.
  EXPECT_EQ(out, "0 1 2 3 ");
}

TEST(SpawnTest, DescribeWaitStatus) {
  EXPECT_EQ(DescribeWaitStatus(3 << 8), "exit status 3");
  EXPECT_EQ(DescribeWaitStatus(SIGKILL), "killed by signal 9 (SIGKILL)");
}

}  // namespace
}  // namespace runsc::sandbox
