// Isolation of the sandbox process, done before any application code runs.
//
// SetupSandbox applies, in this order (each step is also exposed for tests):
//  1. CloseAllExcept: every descriptor not named is closed (close_range), so
//     no host file, directory or socket survives by accident. FillStdioHoles
//     then puts an inert non-blocking eventfd in any free slot among 0-2, so
//     that code writing to "stderr" never hits a descriptor opened later.
//  2. UnshareNamespaces: new mount, IPC, UTS and (unless host networking)
//     network namespaces. The PID namespace cannot be entered by the process
//     itself: the launcher creates `runsc boot` with CLONE_NEWPID, and RunBoot
//     checks that it is PID 1.
//  3. PivotToEmptyRoot: mount propagation made private, an empty tmpfs
//     mounted and pivot_root'ed into, the old root unmounted (MNT_DETACH),
//     and the new root remounted read-only, nosuid, nodev, noexec. Afterwards
//     no host path is reachable: open("/etc/passwd") fails with ENOENT and
//     creating a file fails with EROFS.
//  4. DropCapabilities: bounding, ambient, effective, permitted and
//     inheritable sets emptied (except `keep_capabilities`), and securebits
//     locked so that uid 0 regains nothing. The ptrace platform needs no
//     capability: the sentry only traces its own children, same uid, and
//     PTRACE_ATTACH/SEIZE of a child is allowed without CAP_SYS_PTRACE unless
//     Yama's ptrace_scope is 2 or more (then keep CAP_SYS_PTRACE here).
//  5. SetNoNewPrivs: PR_SET_NO_NEW_PRIVS, required to install the seccomp
//     filter without CAP_SYS_ADMIN and kept for life.
// The seccomp filter (seccomp_filter.h) comes last, after the kernel object
// is built (boot.h).
//
// Must run in a single-threaded process (unshare(CLONE_NEWNS) needs it).
#ifndef BOOT_SANDBOX_SETUP_H_
#define BOOT_SANDBOX_SETUP_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace boot {

struct SetupOptions {
  // Descriptors that survive step 1.
  std::vector<int> keep_fds;
  // Stay in the host's network namespace (--network=host).
  bool host_network = false;
  // Capabilities (CAP_* numbers) kept in every set; empty by default.
  std::vector<int> keep_capabilities;
};

absl::Status SetupSandbox(const SetupOptions& options);

absl::Status CloseAllExcept(absl::Span<const int> keep);
absl::Status FillStdioHoles();
absl::Status UnshareNamespaces(bool host_network);
absl::Status PivotToEmptyRoot();
absl::Status DropCapabilities(absl::Span<const int> keep);
absl::Status SetNoNewPrivs();

}  // namespace boot

#endif  // BOOT_SANDBOX_SETUP_H_
