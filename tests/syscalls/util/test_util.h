// Helpers shared by the black-box syscall tests (tests/syscalls/*_test.cc).
//
// Contract: everything here uses only libc, libstdc++ and gtest/gmock, so the
// tests link with -static and run unchanged natively or inside the sandbox.
// Nothing here depends on host users other than root (0) and nobody (65534),
// on the network, or on /proc entries outside the sandbox's set.
//
//  * SyscallSucceeds() / SyscallSucceedsWithValue(v) /
//  SyscallFailsWithErrno(e):
//    matchers for the "-1 and errno" convention. errno is read when the
//    matcher runs, i.e. right after the call inside EXPECT_THAT/ASSERT_THAT.
//  * Fd: an owning descriptor (closes on destruction).
//  * TempDirTest: a fixture with a fresh directory under $TEST_TMPDIR (or
//    /tmp), removed recursively afterwards.
//  * RunInChild(fn): forks, runs fn in the child (gtest assertions work there
//    and print as usual) and returns the child's wait status; the child exits
//    1 if any assertion failed. ExpectChildSucceeds(fn) asserts exit 0.
//  * DropToNobody(): in a child, become uid/gid 65534 with no groups.
#ifndef TESTS_SYSCALLS_UTIL_TEST_UTIL_H_
#define TESTS_SYSCALLS_UTIL_TEST_UTIL_H_

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace syscall_test {

constexpr uid_t kNobody = 65534;

// Matches a syscall result that is not -1; on failure, prints errno.
MATCHER(SyscallSucceeds, "succeeds") {
  const int saved = errno;
  if (arg == -1) {
    *result_listener << "failed with errno " << saved << " (" << strerror(saved)
                     << ")";
    return false;
  }
  return true;
}

MATCHER_P(SyscallSucceedsWithValue, value,
          "succeeds with value " + ::testing::PrintToString(value)) {
  const int saved = errno;
  if (arg == -1) {
    *result_listener << "failed with errno " << saved << " (" << strerror(saved)
                     << ")";
    return false;
  }
  if (arg != static_cast<decltype(arg)>(value)) {
    *result_listener << "returned " << arg;
    return false;
  }
  return true;
}

MATCHER_P(SyscallFailsWithErrno, expected,
          "fails with errno " + ::testing::PrintToString(expected) + " (" +
              std::string(strerror(expected)) + ")") {
  const int saved = errno;
  if (arg != -1) {
    *result_listener << "succeeded with " << arg;
    return false;
  }
  if (saved != expected) {
    *result_listener << "failed with errno " << saved << " (" << strerror(saved)
                     << ")";
    return false;
  }
  return true;
}

// An owning file descriptor. Moves, never copies.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// The directory under which tests make their own temporary directories.
std::string TempRoot();

// Makes a fresh directory under TempRoot(); aborts the test on failure.
std::string MakeTempDir();

// Removes a tree (files, symlinks, directories), ignoring errors.
void RemoveTree(const std::string& path);

// A test fixture with a fresh directory `dir_` that is removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

// Writes `content` to `path` (created with `mode` or truncated).
void WriteFile(const std::string& path, const std::string& content,
               mode_t mode = 0644);
// Reads the whole of `path` (empty if it cannot be opened).
std::string ReadFile(const std::string& path);
// Reads until EOF from `fd`.
std::string ReadAll(int fd);
// write(2) in a loop until `data` is all written; false on error.
bool WriteAll(int fd, const void* data, size_t len);

// Forks and runs `fn` in the child; returns the raw wait status. The child
// exits 0 if no gtest assertion failed, 1 otherwise, and never returns.
int RunInChild(const std::function<void()>& fn);
// RunInChild and expect a normal exit with status 0.
#define EXPECT_CHILD_SUCCEEDS(...)                                            \
  do {                                                                        \
    const int child_status_ = ::syscall_test::RunInChild(__VA_ARGS__);        \
    EXPECT_TRUE(WIFEXITED(child_status_) && WEXITSTATUS(child_status_) == 0)  \
        << "child failed: " << ::syscall_test::DescribeStatus(child_status_); \
  } while (0)

// "exited 3", "killed by signal 9 (core)", ...
std::string DescribeStatus(int status);

// waitpid that retries on EINTR; returns the status or -1.
int WaitPid(pid_t pid, int flags = 0);

// Become uid/gid 65534 with no supplementary groups (use in a child).
// Returns false (with errno) if any step fails.
bool DropToNobody();

// True if the calling thread's effective set holds capability `cap`.
bool HaveCapability(int cap);

// True when running as uid 0 with CAP_SETUID, CAP_SETGID (can drop to nobody).
bool CanChangeIds();

}  // namespace syscall_test

#endif  // TESTS_SYSCALLS_UTIL_TEST_UTIL_H_
