// Task credentials and the setuid family (Linux's commit_creds rules).
//
// The value type is sentry/auth's Credentials. `keep_caps` is the task's
// PR_SET_KEEPCAPS flag (Linux keeps it in the creds' securebits).
//
// Credentials are immutable once shared: a change builds a new value and the
// task swaps its shared_ptr (copy on write), so readers need no lock.
#ifndef SENTRY_KERNEL_CREDENTIALS_H_
#define SENTRY_KERNEL_CREDENTIALS_H_

#include <linux/capability.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "sentry/auth/credentials.h"
#include "sentry/base/errno.h"

namespace sentry::kernel {

using Credentials = auth::Credentials;
using CredentialsRef = auth::CredentialsRef;
inline constexpr uint64_t kAllCaps = auth::kAllCaps;
inline constexpr uint32_t kNoId = static_cast<uint32_t>(-1);

// The setuid family on a copy of `c`; EPERM per the rules of setuid(2),
// setreuid(2), setresuid(2), setfsuid(2) (and the gid forms). kNoId (-1)
// leaves a field unchanged. setfsuid never fails: it returns the old fsuid
// and changes nothing when not permitted.
ErrnoOr<Credentials> SetUid(const Credentials& c, uint32_t uid,
                            bool keep_caps = false);
ErrnoOr<Credentials> SetReUid(const Credentials& c, uint32_t ruid,
                              uint32_t euid, bool keep_caps = false);
ErrnoOr<Credentials> SetResUid(const Credentials& c, uint32_t ruid,
                               uint32_t euid, uint32_t suid,
                               bool keep_caps = false);
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
