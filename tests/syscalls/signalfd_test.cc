// signalfd: reading blocked signals as records, masks, updates, polling.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

sigset_t SetOf(int a, int b = 0) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, a);
  if (b) sigaddset(&s, b);
  return s;
}

TEST(SignalfdTest, ReadsBlockedSignal) {
  EXPECT_CHILD_SUCCEEDS([] {
    sigset_t s = SetOf(SIGUSR1);
    ASSERT_THAT(sigprocmask(SIG_BLOCK, &s, nullptr), SyscallSucceeds());
    Fd fd(signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    struct signalfd_siginfo info;
    EXPECT_THAT(read(fd.get(), &info, sizeof(info)),
                SyscallFailsWithErrno(EAGAIN));
    union sigval v;
    v.sival_int = 99;
    ASSERT_THAT(sigqueue(getpid(), SIGUSR1, v), SyscallSucceeds());
    ASSERT_THAT(read(fd.get(), &info, sizeof(info)),
                SyscallSucceedsWithValue(sizeof(info)));
    EXPECT_EQ(info.ssi_signo, static_cast<uint32_t>(SIGUSR1));
    EXPECT_EQ(info.ssi_code, SI_QUEUE);
    EXPECT_EQ(info.ssi_pid, static_cast<uint32_t>(getpid()));
    EXPECT_EQ(info.ssi_int, 99);
    // Consumed.
    sigset_t pending;
    sigpending(&pending);
    EXPECT_FALSE(sigismember(&pending, SIGUSR1));
    char small[8];
    EXPECT_THAT(read(fd.get(), small, sizeof(small)),
                SyscallFailsWithErrno(EINVAL));
  });
}

TEST(SignalfdTest, MaskSelectsAndUpdates) {
  EXPECT_CHILD_SUCCEEDS([] {
    sigset_t both = SetOf(SIGUSR1, SIGUSR2);
    sigprocmask(SIG_BLOCK, &both, nullptr);
    sigset_t one = SetOf(SIGUSR1);
    Fd fd(signalfd(-1, &one, SFD_NONBLOCK));
    ASSERT_TRUE(fd.valid());
    kill(getpid(), SIGUSR2);
    struct signalfd_siginfo info;
    EXPECT_THAT(read(fd.get(), &info, sizeof(info)),
                SyscallFailsWithErrno(EAGAIN));
    // Update the mask of the existing descriptor.
    sigset_t two = SetOf(SIGUSR2);
    ASSERT_THAT(signalfd(fd.get(), &two, 0),
                SyscallSucceedsWithValue(fd.get()));
    ASSERT_THAT(read(fd.get(), &info, sizeof(info)), SyscallSucceeds());
    EXPECT_EQ(info.ssi_signo, static_cast<uint32_t>(SIGUSR2));
    EXPECT_EQ(info.ssi_code, SI_USER);
  });
}

TEST(SignalfdTest, PollAndMultipleRecords) {
  EXPECT_CHILD_SUCCEEDS([] {
    sigset_t s = SetOf(SIGRTMIN);
    sigprocmask(SIG_BLOCK, &s, nullptr);
    Fd fd(signalfd(-1, &s, SFD_NONBLOCK));
    struct pollfd p = {fd.get(), POLLIN, 0};
    EXPECT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(0));
    union sigval v;
    for (int i = 0; i < 3; ++i) {
      v.sival_int = i;
      sigqueue(getpid(), SIGRTMIN, v);
    }
    EXPECT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(1));
    struct signalfd_siginfo infos[4];
    // Real-time signals queue: one read returns all three, in order.
    ASSERT_THAT(read(fd.get(), infos, sizeof(infos)),
                SyscallSucceedsWithValue(3 * sizeof(struct signalfd_siginfo)));
    for (int i = 0; i < 3; ++i) EXPECT_EQ(infos[i].ssi_int, i);
  });
}

TEST(SignalfdTest, FromChildAndErrors) {
  EXPECT_CHILD_SUCCEEDS([] {
    sigset_t s = SetOf(SIGCHLD);
    sigprocmask(SIG_BLOCK, &s, nullptr);
    Fd fd(signalfd(-1, &s, 0));  // Blocking.
    pid_t pid = fork();
    if (pid == 0) _exit(5);
    struct signalfd_siginfo info;
    ASSERT_THAT(read(fd.get(), &info, sizeof(info)), SyscallSucceeds());
    EXPECT_EQ(info.ssi_signo, static_cast<uint32_t>(SIGCHLD));
    EXPECT_EQ(info.ssi_code, CLD_EXITED);
    EXPECT_EQ(info.ssi_pid, static_cast<uint32_t>(pid));
    EXPECT_EQ(info.ssi_status, 5);
    WaitPid(pid);
    EXPECT_THAT(signalfd(-1, &s, 0x1234), SyscallFailsWithErrno(EINVAL));
    int p[2];
    ASSERT_THAT(pipe(p), SyscallSucceeds());
    EXPECT_THAT(signalfd(p[0], &s, 0), SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(syscall(SYS_signalfd4, -1, &s, 4, 0),
                SyscallFailsWithErrno(EINVAL));
  });
}

}  // namespace
}  // namespace syscall_test
