#include "sentry/auth/credentials.h"

#include <sys/stat.h>

#include "gtest/gtest.h"

namespace sentry::auth {
namespace {

struct PermRow {
  const char* what;
  uint32_t mode;
  Uid owner;
  Gid group;
  int may;
  bool allowed;
};

TEST(CredentialsTest, UnprivilegedPermissionTable) {
  // uid 1000, gid 100, supplementary group 200.
  Credentials c = Credentials::User(1000, 100, {200});
  const PermRow rows[] = {
      {"owner read", S_IFREG | 0400, 1000, 0, kMayRead, true},
      {"owner write denied", S_IFREG | 0400, 1000, 0, kMayWrite, false},
      {"owner bits win over group", S_IFREG | 0070, 1000, 100, kMayRead, false},
      {"group read", S_IFREG | 0040, 0, 100, kMayRead, true},
      {"supplementary group", S_IFREG | 0060, 0, 200, kMayWrite, true},
      {"group bits win over other", S_IFREG | 0007, 0, 100, kMayRead, false},
      {"other read", S_IFREG | 0004, 0, 0, kMayRead, true},
      {"other rw needs both", S_IFREG | 0004, 0, 0, kMayRead | kMayWrite,
       false},
      {"dir search", S_IFDIR | 0001, 0, 0, kMayExec, true},
      {"dir no search", S_IFDIR | 0006, 0, 0, kMayExec, false},
  };
  for (const PermRow& r : rows) {
    ErrnoStatus s = GenericPermission(c, r.mode, r.owner, r.group, r.may);
    EXPECT_EQ(s.ok(), r.allowed) << r.what;
    if (!s.ok()) {
      EXPECT_EQ(s.error(), Errno{EACCES}) << r.what;
    }
  }
}

TEST(CredentialsTest, CapabilityOverrides) {
  Credentials root = Credentials::Root();
  EXPECT_TRUE(
      GenericPermission(root, S_IFREG | 0, 5, 5, kMayRead | kMayWrite).ok());
  // Exec needs at least one exec bit even for root.
  EXPECT_EQ(GenericPermission(root, S_IFREG | 0644, 5, 5, kMayExec).error(),
            Errno{EACCES});
  EXPECT_TRUE(GenericPermission(root, S_IFREG | 0100, 5, 5, kMayExec).ok());
  EXPECT_TRUE(GenericPermission(root, S_IFDIR | 0, 5, 5, kMayExec).ok());

  Credentials rs = Credentials::User(1000, 1000);
  rs.cap_effective = CapMask(CAP_DAC_READ_SEARCH);
  EXPECT_TRUE(GenericPermission(rs, S_IFREG | 0, 0, 0, kMayRead).ok());
  EXPECT_FALSE(GenericPermission(rs, S_IFREG | 0, 0, 0, kMayWrite).ok());
  EXPECT_TRUE(GenericPermission(rs, S_IFDIR | 0, 0, 0, kMayExec).ok());
  EXPECT_FALSE(GenericPermission(rs, S_IFDIR | 0, 0, 0, kMayWrite).ok());
}

TEST(CredentialsTest, AccessCheckUsesRealIds) {
  Credentials c = Credentials::User(1000, 1000);
  c.effective_uid = c.fs_uid = 0;  // setuid-root program
  c.cap_permitted = c.cap_effective = kAllCaps;
  Credentials a = c.ForAccessCheck();
  EXPECT_EQ(a.fs_uid, 1000u);
  EXPECT_FALSE(a.HasCapability(CAP_DAC_OVERRIDE));
  EXPECT_TRUE(Credentials::Root().ForAccessCheck().HasCapability(CAP_CHOWN));
  EXPECT_TRUE(IsOwnerOrCapable(c, 12345));
  EXPECT_FALSE(IsOwnerOrCapable(Credentials::User(1, 1), 2));
}

}  // namespace
}  // namespace sentry::auth
