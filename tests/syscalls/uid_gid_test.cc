// getuid family, setuid/setresuid/setresgid/setgroups semantics, and how
// capabilities follow uid changes. Every change happens in a forked child.
#include <grp.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

struct Caps {
  uint64_t effective = 0, permitted = 0, inheritable = 0;
};

Caps GetCaps() {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {};
  Caps c;
  if (syscall(SYS_capget, &h, d) != 0) return c;
  c.effective = d[0].effective | (uint64_t{d[1].effective} << 32);
  c.permitted = d[0].permitted | (uint64_t{d[1].permitted} << 32);
  c.inheritable = d[0].inheritable | (uint64_t{d[1].inheritable} << 32);
  return c;
}

class UidGidTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CanChangeIds())
      GTEST_SKIP() << "needs uid 0 with CAP_SETUID/CAP_SETGID";
  }
};

TEST(UidGidBasics, GettersAgree) {
  uid_t r, e, s;
  ASSERT_THAT(getresuid(&r, &e, &s), SyscallSucceeds());
  EXPECT_EQ(r, getuid());
  EXPECT_EQ(e, geteuid());
  gid_t gr, ge, gs;
  ASSERT_THAT(getresgid(&gr, &ge, &gs), SyscallSucceeds());
  EXPECT_EQ(gr, getgid());
  EXPECT_EQ(ge, getegid());
  int n = getgroups(0, nullptr);
  ASSERT_THAT(n, SyscallSucceeds());
  std::vector<gid_t> groups(n + 1);
  EXPECT_THAT(getgroups(groups.size(), groups.data()),
              SyscallSucceedsWithValue(n));
  if (n > 1) {
    gid_t one;
    EXPECT_THAT(getgroups(1, &one), SyscallFailsWithErrno(EINVAL));
  }
  EXPECT_THAT(syscall(SYS_getresuid, 8L, 8L, 8L),
              SyscallFailsWithErrno(EFAULT));
}

TEST_F(UidGidTest, SetuidAsRootChangesAllThree) {
  EXPECT_CHILD_SUCCEEDS([] {
    ASSERT_THAT(setuid(kNobody), SyscallSucceeds());
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    EXPECT_EQ(r, kNobody);
    EXPECT_EQ(e, kNobody);
    EXPECT_EQ(s, kNobody);
    // No way back.
    EXPECT_THAT(setuid(0), SyscallFailsWithErrno(EPERM));
    EXPECT_THAT(setresuid(-1, 0, -1), SyscallFailsWithErrno(EPERM));
  });
}

TEST_F(UidGidTest, SetresuidKeepsSavedId) {
  EXPECT_CHILD_SUCCEEDS([] {
    // Drop effective only; saved stays 0 so we can come back.
    ASSERT_THAT(setresuid(kNobody, kNobody, 0), SyscallSucceeds());
    EXPECT_EQ(geteuid(), kNobody);
    ASSERT_THAT(setresuid(-1, 0, -1), SyscallSucceeds());
    EXPECT_EQ(geteuid(), 0u);
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    EXPECT_EQ(r, kNobody);
    EXPECT_EQ(s, 0u);
    // seteuid swaps within {real, effective, saved}.
    ASSERT_THAT(seteuid(kNobody), SyscallSucceeds());
    EXPECT_THAT(seteuid(1234), SyscallFailsWithErrno(EPERM));
    ASSERT_THAT(seteuid(0), SyscallSucceeds());
  });
}

TEST_F(UidGidTest, SetresgidAndGroups) {
  EXPECT_CHILD_SUCCEEDS([] {
    gid_t list[] = {1, 2, kNobody};
    ASSERT_THAT(setgroups(3, list), SyscallSucceeds());
    gid_t got[8];
    ASSERT_THAT(getgroups(8, got), SyscallSucceedsWithValue(3));
    EXPECT_EQ(got[0], 1u);
    EXPECT_EQ(got[2], kNobody);
    ASSERT_THAT(setresgid(kNobody, kNobody, kNobody), SyscallSucceeds());
    EXPECT_EQ(getgid(), kNobody);
    EXPECT_EQ(getegid(), kNobody);
    ASSERT_THAT(setgroups(0, nullptr), SyscallSucceeds());
    EXPECT_THAT(getgroups(0, nullptr), SyscallSucceedsWithValue(0));
    // Too many groups is EINVAL.
    std::vector<gid_t> many(65537, 1);
    EXPECT_THAT(setgroups(many.size(), many.data()),
                SyscallFailsWithErrno(EINVAL));
    ASSERT_THAT(setresuid(kNobody, kNobody, kNobody), SyscallSucceeds());
    // Unprivileged: setgroups and foreign gids are EPERM.
    EXPECT_THAT(setgroups(0, nullptr), SyscallFailsWithErrno(EPERM));
    EXPECT_THAT(setresgid(0, -1, -1), SyscallFailsWithErrno(EPERM));
    EXPECT_THAT(setgid(0), SyscallFailsWithErrno(EPERM));
    // Setting to an id we already have is fine.
    EXPECT_THAT(setresgid(kNobody, kNobody, kNobody), SyscallSucceeds());
  });
}

TEST_F(UidGidTest, CapabilitiesDroppedBySetuid) {
  EXPECT_CHILD_SUCCEEDS([] {
    Caps before = GetCaps();
    EXPECT_NE(before.effective & (1ull << CAP_SETUID), 0u);
    ASSERT_THAT(setresuid(kNobody, kNobody, kNobody), SyscallSucceeds());
    Caps after = GetCaps();
    // All ids non-zero: permitted and effective are cleared.
    EXPECT_EQ(after.effective, 0u);
    EXPECT_EQ(after.permitted, 0u);
  });
}

TEST_F(UidGidTest, EffectiveOnlyDropKeepsPermitted) {
  EXPECT_CHILD_SUCCEEDS([] {
    Caps before = GetCaps();
    ASSERT_THAT(setresuid(-1, kNobody, -1), SyscallSucceeds());
    Caps after = GetCaps();
    // euid 0 -> non-zero clears effective, keeps permitted.
    EXPECT_EQ(after.effective, 0u);
    EXPECT_EQ(after.permitted, before.permitted);
    // Back to euid 0: effective restored from permitted.
    ASSERT_THAT(setresuid(-1, 0, -1), SyscallSucceeds());
    EXPECT_EQ(GetCaps().effective, before.permitted);
  });
}

TEST_F(UidGidTest, KeepCapsAcrossSetuid) {
  EXPECT_CHILD_SUCCEEDS([] {
    Caps before = GetCaps();
    ASSERT_THAT(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), SyscallSucceeds());
    EXPECT_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
    ASSERT_THAT(setresuid(kNobody, kNobody, kNobody), SyscallSucceeds());
    Caps after = GetCaps();
    EXPECT_EQ(after.effective, 0u);
    EXPECT_EQ(after.permitted, before.permitted);
  });
}

TEST_F(UidGidTest, CapsetDropsCapability) {
  EXPECT_CHILD_SUCCEEDS([] {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {};
    ASSERT_THAT(syscall(SYS_capget, &h, d), SyscallSucceeds());
    d[0].effective &= ~(1u << CAP_CHOWN);
    d[0].permitted &= ~(1u << CAP_CHOWN);
    ASSERT_THAT(syscall(SYS_capset, &h, d), SyscallSucceeds());
    EXPECT_FALSE(HaveCapability(CAP_CHOWN));
    // Cannot regain a dropped permitted capability.
    d[0].permitted |= 1u << CAP_CHOWN;
    EXPECT_THAT(syscall(SYS_capset, &h, d), SyscallFailsWithErrno(EPERM));
    // A bad version is EINVAL and reports the preferred one.
    struct __user_cap_header_struct bad = {0x1234, 0};
    EXPECT_THAT(syscall(SYS_capget, &bad, d), SyscallFailsWithErrno(EINVAL));
    EXPECT_EQ(bad.version, static_cast<uint32_t>(_LINUX_CAPABILITY_VERSION_3));
  });
}

TEST_F(UidGidTest, LibcSetuidReachesEveryThread) {
  // The raw syscall changes only the calling thread; glibc's setresuid
  // broadcasts the change to every thread with a signal (SIGSETXID) and
  // tgkill. Programs rely on the libc behaviour.
  EXPECT_CHILD_SUCCEEDS([] {
    std::atomic<int> phase{0};
    std::atomic<long> seen{-1};
    std::thread t([&] {
      phase = 1;
      while (phase.load() != 2) usleep(100);
      seen = syscall(SYS_geteuid);
    });
    while (phase.load() != 1) usleep(100);
    ASSERT_THAT(setresuid(kNobody, kNobody, 0), SyscallSucceeds());
    phase = 2;
    t.join();
    EXPECT_EQ(seen.load(), static_cast<long>(kNobody));
  });
}

TEST_F(UidGidTest, FsuidFollowsEuid) {
  EXPECT_CHILD_SUCCEEDS([] {
    // setfsuid returns the previous fsuid.
    EXPECT_EQ(setfsuid(-1), 0);
    ASSERT_THAT(setresuid(-1, kNobody, -1), SyscallSucceeds());
    EXPECT_EQ(static_cast<uid_t>(setfsuid(-1)), kNobody);
  });
}

}  // namespace
}  // namespace syscall_test
