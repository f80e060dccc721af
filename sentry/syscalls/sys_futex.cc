// futex(2).
#include <linux/futex.h>
#include <sys/syscall.h>

#include "sentry/kernel/futex.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

using kernel::FutexKey;
using kernel::MakeFutexKey;

SyscallResult WaitResult(ErrnoStatus s, kernel::RestartKind on_intr) {
  if (s.ok()) return SyscallResult::Value(0);
  if (ToInt(s.error()) == EINTR) return SyscallResult::Restart(on_intr);
  return SyscallResult::Error(s.error());
}

// A relative FUTEX_WAIT that was interrupted resumes through
// restart_syscall with its original absolute deadline (Linux's
// futex_wait_restart).
SyscallResult WaitWithRestart(Task& t, FutexKey key, UserAddr addr,
                              uint32_t val, uint32_t bitset,
                              absl::Time deadline) {
  ErrnoStatus s =
      t.kernel().futexes().Wait(t, key, addr, val, bitset, deadline);
  if (!s.ok() && ToInt(s.error()) == EINTR) {
    t.restart_fn = [key, addr, val, bitset, deadline](Task& rt) {
      return WaitWithRestart(rt, key, addr, val, bitset, deadline);
    };
    return SyscallResult::Restart(kernel::RestartKind::kRestartBlock);
  }
  return WaitResult(s, kernel::RestartKind::kRestartSys);
}

// Futex implements futex(2). Partial: no requeue-PI, PI without priority
// inheritance; shared keys follow UserMemory::SharedFutexKey.
SyscallResult Futex(Task& t, UserAddr addr, int op, uint32_t val,
                    UserAddr timeout, UserAddr addr2, uint32_t val3) {
  const int cmd = op & FUTEX_CMD_MASK;
  const bool is_private = op & FUTEX_PRIVATE_FLAG;
  const bool clock_rt = op & FUTEX_CLOCK_REALTIME;
  if (clock_rt && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
      cmd != FUTEX_LOCK_PI2) {
    return SyscallResult::Error(Errno{ENOSYS});
  }
  if (addr.value() % 4 != 0) return SyscallResult::Error(Errno{EINVAL});
  kernel::FutexManager& fm = t.kernel().futexes();
  FutexKey key = MakeFutexKey(t, addr, is_private);

  // The timeout argument is a timespec for waits and an integer (val2)
  // for requeue and wake_op.
  auto deadline_of =
      [&](bool absolute,
          clockid_t clock) -> ErrnoOr<std::optional<absl::Time>> {
    if (timeout.IsNull()) return std::optional<absl::Time>();
    ASSIGN_OR_RETURN_ERRNO(absl::Duration d, CopyInTimespec(t, timeout));
    if (!absolute) return std::optional<absl::Time>(absl::Now() + d);
    ASSIGN_OR_RETURN_ERRNO(absl::Time at, DeadlineForClock(clock, d));
    return std::optional<absl::Time>(at);
  };
  const uint32_t val2 = static_cast<uint32_t>(timeout.value());

  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      uint32_t bitset = cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3;
      if (bitset == 0) return SyscallResult::Error(Errno{EINVAL});
      bool absolute = cmd == FUTEX_WAIT_BITSET;
      auto d =
          deadline_of(absolute, clock_rt ? CLOCK_REALTIME : CLOCK_MONOTONIC);
      if (!d.ok()) return SyscallResult::Error(d.error());
      if (!absolute && d->has_value()) {
        return WaitWithRestart(t, key, addr, val, bitset, **d);
      }
      return WaitResult(fm.Wait(t, key, addr, val, bitset, *d),
                        kernel::RestartKind::kRestartSys);
    }
    case FUTEX_WAKE:
      return SyscallResult::Value(
          fm.Wake(key, FUTEX_BITSET_MATCH_ANY, static_cast<int>(val)));
    case FUTEX_WAKE_BITSET:
      if (val3 == 0) return SyscallResult::Error(Errno{EINVAL});
      return SyscallResult::Value(fm.Wake(key, val3, static_cast<int>(val)));
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      if (addr2.value() % 4 != 0) return SyscallResult::Error(Errno{EINVAL});
      std::optional<uint32_t> cmp;
      if (cmd == FUTEX_CMP_REQUEUE) cmp = val3;
      return SyscallResult::From(
          fm.Requeue(t, key, addr, MakeFutexKey(t, addr2, is_private),
                     static_cast<int>(val), static_cast<int>(val2), cmp));
    }
    case FUTEX_WAKE_OP: {
      if (addr2.value() % 4 != 0) return SyscallResult::Error(Errno{EINVAL});
      return SyscallResult::From(
          fm.WakeOp(t, key, addr, MakeFutexKey(t, addr2, is_private), addr2,
                    static_cast<int>(val), static_cast<int>(val2), val3));
    }
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_TRYLOCK_PI: {
      auto d = deadline_of(true, cmd == FUTEX_LOCK_PI2 && !clock_rt
                                     ? CLOCK_MONOTONIC
                                     : CLOCK_REALTIME);
      if (!d.ok()) return SyscallResult::Error(d.error());
      return WaitResult(fm.LockPi(t, key, addr, cmd == FUTEX_TRYLOCK_PI, *d),
                        kernel::RestartKind::kRestartNoIntr);
    }
    case FUTEX_UNLOCK_PI:
      return SyscallResult::From(fm.UnlockPi(t, key, addr));
    default:
      return SyscallResult::Error(Errno{ENOSYS});
  }
}

}  // namespace

void RegisterFutexSyscalls(SyscallTable& tab) {
  tab.Set(__NR_futex, Adapt<&Futex>, Support::kPartial,
          "no requeue-PI; PI without priority inheritance");
  tab.Set(__NR_futex_waitv, nullptr, Support::kNone, "");
}

}  // namespace sentry::syscalls
