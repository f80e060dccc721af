#include "sentry/arch/signal_context.h"

#include <cstring>

namespace sentry::arch {

void FillSigContext(const Registers& regs, uint64_t fpstate_addr,
                    uint64_t oldmask, uint64_t cr2, SigContext* sc) {
  std::memset(sc, 0, sizeof(*sc));
  const user_regs_struct& r = regs.gp();
  sc->r8 = r.r8;
  sc->r9 = r.r9;
  sc->r10 = r.r10;
  sc->r11 = r.r11;
  sc->r12 = r.r12;
  sc->r13 = r.r13;
  sc->r14 = r.r14;
  sc->r15 = r.r15;
  sc->rdi = r.rdi;
  sc->rsi = r.rsi;
  sc->rbp = r.rbp;
  sc->rbx = r.rbx;
  sc->rdx = r.rdx;
  sc->rax = r.rax;
  sc->rcx = r.rcx;
  sc->rsp = r.rsp;
  sc->rip = r.rip;
  sc->eflags = r.eflags;
  sc->cs = static_cast<uint16_t>(kUserCs);
  sc->ss = static_cast<uint16_t>(kUserDs);
  sc->oldmask = oldmask;
  sc->cr2 = cr2;
  sc->fpstate = fpstate_addr;
}

void RestoreFromSigContext(const SigContext& sc, Registers* regs) {
  user_regs_struct& r = regs->gp();
  const uint64_t old_flags = r.eflags;
  r.r8 = sc.r8;
  r.r9 = sc.r9;
  r.r10 = sc.r10;
  r.r11 = sc.r11;
  r.r12 = sc.r12;
  r.r13 = sc.r13;
  r.r14 = sc.r14;
  r.r15 = sc.r15;
  r.rdi = sc.rdi;
  r.rsi = sc.rsi;
  r.rbp = sc.rbp;
  r.rbx = sc.rbx;
  r.rdx = sc.rdx;
  r.rax = sc.rax;
  r.rcx = sc.rcx;
  r.rsp = sc.rsp;
  r.rip = sc.rip;
  // Like Linux: only the user-modifiable flag bits come from the frame.
  r.eflags = (old_flags & ~kUserFlagsMask) | (sc.eflags & kUserFlagsMask);
  // A sigreturn never restarts a syscall by itself.
  r.orig_rax = static_cast<uint64_t>(-1);
  regs->Sanitize();
}

uint64_t SignalFrameAddress(uint64_t sp, uint64_t size) {
  uint64_t a = sp - kRedZone - size;
  // Align so that (a + 8) % 16 == 0: the handler starts as if called.
  a = ((a + 8) & ~uint64_t{15}) - 8;
  return a;
}

uint64_t FpStateAddress(uint64_t sp, uint64_t size) {
  return (sp - kRedZone - size) & ~uint64_t{63};
}

}  // namespace sentry::arch
