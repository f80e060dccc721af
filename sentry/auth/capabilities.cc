#include "sentry/auth/capabilities.h"

#include "base/capability_names.h"

namespace sentry::auth {

int CapabilityByName(absl::string_view name) {
  const auto names = base::CapabilityNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (name == names[i]) return static_cast<int>(i);
  }
  return -1;
}

std::string CapabilityName(int cap) {
  const auto names = base::CapabilityNames();
  if (cap < 0 || static_cast<size_t>(cap) >= names.size()) return "";
  return names[cap];
}

Credentials ExecCredentials(const Credentials& c) {
  Credentials n = c;
  const bool root = c.real_uid == kRootUid || c.effective_uid == kRootUid;
  if (root) {
    // A root exec treats the file as having every file capability.
    n.cap_permitted = (c.cap_inheritable | c.cap_bounding) | c.cap_ambient;
  } else {
    n.cap_permitted = c.cap_ambient;
  }
  n.cap_effective =
      c.effective_uid == kRootUid ? n.cap_permitted : n.cap_ambient;
  return n;
}

}  // namespace sentry::auth
