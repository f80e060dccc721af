// uname, sethostname/setdomainname (in a new UTS namespace when allowed),
// and consistency with /proc/sys/kernel/* where those files exist.
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <string>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(UnameTest, FieldsFilled) {
  struct utsname u;
  ASSERT_THAT(uname(&u), SyscallSucceeds());
  EXPECT_STREQ(u.sysname, "Linux");
  EXPECT_GT(strlen(u.nodename), 0u);
  EXPECT_GT(strlen(u.release), 0u);
  EXPECT_GT(strlen(u.version), 0u);
  EXPECT_STREQ(u.machine, "x86_64");
  // The release starts with "<major>.<minor>".
  int major = 0, minor = 0;
  EXPECT_EQ(sscanf(u.release, "%d.%d", &major, &minor), 2) << u.release;
  EXPECT_GE(major, 3);
  EXPECT_THAT(syscall(SYS_uname, 8L), SyscallFailsWithErrno(EFAULT));
}

TEST(UnameTest, MatchesProcSysKernelWhenPresent) {
  struct utsname u;
  ASSERT_THAT(uname(&u), SyscallSucceeds());
  struct {
    const char* file;
    const char* value;
  } checks[] = {{"/proc/sys/kernel/ostype", u.sysname},
                {"/proc/sys/kernel/hostname", u.nodename},
                {"/proc/sys/kernel/osrelease", u.release},
                {"/proc/sys/kernel/version", u.version},
                {"/proc/sys/kernel/domainname", u.domainname}};
  int checked = 0;
  for (const auto& c : checks) {
    if (access(c.file, R_OK) != 0) continue;
    EXPECT_EQ(Trim(ReadFile(c.file)), c.value) << c.file;
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no /proc/sys/kernel files to compare";
}

TEST(UnameTest, GethostnameMatches) {
  struct utsname u;
  ASSERT_THAT(uname(&u), SyscallSucceeds());
  char buf[256];
  ASSERT_THAT(gethostname(buf, sizeof(buf)), SyscallSucceeds());
  EXPECT_STREQ(buf, u.nodename);
}

TEST(UnameTest, SethostnameInNewUtsNamespace) {
  if (!HaveCapability(21 /* CAP_SYS_ADMIN */)) {
    GTEST_SKIP() << "needs CAP_SYS_ADMIN for unshare(CLONE_NEWUTS)";
  }
  EXPECT_CHILD_SUCCEEDS([] {
    ASSERT_THAT(unshare(CLONE_NEWUTS), SyscallSucceeds());
    ASSERT_THAT(sethostname("syscall-test", 12), SyscallSucceeds());
    struct utsname u;
    ASSERT_THAT(uname(&u), SyscallSucceeds());
    EXPECT_STREQ(u.nodename, "syscall-test");
    ASSERT_THAT(setdomainname("example", 7), SyscallSucceeds());
    ASSERT_THAT(uname(&u), SyscallSucceeds());
    EXPECT_STREQ(u.domainname, "example");
    std::string long_name(65, 'x');
    EXPECT_THAT(sethostname(long_name.data(), long_name.size()),
                SyscallFailsWithErrno(EINVAL));
  });
}

TEST(UnameTest, SethostnameAsNobodyIsEperm) {
  if (!CanChangeIds()) GTEST_SKIP() << "needs CAP_SETUID/CAP_SETGID";
  EXPECT_CHILD_SUCCEEDS([] {
    ASSERT_TRUE(DropToNobody());
    EXPECT_THAT(sethostname("nope", 4), SyscallFailsWithErrno(EPERM));
  });
}

}  // namespace
}  // namespace syscall_test
