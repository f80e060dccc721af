// What the sandbox's control channel needs from the kernel: processes
// started from outside (exec), freezing every task (pause), usage totals
// (events) and the terminal's process-group check.
#include <sys/wait.h>

#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/testing.h"

namespace sentry::kernel {
namespace {

// A process of container `id` started from outside (exec), its init if
// `init`.
Task* NewContainerProcess(KernelAndTask& kt, const std::string& id, bool init) {
  NewTaskArgs args;
  args.mm = kt.mem;
  args.container_id = id;
  args.container_init = init;
  return *kt.kernel->CreateExecProcess(std::move(args));
}

// Multi-container sandboxes: every process carries its container's id.
TEST(ContainerIdTest, SetAtCreationAndInheritedByFork) {
  auto kt = MakeKernelAndTask();
  Task* ainit = NewContainerProcess(kt, "a", /*init=*/true);
  Task* binit = NewContainerProcess(kt, "b", /*init=*/true);
  auto child = kt.kernel->Clone(*ainit, CloneArgs{});
  ASSERT_TRUE(child.ok());
  EXPECT_EQ((*child)->tg().container_id, "a");
  EXPECT_FALSE((*child)->tg().container_init);
  EXPECT_EQ(binit->tg().container_id, "b");

  EXPECT_EQ(kt.kernel->GetUsage("a").processes, 2);
  EXPECT_EQ(kt.kernel->GetUsage("b").processes, 1);
  EXPECT_EQ(kt.kernel->GetUsage().processes, 4);
  int in_a = 0;
  for (const ProcessInfo& p : kt.kernel->Processes()) {
    if (p.container_id != "a") continue;
    ++in_a;
    EXPECT_EQ(p.container_init, p.pid == ainit->tg().tgid);
  }
  EXPECT_EQ(in_a, 2);
}

TEST(ContainerIdTest, SignalsFromOutsideStayInTheContainer) {
  auto kt = MakeKernelAndTask();
  Task* ainit = NewContainerProcess(kt, "a", /*init=*/true);
  Task* achild = kt.kernel->Clone(*ainit, CloneArgs{})->get();
  Task* bproc = NewContainerProcess(kt, "b", /*init=*/false);
  // A pid of another container is not found through container "a".
  EXPECT_EQ(ToInt(kt.kernel
                      ->SignalFromOutside(bproc->tg().tgid, SIGKILL, false,
                                          false, "a")
                      .error()),
            ESRCH);
  ASSERT_TRUE(kt.kernel->SignalFromOutside(0, SIGKILL, false, true, "a").ok());
  absl::MutexLock l(kt.kernel->mu());
  EXPECT_TRUE(ainit->tg().exiting);
  EXPECT_TRUE(achild->tg().exiting);
  EXPECT_FALSE(bproc->tg().exiting);
  EXPECT_FALSE(kt.task->tg().exiting);
}

TEST(ContainerIdTest, ExitOfAContainerInitKillsOnlyItsContainer) {
  auto kt = MakeKernelAndTask();
  Task* ainit = NewContainerProcess(kt, "a", /*init=*/true);
  Task* achild = kt.kernel->Clone(*ainit, CloneArgs{})->get();
  Task* bproc = NewContainerProcess(kt, "b", /*init=*/false);
  int apid = ainit->tg().tgid;
  ainit->ExitThread(ExitedStatus(0));
  EXPECT_EQ(*kt.kernel->WaitPidExit(apid), ExitedStatus(0));
  absl::MutexLock l(kt.kernel->mu());
  EXPECT_TRUE(achild->tg().exiting);
  EXPECT_FALSE(bproc->tg().exiting);
  EXPECT_FALSE(kt.task->tg().exiting);
}

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
  const std::string& c = kt.task->tg().container_id;
  EXPECT_FALSE(kt.kernel->frozen(c));
  kt.kernel->Freeze(c);
  EXPECT_TRUE(kt.kernel->frozen(c));
  EXPECT_TRUE(kt.task->interrupted());
  kt.kernel->Thaw(c);
  EXPECT_FALSE(kt.kernel->frozen(c));
}

// Pausing another container of the pod neither interrupts nor parks this
// one's tasks.
TEST(FreezeTest, OtherContainersRunOn) {
  auto kt = MakeKernelAndTask();
  kt.kernel->Freeze("some-other-container");
  EXPECT_TRUE(kt.kernel->frozen("some-other-container"));
  EXPECT_FALSE(kt.kernel->frozen(kt.task->tg().container_id));
  EXPECT_FALSE(kt.task->interrupted());
  absl::Notification returned;
  std::thread th([&] {
    (void)kt.task->HandleSignals(nullptr);
    returned.Notify();
  });
  EXPECT_TRUE(returned.WaitForNotificationWithTimeout(absl::Seconds(10)));
  th.join();
  kt.kernel->Thaw("some-other-container");
}

TEST(FreezeTest, SignalDeliveryWaitsForThawButSigkillDoesNot) {
  auto kt = MakeKernelAndTask();
  kt.kernel->Freeze(kt.task->tg().container_id);
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
  kt.kernel->Freeze(kt.task->tg().container_id);
  absl::Notification returned;
  bool alive = false;
  std::thread th([&] {
    alive = kt.task->HandleSignals(nullptr);
    returned.Notify();
  });
  EXPECT_FALSE(
      returned.WaitForNotificationWithTimeout(absl::Milliseconds(200)));
  kt.kernel->Thaw(kt.task->tg().container_id);
  returned.WaitForNotification();
  th.join();
  EXPECT_TRUE(alive);
}

}  // namespace
}  // namespace sentry::kernel
