#include "sentry/fs/epoll/epoll.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <string>

#include "gtest/gtest.h"
#include "sentry/fs/eventfd/eventfd.h"
#include "sentry/fs/pipe/pipe.h"

namespace sentry::fs::epoll {
namespace {

struct Fixture {
  vfs::FileRef ep_file = *NewEpoll(nullptr, 0, 0, 0);
  Epoll& ep = *AsEpoll(*ep_file);
};

void Put(vfs::FileDescription& f, const std::string& s) {
  vfs::SpanSrc src(s.data(), s.size());
  ASSERT_TRUE(f.Write(src).ok());
}

void Drain(vfs::FileDescription& f) {
  char buf[64];
  vfs::SpanDst dst(buf, sizeof(buf));
  ASSERT_TRUE(f.Read(dst).ok());
}

std::pair<vfs::FileRef, vfs::FileRef> Pipe() {
  return *pipe::NewPipe(nullptr, O_NONBLOCK, 0, 0);
}

TEST(EpollTest, LevelTriggeredStaysReady) {
  Fixture x;
  auto [r, w] = Pipe();
  ASSERT_TRUE(x.ep.Add(r, 3, EPOLLIN, 42).ok());
  EXPECT_TRUE(x.ep.Collect(8).empty());
  EXPECT_EQ(x.ep_file->Readiness(POLLIN), 0u);
  Put(*w, "ab");
  EXPECT_TRUE(x.ep_file->Readiness(POLLIN) & POLLIN);
  for (int i = 0; i < 2; ++i) {
    auto got = x.ep.Collect(8);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].events, static_cast<uint32_t>(EPOLLIN));
    EXPECT_EQ(got[0].data, 42u);
  }
  Drain(*r);
  EXPECT_TRUE(x.ep.Collect(8).empty());
}

TEST(EpollTest, EdgeTriggeredAndOneShot) {
  Fixture x;
  auto [r, w] = Pipe();
  auto [r2, w2] = Pipe();
  ASSERT_TRUE(x.ep.Add(r, 3, EPOLLIN | EPOLLET, 1).ok());
  ASSERT_TRUE(x.ep.Add(r2, 5, EPOLLIN | EPOLLONESHOT, 2).ok());
  Put(*w, "a");
  Put(*w2, "a");
  EXPECT_EQ(x.ep.Collect(8).size(), 2u);
  EXPECT_TRUE(x.ep.Collect(8).empty());
  Put(*w, "b");
  Put(*w2, "b");
  auto got = x.ep.Collect(8);
  ASSERT_EQ(got.size(), 1u);  // the one-shot entry stays disabled
  EXPECT_EQ(got[0].data, 1u);
  ASSERT_TRUE(x.ep.Modify(r2, 5, EPOLLIN | EPOLLONESHOT, 2).ok());
  got = x.ep.Collect(8);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, 2u);
}

TEST(EpollTest, CtlErrors) {
  Fixture x;
  auto [r, w] = Pipe();
  ASSERT_TRUE(x.ep.Add(r, 3, EPOLLIN, 0).ok());
  EXPECT_EQ(x.ep.Add(r, 3, EPOLLIN, 0).error(), Errno{EEXIST});
  EXPECT_TRUE(x.ep.Add(r, 4, EPOLLIN, 0).ok());  // same file, other fd
  EXPECT_EQ(x.ep.Modify(w, 9, EPOLLIN, 0).error(), Errno{ENOENT});
  EXPECT_EQ(x.ep.Delete(w, 9).error(), Errno{ENOENT});
  EXPECT_TRUE(x.ep.Delete(r, 4).ok());
  EXPECT_EQ(x.ep.Add(x.ep_file, 7, EPOLLIN, 0).error(), Errno{EINVAL});
  EXPECT_EQ(ValidateCtl(99, 0, false, false).error(), Errno{EINVAL});
  EXPECT_EQ(ValidateCtl(EPOLL_CTL_MOD, EPOLLIN | EPOLLEXCLUSIVE, false, false)
                .error(),
            Errno{EINVAL});
  EXPECT_EQ(ValidateCtl(EPOLL_CTL_ADD, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT,
                        false, false)
                .error(),
            Errno{EINVAL});
  EXPECT_TRUE(
      ValidateCtl(EPOLL_CTL_ADD, EPOLLIN | EPOLLEXCLUSIVE, false, false).ok());
  ASSERT_TRUE(x.ep.Add(w, 8, EPOLLOUT | EPOLLEXCLUSIVE, 0).ok());
  EXPECT_EQ(x.ep.Modify(w, 8, EPOLLOUT, 0).error(), Errno{EINVAL});
}

TEST(EpollTest, EntryLeavesWithLastReference) {
  Fixture x;
  auto [r, w] = Pipe();
  ASSERT_TRUE(x.ep.Add(r, 3, EPOLLIN, 0).ok());
  Put(*w, "x");
  EXPECT_EQ(x.ep.size(), 1u);
  r.reset();
  EXPECT_EQ(x.ep.size(), 0u);
  EXPECT_TRUE(x.ep.Collect(8).empty());
  // The pipe's queue (shared with the write end) has no dead listener.
  EXPECT_TRUE(w->impl()->Events()->empty());
}

TEST(EpollTest, EpollDiesBeforeWatchedFile) {
  auto [r, w] = Pipe();
  {
    Fixture x;
    ASSERT_TRUE(x.ep.Add(r, 3, EPOLLIN, 0).ok());
  }
  Put(*w, "x");  // no listener left behind
  EXPECT_TRUE(r->impl()->Events()->empty());
}

TEST(EpollTest, HangupAndMaxEvents) {
  Fixture x;
  auto [r, w] = Pipe();
  auto e = *eventfd::NewEventFd(nullptr, 1, EFD_NONBLOCK, 0, 0);
  ASSERT_TRUE(x.ep.Add(r, 3, EPOLLIN, 3).ok());
  ASSERT_TRUE(x.ep.Add(e, 4, EPOLLIN, 4).ok());
  w.reset();
  EXPECT_EQ(x.ep.Collect(1).size(), 1u);
  auto got = x.ep.Collect(8);
  ASSERT_EQ(got.size(), 2u);
  for (auto& g : got) {
    if (g.data == 3) {
      EXPECT_TRUE(g.events & EPOLLHUP);
    } else {
      EXPECT_EQ(g.events, static_cast<uint32_t>(EPOLLIN));
    }
  }
}

TEST(EpollTest, SmallBatchesRoundRobin) {
  Fixture x;
  std::vector<vfs::FileRef> fds;
  for (uint64_t i = 0; i < 3; ++i) {
    fds.push_back(*eventfd::NewEventFd(nullptr, 1, EFD_NONBLOCK, 0, 0));
    ASSERT_TRUE(x.ep.Add(fds.back(), static_cast<int>(i), EPOLLIN, i).ok());
  }
  std::vector<uint64_t> order;
  for (int i = 0; i < 6; ++i) {
    auto got = x.ep.Collect(1);
    ASSERT_EQ(got.size(), 1u);
    order.push_back(got[0].data);
  }
  EXPECT_EQ(order, (std::vector<uint64_t>{0, 1, 2, 0, 1, 2}));
}

TEST(EpollTest, NestingAndLoops) {
  Fixture outer, inner;
  auto [r, w] = Pipe();
  ASSERT_TRUE(inner.ep.Add(r, 3, EPOLLIN, 0).ok());
  ASSERT_TRUE(outer.ep.Add(inner.ep_file, 4, EPOLLIN, 9).ok());
  EXPECT_TRUE(outer.ep.Collect(8).empty());
  Put(*w, "x");
  auto got = outer.ep.Collect(8);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, 9u);
  EXPECT_EQ(inner.ep.Add(outer.ep_file, 5, EPOLLIN, 0).error(), Errno{ELOOP});
  // A chain deeper than Linux's limit.
  std::vector<Fixture> chain(kMaxNests + 2);
  int refused = 0;
  for (size_t i = 1; i < chain.size(); ++i) {
    if (!chain[i].ep.Add(chain[i - 1].ep_file, 1, EPOLLIN, 0).ok()) ++refused;
  }
  EXPECT_GE(refused, 1);
}

TEST(EpollTest, AlwaysReadyAndRefusedFiles) {
  Fixture x;
  // A file without an EventQueue (a device): always ready.
  auto dev_inode =
      std::make_shared<vfs::SimpleInode>(1, 1, S_IFCHR | 0600, 0, 0);
  auto dev = std::make_shared<vfs::FileDescription>(
      nullptr, vfs::VirtualDentry{}, dev_inode, O_RDWR,
      std::make_unique<vfs::FileImpl>());
  ASSERT_TRUE(x.ep.Add(dev, 3, EPOLLIN | EPOLLET, 0).ok());
  EXPECT_EQ(x.ep.Collect(8).size(), 1u);
  EXPECT_TRUE(x.ep.Collect(8).empty());  // edge-triggered: once
  auto reg_inode =
      std::make_shared<vfs::SimpleInode>(1, 2, S_IFREG | 0600, 0, 0);
  auto reg = std::make_shared<vfs::FileDescription>(
      nullptr, vfs::VirtualDentry{}, reg_inode, O_RDWR,
      std::make_unique<vfs::FileImpl>());
  EXPECT_EQ(x.ep.Add(reg, 4, EPOLLIN, 0).error(), Errno{EPERM});
}

}  // namespace
}  // namespace sentry::fs::epoll
