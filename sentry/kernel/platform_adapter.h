// The kernel's view of the platform (sentry/platform, sentry/arch): the
// register set and the Context that runs application code.
//
// Registers is arch::Registers (general registers in ptrace layout + XSAVE
// area). A task's Context is created on the task's own host thread (the
// ptrace platform requires it), through the kernel's ContextFactory; tests
// install a factory that returns a scripted fake.
#ifndef SENTRY_KERNEL_PLATFORM_ADAPTER_H_
#define SENTRY_KERNEL_PLATFORM_ADAPTER_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "sentry/arch/registers.h"
#include "sentry/platform/platform.h"

namespace sentry::kernel {

using Registers = arch::Registers;
using StopReason = platform::StopReason;
using StopKind = platform::StopReason::Kind;
inline constexpr uint64_t kSyscallInsnLen = arch::kSyscallInsnLen;

// Makes the platform context of the calling (task) thread.
using ContextFactory =
    std::function<absl::StatusOr<std::unique_ptr<platform::Context>>()>;

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_PLATFORM_ADAPTER_H_
