// stat, lstat, fstat, fstatat, statx.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

class StatTest : public TempDirTest {};

TEST_F(StatTest, RegularFileFields) {
  WriteFile(Path("f"), "12345", 0640);
  ASSERT_THAT(chmod(Path("f").c_str(), 0640), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(Path("f").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_size, 5);
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_GT(st.st_blksize, 0);
  EXPECT_NE(st.st_ino, 0u);
  EXPECT_GT(st.st_mtim.tv_sec, 0);
}

TEST_F(StatTest, DirectoryFields) {
  ASSERT_THAT(mkdir(Path("d").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(mkdir(Path("d/sub").c_str(), 0755), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(Path("d").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  // Some filesystems report 1 for directories; Linux tmpfs/ext4 count links.
  EXPECT_TRUE(st.st_nlink == 3u || st.st_nlink == 1u) << st.st_nlink;
}

TEST_F(StatTest, LstatSeesSymlink) {
  WriteFile(Path("f"), "abc");
  ASSERT_THAT(symlink("f", Path("l").c_str()), SyscallSucceeds());
  struct stat st, lst;
  ASSERT_THAT(stat(Path("l").c_str(), &st), SyscallSucceeds());
  ASSERT_THAT(lstat(Path("l").c_str(), &lst), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_TRUE(S_ISLNK(lst.st_mode));
  EXPECT_EQ(lst.st_size, 1);  // Length of the target "f".
  EXPECT_NE(st.st_ino, lst.st_ino);
}

TEST_F(StatTest, FstatMatchesStat) {
  WriteFile(Path("f"), "abc");
  Fd fd(open(Path("f").c_str(), O_RDONLY));
  struct stat a, b;
  ASSERT_THAT(fstat(fd.get(), &a), SyscallSucceeds());
  ASSERT_THAT(stat(Path("f").c_str(), &b), SyscallSucceeds());
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_dev, b.st_dev);
  EXPECT_EQ(a.st_size, b.st_size);
  EXPECT_THAT(fstat(-1, &a), SyscallFailsWithErrno(EBADF));
}

TEST_F(StatTest, FstatatEmptyPathAndNoFollow) {
  WriteFile(Path("f"), "abc");
  ASSERT_THAT(symlink("f", Path("l").c_str()), SyscallSucceeds());
  Fd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  struct stat st;
  ASSERT_THAT(fstatat(d.get(), "l", &st, AT_SYMLINK_NOFOLLOW),
              SyscallSucceeds());
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_THAT(fstatat(d.get(), "l", &st, 0), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  Fd f(open(Path("f").c_str(), O_RDONLY));
  ASSERT_THAT(fstatat(f.get(), "", &st, AT_EMPTY_PATH), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 3);
  EXPECT_THAT(fstatat(f.get(), "", &st, 0), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(fstatat(d.get(), "l", &st, 0x40000000),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(StatTest, Errors) {
  struct stat st;
  EXPECT_THAT(stat(Path("missing").c_str(), &st),
              SyscallFailsWithErrno(ENOENT));
  WriteFile(Path("f"), "");
  EXPECT_THAT(stat(Path("f/x").c_str(), &st), SyscallFailsWithErrno(ENOTDIR));
  EXPECT_THAT(syscall(SYS_stat, Path("f").c_str(), 8L),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(stat("", &st), SyscallFailsWithErrno(ENOENT));
}

TEST_F(StatTest, SizeAndTimesFollowWrites) {
  WriteFile(Path("f"), "");
  struct timespec old[2] = {{1000, 0}, {2000, 0}};
  ASSERT_THAT(utimensat(AT_FDCWD, Path("f").c_str(), old, 0),
              SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(Path("f").c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_atim.tv_sec, 1000);
  EXPECT_EQ(st.st_mtim.tv_sec, 2000);
  Fd fd(open(Path("f").c_str(), O_WRONLY));
  ASSERT_THAT(write(fd.get(), "hello", 5), SyscallSucceeds());
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 5);
  EXPECT_GT(st.st_mtim.tv_sec, 2000);
  EXPECT_GT(st.st_ctim.tv_sec, 2000);
}

TEST_F(StatTest, NlinkCountsHardLinks) {
  WriteFile(Path("f"), "");
  ASSERT_THAT(link(Path("f").c_str(), Path("g").c_str()), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(Path("f").c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_nlink, 2u);
}

long Statx(int dirfd, const char* path, int flags, unsigned mask,
           struct statx* stx) {
  return syscall(SYS_statx, dirfd, path, flags, mask, stx);
}

TEST_F(StatTest, StatxBasic) {
  WriteFile(Path("f"), "0123456789");
  struct statx stx = {};
  ASSERT_THAT(Statx(AT_FDCWD, Path("f").c_str(), 0, STATX_BASIC_STATS, &stx),
              SyscallSucceeds());
  EXPECT_EQ(stx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
  EXPECT_EQ(stx.stx_size, 10u);
  EXPECT_TRUE(S_ISREG(stx.stx_mode));
  EXPECT_EQ(stx.stx_nlink, 1u);
  struct stat st;
  ASSERT_THAT(stat(Path("f").c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(stx.stx_ino, st.st_ino);
  EXPECT_EQ(makedev(stx.stx_dev_major, stx.stx_dev_minor), st.st_dev);
  EXPECT_EQ(stx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
  EXPECT_EQ(stx.stx_mtime.tv_nsec, static_cast<uint32_t>(st.st_mtim.tv_nsec));
}

// Debian's ls calls statx(AT_FDCWD, name, AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT,
// STATX_MODE|...) on every entry.
TEST_F(StatTest, StatxLsFlags) {
  WriteFile(Path("f"), "x");
  ASSERT_THAT(symlink("f", Path("l").c_str()), SyscallSucceeds());
  struct statx stx = {};
  const unsigned mask = STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID |
                        STATX_SIZE | STATX_MTIME | STATX_BLOCKS;
  ASSERT_THAT(Statx(AT_FDCWD, Path("l").c_str(),
                    AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, mask, &stx),
              SyscallSucceeds());
  EXPECT_TRUE(S_ISLNK(stx.stx_mode));
  EXPECT_EQ(stx.stx_size, 1u);
  ASSERT_THAT(Statx(AT_FDCWD, Path("l").c_str(), AT_NO_AUTOMOUNT, mask, &stx),
              SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(stx.stx_mode));
  ASSERT_THAT(Statx(AT_FDCWD, dir_.c_str(),
                    AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, mask, &stx),
              SyscallSucceeds());
  EXPECT_TRUE(S_ISDIR(stx.stx_mode));
}

TEST_F(StatTest, StatxEmptyPathAndErrors) {
  WriteFile(Path("f"), "abc");
  Fd fd(open(Path("f").c_str(), O_RDONLY));
  struct statx stx = {};
  ASSERT_THAT(Statx(fd.get(), "", AT_EMPTY_PATH, STATX_SIZE, &stx),
              SyscallSucceeds());
  EXPECT_EQ(stx.stx_size, 3u);
  EXPECT_THAT(Statx(AT_FDCWD, Path("missing").c_str(), 0, STATX_ALL, &stx),
              SyscallFailsWithErrno(ENOENT));
  // The reserved mask bit is rejected.
  EXPECT_THAT(Statx(AT_FDCWD, Path("f").c_str(), 0, 0x80000000u, &stx),
              SyscallFailsWithErrno(EINVAL));
  // Conflicting sync flags are rejected.
  EXPECT_THAT(Statx(AT_FDCWD, Path("f").c_str(),
                    AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_ALL, &stx),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(StatTest, FifoAndSymlinkTypes) {
  ASSERT_THAT(mkfifo(Path("p").c_str(), 0600), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(Path("p").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  ASSERT_THAT(fstat(p[0], &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  close(p[0]);
  close(p[1]);
}

TEST_F(StatTest, DevNull) {
  struct stat st;
  if (stat("/dev/null", &st) != 0) GTEST_SKIP() << "no /dev/null";
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(major(st.st_rdev), 1u);
  EXPECT_EQ(minor(st.st_rdev), 3u);
}

TEST_F(StatTest, Statfs) {
  struct statfs a, b;
  ASSERT_THAT(statfs(dir_.c_str(), &a), SyscallSucceeds());
  EXPECT_GT(a.f_bsize, 0);
  EXPECT_NE(a.f_type, 0);
  EXPECT_GT(a.f_namelen, 0);
  EXPECT_LE(a.f_bfree, a.f_blocks);
  Fd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(fstatfs(d.get(), &b), SyscallSucceeds());
  EXPECT_EQ(a.f_type, b.f_type);
  EXPECT_THAT(statfs(Path("missing").c_str(), &a),
              SyscallFailsWithErrno(ENOENT));
  // /proc is a procfs.
  if (statfs("/proc", &a) == 0) {
    EXPECT_EQ(a.f_type, 0x9fa0);  // PROC_SUPER_MAGIC
  }
}

}  // namespace
}  // namespace syscall_test
