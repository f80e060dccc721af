// execve/execveat: argv and envp, close-on-exec, #! scripts, errors, what
// survives exec (pid, ignored signals, mask) and what does not (handlers).
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

// The helper is built beside this test (tests/syscalls/exec_helper.cc).
std::string HelperPath() {
  const char* env = getenv("SYSCALL_EXEC_HELPER");
  if (env != nullptr) return env;
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "syscalls_exec_helper";
  std::string self(buf, n);
  return self.substr(0, self.rfind('/') + 1) + "syscalls_exec_helper";
}

struct Result {
  int status = -1;
  std::string out;
  bool Has(const std::string& line) const {
    return ("\n" + out).find("\n" + line + "\n") != std::string::npos;
  }
};

// Forks; in the child runs `before`, then execve(path, argv, envp) with
// stdout on a pipe. Returns the exit status and the output.
Result Exec(const std::string& path, std::vector<std::string> argv,
            std::vector<std::string> envp,
            const std::function<void()>& before = nullptr) {
  Result r;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return r;
  std::vector<char*> av, ev;
  for (auto& a : argv) av.push_back(a.data());
  av.push_back(nullptr);
  for (auto& e : envp) ev.push_back(e.data());
  ev.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    if (before) before();
    execve(path.c_str(), av.data(), ev.data());
    _exit(127);
  }
  close(p[1]);
  r.out = ReadAll(p[0]);
  close(p[0]);
  r.status = WaitPid(pid);
  return r;
}

class ExecTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    helper_ = HelperPath();
    if (access(helper_.c_str(), X_OK) != 0) {
      GTEST_SKIP() << "exec helper not found at " << helper_;
    }
  }
  std::string helper_;
};

TEST_F(ExecTest, ArgvAndEnvpArePassed) {
  Result r =
      Exec(helper_, {"name0", "a b", "", "exit", "5"}, {"FOO=bar", "EMPTY="});
  ASSERT_TRUE(WIFEXITED(r.status)) << DescribeStatus(r.status);
  EXPECT_EQ(WEXITSTATUS(r.status), 5);
  EXPECT_TRUE(r.Has("argc=5")) << r.out;
  EXPECT_TRUE(r.Has("argv[0]=name0")) << r.out;
  EXPECT_TRUE(r.Has("argv[1]=a b")) << r.out;
  EXPECT_TRUE(r.Has("argv[2]=")) << r.out;
  EXPECT_TRUE(r.Has("env=FOO=bar")) << r.out;
  EXPECT_TRUE(r.Has("env=EMPTY=")) << r.out;
}

TEST_F(ExecTest, EmptyEnvironment) {
  Result r = Exec(helper_, {"h"}, {});
  EXPECT_EQ(r.out.find("env="), std::string::npos) << r.out;
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
}

TEST_F(ExecTest, PidIsKept) {
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    dup2(p[1], 1);
    char* av[] = {const_cast<char*>("h"), nullptr};
    char* ev[] = {nullptr};
    execve(helper_.c_str(), av, ev);
    _exit(127);
  }
  close(p[1]);
  std::string out = ReadAll(p[0]);
  close(p[0]);
  WaitPid(pid);
  EXPECT_NE(out.find("pid=" + std::to_string(pid) + "\n"), std::string::npos)
      << out;
}

TEST_F(ExecTest, CloseOnExecHonoured) {
  WriteFile(Path("f"), "");
  int keep = open(Path("f").c_str(), O_RDONLY);
  int gone = open(Path("f").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(keep, 0);
  ASSERT_GE(gone, 0);
  Result a = Exec(helper_, {"h"}, {"CHECK_FD=" + std::to_string(keep)});
  EXPECT_TRUE(a.Has("fd=" + std::to_string(keep) + " open")) << a.out;
  Result b = Exec(helper_, {"h"}, {"CHECK_FD=" + std::to_string(gone)});
  EXPECT_TRUE(b.Has("fd=" + std::to_string(gone) + " closed")) << b.out;
  // FD_CLOEXEC set later by fcntl counts too.
  ASSERT_THAT(fcntl(keep, F_SETFD, FD_CLOEXEC), SyscallSucceeds());
  Result c = Exec(helper_, {"h"}, {"CHECK_FD=" + std::to_string(keep)});
  EXPECT_TRUE(c.Has("fd=" + std::to_string(keep) + " closed")) << c.out;
  close(keep);
  close(gone);
}

TEST_F(ExecTest, SignalDispositionsAndMask) {
  Result r = Exec(helper_, {"h"}, {}, [] {
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, [](int) {});
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    sigprocmask(SIG_BLOCK, &s, nullptr);
  });
  EXPECT_TRUE(r.Has("sigusr1=ign")) << r.out;     // Ignored stays ignored.
  EXPECT_TRUE(r.Has("sigusr2=dfl")) << r.out;     // Handlers reset.
  EXPECT_TRUE(r.Has("blocked_term=1")) << r.out;  // The mask is kept.
}

TEST_F(ExecTest, ShebangScript) {
  WriteFile(Path("script"), "#!" + helper_ + " interp-arg\nignored\n", 0755);
  ASSERT_THAT(chmod(Path("script").c_str(), 0755), SyscallSucceeds());
  Result r = Exec(Path("script"), {"script-argv0", "x"}, {});
  ASSERT_TRUE(WIFEXITED(r.status)) << DescribeStatus(r.status);
  EXPECT_EQ(WEXITSTATUS(r.status), 0);
  // argv: interpreter, its optional argument, the script path, then argv[1..].
  EXPECT_TRUE(r.Has("argc=4")) << r.out;
  EXPECT_TRUE(r.Has("argv[0]=" + helper_)) << r.out;
  EXPECT_TRUE(r.Has("argv[1]=interp-arg")) << r.out;
  EXPECT_TRUE(r.Has("argv[2]=" + Path("script"))) << r.out;
  EXPECT_TRUE(r.Has("argv[3]=x")) << r.out;
}

TEST_F(ExecTest, ShebangWithMissingInterpreterIsEnoent) {
  WriteFile(Path("script"), "#!" + Path("no-such-interp") + "\n", 0755);
  ASSERT_THAT(chmod(Path("script").c_str(), 0755), SyscallSucceeds());
  EXPECT_CHILD_SUCCEEDS([&] {
    char* av[] = {const_cast<char*>("s"), nullptr};
    char* ev[] = {nullptr};
    EXPECT_THAT(execve(Path("script").c_str(), av, ev),
                SyscallFailsWithErrno(ENOENT));
  });
}

// Expects execve(path) to fail with `err` without replacing the process.
void ExpectExecFails(const std::string& path, int err) {
  EXPECT_CHILD_SUCCEEDS([&] {
    // If exec wrongly succeeded, the helper would exit 99.
    char* av[] = {const_cast<char*>("x"), const_cast<char*>("exit"),
                  const_cast<char*>("99"), nullptr};
    char* ev[] = {nullptr};
    EXPECT_THAT(execve(path.c_str(), av, ev), SyscallFailsWithErrno(err));
  });
}

TEST_F(ExecTest, GarbageIsEnoexec) {
  WriteFile(Path("junk"), std::string(256, '\x01'), 0755);
  ASSERT_THAT(chmod(Path("junk").c_str(), 0755), SyscallSucceeds());
  ExpectExecFails(Path("junk"), ENOEXEC);
}

TEST_F(ExecTest, MissingIsEnoent) { ExpectExecFails(Path("missing"), ENOENT); }

TEST_F(ExecTest, NotExecutableIsEacces) {
  // Even root needs at least one execute bit.
  std::string copy = Path("noexec");
  WriteFile(copy, ReadFile(helper_), 0644);
  ASSERT_THAT(chmod(copy.c_str(), 0644), SyscallSucceeds());
  ExpectExecFails(copy, EACCES);
  ExpectExecFails(dir_, EACCES);
}

TEST_F(ExecTest, ExecveatEmptyPath) {
  Fd fd(open(helper_.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    char* av[] = {const_cast<char*>("viafd"), const_cast<char*>("exit"),
                  const_cast<char*>("3"), nullptr};
    char* ev[] = {nullptr};
    syscall(SYS_execveat, fd.get(), "", av, ev, AT_EMPTY_PATH);
    _exit(127);
  }
  close(p[1]);
  std::string out = ReadAll(p[0]);
  close(p[0]);
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3)
      << DescribeStatus(status);
  EXPECT_NE(out.find("argv[0]=viafd"), std::string::npos) << out;
}

TEST_F(ExecTest, BadArgvPointerIsEfault) {
  EXPECT_CHILD_SUCCEEDS([&] {
    char* ev[] = {nullptr};
    EXPECT_THAT(syscall(SYS_execve, helper_.c_str(), 8L, ev),
                SyscallFailsWithErrno(EFAULT));
  });
}

TEST_F(ExecTest, ExecFromSecondThreadKeepsPidAndKillsOthers) {
  // Linux: the exec'ing thread takes over the thread group leader's pid and
  // every other thread is gone.
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    std::string path = helper_;
    std::thread t([&] {
      char* av[] = {const_cast<char*>("from-thread"), nullptr};
      char* ev[] = {const_cast<char*>("CHECK_FD=0"), nullptr};
      execve(path.c_str(), av, ev);
      _exit(127);
    });
    for (;;) pause();  // The main thread never leaves on its own.
  }
  close(p[1]);
  std::string out = ReadAll(p[0]);
  close(p[0]);
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeStatus(status);
  EXPECT_NE(out.find("argv[0]=from-thread\n"), std::string::npos) << out;
  EXPECT_NE(out.find("pid=" + std::to_string(pid) + "\n"), std::string::npos)
      << out;
}

TEST_F(ExecTest, VforkThenExec) {
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  const char* path = helper_.c_str();
  char* av[] = {const_cast<char*>("vforked"), const_cast<char*>("exit"),
                const_cast<char*>("4"), nullptr};
  char* ev[] = {nullptr};
  pid_t pid = vfork();
  if (pid == 0) {
    // Only async-signal-safe calls between vfork and exec.
    dup2(p[1], 1);
    execve(path, av, ev);
    _exit(127);
  }
  ASSERT_THAT(pid, SyscallSucceeds());
  close(p[1]);
  std::string out = ReadAll(p[0]);
  close(p[0]);
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 4)
      << DescribeStatus(status);
  EXPECT_NE(out.find("argv[0]=vforked\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace syscall_test
