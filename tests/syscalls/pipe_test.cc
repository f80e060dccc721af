// pipe/pipe2: flags, EOF, EPIPE, non-blocking, PIPE_BUF atomicity, capacity
// (F_GETPIPE_SZ/F_SETPIPE_SZ), FIONREAD.
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

struct Pipe {
  Fd r, w;
};

Pipe MakePipe(int flags = 0) {
  int p[2];
  if (pipe2(p, flags) != 0) return {};
  return {Fd(p[0]), Fd(p[1])};
}

TEST(PipeTest, Pipe2Flags) {
  Pipe a = MakePipe(O_CLOEXEC | O_NONBLOCK);
  ASSERT_TRUE(a.r.valid());
  EXPECT_EQ(fcntl(a.r.get(), F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(fcntl(a.w.get(), F_GETFD), FD_CLOEXEC);
  EXPECT_TRUE(fcntl(a.r.get(), F_GETFL) & O_NONBLOCK);
  EXPECT_EQ(fcntl(a.r.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(fcntl(a.w.get(), F_GETFL) & O_ACCMODE, O_WRONLY);
  Pipe b = MakePipe();
  EXPECT_EQ(fcntl(b.r.get(), F_GETFD), 0);
  EXPECT_FALSE(fcntl(b.r.get(), F_GETFL) & O_NONBLOCK);
  int p[2];
  EXPECT_THAT(pipe2(p, 0x12345678), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(syscall(SYS_pipe2, 8L, 0), SyscallFailsWithErrno(EFAULT));
}

TEST(PipeTest, DataFlowsInOrder) {
  Pipe p = MakePipe();
  ASSERT_THAT(write(p.w.get(), "abc", 3), SyscallSucceedsWithValue(3));
  ASSERT_THAT(write(p.w.get(), "de", 2), SyscallSucceedsWithValue(2));
  char buf[8];
  EXPECT_THAT(read(p.r.get(), buf, 4), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "abcd");
  EXPECT_THAT(read(p.r.get(), buf, 8), SyscallSucceedsWithValue(1));
  EXPECT_EQ(buf[0], 'e');
  // Wrong direction.
  EXPECT_THAT(write(p.r.get(), "x", 1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(read(p.w.get(), buf, 1), SyscallFailsWithErrno(EBADF));
}

TEST(PipeTest, EofWhenWritersClosed) {
  Pipe p = MakePipe();
  ASSERT_THAT(write(p.w.get(), "x", 1), SyscallSucceeds());
  p.w.reset();
  char buf[4];
  EXPECT_THAT(read(p.r.get(), buf, 4), SyscallSucceedsWithValue(1));
  EXPECT_THAT(read(p.r.get(), buf, 4), SyscallSucceedsWithValue(0));
}

TEST(PipeTest, EpipeWhenReadersClosed) {
  EXPECT_CHILD_SUCCEEDS([] {
    signal(SIGPIPE, SIG_IGN);
    Pipe p = MakePipe();
    p.r.reset();
    EXPECT_THAT(write(p.w.get(), "x", 1), SyscallFailsWithErrno(EPIPE));
  });
}

TEST(PipeTest, NonblockingEagain) {
  Pipe p = MakePipe(O_NONBLOCK);
  char c;
  EXPECT_THAT(read(p.r.get(), &c, 1), SyscallFailsWithErrno(EAGAIN));
  // Fill it up.
  std::string chunk(4096, 'f');
  ssize_t total = 0;
  for (;;) {
    ssize_t n = write(p.w.get(), chunk.data(), chunk.size());
    if (n < 0) {
      EXPECT_EQ(errno, EAGAIN);
      break;
    }
    total += n;
  }
  int size = fcntl(p.w.get(), F_GETPIPE_SZ);
  ASSERT_THAT(size, SyscallSucceeds());
  EXPECT_EQ(total, size);
  EXPECT_THAT(write(p.w.get(), "x", 1), SyscallFailsWithErrno(EAGAIN));
}

TEST(PipeTest, PipeSize) {
  Pipe p = MakePipe();
  int size = fcntl(p.w.get(), F_GETPIPE_SZ);
  EXPECT_EQ(size, 65536);  // The Linux default.
  ASSERT_THAT(fcntl(p.w.get(), F_SETPIPE_SZ, 8192), SyscallSucceeds());
  EXPECT_EQ(fcntl(p.r.get(), F_GETPIPE_SZ), 8192);
  // Rounded up to a power-of-two number of pages.
  int r = fcntl(p.w.get(), F_SETPIPE_SZ, 5000);
  ASSERT_THAT(r, SyscallSucceeds());
  EXPECT_EQ(r, 8192);
  // Cannot shrink below what is buffered.
  std::string data(8192, 'd');
  ASSERT_THAT(write(p.w.get(), data.data(), data.size()), SyscallSucceeds());
  EXPECT_THAT(fcntl(p.w.get(), F_SETPIPE_SZ, 4096),
              SyscallFailsWithErrno(EBUSY));
}

TEST(PipeTest, Fionread) {
  Pipe p = MakePipe();
  int n = -1;
  ASSERT_THAT(ioctl(p.r.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 0);
  ASSERT_THAT(write(p.w.get(), "hello", 5), SyscallSucceeds());
  ASSERT_THAT(ioctl(p.r.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 5);
}

TEST(PipeTest, NotATerminal) {
  Pipe p = MakePipe();
  struct termios t;
  EXPECT_THAT(ioctl(p.r.get(), TCGETS, &t), SyscallFailsWithErrno(ENOTTY));
  EXPECT_EQ(isatty(p.r.get()), 0);
}

TEST(PipeTest, WritesUpToPipeBufAreAtomic) {
  // Several writers each write PIPE_BUF-sized records of one letter; the
  // reader must never see a record interleaved with another.
  Pipe p = MakePipe();
  constexpr int kWriters = 4, kRecords = 64;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    if (pid == 0) {
      p.r.reset();
      std::string rec(PIPE_BUF, static_cast<char>('a' + w));
      for (int i = 0; i < kRecords; ++i) {
        if (write(p.w.get(), rec.data(), rec.size()) != PIPE_BUF) _exit(1);
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  p.w.reset();
  std::string all = ReadAll(p.r.get());
  for (pid_t pid : pids) {
    int status = WaitPid(pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  ASSERT_EQ(all.size(), size_t{kWriters * kRecords * PIPE_BUF});
  for (size_t off = 0; off < all.size(); off += PIPE_BUF) {
    std::string rec = all.substr(off, PIPE_BUF);
    ASSERT_EQ(rec.find_first_not_of(rec[0]), std::string::npos)
        << "record at " << off << " is interleaved";
  }
}

TEST(PipeTest, BlockingReadWaitsForWriter) {
  Pipe p = MakePipe();
  pid_t pid = fork();
  if (pid == 0) {
    usleep(20000);
    write(p.w.get(), "late", 4);
    _exit(0);
  }
  char buf[4];
  EXPECT_THAT(read(p.r.get(), buf, 4), SyscallSucceedsWithValue(4));
  WaitPid(pid);
}

TEST(PipeTest, LargeTransferThroughChild) {
  Pipe p = MakePipe();
  const size_t kSize = 1 << 20;
  pid_t pid = fork();
  if (pid == 0) {
    p.r.reset();
    std::string data(kSize, 'L');
    _exit(WriteAll(p.w.get(), data.data(), data.size()) ? 0 : 1);
  }
  p.w.reset();
  std::string got = ReadAll(p.r.get());
  EXPECT_EQ(got.size(), kSize);
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(PipeTest, FstatAndLseek) {
  Pipe p = MakePipe();
  struct stat st;
  ASSERT_THAT(fstat(p.r.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_THAT(lseek(p.r.get(), 0, SEEK_CUR), SyscallFailsWithErrno(ESPIPE));
  char c;
  EXPECT_THAT(pread(p.r.get(), &c, 1, 0), SyscallFailsWithErrno(ESPIPE));
}

class FifoTest : public TempDirTest {};

TEST_F(FifoTest, NamedPipe) {
  ASSERT_THAT(mkfifo(Path("fifo").c_str(), 0600), SyscallSucceeds());
  // O_NONBLOCK write-open with no reader is ENXIO; read-open succeeds.
  EXPECT_THAT(open(Path("fifo").c_str(), O_WRONLY | O_NONBLOCK),
              SyscallFailsWithErrno(ENXIO));
  Fd r(open(Path("fifo").c_str(), O_RDONLY | O_NONBLOCK));
  ASSERT_TRUE(r.valid());
  Fd w(open(Path("fifo").c_str(), O_WRONLY | O_NONBLOCK));
  ASSERT_TRUE(w.valid());
  ASSERT_THAT(write(w.get(), "fifo", 4), SyscallSucceeds());
  char buf[4];
  EXPECT_THAT(read(r.get(), buf, 4), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "fifo");
}

}  // namespace
}  // namespace syscall_test
