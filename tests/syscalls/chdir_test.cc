// chdir, fchdir, getcwd, relative paths. Every test runs in a child so the
// working directory of the test process never changes.
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

class ChdirTest : public TempDirTest {
 protected:
  // The canonical path of dir_ (TEST_TMPDIR may contain symlinks).
  std::string RealDir() {
    char buf[PATH_MAX];
    return realpath(dir_.c_str(), buf) ? buf : dir_;
  }
};

std::string Cwd() {
  char buf[PATH_MAX];
  return getcwd(buf, sizeof(buf)) ? buf : "";
}

TEST_F(ChdirTest, ChdirAndGetcwd) {
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_THAT(chdir(dir_.c_str()), SyscallSucceeds());
    EXPECT_EQ(Cwd(), RealDir());
    ASSERT_THAT(mkdir("sub", 0755), SyscallSucceeds());
    ASSERT_THAT(chdir("sub"), SyscallSucceeds());
    EXPECT_EQ(Cwd(), RealDir() + "/sub");
    ASSERT_THAT(chdir(".."), SyscallSucceeds());
    EXPECT_EQ(Cwd(), RealDir());
    ASSERT_THAT(chdir("/"), SyscallSucceeds());
    EXPECT_EQ(Cwd(), "/");
    // ".." of the root is the root.
    ASSERT_THAT(chdir(".."), SyscallSucceeds());
    EXPECT_EQ(Cwd(), "/");
  });
}

TEST_F(ChdirTest, ChdirErrors) {
  WriteFile(Path("f"), "");
  EXPECT_THAT(chdir(Path("f").c_str()), SyscallFailsWithErrno(ENOTDIR));
  EXPECT_THAT(chdir(Path("missing").c_str()), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(chdir(""), SyscallFailsWithErrno(ENOENT));
  Fd f(open(Path("f").c_str(), O_RDONLY));
  EXPECT_THAT(fchdir(f.get()), SyscallFailsWithErrno(ENOTDIR));
  EXPECT_THAT(fchdir(-1), SyscallFailsWithErrno(EBADF));
}

TEST_F(ChdirTest, ChdirThroughSymlink) {
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_THAT(mkdir(Path("real").c_str(), 0755), SyscallSucceeds());
    ASSERT_THAT(symlink("real", Path("link").c_str()), SyscallSucceeds());
    ASSERT_THAT(chdir(Path("link").c_str()), SyscallSucceeds());
    // getcwd reports the resolved path.
    EXPECT_EQ(Cwd(), RealDir() + "/real");
  });
}

TEST_F(ChdirTest, Fchdir) {
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
    Fd d(open(Path("d").c_str(), O_RDONLY | O_DIRECTORY));
    ASSERT_THAT(fchdir(d.get()), SyscallSucceeds());
    EXPECT_EQ(Cwd(), RealDir() + "/d");
    // O_PATH descriptors work too.
    Fd p(open(dir_.c_str(), O_PATH | O_DIRECTORY));
    ASSERT_THAT(fchdir(p.get()), SyscallSucceeds());
    EXPECT_EQ(Cwd(), RealDir());
  });
}

TEST_F(ChdirTest, RelativeOpensUseCwd) {
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_THAT(chdir(dir_.c_str()), SyscallSucceeds());
    WriteFile("rel", "relative");
    EXPECT_EQ(ReadFile(Path("rel")), "relative");
    Fd fd(openat(AT_FDCWD, "rel", O_RDONLY));
    EXPECT_TRUE(fd.valid());
    struct stat st;
    EXPECT_THAT(stat("./rel", &st), SyscallSucceeds());
    ASSERT_THAT(mkdir("a", 0755), SyscallSucceeds());
    ASSERT_THAT(chdir("a"), SyscallSucceeds());
    EXPECT_THAT(stat("../rel", &st), SyscallSucceeds());
  });
}

TEST_F(ChdirTest, GetcwdRangeAndFault) {
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_THAT(chdir(dir_.c_str()), SyscallSucceeds());
    const std::string cwd = Cwd();
    char buf[PATH_MAX];
    // The raw syscall returns the length including the NUL.
    EXPECT_THAT(syscall(SYS_getcwd, buf, sizeof(buf)),
                SyscallSucceedsWithValue(cwd.size() + 1));
    EXPECT_THAT(syscall(SYS_getcwd, buf, cwd.size()),
                SyscallFailsWithErrno(ERANGE));
    EXPECT_THAT(syscall(SYS_getcwd, buf, 0), SyscallFailsWithErrno(ERANGE));
    EXPECT_THAT(syscall(SYS_getcwd, buf, cwd.size() + 1),
                SyscallSucceedsWithValue(cwd.size() + 1));
    EXPECT_THAT(syscall(SYS_getcwd, 8L, 100L), SyscallFailsWithErrno(EFAULT));
  });
}

TEST_F(ChdirTest, RemovedCwd) {
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_THAT(mkdir(Path("gone").c_str(), 0755), SyscallSucceeds());
    ASSERT_THAT(chdir(Path("gone").c_str()), SyscallSucceeds());
    ASSERT_THAT(rmdir(Path("gone").c_str()), SyscallSucceeds());
    // The raw getcwd marks an unreachable cwd with "(unreachable)" or
    // fails with ENOENT; glibc's wrapper turns both into ENOENT.
    char buf[PATH_MAX];
    EXPECT_EQ(getcwd(buf, sizeof(buf)), nullptr);
    EXPECT_EQ(errno, ENOENT);
    EXPECT_THAT(open("new", O_CREAT | O_RDWR, 0644),
                SyscallFailsWithErrno(ENOENT));
  });
}

TEST_F(ChdirTest, NoSearchPermissionAsNobody) {
  if (!CanChangeIds()) GTEST_SKIP() << "needs CAP_SETUID/CAP_SETGID";
  ASSERT_THAT(mkdir(Path("closed").c_str(), 0700), SyscallSucceeds());
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_TRUE(DropToNobody());
    EXPECT_THAT(chdir(Path("closed").c_str()), SyscallFailsWithErrno(EACCES));
  });
}

TEST_F(ChdirTest, CwdIsInheritedByChild) {
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_THAT(chdir(dir_.c_str()), SyscallSucceeds());
    const std::string mine = Cwd();
    EXPECT_CHILD_SUCCEEDS([&] { EXPECT_EQ(Cwd(), mine); });
  });
}

}  // namespace
}  // namespace syscall_test
