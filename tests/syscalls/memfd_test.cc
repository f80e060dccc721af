// memfd_create: anonymous files, sizes, mapping, /proc link, seals.
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

TEST(MemfdTest, CreateWriteReadMap) {
  Fd fd(memfd_create("test-memfd", MFD_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(fcntl(fd.get(), F_GETFD), FD_CLOEXEC);
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 0);
  ASSERT_THAT(write(fd.get(), "memory", 6), SyscallSucceedsWithValue(6));
  ASSERT_THAT(ftruncate(fd.get(), 4096), SyscallSucceeds());
  char* p = static_cast<char*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(std::string(p, 6), "memory");
  p[0] = 'M';
  char buf[6];
  ASSERT_THAT(pread(fd.get(), buf, 6, 0), SyscallSucceedsWithValue(6));
  EXPECT_EQ(std::string(buf, 6), "Memory");
  munmap(p, 4096);
}

TEST(MemfdTest, ProcLinkNamesIt) {
  Fd fd(memfd_create("named", 0));
  ASSERT_TRUE(fd.valid());
  char buf[PATH_MAX];
  ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd.get())).c_str(),
                       buf, sizeof(buf));
  if (n < 0) GTEST_SKIP() << "no /proc/self/fd";
  EXPECT_EQ(std::string(buf, n).rfind("/memfd:named", 0), 0u)
      << std::string(buf, n);
}

TEST(MemfdTest, SharedWithChild) {
  Fd fd(memfd_create("shared", 0));
  ASSERT_TRUE(fd.valid());
  EXPECT_CHILD_SUCCEEDS([&] {
    EXPECT_THAT(pwrite(fd.get(), "child", 5, 0), SyscallSucceedsWithValue(5));
  });
  char buf[5];
  ASSERT_THAT(pread(fd.get(), buf, 5, 0), SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(buf, 5), "child");
}

TEST(MemfdTest, Seals) {
  Fd fd(memfd_create("sealed", MFD_ALLOW_SEALING));
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(fcntl(fd.get(), F_GET_SEALS), 0);
  ASSERT_THAT(write(fd.get(), "abc", 3), SyscallSucceeds());
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW),
              SyscallSucceeds());
  EXPECT_EQ(fcntl(fd.get(), F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW);
  EXPECT_THAT(ftruncate(fd.get(), 1), SyscallFailsWithErrno(EPERM));
  EXPECT_THAT(ftruncate(fd.get(), 100), SyscallFailsWithErrno(EPERM));
  EXPECT_THAT(pwrite(fd.get(), "abcd", 4, 0), SyscallFailsWithErrno(EPERM));
  EXPECT_THAT(pwrite(fd.get(), "xyz", 3, 0), SyscallSucceedsWithValue(3));
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE), SyscallSucceeds());
  EXPECT_THAT(pwrite(fd.get(), "x", 1, 0), SyscallFailsWithErrno(EPERM));
  EXPECT_EQ(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0),
      MAP_FAILED);
  EXPECT_EQ(errno, EPERM);
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SEAL), SyscallSucceeds());
  EXPECT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK),
              SyscallFailsWithErrno(EPERM));
  // Without MFD_ALLOW_SEALING the file starts sealed against sealing.
  Fd plain(memfd_create("plain", 0));
  EXPECT_EQ(fcntl(plain.get(), F_GET_SEALS), F_SEAL_SEAL);
  EXPECT_THAT(fcntl(plain.get(), F_ADD_SEALS, F_SEAL_WRITE),
              SyscallFailsWithErrno(EPERM));
}

TEST(MemfdTest, Errors) {
  EXPECT_THAT(memfd_create("x", 0x1000), SyscallFailsWithErrno(EINVAL));
  std::string long_name(250, 'n');
  EXPECT_THAT(memfd_create(long_name.c_str(), 0),
              SyscallFailsWithErrno(EINVAL));
}

}  // namespace
}  // namespace syscall_test
