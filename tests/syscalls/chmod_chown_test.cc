// chmod/fchmod/fchmodat, chown/fchown/lchown/fchownat, utimensat, truncate,
// access/faccessat: as root and (in forked children) as nobody.
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

class ChmodTest : public TempDirTest {
 protected:
  struct stat Stat(const std::string& p, bool follow = true) {
    struct stat st = {};
    EXPECT_THAT(follow ? stat(p.c_str(), &st) : lstat(p.c_str(), &st),
                SyscallSucceeds());
    return st;
  }
  mode_t Mode(const std::string& p) { return Stat(p).st_mode & 07777; }
};

TEST_F(ChmodTest, ChmodVariants) {
  WriteFile(Path("f"), "");
  ASSERT_THAT(chmod(Path("f").c_str(), 0600), SyscallSucceeds());
  EXPECT_EQ(Mode(Path("f")), 0600u);
  Fd fd(open(Path("f").c_str(), O_RDONLY));
  ASSERT_THAT(fchmod(fd.get(), 0751), SyscallSucceeds());
  EXPECT_EQ(Mode(Path("f")), 0751u);
  Fd d(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(fchmodat(d.get(), "f", 04755, 0), SyscallSucceeds());
  EXPECT_EQ(Mode(Path("f")), 04755u);
  // Only the permission bits are taken.
  ASSERT_THAT(chmod(Path("f").c_str(), 0170644), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(Stat(Path("f")).st_mode));
  EXPECT_EQ(Mode(Path("f")), 0644u);
  EXPECT_THAT(chmod(Path("missing").c_str(), 0644),
              SyscallFailsWithErrno(ENOENT));
  // chmod follows symlinks.
  ASSERT_THAT(symlink("f", Path("l").c_str()), SyscallSucceeds());
  ASSERT_THAT(chmod(Path("l").c_str(), 0600), SyscallSucceeds());
  EXPECT_EQ(Mode(Path("f")), 0600u);
}

TEST_F(ChmodTest, ChmodUpdatesCtime) {
  WriteFile(Path("f"), "");
  struct timespec old[2] = {{100, 0}, {100, 0}};
  ASSERT_THAT(utimensat(AT_FDCWD, Path("f").c_str(), old, 0),
              SyscallSucceeds());
  struct stat before = Stat(Path("f"));
  ASSERT_THAT(chmod(Path("f").c_str(), 0640), SyscallSucceeds());
  struct stat after = Stat(Path("f"));
  EXPECT_EQ(after.st_mtim.tv_sec, 100);  // mtime untouched.
  EXPECT_TRUE(after.st_ctim.tv_sec > before.st_ctim.tv_sec ||
              (after.st_ctim.tv_sec == before.st_ctim.tv_sec &&
               after.st_ctim.tv_nsec >= before.st_ctim.tv_nsec));
}

TEST_F(ChmodTest, ChownAsRoot) {
  if (!HaveCapability(CAP_CHOWN)) GTEST_SKIP() << "needs CAP_CHOWN";
  WriteFile(Path("f"), "");
  ASSERT_THAT(chown(Path("f").c_str(), kNobody, kNobody), SyscallSucceeds());
  EXPECT_EQ(Stat(Path("f")).st_uid, kNobody);
  EXPECT_EQ(Stat(Path("f")).st_gid, kNobody);
  // -1 leaves a field unchanged.
  ASSERT_THAT(chown(Path("f").c_str(), 0, -1), SyscallSucceeds());
  EXPECT_EQ(Stat(Path("f")).st_uid, 0u);
  EXPECT_EQ(Stat(Path("f")).st_gid, kNobody);
  Fd fd(open(Path("f").c_str(), O_RDONLY));
  ASSERT_THAT(fchown(fd.get(), -1, 0), SyscallSucceeds());
  EXPECT_EQ(Stat(Path("f")).st_gid, 0u);
  // lchown changes the link, not its target.
  ASSERT_THAT(symlink("f", Path("l").c_str()), SyscallSucceeds());
  ASSERT_THAT(lchown(Path("l").c_str(), kNobody, kNobody), SyscallSucceeds());
  EXPECT_EQ(Stat(Path("l"), false).st_uid, kNobody);
  EXPECT_EQ(Stat(Path("f")).st_uid, 0u);
  ASSERT_THAT(fchownat(AT_FDCWD, Path("l").c_str(), 0, 0, AT_SYMLINK_NOFOLLOW),
              SyscallSucceeds());
  EXPECT_EQ(Stat(Path("l"), false).st_uid, 0u);
  EXPECT_THAT(fchownat(AT_FDCWD, Path("l").c_str(), 0, 0, 0x4000000),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(ChmodTest, ChownClearsSetuidBits) {
  if (!HaveCapability(CAP_CHOWN)) GTEST_SKIP() << "needs CAP_CHOWN";
  WriteFile(Path("f"), "");
  ASSERT_THAT(chmod(Path("f").c_str(), 06755), SyscallSucceeds());
  ASSERT_THAT(chown(Path("f").c_str(), kNobody, -1), SyscallSucceeds());
  // Linux clears S_ISUID, and S_ISGID when group-exec is set.
  EXPECT_EQ(Mode(Path("f")) & 06000, 0u);
}

TEST_F(ChmodTest, AsNobodyChownAndChmodOfOthersFilesIsEperm) {
  if (!CanChangeIds()) GTEST_SKIP() << "needs CAP_SETUID/CAP_SETGID";
  WriteFile(Path("roots"), "");
  ASSERT_THAT(chmod(Path("roots").c_str(), 0666), SyscallSucceeds());
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_TRUE(DropToNobody());
    EXPECT_THAT(chmod(Path("roots").c_str(), 0777),
                SyscallFailsWithErrno(EPERM));
    EXPECT_THAT(chown(Path("roots").c_str(), kNobody, kNobody),
                SyscallFailsWithErrno(EPERM));
    // Own file: chmod is fine, giving it away is not.
    WriteFile(Path("mine"), "");
    EXPECT_THAT(chmod(Path("mine").c_str(), 0600), SyscallSucceeds());
    EXPECT_THAT(chown(Path("mine").c_str(), 0, -1),
                SyscallFailsWithErrno(EPERM));
    // chown to the same owner is allowed (a no-op).
    EXPECT_THAT(chown(Path("mine").c_str(), kNobody, kNobody),
                SyscallSucceeds());
    // Setting the setgid bit on a file of a group we are not in drops it.
    // (Our gid is nobody's, so it is kept here.)
    EXPECT_THAT(chmod(Path("mine").c_str(), 02755), SyscallSucceeds());
    struct stat st;
    ASSERT_THAT(stat(Path("mine").c_str(), &st), SyscallSucceeds());
    EXPECT_EQ(st.st_mode & 07777, 02755u);
  });
}

TEST_F(ChmodTest, WriteByNonOwnerClearsSetuid) {
  if (!CanChangeIds()) GTEST_SKIP() << "needs CAP_SETUID/CAP_SETGID";
  // A write by a process without CAP_FSETID clears S_ISUID.
  WriteFile(Path("f"), "");
  ASSERT_THAT(chmod(Path("f").c_str(), 04777), SyscallSucceeds());
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_TRUE(DropToNobody());
    Fd fd(open(Path("f").c_str(), O_WRONLY));
    ASSERT_TRUE(fd.valid());
    EXPECT_THAT(write(fd.get(), "x", 1), SyscallSucceeds());
  });
  EXPECT_EQ(Mode(Path("f")) & 04000, 0u);
}

TEST_F(ChmodTest, PermissionChecksAsNobody) {
  if (!CanChangeIds()) GTEST_SKIP() << "needs CAP_SETUID/CAP_SETGID";
  WriteFile(Path("secret"), "s");
  ASSERT_THAT(chmod(Path("secret").c_str(), 0600), SyscallSucceeds());
  WriteFile(Path("public"), "p");
  ASSERT_THAT(chmod(Path("public").c_str(), 0644), SyscallSucceeds());
  // Root bypasses permission bits (CAP_DAC_OVERRIDE).
  EXPECT_EQ(ReadFile(Path("secret")), "s");
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_TRUE(DropToNobody());
    EXPECT_THAT(open(Path("secret").c_str(), O_RDONLY),
                SyscallFailsWithErrno(EACCES));
    EXPECT_THAT(open(Path("public").c_str(), O_WRONLY),
                SyscallFailsWithErrno(EACCES));
    Fd r(open(Path("public").c_str(), O_RDONLY));
    EXPECT_TRUE(r.valid());
    EXPECT_THAT(access(Path("secret").c_str(), R_OK),
                SyscallFailsWithErrno(EACCES));
    EXPECT_THAT(access(Path("public").c_str(), R_OK), SyscallSucceeds());
    EXPECT_THAT(access(Path("public").c_str(), W_OK),
                SyscallFailsWithErrno(EACCES));
    EXPECT_THAT(access(Path("public").c_str(), F_OK), SyscallSucceeds());
    EXPECT_THAT(truncate(Path("public").c_str(), 0),
                SyscallFailsWithErrno(EACCES));
    // utimensat with explicit times needs ownership; UTIME_NOW needs write.
    struct timespec t[2] = {{1, 0}, {1, 0}};
    EXPECT_THAT(utimensat(AT_FDCWD, Path("public").c_str(), t, 0),
                SyscallFailsWithErrno(EPERM));
    EXPECT_THAT(utimensat(AT_FDCWD, Path("public").c_str(), nullptr, 0),
                SyscallFailsWithErrno(EACCES));
  });
}

TEST_F(ChmodTest, AccessUsesRealIds) {
  if (!CanChangeIds()) GTEST_SKIP() << "needs CAP_SETUID/CAP_SETGID";
  WriteFile(Path("secret"), "s");
  ASSERT_THAT(chmod(Path("secret").c_str(), 0600), SyscallSucceeds());
  EXPECT_CHILD_SUCCEEDS([&] {
    // Real uid nobody, effective uid root.
    ASSERT_THAT(setresuid(kNobody, 0, 0), SyscallSucceeds());
    EXPECT_THAT(access(Path("secret").c_str(), R_OK),
                SyscallFailsWithErrno(EACCES));
    EXPECT_THAT(faccessat(AT_FDCWD, Path("secret").c_str(), R_OK, AT_EACCESS),
                SyscallSucceeds());
  });
}

TEST_F(ChmodTest, AccessErrors) {
  EXPECT_THAT(access(Path("missing").c_str(), F_OK),
              SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(access(dir_.c_str(), 0x100), SyscallFailsWithErrno(EINVAL));
  WriteFile(Path("f"), "");
  ASSERT_THAT(chmod(Path("f").c_str(), 0644), SyscallSucceeds());
  // Even root needs an execute bit for X_OK on a regular file.
  EXPECT_THAT(access(Path("f").c_str(), X_OK), SyscallFailsWithErrno(EACCES));
}

TEST_F(ChmodTest, Faccessat2Flags) {
  WriteFile(Path("f"), "");
  ASSERT_THAT(symlink("f", Path("l").c_str()), SyscallSucceeds());
  ASSERT_THAT(symlink("missing", Path("dangling").c_str()), SyscallSucceeds());
  long r = syscall(SYS_faccessat2, AT_FDCWD, Path("f").c_str(), R_OK, 0);
  if (r < 0 && errno == ENOSYS) GTEST_SKIP() << "faccessat2 not implemented";
  EXPECT_THAT(r, SyscallSucceeds());
  // AT_SYMLINK_NOFOLLOW checks the link itself: a dangling one exists.
  EXPECT_THAT(syscall(SYS_faccessat2, AT_FDCWD, Path("dangling").c_str(), F_OK,
                      AT_SYMLINK_NOFOLLOW),
              SyscallSucceeds());
  EXPECT_THAT(
      syscall(SYS_faccessat2, AT_FDCWD, Path("dangling").c_str(), F_OK, 0),
      SyscallFailsWithErrno(ENOENT));
  Fd fd(open(Path("f").c_str(), O_RDONLY));
  EXPECT_THAT(syscall(SYS_faccessat2, fd.get(), "", R_OK, AT_EMPTY_PATH),
              SyscallSucceeds());
  EXPECT_THAT(syscall(SYS_faccessat2, AT_FDCWD, Path("f").c_str(), R_OK, 0x1),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(ChmodTest, UtimensatNowAndOmit) {
  WriteFile(Path("f"), "");
  struct timespec set[2] = {{1000, 500}, {2000, 600}};
  ASSERT_THAT(utimensat(AT_FDCWD, Path("f").c_str(), set, 0),
              SyscallSucceeds());
  struct stat st = Stat(Path("f"));
  EXPECT_EQ(st.st_atim.tv_sec, 1000);
  EXPECT_EQ(st.st_atim.tv_nsec, 500);
  EXPECT_EQ(st.st_mtim.tv_sec, 2000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 600);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct timespec mixed[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  ASSERT_THAT(utimensat(AT_FDCWD, Path("f").c_str(), mixed, 0),
              SyscallSucceeds());
  st = Stat(Path("f"));
  EXPECT_EQ(st.st_atim.tv_sec, 1000);            // Omitted.
  EXPECT_GE(st.st_mtim.tv_sec, now.tv_sec - 1);  // Now (coarse clock).
  // futimens on a descriptor, and AT_SYMLINK_NOFOLLOW on a link.
  Fd fd(open(Path("f").c_str(), O_RDONLY));
  struct timespec t3[2] = {{3000, 0}, {3000, 0}};
  ASSERT_THAT(futimens(fd.get(), t3), SyscallSucceeds());
  EXPECT_EQ(Stat(Path("f")).st_mtim.tv_sec, 3000);
  ASSERT_THAT(symlink("f", Path("l").c_str()), SyscallSucceeds());
  struct timespec t4[2] = {{4000, 0}, {4000, 0}};
  ASSERT_THAT(utimensat(AT_FDCWD, Path("l").c_str(), t4, AT_SYMLINK_NOFOLLOW),
              SyscallSucceeds());
  EXPECT_EQ(Stat(Path("l"), false).st_mtim.tv_sec, 4000);
  EXPECT_EQ(Stat(Path("f")).st_mtim.tv_sec, 3000);
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  EXPECT_THAT(utimensat(AT_FDCWD, Path("f").c_str(), bad, 0),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(ChmodTest, TruncateAndFtruncate) {
  WriteFile(Path("f"), "0123456789");
  ASSERT_THAT(truncate(Path("f").c_str(), 4), SyscallSucceeds());
  EXPECT_EQ(ReadFile(Path("f")), "0123");
  Fd fd(open(Path("f").c_str(), O_RDWR));
  ASSERT_THAT(ftruncate(fd.get(), 8), SyscallSucceeds());
  EXPECT_EQ(ReadFile(Path("f")), std::string("0123\0\0\0\0", 8));
  EXPECT_THAT(ftruncate(fd.get(), -1), SyscallFailsWithErrno(EINVAL));
  Fd ro(open(Path("f").c_str(), O_RDONLY));
  EXPECT_THAT(ftruncate(ro.get(), 0), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(truncate(dir_.c_str(), 0), SyscallFailsWithErrno(EISDIR));
  EXPECT_THAT(truncate(Path("missing").c_str(), 0),
              SyscallFailsWithErrno(ENOENT));
  // The file offset is not changed by truncation.
  ASSERT_THAT(lseek(fd.get(), 6, SEEK_SET), SyscallSucceeds());
  ASSERT_THAT(ftruncate(fd.get(), 2), SyscallSucceeds());
  EXPECT_THAT(lseek(fd.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(6));
}

TEST_F(ChmodTest, NewFileGroupFromSetgidDirectory) {
  if (!HaveCapability(CAP_CHOWN)) GTEST_SKIP() << "needs CAP_CHOWN";
  ASSERT_THAT(mkdir(Path("sg").c_str(), 0777), SyscallSucceeds());
  ASSERT_THAT(chown(Path("sg").c_str(), 0, kNobody), SyscallSucceeds());
  ASSERT_THAT(chmod(Path("sg").c_str(), 02777), SyscallSucceeds());
  WriteFile(Path("sg/f"), "");
  EXPECT_EQ(Stat(Path("sg/f")).st_gid, kNobody);
  ASSERT_THAT(mkdir(Path("sg/d").c_str(), 0755), SyscallSucceeds());
  EXPECT_EQ(Stat(Path("sg/d")).st_gid, kNobody);
  EXPECT_TRUE(Stat(Path("sg/d")).st_mode & S_ISGID);
}

}  // namespace
}  // namespace syscall_test
