#include "sentry/syscalls/poll_wait.h"

#include <poll.h>

#include "sentry/syscalls/sys_common.h"

namespace sentry::syscalls {

ErrnoOr<kernel::SigSet> CopyInSigmask(Task& t, UserAddr addr, size_t setsize) {
  if (setsize != sizeof(uint64_t)) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(uint64_t bits,
                         t.mm().CopyInObj(UserPtr<uint64_t>(addr)));
  return kernel::SigSet(bits);
}

void InstallTemporaryMask(Task& t, kernel::SigSet mask) {
  absl::MutexLock l(t.kernel().mu());
  // A restarted call (no handler ran) finds the original still saved.
  if (!t.saved_mask.has_value()) t.saved_mask = t.mask;
  t.mask = mask & ~kernel::kUnblockable;
  if (HasDeliverableSignalLocked(t)) t.Interrupt();
}

void FinishTemporaryMask(Task& t, bool keep_for_handler) {
  absl::MutexLock l(t.kernel().mu());
  if (!t.saved_mask.has_value()) return;
  if (keep_for_handler && HasDeliverableSignalLocked(t)) return;
  t.mask = *t.saved_mask;
  t.saved_mask.reset();
}

std::optional<int> PollItems(Task& t, std::vector<PollItem>& items,
                             std::optional<absl::Time> deadline) {
  TaskWaker waker(t);
  std::vector<vfs::EventRegistration> regs;
  const bool may_block =
      !deadline.has_value() || *deadline != absl::InfinitePast();
  bool timed_out = false;
  for (;;) {
    t.PrepareBlock();
    // Listeners go up before the check, so a change in between wakes us.
    if (may_block && !timed_out && regs.empty()) {
      regs.reserve(items.size());
      for (PollItem& it : items) {
        if (!it.file || !it.file->impl()) continue;
        regs.emplace_back(it.file->impl()->Events(), &waker,
                          it.events | vfs::kAlwaysEvents);
      }
    }
    int n = 0;
    for (PollItem& it : items) {
      if (it.bad) {
        it.revents = POLLNVAL;
      } else if (it.file) {
        const uint32_t want = it.events | vfs::kAlwaysEvents;
        it.revents = it.file->Readiness(want) & want;
      } else {
        it.revents = 0;
      }
      if (it.revents) ++n;
    }
    if (n > 0 || !may_block || timed_out) return n;
    switch (t.Block(deadline)) {
      case Task::BlockResult::kNotified:
        break;
      case Task::BlockResult::kTimedOut:
        timed_out = true;  // one last look, as Linux's do_poll
        break;
      case Task::BlockResult::kInterrupted:
        return std::nullopt;
    }
  }
}

}  // namespace sentry::syscalls
