// What poll, select and epoll share: waking a blocked task from a file's
// EventQueue, the temporary signal mask of ppoll/pselect6/epoll_pwait, and
// the readiness wait loop over a set of files.
//
// Blocking follows task.h's pattern: PrepareBlock, register listeners,
// check readiness, Block; a listener only calls Task::Notify (a leaf lock),
// as events.h requires.
#ifndef SENTRY_SYSCALLS_POLL_WAIT_H_
#define SENTRY_SYSCALLS_POLL_WAIT_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/events.h"
#include "sentry/vfs/file.h"

namespace sentry::syscalls {

class TaskWaker final : public vfs::EventListener {
 public:
  explicit TaskWaker(Task& t) : t_(t) {}
  void OnEvents(uint32_t events) override { t_.Notify(); }

 private:
  Task& t_;
};

// Copies in a sigset argument; EINVAL unless setsize is 8 (Linux's
// sizeof(sigset_t)).
ErrnoOr<kernel::SigSet> CopyInSigmask(Task& t, UserAddr addr, size_t setsize);

// Installs a temporary signal mask for the duration of a wait (Linux's
// set_user_sigmask). If a signal is deliverable under it, the task is
// interrupted at once.
void InstallTemporaryMask(Task& t, kernel::SigSet mask);
// Linux's restore_saved_sigmask_unless(keep): restores the caller's mask now,
// unless the call returns EINTR/ERESTARTNOHAND with a signal to deliver;
// then the signal frame carries the old mask and sigreturn restores it (and
// the run loop restores it if no handler runs).
void FinishTemporaryMask(Task& t, bool keep_for_handler);

// One file of a poll set.
struct PollItem {
  vfs::FileRef file;  // null: skipped (negative fd) or invalid (see bad)
  bool bad = false;   // POLLNVAL
  uint32_t events = 0;
  uint32_t revents = 0;
};

// Waits until an item is ready, the deadline passes (nullopt = forever;
// InfinitePast = do not block) or the task is interrupted. Fills revents
// (POLLHUP/POLLERR always, POLLNVAL for bad items). Returns the number of
// items with revents, or nullopt when interrupted.
std::optional<int> PollItems(Task& t, std::vector<PollItem>& items,
                             std::optional<absl::Time> deadline);

// A relative timeout as an absolute deadline (nullopt = infinite).
inline std::optional<absl::Time> DeadlineAfter(
    std::optional<absl::Duration> d) {
  if (!d.has_value()) return std::nullopt;
  if (*d <= absl::ZeroDuration()) return absl::InfinitePast();
  return absl::Now() + *d;
}

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_POLL_WAIT_H_
