// The platform: how the sentry runs application code and holds application
// address spaces (analogous to gVisor's pkg/sentry/platform).
//
//   Platform      one per sandbox; made by name ("ptrace"; "systrap" later).
//   AddressSpace  one per application mm: ranges of the memory file mapped
//                 MAP_SHARED|MAP_FIXED at application addresses.
//   Context       one per task thread: Switch(as, regs) runs the application
//                 until it makes a syscall, faults, gets a signal or is
//                 interrupted, and returns why; the registers are saved back
//                 into `regs`.
//
// Kernel usage (per task thread):
//   auto ctx = platform->NewContext();          // on the task's own thread
//   for (;;) {
//     StopReason r = ctx->Switch(*as, regs);
//     switch (r.kind) { case kSyscall: serve; ... }
//   }
//
// Thread affinity (ptrace platform): a Context must be used only by the thread
// that created it (ptrace requests must come from the tracer thread); the
// exception is Interrupt(), callable from any thread. AddressSpace operations
// may be called from any thread: each calling thread gets (lazily) its own
// stub thread in that address space.
//
// Lock order: callers (mm::MemoryManager) may hold their own locks while
// calling AddressSpace methods; the platform takes only its internal locks.
#ifndef SENTRY_PLATFORM_PLATFORM_H_
#define SENTRY_PLATFORM_PLATFORM_H_

#include <signal.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sentry/arch/registers.h"
#include "sentry/base/errno.h"

namespace sentry::platform {

// Page protections, same bits as PROT_READ/WRITE/EXEC.
inline constexpr int kProtRead = 1;
inline constexpr int kProtWrite = 2;
inline constexpr int kProtExec = 4;

// What kind of access faulted. The ptrace platform cannot read the hardware
// error code; it reports kRead for "page not present" faults and kWrite for
// protection faults, and kExec when the fault address is the instruction
// pointer. The memory manager checks the guess against its VMAs.
enum class AccessType { kRead, kWrite, kExec };

struct StopReason {
  enum class Kind {
    kSyscall,      // `regs` holds the syscall (regs.SyscallNo(), args)
    kFault,        // memory fault: fault_addr, access, signo SIGSEGV/SIGBUS
    kSignal,       // another synchronous or host signal: signo, info
    kInterrupted,  // Interrupt() was called (possibly spuriously)
    kDied,         // the stub is gone (killed from outside): not recoverable
  };
  Kind kind = Kind::kInterrupted;
  // kSyscall: kI386 if the application used `int $0x80`; the kernel must
  // refuse it (Linux without IA32 emulation: SIGSEGV), never serve it as an
  // x86-64 syscall.
  arch::SyscallArch syscall_arch = arch::SyscallArch::kAmd64;
  // kFault/kSignal.
  int signo = 0;
  siginfo_t info{};
  uint64_t fault_addr = 0;
  AccessType access = AccessType::kRead;
  // kDied: the wait status.
  int wait_status = 0;
};

class AddressSpace {
 public:
  virtual ~AddressSpace() = default;

  // Maps [addr, addr+len) to [offset, offset+len) of the memory file with
  // MAP_SHARED|MAP_FIXED and `prot`. addr, len, offset page-aligned.
  virtual ErrnoStatus MapFile(uint64_t addr, uint64_t len, uint64_t offset,
                              int prot) = 0;
  virtual ErrnoStatus Unmap(uint64_t addr, uint64_t len) = 0;
  virtual ErrnoStatus Protect(uint64_t addr, uint64_t len, int prot) = 0;

  // Kills the stubs. Must not race with a Switch into this address space
  // (the kernel releases an mm after its last task left it). Idempotent; the
  // destructor calls it.
  virtual void Release() = 0;
};

class Context {
 public:
  virtual ~Context() = default;

  // Runs the application with `regs` in `as` until it stops; `regs` then
  // holds the state at the stop. Only from the creating thread.
  virtual StopReason Switch(AddressSpace& as, arch::Registers& regs) = 0;

  // Acquires, on the creating thread, whatever the first Switch into `as`
  // would need from the host (ptrace: this thread's stub in `as`), so that
  // fork/clone can fail with EAGAIN before the new task exists when the host
  // refuses a process or thread (a pids cgroup limit). Optional.
  virtual ErrnoStatus Prepare(AddressSpace& as) { return OkErrno(); }

  // Makes the current (or the next) Switch return kInterrupted soon. Any
  // thread; async-signal-safe. Spurious kInterrupted returns are possible.
  virtual void Interrupt() = 0;

  // Drops this context's stubs. Only from the creating thread; the
  // destructor calls it.
  virtual void Release() = 0;

  // `fn` runs (on a platform thread, possibly with platform locks held) when
  // a stub this context runs the application in is killed from outside
  // while the context is not switched in (the task waits in the sentry):
  // the application process is gone, as if SIGKILLed. It must not block; it
  // returns false if it could not act yet and is then called again later.
  // Set before the first Switch. Platforms without host stubs ignore it.
  virtual void SetOnStubDeath(std::function<bool()> fn) { (void)fn; }
};

class Platform {
 public:
  virtual ~Platform() = default;

  // Application addresses are [MinUserAddress(), MaxUserAddress()).
  virtual uint64_t MinUserAddress() const = 0;
  virtual uint64_t MaxUserAddress() const = 0;

  virtual absl::StatusOr<std::unique_ptr<AddressSpace>> NewAddressSpace() = 0;
  // The context belongs to the calling thread.
  virtual absl::StatusOr<std::unique_ptr<Context>> NewContext() = 0;
};

// Makes the platform named `name` ("ptrace"). `memory_file_fd` is the memory
// file (mm::MemoryFile) that AddressSpace::MapFile maps; it must stay open for
// the platform's lifetime.
absl::StatusOr<std::unique_ptr<Platform>> NewPlatform(absl::string_view name,
                                                      int memory_file_fd);

}  // namespace sentry::platform

#endif  // SENTRY_PLATFORM_PLATFORM_H_
