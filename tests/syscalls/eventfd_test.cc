// eventfd: counter and semaphore modes, EAGAIN, overflow, flags, polling.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <thread>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

bool Write(int fd, uint64_t v) { return write(fd, &v, sizeof(v)) == sizeof(v); }

TEST(EventfdTest, CounterMode) {
  Fd fd(eventfd(5, EFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(Write(fd.get(), 3));
  uint64_t v = 0;
  ASSERT_THAT(read(fd.get(), &v, sizeof(v)), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 8u);  // The whole count, then reset to zero.
  EXPECT_THAT(read(fd.get(), &v, sizeof(v)), SyscallFailsWithErrno(EAGAIN));
}

TEST(EventfdTest, SemaphoreMode) {
  Fd fd(eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  uint64_t v = 0;
  ASSERT_THAT(read(fd.get(), &v, sizeof(v)), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 1u);
  ASSERT_THAT(read(fd.get(), &v, sizeof(v)), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 1u);
  EXPECT_THAT(read(fd.get(), &v, sizeof(v)), SyscallFailsWithErrno(EAGAIN));
}

TEST(EventfdTest, BadSizesAndValues) {
  Fd fd(eventfd(0, EFD_NONBLOCK));
  char small[4] = {};
  EXPECT_THAT(read(fd.get(), small, 4), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(write(fd.get(), small, 4), SyscallFailsWithErrno(EINVAL));
  uint64_t max = UINT64_MAX;
  EXPECT_THAT(write(fd.get(), &max, 8), SyscallFailsWithErrno(EINVAL));
  // (A buffer larger than 8 bytes is accepted by older kernels and refused
  // by newer ones: not tested.)
  EXPECT_THAT(eventfd(0, 0x12345), SyscallFailsWithErrno(EINVAL));
}

TEST(EventfdTest, OverflowBlocksOrEagain) {
  Fd fd(eventfd(0, EFD_NONBLOCK));
  ASSERT_TRUE(Write(fd.get(), UINT64_MAX - 1));  // The largest count.
  uint64_t one = 1;
  EXPECT_THAT(write(fd.get(), &one, 8), SyscallFailsWithErrno(EAGAIN));
  uint64_t zero = 0;
  EXPECT_THAT(write(fd.get(), &zero, 8), SyscallSucceedsWithValue(8));
  struct pollfd p = {fd.get(), POLLIN | POLLOUT, 0};
  ASSERT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(p.revents, POLLIN);  // Not writable while full.
  uint64_t v;
  ASSERT_THAT(read(fd.get(), &v, 8), SyscallSucceeds());
  EXPECT_EQ(v, UINT64_MAX - 1);
}

TEST(EventfdTest, BlockingReadWokenByWrite) {
  Fd fd(eventfd(0, EFD_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(fcntl(fd.get(), F_GETFD), FD_CLOEXEC);
  std::thread t([&] {
    usleep(10000);
    Write(fd.get(), 7);
  });
  uint64_t v = 0;
  ASSERT_THAT(read(fd.get(), &v, sizeof(v)), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 7u);
  t.join();
}

TEST(EventfdTest, PollReadiness) {
  Fd fd(eventfd(0, EFD_NONBLOCK));
  struct pollfd p = {fd.get(), POLLIN | POLLOUT, 0};
  ASSERT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(p.revents, POLLOUT);
  Write(fd.get(), 1);
  ASSERT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(p.revents, POLLIN | POLLOUT);
}

TEST(EventfdTest, SharedAcrossFork) {
  Fd fd(eventfd(0, 0));
  EXPECT_CHILD_SUCCEEDS([&] { EXPECT_TRUE(Write(fd.get(), 42)); });
  uint64_t v;
  ASSERT_THAT(read(fd.get(), &v, sizeof(v)), SyscallSucceeds());
  EXPECT_EQ(v, 42u);
}

TEST(EventfdTest, RawEventfdSyscall) {
  // The original eventfd(2) syscall takes no flags.
  long fd = syscall(SYS_eventfd, 3);
  ASSERT_THAT(fd, SyscallSucceeds());
  uint64_t v;
  EXPECT_THAT(read(fd, &v, 8), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 3u);
  close(fd);
}

}  // namespace
}  // namespace syscall_test
