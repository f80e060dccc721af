// The sentry's own seccomp filter: the host system calls the sandbox process
// may make once it serves applications.
//
// One table (SentrySyscallTable) lists every allowed syscall with its
// argument checks and the reason it is needed; InstallSentryFilter compiles
// it with libseccomp. Anything not listed kills the whole sandbox process
// (SECCOMP_RET_KILL_PROCESS, seen by the parent as SIGSYS), with two
// deliberate exceptions that return an errno instead (clone3 -> ENOSYS so
// that glibc falls back to clone, whose flags we can check; see the table).
//
// What it guarantees: after installation the sentry cannot open a host path
// (no open/openat/openat2/creat/name_to_handle_at..., and its root is an
// empty read-only tmpfs anyway), cannot execve, cannot create inet or unix
// sockets (only socketpair) unless host networking asked for inet, cannot
// create namespaces, mount, ptrace-attach outside its PID namespace (which
// contains only itself and its stubs), or use io_uring (which could open
// files behind the filter's back).
//
// Stub processes forked by the platform inherit this filter and add their
// own (seccomp(SECCOMP_SET_MODE_FILTER) is allowed: filters only narrow).
//
// Must be called after SetNoNewPrivs (or with CAP_SYS_ADMIN). With
// `tsync` the filter applies to every thread of the process.
#ifndef BOOT_SECCOMP_FILTER_H_
#define BOOT_SECCOMP_FILTER_H_

#include <seccomp.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"

namespace boot {

struct SeccompOptions {
  // --network=host: allow AF_INET/AF_INET6 sockets and their operations.
  bool host_network = false;
  // Debugging aid: instead of being killed outright, a forbidden call
  // raises SIGSYS in the caller; our handler writes "sentry seccomp
  // violation: syscall N" to `report_fd` and then dies of SIGSYS. Without
  // it the syscall number is only in the host's audit log (dmesg, type=1326).
  bool report_violations = false;
  int report_fd = 2;
};

// One row of the allow-list.
struct SyscallRule {
  const char* name;
  int nr;
  // Empty: allowed with any arguments. Otherwise allowed when any one of the
  // alternatives matches (all comparisons of an alternative must hold).
  std::vector<std::vector<scmp_arg_cmp>> alternatives;
  // 0: allow. Otherwise the call fails with this errno (and is not made).
  int errno_value;
  const char* why;
};

// The allow-list for these options, in the order it is documented.
std::vector<SyscallRule> SentrySyscallTable(const SeccompOptions& options);

// Runs the lazy one-time initialisations of our libraries that would need
// calls outside the allow-list (CPU count and frequency for absl's mutexes).
// InstallSentryFilter calls it; must run before /proc and /sys go away.
void PrepareForSeccomp();

// Installs the filter on the calling process (all threads).
absl::Status InstallSentryFilter(const SeccompOptions& options);

}  // namespace boot

#endif  // BOOT_SECCOMP_FILTER_H_
