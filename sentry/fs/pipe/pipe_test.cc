#include "sentry/fs/pipe/pipe.h"

#include <fcntl.h>
#include <poll.h>

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/test_util.h"
#include "sentry/vfs/waiter.h"

namespace sentry::fs::pipe {
namespace {

using vfs::SpanDst;
using vfs::SpanSrc;

ErrnoOr<size_t> Put(vfs::FileDescription& f, const std::string& s) {
  SpanSrc src(s.data(), s.size());
  return f.Write(src);
}

ErrnoOr<std::string> Get(vfs::FileDescription& f, size_t n,
                         vfs::Waiter* w = nullptr) {
  std::string buf(n, '\0');
  SpanDst dst(buf.data(), n);
  ASSIGN_OR_RETURN_ERRNO(size_t got, f.Read(dst, w));
  buf.resize(got);
  return buf;
}

TEST(PipeTest, EofEpipeAndEagain) {
  auto p = NewPipe(nullptr, O_NONBLOCK, 0, 0);
  ASSERT_OK(p);
  auto [r, w] = std::move(*p);
  EXPECT_ERRNO(Get(*r, 10), EAGAIN);  // empty, writer open
  ASSERT_EQ(*Put(*w, "hello"), 5u);
  EXPECT_EQ(*Get(*r, 3), "hel");
  EXPECT_EQ(*Get(*r, 10), "lo");
  EXPECT_ERRNO(Put(*r, "x"), EBADF);
  EXPECT_ERRNO(Get(*w, 1), EBADF);
  EXPECT_ERRNO(r->Seek(0, SEEK_SET), ESPIPE);
  SpanDst d(nullptr, 0);
  EXPECT_ERRNO(r->PRead(d, 0), ESPIPE);
  EXPECT_EQ(r->GetStat()->mode & S_IFMT, static_cast<uint32_t>(S_IFIFO));
  // Fill: 64 KiB capacity, then EAGAIN; a partial big write.
  std::string big(70000, 'b');
  EXPECT_EQ(*Put(*w, big), 65536u);
  EXPECT_ERRNO(Put(*w, "x"), EAGAIN);
  EXPECT_EQ(w->Readiness(POLLOUT), 0u);
  EXPECT_EQ(r->Readiness(POLLIN), static_cast<uint32_t>(POLLIN));
  // PIPE_BUF atomicity: with 100 bytes free a 4096-byte write is all or
  // nothing (EAGAIN), a 4097-byte one may be partial.
  EXPECT_EQ(Get(*r, 100)->size(), 100u);
  EXPECT_ERRNO(Put(*w, std::string(4096, 'a')), EAGAIN);
  EXPECT_EQ(*Put(*w, std::string(4097, 'a')), 100u);
  // Writer gone: data then EOF.
  w.reset();
  std::string rest;
  for (;;) {
    auto s = Get(*r, 65536);
    ASSERT_OK(s);
    if (s->empty()) break;
    rest += *s;
  }
  EXPECT_EQ(rest.size(), 65536u);
  EXPECT_EQ(*Get(*r, 1), "");
  // Reader gone: EPIPE.
  auto p2 = NewPipe(nullptr, 0, 0, 0);
  auto [r2, w2] = std::move(*p2);
  r2.reset();
  EXPECT_ERRNO(Put(*w2, "x"), EPIPE);
  EXPECT_TRUE(w2->Readiness(POLLOUT) & POLLERR);
  EXPECT_ERRNO(NewPipe(nullptr, O_APPEND, 0, 0), EINVAL);
}

TEST(PipeTest, SmallWritesAreNeverInterleaved) {
  auto p = NewPipe(nullptr, 0, 0, 0);
  auto [r, w] = std::move(*p);
  constexpr int kWriters = 4, kWrites = 200;
  constexpr size_t kSize = 4096;  // PIPE_BUF
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      std::string msg(kSize, static_cast<char>('A' + t));
      for (int i = 0; i < kWrites; ++i) {
        auto n = Put(*w, msg);
        ASSERT_TRUE(n.ok());
        ASSERT_EQ(*n, kSize);
      }
    });
  }
  std::string all;
  const size_t total = kWriters * kWrites * kSize;
  while (all.size() < total) {
    auto s = Get(*r, 10000);
    ASSERT_OK(s);
    all += *s;
  }
  for (auto& t : threads) t.join();
  for (size_t off = 0; off < total; off += kSize) {
    ASSERT_EQ(all.substr(off, kSize), std::string(kSize, all[off])) << off;
  }
}

TEST(PipeTest, BlockingReadWakesOnWriteAndInterrupt) {
  auto p = NewPipe(nullptr, 0, 0, 0);
  auto [r, w] = std::move(*p);
  std::thread writer([&w = w] { ASSERT_EQ(*Put(*w, "wake"), 4u); });
  EXPECT_EQ(*Get(*r, 10), "wake");  // blocks until the writer runs
  writer.join();
  vfs::Waiter waiter;
  std::thread interrupter([&] { waiter.Interrupt(); });
  EXPECT_ERRNO(Get(*r, 10, &waiter), EINTR);
  interrupter.join();
  // A blocked writer is woken by the reader's close with EPIPE.
  std::string big(100000, 'x');
  ErrnoOr<size_t> res = Errno{0};
  std::thread bw([&, w = w] {
    SpanSrc src(big.data(), big.size());
    res = w->Write(src);
  });
  while (r->Readiness(POLLIN) == 0) std::this_thread::yield();
  r.reset();
  bw.join();
  // Some bytes went in before the reader left: the partial count.
  ASSERT_OK(res);
  EXPECT_EQ(*res, 65536u);
}

TEST(PipeTest, FifoOnTmpfs) {
  vfs::VirtualFilesystem vfs;
  tmpfs::RegisterTmpfs(vfs);
  auto root = vfs.MountRoot(*vfs.NewFilesystem("tmpfs", "", ""), {});
  vfs::Context ctx = vfs.RootContext(*root);
  ASSERT_OK(vfs.Mknod(ctx, vfs::testing::P("/fifo"), S_IFIFO | 0644, 0));
  EXPECT_EQ(vfs.GetStat(ctx, vfs::testing::P("/fifo"), true)->mode,
            static_cast<uint32_t>(S_IFIFO | 0644));
  // Non-blocking: write-only open without a reader is ENXIO; read-only works.
  EXPECT_ERRNO(
      vfs.Open(ctx, vfs::testing::P("/fifo"), O_WRONLY | O_NONBLOCK, 0), ENXIO);
  auto r = vfs.Open(ctx, vfs::testing::P("/fifo"), O_RDONLY | O_NONBLOCK, 0);
  ASSERT_OK(r);
  auto w = vfs.Open(ctx, vfs::testing::P("/fifo"), O_WRONLY | O_NONBLOCK, 0);
  ASSERT_OK(w);
  ASSERT_EQ(*Put(**w, "through the fifo"), 16u);
  EXPECT_EQ(*Get(**r, 100), "through the fifo");
  r->reset();
  w->reset();
  // Blocking opens rendezvous.
  std::thread t([&] {
    auto w2 = vfs.Open(ctx, vfs::testing::P("/fifo"), O_WRONLY, 0);
    ASSERT_TRUE(w2.ok());
    ASSERT_EQ(*Put(**w2, "hi"), 2u);
  });
  auto r2 = vfs.Open(ctx, vfs::testing::P("/fifo"), O_RDONLY, 0);
  ASSERT_OK(r2);
  t.join();
  EXPECT_EQ(*Get(**r2, 10), "hi");
  EXPECT_EQ(*Get(**r2, 10), "");  // the writer closed
  r2->reset();
  // A blocking open is interruptible.
  vfs::Waiter waiter;
  vfs::Context wctx = ctx;
  wctx.waiter = &waiter;
  std::thread intr([&] { waiter.Interrupt(); });
  EXPECT_ERRNO(vfs.Open(wctx, vfs::testing::P("/fifo"), O_WRONLY, 0), EINTR);
  intr.join();
  // O_RDWR never blocks.
  EXPECT_OK(vfs.Open(ctx, vfs::testing::P("/fifo"), O_RDWR, 0));
}

}  // namespace
}  // namespace sentry::fs::pipe
