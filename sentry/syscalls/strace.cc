#include "sentry/syscalls/strace.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/mman.h>

#include <map>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sentry/kernel/signal.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

// Argument specs, one letter per argument:
//   d int   l long   u unsigned   x hex   p pointer   f fd (AT_FDCWD)
//   s path string   b input buffer (length = next arg)
//   B output buffer (length = result)   o open flags   m mode (octal)
//   S signal   c clone flags   P mmap prot   M mmap flags   F futex op
//   k clock id   h sigprocmask how
const std::map<std::string_view, const char*>& Specs() {
  static const auto* m = new std::map<std::string_view, const char*>{
      {"read", "fBu"},
      {"write", "fbu"},
      {"open", "som"},
      {"close", "f"},
      {"stat", "sp"},
      {"fstat", "fp"},
      {"lstat", "sp"},
      {"poll", "pud"},
      {"lseek", "fld"},
      {"mmap", "xuPMfx"},
      {"mprotect", "xuP"},
      {"munmap", "xu"},
      {"brk", "x"},
      {"rt_sigaction", "Sppu"},
      {"rt_sigprocmask", "hppu"},
      {"rt_sigreturn", ""},
      {"ioctl", "fxx"},
      {"pread64", "fBul"},
      {"pwrite64", "fbul"},
      {"readv", "fpd"},
      {"writev", "fpd"},
      {"access", "sd"},
      {"pipe", "p"},
      {"select", "dpppp"},
      {"sched_yield", ""},
      {"mremap", "xuuxx"},
      {"msync", "xux"},
      {"mincore", "xup"},
      {"madvise", "xud"},
      {"dup", "f"},
      {"dup2", "ff"},
      {"pause", ""},
      {"nanosleep", "pp"},
      {"getitimer", "dp"},
      {"alarm", "u"},
      {"setitimer", "dpp"},
      {"getpid", ""},
      {"sendfile", "ffpu"},
      {"socket", "ddd"},
      {"connect", "fpd"},
      {"accept", "fpp"},
      {"sendto", "fbuxpd"},
      {"recvfrom", "fBuxpp"},
      {"bind", "fpd"},
      {"listen", "fd"},
      {"socketpair", "dddp"},
      {"clone", "cppxx"},
      {"fork", ""},
      {"vfork", ""},
      {"execve", "spp"},
      {"exit", "d"},
      {"wait4", "dpxp"},
      {"kill", "dS"},
      {"uname", "p"},
      {"fcntl", "fdx"},
      {"flock", "fd"},
      {"fsync", "f"},
      {"fdatasync", "f"},
      {"truncate", "sl"},
      {"ftruncate", "fl"},
      {"getdents", "fpu"},
      {"getcwd", "pu"},
      {"chdir", "s"},
      {"fchdir", "f"},
      {"rename", "ss"},
      {"mkdir", "sm"},
      {"rmdir", "s"},
      {"creat", "sm"},
      {"link", "ss"},
      {"unlink", "s"},
      {"symlink", "ss"},
      {"readlink", "spu"},
      {"chmod", "sm"},
      {"fchmod", "fm"},
      {"chown", "sdd"},
      {"fchown", "fdd"},
      {"lchown", "sdd"},
      {"umask", "m"},
      {"gettimeofday", "pp"},
      {"getrlimit", "dp"},
      {"getrusage", "dp"},
      {"sysinfo", "p"},
      {"times", "p"},
      {"getuid", ""},
      {"getgid", ""},
      {"setuid", "d"},
      {"setgid", "d"},
      {"geteuid", ""},
      {"getegid", ""},
      {"setpgid", "dd"},
      {"getppid", ""},
      {"getpgrp", ""},
      {"setsid", ""},
      {"setreuid", "dd"},
      {"setregid", "dd"},
      {"getgroups", "dp"},
      {"setgroups", "dp"},
      {"setresuid", "ddd"},
      {"getresuid", "ppp"},
      {"setresgid", "ddd"},
      {"getresgid", "ppp"},
      {"getpgid", "d"},
      {"setfsuid", "d"},
      {"setfsgid", "d"},
      {"getsid", "d"},
      {"capget", "pp"},
      {"capset", "pp"},
      {"rt_sigpending", "pu"},
      {"rt_sigtimedwait", "pppu"},
      {"rt_sigqueueinfo", "dSp"},
      {"rt_sigsuspend", "pu"},
      {"sigaltstack", "pp"},
      {"statfs", "sp"},
      {"fstatfs", "fp"},
      {"getpriority", "dd"},
      {"setpriority", "ddd"},
      {"sched_setparam", "dp"},
      {"sched_getparam", "dp"},
      {"sched_setscheduler", "ddp"},
      {"sched_getscheduler", "d"},
      {"sched_get_priority_max", "d"},
      {"sched_get_priority_min", "d"},
      {"prctl", "dxxxx"},
      {"arch_prctl", "xx"},
      {"setrlimit", "dp"},
      {"chroot", "s"},
      {"sync", ""},
      {"mount", "sssxp"},
      {"umount2", "sx"},
      {"sethostname", "bu"},
      {"gettid", ""},
      {"tkill", "dS"},
      {"time", "p"},
      {"futex", "pFxppx"},
      {"sched_setaffinity", "dup"},
      {"sched_getaffinity", "dup"},
      {"getdents64", "fpu"},
      {"set_tid_address", "p"},
      {"restart_syscall", ""},
      {"timer_create", "kpp"},
      {"timer_settime", "ddpp"},
      {"timer_gettime", "dp"},
      {"timer_getoverrun", "d"},
      {"timer_delete", "d"},
      {"clock_settime", "kp"},
      {"clock_gettime", "kp"},
      {"clock_getres", "kp"},
      {"clock_nanosleep", "kdpp"},
      {"exit_group", "d"},
      {"epoll_wait", "fpdd"},
      {"epoll_ctl", "fdfp"},
      {"tgkill", "ddS"},
      {"waitid", "ddpxp"},
      {"openat", "fsom"},
      {"mkdirat", "fsm"},
      {"fchownat", "fsddx"},
      {"newfstatat", "fspx"},
      {"unlinkat", "fsx"},
      {"renameat", "fsfs"},
      {"linkat", "fsfsx"},
      {"symlinkat", "sfs"},
      {"readlinkat", "fspu"},
      {"fchmodat", "fsm"},
      {"faccessat", "fsd"},
      {"pselect6", "dppppp"},
      {"ppoll", "pupp"},
      {"set_robust_list", "pu"},
      {"get_robust_list", "dpp"},
      {"utimensat", "fspx"},
      {"eventfd2", "ux"},
      {"epoll_create1", "x"},
      {"dup3", "ffo"},
      {"pipe2", "po"},
      {"prlimit64", "ddpp"},
      {"getrandom", "Bux"},
      {"memfd_create", "sx"},
      {"statx", "fsxxp"},
      {"rseq", "pudx"},
      {"clone3", "pu"},
      {"openat2", "fspu"},
      {"faccessat2", "fsdx"},
      {"rt_tgsigqueueinfo", "ddSp"},
      {"accept4", "fppx"},
      {"wait4", "dpxp"},
      {"execveat", "fsppx"},
      {"close_range", "uux"},
      {"sendmsg", "fpx"},
      {"recvmsg", "fpx"},
      {"shutdown", "fd"},
      {"getsockname", "fpp"},
      {"getpeername", "fpp"},
      {"setsockopt", "fddpd"},
      {"getsockopt", "fddpp"},
  };
  return *m;
}

std::string Flags(uint64_t v,
                  std::initializer_list<std::pair<uint64_t, const char*>> names,
                  const char* zero) {
  std::string out;
  for (auto [bit, name] : names) {
    if (bit != 0 && (v & bit) == bit) {
      if (!out.empty()) out += "|";
      out += name;
      v &= ~bit;
    }
  }
  if (v != 0) {
    absl::StrAppend(&out, out.empty() ? "" : "|", "0x", absl::Hex(v));
  }
  if (out.empty()) out = zero;
  return out;
}

std::string FormatProt(uint64_t p) {
  return Flags(p,
               {{PROT_READ, "PROT_READ"},
                {PROT_WRITE, "PROT_WRITE"},
                {PROT_EXEC, "PROT_EXEC"}},
               "PROT_NONE");
}

std::string FormatMapFlags(uint64_t f) {
  return Flags(f,
               {{MAP_SHARED, "MAP_SHARED"},
                {MAP_PRIVATE, "MAP_PRIVATE"},
                {MAP_FIXED, "MAP_FIXED"},
                {MAP_ANONYMOUS, "MAP_ANONYMOUS"},
                {MAP_GROWSDOWN, "MAP_GROWSDOWN"},
                {MAP_NORESERVE, "MAP_NORESERVE"},
                {MAP_POPULATE, "MAP_POPULATE"},
                {MAP_STACK, "MAP_STACK"},
                {MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"}},
               "0");
}

std::string FormatFutexOp(uint64_t op) {
  static const char* const kOps[] = {
      "FUTEX_WAIT",           "FUTEX_WAKE",        "FUTEX_FD",
      "FUTEX_REQUEUE",        "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP",
      "FUTEX_LOCK_PI",        "FUTEX_UNLOCK_PI",   "FUTEX_TRYLOCK_PI",
      "FUTEX_WAIT_BITSET",    "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
      "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2"};
  uint64_t cmd = op & FUTEX_CMD_MASK;
  std::string out = cmd < std::size(kOps) ? kOps[cmd] : absl::StrCat(cmd);
  if (op & FUTEX_PRIVATE_FLAG) out += "_PRIVATE";
  if (op & FUTEX_CLOCK_REALTIME) out += "|FUTEX_CLOCK_REALTIME";
  return out;
}

std::string FormatClock(uint64_t c) {
  static const char* const kClocks[] = {
      "CLOCK_REALTIME",           "CLOCK_MONOTONIC",
      "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID",
      "CLOCK_MONOTONIC_RAW",      "CLOCK_REALTIME_COARSE",
      "CLOCK_MONOTONIC_COARSE",   "CLOCK_BOOTTIME",
      "CLOCK_REALTIME_ALARM",     "CLOCK_BOOTTIME_ALARM"};
  int v = static_cast<int>(c);
  if (v >= 0 && v < static_cast<int>(std::size(kClocks))) return kClocks[v];
  return absl::StrCat(v);
}

std::string FormatPath(Task& t, uint64_t addr) {
  if (addr == 0) return "NULL";
  auto s = t.mm().CopyInString(UserAddr(addr), 4096);
  if (!s.ok()) return absl::StrFormat("%#x", addr);
  return QuoteBytes(s->data(), s->size(), 256);
}

std::string FormatBuffer(Task& t, uint64_t addr, int64_t len) {
  if (addr == 0) return "NULL";
  if (len <= 0) return "\"\"";
  constexpr size_t kShown = 64;
  size_t want = std::min<uint64_t>(static_cast<uint64_t>(len), kShown);
  std::string buf(want, '\0');
  auto n = t.mm().CopyIn(UserAddr(addr), buf.data(), want);
  if (!n.ok()) return absl::StrFormat("%#x", addr);
  std::string out = QuoteBytes(buf.data(), *n, kShown);
  if (static_cast<uint64_t>(len) > *n) out += "...";
  return out;
}

std::string FormatArg(Task& t, char kind, const SyscallArgs& a, int i) {
  uint64_t v = a.raw[i];
  switch (kind) {
    case 'd':
      return absl::StrCat(static_cast<int32_t>(v));
    case 'l':
      return absl::StrCat(static_cast<int64_t>(v));
    case 'u':
      return absl::StrCat(v);
    case 'p':
      return v == 0 ? "NULL" : absl::StrFormat("%#x", v);
    case 'f':
      return static_cast<int32_t>(v) == AT_FDCWD
                 ? "AT_FDCWD"
                 : absl::StrCat(static_cast<int32_t>(v));
    case 's':
      return FormatPath(t, v);
    case 'b':
      return FormatBuffer(t, v, i + 1 < 6 ? a.raw[i + 1] : 0);
    case 'o':
      return FormatOpenFlags(v);
    case 'm':
      return absl::StrFormat("%#o", v);
    case 'S':
      return kernel::SignalName(static_cast<int>(v));
    case 'c':
      return FormatCloneFlags(v);
    case 'P':
      return FormatProt(v);
    case 'M':
      return FormatMapFlags(v);
    case 'F':
      return FormatFutexOp(v);
    case 'k':
      return FormatClock(v);
    case 'h': {
      static const char* const kHow[] = {"SIG_BLOCK", "SIG_UNBLOCK",
                                         "SIG_SETMASK"};
      return v < 3 ? kHow[v] : absl::StrCat(v);
    }
    default:
      return absl::StrFormat("%#x", v);
  }
}

}  // namespace

std::string QuoteBytes(const void* data, size_t n, size_t max_shown) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out = "\"";
  for (size_t i = 0; i < n && i < max_shown; ++i) {
    unsigned char c = p[i];
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          out += absl::StrFormat("\\x%02x", c);
        }
    }
  }
  out += "\"";
  if (n > max_shown) out += "...";
  return out;
}

std::string FormatOpenFlags(uint64_t f) {
  static const char* const kAcc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "3"};
  std::string out = kAcc[f & O_ACCMODE];
  uint64_t rest = f & ~static_cast<uint64_t>(O_ACCMODE);
  if (rest == 0) return out;
  return absl::StrCat(
      out, "|",
      Flags(rest,
            {{O_CREAT, "O_CREAT"},
             {O_EXCL, "O_EXCL"},
             {O_NOCTTY, "O_NOCTTY"},
             {O_TRUNC, "O_TRUNC"},
             {O_APPEND, "O_APPEND"},
             {O_NONBLOCK, "O_NONBLOCK"},
             {O_SYNC, "O_SYNC"},
             {O_DSYNC, "O_DSYNC"},
             {O_DIRECT, "O_DIRECT"},
             {0x8000, "O_LARGEFILE"},  // the kernel's value (glibc's is 0)
             {O_TMPFILE, "O_TMPFILE"},
             {O_DIRECTORY, "O_DIRECTORY"},
             {O_NOFOLLOW, "O_NOFOLLOW"},
             {O_NOATIME, "O_NOATIME"},
             {O_CLOEXEC, "O_CLOEXEC"},
             {O_PATH, "O_PATH"}},
            ""));
}

std::string FormatCloneFlags(uint64_t f) {
  int sig = static_cast<int>(f & CSIGNAL);
  std::string out = Flags(f & ~static_cast<uint64_t>(CSIGNAL),
                          {{CLONE_VM, "CLONE_VM"},
                           {CLONE_FS, "CLONE_FS"},
                           {CLONE_FILES, "CLONE_FILES"},
                           {CLONE_SIGHAND, "CLONE_SIGHAND"},
                           {CLONE_PIDFD, "CLONE_PIDFD"},
                           {CLONE_PTRACE, "CLONE_PTRACE"},
                           {CLONE_VFORK, "CLONE_VFORK"},
                           {CLONE_PARENT, "CLONE_PARENT"},
                           {CLONE_THREAD, "CLONE_THREAD"},
                           {CLONE_NEWNS, "CLONE_NEWNS"},
                           {CLONE_SYSVSEM, "CLONE_SYSVSEM"},
                           {CLONE_SETTLS, "CLONE_SETTLS"},
                           {CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"},
                           {CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"},
                           {CLONE_DETACHED, "CLONE_DETACHED"},
                           {CLONE_UNTRACED, "CLONE_UNTRACED"},
                           {CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"},
                           {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
                           {CLONE_NEWUTS, "CLONE_NEWUTS"},
                           {CLONE_NEWIPC, "CLONE_NEWIPC"},
                           {CLONE_NEWUSER, "CLONE_NEWUSER"},
                           {CLONE_NEWPID, "CLONE_NEWPID"},
                           {CLONE_NEWNET, "CLONE_NEWNET"},
                           {CLONE_IO, "CLONE_IO"}},
                          "");
  if (sig != 0) {
    absl::StrAppend(&out, out.empty() ? "" : "|", kernel::SignalName(sig));
  }
  return out.empty() ? "0" : out;
}

const char* StraceSpec(uint64_t nr) {
  const SyscallInfo* e = SyscallTable::Get().Lookup(nr);
  if (e == nullptr || e->name == nullptr) return nullptr;
  auto it = Specs().find(e->name);
  return it == Specs().end() ? nullptr : it->second;
}

StraceRecord StraceEnter(Task& t, const SyscallArgs& a) {
  StraceRecord rec;
  rec.name = SyscallName(a.nr);
  const char* spec = StraceSpec(a.nr);
  if (spec == nullptr) spec = "xxxxxx";
  for (int i = 0; spec[i] != '\0' && i < 6; ++i) {
    rec.args.push_back(spec[i] == 'B' ? "" : FormatArg(t, spec[i], a, i));
  }
  return rec;
}

std::string StraceExit(Task& t, const SyscallArgs& a, StraceRecord& rec,
                       const SyscallResult& r) {
  const char* spec = StraceSpec(a.nr);
  for (size_t i = 0; i < rec.args.size(); ++i) {
    if (spec != nullptr && spec[i] == 'B') {
      rec.args[i] = r.IsError() || r.restart() != kernel::RestartKind::kNone
                        ? absl::StrFormat("%#x", a.raw[i])
                        : FormatBuffer(t, a.raw[i], r.value());
    }
  }
  std::string out = absl::StrCat(rec.name, "(");
  for (size_t i = 0; i < rec.args.size(); ++i) {
    absl::StrAppend(&out, i ? ", " : "", rec.args[i]);
  }
  out += ") = ";
  switch (r.restart()) {
    case kernel::RestartKind::kRestartSys:
      return out + "? ERESTARTSYS (to be restarted)";
    case kernel::RestartKind::kRestartNoIntr:
      return out + "? ERESTARTNOINTR (to be restarted)";
    case kernel::RestartKind::kRestartNoHand:
      return out + "? ERESTARTNOHAND (to be restarted if no handler)";
    case kernel::RestartKind::kRestartBlock:
      return out + "? ERESTART_RESTARTBLOCK (to be restarted)";
    case kernel::RestartKind::kNone:
      break;
  }
  if (r.no_return()) return out + "?";
  if (r.IsError()) {
    absl::string_view name = ErrnoName(r.error());
    return absl::StrCat(out, "-1 ", std::string(name.data(), name.size()));
  }
  return absl::StrCat(out, r.value());
}

}  // namespace sentry::syscalls
