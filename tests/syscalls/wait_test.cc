// wait4 and waitid: status encoding, WNOHANG, stop/continue, ECHILD,
// orphans reparented to a subreaper.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

pid_t ForkExit(int code) {
  pid_t pid = fork();
  if (pid == 0) _exit(code);
  return pid;
}

// A child that blocks in pause() until killed.
pid_t ForkPause() {
  pid_t pid = fork();
  if (pid == 0) {
    for (;;) pause();
  }
  return pid;
}

TEST(WaitTest, ExitStatusEncoding) {
  pid_t pid = ForkExit(42);
  ASSERT_THAT(pid, SyscallSucceeds());
  int status = 0;
  struct rusage ru;
  EXPECT_THAT(wait4(pid, &status, 0, &ru), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 42);
  EXPECT_EQ(status, 42 << 8);
}

TEST(WaitTest, SignalStatusEncoding) {
  pid_t pid = ForkPause();
  ASSERT_THAT(pid, SyscallSucceeds());
  ASSERT_THAT(kill(pid, SIGKILL), SyscallSucceeds());
  int status = 0;
  EXPECT_THAT(wait4(pid, &status, 0, nullptr), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_FALSE(WCOREDUMP(status));
  EXPECT_EQ(status, SIGKILL);
}

TEST(WaitTest, CoreSignalStatus) {
  // SIGQUIT's default action is core. With RLIMIT_CORE 0 the core bit may be
  // clear; the termination signal must still be reported.
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    signal(SIGQUIT, SIG_DFL);
    raise(SIGQUIT);
    _exit(1);
  }
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFSIGNALED(status)) << DescribeStatus(status);
  EXPECT_EQ(WTERMSIG(status), SIGQUIT);
  EXPECT_EQ(status & 0x7f, SIGQUIT);
}

TEST(WaitTest, WnohangReturnsZeroWhileRunning) {
  pid_t pid = ForkPause();
  int status = 0;
  EXPECT_THAT(wait4(pid, &status, WNOHANG, nullptr),
              SyscallSucceedsWithValue(0));
  kill(pid, SIGKILL);
  EXPECT_THAT(wait4(pid, &status, 0, nullptr), SyscallSucceedsWithValue(pid));
}

TEST(WaitTest, NoChildrenIsEchild) {
  int status;
  EXPECT_CHILD_SUCCEEDS([] {
    int s;
    EXPECT_THAT(wait4(-1, &s, 0, nullptr), SyscallFailsWithErrno(ECHILD));
    EXPECT_THAT(wait4(-1, &s, WNOHANG, nullptr), SyscallFailsWithErrno(ECHILD));
    siginfo_t info;
    EXPECT_THAT(waitid(P_ALL, 0, &info, WEXITED),
                SyscallFailsWithErrno(ECHILD));
  });
  // Not our child.
  EXPECT_THAT(wait4(1, &status, WNOHANG, nullptr),
              SyscallFailsWithErrno(ECHILD));
}

TEST(WaitTest, InvalidOptionsIsEinval) {
  int status;
  EXPECT_THAT(wait4(-1, &status, 0x10000000, nullptr),
              SyscallFailsWithErrno(EINVAL));
  siginfo_t info;
  // waitid needs at least one of WEXITED/WSTOPPED/WCONTINUED.
  EXPECT_THAT(waitid(P_ALL, 0, &info, WNOHANG), SyscallFailsWithErrno(EINVAL));
}

TEST(WaitTest, StoppedAndContinued) {
  pid_t pid = ForkPause();
  ASSERT_THAT(kill(pid, SIGSTOP), SyscallSucceeds());
  int status = 0;
  ASSERT_THAT(wait4(pid, &status, WUNTRACED, nullptr),
              SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFSTOPPED(status));
  EXPECT_EQ(WSTOPSIG(status), SIGSTOP);
  EXPECT_EQ(status, (SIGSTOP << 8) | 0x7f);
  ASSERT_THAT(kill(pid, SIGCONT), SyscallSucceeds());
  ASSERT_THAT(wait4(pid, &status, WCONTINUED, nullptr),
              SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFCONTINUED(status));
  EXPECT_EQ(status, 0xffff);
  kill(pid, SIGKILL);
  ASSERT_THAT(wait4(pid, &status, 0, nullptr), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFSIGNALED(status));
}

TEST(WaitTest, WaitidSiginfo) {
  pid_t pid = ForkExit(3);
  siginfo_t info = {};
  ASSERT_THAT(waitid(P_PID, pid, &info, WEXITED), SyscallSucceedsWithValue(0));
  EXPECT_EQ(info.si_signo, SIGCHLD);
  EXPECT_EQ(info.si_code, CLD_EXITED);
  EXPECT_EQ(info.si_pid, pid);
  EXPECT_EQ(info.si_status, 3);
  EXPECT_EQ(info.si_uid, getuid());

  pid = ForkPause();
  kill(pid, SIGTERM);
  ASSERT_THAT(waitid(P_PID, pid, &info, WEXITED), SyscallSucceeds());
  EXPECT_EQ(info.si_code, CLD_KILLED);
  EXPECT_EQ(info.si_status, SIGTERM);
}

TEST(WaitTest, WaitidWnowaitLeavesZombie) {
  pid_t pid = ForkExit(8);
  siginfo_t info = {};
  ASSERT_THAT(waitid(P_PID, pid, &info, WEXITED | WNOWAIT), SyscallSucceeds());
  EXPECT_EQ(info.si_pid, pid);
  int status = 0;
  ASSERT_THAT(wait4(pid, &status, 0, nullptr), SyscallSucceedsWithValue(pid));
  EXPECT_EQ(WEXITSTATUS(status), 8);
}

TEST(WaitTest, WaitidWnohangNothingReady) {
  pid_t pid = ForkPause();
  siginfo_t info;
  info.si_pid = 12345;
  ASSERT_THAT(waitid(P_PID, pid, &info, WEXITED | WNOHANG), SyscallSucceeds());
  EXPECT_EQ(info.si_pid, 0);  // Zeroed when no child was ready.
  kill(pid, SIGKILL);
  WaitPid(pid);
}

TEST(WaitTest, WaitAnyAndProcessGroup) {
  EXPECT_CHILD_SUCCEEDS([] {
    ASSERT_THAT(setpgid(0, 0), SyscallSucceeds());
    pid_t a = ForkExit(1);
    pid_t b = fork();
    if (b == 0) {
      setpgid(0, 0);  // Its own group.
      _exit(2);
    }
    setpgid(b, b);  // Either side may win; both set the same.
    int status;
    // Only `a` is in our group.
    EXPECT_THAT(waitpid(0, &status, 0), SyscallSucceedsWithValue(a));
    EXPECT_THAT(waitpid(-b, &status, 0), SyscallSucceedsWithValue(b));
    EXPECT_EQ(WEXITSTATUS(status), 2);
  });
}

TEST(WaitTest, SubreaperAdoptsOrphans) {
  EXPECT_CHILD_SUCCEEDS([] {
    ASSERT_THAT(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), SyscallSucceeds());
    int flag = 0;
    ASSERT_THAT(prctl(PR_GET_CHILD_SUBREAPER, &flag, 0, 0, 0),
                SyscallSucceeds());
    EXPECT_EQ(flag, 1);
    const pid_t me = getpid();
    int p[2];
    ASSERT_THAT(pipe(p), SyscallSucceeds());
    pid_t mid = fork();
    if (mid == 0) {
      if (fork() == 0) {
        // Wait until the middle process is gone, then report our parent.
        close(p[1]);
        char c;
        while (read(p[0], &c, 1) > 0) {
        }
        _exit(getppid() == me ? 0 : 1);
      }
      _exit(0);
    }
    close(p[0]);
    int status;
    ASSERT_THAT(waitpid(mid, &status, 0), SyscallSucceedsWithValue(mid));
    close(p[1]);  // Now the grandchild sees EOF (the middle one exited).
    pid_t r = wait4(-1, &status, 0, nullptr);
    EXPECT_GT(r, 0);
    EXPECT_NE(r, mid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << DescribeStatus(status);
  });
}

TEST(WaitTest, WaitForThreadGroupMemberNotChildIsEchild) {
  int status;
  EXPECT_THAT(wait4(getpid(), &status, WNOHANG, nullptr),
              SyscallFailsWithErrno(ECHILD));
}

}  // namespace
}  // namespace syscall_test
