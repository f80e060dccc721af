#include "sentry/kernel/sigframe.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "sentry/kernel/testing.h"

namespace sentry::kernel {
namespace {

constexpr uint64_t kBase = 0x100000;
constexpr size_t kSize = 64 * 1024;

Registers SampleRegs() {
  Registers r;
  user_regs_struct& g = r.gp();
  uint64_t v = 0x1111;
  for (unsigned long long* f :
       {&g.r8, &g.r9, &g.r10, &g.r11, &g.r12, &g.r13, &g.r14, &g.r15, &g.rdi,
        &g.rsi, &g.rbp, &g.rbx, &g.rdx, &g.rax, &g.rcx}) {
    *f = v;
    v += 0x1111;
  }
  g.rsp = kBase + kSize - 1000;  // deliberately unaligned
  g.rip = 0x401234;
  g.eflags = 0x246 | 0x400;  // ZF PF IF + DF
  g.cs = 0x33;
  g.ss = 0x2b;
  g.fs_base = 0x7777000;
  g.orig_rax = 39;
  // Recognisable x87/SSE register contents (the legacy area after the
  // control fields); the XSAVE header stays valid.
  uint8_t* fp = r.mutable_fp().mutable_data();
  for (size_t i = 32; i < 512; ++i) fp[i] = static_cast<uint8_t>(i);
  return r;
}

KernelSigAction Handler(uint64_t flags = 0) {
  KernelSigAction a;
  a.handler = 0x400800;
  a.restorer = 0x400900;
  a.flags = kSaRestorer | SA_SIGINFO | flags;
  return a;
}

TEST(SigframeTest, BuildsLinuxLayout) {
  FlatUserMemory mm(kBase, kSize);
  Registers r = SampleRegs();
  const Registers before = r;
  stack_t alt{nullptr, SS_DISABLE, 0};
  siginfo_t info = MakeSigInfo(SIGUSR1, SI_USER, 42, 7);
  ASSERT_TRUE(
      SetupSignalFrame(mm, r, alt, Handler(), info, SigSet::Of(SIGINT)).ok());
  // Entry state of the handler.
  EXPECT_EQ(r.gp().rip, 0x400800u);
  EXPECT_EQ(r.gp().rdi, static_cast<uint64_t>(SIGUSR1));
  EXPECT_EQ((r.gp().rsp + 8) % 16, 0u);          // as after a call
  EXPECT_LT(r.gp().rsp, before.gp().rsp - 128);  // below the red zone
  EXPECT_EQ(r.gp().rsi, r.gp().rsp + offsetof(RtSigFrame, info));
  EXPECT_EQ(r.gp().rdx, r.gp().rsp + offsetof(RtSigFrame, uc));
  EXPECT_EQ(r.gp().eflags & 0x400, 0u);  // DF cleared
  // The frame's contents.
  RtSigFrame f;
  ASSERT_TRUE(mm.CopyInFull(UserAddr(r.gp().rsp), &f, sizeof(f)).ok());
  EXPECT_EQ(f.pretcode, 0x400900u);
  EXPECT_EQ(f.info.si_signo, SIGUSR1);
  EXPECT_EQ(f.info.si_pid, 42);
  EXPECT_EQ(f.uc.uc_mcontext.rip, 0x401234u);
  EXPECT_EQ(f.uc.uc_mcontext.rsp, before.gp().rsp);
  EXPECT_EQ(f.uc.uc_mcontext.rax, before.gp().rax);
  EXPECT_EQ(f.uc.uc_sigmask, SigSet::Of(SIGINT).bits());
  EXPECT_EQ(f.uc.uc_stack.ss_flags, SS_DISABLE);
  EXPECT_EQ(f.uc.uc_mcontext.fpstate % 64, 0u);
  EXPECT_GT(f.uc.uc_mcontext.fpstate, r.gp().rsp + sizeof(RtSigFrame) - 1);
  std::vector<uint8_t> fp(before.fp().size());
  ASSERT_TRUE(
      mm.CopyInFull(UserAddr(f.uc.uc_mcontext.fpstate), fp.data(), fp.size())
          .ok());
  EXPECT_TRUE(std::equal(fp.begin(), fp.end(), before.fp().bytes().begin()));
}

TEST(SigframeTest, SigreturnRoundTripRestoresEveryRegister) {
  FlatUserMemory mm(kBase, kSize);
  Registers r = SampleRegs();
  const Registers before = r;
  stack_t alt{nullptr, SS_DISABLE, 0};
  ASSERT_TRUE(SetupSignalFrame(mm, r, alt, Handler(),
                               MakeSigInfo(SIGUSR2, SI_USER),
                               SigSet::Of(SIGHUP) | SigSet::Of(SIGKILL))
                  .ok());
  // The handler clobbers registers, then `ret`s into the restorer, which
  // pops pretcode and calls rt_sigreturn.
  r.gp().rax = 15;
  r.gp().rbx = r.gp().r12 = 0xdead;
  memset(r.mutable_fp().mutable_data() + 32, 0xee, 64);
  r.gp().rsp += 8;
  SigSet mask;
  stack_t uc_stack;
  ASSERT_TRUE(RestoreSignalFrame(mm, r, &mask, &uc_stack).ok());
  const user_regs_struct& a = before.gp();
  const user_regs_struct& b = r.gp();
  EXPECT_EQ(a.r8, b.r8);
  EXPECT_EQ(a.r9, b.r9);
  EXPECT_EQ(a.r10, b.r10);
  EXPECT_EQ(a.r11, b.r11);
  EXPECT_EQ(a.r12, b.r12);
  EXPECT_EQ(a.r13, b.r13);
  EXPECT_EQ(a.r14, b.r14);
  EXPECT_EQ(a.r15, b.r15);
  EXPECT_EQ(a.rdi, b.rdi);
  EXPECT_EQ(a.rsi, b.rsi);
  EXPECT_EQ(a.rbp, b.rbp);
  EXPECT_EQ(a.rbx, b.rbx);
  EXPECT_EQ(a.rdx, b.rdx);
  EXPECT_EQ(a.rax, b.rax);
  EXPECT_EQ(a.rcx, b.rcx);
  EXPECT_EQ(a.rsp, b.rsp);
  EXPECT_EQ(a.rip, b.rip);
  EXPECT_EQ(a.eflags, b.eflags);
  EXPECT_EQ(a.cs, b.cs);
  EXPECT_EQ(a.ss, b.ss);
  EXPECT_EQ(a.fs_base, b.fs_base);
  EXPECT_EQ(b.orig_rax, static_cast<uint64_t>(-1));  // never restarts
  EXPECT_TRUE(std::equal(r.fp().bytes().begin(), r.fp().bytes().end(),
                         before.fp().bytes().begin()));
  // SIGKILL can never come back blocked.
  EXPECT_EQ(mask, SigSet::Of(SIGHUP));
}

TEST(SigframeTest, AltStackUsedForSaOnstack) {
  FlatUserMemory mm(kBase, kSize);
  Registers r = SampleRegs();
  stack_t alt{reinterpret_cast<void*>(kBase + 0x1000), 0, 0x4000};
  ASSERT_TRUE(SetupSignalFrame(mm, r, alt, Handler(SA_ONSTACK),
                               MakeSigInfo(SIGSEGV, SEGV_MAPERR), SigSet())
                  .ok());
  EXPECT_TRUE(OnAltStack(alt, r.gp().rsp));
  RtSigFrame f;
  ASSERT_TRUE(mm.CopyInFull(UserAddr(r.gp().rsp), &f, sizeof(f)).ok());
  EXPECT_EQ(f.uc.uc_stack.ss_sp, kBase + 0x1000);
  EXPECT_EQ(f.uc.uc_stack.ss_flags, 0);
  // A nested signal while on the alternate stack stays on it, below.
  uint64_t sp = r.gp().rsp;
  ASSERT_TRUE(SetupSignalFrame(mm, r, alt, Handler(SA_ONSTACK),
                               MakeSigInfo(SIGSEGV, SEGV_MAPERR), SigSet())
                  .ok());
  EXPECT_LT(r.gp().rsp, sp);
  ASSERT_TRUE(mm.CopyInFull(UserAddr(r.gp().rsp), &f, sizeof(f)).ok());
  EXPECT_EQ(f.uc.uc_stack.ss_flags, SS_ONSTACK);
}

TEST(SigframeTest, UnwritableStackFails) {
  FlatUserMemory mm(kBase, kSize);
  Registers r = SampleRegs();
  r.gp().rsp = 0x5000;  // outside the memory
  stack_t alt{nullptr, SS_DISABLE, 0};
  EXPECT_FALSE(SetupSignalFrame(mm, r, alt, Handler(),
                                MakeSigInfo(SIGUSR1, SI_USER), SigSet())
                   .ok());
  r = SampleRegs();
  KernelSigAction no_restorer = Handler();
  no_restorer.flags &= ~kSaRestorer;
  EXPECT_FALSE(SetupSignalFrame(mm, r, alt, no_restorer,
                                MakeSigInfo(SIGUSR1, SI_USER), SigSet())
                   .ok());
}

}  // namespace
}  // namespace sentry::kernel
