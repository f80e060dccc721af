#include "sentry/fs/signalfd/signalfd.h"

#include <poll.h>
#include <sys/signalfd.h>

#include <thread>

#include "gtest/gtest.h"
#include "sentry/kernel/testing.h"

namespace sentry::fs::signalfd {
namespace {

using kernel::MakeSigInfo;
using kernel::SigSet;

TEST(SignalFdTest, ConvertsSiginfo) {
  siginfo_t q = MakeSigInfo(SIGUSR1, SI_QUEUE, 7, 1000);
  q.si_int = 99;
  signalfd_siginfo r = ToSignalfdSiginfo(q);
  EXPECT_EQ(r.ssi_signo, static_cast<uint32_t>(SIGUSR1));
  EXPECT_EQ(r.ssi_code, SI_QUEUE);
  EXPECT_EQ(r.ssi_pid, 7u);
  EXPECT_EQ(r.ssi_uid, 1000u);
  EXPECT_EQ(r.ssi_int, 99);

  siginfo_t c = MakeSigInfo(SIGCHLD, CLD_EXITED, 12, 0);
  c.si_status = 5;
  r = ToSignalfdSiginfo(c);
  EXPECT_EQ(r.ssi_code, CLD_EXITED);
  EXPECT_EQ(r.ssi_pid, 12u);
  EXPECT_EQ(r.ssi_status, 5);
}

TEST(SignalFdTest, ReadsPendingSignalsOfTheMask) {
  auto kt = kernel::MakeKernelAndTask();
  kernel::Task& t = *kt.task;
  {
    absl::MutexLock l(kt.kernel->mu());
    t.mask = SigSet::Of(SIGUSR1) | SigSet::Of(SIGUSR2);
  }
  SignalFd sf(SigSet::Of(SIGUSR1) | SigSet::Of(SIGKILL));
  EXPECT_FALSE(sf.mask().Has(SIGKILL));
  signalfd_siginfo recs[4];
  vfs::SpanDst dst(recs, sizeof(recs));
  EXPECT_EQ(sf.ReadFor(t, dst, true).error(), Errno{EAGAIN});
  EXPECT_EQ(sf.ReadinessFor(t, POLLIN), 0u);

  struct Rec : vfs::EventListener {
    void OnEvents(uint32_t e) override { seen |= e; }
    uint32_t seen = 0;
  } listener;
  vfs::EventRegistration reg(sf.EventsFor(t), &listener, POLLIN);
  kt.kernel->SendSignal(nullptr, &t, nullptr, MakeSigInfo(SIGUSR2, SI_USER));
  EXPECT_TRUE(listener.seen & POLLIN);
  EXPECT_EQ(sf.ReadinessFor(t, POLLIN), 0u);  // not in the mask
  kt.kernel->SendSignal(nullptr, nullptr, &t.tg(),
                        MakeSigInfo(SIGUSR1, SI_USER, 3));
  EXPECT_EQ(sf.ReadinessFor(t, POLLIN), static_cast<uint32_t>(POLLIN));
  auto n = sf.ReadFor(t, dst, true);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, sizeof(signalfd_siginfo));
  EXPECT_EQ(recs[0].ssi_signo, static_cast<uint32_t>(SIGUSR1));
  EXPECT_EQ(recs[0].ssi_pid, 3u);
  // Re-mask: now SIGUSR2 is readable.
  sf.SetMask(SigSet::Of(SIGUSR2));
  n = sf.ReadFor(t, dst, true);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(recs[0].ssi_signo, static_cast<uint32_t>(SIGUSR2));
  char small[16];
  vfs::SpanDst sdst(small, sizeof(small));
  EXPECT_EQ(sf.ReadFor(t, sdst, true).error(), Errno{EINVAL});
}

TEST(SignalFdTest, BlockingReadWokenBySignal) {
  auto kt = kernel::MakeKernelAndTask();
  kernel::Task& t = *kt.task;
  {
    absl::MutexLock l(kt.kernel->mu());
    t.mask = SigSet::Of(SIGUSR1);
  }
  SignalFd sf(SigSet::Of(SIGUSR1));
  std::thread sender([&] {
    absl::SleepFor(absl::Milliseconds(5));
    kt.kernel->SendSignal(nullptr, &t, nullptr, MakeSigInfo(SIGUSR1, SI_USER));
  });
  signalfd_siginfo rec;
  vfs::SpanDst dst(&rec, sizeof(rec));
  auto n = sf.ReadFor(t, dst, false);
  sender.join();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(rec.ssi_signo, static_cast<uint32_t>(SIGUSR1));
}

}  // namespace
}  // namespace sentry::fs::signalfd
