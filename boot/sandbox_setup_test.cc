// Sandbox setup and the sentry seccomp filter, each exercised in a child
// created with CLONE_NEWPID (as the launcher creates `runsc boot`). Needs
// root (namespaces, pivot_root); skipped otherwise.
#include "boot/sandbox_setup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boot/seccomp_filter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace boot {
namespace {

using ::testing::HasSubstr;

struct ChildResult {
  int wait_status = 0;
  std::string output;
};

// Runs `body` in a child in a new PID namespace. The body gets a descriptor
// to report on (kept open through setup) and returns the exit code.
ChildResult RunChild(const std::function<int(int report_fd)>& body) {
  int p[2];
  EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
  pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWPID | SIGCHLD,
                                           nullptr, nullptr, nullptr, nullptr));
  EXPECT_GE(pid, 0) << strerror(errno);
  if (pid == 0) {
    ::close(p[0]);
    _exit(body(p[1]));
  }
  ::close(p[1]);
  ChildResult r;
  char buf[512];
  ssize_t n;
  while ((n = ::read(p[0], buf, sizeof(buf))) > 0) r.output.append(buf, n);
  ::close(p[0]);
  EXPECT_EQ(::waitpid(pid, &r.wait_status, 0), pid);
  return r;
}

void Report(int fd, const std::string& s) {
  std::string line = s + "\n";
  (void)!::write(fd, line.data(), line.size());
}

// Full setup keeping only the report descriptor; reports and returns 10 on
// failure.
int SetupChild(int report_fd) {
  absl::Status s = SetupSandbox(SetupOptions{.keep_fds = {report_fd}});
  if (!s.ok()) {
    Report(report_fd, "setup: " + s.ToString());
    return 10;
  }
  return 0;
}

class SandboxSetupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  }
};

TEST_F(SandboxSetupTest, IsolatesTheProcess) {
  int extra = ::eventfd(0, 0);  // inherited, not named: must be closed
  ASSERT_GE(extra, 0);
  ChildResult r = RunChild([extra](int fd) {
    if (::getpid() != 1) return 20;
    if (int rc = SetupChild(fd); rc != 0) return rc;
    if (::fcntl(extra, F_GETFD) != -1 || errno != EBADF) return 21;
    // 0-2 were not named: they hold inert eventfds (writes of a line fail).
    for (int std_fd = 0; std_fd <= 2; ++std_fd) {
      if (std_fd == fd) continue;
      if (::write(std_fd, "x\n", 2) != -1 || errno != EINVAL) return 34;
    }
    if (::open("/etc/passwd", O_RDONLY) != -1 || errno != ENOENT) return 22;
    if (::open("/newfile", O_CREAT | O_WRONLY, 0644) != -1 || errno != EROFS) {
      Report(fd, absl::StrCat("create: ", strerror(errno)));
      return 23;
    }
    if (::mkdir("/dir", 0755) != -1 || errno != EROFS) return 24;
    // The root is empty: only "." and "..".
    int dfd = ::open("/", O_RDONLY | O_DIRECTORY);
    if (dfd < 0) return 25;
    char buf[1024];
    long n = ::syscall(SYS_getdents64, dfd, buf, sizeof(buf));
    int entries = 0;
    for (long off = 0; off < n;) {
      auto* reclen = reinterpret_cast<unsigned short*>(buf + off + 16);
      ++entries;
      off += *reclen;
    }
    ::close(dfd);
    if (entries != 2) return 26;
    if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 27;
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &hdr, data) != 0) return 28;
    if (data[0].effective || data[1].effective || data[0].permitted ||
        data[1].permitted) {
      return 29;
    }
    if (::prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0) return 30;
    // New network namespace: loopback only.
    struct if_nameindex* ifs = ::if_nameindex();
    if (ifs == nullptr) return 31;
    int count = 0;
    bool only_lo = true;
    for (auto* i = ifs; i->if_index != 0; ++i, ++count) {
      if (strcmp(i->if_name, "lo") != 0) only_lo = false;
    }
    ::if_freenameindex(ifs);
    if (count != 1 || !only_lo) return 32;
    // Mounting is gone with the capabilities.
    if (::umount2("/", MNT_DETACH) == 0) return 33;
    return 0;
  });
  ::close(extra);
  ASSERT_TRUE(WIFEXITED(r.wait_status)) << r.wait_status;
  EXPECT_EQ(WEXITSTATUS(r.wait_status), 0) << r.output;
  // Nothing leaked into the host's mount table.
  std::ifstream mi("/proc/self/mountinfo");
  std::stringstream ss;
  ss << mi.rdbuf();
  EXPECT_THAT(ss.str(), ::testing::Not(HasSubstr("runsc-root")));
}

TEST_F(SandboxSetupTest, HostNetworkKeepsNetworkNamespace) {
  struct stat host_ns, host_uts;
  ASSERT_EQ(::stat("/proc/self/ns/net", &host_ns), 0);
  ASSERT_EQ(::stat("/proc/self/ns/uts", &host_uts), 0);
  ChildResult r = RunChild([&](int fd) {
    // Compare before pivoting: /proc is gone afterwards.
    if (!UnshareNamespaces(/*host_network=*/true).ok()) return 10;
    struct stat st;
    if (::stat("/proc/self/ns/net", &st) != 0) return 11;
    if (st.st_ino != host_ns.st_ino) return 12;
    // The other namespaces are new.
    struct stat uts;
    if (::stat("/proc/self/ns/uts", &uts) != 0) return 13;
    if (uts.st_ino == host_uts.st_ino) return 14;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(r.wait_status));
  EXPECT_EQ(WEXITSTATUS(r.wait_status), 0) << r.output;
}

// Filter tests: setup, filter, then one call.
ChildResult FilteredChild(bool host_network,
                          const std::function<int(int)>& after) {
  return RunChild([&](int fd) {
    if (int rc = SetupChild(fd); rc != 0) return rc;
    absl::Status s = InstallSentryFilter(SeccompOptions{host_network});
    if (!s.ok()) {
      Report(fd, s.ToString());
      return 11;
    }
    Report(fd, "filtered");
    return after(fd);
  });
}

TEST_F(SandboxSetupTest, FilterAllowsWhatTheSentryNeeds) {
  ChildResult r = FilteredChild(false, [](int fd) {
    if (::getpid() != 1) return 20;
    void* m = ::mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 21;
    memset(m, 1, 1 << 20);
    if (::munmap(m, 1 << 20) != 0) return 22;
    int mfd = static_cast<int>(::syscall(SYS_memfd_create, "mem", 0));
    if (mfd < 0 || ::ftruncate(mfd, 4096) != 0) return 23;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 24;
    // Threads: clone3 -> ENOSYS, clone with thread flags, futex, exit.
    int value = 0;
    std::thread t([&] { value = 42; });
    t.join();
    if (value != 42) return 25;
    // Stub-style fork and wait.
    pid_t child = ::fork();
    if (child < 0) return 26;
    if (child == 0) _exit(5);
    int ws;
    if (::waitpid(child, &ws, 0) != child || !WIFEXITED(ws) ||
        WEXITSTATUS(ws) != 5) {
      return 27;
    }
    struct timespec ts;
    if (::clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 28;
    if (::syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS) return 29;
    Report(fd, "allowed ok");
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(r.wait_status))
      << "signal " << WTERMSIG(r.wait_status) << " " << r.output;
  EXPECT_EQ(WEXITSTATUS(r.wait_status), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("allowed ok"));
}

void ExpectKilledBySigsys(const ChildResult& r) {
  EXPECT_THAT(r.output, HasSubstr("filtered"));
  ASSERT_TRUE(WIFSIGNALED(r.wait_status))
      << "exit " << WEXITSTATUS(r.wait_status) << " " << r.output;
  EXPECT_EQ(WTERMSIG(r.wait_status), SIGSYS);
}

TEST_F(SandboxSetupTest, FilterKillsOpenat) {
  ExpectKilledBySigsys(FilteredChild(false, [](int) {
    ::syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY);
    return 0;
  }));
}

TEST_F(SandboxSetupTest, FilterKillsInetSocket) {
  ExpectKilledBySigsys(FilteredChild(false, [](int) {
    ::socket(AF_INET, SOCK_STREAM, 0);
    return 0;
  }));
}

TEST_F(SandboxSetupTest, FilterKillsUnixSocket) {
  ExpectKilledBySigsys(FilteredChild(false, [](int) {
    ::socket(AF_UNIX, SOCK_STREAM, 0);
    return 0;
  }));
}

TEST_F(SandboxSetupTest, FilterKillsExecve) {
  ExpectKilledBySigsys(FilteredChild(false, [](int) {
    char* argv[] = {nullptr};
    ::execve("/bin/true", argv, argv);
    return 0;
  }));
}

TEST_F(SandboxSetupTest, FilterKillsNamespaceClone) {
  ExpectKilledBySigsys(FilteredChild(false, [](int) {
    ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr,
              nullptr);
    return 0;
  }));
}

TEST_F(SandboxSetupTest, FilterKillsKillBroadcast) {
  ExpectKilledBySigsys(FilteredChild(false, [](int) {
    ::kill(-1, SIGKILL);
    return 0;
  }));
}

// PTRACE_TRACEME is allowed (a new ptrace stub issues it under this filter);
// requests the platform never makes are not.
TEST_F(SandboxSetupTest, FilterKillsPtracePeekSigInfo) {
  ExpectKilledBySigsys(FilteredChild(false, [](int) {
    ::syscall(SYS_ptrace, 0x4209 /* PTRACE_PEEKSIGINFO */, 0, 0, 0);
    return 0;
  }));
}

TEST_F(SandboxSetupTest, ReportModeNamesTheSyscall) {
  ChildResult r = RunChild([](int fd) {
    if (int rc = SetupChild(fd); rc != 0) return rc;
    SeccompOptions o;
    o.report_violations = true;
    o.report_fd = fd;
    if (!InstallSentryFilter(o).ok()) return 11;
    ::syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY);
    return 0;
  });
  ASSERT_TRUE(WIFSIGNALED(r.wait_status))
      << r.output << " status " << r.wait_status;
  EXPECT_EQ(WTERMSIG(r.wait_status), SIGSYS);
  // The syscall line, then (report mode is for --debug) the opened path
  // and a backtrace.
  EXPECT_TRUE(absl::StartsWith(
      r.output, absl::StrCat("sentry seccomp violation: syscall ", SYS_openat,
                             "\n  path: /\n")))
      << r.output;
}

TEST_F(SandboxSetupTest, HostNetworkFilterAllowsInetSocket) {
  ChildResult r = RunChild([](int fd) {
    absl::Status s =
        SetupSandbox(SetupOptions{.keep_fds = {fd}, .host_network = true});
    if (!s.ok()) return 10;
    if (!InstallSentryFilter(SeccompOptions{true}).ok()) return 11;
    int sock = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (sock < 0) return 12;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(r.wait_status)) << WTERMSIG(r.wait_status);
  EXPECT_EQ(WEXITSTATUS(r.wait_status), 0) << r.output;
}

TEST(SeccompTableTest, EveryRowResolvesAndIsDocumented) {
  for (bool host : {false, true}) {
    for (const SyscallRule& r : SentrySyscallTable(SeccompOptions{host})) {
      EXPECT_GE(r.nr, 0) << r.name;
      EXPECT_NE(std::string(r.why), "") << r.name;
      for (const char* forbidden :
           {"open", "openat", "openat2", "execve", "execveat", "mount",
            "unshare", "setns", "io_uring_setup", "process_vm_writev"}) {
        EXPECT_NE(std::string(r.name), forbidden);
      }
    }
  }
}

}  // namespace
}  // namespace boot
