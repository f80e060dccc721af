// What the sandbox's control channel needs from the kernel: processes
// started from outside (exec), freezing every task (pause), usage totals
// (events) and the terminal's process-group check.
#include <sys/wait.h>

#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/testing.h"

namespace sentry::kernel {
namespace {

TEST(ExecProcessTest, NeedsARunningInit) {
  Kernel k;
  auto r = k.CreateExecProcess(NewTaskArgs{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ToInt(r.error()), ESRCH);
}

TEST(ExecProcessTest, HasNoParentAndItsOwnSession) {
  auto kt = MakeKernelAndTask();
  NewTaskArgs a;
  a.mm = kt.mem;
  a.name = "exec";
  a.argv = {"sh", "-c", "x"};
  auto r = kt.kernel->CreateExecProcess(std::move(a));
  ASSERT_TRUE(r.ok());
  Task* t = *r;
  EXPECT_EQ(t->tg().tgid, 2);
  EXPECT_EQ(t->tg().parent, nullptr);
  EXPECT_EQ(*kt.kernel->GetSid(*t, 0), 2);
  EXPECT_EQ(*kt.kernel->GetPgid(*t, 0), 2);
  EXPECT_TRUE(kt.kernel->ProcessGroupInSession(2, 2));
  EXPECT_FALSE(kt.kernel->ProcessGroupInSession(2, 1));
  EXPECT_TRUE(kt.kernel->ProcessGroupInSession(1, 1));
  bool found = false;
  for (const ProcessInfo& p : kt.kernel->Processes()) {
    if (p.pid != 2) continue;
    found = true;
    EXPECT_EQ(p.ppid, 0);
    EXPECT_EQ(p.argv, std::vector<std::string>({"sh", "-c", "x"}));
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(kt.kernel->GetUsage().processes, 2);
}

TEST(ExecProcessTest, ExitIsReapedByTheKernelAndStillWaitable) {
  auto kt = MakeKernelAndTask();
  NewTaskArgs a;
  a.mm = kt.mem;
  Task* t = *kt.kernel->CreateExecProcess(std::move(a));
  t->ExitThread(ExitedStatus(3));
  // No zombie is left (nobody in the sandbox could reap it)...
  for (const ProcessInfo& p : kt.kernel->Processes()) EXPECT_NE(p.pid, 2);
  EXPECT_EQ(kt.kernel->GetUsage().processes, 1);
  // ...but the control channel still learns its status.
  auto ws = kt.kernel->WaitPidExit(2);
  ASSERT_TRUE(ws.ok());
  EXPECT_TRUE(WIFEXITED(*ws));
  EXPECT_EQ(WEXITSTATUS(*ws), 3);
}

TEST(ExecProcessTest, RefusedOnceInitHasExited) {
  auto kt = MakeKernelAndTask();
  kt.task->ExitThread(ExitedStatus(0));
  NewTaskArgs a;
  a.mm = kt.mem;
  auto r = kt.kernel->CreateExecProcess(std::move(a));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ToInt(r.error()), ESRCH);
}

TEST(FreezeTest, FrozenUntilThawed) {
  auto kt = MakeKernelAndTask();
  EXPECT_FALSE(kt.kernel->frozen());
  kt.kernel->Freeze();
  EXPECT_TRUE(kt.kernel->frozen());
  EXPECT_TRUE(kt.task->interrupted());
  kt.kernel->Thaw();
  EXPECT_FALSE(kt.kernel->frozen());
}

TEST(FreezeTest, SignalDeliveryWaitsForThawButSigkillDoesNot) {
  auto kt = MakeKernelAndTask();
  kt.kernel->Freeze();
  absl::Notification returned;
  bool alive = true;
  std::thread th([&] {
    alive = kt.task->HandleSignals(nullptr);
    returned.Notify();
  });
  // Parked while frozen; SIGKILL ends the wait.
  EXPECT_FALSE(
      returned.WaitForNotificationWithTimeout(absl::Milliseconds(200)));
  ASSERT_TRUE(kt.kernel->SignalFromOutside(1, SIGKILL, false, false).ok());
  returned.WaitForNotification();
  th.join();
  EXPECT_FALSE(alive);
}

TEST(FreezeTest, ThawReleasesParkedTasks) {
  auto kt = MakeKernelAndTask();
  kt.kernel->Freeze();
  absl::Notification returned;
  bool alive = false;
  std::thread th([&] {
    alive = kt.task->HandleSignals(nullptr);
    returned.Notify();
  });
  EXPECT_FALSE(
      returned.WaitForNotificationWithTimeout(absl::Milliseconds(200)));
  kt.kernel->Thaw();
  returned.WaitForNotification();
  th.join();
  EXPECT_TRUE(alive);
}

}  // namespace
}  // namespace sentry::kernel
