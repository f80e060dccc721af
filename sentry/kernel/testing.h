// Test support: an in-process kernel with one task whose memory is a
// FlatUserMemory, so handler tests can map user memory and call syscalls
// directly (STYLE.md's MakeKernelAndTask).
#ifndef SENTRY_KERNEL_TESTING_H_
#define SENTRY_KERNEL_TESTING_H_

#include <atomic>
#include <functional>
#include <memory>

#include "sentry/kernel/kernel.h"

namespace sentry::kernel {

inline constexpr uint64_t kTestMemBase = 0x10000;
inline constexpr size_t kTestMemSize = 1 << 20;

struct KernelAndTask {
  std::unique_ptr<Kernel> kernel;
  Task* task = nullptr;  // PID 1
  std::shared_ptr<FlatUserMemory> mem;
};

// A kernel whose init task has `creds` (root by default) and 1 MiB of user
// memory at kTestMemBase; rsp points near its top.
KernelAndTask MakeKernelAndTask(Credentials creds = Credentials::Root(),
                                KernelConfig config = KernelConfig());

// A fake platform context for run-loop tests: each Switch call invokes the
// script with the registers, which plays the application's part (sets up a
// syscall, or returns a fault).
class ScriptedContext : public platform::Context {
 public:
  using Step = std::function<StopReason(Registers&)>;
  explicit ScriptedContext(Step step) : step_(std::move(step)) {}
  StopReason Switch(platform::AddressSpace& as, Registers& regs) override {
    return step_(regs);
  }
  void Interrupt() override { interrupts_++; }
  void Release() override {}
  int interrupts() const { return interrupts_.load(); }

 private:
  Step step_;
  std::atomic<int> interrupts_{0};
};

// StopReason helpers for scripts.
inline StopReason SyscallStop() {
  StopReason r;
  r.kind = StopKind::kSyscall;
  return r;
}
inline StopReason InterruptedStop() { return StopReason(); }
inline StopReason FaultStop(uint64_t addr, platform::AccessType access) {
  StopReason r;
  r.kind = StopKind::kFault;
  r.signo = SIGSEGV;
  r.fault_addr = addr;
  r.access = access;
  return r;
}

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_TESTING_H_
