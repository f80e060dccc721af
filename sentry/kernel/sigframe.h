// The x86-64 signal frame (Linux's struct rt_sigframe) on the application
// stack, and rt_sigreturn.
//
// Layout, as Linux builds it (arch/x86/kernel/signal.c): below the
// interrupted rsp (minus the 128-byte red zone, or at the top of the
// alternate stack for SA_ONSTACK) the FP state, 64-byte aligned; below it
// the frame { pretcode = sa_restorer; struct ucontext uc; siginfo_t info },
// placed so that (rsp + 8) is 16-byte aligned, as after a call. The handler
// runs with rdi = signo, rsi = &info, rdx = &uc, rax = 0.
//
// The FP state is the full XSAVE area (arch::FpState); uc_flags does not
// announce UC_FP_XSTATE and the fpstate carries no FP_XSTATE_MAGIC words, so
// applications that parse the extended state from the frame see only the
// legacy part (glibc, Go and musl do not look). On rt_sigreturn the XSAVE
// header is sanitised (XSTATE_BV limited to XCR0, reserved bytes zero) so a
// corrupt frame cannot make the platform's state restore fail.
#ifndef SENTRY_KERNEL_SIGFRAME_H_
#define SENTRY_KERNEL_SIGFRAME_H_

#include <signal.h>

#include "sentry/arch/signal_context.h"
#include "sentry/base/errno.h"
#include "sentry/kernel/platform_adapter.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/user_memory.h"

namespace sentry::kernel {

using SigContext = arch::SigContext;

struct KernelStack {
  uint64_t ss_sp;
  int32_t ss_flags;
  int32_t pad;
  uint64_t ss_size;
};

// The kernel's struct ucontext (not glibc's ucontext_t).
struct KernelUContext {
  uint64_t uc_flags;
  uint64_t uc_link;
  KernelStack uc_stack;
  SigContext uc_mcontext;
  uint64_t uc_sigmask;
};
static_assert(sizeof(KernelUContext) == 304);

struct RtSigFrame {
  uint64_t pretcode;
  KernelUContext uc;
  siginfo_t info;
};
static_assert(sizeof(RtSigFrame) == 440);

// Whether sp lies on the alternate stack (Linux's on_sig_stack).
bool OnAltStack(const stack_t& ss, uint64_t sp);

// Builds the frame for `info` with handler `act` and sets regs to enter the
// handler. old_mask is saved in uc_sigmask. EFAULT if the stack is not
// writable (the caller then forces SIGSEGV).
ErrnoStatus SetupSignalFrame(UserMemory& mm, Registers& regs,
                             const stack_t& altstack,
                             const KernelSigAction& act, const siginfo_t& info,
                             SigSet old_mask);

// rt_sigreturn: rsp points just above pretcode (the handler's `ret` popped
// it). Restores regs and returns the saved mask and uc_stack.
ErrnoStatus RestoreSignalFrame(UserMemory& mm, Registers& regs, SigSet* mask,
                               stack_t* uc_stack);

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_SIGFRAME_H_
