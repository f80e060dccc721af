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
