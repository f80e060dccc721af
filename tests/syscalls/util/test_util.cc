#include "tests/syscalls/util/test_util.h"

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <string>
#include <vector>

namespace syscall_test {

std::string TempRoot() {
  const char* env = getenv("TEST_TMPDIR");
  if (env != nullptr && env[0] != '\0') return env;
  return "/tmp";
}

std::string MakeTempDir() {
  std::string tmpl = TempRoot() + "/syscall_test.XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp(" << tmpl << "): " << strerror(errno);
    return "";
  }
  // Tests that drop to nobody need to reach their own files in the tree.
  chmod(buf.data(), 0777);
  return std::string(buf.data());
}

namespace {
int RemoveEntry(const char* path, const struct stat*, int type, struct FTW*) {
  if (type == FTW_DP) {
    rmdir(path);
  } else {
    unlink(path);
  }
  return 0;
}
}  // namespace

void RemoveTree(const std::string& path) {
  if (path.empty()) return;
  nftw(path.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

void TempDirTest::SetUp() {
  dir_ = MakeTempDir();
  ASSERT_FALSE(dir_.empty());
}

void TempDirTest::TearDown() {
  // Directories a test made unwritable would stop the removal.
  RemoveTree(dir_);
}

void WriteFile(const std::string& path, const std::string& content,
               mode_t mode) {
  Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  ASSERT_TRUE(fd.valid()) << path << ": " << strerror(errno);
  ASSERT_TRUE(WriteAll(fd.get(), content.data(), content.size()));
}

std::string ReadFile(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "";
  return ReadAll(fd.get());
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, n);
  }
  return out;
}

bool WriteAll(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= n;
  }
  return true;
}

namespace {
// Failures recorded for the running test from index `from` on. A forked
// child inherits the parent's earlier failures; only its own count.
bool FailedSince(int from) {
  const ::testing::TestInfo* info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return ::testing::Test::HasFailure();
  const ::testing::TestResult* result = info->result();
  for (int i = from; i < result->total_part_count(); ++i) {
    if (result->GetTestPartResult(i).failed()) return true;
  }
  return false;
}

int PartCount() {
  const ::testing::TestInfo* info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  return info == nullptr ? 0 : info->result()->total_part_count();
}
}  // namespace

int RunInChild(const std::function<void()>& fn) {
  const int parts_before = PartCount();
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << strerror(errno);
    return -1;
  }
  if (pid == 0) {
    fn();
    const bool failed = FailedSince(parts_before);
    fflush(stdout);
    fflush(stderr);
    _exit(failed ? 1 : 0);
  }
  return WaitPid(pid);
}

std::string DescribeStatus(int status) {
  if (status == -1) return "no status (wait failed)";
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) +
           (WCOREDUMP(status) ? " (core)" : "");
  }
  if (WIFSTOPPED(status))
    return "stopped by " + std::to_string(WSTOPSIG(status));
  return "status " + std::to_string(status);
}

int WaitPid(pid_t pid, int flags) {
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, flags);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    return status;
  }
}

bool DropToNobody() {
  if (setgroups(0, nullptr) != 0) return false;
  if (setresgid(kNobody, kNobody, kNobody) != 0) return false;
  if (setresuid(kNobody, kNobody, kNobody) != 0) return false;
  return true;
}

bool HaveCapability(int cap) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

bool CanChangeIds() {
  return getuid() == 0 && HaveCapability(CAP_SETUID) &&
         HaveCapability(CAP_SETGID);
}

}  // namespace syscall_test
