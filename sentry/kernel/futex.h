// Futexes over application memory (futex(2)).
//
// A waiter is queued under the key of the futex word: (address space,
// address) for FUTEX_PRIVATE_FLAG, otherwise UserMemory::SharedFutexKey.
// As in Linux, the word is read while the table lock is held, and wakers
// take the same lock, so a wake between the check and the sleep is never
// lost. The blocked task sleeps with Task::Block and is interruptible.
//
// PI futexes are the simple version: ownership by CAS on the word with
// FUTEX_WAITERS set while others wait, no priority inheritance (there are no
// priorities in the sentry).
//
// Lock order: Kernel::mu() -> FutexManager::mu_ -> Task::block_mu_.
#ifndef SENTRY_KERNEL_FUTEX_H_
#define SENTRY_KERNEL_FUTEX_H_

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sentry/base/errno.h"
#include "sentry/kernel/user_memory.h"

namespace sentry::kernel {

class Task;

struct FutexKey {
  const void* space = nullptr;
  uint64_t addr = 0;
  auto operator<=>(const FutexKey&) const = default;
};

// The key of the futex at `addr` in t's address space.
FutexKey MakeFutexKey(Task& t, UserAddr addr, bool is_private);

class FutexManager {
 public:
  // FUTEX_WAIT / FUTEX_WAIT_BITSET. OK when woken; EAGAIN if the word did
  // not hold `val`; ETIMEDOUT; EINTR when interrupted (the caller chooses
  // the restart kind).
  ErrnoStatus Wait(Task& t, const FutexKey& key, UserAddr addr, uint32_t val,
                   uint32_t bitset, std::optional<absl::Time> deadline);
  // FUTEX_WAKE / FUTEX_WAKE_BITSET: wakes up to n waiters whose bitset
  // intersects; returns the count.
  int Wake(const FutexKey& key, uint32_t bitset, int n);
  // FUTEX_REQUEUE / FUTEX_CMP_REQUEUE (cmp set): wakes n_wake, moves up to
  // n_requeue of the rest to `to`. EAGAIN if the word differs from *cmp.
  ErrnoOr<int> Requeue(Task& t, const FutexKey& from, UserAddr from_addr,
                       const FutexKey& to, int n_wake, int n_requeue,
                       std::optional<uint32_t> cmp);
  // FUTEX_WAKE_OP.
  ErrnoOr<int> WakeOp(Task& t, const FutexKey& k1, UserAddr addr1,
                      const FutexKey& k2, UserAddr addr2, int n1, int n2,
                      uint32_t op);
  // FUTEX_LOCK_PI / FUTEX_TRYLOCK_PI / FUTEX_UNLOCK_PI.
  ErrnoStatus LockPi(Task& t, const FutexKey& key, UserAddr addr, bool try_only,
                     std::optional<absl::Time> deadline);
  ErrnoStatus UnlockPi(Task& t, const FutexKey& key, UserAddr addr);

  // Number of waiters queued on `key` (tests).
  int WaiterCount(const FutexKey& key);

 private:
  struct Waiter {
    Task* task;
    FutexKey key;
    uint32_t bitset;
    bool woken = false;
  };
  using Queue = std::list<Waiter*>;
  int WakeLocked(const FutexKey& key, uint32_t bitset, int n)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sleeps with `w` queued until woken, interrupted or deadline.
  ErrnoStatus SleepLocked(Task& t, Waiter& w,
                          std::optional<absl::Time> deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::map<FutexKey, Queue> queues_ ABSL_GUARDED_BY(mu_);
};

// Walks the robust futex list of an exiting task (set_robust_list): every
// futex still owned by the task gets FUTEX_OWNER_DIED and one waiter woken.
void ExitRobustList(Task& t);

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_FUTEX_H_
