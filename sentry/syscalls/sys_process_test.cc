// Handler tests for the thread, identity, misc, futex and time families.
#include <asm/prctl.h>
#include <linux/futex.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <thread>

#include "gtest/gtest.h"
#include "sentry/syscalls/testing.h"

namespace sentry::syscalls {
namespace {

using kernel::kTestMemBase;

constexpr uint64_t kA = kTestMemBase + 0x100;
constexpr uint64_t kB = kTestMemBase + 0x400;
constexpr uint64_t kC = kTestMemBase + 0x800;

kernel::Credentials User(uint32_t uid) {
  kernel::Credentials c;
  c.real_uid = c.effective_uid = c.saved_uid = c.fs_uid = uid;
  c.real_gid = c.effective_gid = c.saved_gid = c.fs_gid = uid;
  c.cap_effective = c.cap_permitted = 0;
  return c;
}

class ProcessSyscallTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(kernel::Credentials::Root()); }
  void Make(kernel::Credentials c, kernel::KernelConfig cfg = {}) {
    kt_ = kernel::MakeKernelAndTask(std::move(c), std::move(cfg));
    t_ = kt_.task;
  }
  template <typename T>
  void Put(uint64_t addr, const T& v) {
    ASSERT_TRUE(kt_.mem->CopyOutObj(UserPtr<T>(UserAddr(addr)), v).ok());
  }
  template <typename T>
  T Get(uint64_t addr) {
    return *kt_.mem->CopyInObj(UserPtr<T>(UserAddr(addr)));
  }
  kernel::KernelAndTask kt_;
  Task* t_;
};

TEST_F(ProcessSyscallTest, Ids) {
  EXPECT_EQ(CallRaw(*t_, __NR_getpid), 1);
  EXPECT_EQ(CallRaw(*t_, __NR_gettid), 1);
  EXPECT_EQ(CallRaw(*t_, __NR_getppid), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_set_tid_address, {kA}), 1);
  EXPECT_EQ(t_->clear_child_tid.value(), kA);
  EXPECT_EQ(CallRaw(*t_, __NR_set_robust_list, {kA, 24}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_set_robust_list, {kA, 16}), -EINVAL);
}

TEST_F(ProcessSyscallTest, ForkWaitAndStatus) {
  int64_t pid = CallRaw(*t_, __NR_clone, {SIGCHLD, 0, 0, 0, 0});
  ASSERT_EQ(pid, 2);
  EXPECT_EQ(
      CallRaw(*t_, __NR_wait4, {static_cast<uint64_t>(pid), kA, WNOHANG, 0}),
      0);
  Task* child;
  {
    absl::MutexLock l(kt_.kernel->mu());
    child = kt_.kernel->pidns().FindTask(static_cast<int>(pid));
  }
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(CallRaw(*child, __NR_getppid), 1);
  child->ExitThread(kernel::ExitedStatus(42));
  EXPECT_EQ(CallRaw(*t_, __NR_wait4, {static_cast<uint64_t>(-1), kA, 0, kB}),
            pid);
  int status = Get<int>(kA);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 42);
  EXPECT_EQ(CallRaw(*t_, __NR_wait4, {static_cast<uint64_t>(-1), kA, 0, 0}),
            -ECHILD);
  EXPECT_EQ(
      CallRaw(*t_, __NR_wait4, {static_cast<uint64_t>(-1), kA, 0x1000, 0}),
      -EINVAL);
}

TEST_F(ProcessSyscallTest, WaitidReportsSiginfo) {
  int64_t pid = CallRaw(*t_, __NR_fork);
  ASSERT_GT(pid, 1);
  Task* child;
  {
    absl::MutexLock l(kt_.kernel->mu());
    child = kt_.kernel->pidns().FindTask(static_cast<int>(pid));
  }
  kt_.kernel->SendSignal(nullptr, child, nullptr,
                         kernel::MakeSigInfo(SIGABRT, SI_USER));
  EXPECT_FALSE(child->HandleSignals(nullptr));
  child->ExitThread(0);
  EXPECT_EQ(CallRaw(*t_, __NR_waitid, {P_ALL, 0, kA, 0, 0}), -EINVAL);
  ASSERT_EQ(CallRaw(*t_, __NR_waitid,
                    {P_PID, static_cast<uint64_t>(pid), kA, WEXITED, 0}),
            0);
  siginfo_t info = Get<siginfo_t>(kA);
  EXPECT_EQ(info.si_signo, SIGCHLD);
  EXPECT_EQ(info.si_code, CLD_DUMPED);
  EXPECT_EQ(info.si_pid, pid);
  EXPECT_EQ(info.si_status, SIGABRT);
}

TEST_F(ProcessSyscallTest, CloneValidation) {
  EXPECT_EQ(CallRaw(*t_, __NR_clone, {CLONE_THREAD | CLONE_VM, 0, 0, 0, 0}),
            -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_clone, {CLONE_SIGHAND, 0, 0, 0, 0}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_clone, {CLONE_PIDFD, 0, 0, 0, 0}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_clone3, {kA, 32}), -EINVAL);
  struct clone_args ca = {};
  ca.exit_signal = SIGCHLD;
  ca.stack = kTestMemBase + 0x1000;  // stack without a size
  Put(kA, ca);
  EXPECT_EQ(CallRaw(*t_, __NR_clone3, {kA, sizeof(ca)}), -EINVAL);
  ca.stack_size = 0x1000;
  Put(kA, ca);
  int64_t tid = CallRaw(*t_, __NR_clone3, {kA, sizeof(ca)});
  ASSERT_GT(tid, 1);
  absl::MutexLock l(kt_.kernel->mu());
  Task* c = kt_.kernel->pidns().FindTask(static_cast<int>(tid));
  EXPECT_EQ(c->regs().gp().rsp, kTestMemBase + 0x2000);  // top of the stack
}

TEST_F(ProcessSyscallTest, SessionsThroughSyscalls) {
  int64_t pid = CallRaw(*t_, __NR_fork);
  Task* child;
  {
    absl::MutexLock l(kt_.kernel->mu());
    child = kt_.kernel->pidns().FindTask(static_cast<int>(pid));
  }
  EXPECT_EQ(CallRaw(*t_, __NR_setsid), -EPERM);
  EXPECT_EQ(CallRaw(*child, __NR_getpgrp), 1);
  EXPECT_EQ(CallRaw(*child, __NR_setsid), pid);
  EXPECT_EQ(CallRaw(*child, __NR_getsid, {0}), pid);
  EXPECT_EQ(CallRaw(*t_, __NR_getsid, {static_cast<uint64_t>(pid)}), pid);
  EXPECT_EQ(CallRaw(*child, __NR_getpgid, {0}), pid);
}

TEST_F(ProcessSyscallTest, SetuidFamily) {
  EXPECT_EQ(CallRaw(*t_, __NR_setresuid, {1000, 1000, 0}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_geteuid), 1000);
  // Root saved uid keeps the permitted set; the effective set is gone.
  EXPECT_FALSE(t_->creds()->HasCapability(CAP_SETUID));
  EXPECT_NE(t_->creds()->cap_permitted, 0u);
  EXPECT_EQ(CallRaw(*t_, __NR_setuid, {0}), 0);  // back via the saved id
  EXPECT_EQ(CallRaw(*t_, __NR_geteuid), 0);
  EXPECT_TRUE(t_->creds()->HasCapability(CAP_SETUID));
  // Dropping all root ids clears the capabilities for good.
  EXPECT_EQ(CallRaw(*t_, __NR_setuid, {1000}), 0);
  EXPECT_EQ(t_->creds()->cap_permitted, 0u);
  EXPECT_EQ(CallRaw(*t_, __NR_setuid, {0}), -EPERM);
  EXPECT_EQ(CallRaw(*t_, __NR_setresuid, {1000, 1000, 1000}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_setreuid, {2000, static_cast<uint64_t>(-1)}),
            -EPERM);
  EXPECT_EQ(CallRaw(*t_, __NR_getresuid, {kA, kA + 4, kA + 8}), 0);
  EXPECT_EQ(Get<uint32_t>(kA + 8), 1000u);
  EXPECT_EQ(CallRaw(*t_, __NR_setfsuid, {0}), 1000);  // refused, old value
  EXPECT_EQ(t_->creds()->fs_uid, 1000u);
  EXPECT_EQ(CallRaw(*t_, __NR_setgroups, {0, 0}), -EPERM);
}

TEST_F(ProcessSyscallTest, SetreuidSavedIdRule) {
  Make(User(1000));
  auto c = *t_->creds();
  c.saved_uid = 2000;
  t_->set_creds(c);
  // Unprivileged: euid may become the saved uid; ruid only ruid/euid.
  EXPECT_EQ(CallRaw(*t_, __NR_setreuid, {static_cast<uint64_t>(-1), 2000}), 0);
  EXPECT_EQ(t_->creds()->effective_uid, 2000u);
  EXPECT_EQ(t_->creds()->saved_uid, 2000u);  // euid != old ruid: saved = euid
  EXPECT_EQ(CallRaw(*t_, __NR_setreuid, {3000, static_cast<uint64_t>(-1)}),
            -EPERM);
}

TEST_F(ProcessSyscallTest, GroupsAndCaps) {
  uint32_t groups[3] = {30, 10, 20};
  ASSERT_TRUE(kt_.mem->CopyOutFull(UserAddr(kA), groups, sizeof(groups)).ok());
  EXPECT_EQ(CallRaw(*t_, __NR_setgroups, {3, kA}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_getgroups, {0, 0}), 3);
  EXPECT_EQ(CallRaw(*t_, __NR_getgroups, {1, kB}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_getgroups, {3, kB}), 3);
  EXPECT_EQ(Get<uint32_t>(kB), 10u);  // sorted
  // capget version probe.
  struct {
    uint32_t version;
    int pid;
  } hdr{0x1234, 0};
  Put(kC, hdr);
  EXPECT_EQ(CallRaw(*t_, __NR_capget, {kC, 0}), 0);
  EXPECT_EQ(Get<uint32_t>(kC),
            static_cast<uint32_t>(_LINUX_CAPABILITY_VERSION_3));
  EXPECT_EQ(CallRaw(*t_, __NR_capget, {kC, kB}), 0);
  EXPECT_EQ(Get<uint32_t>(kB), 0xffffffffu);  // root's effective low word
  // capset: drop everything but CAP_KILL, then raising again is EPERM.
  uint32_t data[6] = {1u << CAP_KILL, 1u << CAP_KILL, 0, 0, 0, 0};
  ASSERT_TRUE(kt_.mem->CopyOutFull(UserAddr(kB), data, sizeof(data)).ok());
  EXPECT_EQ(CallRaw(*t_, __NR_capset, {kC, kB}), 0);
  EXPECT_EQ(t_->creds()->cap_permitted, uint64_t{1} << CAP_KILL);
  data[0] = data[1] = 1u << CAP_CHOWN;
  ASSERT_TRUE(kt_.mem->CopyOutFull(UserAddr(kB), data, sizeof(data)).ok());
  EXPECT_EQ(CallRaw(*t_, __NR_capset, {kC, kB}), -EPERM);
}

TEST_F(ProcessSyscallTest, Uname) {
  ASSERT_EQ(CallRaw(*t_, __NR_uname, {kA}), 0);
  struct utsname u = Get<struct utsname>(kA);
  EXPECT_STREQ(u.sysname, "Linux");
  EXPECT_STREQ(u.release, "4.4.0");
  EXPECT_STREQ(u.machine, "x86_64");
  EXPECT_STREQ(u.nodename, "sandbox");
}

TEST_F(ProcessSyscallTest, Getrandom) {
  std::vector<uint8_t> zero(64, 0);
  ASSERT_TRUE(kt_.mem->CopyOutFull(UserAddr(kA), zero.data(), 64).ok());
  EXPECT_EQ(CallRaw(*t_, __NR_getrandom, {kA, 64, 0}), 64);
  std::vector<uint8_t> got(64);
  ASSERT_TRUE(kt_.mem->CopyInFull(UserAddr(kA), got.data(), 64).ok());
  EXPECT_NE(got, zero);
  EXPECT_EQ(CallRaw(*t_, __NR_getrandom, {kA, 8, 0x100}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_getrandom, {8, 8, 0}), -EFAULT);
  // Short count at the end of the memory.
  uint64_t end = kTestMemBase + kernel::kTestMemSize;
  EXPECT_EQ(CallRaw(*t_, __NR_getrandom, {end - 10, 100, 0}), 10);
}

TEST_F(ProcessSyscallTest, Prctl) {
  const char name[] = "a-very-long-thread-name";
  ASSERT_TRUE(kt_.mem->CopyOutFull(UserAddr(kA), name, sizeof(name)).ok());
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_SET_NAME, kA}), 0);
  EXPECT_EQ(t_->name(), "a-very-long-thr");  // 15 bytes
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_GET_NAME, kB}), 0);
  char out[16];
  ASSERT_TRUE(kt_.mem->CopyInFull(UserAddr(kB), out, 16).ok());
  EXPECT_STREQ(out, "a-very-long-thr");
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_SET_PDEATHSIG, SIGKILL}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_GET_PDEATHSIG, kC}), 0);
  EXPECT_EQ(Get<int>(kC), SIGKILL);
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_SET_PDEATHSIG, 99}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0}),
            -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0}), 1);
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_GET_DUMPABLE}), 1);
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_CAPBSET_READ, CAP_SYS_ADMIN}), 1);
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_CAPBSET_READ, 99}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_CAPBSET_DROP, CAP_SYS_ADMIN}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {PR_CAPBSET_READ, CAP_SYS_ADMIN}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_prctl, {0x7777}), -EINVAL);
}

TEST_F(ProcessSyscallTest, ArchPrctl) {
  EXPECT_EQ(CallRaw(*t_, __NR_arch_prctl, {ARCH_SET_FS, 0x7f0000001000}), 0);
  EXPECT_EQ(t_->regs().gp().fs_base, 0x7f0000001000u);
  EXPECT_EQ(CallRaw(*t_, __NR_arch_prctl, {ARCH_GET_FS, kA}), 0);
  EXPECT_EQ(Get<uint64_t>(kA), 0x7f0000001000u);
  EXPECT_EQ(CallRaw(*t_, __NR_arch_prctl, {ARCH_SET_GS, 0xffff800000000000}),
            -EPERM);
  EXPECT_EQ(CallRaw(*t_, __NR_arch_prctl, {0x9999, 0}), -EINVAL);
}

TEST_F(ProcessSyscallTest, Rlimits) {
  ASSERT_EQ(CallRaw(*t_, __NR_getrlimit, {RLIMIT_NOFILE, kA}), 0);
  rlimit r = Get<rlimit>(kA);
  EXPECT_EQ(r.rlim_cur, 1024u);
  EXPECT_EQ(r.rlim_max, 1048576u);
  Put(kA, rlimit{2000, 1000});
  EXPECT_EQ(CallRaw(*t_, __NR_setrlimit, {RLIMIT_NOFILE, kA}), -EINVAL);
  Put(kA, rlimit{100, 2000000});
  EXPECT_EQ(CallRaw(*t_, __NR_setrlimit, {RLIMIT_NOFILE, kA}), -EPERM);
  Put(kA, rlimit{100, 200});
  EXPECT_EQ(CallRaw(*t_, __NR_setrlimit, {RLIMIT_NOFILE, kA}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_prlimit64, {0, RLIMIT_NOFILE, 0, kB}), 0);
  EXPECT_EQ(Get<rlimit>(kB).rlim_max, 200u);
  EXPECT_EQ(CallRaw(*t_, __NR_getrlimit, {RLIM_NLIMITS, kA}), -EINVAL);
  // Children inherit; an unprivileged task cannot raise its hard limit.
  // (CLONE_VM so that the test reads the child's writes.)
  int64_t pid = CallRaw(*t_, __NR_clone, {CLONE_VM | SIGCHLD, 0, 0, 0, 0});
  Task* child;
  {
    absl::MutexLock l(kt_.kernel->mu());
    child = kt_.kernel->pidns().FindTask(static_cast<int>(pid));
  }
  child->set_creds(User(0));
  EXPECT_EQ(CallRaw(*child, __NR_getrlimit, {RLIMIT_NOFILE, kC}), 0);
  EXPECT_EQ(Get<rlimit>(kC).rlim_cur, 100u);
  Put(kA, rlimit{100, 300});
  EXPECT_EQ(CallRaw(*child, __NR_setrlimit, {RLIMIT_NOFILE, kA}), -EPERM);
  EXPECT_EQ(CallRaw(*child, __NR_prlimit64, {4242, RLIMIT_NOFILE, 0, kB}),
            -ESRCH);
}

TEST_F(ProcessSyscallTest, SchedBasics) {
  kernel::KernelConfig cfg;
  cfg.num_cpus = 2;
  Make(kernel::Credentials::Root(), cfg);
  EXPECT_EQ(CallRaw(*t_, __NR_sched_getaffinity, {0, 128, kA}), 8);
  EXPECT_EQ(Get<uint64_t>(kA), 0x3u);
  EXPECT_EQ(CallRaw(*t_, __NR_sched_getaffinity, {0, 4, kA}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_sched_getaffinity, {99, 8, kA}), -ESRCH);
  Put(kB, uint64_t{0x4});
  EXPECT_EQ(CallRaw(*t_, __NR_sched_setaffinity, {0, 8, kB}), -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_sched_yield), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_sched_getscheduler, {0}), SCHED_OTHER);
  EXPECT_EQ(CallRaw(*t_, __NR_sched_get_priority_max, {SCHED_FIFO}), 99);
  EXPECT_EQ(CallRaw(*t_, __NR_sched_get_priority_min, {SCHED_OTHER}), 0);
}

TEST_F(ProcessSyscallTest, FutexSyscall) {
  Put(kA, uint32_t{3});
  EXPECT_EQ(CallRaw(*t_, __NR_futex, {kA, FUTEX_WAIT_PRIVATE, 4, 0, 0, 0}),
            -EAGAIN);
  EXPECT_EQ(CallRaw(*t_, __NR_futex, {kA, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0}), 0);
  EXPECT_EQ(CallRaw(*t_, __NR_futex,
                    {kA, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 3, 0, 0, 0}),
            -ENOSYS);
  EXPECT_EQ(CallRaw(*t_, __NR_futex, {kA + 1, FUTEX_WAKE, 1, 0, 0, 0}),
            -EINVAL);
  EXPECT_EQ(CallRaw(*t_, __NR_futex, {kA, 99, 1, 0, 0, 0}), -ENOSYS);
  // A relative timeout.
  Put(kB, timespec{0, 1000000});
  EXPECT_EQ(CallRaw(*t_, __NR_futex, {kA, FUTEX_WAIT_PRIVATE, 3, kB, 0, 0}),
            -ETIMEDOUT);
  Put(kB, timespec{0, 2000000000});
  EXPECT_EQ(CallRaw(*t_, __NR_futex, {kA, FUTEX_WAIT_PRIVATE, 3, kB, 0, 0}),
            -EINVAL);
}

}  // namespace
}  // namespace sentry::syscalls
