// epoll_create/epoll_create1, epoll_ctl, epoll_wait/epoll_pwait/epoll_pwait2
// over fs::epoll::Epoll. The waits return EINTR (never restarted), as
// Linux's epoll_wait.
#include <sys/epoll.h>
#include <sys/syscall.h>

#include <climits>
#include <vector>

#include "sentry/fs/epoll/epoll.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/poll_wait.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

using fs::epoll::Epoll;

// struct epoll_event is packed on x86-64 (12 bytes).
struct __attribute__((packed)) KEpollEvent {
  uint32_t events;
  uint64_t data;
};
static_assert(sizeof(KEpollEvent) == 12);

// Linux's EP_MAX_EVENTS.
constexpr int kMaxEvents = INT_MAX / sizeof(KEpollEvent);

SyscallResult NewEpollFd(Task& t, int flags) {
  auto creds = t.creds();
  ASSIGN_OR_RETURN_ERRNO(
      vfs::FileRef f,
      fs::epoll::NewEpoll(SandboxVfs(), flags, creds->effective_uid,
                          creds->effective_gid));
  return SyscallResult::From(
      TaskFdTable(t).Add(std::move(f), flags & EPOLL_CLOEXEC));
}

// EpollCreate implements epoll_create(2). Full (size is only checked).
SyscallResult EpollCreate(Task& t, int size) {
  if (size <= 0) return Errno{EINVAL};
  return NewEpollFd(t, 0);
}

// EpollCreate1 implements epoll_create1(2). Full.
SyscallResult EpollCreate1(Task& t, int flags) { return NewEpollFd(t, flags); }

// EpollCtl implements epoll_ctl(2). Full; EPOLLEXCLUSIVE wakes every waiter.
SyscallResult EpollCtl(Task& t, Fd epfd, int op, Fd fd, UserAddr event) {
  KEpollEvent ev{};
  if (op != EPOLL_CTL_DEL) {
    ASSIGN_OR_RETURN_ERRNO(ev, t.mm().CopyInObj(UserPtr<KEpollEvent>(event)));
  }
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef ef, GetFile(t, epfd.value));
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  if (ef->is_path() || f->is_path()) return Errno{EBADF};
  Epoll* ep = fs::epoll::AsEpoll(*ef);
  if (ep == nullptr) return Errno{EINVAL};
  RETURN_IF_ERRNO(fs::epoll::ValidateCtl(op, ev.events, ef == f,
                                         fs::epoll::AsEpoll(*f) != nullptr));
  switch (op) {
    case EPOLL_CTL_ADD:
      return SyscallResult::From(ep->Add(f, fd.value, ev.events, ev.data));
    case EPOLL_CTL_MOD:
      return SyscallResult::From(ep->Modify(f, fd.value, ev.events, ev.data));
    default:
      return SyscallResult::From(ep->Delete(f, fd.value));
  }
}

// The wait of epoll_wait/pwait/pwait2: EINTR when interrupted.
SyscallResult Wait(Task& t, int epfd, UserAddr events, int maxevents,
                   std::optional<absl::Time> deadline) {
  if (maxevents <= 0 || maxevents > kMaxEvents) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef ef, GetFile(t, epfd));
  Epoll* ep = fs::epoll::AsEpoll(*ef);
  if (ep == nullptr) return Errno{EINVAL};
  TaskWaker waker(t);
  vfs::EventRegistration reg;
  const bool may_block =
      !deadline.has_value() || *deadline != absl::InfinitePast();
  bool timed_out = false;
  for (;;) {
    t.PrepareBlock();
    if (may_block && !timed_out) {
      reg = vfs::EventRegistration(ep->Events(), &waker, POLLIN);
    }
    std::vector<fs::epoll::ReadyEvent> got = ep->Collect(maxevents);
    if (!got.empty()) {
      std::vector<KEpollEvent> out;
      out.reserve(got.size());
      for (const auto& g : got) out.push_back(KEpollEvent{g.events, g.data});
      RETURN_IF_ERRNO(t.mm().CopyOutFull(events, out.data(),
                                         out.size() * sizeof(KEpollEvent)));
      return SyscallResult::Value(static_cast<int64_t>(out.size()));
    }
    if (!may_block || timed_out) return SyscallResult::Value(0);
    switch (t.Block(deadline)) {
      case Task::BlockResult::kNotified:
        break;
      case Task::BlockResult::kTimedOut:
        timed_out = true;
        break;
      case Task::BlockResult::kInterrupted:
        return Errno{EINTR};
    }
  }
}

std::optional<absl::Time> MsDeadline(int timeout_ms) {
  std::optional<absl::Duration> d;
  if (timeout_ms >= 0) d = absl::Milliseconds(timeout_ms);
  return DeadlineAfter(d);
}

// EpollWait implements epoll_wait(2). Full.
SyscallResult EpollWait(Task& t, Fd epfd, UserAddr events, int maxevents,
                        int timeout_ms) {
  return Wait(t, epfd.value, events, maxevents, MsDeadline(timeout_ms));
}

SyscallResult WaitWithMask(Task& t, int epfd, UserAddr events, int maxevents,
                           std::optional<absl::Time> deadline, UserAddr sigmask,
                           size_t sigsetsize) {
  if (sigmask.IsNull()) return Wait(t, epfd, events, maxevents, deadline);
  ASSIGN_OR_RETURN_ERRNO(kernel::SigSet m,
                         CopyInSigmask(t, sigmask, sigsetsize));
  InstallTemporaryMask(t, m);
  SyscallResult r = Wait(t, epfd, events, maxevents, deadline);
  FinishTemporaryMask(t, r.IsError() && r.error() == Errno{EINTR});
  return r;
}

// EpollPwait implements epoll_pwait(2). Full.
SyscallResult EpollPwait(Task& t, Fd epfd, UserAddr events, int maxevents,
                         int timeout_ms, UserAddr sigmask, size_t sigsetsize) {
  return WaitWithMask(t, epfd.value, events, maxevents, MsDeadline(timeout_ms),
                      sigmask, sigsetsize);
}

// EpollPwait2 implements epoll_pwait2(2). Full.
SyscallResult EpollPwait2(Task& t, Fd epfd, UserAddr events, int maxevents,
                          UserAddr timeout, UserAddr sigmask,
                          size_t sigsetsize) {
  std::optional<absl::Time> deadline;
  if (!timeout.IsNull()) {
    ASSIGN_OR_RETURN_ERRNO(absl::Duration d, CopyInTimespec(t, timeout));
    deadline = DeadlineAfter(d);
  }
  return WaitWithMask(t, epfd.value, events, maxevents, deadline, sigmask,
                      sigsetsize);
}

}  // namespace

void RegisterEpollSyscalls(SyscallTable& tab) {
  tab.Set(__NR_epoll_create, FileAdapt<&EpollCreate>, Support::kFull);
  tab.Set(__NR_epoll_create1, FileAdapt<&EpollCreate1>, Support::kFull);
  tab.Set(__NR_epoll_ctl, FileAdapt<&EpollCtl>, Support::kFull);
  tab.Set(__NR_epoll_wait, FileAdapt<&EpollWait>, Support::kFull);
  tab.Set(__NR_epoll_pwait, FileAdapt<&EpollPwait>, Support::kFull);
  tab.Set(__NR_epoll_pwait2, FileAdapt<&EpollPwait2>, Support::kFull);
}

}  // namespace sentry::syscalls
