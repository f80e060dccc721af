// getrlimit/setrlimit/prlimit64 and their enforcement.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

TEST(RlimitTest, GetAllResources) {
  for (int r = 0; r < RLIM_NLIMITS; ++r) {
    struct rlimit rl;
    EXPECT_THAT(getrlimit(static_cast<__rlimit_resource>(r), &rl),
                SyscallSucceeds())
        << r;
    EXPECT_LE(rl.rlim_cur, rl.rlim_max) << r;
  }
  struct rlimit rl;
  EXPECT_THAT(syscall(SYS_getrlimit, 1000, &rl), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(syscall(SYS_getrlimit, RLIMIT_NOFILE, 8L),
              SyscallFailsWithErrno(EFAULT));
}

TEST(RlimitTest, NofileEnforcedByOpen) {
  EXPECT_CHILD_SUCCEEDS([] {
    struct rlimit rl = {16, 16};
    ASSERT_THAT(setrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
    std::vector<int> fds;
    for (;;) {
      int fd = open("/", O_RDONLY | O_DIRECTORY);
      if (fd < 0) {
        EXPECT_EQ(errno, EMFILE);
        break;
      }
      fds.push_back(fd);
      ASSERT_LT(fd, 16);
    }
    EXPECT_FALSE(fds.empty());
    int p[2];
    EXPECT_THAT(pipe(p), SyscallFailsWithErrno(EMFILE));
    EXPECT_THAT(dup(0), SyscallFailsWithErrno(EMFILE));
    close(fds.back());
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    EXPECT_THAT(fd, SyscallSucceeds());
  });
}

TEST(RlimitTest, LowerSoftThenRaiseBackToHard) {
  EXPECT_CHILD_SUCCEEDS([] {
    struct rlimit rl;
    ASSERT_THAT(getrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
    struct rlimit lower = {64, rl.rlim_max};
    ASSERT_THAT(setrlimit(RLIMIT_NOFILE, &lower), SyscallSucceeds());
    struct rlimit got;
    getrlimit(RLIMIT_NOFILE, &got);
    EXPECT_EQ(got.rlim_cur, 64u);
    EXPECT_EQ(got.rlim_max, rl.rlim_max);
    // Any process may raise its soft limit up to the hard limit.
    ASSERT_THAT(setrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
    // Soft above hard is EINVAL.
    struct rlimit bad = {rl.rlim_max, rl.rlim_max - 1};
    EXPECT_THAT(setrlimit(RLIMIT_NOFILE, &bad), SyscallFailsWithErrno(EINVAL));
  });
}

TEST(RlimitTest, RaisingHardLimitNeedsPrivilege) {
  if (!CanChangeIds()) GTEST_SKIP() << "needs CAP_SETUID/CAP_SETGID";
  EXPECT_CHILD_SUCCEEDS([] {
    struct rlimit rl = {32, 64};
    ASSERT_THAT(setrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
    // Root (CAP_SYS_RESOURCE) may raise it again.
    struct rlimit up = {32, 128};
    if (HaveCapability(24 /* CAP_SYS_RESOURCE */)) {
      EXPECT_THAT(setrlimit(RLIMIT_NOFILE, &up), SyscallSucceeds());
    }
    ASSERT_THAT(setrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
    ASSERT_TRUE(DropToNobody());
    EXPECT_THAT(setrlimit(RLIMIT_NOFILE, &up), SyscallFailsWithErrno(EPERM));
    // Lowering the hard limit is always allowed, and irreversible.
    struct rlimit down = {32, 48};
    EXPECT_THAT(setrlimit(RLIMIT_NOFILE, &down), SyscallSucceeds());
    EXPECT_THAT(setrlimit(RLIMIT_NOFILE, &rl), SyscallFailsWithErrno(EPERM));
  });
}

TEST(RlimitTest, Prlimit64OnSelfAndChild) {
  struct rlimit old;
  ASSERT_THAT(prlimit(0, RLIMIT_CORE, nullptr, &old), SyscallSucceeds());
  struct rlimit cur;
  getrlimit(RLIMIT_CORE, &cur);
  EXPECT_EQ(old.rlim_cur, cur.rlim_cur);
  // Set and get a child's limit.
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    read(p[0], &c, 1);
    struct rlimit mine;
    getrlimit(RLIMIT_NOFILE, &mine);
    _exit(mine.rlim_cur == 77 ? 0 : 1);
  }
  struct rlimit set = {77, 77}, prev;
  EXPECT_THAT(prlimit(pid, RLIMIT_NOFILE, &set, &prev), SyscallSucceeds());
  write(p[1], "go", 1);
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeStatus(status);
  close(p[0]);
  close(p[1]);
  EXPECT_THAT(prlimit(pid, RLIMIT_NOFILE, nullptr, &prev),
              SyscallFailsWithErrno(ESRCH));
}

TEST(RlimitTest, FsizeSendsSigxfsz) {
  std::string dir = MakeTempDir();
  ASSERT_FALSE(dir.empty());
  int status = RunInChild([&] {
    struct rlimit rl = {10, 10};
    setrlimit(RLIMIT_FSIZE, &rl);
    Fd fd(open((dir + "/f").c_str(), O_WRONLY | O_CREAT, 0644));
    // The first write is cut short at the limit; the next one, starting at
    // the limit, raises SIGXFSZ.
    write(fd.get(), "0123456789abc", 13);
    write(fd.get(), "x", 1);
    _exit(0);
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ)
      << DescribeStatus(status);
  EXPECT_CHILD_SUCCEEDS([&] {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {10, 10};
    setrlimit(RLIMIT_FSIZE, &rl);
    Fd fd(open((dir + "/g").c_str(), O_WRONLY | O_CREAT, 0644));
    // A write crossing the limit is cut short; one starting at it is EFBIG.
    EXPECT_THAT(write(fd.get(), "0123456789abc", 13),
                SyscallSucceedsWithValue(10));
    EXPECT_THAT(write(fd.get(), "x", 1), SyscallFailsWithErrno(EFBIG));
  });
  RemoveTree(dir);
}

TEST(RlimitTest, AddressSpaceLimitFailsMmap) {
  EXPECT_CHILD_SUCCEEDS([] {
    struct rlimit rl;
    getrlimit(RLIMIT_AS, &rl);
    struct rlimit small = {1ull << 30, rl.rlim_max};  // 1 GiB.
    ASSERT_THAT(setrlimit(RLIMIT_AS, &small), SyscallSucceeds());
    void* p = mmap(nullptr, 2ull << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    EXPECT_EQ(p, MAP_FAILED);
    EXPECT_EQ(errno, ENOMEM);
  });
}

TEST(RlimitTest, InheritedByChild) {
  EXPECT_CHILD_SUCCEEDS([] {
    struct rlimit rl = {0, 0};
    ASSERT_THAT(setrlimit(RLIMIT_CORE, &rl), SyscallSucceeds());
    EXPECT_CHILD_SUCCEEDS([] {
      struct rlimit got;
      getrlimit(RLIMIT_CORE, &got);
      EXPECT_EQ(got.rlim_max, 0u);
    });
  });
}

}  // namespace
}  // namespace syscall_test
