#include "sentry/kernel/futex.h"

#include <linux/futex.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

namespace sentry::kernel {

FutexKey MakeFutexKey(Task& t, UserAddr addr, bool is_private) {
  if (is_private) return FutexKey{&t.mm(), addr.value()};
  auto [space, off] = t.mm().SharedFutexKey(addr);
  return FutexKey{space, off};
}

int FutexManager::WakeLocked(const FutexKey& key, uint32_t bitset, int n) {
  auto it = queues_.find(key);
  if (it == queues_.end()) return 0;
  int woken = 0;
  for (auto w = it->second.begin(); w != it->second.end() && woken < n;) {
    if (((*w)->bitset & bitset) == 0) {
      ++w;
      continue;
    }
    (*w)->woken = true;
    (*w)->task->Notify();
    w = it->second.erase(w);
    ++woken;
  }
  if (it->second.empty()) queues_.erase(it);
  return woken;
}

ErrnoStatus FutexManager::SleepLocked(Task& t, Waiter& w,
                                      std::optional<absl::Time> deadline) {
  queues_[w.key].push_back(&w);
  Task::BlockResult r = Task::BlockResult::kNotified;
  while (!w.woken) {
    t.PrepareBlock();
    mu_.Unlock();
    r = t.Block(deadline);
    mu_.Lock();
    if (w.woken || r != Task::BlockResult::kNotified) break;
  }
  if (w.woken) return OkErrno();
  // Still queued (possibly under a requeued key): dequeue ourselves.
  auto it = queues_.find(w.key);
  if (it != queues_.end()) {
    it->second.remove(&w);
    if (it->second.empty()) queues_.erase(it);
  }
  return Errno{r == Task::BlockResult::kTimedOut ? ETIMEDOUT : EINTR};
}

ErrnoStatus FutexManager::Wait(Task& t, const FutexKey& key, UserAddr addr,
                               uint32_t val, uint32_t bitset,
                               std::optional<absl::Time> deadline) {
  if (bitset == 0) return Errno{EINVAL};
  absl::MutexLock l(&mu_);
  ASSIGN_OR_RETURN_ERRNO(uint32_t cur, t.mm().LoadU32(addr));
  if (cur != val) return Errno{EAGAIN};
  Waiter w{&t, key, bitset};
  return SleepLocked(t, w, deadline);
}

int FutexManager::Wake(const FutexKey& key, uint32_t bitset, int n) {
  if (bitset == 0) return 0;
  absl::MutexLock l(&mu_);
  return WakeLocked(key, bitset, n);
}

ErrnoOr<int> FutexManager::Requeue(Task& t, const FutexKey& from,
                                   UserAddr from_addr, const FutexKey& to,
                                   int n_wake, int n_requeue,
                                   std::optional<uint32_t> cmp) {
  if (n_wake < 0 || n_requeue < 0) return Errno{EINVAL};
  absl::MutexLock l(&mu_);
  if (cmp.has_value()) {
    ASSIGN_OR_RETURN_ERRNO(uint32_t cur, t.mm().LoadU32(from_addr));
    if (cur != *cmp) return Errno{EAGAIN};
  }
  int done = WakeLocked(from, FUTEX_BITSET_MATCH_ANY, n_wake);
  auto it = queues_.find(from);
  if (it == queues_.end() || from == to) return done;
  int moved = 0;
  while (!it->second.empty() && moved < n_requeue) {
    Waiter* w = it->second.front();
    it->second.pop_front();
    w->key = to;
    queues_[to].push_back(w);
    ++moved;
  }
  if (it->second.empty()) queues_.erase(it);
  // Linux returns woken + requeued for CMP_REQUEUE and REQUEUE alike.
  return done + moved;
}

ErrnoOr<int> FutexManager::WakeOp(Task& t, const FutexKey& k1, UserAddr addr1,
                                  const FutexKey& k2, UserAddr addr2, int n1,
                                  int n2, uint32_t op) {
  int encoded_op = (op >> 28) & 0xf;
  int cmp = (op >> 24) & 0xf;
  int oparg = (op >> 12) & 0xfff;
  int cmparg = op & 0xfff;
  if (encoded_op & FUTEX_OP_OPARG_SHIFT) {
    encoded_op &= ~FUTEX_OP_OPARG_SHIFT;
    if (oparg > 31) return Errno{EINVAL};
    oparg = 1 << oparg;
  }
  absl::MutexLock l(&mu_);
  // Atomically apply the op to *addr2 with a CAS loop.
  uint32_t old;
  for (;;) {
    ASSIGN_OR_RETURN_ERRNO(old, t.mm().LoadU32(addr2));
    uint32_t nv;
    switch (encoded_op) {
      case FUTEX_OP_SET:
        nv = oparg;
        break;
      case FUTEX_OP_ADD:
        nv = old + oparg;
        break;
      case FUTEX_OP_OR:
        nv = old | oparg;
        break;
      case FUTEX_OP_ANDN:
        nv = old & ~oparg;
        break;
      case FUTEX_OP_XOR:
        nv = old ^ oparg;
        break;
      default:
        return Errno{ENOSYS};
    }
    ASSIGN_OR_RETURN_ERRNO(uint32_t seen,
                           t.mm().CompareExchangeU32(addr2, old, nv));
    if (seen == old) break;
  }
  int woken = WakeLocked(k1, FUTEX_BITSET_MATCH_ANY, n1);
  bool cond;
  int32_t o = static_cast<int32_t>(old);
  switch (cmp) {
    case FUTEX_OP_CMP_EQ:
      cond = o == cmparg;
      break;
    case FUTEX_OP_CMP_NE:
      cond = o != cmparg;
      break;
    case FUTEX_OP_CMP_LT:
      cond = o < cmparg;
      break;
    case FUTEX_OP_CMP_LE:
      cond = o <= cmparg;
      break;
    case FUTEX_OP_CMP_GT:
      cond = o > cmparg;
      break;
    case FUTEX_OP_CMP_GE:
      cond = o >= cmparg;
      break;
    default:
      return Errno{ENOSYS};
  }
  if (cond) woken += WakeLocked(k2, FUTEX_BITSET_MATCH_ANY, n2);
  return woken;
}

ErrnoStatus FutexManager::LockPi(Task& t, const FutexKey& key, UserAddr addr,
                                 bool try_only,
                                 std::optional<absl::Time> deadline) {
  const uint32_t tid = static_cast<uint32_t>(t.tid());
  absl::MutexLock l(&mu_);
  for (;;) {
    ASSIGN_OR_RETURN_ERRNO(uint32_t cur, t.mm().LoadU32(addr));
    uint32_t owner = cur & FUTEX_TID_MASK;
    if (owner == tid) return Errno{EDEADLK};
    bool others = queues_.count(key) != 0;
    if (owner == 0) {
      // Free (possibly with OWNER_DIED): take it, keeping WAITERS if others
      // still sleep so that their owner's unlock enters the kernel.
      uint32_t nv =
          tid | (cur & FUTEX_OWNER_DIED) | (others ? FUTEX_WAITERS : 0);
      ASSIGN_OR_RETURN_ERRNO(uint32_t seen,
                             t.mm().CompareExchangeU32(addr, cur, nv));
      if (seen == cur) return OkErrno();
      continue;
    }
    // A dead owner's word gets FUTEX_OWNER_DIED from its robust list walk;
    // detecting owners that exited without one is not done (Linux does).
    if (try_only) return Errno{EBUSY};
    if (!(cur & FUTEX_WAITERS)) {
      ASSIGN_OR_RETURN_ERRNO(
          uint32_t seen,
          t.mm().CompareExchangeU32(addr, cur, cur | FUTEX_WAITERS));
      if (seen != cur) continue;
    }
    Waiter w{&t, key, FUTEX_BITSET_MATCH_ANY};
    RETURN_IF_ERRNO(SleepLocked(t, w, deadline));
  }
}

ErrnoStatus FutexManager::UnlockPi(Task& t, const FutexKey& key,
                                   UserAddr addr) {
  const uint32_t tid = static_cast<uint32_t>(t.tid());
  absl::MutexLock l(&mu_);
  for (;;) {
    ASSIGN_OR_RETURN_ERRNO(uint32_t cur, t.mm().LoadU32(addr));
    if ((cur & FUTEX_TID_MASK) != tid) return Errno{EPERM};
    ASSIGN_OR_RETURN_ERRNO(uint32_t seen,
                           t.mm().CompareExchangeU32(addr, cur, 0));
    if (seen != cur) continue;
    WakeLocked(key, FUTEX_BITSET_MATCH_ANY, 1);
    return OkErrno();
  }
}

int FutexManager::WaiterCount(const FutexKey& key) {
  absl::MutexLock l(&mu_);
  auto it = queues_.find(key);
  return it == queues_.end() ? 0 : static_cast<int>(it->second.size());
}

namespace {

// Marks one robust futex owned by `tid` as OWNER_DIED and wakes a waiter
// (Linux's handle_futex_death).
void HandleFutexDeath(Task& t, UserAddr addr, bool pi) {
  uint32_t tid = static_cast<uint32_t>(t.tid());
  for (int tries = 0; tries < 16; ++tries) {
    auto cur = t.mm().LoadU32(addr);
    if (!cur.ok() || (*cur & FUTEX_TID_MASK) != tid) return;
    uint32_t nv = (*cur & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    auto seen = t.mm().CompareExchangeU32(addr, *cur, nv);
    if (!seen.ok()) return;
    if (*seen != *cur) continue;
    if (*cur & FUTEX_WAITERS) {
      t.kernel().futexes().Wake(MakeFutexKey(t, addr, false),
                                FUTEX_BITSET_MATCH_ANY, 1);
      t.kernel().futexes().Wake(MakeFutexKey(t, addr, true),
                                FUTEX_BITSET_MATCH_ANY, 1);
    }
    return;
  }
}

}  // namespace

void ExitRobustList(Task& t) {
  if (t.robust_list.IsNull()) return;
  struct Head {
    uint64_t next;
    int64_t futex_offset;
    uint64_t list_op_pending;
  };
  auto head = t.mm().CopyInObj(UserPtr<Head>(t.robust_list));
  if (!head.ok()) return;
  // Linux's ROBUST_LIST_LIMIT guards against cycles.
  constexpr int kLimit = 2048;
  uint64_t entry = head->next;
  for (int i = 0; i < kLimit && entry != t.robust_list.value(); ++i) {
    uint64_t e = entry & ~uint64_t{1};
    auto next = t.mm().CopyInObj(UserPtr<uint64_t>(UserAddr(e)));
    if (!next.ok()) return;
    if (e != head->list_op_pending) {
      HandleFutexDeath(t, UserAddr(e + head->futex_offset), entry & 1);
    }
    entry = *next;
  }
  if (head->list_op_pending != 0) {
    uint64_t e = head->list_op_pending & ~uint64_t{1};
    HandleFutexDeath(t, UserAddr(e + head->futex_offset),
                     head->list_op_pending & 1);
  }
}

}  // namespace sentry::kernel
