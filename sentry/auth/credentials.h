// Credentials of a sandboxed task and the Linux file permission check.
//
// Credentials mirror Linux's struct cred: real/effective/saved/filesystem
// user and group ids, supplementary groups and the capability sets as 64-bit
// masks (bit N = capability N from <linux/capability.h>). A Credentials value
// is immutable once shared: the kernel replaces a task's credentials with a
// new shared_ptr<const Credentials> (copy on write, like Linux's commit_creds),
// so readers need no lock.
//
// GenericPermission is Linux's generic_permission() without ACLs: owner, group
// or other bits chosen by the fs uid/gid, then the CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH overrides. There are no user namespaces: a capability
// applies to every inode (Linux additionally requires the inode's ids to be
// mapped in the caller's namespace).
#ifndef SENTRY_AUTH_CREDENTIALS_H_
#define SENTRY_AUTH_CREDENTIALS_H_

#include <linux/capability.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "sentry/base/errno.h"

namespace sentry::auth {

using Uid = uint32_t;
using Gid = uint32_t;

inline constexpr Uid kRootUid = 0;
inline constexpr Gid kRootGid = 0;
// The id "nobody" (overflowuid): shown for ids that cannot be represented.
inline constexpr Uid kOverflowUid = 65534;

inline constexpr uint64_t CapMask(int cap) { return uint64_t{1} << cap; }
// Every capability up to CAP_CHECKPOINT_RESTORE (40), as a full root has.
inline constexpr uint64_t kAllCaps = (uint64_t{1} << 41) - 1;

// Access bits for permission checks; the values of Linux's MAY_EXEC,
// MAY_WRITE and MAY_READ (and of X_OK, W_OK, R_OK).
inline constexpr int kMayExec = 1;
inline constexpr int kMayWrite = 2;
inline constexpr int kMayRead = 4;

struct Credentials {
  Uid real_uid = kRootUid;
  Uid effective_uid = kRootUid;
  Uid saved_uid = kRootUid;
  Uid fs_uid = kRootUid;
  Gid real_gid = kRootGid;
  Gid effective_gid = kRootGid;
  Gid saved_gid = kRootGid;
  Gid fs_gid = kRootGid;
  std::vector<Gid> groups;  // supplementary groups

  uint64_t cap_permitted = 0;
  uint64_t cap_effective = 0;
  uint64_t cap_inheritable = 0;
  uint64_t cap_bounding = kAllCaps;
  uint64_t cap_ambient = 0;

  // uid 0 with every capability.
  static Credentials Root();
  // An unprivileged user: all ids set to uid/gid, no capabilities.
  static Credentials User(Uid uid, Gid gid, std::vector<Gid> groups = {});

  // Whether `cap` (CAP_*) is in the effective set.
  bool HasCapability(int cap) const;
  // Whether gid is the fs gid or one of the supplementary groups
  // (Linux's in_group_p).
  bool InGroup(Gid gid) const;

  // The credentials access(2)/faccessat(2) without AT_EACCESS check with:
  // fs ids replaced by the real ids; capabilities cleared unless the real uid
  // is root, then the permitted set (Linux's access_override_creds).
  Credentials ForAccessCheck() const;
};

using CredentialsRef = std::shared_ptr<const Credentials>;

// Linux generic_permission() without ACLs. `may` is a combination of
// kMayRead/kMayWrite/kMayExec; `mode` includes the file type bits.
// Returns EACCES when denied.
ErrnoStatus GenericPermission(const Credentials& creds, uint32_t mode,
                              Uid owner, Gid group, int may);

// Whether the caller may act as the owner of a file owned by `owner`
// (fs uid matches, or CAP_FOWNER): chmod, utimes to arbitrary times, sticky
// directory overrides (Linux's inode_owner_or_capable).
bool IsOwnerOrCapable(const Credentials& creds, Uid owner);

}  // namespace sentry::auth

#endif  // SENTRY_AUTH_CREDENTIALS_H_
