// Credentials and job control: uid/gid getters and the setuid family,
// supplementary groups, capget/capset, sessions and process groups.
#include <linux/capability.h>
#include <sys/syscall.h>

#include "sentry/kernel/credentials.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

using kernel::Credentials;

SyscallResult Getuid(Task& t) {
  return SyscallResult::Value(t.creds()->real_uid);
}
SyscallResult Geteuid(Task& t) {
  return SyscallResult::Value(t.creds()->effective_uid);
}
SyscallResult Getgid(Task& t) {
  return SyscallResult::Value(t.creds()->real_gid);
}
SyscallResult Getegid(Task& t) {
  return SyscallResult::Value(t.creds()->effective_gid);
}

SyscallResult GetThree(Task& t, UserPtr<uint32_t> a, UserPtr<uint32_t> b,
                       UserPtr<uint32_t> c, uint32_t va, uint32_t vb,
                       uint32_t vc) {
  for (auto [p, v] : {std::pair{a, va}, std::pair{b, vb}, std::pair{c, vc}}) {
    auto s = t.mm().CopyOutObj(p, v);
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  return SyscallResult::Value(0);
}

// Getresuid implements getresuid(2). Full.
SyscallResult Getresuid(Task& t, UserPtr<uint32_t> r, UserPtr<uint32_t> e,
                        UserPtr<uint32_t> s) {
  auto c = t.creds();
  return GetThree(t, r, e, s, c->real_uid, c->effective_uid, c->saved_uid);
}

// Getresgid implements getresgid(2). Full.
SyscallResult Getresgid(Task& t, UserPtr<uint32_t> r, UserPtr<uint32_t> e,
                        UserPtr<uint32_t> s) {
  auto c = t.creds();
  return GetThree(t, r, e, s, c->real_gid, c->effective_gid, c->saved_gid);
}

SyscallResult Commit(Task& t, ErrnoOr<Credentials> n) {
  if (!n.ok()) return SyscallResult::Error(n.error());
  t.set_creds(std::move(*n));
  return SyscallResult::Value(0);
}

SyscallResult Setuid(Task& t, uint32_t uid) {
  return Commit(t, kernel::SetUid(*t.creds(), uid, t.keep_caps));
}
SyscallResult Setgid(Task& t, uint32_t gid) {
  return Commit(t, kernel::SetGid(*t.creds(), gid));
}
SyscallResult Setreuid(Task& t, uint32_t r, uint32_t e) {
  return Commit(t, kernel::SetReUid(*t.creds(), r, e, t.keep_caps));
}
SyscallResult Setregid(Task& t, uint32_t r, uint32_t e) {
  return Commit(t, kernel::SetReGid(*t.creds(), r, e));
}
SyscallResult Setresuid(Task& t, uint32_t r, uint32_t e, uint32_t s) {
  return Commit(t, kernel::SetResUid(*t.creds(), r, e, s, t.keep_caps));
}
SyscallResult Setresgid(Task& t, uint32_t r, uint32_t e, uint32_t s) {
  return Commit(t, kernel::SetResGid(*t.creds(), r, e, s));
}
SyscallResult Setfsuid(Task& t, uint32_t uid) {
  Credentials c = *t.creds();
  uint32_t old = kernel::SetFsUid(&c, uid);
  t.set_creds(std::move(c));
  return SyscallResult::Value(old);
}
SyscallResult Setfsgid(Task& t, uint32_t gid) {
  Credentials c = *t.creds();
  uint32_t old = kernel::SetFsGid(&c, gid);
  t.set_creds(std::move(c));
  return SyscallResult::Value(old);
}

// Getgroups implements getgroups(2). Full.
SyscallResult Getgroups(Task& t, int size, UserAddr list) {
  auto c = t.creds();
  if (size < 0) return SyscallResult::Error(Errno{EINVAL});
  int n = static_cast<int>(c->groups.size());
  if (size == 0) return SyscallResult::Value(n);
  if (size < n) return SyscallResult::Error(Errno{EINVAL});
  auto s = t.mm().CopyOutFull(list, c->groups.data(), n * sizeof(uint32_t));
  if (!s.ok()) return SyscallResult::Error(s.error());
  return SyscallResult::Value(n);
}

// Setgroups implements setgroups(2). Full.
SyscallResult Setgroups(Task& t, int size, UserAddr list) {
  constexpr int kNgroupsMax = 65536;
  if (size < 0 || size > kNgroupsMax)
    return SyscallResult::Error(Errno{EINVAL});
  Credentials c = *t.creds();
  if (!c.HasCapability(CAP_SETGID)) return SyscallResult::Error(Errno{EPERM});
  std::vector<uint32_t> g(size);
  auto s = t.mm().CopyInFull(list, g.data(), g.size() * sizeof(uint32_t));
  if (!s.ok()) return SyscallResult::Error(s.error());
  std::sort(g.begin(), g.end());
  c.groups = std::move(g);
  t.set_creds(std::move(c));
  return SyscallResult::Value(0);
}

struct CapHeader {
  uint32_t version;
  int32_t pid;
};
struct CapData {
  uint32_t effective, permitted, inheritable;
};

// Validates the header; returns the number of CapData words.
ErrnoOr<int> CapWords(Task& t, UserPtr<CapHeader> hdr, CapHeader* h,
                      bool data_null) {
  ASSIGN_OR_RETURN_ERRNO(*h, t.mm().CopyInObj(hdr));
  switch (h->version) {
    case _LINUX_CAPABILITY_VERSION_1:
      return 1;
    case _LINUX_CAPABILITY_VERSION_2:
    case _LINUX_CAPABILITY_VERSION_3:
      return 2;
    default: {
      // Linux tells the caller the version it prefers.
      CapHeader preferred{_LINUX_CAPABILITY_VERSION_3, h->pid};
      RETURN_IF_ERRNO(t.mm().CopyOutObj(hdr, preferred));
      // A probe (NULL data) succeeds; 0 words tells the caller so.
      if (data_null) return 0;
      return Errno{EINVAL};
    }
  }
}

// Capget implements capget(2). Full.
SyscallResult Capget(Task& t, UserPtr<CapHeader> hdr, UserAddr data) {
  CapHeader h;
  auto words = CapWords(t, hdr, &h, data.IsNull());
  if (!words.ok()) return SyscallResult::Error(words.error());
  if (*words == 0) return SyscallResult::Value(0);
  if (h.pid < 0) return SyscallResult::Error(Errno{EINVAL});
  kernel::CredentialsRef c;
  {
    absl::MutexLock l(t.kernel().mu());
    Task* target = FindTaskLocked(t, h.pid);
    if (target == nullptr) return SyscallResult::Error(Errno{ESRCH});
    c = target->creds();
  }
  if (data.IsNull()) return SyscallResult::Value(0);
  CapData d[2];
  for (int i = 0; i < 2; ++i) {
    d[i].effective = static_cast<uint32_t>(c->cap_effective >> (32 * i));
    d[i].permitted = static_cast<uint32_t>(c->cap_permitted >> (32 * i));
    d[i].inheritable = static_cast<uint32_t>(c->cap_inheritable >> (32 * i));
  }
  return SyscallResult::From(
      t.mm().CopyOutFull(data, d, *words * sizeof(CapData)));
}

// Capset implements capset(2). Full (own task only, like Linux).
SyscallResult Capset(Task& t, UserPtr<CapHeader> hdr, UserAddr data) {
  CapHeader h;
  auto words = CapWords(t, hdr, &h, false);
  if (!words.ok()) return SyscallResult::Error(words.error());
  if (h.pid != 0 && h.pid != t.tid()) return SyscallResult::Error(Errno{EPERM});
  CapData d[2] = {};
  auto s = t.mm().CopyInFull(data, d, *words * sizeof(CapData));
  if (!s.ok()) return SyscallResult::Error(s.error());
  auto join = [&](uint32_t CapData::*f) {
    return uint64_t{d[0].*f} | (uint64_t{d[1].*f} << 32);
  };
  uint64_t e = join(&CapData::effective) & kernel::kAllCaps;
  uint64_t p = join(&CapData::permitted) & kernel::kAllCaps;
  uint64_t i = join(&CapData::inheritable) & kernel::kAllCaps;
  Credentials c = *t.creds();
  // Linux's cap_capset: no new permitted; inheritable within old
  // inheritable|permitted (or CAP_SETPCAP) and the bounding set; effective
  // within permitted.
  if (p & ~c.cap_permitted) return SyscallResult::Error(Errno{EPERM});
  uint64_t inh_limit =
      c.cap_inheritable |
      (c.HasCapability(CAP_SETPCAP) ? c.cap_bounding : c.cap_permitted);
  if (i & ~inh_limit) return SyscallResult::Error(Errno{EPERM});
  if (i & ~(c.cap_inheritable | c.cap_bounding)) {
    return SyscallResult::Error(Errno{EPERM});
  }
  if (e & ~p) return SyscallResult::Error(Errno{EPERM});
  c.cap_effective = e;
  c.cap_permitted = p;
  c.cap_inheritable = i;
  c.cap_ambient &= p & i;
  t.set_creds(std::move(c));
  return SyscallResult::Value(0);
}

SyscallResult Setsid(Task& t) {
  return SyscallResult::From(t.kernel().SetSid(t));
}
SyscallResult Getsid(Task& t, int pid) {
  return SyscallResult::From(t.kernel().GetSid(t, pid));
}
SyscallResult Setpgid(Task& t, int pid, int pgid) {
  if (pid < 0) return SyscallResult::Error(Errno{EINVAL});
  return SyscallResult::From(t.kernel().SetPgid(t, pid, pgid));
}
SyscallResult Getpgid(Task& t, int pid) {
  return SyscallResult::From(t.kernel().GetPgid(t, pid));
}
SyscallResult Getpgrp(Task& t) {
  return SyscallResult::From(t.kernel().GetPgid(t, 0));
}

}  // namespace

void RegisterIdentitySyscalls(SyscallTable& tab) {
  tab.Set(__NR_getuid, Adapt<&Getuid>, Support::kFull);
  tab.Set(__NR_geteuid, Adapt<&Geteuid>, Support::kFull);
  tab.Set(__NR_getgid, Adapt<&Getgid>, Support::kFull);
  tab.Set(__NR_getegid, Adapt<&Getegid>, Support::kFull);
  tab.Set(__NR_getresuid, Adapt<&Getresuid>, Support::kFull);
  tab.Set(__NR_getresgid, Adapt<&Getresgid>, Support::kFull);
  tab.Set(__NR_setuid, Adapt<&Setuid>, Support::kFull);
  tab.Set(__NR_setgid, Adapt<&Setgid>, Support::kFull);
  tab.Set(__NR_setreuid, Adapt<&Setreuid>, Support::kFull);
  tab.Set(__NR_setregid, Adapt<&Setregid>, Support::kFull);
  tab.Set(__NR_setresuid, Adapt<&Setresuid>, Support::kFull);
  tab.Set(__NR_setresgid, Adapt<&Setresgid>, Support::kFull);
  tab.Set(__NR_setfsuid, Adapt<&Setfsuid>, Support::kFull);
  tab.Set(__NR_setfsgid, Adapt<&Setfsgid>, Support::kFull);
  tab.Set(__NR_getgroups, Adapt<&Getgroups>, Support::kFull);
  tab.Set(__NR_setgroups, Adapt<&Setgroups>, Support::kFull);
  tab.Set(__NR_capget, Adapt<&Capget>, Support::kFull);
  tab.Set(__NR_capset, Adapt<&Capset>, Support::kFull);
  tab.Set(__NR_setsid, Adapt<&Setsid>, Support::kFull);
  tab.Set(__NR_getsid, Adapt<&Getsid>, Support::kFull);
  tab.Set(__NR_setpgid, Adapt<&Setpgid>, Support::kPartial,
          "no EACCES after the child's execve");
  tab.Set(__NR_getpgid, Adapt<&Getpgid>, Support::kFull);
  tab.Set(__NR_getpgrp, Adapt<&Getpgrp>, Support::kFull);
}

}  // namespace sentry::syscalls
