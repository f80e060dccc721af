// Test support: an in-process kernel with one task whose memory is a
// FlatUserMemory, so handler tests can map user memory and call syscalls
// directly (STYLE.md's MakeKernelAndTask).
#ifndef SENTRY_KERNEL_TESTING_H_
#define SENTRY_KERNEL_TESTING_H_

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
KernelAndTask MakeKernelAndTask(Credentials creds = Credentials(),
                                KernelConfig config = KernelConfig());

// A fake platform context for run-loop tests: each Switch call invokes the
// script with the registers, which plays the application's part (sets up a
// syscall, or returns a fault).
class ScriptedContext : public Context {
 public:
  using Step = std::function<StopReason(Registers&, StopInfo*)>;
  explicit ScriptedContext(Step step) : step_(std::move(step)) {}
  StopReason Switch(UserMemory& mm, Registers& regs, StopInfo* info) override {
    return step_(regs, info);
  }
  void Interrupt() override { interrupts_++; }
  std::unique_ptr<Context> NewContext() override {
    return std::make_unique<ScriptedContext>(step_);
  }
  int interrupts() const { return interrupts_.load(); }

 private:
  Step step_;
  std::atomic<int> interrupts_{0};
};

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_TESTING_H_
