#include "sentry/kernel/credentials.h"

namespace sentry::kernel {
namespace {

constexpr uint64_t Cap(int c) { return uint64_t{1} << c; }
// Linux's CAP_FS_MASK: the capabilities tied to the fs uid.
constexpr uint64_t kFsCaps = Cap(CAP_CHOWN) | Cap(CAP_DAC_OVERRIDE) |
                             Cap(CAP_DAC_READ_SEARCH) | Cap(CAP_FOWNER) |
                             Cap(CAP_FSETID) | Cap(CAP_LINUX_IMMUTABLE) |
                             Cap(CAP_MKNOD) | Cap(CAP_MAC_OVERRIDE);

// Linux's cap_emulate_setxuid + the fsuid part of cap_task_fix_setuid.
void FixCaps(const Credentials& old, Credentials* n, bool keep_caps) {
  bool old_root =
      old.real_uid == 0 || old.effective_uid == 0 || old.saved_uid == 0;
  bool new_nonroot =
      n->real_uid != 0 && n->effective_uid != 0 && n->saved_uid != 0;
  if (old_root && new_nonroot && !keep_caps) {
    n->cap_permitted = 0;
    n->cap_effective = 0;
    n->cap_ambient = 0;
  }
  if (old.effective_uid == 0 && n->effective_uid != 0) n->cap_effective = 0;
  if (old.effective_uid != 0 && n->effective_uid == 0) {
    n->cap_effective = n->cap_permitted;
  }
  if (old.fs_uid == 0 && n->fs_uid != 0) n->cap_effective &= ~kFsCaps;
  if (old.fs_uid != 0 && n->fs_uid == 0) {
    n->cap_effective |= n->cap_permitted & kFsCaps;
  }
}

bool IsOneOf(uint32_t id, uint32_t a, uint32_t b, uint32_t c) {
  return id == a || id == b || id == c;
}

}  // namespace

ErrnoOr<Credentials> SetUid(const Credentials& c, uint32_t uid,
                            bool keep_caps) {
  if (uid == kNoId) return Errno{EINVAL};
  Credentials n = c;
  if (c.HasCapability(CAP_SETUID)) {
    n.real_uid = n.effective_uid = n.saved_uid = n.fs_uid = uid;
  } else if (uid == c.real_uid || uid == c.saved_uid) {
    n.effective_uid = n.fs_uid = uid;
  } else {
    return Errno{EPERM};
  }
  FixCaps(c, &n, keep_caps);
  return n;
}

ErrnoOr<Credentials> SetReUid(const Credentials& c, uint32_t ruid,
                              uint32_t euid, bool keep_caps) {
  bool priv = c.HasCapability(CAP_SETUID);
  Credentials n = c;
  if (ruid != kNoId) {
    if (!priv && ruid != c.real_uid && ruid != c.effective_uid) {
      return Errno{EPERM};
    }
    n.real_uid = ruid;
  }
  if (euid != kNoId) {
    if (!priv && !IsOneOf(euid, c.real_uid, c.effective_uid, c.saved_uid)) {
      return Errno{EPERM};
    }
    n.effective_uid = euid;
  }
  // Linux: the saved id follows the new effective id when the real id is set
  // or the effective id differs from the old real id.
  if (ruid != kNoId || (euid != kNoId && euid != c.real_uid)) {
    n.saved_uid = n.effective_uid;
  }
  n.fs_uid = n.effective_uid;
  FixCaps(c, &n, keep_caps);
  return n;
}

ErrnoOr<Credentials> SetResUid(const Credentials& c, uint32_t ruid,
                               uint32_t euid, uint32_t suid, bool keep_caps) {
  if (!c.HasCapability(CAP_SETUID)) {
    for (uint32_t id : {ruid, euid, suid}) {
      if (id != kNoId &&
          !IsOneOf(id, c.real_uid, c.effective_uid, c.saved_uid)) {
        return Errno{EPERM};
      }
    }
  }
  Credentials n = c;
  if (ruid != kNoId) n.real_uid = ruid;
  if (euid != kNoId) n.effective_uid = euid;
  if (suid != kNoId) n.saved_uid = suid;
  n.fs_uid = n.effective_uid;
  FixCaps(c, &n, keep_caps);
  return n;
}

ErrnoOr<Credentials> SetGid(const Credentials& c, uint32_t gid) {
  if (gid == kNoId) return Errno{EINVAL};
  Credentials n = c;
  if (c.HasCapability(CAP_SETGID)) {
    n.real_gid = n.effective_gid = n.saved_gid = n.fs_gid = gid;
  } else if (gid == c.real_gid || gid == c.saved_gid) {
    n.effective_gid = n.fs_gid = gid;
  } else {
    return Errno{EPERM};
  }
  return n;
}

ErrnoOr<Credentials> SetReGid(const Credentials& c, uint32_t rgid,
                              uint32_t egid) {
  bool priv = c.HasCapability(CAP_SETGID);
  Credentials n = c;
  if (rgid != kNoId) {
    if (!priv && rgid != c.real_gid && rgid != c.effective_gid) {
      return Errno{EPERM};
    }
    n.real_gid = rgid;
  }
  if (egid != kNoId) {
    if (!priv && !IsOneOf(egid, c.real_gid, c.effective_gid, c.saved_gid)) {
      return Errno{EPERM};
    }
    n.effective_gid = egid;
  }
  if (rgid != kNoId || (egid != kNoId && egid != c.real_gid)) {
    n.saved_gid = n.effective_gid;
  }
  n.fs_gid = n.effective_gid;
  return n;
}

ErrnoOr<Credentials> SetResGid(const Credentials& c, uint32_t rgid,
                               uint32_t egid, uint32_t sgid) {
  if (!c.HasCapability(CAP_SETGID)) {
    for (uint32_t id : {rgid, egid, sgid}) {
      if (id != kNoId &&
          !IsOneOf(id, c.real_gid, c.effective_gid, c.saved_gid)) {
        return Errno{EPERM};
      }
    }
  }
  Credentials n = c;
  if (rgid != kNoId) n.real_gid = rgid;
  if (egid != kNoId) n.effective_gid = egid;
  if (sgid != kNoId) n.saved_gid = sgid;
  n.fs_gid = n.effective_gid;
  return n;
}

uint32_t SetFsUid(Credentials* c, uint32_t uid) {
  uint32_t old = c->fs_uid;
  if (uid == kNoId) return old;
  if (c->HasCapability(CAP_SETUID) ||
      IsOneOf(uid, c->real_uid, c->effective_uid, c->saved_uid) ||
      uid == c->fs_uid) {
    Credentials before = *c;
    c->fs_uid = uid;
    FixCaps(before, c, false);
  }
  return old;
}

uint32_t SetFsGid(Credentials* c, uint32_t gid) {
  uint32_t old = c->fs_gid;
  if (gid == kNoId) return old;
  if (c->HasCapability(CAP_SETGID) ||
      IsOneOf(gid, c->real_gid, c->effective_gid, c->saved_gid) ||
      gid == c->fs_gid) {
    c->fs_gid = gid;
  }
  return old;
}

}  // namespace sentry::kernel
