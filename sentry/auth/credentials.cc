#include "sentry/auth/credentials.h"

#include <sys/stat.h>

#include <algorithm>
#include <utility>

namespace sentry::auth {

Credentials Credentials::Root() {
  Credentials c;
  c.cap_permitted = kAllCaps;
  c.cap_effective = kAllCaps;
  return c;
}

Credentials Credentials::User(Uid uid, Gid gid, std::vector<Gid> groups) {
  Credentials c;
  c.real_uid = c.effective_uid = c.saved_uid = c.fs_uid = uid;
  c.real_gid = c.effective_gid = c.saved_gid = c.fs_gid = gid;
  c.groups = std::move(groups);
  return c;
}

bool Credentials::HasCapability(int cap) const {
  if (cap < 0 || cap >= 64) return false;
  return (cap_effective & CapMask(cap)) != 0;
}

bool Credentials::InGroup(Gid gid) const {
  if (gid == fs_gid) return true;
  return std::find(groups.begin(), groups.end(), gid) != groups.end();
}

Credentials Credentials::ForAccessCheck() const {
  Credentials c = *this;
  c.fs_uid = real_uid;
  c.fs_gid = real_gid;
  c.cap_effective = real_uid == kRootUid ? cap_permitted : 0;
  return c;
}

ErrnoStatus GenericPermission(const Credentials& creds, uint32_t mode,
                              Uid owner, Gid group, int may) {
  may &= kMayRead | kMayWrite | kMayExec;
  // Owner bits if we own it, else group bits if in the group, else other.
  uint32_t bits;
  if (creds.fs_uid == owner) {
    bits = (mode >> 6) & 7;
  } else if (creds.InGroup(group)) {
    bits = (mode >> 3) & 7;
  } else {
    bits = mode & 7;
  }
  if ((bits & may) == static_cast<uint32_t>(may)) return OkErrno();

  if (S_ISDIR(mode)) {
    // Directories: read and search are granted by CAP_DAC_READ_SEARCH,
    // everything by CAP_DAC_OVERRIDE.
    if (!(may & kMayWrite) && creds.HasCapability(CAP_DAC_READ_SEARCH)) {
      return OkErrno();
    }
    if (creds.HasCapability(CAP_DAC_OVERRIDE)) return OkErrno();
    return Errno{EACCES};
  }
  // Files: CAP_DAC_READ_SEARCH grants read; CAP_DAC_OVERRIDE grants read and
  // write, and exec only when some exec bit is set.
  if (may == kMayRead && creds.HasCapability(CAP_DAC_READ_SEARCH)) {
    return OkErrno();
  }
  if (creds.HasCapability(CAP_DAC_OVERRIDE) &&
      (!(may & kMayExec) || (mode & 0111) != 0)) {
    return OkErrno();
  }
  return Errno{EACCES};
}

bool IsOwnerOrCapable(const Credentials& creds, Uid owner) {
  return creds.fs_uid == owner || creds.HasCapability(CAP_FOWNER);
}

}  // namespace sentry::auth
