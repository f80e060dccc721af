// Readiness multiplexing: poll, ppoll, select, pselect6.
//
// Every file of the set gets a listener on its EventQueue (files without one
// are always ready), then readiness is checked and the task blocks until a
// listener fires, the timeout passes or a signal arrives (poll_wait.h).
// Restarts as Linux: poll through restart_syscall with the original
// deadline; ppoll/select/pselect6 with ERESTARTNOHAND after writing the time
// left back to the caller's timeout (select's documented Linux behaviour).
#include <poll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/poll_wait.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

using kernel::RestartKind;

// Linux's POLLIN_SET / POLLOUT_SET / POLLEX_SET of fs/select.c.
constexpr uint32_t kSelectIn =
    POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
constexpr uint32_t kSelectOut = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
constexpr uint32_t kSelectEx = POLLPRI;

uint64_t NofileLimit(Task& t) {
  absl::MutexLock l(t.kernel().mu());
  return t.tg().rlimits[RLIMIT_NOFILE].rlim_cur;
}

// The common part of poll and ppoll: nullopt when interrupted.
ErrnoOr<std::optional<int>> PollFds(Task& t, UserAddr fds_addr, uint32_t nfds,
                                    std::optional<absl::Time> deadline) {
  if (nfds > NofileLimit(t)) return Errno{EINVAL};
  std::vector<struct pollfd> pfds(nfds);
  if (nfds > 0) {
    RETURN_IF_ERRNO(
        t.mm().CopyInFull(fds_addr, pfds.data(), nfds * sizeof(pollfd)));
  }
  std::vector<PollItem> items(nfds);
  for (uint32_t i = 0; i < nfds; ++i) {
    if (pfds[i].fd < 0) continue;
    auto f = GetFile(t, pfds[i].fd);
    // O_PATH descriptors cannot be polled (POLLNVAL, as Linux).
    if (!f.ok() || (*f)->is_path()) {
      items[i].bad = true;
      continue;
    }
    items[i].file = std::move(*f);
    items[i].events = static_cast<uint16_t>(pfds[i].events);
  }
  std::optional<int> n = PollItems(t, items, deadline);
  if (!n.has_value()) return std::optional<int>();
  for (uint32_t i = 0; i < nfds; ++i) {
    pfds[i].revents = static_cast<int16_t>(items[i].revents);
  }
  if (nfds > 0) {
    RETURN_IF_ERRNO(
        t.mm().CopyOutFull(fds_addr, pfds.data(), nfds * sizeof(pollfd)));
  }
  return n;
}

SyscallResult PollUntil(Task& t, UserAddr fds, uint32_t nfds,
                        std::optional<absl::Time> deadline) {
  ASSIGN_OR_RETURN_ERRNO(std::optional<int> n, PollFds(t, fds, nfds, deadline));
  if (n.has_value()) return SyscallResult::Value(*n);
  // Linux's do_restart_poll: the same deadline after restart_syscall.
  t.restart_fn = [fds, nfds, deadline](Task& rt) {
    return PollUntil(rt, fds, nfds, deadline);
  };
  return SyscallResult::Restart(RestartKind::kRestartBlock);
}

// Poll implements poll(2). Full.
SyscallResult Poll(Task& t, UserAddr fds, uint32_t nfds, int timeout_ms) {
  std::optional<absl::Duration> d;
  if (timeout_ms >= 0) d = absl::Milliseconds(timeout_ms);
  return PollUntil(t, fds, nfds, DeadlineAfter(d));
}

// Writes the time left before `deadline` to a timespec/timeval (Linux's
// poll_select_finish): nothing for an infinite or zero timeout.
ErrnoStatus WriteTimeLeft(Task& t, UserAddr addr, bool timeval,
                          std::optional<absl::Time> deadline) {
  if (addr.IsNull() || !deadline.has_value() ||
      *deadline == absl::InfinitePast()) {
    return OkErrno();
  }
  absl::Duration left = std::max(*deadline - absl::Now(), absl::ZeroDuration());
  if (timeval) {
    // Truncated to microseconds, as Linux.
    return CopyOutTimeval(t, addr, absl::Trunc(left, absl::Microseconds(1)));
  }
  return CopyOutTimespec(t, addr, left);
}

// Ppoll implements ppoll(2). Full.
SyscallResult Ppoll(Task& t, UserAddr fds, uint32_t nfds, UserAddr tsp,
                    UserAddr sigmask, size_t sigsetsize) {
  std::optional<absl::Time> deadline;
  if (!tsp.IsNull()) {
    ASSIGN_OR_RETURN_ERRNO(absl::Duration d, CopyInTimespec(t, tsp));
    deadline = DeadlineAfter(d);
  }
  if (!sigmask.IsNull()) {
    ASSIGN_OR_RETURN_ERRNO(kernel::SigSet m,
                           CopyInSigmask(t, sigmask, sigsetsize));
    InstallTemporaryMask(t, m);
  }
  auto n = PollFds(t, fds, nfds, deadline);
  const bool interrupted = n.ok() && !n->has_value();
  SyscallResult r = !n.ok() ? SyscallResult::Error(n.error())
                    : interrupted
                        ? SyscallResult::Restart(RestartKind::kRestartNoHand)
                        : SyscallResult::Value(**n);
  if (!WriteTimeLeft(t, tsp, false, deadline).ok() && interrupted) {
    r = SyscallResult::Error(Errno{EINTR});
  }
  if (!sigmask.IsNull()) FinishTemporaryMask(t, interrupted);
  return r;
}

// The three fd_set arguments of select.
struct FdSets {
  UserAddr addr[3];
  std::vector<uint64_t> bits[3];
};

// select's core (Linux's core_sys_select): nullopt when interrupted.
ErrnoOr<std::optional<int>> SelectFds(Task& t, int n, FdSets& sets,
                                      std::optional<absl::Time> deadline) {
  if (n < 0) return Errno{EINVAL};
  const uint64_t max = TaskFdTable(t).limit();
  if (static_cast<uint64_t>(n) > max) n = static_cast<int>(max);
  const size_t words = (static_cast<size_t>(n) + 63) / 64;
  for (int s = 0; s < 3; ++s) {
    sets.bits[s].assign(words, 0);
    if (!sets.addr[s].IsNull() && words > 0) {
      RETURN_IF_ERRNO(t.mm().CopyInFull(sets.addr[s], sets.bits[s].data(),
                                        words * sizeof(uint64_t)));
    }
  }
  auto has = [&](int s, int fd) {
    return (sets.bits[s][fd / 64] >> (fd % 64)) & 1;
  };
  std::vector<PollItem> items;
  std::vector<int> item_fd;
  for (int fd = 0; fd < n; ++fd) {
    bool in = has(0, fd), out = has(1, fd), ex = has(2, fd);
    if (!in && !out && !ex) continue;
    ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd));
    if (f->is_path()) return Errno{EBADF};
    PollItem it;
    it.file = std::move(f);
    it.events =
        (in ? kSelectIn : 0) | (out ? kSelectOut : 0) | (ex ? kSelectEx : 0);
    items.push_back(std::move(it));
    item_fd.push_back(fd);
  }
  std::optional<int> ready = PollItems(t, items, deadline);
  if (!ready.has_value()) return std::optional<int>();
  std::vector<uint64_t> out[3];
  for (int s = 0; s < 3; ++s) out[s].assign(words, 0);
  int count = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const int fd = item_fd[i];
    const uint32_t r = items[i].revents;
    const uint32_t masks[3] = {kSelectIn, kSelectOut, kSelectEx};
    for (int s = 0; s < 3; ++s) {
      if (has(s, fd) && (r & masks[s])) {
        out[s][fd / 64] |= uint64_t{1} << (fd % 64);
        ++count;
      }
    }
  }
  for (int s = 0; s < 3; ++s) {
    if (!sets.addr[s].IsNull() && words > 0) {
      RETURN_IF_ERRNO(t.mm().CopyOutFull(sets.addr[s], out[s].data(),
                                         words * sizeof(uint64_t)));
    }
  }
  return std::optional<int>(count);
}

SyscallResult FinishSelect(Task& t, ErrnoOr<std::optional<int>> n,
                           UserAddr timeout, bool timeval,
                           std::optional<absl::Time> deadline) {
  const bool interrupted = n.ok() && !n->has_value();
  SyscallResult r = !n.ok() ? SyscallResult::Error(n.error())
                    : interrupted
                        ? SyscallResult::Restart(RestartKind::kRestartNoHand)
                        : SyscallResult::Value(**n);
  if (!WriteTimeLeft(t, timeout, timeval, deadline).ok() && interrupted) {
    r = SyscallResult::Error(Errno{EINTR});
  }
  return r;
}

// Select implements select(2). Full.
SyscallResult Select(Task& t, int n, UserAddr in, UserAddr out, UserAddr ex,
                     UserAddr tvp) {
  std::optional<absl::Time> deadline;
  if (!tvp.IsNull()) {
    ASSIGN_OR_RETURN_ERRNO(timeval tv, t.mm().CopyInObj(UserPtr<timeval>(tvp)));
    if (tv.tv_sec < 0 || tv.tv_usec < 0) return Errno{EINVAL};
    // Linux folds excess microseconds into seconds rather than failing.
    deadline = DeadlineAfter(absl::Seconds(tv.tv_sec) +
                             absl::Microseconds(tv.tv_usec));
  }
  FdSets sets{{in, out, ex}, {}};
  auto r = SelectFds(t, n, sets, deadline);
  return FinishSelect(t, std::move(r), tvp, true, deadline);
}

struct PselectSigArg {
  uint64_t ss;
  uint64_t ss_len;
};

// Pselect6 implements pselect6(2). Full.
SyscallResult Pselect6(Task& t, int n, UserAddr in, UserAddr out, UserAddr ex,
                       UserAddr tsp, UserAddr sig) {
  std::optional<absl::Time> deadline;
  if (!tsp.IsNull()) {
    ASSIGN_OR_RETURN_ERRNO(absl::Duration d, CopyInTimespec(t, tsp));
    deadline = DeadlineAfter(d);
  }
  bool masked = false;
  if (!sig.IsNull()) {
    ASSIGN_OR_RETURN_ERRNO(PselectSigArg a,
                           t.mm().CopyInObj(UserPtr<PselectSigArg>(sig)));
    if (a.ss != 0) {
      ASSIGN_OR_RETURN_ERRNO(kernel::SigSet m,
                             CopyInSigmask(t, UserAddr(a.ss), a.ss_len));
      InstallTemporaryMask(t, m);
      masked = true;
    }
  }
  FdSets sets{{in, out, ex}, {}};
  auto r = SelectFds(t, n, sets, deadline);
  const bool interrupted = r.ok() && !r->has_value();
  SyscallResult res = FinishSelect(t, std::move(r), tsp, false, deadline);
  if (masked) FinishTemporaryMask(t, interrupted);
  return res;
}

}  // namespace

void RegisterPollSyscalls(SyscallTable& tab) {
  tab.Set(__NR_poll, FileAdapt<&Poll>, Support::kFull);
  tab.Set(__NR_ppoll, FileAdapt<&Ppoll>, Support::kFull);
  tab.Set(__NR_select, FileAdapt<&Select>, Support::kFull);
  tab.Set(__NR_pselect6, FileAdapt<&Pselect6>, Support::kFull);
}

}  // namespace sentry::syscalls
