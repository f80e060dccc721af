#include "sentry/kernel/sigframe.h"

#include <cstring>
#include <vector>

namespace sentry::kernel {

namespace {

constexpr uint64_t kUcSigcontextSs = 0x2;
constexpr uint64_t kUcStrictRestoreSs = 0x4;
// Cleared on handler entry: TF, DF, RF (Linux's handle_signal).
constexpr uint64_t kHandlerClearEflags = 0x100 | 0x400 | 0x10000;

uint64_t Xcr0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t{hi} << 32) | lo;
}

// Makes an application-supplied XSAVE image safe to restore.
void SanitizeXstate(uint8_t* xs, size_t size) {
  uint32_t mxcsr;
  memcpy(&mxcsr, xs + arch::kFxsaveMxcsrOffset, 4);
  mxcsr &= 0xffff;  // reserved MXCSR bits fault on restore
  memcpy(xs + arch::kFxsaveMxcsrOffset, &mxcsr, 4);
  if (size < arch::kXstateBvOffset + 64) return;
  uint64_t bv;
  memcpy(&bv, xs + arch::kXstateBvOffset, 8);
  bv &= Xcr0();
  memcpy(xs + arch::kXstateBvOffset, &bv, 8);
  // XCOMP_BV and the reserved header bytes must be zero (standard format).
  memset(xs + arch::kXstateBvOffset + 8, 0, 56);
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
  user_regs_struct& g = regs.gp();
  bool on_alt = OnAltStack(altstack, g.rsp);
  // arch's helpers skip the red zone below `sp`; the top of an alternate
  // stack has none, so compensate.
  uint64_t sp = g.rsp;
  if ((act.flags & SA_ONSTACK) && !(altstack.ss_flags & SS_DISABLE) &&
      !on_alt) {
    sp = reinterpret_cast<uint64_t>(altstack.ss_sp) + altstack.ss_size +
         arch::kRedZone;
  }
  const arch::FpState& fp = regs.fp();
  uint64_t fp_addr = arch::FpStateAddress(sp, fp.size());
  uint64_t frame_addr =
      arch::SignalFrameAddress(fp_addr + arch::kRedZone, sizeof(RtSigFrame));
  if (frame_addr >= kUserAddrEnd || fp_addr >= sp) return Errno{EFAULT};

  RtSigFrame f;
  memset(&f, 0, sizeof(f));
  f.pretcode = act.restorer;
  f.uc.uc_flags = kUcSigcontextSs | kUcStrictRestoreSs;
  f.uc.uc_stack.ss_sp = reinterpret_cast<uint64_t>(altstack.ss_sp);
  f.uc.uc_stack.ss_flags =
      (altstack.ss_flags & SS_DISABLE) ? SS_DISABLE : (on_alt ? SS_ONSTACK : 0);
  f.uc.uc_stack.ss_size = altstack.ss_size;
  uint64_t cr2 = 0;
  if (info.si_signo == SIGSEGV || info.si_signo == SIGBUS) {
    cr2 = reinterpret_cast<uint64_t>(info.si_addr);
  }
  arch::FillSigContext(regs, fp_addr, old_mask.bits(), cr2, &f.uc.uc_mcontext);
  if (cr2 != 0) f.uc.uc_mcontext.trapno = 14;  // #PF
  f.uc.uc_sigmask = old_mask.bits();
  f.info = info;

  RETURN_IF_ERRNO(mm.CopyOutFull(UserAddr(fp_addr), fp.data(), fp.size()));
  RETURN_IF_ERRNO(mm.CopyOutFull(UserAddr(frame_addr), &f, sizeof(f)));

  g.rsp = frame_addr;
  g.rip = act.handler;
  g.rdi = static_cast<uint64_t>(info.si_signo);
  g.rsi = frame_addr + offsetof(RtSigFrame, info);
  g.rdx = frame_addr + offsetof(RtSigFrame, uc);
  g.rax = 0;
  g.eflags &= ~kHandlerClearEflags;
  regs.mutable_fp().Reset();  // handlers start with a clean FPU
  return OkErrno();
}

ErrnoStatus RestoreSignalFrame(UserMemory& mm, Registers& regs, SigSet* mask,
                               stack_t* uc_stack) {
  uint64_t frame_addr = regs.gp().rsp - 8;
  RtSigFrame f;
  RETURN_IF_ERRNO(mm.CopyInFull(UserAddr(frame_addr), &f, sizeof(f)));
  const SigContext& sc = f.uc.uc_mcontext;
  std::vector<uint8_t> fp(regs.fp().size());
  if (sc.fpstate != 0) {
    RETURN_IF_ERRNO(mm.CopyInFull(UserAddr(sc.fpstate), fp.data(), fp.size()));
  }
  arch::RestoreFromSigContext(sc, &regs);
  arch::FpState& st = regs.mutable_fp();
  if (sc.fpstate != 0) {
    SanitizeXstate(fp.data(), fp.size());
    memcpy(st.mutable_data(), fp.data(), fp.size());
  } else {
    st.Reset();
  }
  *mask = SigSet(f.uc.uc_sigmask) & ~kUnblockable;
  uc_stack->ss_sp = reinterpret_cast<void*>(f.uc.uc_stack.ss_sp);
  uc_stack->ss_flags = f.uc.uc_stack.ss_flags;
  uc_stack->ss_size = f.uc.uc_stack.ss_size;
  return OkErrno();
}

}  // namespace sentry::kernel
