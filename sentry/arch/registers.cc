#include "sentry/arch/registers.h"

#include <cpuid.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace sentry::arch {

size_t XstateSize() {
  static const size_t size = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    size_t s = 512 + 64;
    if (__get_cpuid_max(0, nullptr) >= 0xd) {
      __cpuid_count(0xd, 0, eax, ebx, ecx, edx);
      // EBX: size for the features enabled in XCR0 (what the host kernel
      // saves for us); ECX: size if every supported feature were enabled.
      // ptrace needs exactly the host's user size, which is at most ECX; use
      // the larger so any host size fits, rounded to 64 bytes.
      s = std::max<size_t>(s, std::max(ebx, ecx));
    }
    return (s + 63) & ~size_t{63};
  }();
  return size;
}

void FpState::AlignedFree::operator()(uint8_t* p) const { std::free(p); }

FpState::FpState() : size_(XstateSize()) {
  data_.reset(static_cast<uint8_t*>(std::aligned_alloc(64, size_)));
  Reset();
}

FpState::FpState(const FpState& other) : size_(other.size_) {
  data_.reset(static_cast<uint8_t*>(std::aligned_alloc(64, size_)));
  std::memcpy(data_.get(), other.data_.get(), size_);
}

FpState& FpState::operator=(const FpState& other) {
  if (this != &other) {
    if (size_ != other.size_) {
      size_ = other.size_;
      data_.reset(static_cast<uint8_t*>(std::aligned_alloc(64, size_)));
    }
    std::memcpy(data_.get(), other.data_.get(), size_);
  }
  return *this;
}

void FpState::Reset() {
  std::memset(data_.get(), 0, size_);
  std::memcpy(data_.get() + kFxsaveFcwOffset, &kDefaultFcw,
              sizeof(kDefaultFcw));
  std::memcpy(data_.get() + kFxsaveMxcsrOffset, &kDefaultMxcsr,
              sizeof(kDefaultMxcsr));
  // MXCSR_MASK: all bits the host supports; the kernel ignores it on restore
  // but a sane value keeps signal frames readable.
  const uint32_t mask = 0xffff;
  std::memcpy(data_.get() + kFxsaveMxcsrMaskOffset, &mask, sizeof(mask));
  // x87 and SSE components marked as present so fcw/mxcsr are loaded.
  const uint64_t xstate_bv = 0x3;
  std::memcpy(data_.get() + kXstateBvOffset, &xstate_bv, sizeof(xstate_bv));
}

uint16_t FpState::fcw() const {
  uint16_t v;
  std::memcpy(&v, data_.get() + kFxsaveFcwOffset, sizeof(v));
  return v;
}

uint32_t FpState::mxcsr() const {
  uint32_t v;
  std::memcpy(&v, data_.get() + kFxsaveMxcsrOffset, sizeof(v));
  return v;
}

Registers::Registers() {
  std::memset(&gp_, 0, sizeof(gp_));
  Sanitize();
}

uint64_t Registers::SyscallArg(int i) const {
  switch (i) {
    case 0:
      return gp_.rdi;
    case 1:
      return gp_.rsi;
    case 2:
      return gp_.rdx;
    case 3:
      return gp_.r10;
    case 4:
      return gp_.r8;
    case 5:
      return gp_.r9;
    default:
      return 0;
  }
}

void Registers::RestartSyscall() {
  gp_.rip -= kSyscallInsnLen;
  gp_.rax = gp_.orig_rax;
}

void Registers::RestartWithRestartBlock() {
  gp_.rip -= kSyscallInsnLen;
  gp_.rax = SYS_restart_syscall;
}

void Registers::ResetForExec(uint64_t entry, uint64_t stack) {
  std::memset(&gp_, 0, sizeof(gp_));
  gp_.rip = entry;
  gp_.rsp = stack;
  Sanitize();
  mutable_fp().Reset();
}

void Registers::Sanitize() {
  gp_.cs = kUserCs;
  gp_.ss = kUserDs;
  // ds/es/fs/gs selectors are 0 in 64-bit user mode on Linux; fs/gs bases
  // carry TLS.
  gp_.ds = 0;
  gp_.es = 0;
  gp_.fs = 0;
  gp_.gs = 0;
  gp_.eflags = (gp_.eflags & kUserFlagsMask) | kFlagsFixed;
}

}  // namespace sentry::arch
