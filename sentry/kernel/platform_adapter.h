// What the kernel needs from the platform: a register set and a way to run
// application code until it stops.
//
// ADAPTER: sentry/arch and sentry/platform (branch `platform`) will own
// Registers and Context::Switch(AddressSpace&, Registers&) -> StopReason.
// Until they land, the kernel codes against these minimal types; the real
// platform is expected to fit behind `Context` with a thin wrapper.
//
// Registers hold the general registers in ptrace's user_regs_struct layout
// (what PTRACE_GETREGS returns) and the legacy 512-byte FXSAVE area. The
// signal frame saves exactly this state (XSAVE extensions: not yet).
#ifndef SENTRY_KERNEL_PLATFORM_ADAPTER_H_
#define SENTRY_KERNEL_PLATFORM_ADAPTER_H_

#include <sys/user.h>

#include <array>
#include <cstdint>

#include "sentry/kernel/user_memory.h"

namespace sentry::kernel {

struct Registers {
  user_regs_struct gp{};
  alignas(16) std::array<uint8_t, 512> fp{};  // FXSAVE image

  // Syscall ABI accessors (x86-64: nr in orig_rax, args in rdi rsi rdx r10
  // r8 r9, return value in rax).
  uint64_t SyscallNr() const { return gp.orig_rax; }
  uint64_t Arg(int i) const {
    switch (i) {
      case 0:
        return gp.rdi;
      case 1:
        return gp.rsi;
      case 2:
        return gp.rdx;
      case 3:
        return gp.r10;
      case 4:
        return gp.r8;
      default:
        return gp.r9;
    }
  }
  void SetReturn(int64_t v) { gp.rax = static_cast<uint64_t>(v); }
};

// The 2-byte `syscall` instruction: rewinding rip by this restarts a call.
inline constexpr uint64_t kSyscallInsnLen = 2;

enum class StopReason { kSyscall, kFault, kSignal, kInterrupted };

// Filled by Switch for kFault (and kSignal: the host signal number).
struct StopInfo {
  UserAddr fault_addr;
  bool write = false;
  bool exec = false;
  int signo = 0;  // for kSignal / non-page faults (SIGILL, SIGFPE, SIGTRAP...)
  int code = 0;   // si_code when signo is set
};

// One per task (one host thread runs it). Switch is called only by the task's
// own thread; Interrupt may be called from any thread and makes a Switch in
// progress (or the next one) return kInterrupted promptly.
class Context {
 public:
  virtual ~Context() = default;
  virtual StopReason Switch(UserMemory& mm, Registers& regs,
                            StopInfo* info) = 0;
  virtual void Interrupt() = 0;
  // Creates the context for a new task (clone); the platform decides whether
  // the child shares an address space stub.
  virtual std::unique_ptr<Context> NewContext() = 0;
};

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_PLATFORM_ADAPTER_H_
