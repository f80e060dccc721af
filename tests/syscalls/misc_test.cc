// Small calls the sentry must serve: getrandom, sched_*, sysinfo, ids,
// set_tid_address, process groups and sessions, umask, getcpu, personality.
#include <linux/capability.h>
#include <linux/random.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

TEST(GetrandomTest, FillsBuffer) {
  unsigned char a[64] = {}, b[64] = {};
  ASSERT_THAT(getrandom(a, sizeof(a), 0), SyscallSucceedsWithValue(sizeof(a)));
  ASSERT_THAT(getrandom(b, sizeof(b), GRND_NONBLOCK),
              SyscallSucceedsWithValue(sizeof(b)));
  // Two 512-bit draws are equal with probability 2^-512.
  EXPECT_NE(memcmp(a, b, sizeof(a)), 0);
  std::set<unsigned char> distinct(a, a + sizeof(a));
  EXPECT_GT(distinct.size(), 8u);
  EXPECT_THAT(getrandom(a, sizeof(a), 0x1234), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(syscall(SYS_getrandom, 8L, 16L, 0),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(getrandom(a, 0, 0), SyscallSucceedsWithValue(0));
}

TEST(IdsTest, PidTidPpid) {
  EXPECT_EQ(syscall(SYS_gettid), getpid());  // The main thread.
  EXPECT_GE(getppid(), 0);  // 0 for the first process of a PID namespace.
  const pid_t parent = getpid();
  EXPECT_CHILD_SUCCEEDS([&] {
    EXPECT_EQ(getppid(), parent);
    EXPECT_NE(getpid(), parent);
    EXPECT_EQ(syscall(SYS_gettid), getpid());
  });
}

TEST(IdsTest, SetTidAddressReturnsTid) {
  EXPECT_CHILD_SUCCEEDS([] {
    static int word = 0;
    EXPECT_EQ(syscall(SYS_set_tid_address, &word), syscall(SYS_gettid));
  });
}

TEST(ProcessGroupTest, SetpgidAndGetpgid) {
  EXPECT_CHILD_SUCCEEDS([] {
    ASSERT_THAT(setpgid(0, 0), SyscallSucceeds());
    EXPECT_EQ(getpgrp(), getpid());
    EXPECT_EQ(getpgid(0), getpid());
    // A child starts in our group and can be moved to its own.
    int p[2];
    ASSERT_THAT(pipe(p), SyscallSucceeds());
    pid_t child = fork();
    if (child == 0) {
      char c;
      read(p[0], &c, 1);
      _exit(0);
    }
    EXPECT_EQ(getpgid(child), getpid());
    ASSERT_THAT(setpgid(child, child), SyscallSucceeds());
    EXPECT_EQ(getpgid(child), child);
    // Signal the whole group of the child.
    ASSERT_THAT(kill(-child, SIGTERM), SyscallSucceeds());
    int status = WaitPid(child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    close(p[0]);
    close(p[1]);
    EXPECT_THAT(getpgid(child), SyscallFailsWithErrno(ESRCH));
    EXPECT_THAT(setpgid(-1, 0), SyscallFailsWithErrno(EINVAL));
  });
}

TEST(SessionTest, Setsid) {
  EXPECT_CHILD_SUCCEEDS([] {
    // A group leader cannot start a session.
    ASSERT_THAT(setpgid(0, 0), SyscallSucceeds());
    EXPECT_THAT(setsid(), SyscallFailsWithErrno(EPERM));
    EXPECT_CHILD_SUCCEEDS([] {
      pid_t sid = setsid();
      ASSERT_THAT(sid, SyscallSucceeds());
      EXPECT_EQ(sid, getpid());
      EXPECT_EQ(getsid(0), getpid());
      EXPECT_EQ(getpgrp(), getpid());
      // A session leader cannot change its group.
      EXPECT_THAT(setpgid(0, getppid()), SyscallFailsWithErrno(EPERM));
    });
  });
}

TEST(SchedTest, AffinityYieldPolicy) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_THAT(sched_getaffinity(0, sizeof(set), &set), SyscallSucceeds());
  EXPECT_GT(CPU_COUNT(&set), 0);
  EXPECT_THAT(sched_yield(), SyscallSucceeds());
  EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
  struct sched_param param = {};
  ASSERT_THAT(sched_getparam(0, &param), SyscallSucceeds());
  EXPECT_EQ(param.sched_priority, 0);
  EXPECT_EQ(sched_get_priority_max(SCHED_OTHER), 0);
  EXPECT_GT(sched_get_priority_max(SCHED_FIFO), 0);
  EXPECT_THAT(sched_getscheduler(-1), SyscallFailsWithErrno(EINVAL));
  // The raw call returns the size of the kernel's mask in bytes.
  unsigned long mask[16] = {};
  long n = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
  ASSERT_THAT(n, SyscallSucceeds());
  EXPECT_EQ(n % sizeof(unsigned long), 0);
  EXPECT_NE(mask[0], 0u);
  long nproc = sysconf(_SC_NPROCESSORS_ONLN);
  EXPECT_GE(nproc, CPU_COUNT(&set));
}

TEST(SchedTest, Getcpu) {
  unsigned cpu = ~0u, node = ~0u;
  ASSERT_THAT(syscall(SYS_getcpu, &cpu, &node, nullptr), SyscallSucceeds());
  EXPECT_LT(cpu, 4096u);
}

TEST(SchedTest, NiceAndPriority) {
  EXPECT_CHILD_SUCCEEDS([] {
    errno = 0;
    int before = getpriority(PRIO_PROCESS, 0);
    ASSERT_EQ(errno, 0);
    // Move away from the current value in the direction that is always
    // allowed (raising niceness), unless we already run at the maximum (19,
    // e.g. under `nice -n 19`): then lowering needs CAP_SYS_NICE, and without
    // it the kernel must refuse.
    int target = before < 19 ? before + 1 : before - 1;
    if (target < before && !HaveCapability(CAP_SYS_NICE)) {
      EXPECT_THAT(setpriority(PRIO_PROCESS, 0, target),
                  SyscallFailsWithErrno(EACCES));
      return;
    }
    ASSERT_THAT(setpriority(PRIO_PROCESS, 0, target), SyscallSucceeds());
    errno = 0;
    EXPECT_EQ(getpriority(PRIO_PROCESS, 0), target);
    EXPECT_THAT(setpriority(42, 0, 0), SyscallFailsWithErrno(EINVAL));
  });
}

TEST(SysinfoTest, Plausible) {
  struct sysinfo si;
  ASSERT_THAT(sysinfo(&si), SyscallSucceeds());
  EXPECT_GT(si.totalram, 0u);
  EXPECT_LE(si.freeram, si.totalram);
  EXPECT_GT(si.procs, 0);
  EXPECT_GE(si.uptime, 0);
  EXPECT_GE(si.mem_unit, 1u);
}

TEST(UmaskTest, SetReturnsOld) {
  EXPECT_CHILD_SUCCEEDS([] {
    mode_t old = umask(077);
    EXPECT_EQ(umask(old), 077u);
    // Only the permission bits are kept.
    umask(0177777);
    EXPECT_EQ(umask(022), 0777u);
  });
}

TEST(PersonalityTest, QueryAndSet) {
  EXPECT_CHILD_SUCCEEDS([] {
    int cur = personality(0xffffffff);
    ASSERT_THAT(cur, SyscallSucceeds());
    EXPECT_EQ(cur & PER_MASK, PER_LINUX);
    const int want =
        static_cast<int>(PER_LINUX) | static_cast<int>(ADDR_NO_RANDOMIZE);
    ASSERT_THAT(personality(want), SyscallSucceeds());
    EXPECT_EQ(personality(0xffffffff), want);
  });
}

TEST(UnknownSyscallTest, IsEnosys) {
  // A number far beyond the table.
  EXPECT_THAT(syscall(5000), SyscallFailsWithErrno(ENOSYS));
  // An obsolete call Linux x86-64 never implemented (tuxcall).
  EXPECT_THAT(syscall(SYS_tuxcall), SyscallFailsWithErrno(ENOSYS));
}

}  // namespace
}  // namespace syscall_test
