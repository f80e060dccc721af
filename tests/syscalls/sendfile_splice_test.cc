// sendfile, splice, tee, copy_file_range.
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <string>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

class SpliceTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    data_ = std::string(100000, '\0');
    for (size_t i = 0; i < data_.size(); ++i)
      data_[i] = static_cast<char>('a' + i % 26);
    WriteFile(Path("src"), data_);
  }
  std::string data_;
};

TEST_F(SpliceTest, SendfileFileToFile) {
  Fd in(open(Path("src").c_str(), O_RDONLY));
  Fd out(open(Path("dst").c_str(), O_WRONLY | O_CREAT, 0644));
  size_t done = 0;
  while (done < data_.size()) {
    ssize_t n = sendfile(out.get(), in.get(), nullptr, data_.size() - done);
    ASSERT_THAT(n, SyscallSucceeds());
    ASSERT_GT(n, 0);
    done += n;
  }
  EXPECT_EQ(ReadFile(Path("dst")), data_);
  EXPECT_THAT(lseek(in.get(), 0, SEEK_CUR),
              SyscallSucceedsWithValue(data_.size()));
  EXPECT_THAT(sendfile(out.get(), in.get(), nullptr, 10),
              SyscallSucceedsWithValue(0));
}

TEST_F(SpliceTest, SendfileWithOffsetLeavesFilePosition) {
  Fd in(open(Path("src").c_str(), O_RDONLY));
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  off_t off = 26;
  ASSERT_THAT(sendfile(p[1], in.get(), &off, 5), SyscallSucceedsWithValue(5));
  EXPECT_EQ(off, 31);
  EXPECT_THAT(lseek(in.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(0));
  char buf[5];
  ASSERT_THAT(read(p[0], buf, 5), SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(buf, 5), "abcde");
  close(p[0]);
  close(p[1]);
}

TEST_F(SpliceTest, SendfileToSocket) {
  int sv[2];
  ASSERT_THAT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), SyscallSucceeds());
  Fd a(sv[0]), b(sv[1]);
  Fd in(open(Path("src").c_str(), O_RDONLY));
  ASSERT_THAT(sendfile(a.get(), in.get(), nullptr, 1000),
              SyscallSucceedsWithValue(1000));
  char buf[1000];
  size_t got = 0;
  while (got < 1000) {
    ssize_t n = read(b.get(), buf + got, sizeof(buf) - got);
    ASSERT_GT(n, 0);
    got += n;
  }
  EXPECT_EQ(std::string(buf, 1000), data_.substr(0, 1000));
}

TEST_F(SpliceTest, SendfileErrors) {
  Fd in(open(Path("src").c_str(), O_RDONLY));
  Fd ro(open(Path("src").c_str(), O_RDONLY));
  EXPECT_THAT(sendfile(ro.get(), in.get(), nullptr, 10),
              SyscallFailsWithErrno(EBADF));
  Fd wo(open(Path("dst").c_str(), O_WRONLY | O_CREAT, 0644));
  EXPECT_THAT(sendfile(wo.get(), wo.get(), nullptr, 10),
              SyscallFailsWithErrno(EBADF));
  off_t neg = -1;
  EXPECT_THAT(sendfile(wo.get(), in.get(), &neg, 10),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(SpliceTest, SpliceFileToPipeToFile) {
  Fd in(open(Path("src").c_str(), O_RDONLY));
  Fd out(open(Path("dst").c_str(), O_WRONLY | O_CREAT, 0644));
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  loff_t off_in = 10;
  ASSERT_THAT(splice(in.get(), &off_in, p[1], nullptr, 4096, 0),
              SyscallSucceedsWithValue(4096));
  EXPECT_EQ(off_in, 4106);
  ASSERT_THAT(splice(p[0], nullptr, out.get(), nullptr, 4096, 0),
              SyscallSucceedsWithValue(4096));
  EXPECT_EQ(ReadFile(Path("dst")), data_.substr(10, 4096));
  // Neither end a pipe: EINVAL.
  EXPECT_THAT(splice(in.get(), nullptr, out.get(), nullptr, 10, 0),
              SyscallFailsWithErrno(EINVAL));
  // An offset for a pipe: ESPIPE.
  loff_t o = 0;
  EXPECT_THAT(splice(p[0], &o, out.get(), nullptr, 10, 0),
              SyscallFailsWithErrno(ESPIPE));
  close(p[0]);
  close(p[1]);
}

TEST_F(SpliceTest, SpliceWithoutOffsetAdvancesFilePosition) {
  Fd in(open(Path("src").c_str(), O_RDONLY));
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  ASSERT_THAT(splice(in.get(), nullptr, p[1], nullptr, 100, 0),
              SyscallSucceedsWithValue(100));
  EXPECT_THAT(lseek(in.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(100));
  char buf[100];
  ASSERT_THAT(read(p[0], buf, 100), SyscallSucceedsWithValue(100));
  EXPECT_EQ(std::string(buf, 100), data_.substr(0, 100));
  close(p[0]);
  close(p[1]);
}

TEST_F(SpliceTest, VmspliceFallocateFadvise) {
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  char data[] = "vmsplice!";
  struct iovec iov = {data, 9};
  ASSERT_THAT(vmsplice(p[1], &iov, 1, 0), SyscallSucceedsWithValue(9));
  char buf[9];
  ASSERT_THAT(read(p[0], buf, 9), SyscallSucceedsWithValue(9));
  EXPECT_EQ(std::string(buf, 9), "vmsplice!");
  EXPECT_THAT(syscall(SYS_fadvise64, p[0], 0, 0, POSIX_FADV_NORMAL),
              SyscallFailsWithErrno(ESPIPE));
  close(p[0]);
  close(p[1]);

  Fd f(open(Path("g").c_str(), O_RDWR | O_CREAT, 0644));
  ASSERT_THAT(fallocate(f.get(), 0, 0, 8192), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(fstat(f.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 8192);
  // Never shrinks.
  ASSERT_THAT(fallocate(f.get(), 0, 0, 10), SyscallSucceeds());
  ASSERT_THAT(fstat(f.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 8192);
  EXPECT_THAT(fallocate(f.get(), 0, -1, 10), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(fallocate(f.get(), 0, 0, 0), SyscallFailsWithErrno(EINVAL));
  Fd ro(open(Path("src").c_str(), O_RDONLY));
  EXPECT_THAT(fallocate(ro.get(), 0, 0, 10), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(syscall(SYS_fadvise64, f.get(), 0, 0, POSIX_FADV_SEQUENTIAL),
              SyscallSucceeds());
  EXPECT_THAT(syscall(SYS_fadvise64, f.get(), 0, 0, 99),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(SpliceTest, SpliceNonblockEmptyPipe) {
  int p[2], q[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  ASSERT_THAT(pipe(q), SyscallSucceeds());
  EXPECT_THAT(splice(p[0], nullptr, q[1], nullptr, 10, SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EAGAIN));
  close(p[1]);  // Writer gone: EOF is 0.
  EXPECT_THAT(splice(p[0], nullptr, q[1], nullptr, 10, 0),
              SyscallSucceedsWithValue(0));
  for (int fd : {p[0], q[0], q[1]}) close(fd);
}

TEST_F(SpliceTest, TeeDuplicatesWithoutConsuming) {
  int p[2], q[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  ASSERT_THAT(pipe(q), SyscallSucceeds());
  ASSERT_THAT(write(p[1], "teedata", 7), SyscallSucceeds());
  ASSERT_THAT(tee(p[0], q[1], 100, 0), SyscallSucceedsWithValue(7));
  char buf[7];
  ASSERT_THAT(read(p[0], buf, 7), SyscallSucceedsWithValue(7));
  EXPECT_EQ(std::string(buf, 7), "teedata");
  ASSERT_THAT(read(q[0], buf, 7), SyscallSucceedsWithValue(7));
  EXPECT_EQ(std::string(buf, 7), "teedata");
  Fd f(open(Path("src").c_str(), O_RDONLY));
  EXPECT_THAT(tee(f.get(), q[1], 10, 0), SyscallFailsWithErrno(EINVAL));
  for (int fd : {p[0], p[1], q[0], q[1]}) close(fd);
}

TEST_F(SpliceTest, CopyFileRange) {
  Fd in(open(Path("src").c_str(), O_RDONLY));
  Fd out(open(Path("dst").c_str(), O_WRONLY | O_CREAT, 0644));
  loff_t off_in = 100, off_out = 0;
  ssize_t total = 0;
  while (total < 5000) {
    ssize_t n = copy_file_range(in.get(), &off_in, out.get(), &off_out,
                                5000 - total, 0);
    ASSERT_THAT(n, SyscallSucceeds());
    ASSERT_GT(n, 0);
    total += n;
  }
  EXPECT_EQ(off_in, 5100);
  EXPECT_EQ(ReadFile(Path("dst")), data_.substr(100, 5000));
  EXPECT_THAT(copy_file_range(in.get(), nullptr, out.get(), nullptr, 10, 1),
              SyscallFailsWithErrno(EINVAL));
}

}  // namespace
}  // namespace syscall_test
