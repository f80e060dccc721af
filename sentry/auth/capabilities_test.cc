#include "sentry/auth/capabilities.h"

#include <linux/capability.h>

#include "gtest/gtest.h"

namespace sentry::auth {
namespace {

TEST(CapabilityNamesTest, RoundTrip) {
  EXPECT_EQ(CapabilityByName("CAP_CHOWN"), CAP_CHOWN);
  EXPECT_EQ(CapabilityByName("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
  EXPECT_EQ(CapabilityByName("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(CapabilityByName("CAP_NOPE"), -1);
  EXPECT_EQ(CapabilityByName("cap_chown"), -1);  // OCI spells them upper case
  for (int c = 0; c <= 40; ++c) {
    EXPECT_EQ(CapabilityByName(CapabilityName(c)), c) << c;
  }
  EXPECT_EQ(CapabilityName(41), "");
}

TEST(ExecCredentialsTest, RootGetsBoundingAndInheritable) {
  Credentials c = Credentials::Root();
  c.cap_bounding = CapMask(CAP_KILL) | CapMask(CAP_CHOWN);
  c.cap_inheritable = CapMask(CAP_NET_RAW);
  c.cap_permitted = c.cap_effective = kAllCaps;
  Credentials n = ExecCredentials(c);
  const uint64_t want =
      CapMask(CAP_KILL) | CapMask(CAP_CHOWN) | CapMask(CAP_NET_RAW);
  EXPECT_EQ(n.cap_permitted, want);
  EXPECT_EQ(n.cap_effective, want);
  EXPECT_EQ(n.cap_bounding, c.cap_bounding);
}

TEST(ExecCredentialsTest, RealRootOnlyHasNoEffectiveCaps) {
  Credentials c = Credentials::Root();
  c.effective_uid = 1000;
  Credentials n = ExecCredentials(c);
  EXPECT_EQ(n.cap_permitted, kAllCaps);
  EXPECT_EQ(n.cap_effective, 0u);
}

TEST(ExecCredentialsTest, NonRootKeepsOnlyAmbient) {
  Credentials c = Credentials::User(1000, 1000);
  c.cap_permitted = c.cap_effective = c.cap_inheritable =
      CapMask(CAP_NET_BIND_SERVICE) | CapMask(CAP_KILL);
  c.cap_ambient = CapMask(CAP_NET_BIND_SERVICE);
  Credentials n = ExecCredentials(c);
  EXPECT_EQ(n.cap_permitted, CapMask(CAP_NET_BIND_SERVICE));
  EXPECT_EQ(n.cap_effective, CapMask(CAP_NET_BIND_SERVICE));
  EXPECT_EQ(n.cap_ambient, CapMask(CAP_NET_BIND_SERVICE));
  EXPECT_EQ(n.cap_inheritable, c.cap_inheritable);

  c.cap_ambient = 0;
  n = ExecCredentials(c);
  EXPECT_EQ(n.cap_permitted, 0u);
  EXPECT_EQ(n.cap_effective, 0u);
}

}  // namespace
}  // namespace sentry::auth
