// read/write and the vectored and positional variants.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <climits>
#include <string>
#include <vector>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

using ::testing::Eq;

class ReadWriteTest : public TempDirTest {
 protected:
  Fd OpenRw(const std::string& name, int extra = 0) {
    return Fd(open(Path(name).c_str(), O_RDWR | O_CREAT | extra, 0644));
  }
};

TEST_F(ReadWriteTest, WriteThenReadBack) {
  Fd fd = OpenRw("f");
  ASSERT_TRUE(fd.valid());
  EXPECT_THAT(write(fd.get(), "hello", 5), SyscallSucceedsWithValue(5));
  EXPECT_THAT(lseek(fd.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(5));
  ASSERT_THAT(lseek(fd.get(), 0, SEEK_SET), SyscallSucceedsWithValue(0));
  char buf[16] = {};
  EXPECT_THAT(read(fd.get(), buf, sizeof(buf)), SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(buf, 5), "hello");
}

TEST_F(ReadWriteTest, ShortReadAtEofThenZero) {
  WriteFile(Path("f"), "abc");
  Fd fd(open(Path("f").c_str(), O_RDONLY));
  ASSERT_TRUE(fd.valid());
  char buf[10];
  EXPECT_THAT(read(fd.get(), buf, 2), SyscallSucceedsWithValue(2));
  EXPECT_THAT(read(fd.get(), buf, 10), SyscallSucceedsWithValue(1));
  EXPECT_EQ(buf[0], 'c');
  EXPECT_THAT(read(fd.get(), buf, 10), SyscallSucceedsWithValue(0));
  EXPECT_THAT(read(fd.get(), buf, 0), SyscallSucceedsWithValue(0));
}

TEST_F(ReadWriteTest, ReadvWritevScatterGather) {
  Fd fd = OpenRw("f");
  ASSERT_TRUE(fd.valid());
  char a[] = "abc", b[] = "defgh";
  struct iovec out[2] = {{a, 3}, {b, 5}};
  EXPECT_THAT(writev(fd.get(), out, 2), SyscallSucceedsWithValue(8));
  ASSERT_THAT(lseek(fd.get(), 0, SEEK_SET), SyscallSucceeds());
  char x[2], y[10] = {};
  struct iovec in[2] = {{x, 2}, {y, sizeof(y)}};
  EXPECT_THAT(readv(fd.get(), in, 2), SyscallSucceedsWithValue(8));
  EXPECT_EQ(std::string(x, 2), "ab");
  EXPECT_EQ(std::string(y, 6), "cdefgh");
}

TEST_F(ReadWriteTest, PreadPwriteDoNotMoveOffset) {
  Fd fd = OpenRw("f");
  ASSERT_TRUE(fd.valid());
  ASSERT_THAT(write(fd.get(), "0123456789", 10), SyscallSucceeds());
  ASSERT_THAT(lseek(fd.get(), 2, SEEK_SET), SyscallSucceeds());
  EXPECT_THAT(pwrite(fd.get(), "XY", 2, 5), SyscallSucceedsWithValue(2));
  char buf[4] = {};
  EXPECT_THAT(pread(fd.get(), buf, 4, 4), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "4XY7");
  EXPECT_THAT(lseek(fd.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(2));
  // Beyond EOF: pread returns 0, pwrite extends with a hole.
  EXPECT_THAT(pread(fd.get(), buf, 4, 100), SyscallSucceedsWithValue(0));
  EXPECT_THAT(pwrite(fd.get(), "Z", 1, 20), SyscallSucceedsWithValue(1));
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 21);
  EXPECT_THAT(pread(fd.get(), buf, 1, 15), SyscallSucceedsWithValue(1));
  EXPECT_EQ(buf[0], '\0');
}

TEST_F(ReadWriteTest, PreadNegativeOffsetIsEinval) {
  Fd fd = OpenRw("f");
  char c;
  EXPECT_THAT(pread(fd.get(), &c, 1, -1), SyscallFailsWithErrno(EINVAL));
}

TEST_F(ReadWriteTest, Preadv2Pwritev2) {
  Fd fd = OpenRw("f");
  ASSERT_TRUE(fd.valid());
  char a[] = "abcd";
  struct iovec v = {a, 4};
  EXPECT_THAT(syscall(SYS_pwritev2, fd.get(), &v, 1, 3L, 0L, 0),
              SyscallSucceedsWithValue(4));
  char in[8] = {};
  struct iovec r = {in, sizeof(in)};
  EXPECT_THAT(syscall(SYS_preadv2, fd.get(), &r, 1, 2L, 0L, 0),
              SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(in, 5), std::string("\0abcd", 5));
  // The raw ABI passes the offset as two longs (low, high); on x86-64 the
  // low word is the whole offset. Offset -1 means "use and advance the file
  // offset".
  ASSERT_THAT(lseek(fd.get(), 4, SEEK_SET), SyscallSucceeds());
  EXPECT_THAT(syscall(SYS_preadv2, fd.get(), &r, 1, -1L, 0L, 0),
              SyscallSucceedsWithValue(3));
  EXPECT_THAT(lseek(fd.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(7));
  // Unknown flags are rejected.
  EXPECT_THAT(syscall(SYS_preadv2, fd.get(), &r, 1, 0L, 0L, 0x80000000),
              SyscallFailsWithErrno(EOPNOTSUPP));
}

TEST_F(ReadWriteTest, BadFdIsEbadf) {
  char c = 0;
  EXPECT_THAT(read(-1, &c, 1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(write(9999, &c, 1), SyscallFailsWithErrno(EBADF));
  WriteFile(Path("ro"), "x");
  Fd ro(open(Path("ro").c_str(), O_RDONLY));
  EXPECT_THAT(write(ro.get(), &c, 1), SyscallFailsWithErrno(EBADF));
  Fd wo(open(Path("ro").c_str(), O_WRONLY));
  EXPECT_THAT(read(wo.get(), &c, 1), SyscallFailsWithErrno(EBADF));
}

TEST_F(ReadWriteTest, BadBufferIsEfault) {
  WriteFile(Path("f"), "data");
  Fd fd(open(Path("f").c_str(), O_RDWR));
  ASSERT_TRUE(fd.valid());
  // An address that is certainly unmapped: a fresh mapping torn down.
  void* p = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_THAT(munmap(p, 4096), SyscallSucceeds());
  EXPECT_THAT(syscall(SYS_read, fd.get(), p, 4), SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(syscall(SYS_write, fd.get(), p, 4),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(syscall(SYS_read, fd.get(), 1L, 4),
              SyscallFailsWithErrno(EFAULT));
}

TEST_F(ReadWriteTest, ReadDirectoryIsEisdir) {
  Fd fd(open(dir_.c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_TRUE(fd.valid());
  char buf[16];
  EXPECT_THAT(read(fd.get(), buf, sizeof(buf)), SyscallFailsWithErrno(EISDIR));
}

TEST_F(ReadWriteTest, LseekWhence) {
  WriteFile(Path("f"), "0123456789");
  Fd fd(open(Path("f").c_str(), O_RDONLY));
  EXPECT_THAT(lseek(fd.get(), -3, SEEK_END), SyscallSucceedsWithValue(7));
  EXPECT_THAT(lseek(fd.get(), 1, SEEK_CUR), SyscallSucceedsWithValue(8));
  EXPECT_THAT(lseek(fd.get(), -100, SEEK_SET), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(lseek(fd.get(), 0, 42), SyscallFailsWithErrno(EINVAL));
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  EXPECT_THAT(lseek(p[0], 0, SEEK_SET), SyscallFailsWithErrno(ESPIPE));
  close(p[0]);
  close(p[1]);
}

TEST_F(ReadWriteTest, AppendWritesAtEnd) {
  WriteFile(Path("f"), "abc");
  Fd fd(open(Path("f").c_str(), O_RDWR | O_APPEND));
  ASSERT_THAT(lseek(fd.get(), 0, SEEK_SET), SyscallSucceeds());
  EXPECT_THAT(write(fd.get(), "d", 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(ReadFile(Path("f")), "abcd");
}

TEST_F(ReadWriteTest, LargeWriteAndReadRoundTrip) {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  WriteFile(Path("f"), big);
  EXPECT_EQ(ReadFile(Path("f")), big);
}

TEST_F(ReadWriteTest, IovecTooManyIsEinval) {
  Fd fd = OpenRw("f");
  std::vector<struct iovec> v(IOV_MAX + 1, {nullptr, 0});
  EXPECT_THAT(writev(fd.get(), v.data(), v.size()),
              SyscallFailsWithErrno(EINVAL));
}

}  // namespace
}  // namespace syscall_test
