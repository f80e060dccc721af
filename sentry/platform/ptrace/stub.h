// The stub code page of the ptrace platform.
//
// One page of position-independent machine code (written in assembly below,
// copied to a fresh page at a fixed address) that every stub process runs:
//   entry       after fork: PTRACE_TRACEME (the forking thread is the tracer
//               from the first instruction), PR_SET_PDEATHSIG, close every
//               descriptor but the memory file, unmap everything but this
//               page, no_new_privs, install the seccomp filter, int3 (the
//               tracer's first stop, a SIGTRAP: setup is complete), pause().
//   child       where a stub cloned with CLONE_VM starts: PDEATHSIG, pause()
//               forever until its tracer seizes and interrupts it. (Stopping
//               with SIGSTOP before being traced would put it in a group-stop,
//               which a later tracer cannot cleanly resume.)
//   syscall     `syscall; int3`: the tracer injects address-space operations
//               (mmap/munmap/mprotect) by pointing rip here and continuing.
//   clone       `syscall; test rax; jz child; int3`: makes a new stub process
//               sharing the address space.
// The seccomp filter kills the process (SIGSYS) for any syscall whose
// instruction pointer is outside this page, for any non-x86-64 arch (int
// $0x80 is AUDIT_ARCH_I386), for x32 numbers, and for any syscall the stub
// itself does not need. Under PTRACE_SYSEMU the
// filter is never reached (Linux runs the ptrace stop first and skips the
// syscall), so application syscalls only ever go to the sentry; if tracing
// ever stops, the filter still keeps the application off the host kernel.
#ifndef SENTRY_PLATFORM_PTRACE_STUB_H_
#define SENTRY_PLATFORM_PTRACE_STUB_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace sentry::platform::ptrace {

// Application addresses end below the stub page.
inline constexpr uint64_t kStubSearchStart = 0x7f0000000000ull;

struct StubPage {
  uint64_t addr = 0;  // page address, same in the sentry and every stub
  uint64_t entry = 0;
  uint64_t syscall_site = 0;  // address of the `syscall` of syscall; int3
  uint64_t clone_site = 0;    // address of the `syscall` of the clone site

  // Creates the page in the sentry (read+exec) at the first free page at or
  // above kStubSearchStart. `memory_file_fd` is the descriptor stubs keep.
  static absl::StatusOr<StubPage> Create(int memory_file_fd);
};

}  // namespace sentry::platform::ptrace

#endif  // SENTRY_PLATFORM_PTRACE_STUB_H_
