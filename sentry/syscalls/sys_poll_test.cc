// Handler tests for poll/select/epoll and the event files, through the
// table with an in-process kernel, task and descriptor table.
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#include <array>
#include <thread>

#include "gtest/gtest.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/testing.h"

namespace sentry::syscalls {
namespace {

using kernel::kTestMemBase;
using kernel::SigSet;

constexpr uint64_t kA = kTestMemBase + 0x100;
constexpr uint64_t kB = kTestMemBase + 0x400;
constexpr uint64_t kC = kTestMemBase + 0x800;

struct __attribute__((packed)) KEpollEvent {
  uint32_t events;
  uint64_t data;
};

class PollSyscallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetSandboxVfs(&vfs_);
    kt_ = kernel::MakeKernelAndTask();
    t_ = kt_.task;
    t_->files =
        std::make_shared<FilesResource>(std::make_unique<vfs::FdTable>());
    t_->fs = std::make_shared<FsResource>(vfs::VirtualDentry{},
                                          vfs::VirtualDentry{}, 022);
    {
      absl::MutexLock l(kt_.kernel->mu());
      t_->tg().rlimits[RLIMIT_NOFILE] = {1024, 4096};
    }
  }
  template <typename T>
  void Put(uint64_t addr, const T& v) {
    ASSERT_TRUE(kt_.mem->CopyOutObj(UserPtr<T>(UserAddr(addr)), v).ok());
  }
  template <typename T>
  T Get(uint64_t addr) {
    return *kt_.mem->CopyInObj(UserPtr<T>(UserAddr(addr)));
  }
  std::pair<int, int> Pipe() {
    EXPECT_EQ(CallRaw(*t_, __NR_pipe2, {kC, O_NONBLOCK}), 0);
    int fds[2];
    fds[0] = Get<int>(kC);
    fds[1] = Get<int>(kC + 4);
    return {fds[0], fds[1]};
  }
  void WriteByte(int fd) {
    Put<char>(kC + 0x100, 'x');
    ASSERT_EQ(
        CallRaw(*t_, __NR_write, {static_cast<uint64_t>(fd), kC + 0x100, 1}),
        1);
  }

  vfs::VirtualFilesystem vfs_;
  kernel::KernelAndTask kt_;
  Task* t_;
};

TEST_F(PollSyscallTest, PollReadinessAndInvalid) {
  auto [r, w] = Pipe();
  struct pollfd fds[3] = {{r, POLLIN, 0}, {w, POLLOUT, 0}, {999, POLLIN, 0}};
  Put(kA, fds);
  EXPECT_EQ(CallRaw(*t_, __NR_poll, {kA, 3, 0}), 2);
  auto got = Get<std::array<struct pollfd, 3>>(kA);
  EXPECT_EQ(got[0].revents, 0);
  EXPECT_EQ(got[1].revents, POLLOUT);
  EXPECT_EQ(got[2].revents, POLLNVAL);
  WriteByte(w);
  EXPECT_EQ(CallRaw(*t_, __NR_poll, {kA, 3, 0}), 3);
  EXPECT_EQ((Get<std::array<struct pollfd, 3>>(kA)[0].revents), POLLIN);
  EXPECT_EQ(CallRaw(*t_, __NR_poll, {kA, 1025, 0}), -EINVAL);
}

TEST_F(PollSyscallTest, BlockingPollWokenAndTimeout) {
  auto [r, w] = Pipe();
  struct pollfd fd = {r, POLLIN, 0};
  Put(kA, fd);
  EXPECT_EQ(CallRaw(*t_, __NR_poll, {kA, 1, 5}), 0);  // times out
  std::thread writer([&, w = w] {
    absl::SleepFor(absl::Milliseconds(5));
    auto f = GetFile(*t_, w);
    ASSERT_TRUE(f.ok());
    char c = 'x';
    vfs::SpanSrc src(&c, 1);
    ASSERT_TRUE((*f)->Write(src).ok());
  });
  EXPECT_EQ(CallRaw(*t_, __NR_poll, {kA, 1, static_cast<uint64_t>(-1)}), 1);
  writer.join();
}

TEST_F(PollSyscallTest, PollInterruptedRestartsThroughRestartSyscall) {
  auto [r, w] = Pipe();
  struct pollfd fd = {r, POLLIN, 0};
  Put(kA, fd);
  t_->Interrupt();
  SyscallResult res = Call(*t_, __NR_poll, {kA, 1, 10000});
  EXPECT_EQ(res.restart(), kernel::RestartKind::kRestartBlock);
  EXPECT_TRUE(t_->restart_fn != nullptr);
  t_->ClearInterrupt();
  WriteByte(w);
  EXPECT_EQ(CallRaw(*t_, __NR_restart_syscall), 1);
}

TEST_F(PollSyscallTest, PpollRestoresMaskWhenNotInterrupted) {
  auto [r, w] = Pipe();
  {
    absl::MutexLock l(kt_.kernel->mu());
    t_->mask = SigSet::Of(SIGUSR1);
  }
  struct pollfd fd = {w, POLLOUT, 0};
  Put(kA, fd);
  Put(kB, uint64_t{0});
  Put(kC, timespec{0, 0});
  EXPECT_EQ(CallRaw(*t_, __NR_ppoll, {kA, 1, kC, kB, 8}), 1);
  absl::MutexLock l(kt_.kernel->mu());
  EXPECT_EQ(t_->mask, SigSet::Of(SIGUSR1));
  EXPECT_FALSE(t_->saved_mask.has_value());
}

TEST_F(PollSyscallTest, PpollWithPendingSignalKeepsMaskForHandler) {
  auto [r, w] = Pipe();
  {
    absl::MutexLock l(kt_.kernel->mu());
    t_->mask = SigSet::Of(SIGUSR1);
  }
  kt_.kernel->SendSignal(nullptr, t_, nullptr,
                         kernel::MakeSigInfo(SIGUSR1, SI_USER));
  struct pollfd fd = {r, POLLIN, 0};
  Put(kA, fd);
  Put(kB, uint64_t{0});
  SyscallResult res = Call(*t_, __NR_ppoll, {kA, 1, 0, kB, 8});
  EXPECT_EQ(res.restart(), kernel::RestartKind::kRestartNoHand);
  {
    absl::MutexLock l(kt_.kernel->mu());
    ASSERT_TRUE(t_->saved_mask.has_value());
    EXPECT_EQ(*t_->saved_mask, SigSet::Of(SIGUSR1));
  }
  EXPECT_EQ(CallRaw(*t_, __NR_ppoll, {kA, 1, 0, kB, 4}), -EINVAL);
}

TEST_F(PollSyscallTest, SelectSetsAndErrors) {
  auto [r, w] = Pipe();
  uint64_t rd = uint64_t{1} << r, wr = uint64_t{1} << w;
  Put(kA, rd);
  Put(kB, wr);
  Put(kC, timeval{0, 0});
  int n = std::max(r, w) + 1;
  EXPECT_EQ(
      CallRaw(*t_, __NR_select, {static_cast<uint64_t>(n), kA, kB, 0, kC}), 1);
  EXPECT_EQ(Get<uint64_t>(kA), 0u);
  EXPECT_EQ(Get<uint64_t>(kB), wr);
  uint64_t bad = uint64_t{1} << 40;
  Put(kA, bad);
  EXPECT_EQ(CallRaw(*t_, __NR_select, {41, kA, 0, 0, kC}), -EBADF);
  EXPECT_EQ(CallRaw(*t_, __NR_select, {static_cast<uint64_t>(-1), 0, 0, 0, kC}),
            -EINVAL);
  // The time left is written back.
  Put(kA, rd);
  Put(kC, timeval{0, 2000});
  EXPECT_EQ(CallRaw(*t_, __NR_select, {static_cast<uint64_t>(n), kA, 0, 0, kC}),
            0);
  timeval left = Get<timeval>(kC);
  EXPECT_EQ(left.tv_sec, 0);
  EXPECT_EQ(left.tv_usec, 0);
}

TEST_F(PollSyscallTest, EpollThroughTheTable) {
  auto [r, w] = Pipe();
  int64_t ep = CallRaw(*t_, __NR_epoll_create1, {EPOLL_CLOEXEC});
  ASSERT_GE(ep, 0);
  EXPECT_EQ(CallRaw(*t_, __NR_epoll_create, {0}), -EINVAL);
  KEpollEvent ev{EPOLLIN, 77};
  Put(kA, ev);
  const uint64_t e = static_cast<uint64_t>(ep);
  EXPECT_EQ(CallRaw(*t_, __NR_epoll_ctl,
                    {e, EPOLL_CTL_ADD, static_cast<uint64_t>(r), kA}),
            0);
  EXPECT_EQ(CallRaw(*t_, __NR_epoll_ctl,
                    {e, EPOLL_CTL_ADD, static_cast<uint64_t>(r), kA}),
            -EEXIST);
  EXPECT_EQ(CallRaw(*t_, __NR_epoll_ctl, {e, EPOLL_CTL_ADD, e, kA}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_epoll_ctl,
                    {static_cast<uint64_t>(r), EPOLL_CTL_ADD,
                     static_cast<uint64_t>(w), kA}),
            -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_epoll_wait, {e, kB, 4, 0}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_epoll_wait, {e, kB, 0, 0}), -EINVAL);
  WriteByte(w);
  EXPECT_EQ(CallRaw(*t_, __NR_epoll_wait, {e, kB, 4, 0}), 1);
  KEpollEvent out = Get<KEpollEvent>(kB);
  EXPECT_EQ(out.events, static_cast<uint32_t>(EPOLLIN));
  EXPECT_EQ(out.data, 77u);
  t_->Interrupt();
  // Data is ready: reported even with a signal pending.
  EXPECT_EQ(CallRaw(*t_, __NR_epoll_wait, {e, kB, 4, 1000}), 1);
  EXPECT_EQ(CallRaw(*t_, __NR_epoll_ctl,
                    {e, EPOLL_CTL_DEL, static_cast<uint64_t>(r), 0}),
            0);
  EXPECT_EQ(CallRaw(*t_, __NR_epoll_wait, {e, kB, 4, 1000}), -EINTR);
  t_->ClearInterrupt();
}

TEST_F(PollSyscallTest, EventFilesThroughTheTable) {
  int64_t efd = CallRaw(*t_, __NR_eventfd2, {3, EFD_NONBLOCK});
  ASSERT_GE(efd, 0);
  EXPECT_EQ(CallRaw(*t_, __NR_eventfd2, {0, 0x1000}), -EINVAL);
  struct pollfd fd = {static_cast<int>(efd), POLLIN, 0};
  Put(kA, fd);
  EXPECT_EQ(CallRaw(*t_, __NR_poll, {kA, 1, 0}), 1);

  EXPECT_EQ(CallRaw(*t_, __NR_timerfd_create, {12345, 0}), -EINVAL);
  int64_t tfd = CallRaw(*t_, __NR_timerfd_create, {CLOCK_MONOTONIC, 0});
  ASSERT_GE(tfd, 0);
  Put(kB, itimerspec{{0, 0}, {100, 0}});
  EXPECT_EQ(CallRaw(*t_, __NR_timerfd_settime,
                    {static_cast<uint64_t>(tfd), 0, kB, 0}),
            0);
  EXPECT_EQ(
      CallRaw(*t_, __NR_timerfd_gettime, {static_cast<uint64_t>(tfd), kC}), 0);
  EXPECT_GT(Get<itimerspec>(kC).it_value.tv_sec, 90);
  EXPECT_EQ(
      CallRaw(*t_, __NR_timerfd_gettime, {static_cast<uint64_t>(efd), kC}),
      -EINVAL);
  Put(kB, itimerspec{{0, 0}, {0, 1000000000}});
  EXPECT_EQ(CallRaw(*t_, __NR_timerfd_settime,
                    {static_cast<uint64_t>(tfd), 0, kB, 0}),
            -EINVAL);

  Put(kB, SigSet::Of(SIGUSR1).bits());
  int64_t sfd = CallRaw(*t_, __NR_signalfd4,
                        {static_cast<uint64_t>(-1), kB, 8, SFD_NONBLOCK});
  ASSERT_GE(sfd, 0);
  EXPECT_EQ(CallRaw(*t_, __NR_signalfd4, {static_cast<uint64_t>(-1), kB, 4, 0}),
            -EINVAL);
  EXPECT_EQ(
      CallRaw(*t_, __NR_signalfd4, {static_cast<uint64_t>(efd), kB, 8, 0}),
      -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_signalfd, {static_cast<uint64_t>(sfd), kB, 8}),
            sfd);
}

}  // namespace
}  // namespace sentry::syscalls
