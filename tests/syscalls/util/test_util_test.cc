// Tests of the helpers themselves: the matchers report errno, and a child's
// failed assertion makes RunInChild report failure (so tests can fail).
#include "tests/syscalls/util/test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "gtest/gtest-spi.h"

namespace syscall_test {
namespace {

long FailWith(int err) {
  errno = err;
  return -1;
}

TEST(MatcherTest, SyscallSucceeds) {
  EXPECT_THAT(0, SyscallSucceeds());
  EXPECT_THAT(7L, SyscallSucceedsWithValue(7));
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(FailWith(ENOENT), SyscallSucceeds()),
                          "failed with errno 2");
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(3, SyscallSucceedsWithValue(4)),
                          "returned 3");
}

TEST(MatcherTest, SyscallFailsWithErrno) {
  EXPECT_THAT(FailWith(EBADF), SyscallFailsWithErrno(EBADF));
  EXPECT_NONFATAL_FAILURE(
      EXPECT_THAT(FailWith(EBADF), SyscallFailsWithErrno(ENOENT)),
      "failed with errno 9");
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(0, SyscallFailsWithErrno(ENOENT)),
                          "succeeded with 0");
}

TEST(RunInChildTest, ReportsExitAndSignals) {
  int status = RunInChild([] {});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  printf("(an expected failure inside a child follows)\n");
  status = RunInChild([] { ADD_FAILURE() << "deliberate failure in a child"; });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1)
      << DescribeStatus(status);
  status = RunInChild([] { raise(SIGKILL); });
  EXPECT_EQ(DescribeStatus(status), "killed by signal 9");
}

TEST(RunInChildTest, ChildIgnoresParentsEarlierFailures) {
  EXPECT_NONFATAL_FAILURE(ADD_FAILURE() << "parent", "parent");
  // The failure above was swallowed by the SPI checker; a real one recorded
  // before fork must not make a clean child fail either (checked by the
  // part count logic in RunInChild).
  int status = RunInChild([] {});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

class TempDirFixtureTest : public TempDirTest {};

TEST_F(TempDirFixtureTest, FreshWritableDirectory) {
  struct stat st;
  ASSERT_THAT(stat(dir_.c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(dir_.rfind(TempRoot(), 0), 0u);
  WriteFile(Path("f"), "x");
  EXPECT_EQ(ReadFile(Path("f")), "x");
}

TEST(RemoveTreeTest, RemovesNestedTree) {
  std::string d = MakeTempDir();
  ASSERT_FALSE(d.empty());
  ASSERT_THAT(mkdir((d + "/a").c_str(), 0755), SyscallSucceeds());
  WriteFile(d + "/a/f", "");
  ASSERT_THAT(symlink("/", (d + "/a/l").c_str()), SyscallSucceeds());
  RemoveTree(d);
  struct stat st;
  EXPECT_THAT(lstat(d.c_str(), &st), SyscallFailsWithErrno(ENOENT));
}

}  // namespace
}  // namespace syscall_test
