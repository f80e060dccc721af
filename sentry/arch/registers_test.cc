#include "sentry/arch/registers.h"

#include <sys/syscall.h>

#include "gtest/gtest.h"
#include "sentry/arch/signal_context.h"

namespace sentry::arch {
namespace {

TEST(RegistersTest, XstateSizeCoversLegacyAndHeader) {
  EXPECT_GE(XstateSize(), 576u);
  EXPECT_EQ(XstateSize() % 64, 0u);
}

TEST(RegistersTest, FreshFpStateHasLinuxDefaults) {
  FpState fp;
  EXPECT_EQ(fp.fcw(), kDefaultFcw);
  EXPECT_EQ(fp.mxcsr(), kDefaultMxcsr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(fp.data()) % 64, 0u);
  FpState copy = fp;
  EXPECT_EQ(0, memcmp(copy.data(), fp.data(), fp.size()));
}

TEST(RegistersTest, SyscallAccessors) {
  Registers r;
  r.gp().orig_rax = SYS_openat;
  r.gp().rdi = 1;
  r.gp().rsi = 2;
  r.gp().rdx = 3;
  r.gp().r10 = 4;
  r.gp().r8 = 5;
  r.gp().r9 = 6;
  r.gp().rcx = 99;  // clobbered by `syscall`, never an argument
  EXPECT_EQ(r.SyscallNo(), uint64_t{SYS_openat});
  for (int i = 0; i < 6; ++i) EXPECT_EQ(r.SyscallArg(i), uint64_t(i + 1));
  r.SetReturn(-ENOENT);
  EXPECT_EQ(r.Return(), -ENOENT);
}

TEST(RegistersTest, RestartRewindsToSyscallInstruction) {
  Registers r;
  r.gp().rip = 0x1002;
  r.gp().orig_rax = SYS_read;
  r.gp().rax = static_cast<uint64_t>(-4);
  r.RestartSyscall();
  EXPECT_EQ(r.ip(), 0x1000u);
  EXPECT_EQ(r.gp().rax, uint64_t{SYS_read});
  r.gp().rip = 0x2002;
  r.RestartWithRestartBlock();
  EXPECT_EQ(r.ip(), 0x2000u);
  EXPECT_EQ(r.gp().rax, uint64_t{SYS_restart_syscall});
}

TEST(RegistersTest, SanitizeForcesUserSelectorsAndFlags) {
  Registers r;
  r.gp().cs = 0x10;  // kernel CS: must never reach the host
  r.gp().ss = 0x18;
  r.gp().eflags = 0xffffffff;  // IOPL, VM, ... set
  r.Sanitize();
  EXPECT_EQ(r.gp().cs, kUserCs);
  EXPECT_EQ(r.gp().ss, kUserDs);
  EXPECT_EQ(r.gp().eflags & 0x3000, 0u);   // IOPL cleared
  EXPECT_EQ(r.gp().eflags & 0x20000, 0u);  // VM cleared
  EXPECT_NE(r.gp().eflags & 0x200, 0u);    // IF set
}

TEST(RegistersTest, ExecResetClearsEverything) {
  Registers r;
  r.gp().rax = 5;
  r.gp().fs_base = 0x1234;
  uint64_t gen = r.fp_generation();
  r.mutable_fp().mutable_data()[0] = 0;
  r.ResetForExec(0x400000, 0x7fff0000);
  EXPECT_EQ(r.gp().rax, 0u);
  EXPECT_EQ(r.fs_base(), 0u);
  EXPECT_EQ(r.ip(), 0x400000u);
  EXPECT_EQ(r.sp(), 0x7fff0000u);
  EXPECT_EQ(r.fp().fcw(), kDefaultFcw);
  EXPECT_GT(r.fp_generation(), gen);
}

TEST(SignalContextTest, RoundTripKeepsRegistersButNotPrivilegedBits) {
  Registers r;
  r.gp().rax = 1;
  r.gp().rbx = 2;
  r.gp().rip = 0x401000;
  r.gp().rsp = 0x7ffff000;
  r.gp().r15 = 15;
  SigContext sc;
  FillSigContext(r, 0x7fffe000, 0, 0xdead, &sc);
  EXPECT_EQ(sc.rip, 0x401000u);
  EXPECT_EQ(sc.fpstate, 0x7fffe000u);
  EXPECT_EQ(sc.cr2, 0xdeadu);
  sc.eflags = 0xffffffff;  // the handler tries to set IOPL
  sc.rax = 42;
  Registers back;
  RestoreFromSigContext(sc, &back);
  EXPECT_EQ(back.gp().rax, 42u);
  EXPECT_EQ(back.gp().rbx, 2u);
  EXPECT_EQ(back.gp().r15, 15u);
  EXPECT_EQ(back.gp().eflags & 0x3000, 0u);
  EXPECT_EQ(back.gp().orig_rax, static_cast<uint64_t>(-1));
}

TEST(SignalContextTest, FrameAddressesAreAlignedAndBelowRedZone) {
  for (uint64_t sp : {0x7fff0000ull, 0x7fff0008ull, 0x7fff0003ull}) {
    uint64_t a = SignalFrameAddress(sp, 1000);
    EXPECT_LE(a + 1000, sp - kRedZone);
    EXPECT_EQ((a + 8) % 16, 0u);
    uint64_t f = FpStateAddress(sp, 832);
    EXPECT_EQ(f % 64, 0u);
    EXPECT_LE(f + 832, sp - kRedZone);
  }
}

}  // namespace
}  // namespace sentry::arch
