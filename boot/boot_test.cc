// RunBoot end to end in a CLONE_NEWPID child: start sync, isolation, the
// seccomp filter and the control server with a TestKernel, driven from the
// parent as the front end would. Needs root; skipped otherwise.
#include "boot/boot.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "boot/testing/test_kernel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/proto/wire.h"
#include "runsc/sandbox/control_client.h"

namespace boot {
namespace {

using ::testing::HasSubstr;

class BootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/boot_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/sandbox.sock";
  }
  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  // Starts RunBoot in a child in a new PID namespace; `factory` may be null.
  void StartBoot(KernelFactory factory, bool pid_ns = true) {
    SCOPED_TRACE("StartBoot");
    absl::StatusOr<base::UniqueFd> listener = runsc::control::ListenUnix(path_);
    ASSERT_TRUE(listener.ok()) << listener.status();
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    sync_.reset(sv[0]);
    base::UniqueFd boot_sync(sv[1]);
    base::UniqueFd spec(
        static_cast<int>(::syscall(SYS_memfd_create, "spec", 0)));
    ASSERT_TRUE(spec.valid());
    const char kSpec[] = "{\"ociVersion\":\"1.0.2\"}";
    ASSERT_EQ(::write(spec.get(), kSpec, strlen(kSpec)),
              static_cast<ssize_t>(strlen(kSpec)));
    ASSERT_EQ(::lseek(spec.get(), 0, SEEK_SET), 0);
    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    stdout_read_.reset(out[0]);
    base::UniqueFd stdout_write(out[1]);

    BootConfig config;
    config.container_id = "c1";
    config.spec_fd = spec.get();
    config.controller_fd = listener->get();
    config.start_sync_fd = boot_sync.get();
    config.stdio_fds = {stdout_write.get(), stdout_write.get(),
                        stdout_write.get()};
    config.kernel_factory = std::move(factory);
    config.require_pid1 = true;
    unsigned long flags = SIGCHLD | (pid_ns ? CLONE_NEWPID : 0);
    child_ = static_cast<pid_t>(
        ::syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr));
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      sync_.reset();  // as exec would (CLOEXEC): EOF must reach the sandbox
      stdout_read_.reset();
      absl::Status s = RunBoot(config);
      _exit(s.ok() ? 0 : 1);
    }
  }

  // Sends go; returns the sandbox's answer.
  control::SyncMessage Sync() {
    control::SyncMessage go, answer;
    go.mutable_go();
    EXPECT_TRUE(runsc::control::SendMessage(sync_.get(), go, {},
                                            absl::Now() + absl::Seconds(10))
                    .ok());
    absl::Status s = runsc::control::RecvMessage(
        sync_.get(), &answer, nullptr, absl::Now() + absl::Seconds(30));
    EXPECT_TRUE(s.ok()) << s;
    return answer;
  }

  int WaitChild() {
    int ws = 0;
    EXPECT_EQ(::waitpid(child_, &ws, 0), child_);
    child_ = -1;
    return ws;
  }

  std::string dir_, path_;
  base::UniqueFd sync_, stdout_read_;
  pid_t child_ = -1;
};

KernelFactory TestFactory() {
  return [](KernelArgs args) -> absl::StatusOr<std::unique_ptr<SandboxKernel>> {
    if (args.spec_json != "{\"ociVersion\":\"1.0.2\"}") {
      return absl::InvalidArgumentError("spec did not arrive");
    }
    if (args.stdio_fds.size() != 3) {
      return absl::InvalidArgumentError("stdio did not arrive");
    }
    // The kernel owns the root's stdio: say hello on it.
    (void)!::write(args.stdio_fds[1].get(), "hello\n", 6);
    return std::make_unique<TestKernel>(args.container_id);
  };
}

TEST_F(BootTest, ServesControlChannelUnderSeccomp) {
  StartBoot(TestFactory());
  control::SyncMessage answer = Sync();
  ASSERT_TRUE(answer.has_ready()) << answer.DebugString();
  char buf[16] = {};
  ASSERT_EQ(::read(stdout_read_.get(), buf, 6), 6);
  EXPECT_STREQ(buf, "hello\n");

  runsc::sandbox::ControlClient c(path_);
  absl::StatusOr<int32_t> pid = c.Ping();
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(*pid, 1);  // PID 1 of its own namespace
  ASSERT_TRUE(c.StartRoot("c1").ok());

  // Exec with stdio crossing into the filtered sandbox.
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  base::UniqueFd r(p[0]), w(p[1]);
  int fds[] = {r.get(), w.get(), w.get()};
  absl::StatusOr<int32_t> epid = c.Exec("c1", "{}", false, fds);
  ASSERT_TRUE(epid.ok()) << epid.status();
  w.reset();
  char line[32] = {};
  ASSERT_GT(::read(r.get(), line, sizeof(line) - 1), 0);
  EXPECT_STREQ(line, "exec:{}\n");

  // A blocking Wait served on a second thread inside the sandbox.
  pid_t waiter = ::fork();
  ASSERT_GE(waiter, 0);
  if (waiter == 0) {
    absl::StatusOr<int> ws = runsc::sandbox::ControlClient(path_).Wait("c1");
    if (!ws.ok()) {
      // Connected only after init exited: the sandbox had stopped serving
      // (the front end then reads the recorded exit status).
      _exit(runsc::sandbox::IsSandboxGone(ws.status()) ? 2 : 1);
    }
    _exit(WIFSIGNALED(*ws) && WTERMSIG(*ws) == SIGTERM ? 0 : 1);
  }
  ASSERT_TRUE(c.Signal("c1", control::SignalRequest::INIT, 0, SIGTERM).ok());
  int ws;
  ASSERT_EQ(::waitpid(waiter, &ws, 0), waiter);
  ASSERT_TRUE(WIFEXITED(ws)) << ws;
  EXPECT_TRUE(WEXITSTATUS(ws) == 0 || WEXITSTATUS(ws) == 2) << ws;

  // Init has exited: the sandbox stops serving and exits by itself (like
  // gVisor's; engines wait on its PID).
  ws = WaitChild();
  ASSERT_TRUE(WIFEXITED(ws)) << "killed by " << WTERMSIG(ws);
  EXPECT_EQ(WEXITSTATUS(ws), 0);
  EXPECT_TRUE(runsc::sandbox::IsSandboxGone(c.Pause("")));
}

TEST_F(BootTest, NoKernelReportsUnimplemented) {
  StartBoot(nullptr);
  control::SyncMessage answer = Sync();
  ASSERT_TRUE(answer.has_error());
  EXPECT_EQ(answer.error().code(),
            static_cast<int>(absl::StatusCode::kUnimplemented));
  EXPECT_THAT(answer.error().message(), HasSubstr("not implemented"));
  int ws = WaitChild();
  EXPECT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 1);
}

TEST_F(BootTest, KernelFactoryFailureIsReported) {
  StartBoot([](KernelArgs) -> absl::StatusOr<std::unique_ptr<SandboxKernel>> {
    return absl::InternalError("platform unavailable");
  });
  control::SyncMessage answer = Sync();
  ASSERT_TRUE(answer.has_error());
  EXPECT_EQ(answer.error().message(), "platform unavailable");
  WaitChild();
}

TEST_F(BootTest, RequiresPid1) {
  StartBoot(TestFactory(), /*pid_ns=*/false);
  // The check comes before the sync: the error is waiting for us.
  control::SyncMessage answer;
  ASSERT_TRUE(runsc::control::RecvMessage(sync_.get(), &answer, nullptr,
                                          absl::Now() + absl::Seconds(30))
                  .ok());
  ASSERT_TRUE(answer.has_error());
  EXPECT_THAT(answer.error().message(), HasSubstr("PID 1"));
  WaitChild();
}

TEST_F(BootTest, FrontEndGoneBeforeGo) {
  StartBoot(TestFactory());
  sync_.reset();
  int ws = WaitChild();
  EXPECT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 1);
}

TEST(BootArgsTest, RoundTrip) {
  BootConfig c;
  c.container_id = "abc";
  c.bundle = "/b";
  c.spec_fd = 3;
  c.controller_fd = 4;
  c.start_sync_fd = 5;
  c.io_fds = {6, 7};
  c.stdio_fds = {0, 1, 2};
  c.log_fd = 8;
  std::vector<std::string> args = FormatBootArgs(c);
  EXPECT_THAT(args, ::testing::ElementsAre(
                        "--bundle=/b", "--spec-fd=3", "--controller-fd=4",
                        "--start-sync-fd=5", "--io-fds=6,7",
                        "--stdio-fds=0,1,2", "--log-fd=8", "abc"));
  args.push_back("--network=host");
  absl::StatusOr<BootConfig> p = ParseBootArgs(args);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->container_id, "abc");
  EXPECT_EQ(p->bundle, "/b");
  EXPECT_EQ(p->spec_fd, 3);
  EXPECT_EQ(p->controller_fd, 4);
  EXPECT_EQ(p->start_sync_fd, 5);
  EXPECT_EQ(p->io_fds, (std::vector<int>{6, 7}));
  EXPECT_EQ(p->stdio_fds, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(p->log_fd, 8);
  EXPECT_TRUE(p->host_network);
}

TEST(BootArgsTest, Errors) {
  EXPECT_FALSE(ParseBootArgs({"--spec-fd=x", "id"}).ok());
  EXPECT_FALSE(ParseBootArgs({"--io-fds=1,,2", "id"}).ok());
  EXPECT_FALSE(ParseBootArgs({"--bogus=1", "id"}).ok());
  EXPECT_FALSE(ParseBootArgs({"--network=bridge", "id"}).ok());
  EXPECT_FALSE(ParseBootArgs({"--spec-fd=3"}).ok());
  EXPECT_FALSE(ParseBootArgs({"a", "b"}).ok());
  absl::StatusOr<BootConfig> p = ParseBootArgs({"--io-fds=", "id"});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->io_fds.empty());
}

}  // namespace
}  // namespace boot
