#include "sentry/kernel/proc_provider.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sentry/kernel/testing.h"

namespace sentry::kernel {
namespace {

using ::testing::HasSubstr;

TEST(ProcProviderTest, ListsProcessesAndGeneratesFiles) {
  auto kt = MakeKernelAndTask();
  kt.task->set_name("sh");
  {
    absl::MutexLock l(kt.kernel->mu());
    kt.task->tg().argv = {"sh", "-c", "true"};
    kt.task->tg().exe = "/bin/sh";
  }
  CloneArgs a;
  Task* c = kt.kernel->Clone(*kt.task, a)->get();
  KernelProcessProvider p(kt.kernel.get());
  EXPECT_EQ(p.Tgids(), (std::vector<int>{1, 2}));
  EXPECT_EQ(p.CallerTgid(), 0);
  SetCurrentTask(c);
  EXPECT_EQ(p.CallerTgid(), 2);
  EXPECT_EQ(p.CallerTid(), 2);
  SetCurrentTask(nullptr);

  auto status = p.Read(2, "status");
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(*status, HasSubstr("Name:\tsh\n"));
  EXPECT_THAT(*status, HasSubstr("Pid:\t2\nPPid:\t1\n"));
  EXPECT_THAT(*status, HasSubstr("NSpgid:\t1\n"));
  auto stat = p.Read(1, "stat");
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->rfind("1 (sh) S 0 1 1 ", 0), 0u) << *stat;
  auto cmdline = p.Read(2, "cmdline");
  EXPECT_EQ(*cmdline, std::string("sh\0-c\0true\0", 11));
  EXPECT_EQ(*p.ReadLink(1, "exe"), "/bin/sh");
  EXPECT_EQ(*p.Read(1, "task/1/comm"), "sh\n");
  auto tasks = p.List(1, "task");
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].name, "1");
  EXPECT_FALSE(p.Read(7, "status").ok());
  EXPECT_FALSE(p.Read(1, "nope").ok());
  EXPECT_FALSE(p.List(1, "task/99").ok());
  // A zombie shows state Z and an empty cmdline.
  c->ExitThread(ExitedStatus(0));
  EXPECT_THAT(*p.Read(2, "status"), HasSubstr("State:\tZ (zombie)"));
  EXPECT_EQ(*p.Read(2, "cmdline"), "");
}

}  // namespace
}  // namespace sentry::kernel
