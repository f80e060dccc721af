#include "sentry/kernel/signal.h"

#include <sys/wait.h>

#include "gtest/gtest.h"
#include "sentry/kernel/task.h"

namespace sentry::kernel {
namespace {

TEST(SigSetTest, BitsFollowTheKernelLayout) {
  SigSet s;
  s.Add(SIGHUP);
  s.Add(64);
  EXPECT_EQ(s.bits(), (uint64_t{1} << 0) | (uint64_t{1} << 63));
  EXPECT_TRUE(s.Has(64));
  s.Remove(SIGHUP);
  EXPECT_FALSE(s.Has(SIGHUP));
  EXPECT_TRUE(kUnblockable.Has(SIGKILL));
  EXPECT_TRUE(kUnblockable.Has(SIGSTOP));
  EXPECT_FALSE(kUnblockable.Has(SIGTERM));
}

struct DefaultCase {
  int sig;
  DefaultAction action;
};

TEST(DefaultActionTest, MatchesSignal7) {
  const DefaultCase cases[] = {
      {SIGHUP, DefaultAction::kTerminate},
      {SIGINT, DefaultAction::kTerminate},
      {SIGQUIT, DefaultAction::kCore},
      {SIGILL, DefaultAction::kCore},
      {SIGTRAP, DefaultAction::kCore},
      {SIGABRT, DefaultAction::kCore},
      {SIGBUS, DefaultAction::kCore},
      {SIGFPE, DefaultAction::kCore},
      {SIGKILL, DefaultAction::kTerminate},
      {SIGUSR1, DefaultAction::kTerminate},
      {SIGSEGV, DefaultAction::kCore},
      {SIGPIPE, DefaultAction::kTerminate},
      {SIGALRM, DefaultAction::kTerminate},
      {SIGTERM, DefaultAction::kTerminate},
      {SIGCHLD, DefaultAction::kIgnore},
      {SIGCONT, DefaultAction::kContinue},
      {SIGSTOP, DefaultAction::kStop},
      {SIGTSTP, DefaultAction::kStop},
      {SIGTTIN, DefaultAction::kStop},
      {SIGTTOU, DefaultAction::kStop},
      {SIGURG, DefaultAction::kIgnore},
      {SIGXCPU, DefaultAction::kCore},
      {SIGXFSZ, DefaultAction::kCore},
      {SIGWINCH, DefaultAction::kIgnore},
      {SIGSYS, DefaultAction::kCore},
      {34, DefaultAction::kTerminate},
      {64, DefaultAction::kTerminate},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(DefaultActionFor(c.sig), c.action) << SignalName(c.sig);
  }
}

TEST(SignalNameTest, Names) {
  EXPECT_EQ(SignalName(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(SignalName(SIGSYS), "SIGSYS");
  EXPECT_EQ(SignalName(32), "SIGRT0");
  EXPECT_EQ(SignalName(99), "SIG99");
}

TEST(PendingSignalsTest, StandardSignalsCoalesce) {
  PendingSignals p;
  EXPECT_TRUE(p.Enqueue(MakeSigInfo(SIGUSR1, SI_USER, 5)));
  EXPECT_FALSE(p.Enqueue(MakeSigInfo(SIGUSR1, SI_USER, 6)));
  auto s = p.Dequeue(SigSet());
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->si_pid, 5);  // the first instance is kept
  EXPECT_FALSE(p.Dequeue(SigSet()).has_value());
}

TEST(PendingSignalsTest, RealtimeSignalsQueueInOrder) {
  PendingSignals p;
  for (int i = 0; i < 3; ++i) {
    siginfo_t info = MakeSigInfo(40, SI_QUEUE, 100 + i);
    EXPECT_TRUE(p.Enqueue(info));
  }
  for (int i = 0; i < 3; ++i) {
    auto s = p.Dequeue(SigSet());
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->si_pid, 100 + i);
  }
  EXPECT_TRUE(p.Pending().Empty());
}

TEST(PendingSignalsTest, RealtimeQueueLimit) {
  PendingSignals p;
  EXPECT_TRUE(p.Enqueue(MakeSigInfo(40, SI_QUEUE), 2));
  EXPECT_TRUE(p.Enqueue(MakeSigInfo(40, SI_QUEUE), 2));
  EXPECT_FALSE(p.Enqueue(MakeSigInfo(40, SI_QUEUE), 2));
}

// Delivery order: synchronous (fault) signals first, then lowest number;
// blocked signals stay.
TEST(PendingSignalsTest, DeliveryOrder) {
  struct Case {
    std::vector<int> queued;
    SigSet blocked;
    std::vector<int> expected;
  };
  const Case cases[] = {
      {{SIGTERM, SIGHUP, SIGUSR2}, SigSet(), {SIGHUP, SIGUSR2, SIGTERM}},
      {{SIGTERM, SIGSEGV, SIGHUP}, SigSet(), {SIGSEGV, SIGHUP, SIGTERM}},
      {{SIGINT, 35, SIGCHLD}, SigSet(), {SIGINT, SIGCHLD, 35}},
      {{SIGINT, SIGTERM}, SigSet::Of(SIGINT), {SIGTERM}},
      {{SIGBUS, SIGILL, SIGINT}, SigSet::Of(SIGILL), {SIGBUS, SIGINT}},
  };
  for (const Case& c : cases) {
    PendingSignals p;
    for (int s : c.queued) p.Enqueue(MakeSigInfo(s, SI_USER));
    std::vector<int> got;
    while (auto s = p.Dequeue(c.blocked)) got.push_back(s->si_signo);
    EXPECT_EQ(got, c.expected);
  }
}

TEST(PendingSignalsTest, Discard) {
  PendingSignals p;
  p.Enqueue(MakeSigInfo(SIGSTOP, SI_USER));
  p.Enqueue(MakeSigInfo(SIGTSTP, SI_USER));
  p.Enqueue(MakeSigInfo(SIGINT, SI_USER));
  SigSet stops = SigSet::Of(SIGSTOP) | SigSet::Of(SIGTSTP);
  p.Discard(stops);
  EXPECT_EQ(p.Pending(), SigSet::Of(SIGINT));
}

TEST(WaitStatusTest, Encodings) {
  EXPECT_EQ(ExitedStatus(0), 0);
  EXPECT_EQ(ExitedStatus(3), 0x300);
  EXPECT_EQ(ExitedStatus(256 + 7), 0x700);  // only the low byte survives
  EXPECT_EQ(KilledStatus(SIGKILL, false), 9);
  EXPECT_EQ(KilledStatus(SIGSEGV, true), 11 | 0x80);
  EXPECT_EQ(StoppedStatus(SIGSTOP), 0x137f);
  // The same checks the libc macros make.
  EXPECT_TRUE(WIFEXITED(ExitedStatus(3)));
  EXPECT_EQ(WEXITSTATUS(ExitedStatus(3)), 3);
  EXPECT_TRUE(WIFSIGNALED(KilledStatus(SIGSEGV, true)));
  EXPECT_TRUE(WCOREDUMP(KilledStatus(SIGSEGV, true)));
  EXPECT_EQ(WTERMSIG(KilledStatus(SIGSEGV, true)), SIGSEGV);
  EXPECT_TRUE(WIFSTOPPED(StoppedStatus(SIGTSTP)));
  EXPECT_EQ(WSTOPSIG(StoppedStatus(SIGTSTP)), SIGTSTP);
  EXPECT_TRUE(WIFCONTINUED(kContinuedStatus));
}

TEST(WaitStatusTest, ShellExitCodes) {
  EXPECT_EQ(ShellExitCode(ExitedStatus(0)), 0);
  EXPECT_EQ(ShellExitCode(ExitedStatus(42)), 42);
  EXPECT_EQ(ShellExitCode(KilledStatus(SIGKILL, false)), 137);
  EXPECT_EQ(ShellExitCode(KilledStatus(SIGSEGV, true)), 139);
  EXPECT_EQ(ShellExitCode(KilledStatus(SIGTERM, false)), 143);
}

}  // namespace
}  // namespace sentry::kernel
