// link, symlink, readlink, unlink, rmdir, mkdir, rename, renameat2.
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

class LinkTest : public TempDirTest {
 protected:
  nlink_t Nlink(const std::string& p) {
    struct stat st = {};
    lstat(p.c_str(), &st);
    return st.st_nlink;
  }
  ino_t Ino(const std::string& p) {
    struct stat st = {};
    lstat(p.c_str(), &st);
    return st.st_ino;
  }
  bool Exists(const std::string& p) {
    struct stat st;
    return lstat(p.c_str(), &st) == 0;
  }
};

TEST_F(LinkTest, HardLinkCountsAndSharesData) {
  WriteFile(Path("a"), "data");
  ASSERT_THAT(link(Path("a").c_str(), Path("b").c_str()), SyscallSucceeds());
  EXPECT_EQ(Nlink(Path("a")), 2u);
  EXPECT_EQ(Ino(Path("a")), Ino(Path("b")));
  WriteFile(Path("b"), "changed");
  EXPECT_EQ(ReadFile(Path("a")), "changed");
  ASSERT_THAT(unlink(Path("a").c_str()), SyscallSucceeds());
  EXPECT_EQ(Nlink(Path("b")), 1u);
  EXPECT_EQ(ReadFile(Path("b")), "changed");
}

TEST_F(LinkTest, LinkErrors) {
  WriteFile(Path("a"), "");
  WriteFile(Path("b"), "");
  EXPECT_THAT(link(Path("a").c_str(), Path("b").c_str()),
              SyscallFailsWithErrno(EEXIST));
  EXPECT_THAT(link(Path("missing").c_str(), Path("c").c_str()),
              SyscallFailsWithErrno(ENOENT));
  ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
  EXPECT_THAT(link(Path("d").c_str(), Path("d2").c_str()),
              SyscallFailsWithErrno(EPERM));
}

TEST_F(LinkTest, LinkatSymlinkFollow) {
  WriteFile(Path("target"), "t");
  ASSERT_THAT(symlink("target", Path("sl").c_str()), SyscallSucceeds());
  // Without AT_SYMLINK_FOLLOW the new name is another link to the symlink.
  ASSERT_THAT(
      linkat(AT_FDCWD, Path("sl").c_str(), AT_FDCWD, Path("l1").c_str(), 0),
      SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(lstat(Path("l1").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_THAT(linkat(AT_FDCWD, Path("sl").c_str(), AT_FDCWD, Path("l2").c_str(),
                     AT_SYMLINK_FOLLOW),
              SyscallSucceeds());
  ASSERT_THAT(lstat(Path("l2").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_ino, Ino(Path("target")));
}

TEST_F(LinkTest, SymlinkAndReadlink) {
  ASSERT_THAT(symlink("some/where/else", Path("l").c_str()), SyscallSucceeds());
  char buf[64];
  EXPECT_THAT(readlink(Path("l").c_str(), buf, sizeof(buf)),
              SyscallSucceedsWithValue(15));
  EXPECT_EQ(std::string(buf, 15), "some/where/else");
  // Truncated silently, no NUL added.
  EXPECT_THAT(readlink(Path("l").c_str(), buf, 4), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "some");
  WriteFile(Path("f"), "");
  EXPECT_THAT(readlink(Path("f").c_str(), buf, sizeof(buf)),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(readlink(Path("l").c_str(), buf, 0),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(symlink("x", Path("f").c_str()), SyscallFailsWithErrno(EEXIST));
  EXPECT_THAT(symlink("", Path("empty").c_str()),
              SyscallFailsWithErrno(ENOENT));
  // readlinkat with an empty path on an O_PATH|O_NOFOLLOW fd.
  Fd fd(open(Path("l").c_str(), O_PATH | O_NOFOLLOW));
  EXPECT_THAT(readlinkat(fd.get(), "", buf, sizeof(buf)),
              SyscallSucceedsWithValue(15));
}

TEST_F(LinkTest, UnlinkOpenFileStaysReadable) {
  WriteFile(Path("f"), "still here");
  Fd fd(open(Path("f").c_str(), O_RDWR));
  ASSERT_THAT(unlink(Path("f").c_str()), SyscallSucceeds());
  EXPECT_FALSE(Exists(Path("f")));
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(ReadAll(fd.get()), "still here");
  EXPECT_THAT(write(fd.get(), "!", 1), SyscallSucceedsWithValue(1));
}

TEST_F(LinkTest, UnlinkErrors) {
  ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
  EXPECT_THAT(unlink(Path("d").c_str()), SyscallFailsWithErrno(EISDIR));
  EXPECT_THAT(unlink(Path("missing").c_str()), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(unlinkat(AT_FDCWD, Path("d").c_str(), 0x1234),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(unlinkat(AT_FDCWD, Path("d").c_str(), AT_REMOVEDIR),
              SyscallSucceeds());
  // Unlinking a symlink removes the link, not the target.
  WriteFile(Path("t"), "");
  ASSERT_THAT(symlink("t", Path("l").c_str()), SyscallSucceeds());
  ASSERT_THAT(unlink(Path("l").c_str()), SyscallSucceeds());
  EXPECT_TRUE(Exists(Path("t")));
}

TEST_F(LinkTest, MkdirRmdir) {
  const nlink_t parent_before = Nlink(dir_);
  ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
  EXPECT_EQ(Nlink(dir_), parent_before + 1);
  EXPECT_THAT(mkdir(Path("d").c_str(), 0755), SyscallFailsWithErrno(EEXIST));
  EXPECT_THAT(mkdir(Path("x/y").c_str(), 0755), SyscallFailsWithErrno(ENOENT));
  ASSERT_THAT(mkdir(Path("d/sub").c_str(), 0755), SyscallSucceeds());
  EXPECT_EQ(Nlink(Path("d")), 3u);
  WriteFile(Path("d/file"), "");
  EXPECT_THAT(rmdir(Path("d").c_str()), SyscallFailsWithErrno(ENOTEMPTY));
  ASSERT_THAT(unlink(Path("d/file").c_str()), SyscallSucceeds());
  ASSERT_THAT(rmdir(Path("d/sub").c_str()), SyscallSucceeds());
  EXPECT_EQ(Nlink(Path("d")), 2u);
  ASSERT_THAT(rmdir(Path("d").c_str()), SyscallSucceeds());
  EXPECT_EQ(Nlink(dir_), parent_before);
  WriteFile(Path("f"), "");
  EXPECT_THAT(rmdir(Path("f").c_str()), SyscallFailsWithErrno(ENOTDIR));
  EXPECT_THAT(rmdir((dir_ + "/.").c_str()), SyscallFailsWithErrno(EINVAL));
}

TEST_F(LinkTest, RenameFile) {
  WriteFile(Path("a"), "A");
  ino_t ino = Ino(Path("a"));
  ASSERT_THAT(rename(Path("a").c_str(), Path("b").c_str()), SyscallSucceeds());
  EXPECT_FALSE(Exists(Path("a")));
  EXPECT_EQ(Ino(Path("b")), ino);
  // Over an existing file: replaced atomically.
  WriteFile(Path("c"), "C");
  ASSERT_THAT(rename(Path("c").c_str(), Path("b").c_str()), SyscallSucceeds());
  EXPECT_EQ(ReadFile(Path("b")), "C");
  // Onto itself (same inode): nothing happens.
  ASSERT_THAT(link(Path("b").c_str(), Path("b2").c_str()), SyscallSucceeds());
  ASSERT_THAT(rename(Path("b").c_str(), Path("b2").c_str()), SyscallSucceeds());
  EXPECT_TRUE(Exists(Path("b")));
  EXPECT_THAT(rename(Path("missing").c_str(), Path("x").c_str()),
              SyscallFailsWithErrno(ENOENT));
}

TEST_F(LinkTest, RenameDirectories) {
  ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(mkdir(Path("e").c_str(), 0755), SyscallSucceeds());
  WriteFile(Path("f"), "");
  // A directory over an empty directory is allowed.
  ASSERT_THAT(rename(Path("d").c_str(), Path("e").c_str()), SyscallSucceeds());
  EXPECT_FALSE(Exists(Path("d")));
  ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
  WriteFile(Path("e/x"), "");
  EXPECT_THAT(rename(Path("d").c_str(), Path("e").c_str()),
              SyscallFailsWithErrno(ENOTEMPTY));
  EXPECT_THAT(rename(Path("d").c_str(), Path("f").c_str()),
              SyscallFailsWithErrno(ENOTDIR));
  EXPECT_THAT(rename(Path("f").c_str(), Path("d").c_str()),
              SyscallFailsWithErrno(EISDIR));
  // Into its own subdirectory.
  ASSERT_THAT(mkdir(Path("d/child").c_str(), 0755), SyscallSucceeds());
  EXPECT_THAT(rename(Path("d").c_str(), Path("d/child/d").c_str()),
              SyscallFailsWithErrno(EINVAL));
  // Moving a directory updates ".." and link counts.
  ASSERT_THAT(rename(Path("d/child").c_str(), Path("e/child").c_str()),
              SyscallSucceeds());
  EXPECT_EQ(Nlink(Path("d")), 2u);
  EXPECT_EQ(Nlink(Path("e")), 3u);
  struct stat dotdot;
  ASSERT_THAT(stat(Path("e/child/..").c_str(), &dotdot), SyscallSucceeds());
  EXPECT_EQ(dotdot.st_ino, Ino(Path("e")));
}

long Renameat2(const std::string& a, const std::string& b, unsigned flags) {
  return syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(),
                 flags);
}

TEST_F(LinkTest, RenameNoReplace) {
  WriteFile(Path("a"), "A");
  WriteFile(Path("b"), "B");
  EXPECT_THAT(Renameat2(Path("a"), Path("b"), RENAME_NOREPLACE),
              SyscallFailsWithErrno(EEXIST));
  EXPECT_EQ(ReadFile(Path("b")), "B");
  EXPECT_THAT(Renameat2(Path("a"), Path("c"), RENAME_NOREPLACE),
              SyscallSucceeds());
  EXPECT_EQ(ReadFile(Path("c")), "A");
}

TEST_F(LinkTest, RenameExchange) {
  WriteFile(Path("a"), "A");
  ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(Renameat2(Path("a"), Path("d"), RENAME_EXCHANGE),
              SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(Path("a").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(ReadFile(Path("d")), "A");
  EXPECT_THAT(Renameat2(Path("a"), Path("missing"), RENAME_EXCHANGE),
              SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(
      Renameat2(Path("a"), Path("d"), RENAME_EXCHANGE | RENAME_NOREPLACE),
      SyscallFailsWithErrno(EINVAL));
}

TEST_F(LinkTest, RenameOpenFileKeepsDescriptor) {
  WriteFile(Path("a"), "content");
  Fd fd(open(Path("a").c_str(), O_RDONLY));
  ASSERT_THAT(rename(Path("a").c_str(), Path("b").c_str()), SyscallSucceeds());
  EXPECT_EQ(ReadAll(fd.get()), "content");
}

TEST_F(LinkTest, StickyDirectoryAsNobody) {
  if (!CanChangeIds()) GTEST_SKIP() << "needs CAP_SETUID/CAP_SETGID";
  ASSERT_THAT(mkdir(Path("sticky").c_str(), 01777), SyscallSucceeds());
  ASSERT_THAT(chmod(Path("sticky").c_str(), 01777), SyscallSucceeds());
  WriteFile(Path("sticky/roots"), "");
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_TRUE(DropToNobody());
    // nobody may create its own files but not remove root's.
    WriteFile(Path("sticky/mine"), "");
    EXPECT_THAT(unlink(Path("sticky/mine").c_str()), SyscallSucceeds());
    EXPECT_THAT(unlink(Path("sticky/roots").c_str()),
                SyscallFailsWithErrno(EPERM));
    EXPECT_THAT(rename(Path("sticky/roots").c_str(), Path("sticky/x").c_str()),
                SyscallFailsWithErrno(EPERM));
  });
}

TEST_F(LinkTest, UnlinkInReadOnlyDirAsNobodyIsEacces) {
  if (!CanChangeIds()) GTEST_SKIP() << "needs CAP_SETUID/CAP_SETGID";
  ASSERT_THAT(mkdir(Path("ro").c_str(), 0755), SyscallSucceeds());
  WriteFile(Path("ro/f"), "");
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_TRUE(DropToNobody());
    EXPECT_THAT(unlink(Path("ro/f").c_str()), SyscallFailsWithErrno(EACCES));
    EXPECT_THAT(mkdir(Path("ro/d").c_str(), 0755),
                SyscallFailsWithErrno(EACCES));
  });
}

}  // namespace
}  // namespace syscall_test
