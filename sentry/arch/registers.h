// x86-64 application register state, as the sentry keeps it per task.
//
// Registers holds the general-purpose registers in the host's
// user_regs_struct layout (what PTRACE_GETREGS returns) and the FP/vector
// state in the standard (non-compacted) XSAVE layout that
// PTRACE_GETREGSET(NT_X86_XSTATE) uses. The XSAVE area is sized from CPUID
// leaf 0xD, so AVX/AVX-512 state survives a context switch.
//
// Syscall convention (matches Linux x86-64): number in orig_rax (rax at entry),
// arguments in rdi rsi rdx r10 r8 r9, result in rax; the `syscall`
// instruction clobbers rcx (return rip) and r11 (rflags).
//
// Not thread-safe: a Registers object is owned by one task thread.
#ifndef SENTRY_ARCH_REGISTERS_H_
#define SENTRY_ARCH_REGISTERS_H_

#include <sys/user.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace sentry::arch {

// User segment selectors on x86-64 Linux (__USER_CS / __USER_DS).
inline constexpr uint64_t kUserCs = 0x33;
inline constexpr uint64_t kUserDs = 0x2b;

// Length of the `syscall` instruction (0f 05); also of `int $0x80` (cd 80).
inline constexpr uint64_t kSyscallInsnLen = 2;

// RFLAGS bits the application may change (Linux's FLAG_MASK for sigreturn:
// CF PF AF ZF SF TF DF OF AC RF... minus IF/IOPL/VM). Everything else is kept.
inline constexpr uint64_t kUserFlagsMask = 0x50dd5;
// Bit 1 of RFLAGS is always set; IF (0x200) is always set in user mode.
inline constexpr uint64_t kFlagsFixed = 0x202;

// Size in bytes of the XSAVE area the host uses for the features enabled in
// XCR0 (CPUID.(EAX=0xD,ECX=0).EBX), at least 512 + 64 (legacy + header).
size_t XstateSize();

// Byte offsets inside the legacy FXSAVE region of the XSAVE area.
inline constexpr size_t kFxsaveFcwOffset = 0;
inline constexpr size_t kFxsaveMxcsrOffset = 24;
inline constexpr size_t kFxsaveMxcsrMaskOffset = 28;
inline constexpr size_t kXstateBvOffset = 512;  // first field of the header
inline constexpr uint16_t kDefaultFcw = 0x37f;
inline constexpr uint32_t kDefaultMxcsr = 0x1f80;

// The FP/vector state: a 64-byte-aligned XSAVE area.
class FpState {
 public:
  // A fresh state as after execve: x87 control word 0x37f, MXCSR 0x1f80, every
  // XSAVE component in its init state (XSTATE_BV = 0).
  FpState();
  FpState(const FpState& other);
  FpState& operator=(const FpState& other);
  FpState(FpState&&) noexcept = default;
  FpState& operator=(FpState&&) noexcept = default;

  void Reset();
  size_t size() const { return size_; }
  const uint8_t* data() const { return data_.get(); }
  uint8_t* mutable_data() { return data_.get(); }
  std::span<const uint8_t> bytes() const { return {data_.get(), size_}; }

  uint16_t fcw() const;
  uint32_t mxcsr() const;

 private:
  struct AlignedFree {
    void operator()(uint8_t* p) const;
  };
  size_t size_;
  std::unique_ptr<uint8_t, AlignedFree> data_;
};

enum class SyscallArch { kAmd64, kI386 };

class Registers {
 public:
  Registers();

  // General-purpose registers, host ptrace layout.
  user_regs_struct& gp() { return gp_; }
  const user_regs_struct& gp() const { return gp_; }

  // FP state. mutable_fp() marks it modified so that a platform that caches
  // the state in the stub knows to reload it (see fp_generation()).
  const FpState& fp() const { return fp_; }
  FpState& mutable_fp() {
    ++fp_generation_;
    return fp_;
  }
  uint64_t fp_generation() const { return fp_generation_; }
  // For platforms only: stores the state just read back from the
  // application without marking it modified (the stub already holds it).
  FpState& fp_for_platform() { return fp_; }

  uint64_t ip() const { return gp_.rip; }
  void set_ip(uint64_t v) { gp_.rip = v; }
  uint64_t sp() const { return gp_.rsp; }
  void set_sp(uint64_t v) { gp_.rsp = v; }
  uint64_t fs_base() const { return gp_.fs_base; }
  void set_fs_base(uint64_t v) { gp_.fs_base = v; }

  // Syscall accessors, valid at a syscall stop.
  uint64_t SyscallNo() const { return gp_.orig_rax; }
  uint64_t SyscallArg(int i) const;
  // Sets the value the application sees in rax (a negative errno for errors).
  void SetReturn(int64_t v) { gp_.rax = static_cast<uint64_t>(v); }
  int64_t Return() const { return static_cast<int64_t>(gp_.rax); }
  // Rewinds to re-execute the syscall instruction with the original number
  // (Linux's restart for ERESTARTSYS/ERESTARTNOINTR/ERESTARTNOHAND).
  void RestartSyscall();
  // Like Linux's ERESTART_RESTARTBLOCK: rewinds and sets the number to
  // restart_syscall(2).
  void RestartWithRestartBlock();

  // Sets the state for a freshly exec'd program: all registers zero except
  // rip/rsp, selectors, rflags; FP state reset.
  void ResetForExec(uint64_t entry, uint64_t stack);

  // Forces the fields a platform must never accept from the application or
  // a signal frame: user selectors, sane rflags, orig_rax = -1 (so the host
  // never attempts a syscall restart on our behalf).
  void Sanitize();

 private:
  user_regs_struct gp_;
  FpState fp_;
  uint64_t fp_generation_ = 0;
};

}  // namespace sentry::arch

#endif  // SENTRY_ARCH_REGISTERS_H_
