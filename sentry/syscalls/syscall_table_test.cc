#include "sentry/syscalls/syscall_table.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <set>
#include <string>

#include "base/logging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sentry/syscalls/strace.h"
#include "sentry/syscalls/testing.h"

namespace sentry::syscalls {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SyscallTableTest, EveryAssignedNumberHasAName) {
  const SyscallTable& tab = SyscallTable::Get();
  EXPECT_GE(tab.max_nr(), 450);
  std::set<std::string> names;
  int named = 0;
  for (int nr = 0; nr <= tab.max_nr(); ++nr) {
    const SyscallInfo* e = tab.Lookup(nr);
    ASSERT_NE(e, nullptr);
    // Linux never assigned 335..423 on x86-64 (the gap before the unified
    // numbers 424+).
    bool hole = nr >= 335 && nr <= 423;
    if (hole) {
      EXPECT_EQ(e->name, nullptr) << nr;
      EXPECT_EQ(e->handler, nullptr) << nr;
      continue;
    }
    ASSERT_NE(e->name, nullptr) << nr;
    EXPECT_TRUE(names.insert(e->name).second) << "duplicate " << e->name;
    ++named;
    // A handler implies a support level; no handler means none.
    if (e->handler == nullptr) {
      EXPECT_EQ(e->support, Support::kNone) << e->name;
    } else {
      EXPECT_NE(e->support, Support::kNone) << e->name;
    }
    if (e->support == Support::kPartial) {
      EXPECT_STRNE(e->note, "") << e->name << " is partial without a note";
    }
  }
  EXPECT_EQ(named, 374);
  EXPECT_EQ(tab.Lookup(tab.max_nr() + 1), nullptr);
}

TEST(SyscallTableTest, KnownNumbersAndHandlers) {
  const SyscallTable& tab = SyscallTable::Get();
  struct Known {
    int nr;
    const char* name;
    bool handled;
  };
  const Known known[] = {
      {0, "read", true},
      {1, "write", true},
      {2, "open", true},
      {13, "rt_sigaction", true},
      {14, "rt_sigprocmask", true},
      {15, "rt_sigreturn", true},
      {39, "getpid", true},
      {56, "clone", true},
      {57, "fork", true},
      {59, "execve", true},
      {60, "exit", true},
      {61, "wait4", true},
      {62, "kill", true},
      {63, "uname", true},
      {96, "gettimeofday", true},
      {157, "prctl", true},
      {158, "arch_prctl", true},
      {202, "futex", true},
      {218, "set_tid_address", true},
      {228, "clock_gettime", true},
      {231, "exit_group", true},
      {234, "tgkill", true},
      {257, "openat", true},
      {273, "set_robust_list", true},
      {302, "prlimit64", true},
      {12, "brk", true},
      {9, "mmap", true},
      {318, "getrandom", true},
      {334, "rseq", false},
      {435, "clone3", true},
      {462, "mseal", false},
      {246, "kexec_load", false},
  };
  for (const Known& k : known) {
    const SyscallInfo* e = tab.Lookup(k.nr);
    ASSERT_NE(e, nullptr);
    EXPECT_STREQ(e->name, k.name);
    EXPECT_EQ(e->handler != nullptr, k.handled) << k.name;
  }
  EXPECT_EQ(SyscallName(257), "openat");
  EXPECT_EQ(SyscallName(999), "syscall_999");
}

// Captures log output through a pipe sink.
class LogCapture {
 public:
  LogCapture() {
    EXPECT_EQ(pipe2(fds_, O_NONBLOCK), 0);
    base::AddLogSink(fds_[1], base::LogFormat::kText, base::LogLevel::kDebug,
                     false);
  }
  ~LogCapture() {
    base::ClearLogSinks();
    close(fds_[0]);
    close(fds_[1]);
  }
  std::string Read() {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds_[0], buf, sizeof(buf))) > 0) out.append(buf, n);
    return out;
  }

 private:
  int fds_[2];
};

int Count(const std::string& s, const std::string& needle) {
  int n = 0;
  for (size_t p = s.find(needle); p != std::string::npos;
       p = s.find(needle, p + 1)) {
    ++n;
  }
  return n;
}

TEST(DispatchTest, UnimplementedIsEnosysReportedOncePerKernel) {
  LogCapture log;
  {
    auto kt = kernel::MakeKernelAndTask();
    for (int i = 0; i < 3; ++i) {
      SyscallResult r = Call(*kt.task, __NR_kexec_load);
      ASSERT_TRUE(r.IsError());
      EXPECT_EQ(ToInt(r.error()), ENOSYS);
    }
    EXPECT_EQ(CallRaw(*kt.task, 999), -ENOSYS);
    EXPECT_EQ(CallRaw(*kt.task, 999), -ENOSYS);
    EXPECT_EQ(CallRaw(*kt.task, uint64_t{1} << 40), -ENOSYS);
  }
  std::string out = log.Read();
  EXPECT_EQ(Count(out, "Unsupported syscall kexec_load"), 1) << out;
  EXPECT_EQ(Count(out, "syscall_999"), 1) << out;
  // A second sandbox (kernel) reports again.
  {
    auto kt = kernel::MakeKernelAndTask();
    (void)Call(*kt.task, __NR_kexec_load);
  }
  out = log.Read();
  EXPECT_EQ(Count(out, "Unsupported syscall kexec_load"), 1) << out;
  // Implemented calls are never reported.
  auto kt = kernel::MakeKernelAndTask();
  EXPECT_EQ(CallRaw(*kt.task, __NR_getpid), 1);
  EXPECT_THAT(log.Read(), Not(HasSubstr("Unsupported")));
}

TEST(StraceTest, FormatsArgumentsAndResults) {
  LogCapture log;
  auto kt = kernel::MakeKernelAndTask();
  kt.kernel->set_strace(true);
  kt.task->set_name("app");
  const uint64_t path = kernel::kTestMemBase + 0x100;
  const char kPath[] = "/etc/passwd";
  ASSERT_TRUE(kt.mem->CopyOutFull(UserAddr(path), kPath, sizeof(kPath)).ok());
  (void)Call(*kt.task, __NR_openat,
             {static_cast<uint64_t>(AT_FDCWD), path, O_RDONLY | O_CLOEXEC, 0});
  (void)Call(*kt.task, __NR_getpid);
  (void)Call(*kt.task, __NR_kill, {1, SIGKILL});
  (void)Call(*kt.task, __NR_rt_sigaction, {SIGKILL, path, 0, 8});
  const uint64_t buf = kernel::kTestMemBase + 0x200;
  std::string data =
      "hello\n\x01world, this is a long buffer that gets cut "
      "off somewhere past sixty-four bytes of output";
  ASSERT_TRUE(
      kt.mem->CopyOutFull(UserAddr(buf), data.data(), data.size()).ok());
  (void)Call(*kt.task, __NR_write, {1, buf, data.size()});
  (void)Call(*kt.task, __NR_clone,
             {CLONE_VM | CLONE_THREAD | SIGCHLD, 0, 0, 0, 0});
  std::string out = log.Read();
  EXPECT_THAT(out, HasSubstr("[1:1] app openat(AT_FDCWD, \"/etc/passwd\", "
                             "O_RDONLY|O_CLOEXEC, 0) = -1 ENOSYS"));
  EXPECT_THAT(out, HasSubstr("getpid() = 1"));
  EXPECT_THAT(out, HasSubstr("kill(1, SIGKILL) = 0"));
  EXPECT_THAT(out, HasSubstr("rt_sigaction(SIGKILL, 0x10100, NULL, 8) = -1 "
                             "EINVAL"));
  EXPECT_THAT(out, HasSubstr("write(1, \"hello\\n\\x01world, this is a long "
                             "buffer that gets cut off somewhere \"..., 95)"));
  EXPECT_THAT(out,
              HasSubstr("clone(CLONE_VM|CLONE_THREAD|SIGCHLD, NULL, NULL"));
}

TEST(StraceTest, FlagFormatting) {
  EXPECT_EQ(FormatOpenFlags(O_WRONLY | O_CREAT | O_TRUNC),
            "O_WRONLY|O_CREAT|O_TRUNC");
  EXPECT_EQ(FormatOpenFlags(O_RDONLY), "O_RDONLY");
  EXPECT_EQ(FormatOpenFlags(O_RDWR | 0x40000000), "O_RDWR|0x40000000");
  EXPECT_EQ(FormatCloneFlags(0), "0");
  EXPECT_EQ(FormatCloneFlags(CLONE_VFORK | CLONE_VM | SIGCHLD),
            "CLONE_VM|CLONE_VFORK|SIGCHLD");
  EXPECT_EQ(QuoteBytes("a\"b\\\t", 5, 10), "\"a\\\"b\\\\\\t\"");
  EXPECT_EQ(QuoteBytes("abcdef", 6, 3), "\"abc\"...");
}

TEST(StraceTest, RestartResultsAreNamed) {
  kernel::KernelConfig cfg;
  auto kt = kernel::MakeKernelAndTask();
  SyscallArgs a;
  a.nr = __NR_wait4;
  StraceRecord rec = StraceEnter(*kt.task, a);
  std::string s =
      StraceExit(*kt.task, a, rec,
                 SyscallResult::Restart(kernel::RestartKind::kRestartSys));
  EXPECT_THAT(s, HasSubstr("= ? ERESTARTSYS"));
}

}  // namespace
}  // namespace sentry::syscalls
