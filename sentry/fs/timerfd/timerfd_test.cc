#include "sentry/fs/timerfd/timerfd.h"

#include <poll.h>
#include <sys/timerfd.h>

#include <thread>

#include "gtest/gtest.h"
#include "sentry/vfs/waiter.h"

namespace sentry::fs::timerfd {
namespace {

class Recorder : public vfs::EventListener {
 public:
  void OnEvents(uint32_t e) override {
    absl::MutexLock l(&mu);
    seen |= e;
  }
  absl::Mutex mu;
  uint32_t seen = 0;
};

ErrnoOr<uint64_t> Take(vfs::FileDescription& f, vfs::Waiter* w = nullptr) {
  uint64_t v = 0;
  vfs::SpanDst dst(&v, sizeof(v));
  ASSIGN_OR_RETURN_ERRNO(size_t n, f.Read(dst, w));
  if (n != sizeof(v)) return Errno{EIO};
  return v;
}

TEST(TimerFdTest, CreateErrors) {
  kernel::TimerQueue q;
  EXPECT_EQ(NewTimerFd(nullptr, &q, 12345, 0, 0, 0).error(), Errno{EINVAL});
  EXPECT_EQ(NewTimerFd(nullptr, &q, CLOCK_MONOTONIC, 0x1234, 0, 0).error(),
            Errno{EINVAL});
}

TEST(TimerFdTest, OneShotExpiresAndNotifies) {
  kernel::TimerQueue q;
  auto f = NewTimerFd(nullptr, &q, CLOCK_MONOTONIC, 0, 0, 0);
  ASSERT_TRUE(f.ok());
  TimerFd* tf = AsTimerFd(**f);
  ASSERT_NE(tf, nullptr);
  Recorder r;
  vfs::EventRegistration reg(tf->Events(), &r, POLLIN);
  EXPECT_EQ((*f)->Readiness(POLLIN), 0u);
  ASSERT_TRUE(tf->Set(absl::Milliseconds(5), absl::ZeroDuration(), false).ok());
  vfs::Waiter w;
  EXPECT_EQ(*Take(**f, &w), 1u);  // blocks until the expiry
  {
    absl::MutexLock l(&r.mu);
    EXPECT_TRUE(r.seen & POLLIN);
  }
  EXPECT_EQ(tf->Get().first, absl::ZeroDuration());  // disarmed after firing
}

TEST(TimerFdTest, PeriodicAndDisarm) {
  kernel::TimerQueue q;
  auto f = NewTimerFd(nullptr, &q, CLOCK_REALTIME, TFD_NONBLOCK, 0, 0);
  ASSERT_TRUE(f.ok());
  TimerFd* tf = AsTimerFd(**f);
  EXPECT_EQ(Take(**f).error(), Errno{EAGAIN});
  ASSERT_TRUE(tf->Set(absl::Seconds(100), absl::Seconds(1), false).ok());
  auto old = tf->Set(absl::ZeroDuration(), absl::ZeroDuration(), false);
  ASSERT_TRUE(old.ok());
  EXPECT_GT(old->first, absl::Seconds(90));
  EXPECT_EQ(old->second, absl::Seconds(1));
  EXPECT_EQ(Take(**f).error(), Errno{EAGAIN});
  ASSERT_TRUE(
      tf->Set(absl::Milliseconds(1), absl::Milliseconds(1), false).ok());
  vfs::Waiter w;
  // Non-blocking read: wait for readiness through the waiter-less path.
  while ((*f)->Readiness(POLLIN) == 0) std::this_thread::yield();
  auto n = Take(**f);
  ASSERT_TRUE(n.ok());
  EXPECT_GE(*n, 1u);
}

TEST(TimerFdTest, CloseWhileArmedIsSafe) {
  kernel::TimerQueue q;
  for (int i = 0; i < 20; ++i) {
    auto f = NewTimerFd(nullptr, &q, CLOCK_MONOTONIC, 0, 0, 0);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(AsTimerFd(**f)
                    ->Set(absl::Microseconds(50), absl::Microseconds(50), false)
                    .ok());
  }
}

}  // namespace
}  // namespace sentry::fs::timerfd
