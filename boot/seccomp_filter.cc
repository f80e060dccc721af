#include "boot/seccomp_filter.h"

#include <execinfo.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/base/internal/sysinfo.h"
#include "absl/strings/str_cat.h"
#include "base/sanitizers.h"

namespace boot {
namespace {

// Low 32 bits of `arg` equal `v` (int and unsigned int arguments: glibc may
// sign-extend them, the kernel ignores the upper half).
scmp_arg_cmp Eq32(unsigned arg, uint32_t v) {
  return scmp_arg_cmp{arg, SCMP_CMP_MASKED_EQ, 0xffffffffu, v};
}
// The whole 64-bit argument equals `v`.
scmp_arg_cmp Eq(unsigned arg, uint64_t v) {
  return scmp_arg_cmp{arg, SCMP_CMP_EQ, v, 0};
}
// The low 32 bits, read as an int, are >= 0.
scmp_arg_cmp NonNegative32(unsigned arg) {
  return scmp_arg_cmp{arg, SCMP_CMP_MASKED_EQ, 0x80000000u, 0};
}
// (arg & mask) == value.
scmp_arg_cmp Masked(unsigned arg, uint64_t mask, uint64_t value) {
  return scmp_arg_cmp{arg, SCMP_CMP_MASKED_EQ, mask, value};
}

// One alternative per value: `arg` (low 32 bits) is one of `values`.
std::vector<std::vector<scmp_arg_cmp>> OneOf32(
    unsigned arg, std::initializer_list<uint32_t> values) {
  std::vector<std::vector<scmp_arg_cmp>> out;
  for (uint32_t v : values) out.push_back({Eq32(arg, v)});
  return out;
}

// glibc's pthread_create (clone fallback after clone3 fails with ENOSYS).
constexpr uint64_t kThreadCloneFlags =
    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
    CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
// glibc's fork(): how the platform forks stub processes.
constexpr uint64_t kForkCloneFlags =
    CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD;

// The ptrace platform's raw clone of a stub (ptrace_platform.cc: no atfork
// handlers, no tid bookkeeping).
constexpr uint64_t kRawForkCloneFlags = SIGCHLD;
// Further stubs: the first stub clones itself (ptrace_platform.cc), under
// this filter too.
constexpr uint64_t kStubCloneFlags = CLONE_VM | CLONE_PARENT | CLONE_UNTRACED;

#define SYS(name) #name, SCMP_SYS(name)

int g_report_fd = 2;

// Async-signal-safe: formats with no allocation, then dies of SIGSYS.
void OnSigsys(int, siginfo_t* info, void* context) {
  char buf[96] = "sentry seccomp violation: syscall ";
  size_t len = strlen(buf);
  char digits[16];
  int n = 0;
  unsigned v = static_cast<unsigned>(info->si_syscall);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < 15);
  while (n > 0) buf[len++] = digits[--n];
  buf[len++] = '\n';
  (void)!::write(g_report_fd, buf, len);
#if defined(__x86_64__)
  // Which path, for the open family (the usual culprit: a library opening a
  // /proc or /sys file), and who called: debugging only (--debug), and the
  // process dies right after, so backtrace's first-use allocation is fine.
  {
    auto* ucx = static_cast<ucontext_t*>(context);
    const char* path = nullptr;
    if (info->si_syscall == SYS_openat) {
      path = reinterpret_cast<const char*>(ucx->uc_mcontext.gregs[REG_RSI]);
    } else if (info->si_syscall == SYS_open) {
      path = reinterpret_cast<const char*>(ucx->uc_mcontext.gregs[REG_RDI]);
    }
    if (path != nullptr) {
      (void)!::write(g_report_fd, "  path: ", 8);
      (void)!::write(g_report_fd, path, strnlen(path, 256));
      (void)!::write(g_report_fd, "\n", 1);
    }
    void* frames[32];
    int depth = ::backtrace(frames, 32);
    ::backtrace_symbols_fd(frames, depth, g_report_fd);
  }
#endif
  // Dying of our own kill() does not work for PID 1 of a PID namespace (it
  // ignores its own default-action signals). Instead restore the default
  // action and re-execute the trapped instruction: the second trap is a
  // forced SIGSYS, which kills even a namespace's init. The kernel rolled
  // the registers back (rax holds the number again); si_call_addr is the
  // address after the 2-byte syscall instruction.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGSYS, &dfl, nullptr);
#if defined(__x86_64__)
  auto* uc = static_cast<ucontext_t*>(context);
  uc->uc_mcontext.gregs[REG_RIP] =
      reinterpret_cast<greg_t>(info->si_call_addr) - 2;
#else
  (void)context;
  _exit(128 + SIGSYS);
#endif
}

}  // namespace

std::vector<SyscallRule> SentrySyscallTable(const SeccompOptions& options) {
  std::vector<SyscallRule> t = {
      // I/O on descriptors the sentry already holds (gofer-donated files,
      // stdio, the memory file, control and gofer sockets).
      {SYS(read), {}, 0, "descriptor I/O"},
      {SYS(write), {}, 0, "descriptor I/O"},
      {SYS(pread64), {}, 0, "file I/O on donated host files"},
      {SYS(pwrite64), {}, 0, "file I/O on donated host files"},
      {SYS(readv), {}, 0, "descriptor I/O"},
      {SYS(writev), {}, 0, "descriptor I/O"},
      {SYS(preadv), {}, 0, "file I/O on donated host files"},
      {SYS(pwritev), {}, 0, "file I/O on donated host files"},
      {SYS(preadv2), {}, 0, "file I/O on donated host files"},
      {SYS(pwritev2), {}, 0, "file I/O on donated host files"},
      {SYS(lseek), {}, 0, "host file offsets"},
      {SYS(close), {}, 0, "descriptor lifetime"},
      {SYS(dup), {}, 0, "descriptor table"},
      {SYS(dup2), {}, 0, "descriptor table"},
      {SYS(dup3), {}, 0, "descriptor table"},
      {SYS(fstat), {}, 0, "stat of held descriptors"},
      // glibc 2.33+ implements fstat as fstatat(fd, "", AT_EMPTY_PATH).
      {SYS(newfstatat),
       {{Masked(3, AT_EMPTY_PATH, AT_EMPTY_PATH)}},
       0,
       "fstat via glibc; path lookups land in the empty root"},
      {SYS(fsync), {}, 0, "host file durability"},
      {SYS(fdatasync), {}, 0, "host file durability"},
      {SYS(ftruncate), {}, 0, "memory file size, donated files"},
      {SYS(fallocate), {}, 0, "memory file (punch holes), donated files"},
      {SYS(fcntl),
       OneOf32(1, {F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC, F_GETLK,
                   F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW,
                   F_ADD_SEALS, F_GET_SEALS}),
       0, "descriptor flags, host file locks, memfd seals"},
      {SYS(ioctl),
       OneOf32(1, {TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ,
                   TIOCGPGRP, TIOCSPGRP, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX}),
       0, "terminal and non-blocking control of stdio and console"},
      {SYS(memfd_create), {}, 0, "the memory file and stub code"},
      {SYS(pipe2), {}, 0, "internal wake-ups (control server stop)"},
      {SYS(eventfd2), {}, 0, "internal wake-ups"},
      {SYS(epoll_create1), {}, 0, "waiting on host descriptors"},
      {SYS(epoll_ctl), {}, 0, "waiting on host descriptors"},
      {SYS(epoll_wait), {}, 0, "waiting on host descriptors"},
      {SYS(epoll_pwait), {}, 0, "waiting on host descriptors"},
      {SYS(poll), {}, 0, "waiting on host descriptors"},
      {SYS(ppoll), {}, 0, "waiting on host descriptors"},
      {SYS(timerfd_create), {}, 0, "sentry timers"},
      {SYS(timerfd_settime), {}, 0, "sentry timers"},
      {SYS(timerfd_gettime), {}, 0, "sentry timers"},

      // Sockets that already exist: control connections, gofer channels,
      // donated host sockets. New ones only as pairs.
      {SYS(accept4), {}, 0, "control server connections"},
      {SYS(recvmsg), {}, 0, "gofer replies with donated descriptors"},
      {SYS(sendmsg), {}, 0, "gofer requests, control replies"},
      {SYS(recvfrom), {}, 0, "recv() on connected sockets"},
      {SYS(sendto),
       {{Eq(4, 0)}},
       0,
       "send() on connected sockets (no destination address)"},
      {SYS(shutdown), {}, 0, "socket teardown"},
      {SYS(getsockopt), {}, 0, "SO_PEERCRED of control peers"},
      {SYS(getsockname), {}, 0, "socket introspection"},
      {SYS(getpeername), {}, 0, "socket introspection"},
      {SYS(socketpair),
       {{Eq32(0, AF_UNIX)}},
       0,
       "internal channels; reach nothing outside"},

      // Memory.
      {SYS(mmap), {}, 0, "memory file mappings, allocator"},
      {SYS(munmap), {}, 0, "memory file mappings, allocator"},
      {SYS(mprotect), {}, 0, "allocator, thread stack guards"},
      {SYS(mremap), {}, 0, "allocator"},
      {SYS(madvise), {}, 0, "releasing memory"},
      {SYS(msync), {}, 0, "shared file mappings"},
      {SYS(brk), {}, 0, "allocator"},

      // Threads, processes and the ptrace platform.
      {SYS(clone),
       {{Eq(0, kThreadCloneFlags)},
        {Eq(0, kForkCloneFlags)},
        {Eq(0, kRawForkCloneFlags)},
        {Eq(0, kStubCloneFlags)}},
       0,
       "sentry threads (pthread_create) and stub processes (fork)"},
      // clone3 passes flags in memory, beyond the filter's reach: ENOSYS
      // makes glibc fall back to clone(2), checked above.
      {SYS(clone3), {}, ENOSYS, "forces glibc onto clone(2)"},
      {SYS(ptrace),
       OneOf32(0, {PTRACE_TRACEME,  // a new ptrace stub, before its filter
                   PTRACE_PEEKTEXT,
                   PTRACE_PEEKDATA,
                   PTRACE_PEEKUSER,
                   PTRACE_POKETEXT,
                   PTRACE_POKEDATA,
                   PTRACE_POKEUSER,
                   PTRACE_CONT,
                   PTRACE_KILL,
                   PTRACE_SINGLESTEP,
                   PTRACE_GETREGS,
                   PTRACE_SETREGS,
                   PTRACE_GETFPREGS,
                   PTRACE_SETFPREGS,
                   PTRACE_ATTACH,
                   PTRACE_DETACH,
                   PTRACE_SYSCALL,
                   PTRACE_ARCH_PRCTL,
                   PTRACE_SYSEMU,
                   PTRACE_SYSEMU_SINGLESTEP,
                   PTRACE_SETOPTIONS,
                   PTRACE_GETEVENTMSG,
                   PTRACE_GETSIGINFO,
                   PTRACE_SETSIGINFO,
                   PTRACE_GETREGSET,
                   PTRACE_SETREGSET,
                   PTRACE_SEIZE,
                   PTRACE_INTERRUPT,
                   PTRACE_LISTEN,
                   0x420e /* PTRACE_GET_SYSCALL_INFO: int $0x80 or syscall */}),
       0,
       "the ptrace platform drives its stubs (no PEEKSIGINFO); a fresh stub "
       "runs PTRACE_TRACEME under this filter before installing its own"},
      {SYS(wait4), {}, 0, "stub stops and exits"},
      {SYS(waitid), {}, 0, "stub stops and exits"},
      // Only positive-or-zero pids: no kill(-1) broadcast, no negative
      // process groups. pid 0 is our own group in our own PID namespace.
      {SYS(kill), {{NonNegative32(0)}}, 0, "killing stubs"},
      {SYS(tgkill), {{NonNegative32(0)}}, 0, "interrupting sentry threads"},
      {SYS(exit), {}, 0, "thread exit"},
      {SYS(exit_group), {}, 0, "process exit"},
      {SYS(getpid), {}, 0, "identity"},
      // A new ptrace stub runs under this filter until it installs its own:
      // it closes inherited descriptors and waits in pause().
      {SYS(close_range), {}, 0, "stub setup: closing inherited descriptors"},
      {SYS(pause), {}, 0, "stub setup: waiting for the tracer"},
      {SYS(gettid), {}, 0, "identity, tgkill targets"},
      {SYS(set_robust_list), {}, 0, "glibc thread start"},
      {SYS(rseq), {}, 0, "glibc thread start"},
      {SYS(set_tid_address), {}, 0, "glibc thread start"},
      {SYS(futex), {}, 0, "locks and condition variables"},
      {SYS(sched_yield), {}, 0, "spinning politely"},
      {SYS(sched_getaffinity), {}, 0, "CPU placement of task threads"},
      // glibc's pthread_create reads the creator's policy when it races
      // with another thread creation (inherited scheduling attributes).
      {SYS(sched_getparam), {}, 0, "glibc pthread_create"},
      {SYS(sched_getscheduler), {}, 0, "glibc pthread_create"},
      {SYS(sched_setaffinity), {}, 0, "keeping task and stub on one CPU"},
      {SYS(getrandom), {}, 0, "the sentry's getrandom, AT_RANDOM"},
      {SYS(getrusage), {}, 0, "stats for events"},
      {SYS(sysinfo), {}, 0, "tmpfs limits (glibc's sysconf(_SC_PHYS_PAGES))"},
      {SYS(prctl),
       OneOf32(0,
               {PR_SET_NAME, PR_GET_NAME, PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS,
                PR_GET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_GET_SECCOMP}),
       0, "thread names; stub setup (death signal, its own filter)"},
      {SYS(seccomp),
       OneOf32(0, {SECCOMP_SET_MODE_FILTER, SECCOMP_GET_ACTION_AVAIL,
                   SECCOMP_GET_NOTIF_SIZES}),
       0, "stubs install their own, narrower filter"},

      // Signals.
      {SYS(rt_sigaction), {}, 0, "sentry signal handlers"},
      {SYS(rt_sigprocmask), {}, 0, "signal masks"},
      {SYS(rt_sigreturn), {}, 0, "returning from handlers"},
      {SYS(rt_sigtimedwait), {}, 0, "synchronous signal waits"},
      {SYS(sigaltstack), {}, 0, "signal stacks"},

      // Time.
      {SYS(clock_gettime), {}, 0, "clocks (vDSO fallback)"},
      {SYS(clock_getres), {}, 0, "clocks"},
      {SYS(gettimeofday), {}, 0, "clocks (vDSO fallback)"},
      {SYS(nanosleep), {}, 0, "sleeps"},
      {SYS(clock_nanosleep), {}, 0, "sleeps"},
      {SYS(restart_syscall), {}, 0, "restarted sleeps"},
  };
  if (options.host_network) {
    std::vector<SyscallRule> net = {
        {SYS(socket),
         {{Eq32(0, AF_INET)}, {Eq32(0, AF_INET6)}},
         0,
         "--network=host: inet sockets"},
        {SYS(connect), {}, 0, "--network=host"},
        {SYS(bind), {}, 0, "--network=host"},
        {SYS(listen), {}, 0, "--network=host"},
        {SYS(setsockopt), {}, 0, "--network=host"},
        {SYS(recvmmsg), {}, 0, "--network=host"},
        {SYS(sendmmsg), {}, 0, "--network=host"},
    };
    t.insert(t.end(), net.begin(), net.end());
    // sendto with a destination address is needed for UDP.
    for (SyscallRule& r : t) {
      if (r.nr == SCMP_SYS(sendto)) r.alternatives.clear();
    }
  }
  return t;
}

#undef SYS

void PrepareForSeccomp() {
  // absl::Mutex and SpinLock size their spinning by the CPU count, and absl's
  // cycle clock by the CPU frequency, read lazily from /proc and /sys (via
  // glibc's get_nprocs) on first contention: do it now, while open works.
  (void)absl::base_internal::NumCPUs();
  (void)absl::base_internal::NominalCPUFrequency();
  // glibc's malloc reads /proc/sys/vm/overcommit_memory the first time it
  // shrinks a thread arena's heap (many task threads exiting at once), an
  // open the filter kills. Trimming only above 1 GiB never shrinks them.
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

absl::Status InstallSentryFilter(const SeccompOptions& options) {
  PrepareForSeccomp();
  base::PrepareSanitizerForSandbox();
  if (options.report_violations) {
    g_report_fd = options.report_fd;
    struct sigaction sa = {};
    sa.sa_sigaction = OnSigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (::sigaction(SIGSYS, &sa, nullptr) != 0) {
      return absl::InternalError("seccomp: cannot install the SIGSYS handler");
    }
  }
  scmp_filter_ctx ctx = seccomp_init(
      options.report_violations ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  struct Release {
    scmp_filter_ctx c;
    ~Release() { seccomp_release(c); }
  } release{ctx};
  // The filter must cover threads created before it (none in `runsc boot`,
  // but tests and future callers may have some).
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("seccomp: TSYNC unsupported: ", -rc));
  }
  for (const SyscallRule& r : SentrySyscallTable(options)) {
    uint32_t action =
        r.errno_value == 0 ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(r.errno_value);
    if (r.nr < 0) {
      return absl::InternalError(
          absl::StrCat("seccomp: unknown syscall ", r.name));
    }
    if (r.alternatives.empty()) {
      rc = seccomp_rule_add(ctx, action, r.nr, 0);
      if (rc != 0) {
        return absl::InternalError(
            absl::StrCat("seccomp: rule for ", r.name, ": error ", -rc));
      }
      continue;
    }
    for (const auto& alt : r.alternatives) {
      rc = seccomp_rule_add_array(ctx, action, r.nr, alt.size(), alt.data());
      if (rc != 0) {
        return absl::InternalError(
            absl::StrCat("seccomp: rule for ", r.name, ": error ", -rc));
      }
    }
  }
  rc = seccomp_load(ctx);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("seccomp_load: error ", -rc));
  }
  return absl::OkStatus();
}

}  // namespace boot
