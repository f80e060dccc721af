// Register plumbing for signal frames (the frame layout itself is the
// kernel's business): converting between Registers and the Linux x86-64
// struct sigcontext that lives in ucontext_t.uc_mcontext, and choosing the
// frame address on the application stack.
//
// Matches Linux's setup_sigcontext / restore_sigcontext: rflags are merged
// with kUserFlagsMask, selectors are forced to user ones, and fpstate points
// at an XSAVE area the caller places on the stack (64-byte aligned).
#ifndef SENTRY_ARCH_SIGNAL_CONTEXT_H_
#define SENTRY_ARCH_SIGNAL_CONTEXT_H_

#include <cstdint>

#include "sentry/arch/registers.h"

namespace sentry::arch {

// Linux's struct sigcontext for x86-64 (asm/sigcontext.h), spelled out so
// that host headers with conflicting definitions are not needed.
struct SigContext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2;
  uint64_t fpstate;  // user address of the XSAVE area, 0 if none
  uint64_t reserved1[8];
};
static_assert(sizeof(SigContext) == 256);

// Fills `sc` from `regs`. `fpstate_addr` is where the caller will copy
// regs.fp() in application memory; `trapno`/`err`/`cr2` come from the fault.
void FillSigContext(const Registers& regs, uint64_t fpstate_addr,
                    uint64_t oldmask, uint64_t cr2, SigContext* sc);

// Restores the general registers from `sc` (rt_sigreturn). Selectors and
// privileged flag bits are not taken from the frame. The FP state is copied by
// the caller (from sc.fpstate) into regs.mutable_fp().
void RestoreFromSigContext(const SigContext& sc, Registers* regs);

// The red zone the x86-64 ABI reserves below rsp.
inline constexpr uint64_t kRedZone = 128;

// Returns the address at which a frame of `size` bytes starts when pushed
// below `sp` (skipping the red zone), aligned so that on handler entry
// (rsp = frame start) rsp+8 is 16-byte aligned, as after a `call`.
uint64_t SignalFrameAddress(uint64_t sp, uint64_t size);

// 64-byte-aligned address for an XSAVE area of `size` bytes below `sp`.
uint64_t FpStateAddress(uint64_t sp, uint64_t size);

}  // namespace sentry::arch

#endif  // SENTRY_ARCH_SIGNAL_CONTEXT_H_
