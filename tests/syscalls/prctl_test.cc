// prctl: names, parent-death signal, no_new_privs, dumpable, subreaper,
// and arch_prctl for the FS base.
#include <asm/prctl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <thread>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

std::string GetName() {
  char buf[32] = {};
  if (prctl(PR_GET_NAME, buf, 0, 0, 0) != 0) return "";
  return buf;
}

TEST(PrctlTest, SetAndGetName) {
  EXPECT_CHILD_SUCCEEDS([] {
    ASSERT_THAT(prctl(PR_SET_NAME, "testname", 0, 0, 0), SyscallSucceeds());
    EXPECT_EQ(GetName(), "testname");
    // Truncated to 15 characters plus NUL.
    ASSERT_THAT(prctl(PR_SET_NAME, "0123456789abcdefghij", 0, 0, 0),
                SyscallSucceeds());
    EXPECT_EQ(GetName(), "0123456789abcde");
    // Visible in /proc/self/status and /proc/self/comm-like Name: line.
    std::string status = ReadFile("/proc/self/status");
    if (!status.empty()) {
      EXPECT_NE(status.find("Name:\t0123456789abcde\n"), std::string::npos)
          << status;
    }
  });
}

TEST(PrctlTest, NameIsPerThread) {
  EXPECT_CHILD_SUCCEEDS([] {
    ASSERT_THAT(prctl(PR_SET_NAME, "main", 0, 0, 0), SyscallSucceeds());
    std::string in_thread;
    std::thread t([&] {
      prctl(PR_SET_NAME, "worker", 0, 0, 0);
      in_thread = GetName();
    });
    t.join();
    EXPECT_EQ(in_thread, "worker");
    EXPECT_EQ(GetName(), "main");
  });
}

TEST(PrctlTest, ParentDeathSignal) {
  EXPECT_CHILD_SUCCEEDS([] {
    ASSERT_THAT(prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0), SyscallSucceeds());
    int sig = 0;
    ASSERT_THAT(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0), SyscallSucceeds());
    EXPECT_EQ(sig, SIGUSR1);
    EXPECT_THAT(prctl(PR_SET_PDEATHSIG, 999, 0, 0, 0),
                SyscallFailsWithErrno(EINVAL));
    // Cleared in a forked child.
    EXPECT_CHILD_SUCCEEDS([] {
      int s = -1;
      prctl(PR_GET_PDEATHSIG, &s, 0, 0, 0);
      EXPECT_EQ(s, 0);
    });
  });
}

TEST(PrctlTest, ParentDeathSignalDelivered) {
  // Us -> middle -> grandchild(PDEATHSIG=SIGKILL... use SIGUSR2 and a
  // handler-less default: terminate). The grandchild reports through a pipe
  // held by us, as a subreaper so we can reap it.
  EXPECT_CHILD_SUCCEEDS([] {
    ASSERT_THAT(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), SyscallSucceeds());
    int ready[2];
    ASSERT_THAT(pipe(ready), SyscallSucceeds());
    pid_t middle = fork();
    if (middle == 0) {
      pid_t gc = fork();
      if (gc == 0) {
        prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
        write(ready[1], "r", 1);
        for (;;) pause();
      }
      char c;
      read(ready[0], &c, 1);  // The grandchild has set its signal.
      _exit(0);
    }
    close(ready[0]);
    int status;
    ASSERT_EQ(waitpid(middle, &status, 0), middle);
    // The grandchild dies of SIGUSR2 when its parent (middle) exits.
    pid_t r = wait4(-1, &status, 0, nullptr);
    EXPECT_GT(r, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR2)
        << DescribeStatus(status);
  });
}

TEST(PrctlTest, NoNewPrivs) {
  EXPECT_CHILD_SUCCEEDS([] {
    int before = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    ASSERT_THAT(before, SyscallSucceeds());
    ASSERT_THAT(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), SyscallSucceeds());
    EXPECT_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
    // It cannot be unset.
    EXPECT_THAT(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0),
                SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0),
                SyscallFailsWithErrno(EINVAL));
    // Inherited.
    EXPECT_CHILD_SUCCEEDS(
        [] { EXPECT_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1); });
  });
}

TEST(PrctlTest, Dumpable) {
  EXPECT_CHILD_SUCCEEDS([] {
    int d = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    ASSERT_THAT(d, SyscallSucceeds());
    EXPECT_TRUE(d == 0 || d == 1 || d == 2);
    ASSERT_THAT(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), SyscallSucceeds());
    EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
    ASSERT_THAT(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), SyscallSucceeds());
    EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
    EXPECT_THAT(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0),
                SyscallFailsWithErrno(EINVAL));
  });
}

TEST(PrctlTest, UnknownOptionIsEinval) {
  EXPECT_THAT(prctl(0x7fffffff, 0, 0, 0, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(PrctlTest, CapbsetRead) {
  // CAP_CHOWN (0) is in the bounding set of a default root process; the
  // answer is 0 or 1 for a valid capability, EINVAL beyond the last one.
  int r = prctl(PR_CAPBSET_READ, 0, 0, 0, 0);
  EXPECT_TRUE(r == 0 || r == 1);
  EXPECT_THAT(prctl(PR_CAPBSET_READ, 1000, 0, 0, 0),
              SyscallFailsWithErrno(EINVAL));
}

TEST(ArchPrctlTest, GetFsMatchesThreadPointer) {
  uint64_t fs = 0;
  ASSERT_THAT(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), SyscallSucceeds());
  // On x86-64 the TCB's first word points to itself (glibc's tcbhead_t).
  uint64_t self;
  asm volatile("mov %%fs:0, %0" : "=r"(self));
  EXPECT_EQ(fs, self);
  EXPECT_NE(fs, 0u);
  uint64_t gs = 1;
  EXPECT_THAT(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), SyscallSucceeds());
  EXPECT_THAT(syscall(SYS_arch_prctl, 0x9999, &fs),
              SyscallFailsWithErrno(EINVAL));
}

TEST(ArchPrctlTest, SetFsInThread) {
  // Setting FS in a child process (not the test thread, whose TLS glibc needs).
  EXPECT_CHILD_SUCCEEDS([] {
    static uint64_t block[4] = {0, 0xabcdef, 0, 0};
    uint64_t old = 0;
    ASSERT_THAT(syscall(SYS_arch_prctl, ARCH_GET_FS, &old), SyscallSucceeds());
    block[0] = reinterpret_cast<uint64_t>(block);
    long r = syscall(SYS_arch_prctl, ARCH_SET_FS, block);
    uint64_t v;
    asm volatile("mov %%fs:8, %0" : "=r"(v));
    syscall(SYS_arch_prctl, ARCH_SET_FS, old);  // Restore before any libc call.
    EXPECT_EQ(r, 0);
    EXPECT_EQ(v, 0xabcdefu);
  });
}

}  // namespace
}  // namespace syscall_test
