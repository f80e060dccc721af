// The ptrace platform: application code runs in stub processes under
// PTRACE_SYSEMU, so every application syscall stops in the sentry and never
// runs on the host.
//
// Processes and threads:
//   * Each AddressSpace is a set of stub processes sharing one mm (CLONE_VM,
//     not CLONE_THREAD, so there is no group-stop between them). The first is
//     forked by an "owner" thread that the AddressSpace starts; the owner
//     traces it and, on request, injects clone() into it to make more.
//   * Each sentry thread that touches an AddressSpace (a task thread running
//     in it via Context::Switch, or any thread calling MapFile/Unmap/Protect)
//     gets its own stub process there, traced by that thread: ptrace
//     requests must come from the tracer thread, so a stub is only ever
//     driven by one sentry thread.
//   * Address-space operations are injected syscalls: the calling thread's
//     stub executes mmap/munmap/mprotect from the stub code page (stub.h).
//   * Stubs are created with PTRACE_O_EXITKILL and PR_SET_PDEATHSIG, so they
//     die with their tracer or the sentry.
//   * Switch pins the stub to the CPU the sentry thread runs on (one
//     sched_setaffinity when the thread migrates): a same-CPU handoff costs a
//     third of a cross-CPU one (DESIGN.md, measured costs).
//
// Host syscalls (for the sentry's own seccomp filter, which stubs inherit):
//   sentry threads: ptrace, wait4, clone (raw: flags SIGCHLD, for the first
//     stub), tgkill (Interrupt, SIGCHLD), kill (SIGKILL), sched_setaffinity,
//     gettid, mmap/munmap/mprotect (stub page).
//   stub, before its own filter: rseq (unregister), ptrace(PTRACE_TRACEME),
//     prctl(PR_SET_PDEATHSIG / PR_SET_NO_NEW_PRIVS), close_range, munmap,
//     seccomp(SECCOMP_SET_MODE_FILTER), exit_group.
//   stub, after it (injected or idle): mmap (MAP_SHARED|MAP_FIXED of the
//     memory file), munmap, mprotect, clone (CLONE_VM|CLONE_PARENT|
//     CLONE_UNTRACED), pause, prctl(PR_SET_PDEATHSIG), exit_group.
// Application syscalls never reach any host filter: SYSEMU stops them first.
//
// vsyscall: the legacy page (0xffffffffff600000) is emulated by the host
// kernel without a ptrace stop but with a seccomp check; the stub filter
// returns SECCOMP_RET_TRAP for it and Switch reports the resulting SIGSYS as
// an ordinary syscall stop (rip already at the caller).
//
// Known gap: FP state is read back (PTRACE_GETREGSET) on every stop; doing it
// lazily would save ~1.5 us per round trip.
//
// Lock order: Subprocess::mu_ (stub table) is a leaf; owner request queue lock
// is a leaf; never held across ptrace waits except the owner's own stub.
#ifndef SENTRY_PLATFORM_PTRACE_PTRACE_PLATFORM_H_
#define SENTRY_PLATFORM_PTRACE_PTRACE_PLATFORM_H_

#include <sys/types.h>

#include <memory>

#include "absl/status/statusor.h"
#include "sentry/platform/platform.h"

namespace sentry::platform::ptrace {

absl::StatusOr<std::unique_ptr<Platform>> NewPtracePlatform(int memory_file_fd);

// Test hook: the pid of the calling thread's stub in `as` (created if
// needed); the calling thread is its tracer. -1 on error.
pid_t StubPidForTesting(AddressSpace& as);

}  // namespace sentry::platform::ptrace

#endif  // SENTRY_PLATFORM_PTRACE_PTRACE_PLATFORM_H_
