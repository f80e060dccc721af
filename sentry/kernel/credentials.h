// Task credentials and the setuid family (Linux's commit_creds rules).
//
// ADAPTER: sentry/auth (branch `vfs`) owns the Credentials value type. Until
// it is merged this header defines a field-compatible struct; the setuid
// family below works on either (same field names). Once sentry/auth lands,
// `Credentials` becomes an alias of auth::Credentials.
//
// Credentials are immutable once shared: a change builds a new value and the
// task swaps its shared_ptr (copy on write), so readers need no lock.
#ifndef SENTRY_KERNEL_CREDENTIALS_H_
#define SENTRY_KERNEL_CREDENTIALS_H_

#include <linux/capability.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "sentry/base/errno.h"

namespace sentry::kernel {

inline constexpr uint64_t kAllCaps = (uint64_t{1} << 41) - 1;
inline constexpr uint32_t kNoId = static_cast<uint32_t>(-1);

struct Credentials {
  uint32_t real_uid = 0, effective_uid = 0, saved_uid = 0, fs_uid = 0;
  uint32_t real_gid = 0, effective_gid = 0, saved_gid = 0, fs_gid = 0;
  std::vector<uint32_t> groups;
  uint64_t cap_permitted = kAllCaps;
  uint64_t cap_effective = kAllCaps;
  uint64_t cap_inheritable = 0;
  uint64_t cap_bounding = kAllCaps;
  uint64_t cap_ambient = 0;
  bool keep_caps = false;  // PR_SET_KEEPCAPS

  bool HasCapability(int cap) const {
    return cap_effective & (uint64_t{1} << cap);
  }
};

using CredentialsRef = std::shared_ptr<const Credentials>;

// The setuid family on a copy of `c`; EPERM per the rules of setuid(2),
// setreuid(2), setresuid(2), setfsuid(2) (and the gid forms). kNoId (-1)
// leaves a field unchanged. setfsuid never fails: it returns the old fsuid
// and changes nothing when not permitted.
ErrnoOr<Credentials> SetUid(const Credentials& c, uint32_t uid);
ErrnoOr<Credentials> SetReUid(const Credentials& c, uint32_t ruid,
                              uint32_t euid);
ErrnoOr<Credentials> SetResUid(const Credentials& c, uint32_t ruid,
                               uint32_t euid, uint32_t suid);
ErrnoOr<Credentials> SetGid(const Credentials& c, uint32_t gid);
ErrnoOr<Credentials> SetReGid(const Credentials& c, uint32_t rgid,
                              uint32_t egid);
ErrnoOr<Credentials> SetResGid(const Credentials& c, uint32_t rgid,
                               uint32_t egid, uint32_t sgid);
// Returns the previous fsuid; *c is updated if allowed.
uint32_t SetFsUid(Credentials* c, uint32_t uid);
uint32_t SetFsGid(Credentials* c, uint32_t gid);

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_CREDENTIALS_H_
