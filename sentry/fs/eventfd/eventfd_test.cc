#include "sentry/fs/eventfd/eventfd.h"

#include <poll.h>
#include <sys/eventfd.h>

#include <thread>

#include "gtest/gtest.h"
#include "sentry/vfs/waiter.h"

namespace sentry::fs::eventfd {
namespace {

ErrnoOr<size_t> Put(vfs::FileDescription& f, uint64_t v) {
  vfs::SpanSrc src(&v, sizeof(v));
  return f.Write(src);
}

ErrnoOr<uint64_t> Take(vfs::FileDescription& f, vfs::Waiter* w = nullptr) {
  uint64_t v = 0;
  vfs::SpanDst dst(&v, sizeof(v));
  ASSIGN_OR_RETURN_ERRNO(size_t n, f.Read(dst, w));
  if (n != sizeof(v)) return Errno{EIO};
  return v;
}

class Recorder : public vfs::EventListener {
 public:
  void OnEvents(uint32_t e) override { seen |= e; }
  uint32_t seen = 0;
};

TEST(EventFdTest, CounterAndSemaphore) {
  auto f = NewEventFd(nullptr, 5, EFD_NONBLOCK, 0, 0);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(Put(**f, 3).ok());
  EXPECT_EQ(*Take(**f), 8u);
  EXPECT_EQ(Take(**f).error(), Errno{EAGAIN});

  auto s = NewEventFd(nullptr, 2, EFD_NONBLOCK | EFD_SEMAPHORE, 0, 0);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*Take(**s), 1u);
  EXPECT_EQ(*Take(**s), 1u);
  EXPECT_EQ(Take(**s).error(), Errno{EAGAIN});
}

TEST(EventFdTest, ErrorsAndOverflow) {
  EXPECT_EQ(NewEventFd(nullptr, 0, 0x1000, 0, 0).error(), Errno{EINVAL});
  auto f = NewEventFd(nullptr, 0, EFD_NONBLOCK, 0, 0);
  ASSERT_TRUE(f.ok());
  char small[4];
  vfs::SpanDst dst(small, sizeof(small));
  EXPECT_EQ((*f)->Read(dst).error(), Errno{EINVAL});
  EXPECT_EQ(Put(**f, ~uint64_t{0}).error(), Errno{EINVAL});
  ASSERT_TRUE(Put(**f, kMaxCount).ok());
  EXPECT_EQ((*f)->Readiness(POLLIN | POLLOUT), static_cast<uint32_t>(POLLIN));
  EXPECT_EQ(Put(**f, 1).error(), Errno{EAGAIN});
  EXPECT_TRUE(Put(**f, 0).ok());  // adding 0 always fits
}

TEST(EventFdTest, ReadinessAndNotification) {
  auto f = NewEventFd(nullptr, 0, EFD_NONBLOCK, 0, 0);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->Readiness(POLLIN | POLLOUT), static_cast<uint32_t>(POLLOUT));
  Recorder r;
  vfs::EventRegistration reg((*f)->impl()->Events(), &r, POLLIN);
  ASSERT_TRUE(Put(**f, 1).ok());
  EXPECT_TRUE(r.seen & POLLIN);
  EXPECT_TRUE((*f)->Readiness(POLLIN) & POLLIN);
}

TEST(EventFdTest, BlockingReadWokenByWriteAndInterrupt) {
  auto f = NewEventFd(nullptr, 0, 0, 0, 0);
  ASSERT_TRUE(f.ok());
  vfs::Waiter w;
  std::thread writer([&] { ASSERT_TRUE(Put(**f, 7).ok()); });
  EXPECT_EQ(*Take(**f, &w), 7u);
  writer.join();
  std::thread interrupter([&] { w.Interrupt(); });
  EXPECT_EQ(Take(**f, &w).error(), Errno{EINTR});
  interrupter.join();
}

}  // namespace
}  // namespace sentry::fs::eventfd
