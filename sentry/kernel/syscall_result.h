// SyscallResult: what a syscall handler returns to the task run loop.
//
// It carries a value, an errno, or a restart request. The restart kinds are
// Linux's internal ERESTART* codes; they never reach the application: when a
// signal handler is about to run the run loop turns them into EINTR (or
// restarts for SA_RESTART / ERESTARTNOINTR), otherwise the call is restarted
// transparently, exactly as Linux's arch signal code does.
#ifndef SENTRY_KERNEL_SYSCALL_RESULT_H_
#define SENTRY_KERNEL_SYSCALL_RESULT_H_

#include <cstdint>

#include "sentry/base/errno.h"

namespace sentry::kernel {

// Linux's values, used only for --strace output.
inline constexpr int kERestartSys = 512;
inline constexpr int kERestartNoIntr = 513;
inline constexpr int kERestartNoHand = 514;
inline constexpr int kERestartRestartBlock = 516;

enum class RestartKind {
  kNone,
  kRestartSys,     // EINTR if a handler runs unless SA_RESTART; else restart
  kRestartNoIntr,  // always restart
  kRestartNoHand,  // EINTR if a handler runs; else restart
  kRestartBlock,   // like NoHand, restarting through restart_syscall(2)
};

class [[nodiscard]] SyscallResult {
 public:
  static SyscallResult Value(int64_t v) { return SyscallResult(v, 0, {}); }
  static SyscallResult Error(Errno e) {
    return SyscallResult(0, ToInt(e), RestartKind::kNone);
  }
  static SyscallResult Restart(RestartKind k) {
    return SyscallResult(0, EINTR, k);
  }
  // The handler already set the registers (rt_sigreturn, execve) or the task
  // is exiting: the run loop must not write rax.
  static SyscallResult NoReturn() {
    SyscallResult r(0, 0, RestartKind::kNone);
    r.no_return_ = true;
    return r;
  }
  // An error result. Implicit so that handlers can use RETURN_IF_ERRNO and
  // ASSIGN_OR_RETURN_ERRNO (which return the bare Errno).
  SyscallResult(Errno e)  // NOLINT(google-explicit-constructor)
      : SyscallResult(0, ToInt(e), RestartKind::kNone) {}
  // From ErrnoOr<integral> / ErrnoStatus.
  template <typename T>
  static SyscallResult From(const ErrnoOr<T>& r) {
    if (!r.ok()) return Error(r.error());
    return Value(static_cast<int64_t>(*r));
  }
  static SyscallResult From(const ErrnoStatus& r) {
    return r.ok() ? Value(0) : Error(r.error());
  }

  bool IsError() const { return errno_ != 0; }
  int64_t value() const { return value_; }
  Errno error() const { return Errno{errno_}; }
  RestartKind restart() const { return restart_; }
  bool no_return() const { return no_return_; }

  // rax as Linux would leave it before signal handling: value, -errno, or
  // -ERESTART*.
  int64_t Raw() const {
    switch (restart_) {
      case RestartKind::kRestartSys:
        return -kERestartSys;
      case RestartKind::kRestartNoIntr:
        return -kERestartNoIntr;
      case RestartKind::kRestartNoHand:
        return -kERestartNoHand;
      case RestartKind::kRestartBlock:
        return -kERestartRestartBlock;
      case RestartKind::kNone:
        break;
    }
    return errno_ ? -static_cast<int64_t>(errno_) : value_;
  }

 private:
  SyscallResult(int64_t v, int e, RestartKind k)
      : value_(v), errno_(e), restart_(k) {}
  int64_t value_;
  int errno_;
  RestartKind restart_;
  bool no_return_ = false;
};

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_SYSCALL_RESULT_H_
