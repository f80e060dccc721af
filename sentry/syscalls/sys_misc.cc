// uname, getrandom, prctl, arch_prctl and resource limits.
#include <asm/prctl.h>
#include <linux/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <cstring>

#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

// Uname implements uname(2) with the kernel's configured identity. Full.
SyscallResult Uname(Task& t, UserPtr<struct utsname> buf) {
  struct utsname u;
  memset(&u, 0, sizeof(u));
  const kernel::KernelConfig& c = t.kernel().config();
  auto put = [](char* dst, const std::string& s) {
    strncpy(dst, s.c_str(), _UTSNAME_LENGTH - 1);
  };
  put(u.sysname, c.sysname);
  put(u.nodename, c.nodename);
  put(u.release, c.release);
  put(u.version, c.version);
  put(u.machine, c.machine);
  put(u.domainname, c.domainname);
  return SyscallResult::From(t.mm().CopyOutObj(buf, u));
}

// Getrandom implements getrandom(2) from the host's generator. Full.
SyscallResult Getrandom(Task& t, UserAddr buf, size_t len, uint32_t flags) {
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) {
    return SyscallResult::Error(Errno{EINVAL});
  }
  if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM)) {
    return SyscallResult::Error(Errno{EINVAL});
  }
  // Linux caps one call at MAX_RW_COUNT; we cap lower and return short.
  len = std::min<size_t>(len, 32 << 20);
  uint8_t chunk[256];
  size_t done = 0;
  while (done < len) {
    size_t n = std::min(sizeof(chunk), len - done);
    ssize_t got = ::getrandom(chunk, n, 0);
    if (got <= 0) break;
    std::optional<UserAddr> at = buf.Add(done);
    if (!at) break;
    auto c = t.mm().CopyOut(*at, chunk, static_cast<size_t>(got));
    if (!c.ok()) {
      if (done == 0) return SyscallResult::Error(c.error());
      break;
    }
    done += *c;
    if (*c < static_cast<size_t>(got)) break;
  }
  return SyscallResult::Value(static_cast<int64_t>(done));
}

constexpr int kCapLastCap = 40;  // CAP_CHECKPOINT_RESTORE

// Prctl implements prctl(2). Partial: the options programs commonly use
// (see the cases); others return EINVAL like an old kernel.
SyscallResult Prctl(Task& t, int option, uint64_t a2, uint64_t a3, uint64_t a4,
                    uint64_t a5) {
  switch (option) {
    case PR_SET_NAME: {
      char name[16] = {};
      auto n = t.mm().CopyIn(UserAddr(a2), name, sizeof(name) - 1);
      if (!n.ok()) return SyscallResult::Error(n.error());
      t.set_name(std::string(name, strnlen(name, *n)));
      return SyscallResult::Value(0);
    }
    case PR_GET_NAME: {
      char name[16] = {};
      std::string n = t.name();
      memcpy(name, n.data(), std::min(n.size(), sizeof(name) - 1));
      return SyscallResult::From(t.mm().CopyOutFull(UserAddr(a2), name, 16));
    }
    case PR_SET_PDEATHSIG:
      if (a2 != 0 && !kernel::ValidSignal(static_cast<int>(a2))) {
        return SyscallResult::Error(Errno{EINVAL});
      }
      t.pdeath_signal = static_cast<int>(a2);
      return SyscallResult::Value(0);
    case PR_GET_PDEATHSIG:
      return SyscallResult::From(
          t.mm().CopyOutObj(UserPtr<int>(UserAddr(a2)), t.pdeath_signal));
    case PR_SET_NO_NEW_PRIVS:
      if (a2 != 1 || a3 || a4 || a5) return SyscallResult::Error(Errno{EINVAL});
      t.no_new_privs = true;
      return SyscallResult::Value(0);
    case PR_GET_NO_NEW_PRIVS:
      if (a2 || a3 || a4 || a5) return SyscallResult::Error(Errno{EINVAL});
      return SyscallResult::Value(t.no_new_privs ? 1 : 0);
    case PR_GET_DUMPABLE:
      return SyscallResult::Value(t.dumpable ? 1 : 0);
    case PR_SET_DUMPABLE:
      if (a2 > 1) return SyscallResult::Error(Errno{EINVAL});
      t.dumpable = a2 == 1;
      return SyscallResult::Value(0);
    case PR_GET_KEEPCAPS:
      return SyscallResult::Value(t.keep_caps ? 1 : 0);
    case PR_SET_KEEPCAPS:
      if (a2 > 1) return SyscallResult::Error(Errno{EINVAL});
      t.keep_caps = a2 == 1;
      return SyscallResult::Value(0);
    case PR_CAPBSET_READ:
      if (a2 > kCapLastCap) return SyscallResult::Error(Errno{EINVAL});
      return SyscallResult::Value((t.creds()->cap_bounding >> a2) & 1);
    case PR_CAPBSET_DROP: {
      if (a2 > kCapLastCap) return SyscallResult::Error(Errno{EINVAL});
      kernel::Credentials c = *t.creds();
      if (!c.HasCapability(CAP_SETPCAP))
        return SyscallResult::Error(Errno{EPERM});
      c.cap_bounding &= ~(uint64_t{1} << a2);
      t.set_creds(std::move(c));
      return SyscallResult::Value(0);
    }
    case PR_CAP_AMBIENT: {
      kernel::Credentials c = *t.creds();
      if (a2 == PR_CAP_AMBIENT_CLEAR_ALL) {
        c.cap_ambient = 0;
        t.set_creds(std::move(c));
        return SyscallResult::Value(0);
      }
      if (a3 > kCapLastCap) return SyscallResult::Error(Errno{EINVAL});
      uint64_t bit = uint64_t{1} << a3;
      switch (a2) {
        case PR_CAP_AMBIENT_IS_SET:
          return SyscallResult::Value((c.cap_ambient & bit) ? 1 : 0);
        case PR_CAP_AMBIENT_RAISE:
          if (!(c.cap_permitted & bit) || !(c.cap_inheritable & bit)) {
            return SyscallResult::Error(Errno{EPERM});
          }
          c.cap_ambient |= bit;
          break;
        case PR_CAP_AMBIENT_LOWER:
          c.cap_ambient &= ~bit;
          break;
        default:
          return SyscallResult::Error(Errno{EINVAL});
      }
      t.set_creds(std::move(c));
      return SyscallResult::Value(0);
    }
    case PR_GET_TIMERSLACK:
      return SyscallResult::Value(50000);
    case PR_SET_TIMERSLACK:
      return SyscallResult::Value(0);
    case PR_GET_SECCOMP:
      return SyscallResult::Value(0);
    case PR_GET_TID_ADDRESS:
      return SyscallResult::From(t.mm().CopyOutObj(
          UserPtr<uint64_t>(UserAddr(a2)), t.clear_child_tid.value()));
    case PR_GET_CHILD_SUBREAPER: {
      int v;
      {
        absl::MutexLock l(t.kernel().mu());
        v = t.tg().child_subreaper ? 1 : 0;
      }
      return SyscallResult::From(
          t.mm().CopyOutObj(UserPtr<int>(UserAddr(a2)), v));
    }
    case PR_SET_CHILD_SUBREAPER: {
      absl::MutexLock l(t.kernel().mu());
      t.tg().child_subreaper = a2 != 0;
      return SyscallResult::Value(0);
    }
    case PR_GET_THP_DISABLE:
      return SyscallResult::Value(0);
    case PR_SET_THP_DISABLE:
      return SyscallResult::Value(0);
    default:
      return SyscallResult::Error(Errno{EINVAL});
  }
}

// ArchPrctl implements arch_prctl(2). Partial: no CPUID faulting, no vDSO
// mapping requests.
SyscallResult ArchPrctl(Task& t, int code, uint64_t addr) {
  user_regs_struct& g = t.regs().gp();
  switch (code) {
    case ARCH_SET_FS:
      if (addr >= kernel::kUserAddrEnd)
        return SyscallResult::Error(Errno{EPERM});
      g.fs_base = addr;
      return SyscallResult::Value(0);
    case ARCH_SET_GS:
      if (addr >= kernel::kUserAddrEnd)
        return SyscallResult::Error(Errno{EPERM});
      g.gs_base = addr;
      return SyscallResult::Value(0);
    case ARCH_GET_FS:
      return SyscallResult::From(t.mm().CopyOutObj(
          UserPtr<uint64_t>(UserAddr(addr)), uint64_t{g.fs_base}));
    case ARCH_GET_GS:
      return SyscallResult::From(t.mm().CopyOutObj(
          UserPtr<uint64_t>(UserAddr(addr)), uint64_t{g.gs_base}));
    case ARCH_GET_CPUID:
      return SyscallResult::Value(1);
    case ARCH_SET_CPUID:
      return SyscallResult::Error(Errno{ENODEV});
    default:
      return SyscallResult::Error(Errno{EINVAL});
  }
}

constexpr uint64_t kNrOpen = 1048576;  // fs.nr_open

// Applies a new limit with Linux's checks (do_prlimit).
ErrnoStatus SetLimitLocked(Task& t, kernel::ThreadGroup& tg, int res,
                           const rlimit& n) {
  if (n.rlim_cur > n.rlim_max) return Errno{EINVAL};
  rlimit& cur = tg.rlimits[res];
  if (n.rlim_max > cur.rlim_max &&
      !t.creds()->HasCapability(CAP_SYS_RESOURCE)) {
    return Errno{EPERM};
  }
  if (res == RLIMIT_NOFILE && n.rlim_max > kNrOpen) return Errno{EPERM};
  cur = n;
  return OkErrno();
}

// Prlimit64 implements prlimit64(2). Full; limits are virtual (kept in the
// sentry): NOFILE, NPROC and STACK are consulted by the VFS, clone and the
// loader respectively when they land.
SyscallResult Prlimit64(Task& t, int pid, int res, UserPtr<rlimit> nl,
                        UserPtr<rlimit> ol) {
  if (res < 0 || res >= RLIM_NLIMITS)
    return SyscallResult::Error(Errno{EINVAL});
  std::optional<rlimit> next;
  if (!nl.IsNull()) {
    auto v = t.mm().CopyInObj(nl);
    if (!v.ok()) return SyscallResult::Error(v.error());
    next = *v;
  }
  rlimit old;
  std::shared_ptr<kernel::ForkableResource> target_files;
  {
    absl::MutexLock l(t.kernel().mu());
    Task* target = FindTaskLocked(t, pid);
    if (target == nullptr) return SyscallResult::Error(Errno{ESRCH});
    if (target != &t) {
      // Linux: same real/effective/saved uids and gids, or CAP_SYS_RESOURCE.
      auto a = t.creds();
      auto b = target->creds();
      bool same =
          a->real_uid == b->real_uid && a->real_uid == b->effective_uid &&
          a->real_uid == b->saved_uid && a->real_gid == b->real_gid &&
          a->real_gid == b->effective_gid && a->real_gid == b->saved_gid;
      if (!same && !a->HasCapability(CAP_SYS_RESOURCE)) {
        return SyscallResult::Error(Errno{EPERM});
      }
    }
    old = target->tg().rlimits[res];
    if (next.has_value()) {
      auto s = SetLimitLocked(t, target->tg(), res, *next);
      if (!s.ok()) return SyscallResult::Error(s.error());
      target_files = target->files;
    }
  }
  if (next.has_value() && res == RLIMIT_NOFILE && target_files != nullptr) {
    // open/dup consult the table's own copy of the limit.
    static_cast<FilesResource*>(target_files.get())
        ->table->SetLimit(next->rlim_cur);
  }
  if (!ol.IsNull()) {
    auto s = t.mm().CopyOutObj(ol, old);
    if (!s.ok()) return SyscallResult::Error(s.error());
  }
  return SyscallResult::Value(0);
}

SyscallResult Getrlimit(Task& t, int res, UserPtr<rlimit> out) {
  if (out.IsNull()) return SyscallResult::Error(Errno{EFAULT});
  return Prlimit64(t, 0, res, UserPtr<rlimit>(), out);
}

SyscallResult Setrlimit(Task& t, int res, UserPtr<rlimit> in) {
  if (in.IsNull()) return SyscallResult::Error(Errno{EFAULT});
  return Prlimit64(t, 0, res, in, UserPtr<rlimit>());
}

// Personality implements personality(2): 0xffffffff queries; only the
// Linux execution domain (PER_LINUX, PER_LINUX32 refused) with its flags is
// accepted. Flags are kept and inherited, not acted on (address space
// randomisation is the memory manager's choice).
SyscallResult Personality(Task& t, uint32_t persona) {
  absl::MutexLock l(t.kernel().mu());
  uint32_t old = t.tg().personality;
  if (persona != 0xffffffff) {
    if ((persona & 0xff) != 0 /* PER_LINUX */) return Errno{EINVAL};
    t.tg().personality = persona;
  }
  return SyscallResult::Value(old);
}

// Getcpu implements getcpu(2): the sentry does not pin tasks, so it reports
// CPU 0 of node 0 (a valid answer for any unpinned thread).
SyscallResult Getcpu(Task& t, UserAddr cpu, UserAddr node, UserAddr) {
  uint32_t zero = 0;
  if (cpu.value() != 0) RETURN_IF_ERRNO(t.mm().CopyOutFull(cpu, &zero, 4));
  if (node.value() != 0) RETURN_IF_ERRNO(t.mm().CopyOutFull(node, &zero, 4));
  return SyscallResult::Value(0);
}

}  // namespace

void RegisterMiscSyscalls(SyscallTable& tab) {
  tab.Set(__NR_uname, Adapt<&Uname>, Support::kFull);
  tab.Set(__NR_personality, Adapt<&Personality>, Support::kPartial,
          "PER_LINUX only; flags kept, not acted on");
  tab.Set(__NR_getcpu, Adapt<&Getcpu>, Support::kPartial,
          "always CPU 0, node 0");
  tab.Set(__NR_getrandom, Adapt<&Getrandom>, Support::kFull);
  tab.Set(__NR_prctl, Adapt<&Prctl>, Support::kPartial,
          "names, pdeathsig, no_new_privs, dumpable, caps, tid address");
  tab.Set(__NR_arch_prctl, Adapt<&ArchPrctl>, Support::kPartial,
          "FS/GS base only");
  tab.Set(__NR_prlimit64, Adapt<&Prlimit64>, Support::kFull);
  tab.Set(__NR_getrlimit, Adapt<&Getrlimit>, Support::kFull);
  tab.Set(__NR_setrlimit, Adapt<&Setrlimit>, Support::kFull);
}

}  // namespace sentry::syscalls
