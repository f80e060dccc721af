// End to end on the real platform: the loader puts a static program into a
// MemoryManager, the kernel runs it as PID 1 on the ptrace platform, and
// every syscall goes through the table. Only write(1|2) is served by the test
// itself (the VFS is not merged into this branch yet).
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/logging.h"
#include "gtest/gtest.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/mm_adapter.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/memory_file.h"
#include "sentry/platform/platform.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {
namespace {

const std::string kHello = std::string(LOADER_TESTDATA_DIR) + "/hello_static";

struct Outcome {
  int status = -1;
  std::string out;
};

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mf = mm::MemoryFile::Create("kernel-e2e", uint64_t{4} << 30);
    ASSERT_TRUE(mf.ok()) << mf.status();
    mf_ = std::move(*mf);
    auto p = platform::NewPlatform("ptrace", mf_->fd());
    ASSERT_TRUE(p.ok()) << p.status();
    platform_ = std::move(*p);
  }

  Outcome Run(const std::string& path, std::vector<std::string> argv,
              bool strace = false) {
    Outcome res;
    auto as = platform_->NewAddressSpace();
    EXPECT_TRUE(as.ok());
    auto mm = std::make_shared<mm::MemoryManager>(mf_.get(), std::move(*as));
    loader::HostFileOpener opener;
    loader::LoadArgs la;
    la.filename = path;
    la.argv = std::move(argv);
    la.envp = {"HOME=/root"};
    auto lr = loader::Load(*mm, opener, la);
    EXPECT_TRUE(lr.ok()) << lr.status();
    if (!lr.ok()) return res;

    kernel::Kernel k;
    k.set_strace(strace);
    absl::Mutex out_mu;
    k.SetSyscallDispatcher([&](Task& t) {
      const kernel::Registers& r = t.regs();
      if (r.SyscallNo() == SYS_write &&
          (r.SyscallArg(0) == 1 || r.SyscallArg(0) == 2)) {
        std::string buf(std::min<uint64_t>(r.SyscallArg(2), 1 << 20), '\0');
        auto n =
            t.mm().CopyIn(UserAddr(r.SyscallArg(1)), buf.data(), buf.size());
        if (!n.ok()) return SyscallResult::Error(n.error());
        absl::MutexLock l(&out_mu);
        res.out.append(buf.data(), *n);
        return SyscallResult::Value(static_cast<int64_t>(*n));
      }
      return Dispatch(t);
    });
    platform::Platform* p = platform_.get();
    k.SetContextFactory([p] { return p->NewContext(); });
    mm::MemoryFile* mf = mf_.get();
    kernel::ExecEnv env;
    env.new_mm = [p, mf]() -> ErrnoOr<std::shared_ptr<kernel::UserMemory>> {
      auto as = p->NewAddressSpace();
      if (!as.ok()) return Errno{ENOMEM};
      auto m = std::make_shared<mm::MemoryManager>(mf, std::move(*as));
      return std::shared_ptr<kernel::UserMemory>(
          std::make_shared<kernel::MmUserMemory>(std::move(m), p));
    };
    env.opener = [](Task&) {
      return std::unique_ptr<loader::FileOpener>(
          std::make_unique<loader::HostFileOpener>());
    };
    k.SetExecEnv(env);
    kernel::NewTaskArgs args;
    args.mm = std::make_shared<kernel::MmUserMemory>(mm, p);
    args.regs.ResetForExec(lr->entry, lr->stack);
    args.name = "e2e";
    auto t = k.CreateInitProcess(std::move(args));
    EXPECT_TRUE(t.ok());
    k.StartTask(*t);
    res.status = k.WaitForInitExit();
    return res;
  }

  std::unique_ptr<mm::MemoryFile> mf_;
  std::unique_ptr<platform::Platform> platform_;
};

TEST_F(EndToEndTest, StaticHelloRunsAsPid1) {
  Outcome o = Run(kHello, {"hello", "from", "pid1"});
  EXPECT_EQ(o.out, "hello from pid1 HOME=/root auxv-ok\n");
  EXPECT_TRUE(WIFEXITED(o.status));
  EXPECT_EQ(WEXITSTATUS(o.status), 3);  // argc
}

TEST_F(EndToEndTest, BusyboxEchoAndUname) {
  if (access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "no /bin/busybox";
  Outcome o = Run("/bin/busybox", {"busybox", "echo", "hi", "there"});
  EXPECT_EQ(o.out, "hi there\n");
  EXPECT_EQ(kernel::ShellExitCode(o.status), 0);
  o = Run("/bin/busybox", {"busybox", "uname", "-r"});
  EXPECT_EQ(o.out, "4.4.0\n");
  EXPECT_EQ(kernel::ShellExitCode(o.status), 0);
}

TEST_F(EndToEndTest, ExecReplacesTheProgram) {
  if (access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "no /bin/busybox";
  // The shell execs the hello program in place (no fork): same pid, new
  // image, its exit status is the container's.
  Outcome o =
      Run("/bin/busybox", {"sh", "-c", "echo $$; exec " + kHello + " x y"});
  // (envp[0] is whatever the shell exports first.)
  EXPECT_EQ(o.out.substr(0, 12), "1\nhello x y ") << o.out;
  EXPECT_NE(o.out.find(" auxv-ok\n"), std::string::npos) << o.out;
  EXPECT_EQ(kernel::ShellExitCode(o.status), 3);
  // A missing program: the shell reports it and exits 127.
  o = Run("/bin/busybox", {"sh", "-c", "exec /nonexistent"});
  EXPECT_EQ(kernel::ShellExitCode(o.status), 127);
}

TEST_F(EndToEndTest, StraceLogsTheProgramsCalls) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_NONBLOCK), 0);
  base::AddLogSink(fds[1], base::LogFormat::kText, base::LogLevel::kDebug,
                   false);
  Outcome o = Run(kHello, {"hello"}, /*strace=*/true);
  base::ClearLogSinks();
  std::string log;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) log.append(buf, n);
  close(fds[0]);
  close(fds[1]);
  EXPECT_EQ(o.out, "hello HOME=/root auxv-ok\n");
  EXPECT_NE(log.find("[1:1] e2e exit_group(1) = ?"), std::string::npos) << log;
}

}  // namespace
}  // namespace sentry::syscalls

namespace sentry::syscalls {
namespace {

TEST_F(EndToEndTest, BusyboxShellForkAndWait) {
  if (access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "no /bin/busybox";
  if (getenv("E2E_STRACE") != nullptr) {
    base::AddLogSink(2, base::LogFormat::kText, base::LogLevel::kDebug, false);
  }
  Outcome o =
      Run("/bin/busybox", {"sh", "-c", "echo $$; (exit 7); echo $?; exit 3"},
          getenv("E2E_STRACE") != nullptr);
  EXPECT_EQ(o.out, "1\n7\n");
  EXPECT_EQ(kernel::ShellExitCode(o.status), 3);
}

}  // namespace
}  // namespace sentry::syscalls
