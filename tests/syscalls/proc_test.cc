// /proc for the calling process: /proc/self, status, stat, cmdline, environ,
// maps, fd/, exe, cwd, mounts; and the system files a sandbox provides:
// meminfo, cpuinfo, stat, uptime, version, filesystems.
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

class ProcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat st;
    if (stat("/proc/self", &st) != 0) GTEST_SKIP() << "no /proc mounted";
  }
};

// The value of "Key:" in /proc/self/status, or "".
std::string StatusField(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      size_t p = line.find_first_not_of(" \t", key.size() + 1);
      return p == std::string::npos ? "" : line.substr(p);
    }
  }
  return "";
}

std::string Readlink(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  return n < 0 ? "" : std::string(buf, n);
}

TEST_F(ProcTest, SelfIsOurPid) {
  EXPECT_EQ(Readlink("/proc/self"), std::to_string(getpid()));
  struct stat a, b;
  ASSERT_THAT(stat("/proc/self", &a), SyscallSucceeds());
  ASSERT_THAT(stat(("/proc/" + std::to_string(getpid())).c_str(), &b),
              SyscallSucceeds());
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_TRUE(S_ISDIR(a.st_mode));
  // A forked child sees its own pid.
  EXPECT_CHILD_SUCCEEDS(
      [] { EXPECT_EQ(Readlink("/proc/self"), std::to_string(getpid())); });
}

TEST_F(ProcTest, StatusFields) {
  std::string status = ReadFile("/proc/self/status");
  ASSERT_FALSE(status.empty());
  EXPECT_EQ(StatusField(status, "Pid"), std::to_string(getpid()));
  EXPECT_EQ(StatusField(status, "PPid"), std::to_string(getppid()));
  EXPECT_EQ(StatusField(status, "Tgid"), std::to_string(getpid()));
  // "Uid:\treal\teffective\tsaved\tfs".
  std::string uid = std::to_string(getuid());
  EXPECT_EQ(StatusField(status, "Uid").rfind(uid + "\t" + uid, 0), 0u)
      << StatusField(status, "Uid");
  EXPECT_FALSE(StatusField(status, "Name").empty());
  EXPECT_FALSE(StatusField(status, "State").empty());
  EXPECT_EQ(StatusField(status, "Threads"), "1");
  EXPECT_FALSE(StatusField(status, "SigBlk").empty());
}

TEST_F(ProcTest, StatFields) {
  std::string stat = ReadFile("/proc/self/stat");
  ASSERT_FALSE(stat.empty());
  // "pid (comm) state ppid pgrp session ..."; comm may contain spaces.
  EXPECT_EQ(stat.rfind(std::to_string(getpid()) + " (", 0), 0u) << stat;
  size_t rp = stat.rfind(')');
  ASSERT_NE(rp, std::string::npos);
  std::istringstream rest(stat.substr(rp + 2));
  std::vector<std::string> f;
  for (std::string x; rest >> x;) f.push_back(x);
  ASSERT_GE(f.size(), 20u);
  EXPECT_EQ(f[0], "R");  // Reading our own stat: running.
  EXPECT_EQ(f[1], std::to_string(getppid()));
  EXPECT_EQ(f[2], std::to_string(getpgrp()));
  EXPECT_EQ(f[3], std::to_string(getsid(0)));
  EXPECT_EQ(f[17], "1");  // num_threads (field 20).
}

TEST_F(ProcTest, CmdlineAndEnviron) {
  std::string cmdline = ReadFile("/proc/self/cmdline");
  ASSERT_FALSE(cmdline.empty());
  EXPECT_EQ(cmdline.back(), '\0');
  // The first argument names this test binary.
  std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
  EXPECT_NE(argv0.find("syscalls_proc_test"), std::string::npos) << argv0;
  // environ is the initial environment: NUL-separated entries.
  std::string env = ReadFile("/proc/self/environ");
  if (!env.empty()) {
    EXPECT_EQ(env.back(), '\0');
  }
  const char* first = environ[0];
  if (first != nullptr) {
    EXPECT_NE(env.find(std::string(first) + '\0'), std::string::npos);
  }
}

TEST_F(ProcTest, MapsShowsOurMapping) {
  const size_t len = 3 * 4096;
  void* p = mmap(nullptr, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  char start[32], end[32];
  snprintf(start, sizeof(start), "%lx-", reinterpret_cast<unsigned long>(p));
  snprintf(end, sizeof(end), "-%lx ",
           reinterpret_cast<unsigned long>(static_cast<char*>(p) + len));
  std::string maps = ReadFile("/proc/self/maps");
  std::istringstream in(maps);
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    if (line.rfind(start, 0) == 0) {
      found = true;
      EXPECT_NE(line.find(end), std::string::npos) << line;
      EXPECT_NE(line.find(" r--p "), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(found) << maps;
  // After mprotect the permissions change.
  ASSERT_THAT(mprotect(p, len, PROT_READ | PROT_WRITE), SyscallSucceeds());
  maps = ReadFile("/proc/self/maps");
  EXPECT_NE(maps.find(std::string(start)), std::string::npos);
  size_t at = maps.find(start);
  EXPECT_NE(maps.substr(at, maps.find('\n', at) - at).find(" rw-p "),
            std::string::npos);
  munmap(p, len);
  EXPECT_EQ(ReadFile("/proc/self/maps").find(start), std::string::npos);
  // The stack and the executable are listed.
  EXPECT_NE(maps.find("[stack]"), std::string::npos);
}

TEST_F(ProcTest, FdLinks) {
  std::string dir = MakeTempDir();
  ASSERT_FALSE(dir.empty());
  WriteFile(dir + "/file", "");
  Fd fd(open((dir + "/file").c_str(), O_RDONLY));
  ASSERT_TRUE(fd.valid());
  char real[PATH_MAX];
  ASSERT_NE(realpath((dir + "/file").c_str(), real), nullptr);
  EXPECT_EQ(Readlink("/proc/self/fd/" + std::to_string(fd.get())), real);
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  EXPECT_EQ(
      Readlink("/proc/self/fd/" + std::to_string(p[0])).rfind("pipe:[", 0), 0u);
  // Opening /proc/self/fd/N reopens the file.
  Fd again(
      open(("/proc/self/fd/" + std::to_string(fd.get())).c_str(), O_RDONLY));
  EXPECT_TRUE(again.valid());
  // The directory lists our descriptors.
  Fd d(open("/proc/self/fd", O_RDONLY | O_DIRECTORY));
  EXPECT_TRUE(d.valid());
  struct stat st;
  EXPECT_THAT(stat(("/proc/self/fd/" + std::to_string(p[1])).c_str(), &st),
              SyscallSucceeds());
  close(p[0]);
  close(p[1]);
  EXPECT_THAT(lstat(("/proc/self/fd/" + std::to_string(p[1])).c_str(), &st),
              SyscallFailsWithErrno(ENOENT));
  fd.reset();
  again.reset();
  RemoveTree(dir);
}

TEST_F(ProcTest, ExeAndCwd) {
  std::string exe = Readlink("/proc/self/exe");
  EXPECT_NE(exe.find("syscalls_proc_test"), std::string::npos) << exe;
  struct stat a, b;
  ASSERT_THAT(stat("/proc/self/exe", &a), SyscallSucceeds());
  ASSERT_THAT(stat(exe.c_str(), &b), SyscallSucceeds());
  EXPECT_EQ(a.st_ino, b.st_ino);
  char cwd[PATH_MAX];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  EXPECT_EQ(Readlink("/proc/self/cwd"), cwd);
  EXPECT_CHILD_SUCCEEDS([] {
    ASSERT_THAT(chdir("/"), SyscallSucceeds());
    EXPECT_EQ(Readlink("/proc/self/cwd"), "/");
  });
}

TEST_F(ProcTest, Mounts) {
  std::string mounts = ReadFile("/proc/self/mounts");
  ASSERT_FALSE(mounts.empty());
  // /proc itself is listed, and every line has the six fstab fields.
  EXPECT_NE(mounts.find(" /proc proc "), std::string::npos) << mounts;
  std::istringstream in(mounts);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    int n = 0;
    for (std::string f; fields >> f;) ++n;
    EXPECT_EQ(n, 6) << line;
  }
}

TEST_F(ProcTest, SystemFiles) {
  std::string meminfo = ReadFile("/proc/meminfo");
  EXPECT_NE(meminfo.find("MemTotal:"), std::string::npos);
  EXPECT_NE(meminfo.find("MemFree:"), std::string::npos);
  std::string cpuinfo = ReadFile("/proc/cpuinfo");
  EXPECT_NE(cpuinfo.find("processor"), std::string::npos);
  std::string stat = ReadFile("/proc/stat");
  EXPECT_EQ(stat.rfind("cpu ", 0), 0u) << stat.substr(0, 80);
  std::string uptime = ReadFile("/proc/uptime");
  double up = -1, idle = -1;
  EXPECT_EQ(sscanf(uptime.c_str(), "%lf %lf", &up, &idle), 2) << uptime;
  EXPECT_GT(up, 0);
  std::string version = ReadFile("/proc/version");
  EXPECT_EQ(version.rfind("Linux version ", 0), 0u) << version;
  std::string fs = ReadFile("/proc/filesystems");
  EXPECT_NE(fs.find("proc"), std::string::npos);
  EXPECT_NE(fs.find("tmpfs"), std::string::npos);
}

TEST_F(ProcTest, OtherProcessStatus) {
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(p[1]);
    read(p[0], &c, 1);
    _exit(0);
  }
  close(p[0]);
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  EXPECT_EQ(StatusField(status, "Pid"), std::to_string(pid));
  EXPECT_EQ(StatusField(status, "PPid"), std::to_string(getpid()));
  close(p[1]);
  WaitPid(pid);
  // Reaped: gone.
  struct stat st;
  EXPECT_THAT(stat(("/proc/" + std::to_string(pid)).c_str(), &st),
              SyscallFailsWithErrno(ENOENT));
}

}  // namespace
}  // namespace syscall_test
