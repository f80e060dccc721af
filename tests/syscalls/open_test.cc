// open/openat/openat2: flags, modes, umask, path errors.
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

class OpenTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    old_umask_ = umask(022);
  }
  void TearDown() override {
    umask(old_umask_);
    TempDirTest::TearDown();
  }
  mode_t old_umask_ = 0;
};

TEST_F(OpenTest, CreateExcl) {
  int fd = open(Path("f").c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  ASSERT_THAT(fd, SyscallSucceeds());
  close(fd);
  EXPECT_THAT(open(Path("f").c_str(), O_RDWR | O_CREAT | O_EXCL, 0600),
              SyscallFailsWithErrno(EEXIST));
  // O_EXCL|O_CREAT does not follow a symlink, even a dangling one.
  ASSERT_THAT(symlink(Path("nowhere").c_str(), Path("l").c_str()),
              SyscallSucceeds());
  EXPECT_THAT(open(Path("l").c_str(), O_RDWR | O_CREAT | O_EXCL, 0600),
              SyscallFailsWithErrno(EEXIST));
  struct stat st;
  EXPECT_THAT(stat(Path("nowhere").c_str(), &st),
              SyscallFailsWithErrno(ENOENT));
}

TEST_F(OpenTest, MissingWithoutCreatIsEnoent) {
  EXPECT_THAT(open(Path("nope").c_str(), O_RDONLY),
              SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(open(Path("nodir/f").c_str(), O_RDWR | O_CREAT, 0600),
              SyscallFailsWithErrno(ENOENT));
}

TEST_F(OpenTest, Trunc) {
  WriteFile(Path("f"), "some content");
  Fd fd(open(Path("f").c_str(), O_WRONLY | O_TRUNC));
  ASSERT_TRUE(fd.valid());
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 0);
}

TEST_F(OpenTest, AppendAlwaysWritesAtEnd) {
  WriteFile(Path("f"), "12");
  Fd a(open(Path("f").c_str(), O_WRONLY | O_APPEND));
  Fd b(open(Path("f").c_str(), O_WRONLY));
  ASSERT_THAT(write(b.get(), "ab", 2), SyscallSucceeds());
  ASSERT_THAT(write(b.get(), "cd", 2), SyscallSucceeds());
  ASSERT_THAT(write(a.get(), "X", 1), SyscallSucceeds());
  EXPECT_EQ(ReadFile(Path("f")), "abcdX");
  int fl = fcntl(a.get(), F_GETFL);
  EXPECT_TRUE(fl & O_APPEND);
}

TEST_F(OpenTest, DirectoryFlag) {
  WriteFile(Path("f"), "");
  EXPECT_THAT(open(Path("f").c_str(), O_RDONLY | O_DIRECTORY),
              SyscallFailsWithErrno(ENOTDIR));
  Fd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_TRUE(d.valid());
  EXPECT_THAT(open(dir_.c_str(), O_WRONLY), SyscallFailsWithErrno(EISDIR));
  EXPECT_THAT(open(dir_.c_str(), O_RDWR), SyscallFailsWithErrno(EISDIR));
  EXPECT_THAT(open(Path("f/x").c_str(), O_RDONLY),
              SyscallFailsWithErrno(ENOTDIR));
}

TEST_F(OpenTest, NoFollow) {
  WriteFile(Path("f"), "x");
  ASSERT_THAT(symlink("f", Path("l").c_str()), SyscallSucceeds());
  EXPECT_THAT(open(Path("l").c_str(), O_RDONLY | O_NOFOLLOW),
              SyscallFailsWithErrno(ELOOP));
  Fd fd(open(Path("l").c_str(), O_RDONLY));
  EXPECT_TRUE(fd.valid());
  // O_NOFOLLOW only concerns the last component.
  ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
  WriteFile(Path("d/g"), "y");
  ASSERT_THAT(symlink("d", Path("dl").c_str()), SyscallSucceeds());
  Fd g(open(Path("dl/g").c_str(), O_RDONLY | O_NOFOLLOW));
  EXPECT_TRUE(g.valid());
}

TEST_F(OpenTest, PathDescriptor) {
  WriteFile(Path("f"), "content");
  Fd fd(open(Path("f").c_str(), O_PATH));
  ASSERT_TRUE(fd.valid());
  char c;
  EXPECT_THAT(read(fd.get(), &c, 1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(write(fd.get(), "x", 1), SyscallFailsWithErrno(EBADF));
  struct stat st;
  EXPECT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 7);
  // O_PATH|O_NOFOLLOW on a symlink opens the link itself.
  ASSERT_THAT(symlink("f", Path("l").c_str()), SyscallSucceeds());
  Fd l(open(Path("l").c_str(), O_PATH | O_NOFOLLOW));
  ASSERT_TRUE(l.valid());
  ASSERT_THAT(fstatat(l.get(), "", &st, AT_EMPTY_PATH), SyscallSucceeds());
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  // A directory O_PATH descriptor works as a dirfd.
  Fd d(open(dir_.c_str(), O_PATH | O_DIRECTORY));
  Fd viad(openat(d.get(), "f", O_RDONLY));
  EXPECT_TRUE(viad.valid());
}

TEST_F(OpenTest, TmpFile) {
  int fd = open(dir_.c_str(), O_TMPFILE | O_RDWR, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
    GTEST_SKIP() << "O_TMPFILE not supported by the filesystem of " << dir_;
  }
  ASSERT_THAT(fd, SyscallSucceeds());
  Fd f(fd);
  EXPECT_THAT(write(fd, "abc", 3), SyscallSucceedsWithValue(3));
  struct stat st;
  ASSERT_THAT(fstat(fd, &st), SyscallSucceeds());
  EXPECT_EQ(st.st_nlink, 0u);
  // It can be given a name with linkat through /proc/self/fd.
  std::string proc = "/proc/self/fd/" + std::to_string(fd);
  ASSERT_THAT(linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, Path("named").c_str(),
                     AT_SYMLINK_FOLLOW),
              SyscallSucceeds());
  EXPECT_EQ(ReadFile(Path("named")), "abc");
  // O_TMPFILE needs write access.
  EXPECT_THAT(open(dir_.c_str(), O_TMPFILE | O_RDONLY, 0600),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(OpenTest, ModeAndUmask) {
  umask(027);
  Fd fd(open(Path("f").c_str(), O_RDWR | O_CREAT, 0777));
  ASSERT_TRUE(fd.valid());
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  ASSERT_THAT(mkdir(Path("d").c_str(), 0777), SyscallSucceeds());
  ASSERT_THAT(stat(Path("d").c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(umask(022), 027u);
}

TEST_F(OpenTest, CreatReadOnlyModeStillGivesWritableFd) {
  // The mode applies to later opens, not to the creating one.
  Fd fd(open(Path("f").c_str(), O_RDWR | O_CREAT, 0400));
  ASSERT_TRUE(fd.valid());
  EXPECT_THAT(write(fd.get(), "x", 1), SyscallSucceedsWithValue(1));
}

TEST_F(OpenTest, NameTooLong) {
  std::string name(NAME_MAX + 1, 'a');
  EXPECT_THAT(open(Path(name).c_str(), O_RDWR | O_CREAT, 0600),
              SyscallFailsWithErrno(ENAMETOOLONG));
  std::string ok(NAME_MAX, 'b');
  Fd fd(open(Path(ok).c_str(), O_RDWR | O_CREAT, 0600));
  EXPECT_TRUE(fd.valid());
  std::string path(PATH_MAX + 10, 'c');
  EXPECT_THAT(open(path.c_str(), O_RDONLY),
              SyscallFailsWithErrno(ENAMETOOLONG));
}

TEST_F(OpenTest, SymlinkLoopIsEloop) {
  ASSERT_THAT(symlink("b", Path("a").c_str()), SyscallSucceeds());
  ASSERT_THAT(symlink("a", Path("b").c_str()), SyscallSucceeds());
  EXPECT_THAT(open(Path("a").c_str(), O_RDONLY), SyscallFailsWithErrno(ELOOP));
  ASSERT_THAT(symlink("self", Path("self").c_str()), SyscallSucceeds());
  EXPECT_THAT(open(Path("self/x").c_str(), O_RDONLY),
              SyscallFailsWithErrno(ELOOP));
}

TEST_F(OpenTest, OpenatRelativeToDirfd) {
  ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
  Fd d(open(Path("d").c_str(), O_RDONLY | O_DIRECTORY));
  Fd f(openat(d.get(), "x", O_WRONLY | O_CREAT, 0644));
  ASSERT_TRUE(f.valid());
  struct stat st;
  EXPECT_THAT(stat(Path("d/x").c_str(), &st), SyscallSucceeds());
  // A relative path with a non-directory dirfd is ENOTDIR; a bad one EBADF.
  EXPECT_THAT(openat(f.get(), "y", O_RDONLY), SyscallFailsWithErrno(ENOTDIR));
  EXPECT_THAT(openat(12345, "y", O_RDONLY), SyscallFailsWithErrno(EBADF));
  // An absolute path ignores dirfd.
  Fd abs(openat(12345, Path("d/x").c_str(), O_RDONLY));
  EXPECT_TRUE(abs.valid());
}

TEST_F(OpenTest, CloexecFlag) {
  Fd fd(open(dir_.c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(fcntl(fd.get(), F_GETFD), FD_CLOEXEC);
  Fd fd2(open(dir_.c_str(), O_RDONLY));
  EXPECT_EQ(fcntl(fd2.get(), F_GETFD), 0);
}

// openat2 appeared in Linux 5.6. A kernel without it answers ENOSYS; the test
// then skips (our sentry is expected to implement it).
long Openat2(int dirfd, const char* path, struct open_how* how) {
  return syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

TEST_F(OpenTest, Openat2Resolve) {
  struct open_how how = {};
  how.flags = O_RDONLY;
  long fd = Openat2(AT_FDCWD, dir_.c_str(), &how);
  if (fd < 0 && errno == ENOSYS) GTEST_SKIP() << "openat2 not implemented";
  ASSERT_THAT(fd, SyscallSucceeds());
  close(fd);

  ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
  WriteFile(Path("top"), "t");
  WriteFile(Path("d/in"), "i");
  ASSERT_THAT(symlink("in", Path("d/rel").c_str()), SyscallSucceeds());
  ASSERT_THAT(symlink("/", Path("d/abs").c_str()), SyscallSucceeds());
  Fd d(open(Path("d").c_str(), O_PATH | O_DIRECTORY));

  how.resolve = RESOLVE_BENEATH;
  fd = Openat2(d.get(), "in", &how);
  EXPECT_THAT(fd, SyscallSucceeds());
  if (fd >= 0) close(fd);
  EXPECT_THAT(Openat2(d.get(), "../top", &how), SyscallFailsWithErrno(EXDEV));
  EXPECT_THAT(Openat2(d.get(), "abs", &how), SyscallFailsWithErrno(EXDEV));

  how.resolve = RESOLVE_NO_SYMLINKS;
  EXPECT_THAT(Openat2(d.get(), "rel", &how), SyscallFailsWithErrno(ELOOP));

  how.resolve = RESOLVE_IN_ROOT;
  // "/in" is resolved with d as the root.
  fd = Openat2(d.get(), "/in", &how);
  EXPECT_THAT(fd, SyscallSucceeds());
  if (fd >= 0) close(fd);

  // Unknown resolve bits and mode without O_CREAT are EINVAL.
  how.resolve = 1ull << 40;
  EXPECT_THAT(Openat2(d.get(), "in", &how), SyscallFailsWithErrno(EINVAL));
  how.resolve = 0;
  how.mode = 0644;
  EXPECT_THAT(Openat2(d.get(), "in", &how), SyscallFailsWithErrno(EINVAL));
}

TEST_F(OpenTest, CreatOnDirectoryIsEisdir) {
  EXPECT_THAT(open(dir_.c_str(), O_RDWR | O_CREAT, 0600),
              SyscallFailsWithErrno(EISDIR));
}

TEST_F(OpenTest, TrailingSlashOnFileIsEnotdir) {
  WriteFile(Path("f"), "");
  EXPECT_THAT(open((Path("f") + "/").c_str(), O_RDONLY),
              SyscallFailsWithErrno(ENOTDIR));
}

}  // namespace
}  // namespace syscall_test
