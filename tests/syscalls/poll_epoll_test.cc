// poll, ppoll, select, pselect6, epoll (create1/ctl/wait/pwait), with pipes
// and eventfds: readiness, zero timeouts, EPOLLET, EPOLLONESHOT, hang-ups.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <thread>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

struct Pipe {
  Fd r, w;
};
Pipe MakePipe() {
  int p[2];
  if (pipe2(p, O_NONBLOCK) != 0) return {};
  return {Fd(p[0]), Fd(p[1])};
}

TEST(PollTest, ReadinessOfPipeEnds) {
  Pipe p = MakePipe();
  struct pollfd fds[2] = {{p.r.get(), POLLIN, 0}, {p.w.get(), POLLOUT, 0}};
  EXPECT_THAT(poll(fds, 2, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(fds[0].revents, 0);
  EXPECT_EQ(fds[1].revents, POLLOUT);
  ASSERT_THAT(write(p.w.get(), "x", 1), SyscallSucceeds());
  EXPECT_THAT(poll(fds, 2, 0), SyscallSucceedsWithValue(2));
  EXPECT_EQ(fds[0].revents, POLLIN);
}

TEST(PollTest, HangupAndInvalid) {
  Pipe p = MakePipe();
  p.w.reset();
  struct pollfd fds[2] = {{p.r.get(), POLLIN, 0}, {9999, POLLIN, 0}};
  EXPECT_THAT(poll(fds, 2, 0), SyscallSucceedsWithValue(2));
  EXPECT_TRUE(fds[0].revents & POLLHUP);
  EXPECT_EQ(fds[1].revents, POLLNVAL);
  // Negative fds are ignored.
  struct pollfd neg = {-1, POLLIN, 123};
  EXPECT_THAT(poll(&neg, 1, 0), SyscallSucceedsWithValue(0));
  EXPECT_EQ(neg.revents, 0);
}

TEST(PollTest, WriterHangupReportsPollerr) {
  Pipe p = MakePipe();
  p.r.reset();
  struct pollfd fd = {p.w.get(), POLLOUT, 0};
  EXPECT_THAT(poll(&fd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(fd.revents & POLLERR);
}

TEST(PollTest, TimeoutWithNothingReady) {
  Pipe p = MakePipe();
  struct pollfd fd = {p.r.get(), POLLIN, 0};
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  EXPECT_THAT(poll(&fd, 1, 20), SyscallSucceedsWithValue(0));
  clock_gettime(CLOCK_MONOTONIC, &b);
  EXPECT_GE((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000,
            19);
}

TEST(PollTest, BlockingPollWokenByWriter) {
  Pipe p = MakePipe();
  std::thread t([&] {
    usleep(10000);
    write(p.w.get(), "x", 1);
  });
  struct pollfd fd = {p.r.get(), POLLIN, 0};
  EXPECT_THAT(poll(&fd, 1, 30000), SyscallSucceedsWithValue(1));
  EXPECT_EQ(fd.revents, POLLIN);
  t.join();
}

TEST(PollTest, PpollWithSigmask) {
  EXPECT_CHILD_SUCCEEDS([] {
    signal(SIGUSR1, [](int) {});
    sigset_t block, none;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, nullptr);
    kill(getpid(), SIGUSR1);  // Pending; ppoll's mask unblocks it.
    sigemptyset(&none);
    Pipe p = MakePipe();
    struct pollfd fd = {p.r.get(), POLLIN, 0};
    struct timespec guard = {30, 0};
    EXPECT_THAT(ppoll(&fd, 1, &guard, &none), SyscallFailsWithErrno(EINTR));
    // The original mask is restored.
    sigset_t cur;
    sigprocmask(SIG_BLOCK, nullptr, &cur);
    EXPECT_TRUE(sigismember(&cur, SIGUSR1));
    struct timespec zero = {0, 0};
    EXPECT_THAT(ppoll(&fd, 1, &zero, nullptr), SyscallSucceedsWithValue(0));
  });
}

TEST(PollTest, OPathDescriptorIsInvalid) {
  Fd path(open(TempRoot().c_str(), O_PATH | O_DIRECTORY));
  ASSERT_TRUE(path.valid());
  struct pollfd fd = {path.get(), POLLIN, 0};
  EXPECT_THAT(poll(&fd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(fd.revents, POLLNVAL);
}

TEST(PollTest, InterruptedByHandlerReturnsEintr) {
  EXPECT_CHILD_SUCCEEDS([] {
    struct sigaction sa = {};
    sa.sa_handler = [](int) {};
    sigaction(SIGUSR1, &sa, nullptr);  // no SA_RESTART
    Pipe p = MakePipe();
    std::thread t([] {
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, SIGUSR1);
      pthread_sigmask(SIG_BLOCK, &s, nullptr);  // the poller takes it
      usleep(10000);
      kill(getpid(), SIGUSR1);
    });
    struct pollfd fd = {p.r.get(), POLLIN, 0};
    EXPECT_THAT(poll(&fd, 1, -1), SyscallFailsWithErrno(EINTR));
    t.join();
  });
}

TEST(SelectTest, ReadWriteSets) {
  Pipe p = MakePipe();
  fd_set rd, wr;
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_SET(p.r.get(), &rd);
  FD_SET(p.w.get(), &wr);
  struct timeval zero = {0, 0};
  int nfds = std::max(p.r.get(), p.w.get()) + 1;
  EXPECT_THAT(select(nfds, &rd, &wr, nullptr, &zero),
              SyscallSucceedsWithValue(1));
  EXPECT_FALSE(FD_ISSET(p.r.get(), &rd));
  EXPECT_TRUE(FD_ISSET(p.w.get(), &wr));
  write(p.w.get(), "x", 1);
  FD_SET(p.r.get(), &rd);
  zero = {0, 0};
  EXPECT_THAT(select(nfds, &rd, nullptr, nullptr, &zero),
              SyscallSucceedsWithValue(1));
  EXPECT_TRUE(FD_ISSET(p.r.get(), &rd));
  // A closed descriptor (below the table size) in a set is EBADF; negative
  // nfds is EINVAL.
  int closed = dup(p.r.get());
  close(closed);
  fd_set bad;
  FD_ZERO(&bad);
  FD_SET(closed, &bad);
  zero = {0, 0};
  EXPECT_THAT(select(closed + 1, &bad, nullptr, nullptr, &zero),
              SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(syscall(SYS_select, -1, nullptr, nullptr, nullptr, &zero),
              SyscallFailsWithErrno(EINVAL));
}

TEST(SelectTest, TimeoutIsUpdated) {
  Pipe p = MakePipe();
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(p.r.get(), &rd);
  struct timeval tv = {0, 20000};
  EXPECT_THAT(select(p.r.get() + 1, &rd, nullptr, nullptr, &tv),
              SyscallSucceedsWithValue(0));
  // Linux writes back the time not slept: all of it was slept.
  EXPECT_EQ(tv.tv_sec, 0);
  EXPECT_EQ(tv.tv_usec, 0);
}

TEST(SelectTest, PselectZeroTimeout) {
  Pipe p = MakePipe();
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(p.r.get(), &rd);
  struct timespec zero = {0, 0};
  sigset_t none;
  sigemptyset(&none);
  EXPECT_THAT(pselect(p.r.get() + 1, &rd, nullptr, nullptr, &zero, &none),
              SyscallSucceedsWithValue(0));
}

TEST(EpollTest, CreateAndCtlErrors) {
  Fd ep(epoll_create1(EPOLL_CLOEXEC));
  ASSERT_TRUE(ep.valid());
  EXPECT_EQ(fcntl(ep.get(), F_GETFD), FD_CLOEXEC);
  EXPECT_THAT(epoll_create1(0x1234), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(epoll_create(0), SyscallFailsWithErrno(EINVAL));
  Pipe p = MakePipe();
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, p.r.get(), &ev),
              SyscallSucceeds());
  EXPECT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, p.r.get(), &ev),
              SyscallFailsWithErrno(EEXIST));
  EXPECT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_MOD, p.w.get(), &ev),
              SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_DEL, p.w.get(), &ev),
              SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, ep.get(), &ev),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, 9999, &ev),
              SyscallFailsWithErrno(EBADF));
  // Regular files cannot be watched.
  Fd tmp(open(TempRoot().c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, tmp.get(), &ev),
              SyscallFailsWithErrno(EPERM));
  EXPECT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_DEL, p.r.get(), nullptr),
              SyscallSucceeds());
  struct epoll_event out[1];
  EXPECT_THAT(epoll_wait(ep.get(), out, 0, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(EpollTest, LevelTriggered) {
  Fd ep(epoll_create1(0));
  Pipe p = MakePipe();
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = 0xfeedface12345678ull;
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, p.r.get(), &ev),
              SyscallSucceeds());
  struct epoll_event out[4];
  EXPECT_THAT(epoll_wait(ep.get(), out, 4, 0), SyscallSucceedsWithValue(0));
  write(p.w.get(), "ab", 2);
  for (int i = 0; i < 2; ++i) {  // Level: reported again while unread.
    ASSERT_THAT(epoll_wait(ep.get(), out, 4, 0), SyscallSucceedsWithValue(1));
    EXPECT_EQ(out[0].events, static_cast<uint32_t>(EPOLLIN));
    EXPECT_EQ(out[0].data.u64, 0xfeedface12345678ull);
  }
  char buf[2];
  read(p.r.get(), buf, 2);
  EXPECT_THAT(epoll_wait(ep.get(), out, 4, 0), SyscallSucceedsWithValue(0));
}

TEST(EpollTest, EdgeTriggered) {
  Fd ep(epoll_create1(0));
  Pipe p = MakePipe();
  struct epoll_event ev = {};
  ev.events = EPOLLIN | EPOLLET;
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, p.r.get(), &ev),
              SyscallSucceeds());
  struct epoll_event out[4];
  write(p.w.get(), "a", 1);
  EXPECT_THAT(epoll_wait(ep.get(), out, 4, 0), SyscallSucceedsWithValue(1));
  // No new edge: not reported again though data remains.
  EXPECT_THAT(epoll_wait(ep.get(), out, 4, 0), SyscallSucceedsWithValue(0));
  write(p.w.get(), "b", 1);  // New data: a new edge.
  EXPECT_THAT(epoll_wait(ep.get(), out, 4, 0), SyscallSucceedsWithValue(1));
}

TEST(EpollTest, OneShot) {
  Fd ep(epoll_create1(0));
  Pipe p = MakePipe();
  struct epoll_event ev = {};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, p.r.get(), &ev),
              SyscallSucceeds());
  struct epoll_event out[4];
  write(p.w.get(), "a", 1);
  EXPECT_THAT(epoll_wait(ep.get(), out, 4, 0), SyscallSucceedsWithValue(1));
  write(p.w.get(), "b", 1);
  EXPECT_THAT(epoll_wait(ep.get(), out, 4, 0), SyscallSucceedsWithValue(0));
  // Re-arm with MOD.
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_MOD, p.r.get(), &ev),
              SyscallSucceeds());
  EXPECT_THAT(epoll_wait(ep.get(), out, 4, 0), SyscallSucceedsWithValue(1));
}

TEST(EpollTest, EventfdAndHangup) {
  Fd ep(epoll_create1(0));
  Fd efd(eventfd(0, EFD_NONBLOCK));
  Pipe p = MakePipe();
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.fd = efd.get();
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, efd.get(), &ev),
              SyscallSucceeds());
  ev.data.fd = p.r.get();
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, p.r.get(), &ev),
              SyscallSucceeds());
  uint64_t one = 1;
  write(efd.get(), &one, sizeof(one));
  p.w.reset();
  struct epoll_event out[4];
  ASSERT_THAT(epoll_wait(ep.get(), out, 4, 0), SyscallSucceedsWithValue(2));
  for (int i = 0; i < 2; ++i) {
    if (out[i].data.fd == efd.get()) {
      EXPECT_EQ(out[i].events, static_cast<uint32_t>(EPOLLIN));
    } else {
      EXPECT_EQ(out[i].data.fd, p.r.get());
      EXPECT_TRUE(out[i].events & EPOLLHUP);
    }
  }
  // maxevents limits the batch.
  EXPECT_THAT(epoll_wait(ep.get(), out, 1, 0), SyscallSucceedsWithValue(1));
}

TEST(EpollTest, ClosedFdIsRemoved) {
  Fd ep(epoll_create1(0));
  Pipe p = MakePipe();
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, p.r.get(), &ev),
              SyscallSucceeds());
  write(p.w.get(), "x", 1);
  p.r.reset();  // Last reference to the file: it leaves the set.
  struct epoll_event out[4];
  EXPECT_THAT(epoll_wait(ep.get(), out, 4, 0), SyscallSucceedsWithValue(0));
}

TEST(EpollTest, BlockingWaitAndPwait) {
  Fd ep(epoll_create1(0));
  Pipe p = MakePipe();
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, p.r.get(), &ev),
              SyscallSucceeds());
  std::thread t([&] {
    usleep(10000);
    write(p.w.get(), "x", 1);
  });
  struct epoll_event out[1];
  sigset_t none;
  sigemptyset(&none);
  EXPECT_THAT(epoll_pwait(ep.get(), out, 1, 30000, &none),
              SyscallSucceedsWithValue(1));
  t.join();
  // Timeout with nothing new (drain first).
  char c;
  read(p.r.get(), &c, 1);
  EXPECT_THAT(epoll_wait(ep.get(), out, 1, 10), SyscallSucceedsWithValue(0));
}

TEST(EpollTest, SmallMaxeventsRoundRobins) {
  Fd ep(epoll_create1(0));
  Fd e[3] = {Fd(eventfd(1, 0)), Fd(eventfd(1, 0)), Fd(eventfd(1, 0))};
  for (int i = 0; i < 3; ++i) {
    struct epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.u32 = i;
    ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, e[i].get(), &ev),
                SyscallSucceeds());
  }
  // Level-triggered entries go to the back after being reported: every
  // ready file is seen within three calls.
  bool seen[3] = {};
  for (int i = 0; i < 3; ++i) {
    struct epoll_event out;
    ASSERT_THAT(epoll_wait(ep.get(), &out, 1, 0), SyscallSucceedsWithValue(1));
    ASSERT_LT(out.data.u32, 3u);
    seen[out.data.u32] = true;
  }
  EXPECT_TRUE(seen[0] && seen[1] && seen[2]);
}

TEST(EpollTest, LoopsAreRefused) {
  Fd a(epoll_create1(0)), b(epoll_create1(0));
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ASSERT_THAT(epoll_ctl(a.get(), EPOLL_CTL_ADD, b.get(), &ev),
              SyscallSucceeds());
  EXPECT_THAT(epoll_ctl(b.get(), EPOLL_CTL_ADD, a.get(), &ev),
              SyscallFailsWithErrno(ELOOP));
}

TEST(EpollTest, NestedEpoll) {
  Fd outer(epoll_create1(0)), inner(epoll_create1(0));
  Pipe p = MakePipe();
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ASSERT_THAT(epoll_ctl(inner.get(), EPOLL_CTL_ADD, p.r.get(), &ev),
              SyscallSucceeds());
  ASSERT_THAT(epoll_ctl(outer.get(), EPOLL_CTL_ADD, inner.get(), &ev),
              SyscallSucceeds());
  struct epoll_event out[1];
  EXPECT_THAT(epoll_wait(outer.get(), out, 1, 0), SyscallSucceedsWithValue(0));
  write(p.w.get(), "x", 1);
  EXPECT_THAT(epoll_wait(outer.get(), out, 1, 0), SyscallSucceedsWithValue(1));
}

}  // namespace
}  // namespace syscall_test
