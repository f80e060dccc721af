#include "sentry/kernel/sigframe.h"

#include <cstring>

namespace sentry::kernel {

namespace {

constexpr uint64_t kRedZone = 128;
constexpr uint64_t kUcSigcontextSs = 0x2;
constexpr uint64_t kUcStrictRestoreSs = 0x4;
// Flags the application may change through sigreturn (Linux's FIX_EFLAGS).
constexpr uint64_t kFixEflags =
    0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000;
// Cleared on handler entry: TF, DF, RF.
constexpr uint64_t kHandlerClearEflags = 0x100 | 0x400 | 0x10000;

// The FXSAVE image of a fresh FPU (fcw 0x37f, mxcsr 0x1f80).
std::array<uint8_t, 512> InitialFpState() {
  std::array<uint8_t, 512> fp{};
  fp[0] = 0x7f;
  fp[1] = 0x03;
  uint32_t mxcsr = 0x1f80;
  memcpy(&fp[24], &mxcsr, 4);
  return fp;
}

}  // namespace

bool OnAltStack(const stack_t& ss, uint64_t sp) {
  if (ss.ss_flags & SS_DISABLE) return false;
  uint64_t base = reinterpret_cast<uint64_t>(ss.ss_sp);
  return sp > base && sp - base <= ss.ss_size;
}

ErrnoStatus SetupSignalFrame(UserMemory& mm, Registers& regs,
                             const stack_t& altstack,
                             const KernelSigAction& act, const siginfo_t& info,
                             SigSet old_mask) {
  // x86-64 needs a restorer (glibc always sets one); Linux fails delivery
  // with SIGSEGV otherwise.
  if (!(act.flags & kSaRestorer)) return Errno{EFAULT};
  user_regs_struct& g = regs.gp;
  bool on_alt = OnAltStack(altstack, g.rsp);
  uint64_t sp;
  if ((act.flags & SA_ONSTACK) && !(altstack.ss_flags & SS_DISABLE) &&
      !on_alt) {
    sp = reinterpret_cast<uint64_t>(altstack.ss_sp) + altstack.ss_size;
  } else {
    sp = g.rsp - kRedZone;
  }
  uint64_t fp_addr = (sp - regs.fp.size()) & ~uint64_t{63};
  uint64_t frame_addr = ((fp_addr - sizeof(RtSigFrame)) & ~uint64_t{15}) - 8;
  if (frame_addr >= kUserAddrEnd || fp_addr > sp) return Errno{EFAULT};

  RtSigFrame f;
  memset(&f, 0, sizeof(f));
  f.pretcode = act.restorer;
  f.uc.uc_flags = kUcSigcontextSs | kUcStrictRestoreSs;
  f.uc.uc_stack.ss_sp = reinterpret_cast<uint64_t>(altstack.ss_sp);
  f.uc.uc_stack.ss_flags =
      (altstack.ss_flags & SS_DISABLE) ? SS_DISABLE : (on_alt ? SS_ONSTACK : 0);
  f.uc.uc_stack.ss_size = altstack.ss_size;
  SigContext& sc = f.uc.uc_mcontext;
  sc.r8 = g.r8, sc.r9 = g.r9, sc.r10 = g.r10, sc.r11 = g.r11;
  sc.r12 = g.r12, sc.r13 = g.r13, sc.r14 = g.r14, sc.r15 = g.r15;
  sc.rdi = g.rdi, sc.rsi = g.rsi, sc.rbp = g.rbp, sc.rbx = g.rbx;
  sc.rdx = g.rdx, sc.rax = g.rax, sc.rcx = g.rcx, sc.rsp = g.rsp;
  sc.rip = g.rip, sc.eflags = g.eflags;
  sc.cs = static_cast<uint16_t>(g.cs);
  sc.ss = static_cast<uint16_t>(g.ss);
  sc.oldmask = old_mask.bits();
  // Fault details (trapno/err/cr2) are filled for SIGSEGV by the caller's
  // siginfo; Linux copies them from the trap frame.
  if (info.si_signo == SIGSEGV || info.si_signo == SIGBUS) {
    sc.cr2 = reinterpret_cast<uint64_t>(info.si_addr);
    sc.trapno = 14;  // #PF
  }
  sc.fpstate = fp_addr;
  f.uc.uc_sigmask = old_mask.bits();
  f.info = info;

  RETURN_IF_ERRNO(
      mm.CopyOutFull(UserAddr(fp_addr), regs.fp.data(), regs.fp.size()));
  RETURN_IF_ERRNO(mm.CopyOutFull(UserAddr(frame_addr), &f, sizeof(f)));

  g.rsp = frame_addr;
  g.rip = act.handler;
  g.rdi = static_cast<uint64_t>(info.si_signo);
  g.rsi = frame_addr + offsetof(RtSigFrame, info);
  g.rdx = frame_addr + offsetof(RtSigFrame, uc);
  g.rax = 0;
  g.eflags &= ~kHandlerClearEflags;
  regs.fp = InitialFpState();
  return OkErrno();
}

ErrnoStatus RestoreSignalFrame(UserMemory& mm, Registers& regs, SigSet* mask,
                               stack_t* uc_stack) {
  user_regs_struct& g = regs.gp;
  uint64_t frame_addr = g.rsp - 8;
  RtSigFrame f;
  RETURN_IF_ERRNO(mm.CopyInFull(UserAddr(frame_addr), &f, sizeof(f)));
  const SigContext& sc = f.uc.uc_mcontext;
  std::array<uint8_t, 512> fp;
  if (sc.fpstate != 0) {
    RETURN_IF_ERRNO(mm.CopyInFull(UserAddr(sc.fpstate), fp.data(), fp.size()));
  } else {
    fp = InitialFpState();
  }
  g.r8 = sc.r8, g.r9 = sc.r9, g.r10 = sc.r10, g.r11 = sc.r11;
  g.r12 = sc.r12, g.r13 = sc.r13, g.r14 = sc.r14, g.r15 = sc.r15;
  g.rdi = sc.rdi, g.rsi = sc.rsi, g.rbp = sc.rbp, g.rbx = sc.rbx;
  g.rdx = sc.rdx, g.rax = sc.rax, g.rcx = sc.rcx, g.rsp = sc.rsp;
  g.rip = sc.rip;
  g.eflags = (g.eflags & ~kFixEflags) | (sc.eflags & kFixEflags);
  // cs/ss stay the kernel's user selectors: the application cannot pick
  // privileged segments.
  g.orig_rax = static_cast<uint64_t>(-1);  // no syscall restart
  // The FXSAVE reserved MXCSR bits must be valid or FXRSTOR faults in the
  // platform; keep only the architecturally defined ones.
  uint32_t mxcsr;
  memcpy(&mxcsr, &fp[24], 4);
  mxcsr &= 0xffff;
  memcpy(&fp[24], &mxcsr, 4);
  regs.fp = fp;
  *mask = SigSet(f.uc.uc_sigmask) & ~kUnblockable;
  uc_stack->ss_sp = reinterpret_cast<void*>(f.uc.uc_stack.ss_sp);
  uc_stack->ss_flags = f.uc.uc_stack.ss_flags;
  uc_stack->ss_size = f.uc.uc_stack.ss_size;
  return OkErrno();
}

}  // namespace sentry::kernel
