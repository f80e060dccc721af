#include "sentry/kernel/signal.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace sentry::kernel {

DefaultAction DefaultActionFor(int sig) {
  switch (sig) {
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSYS:
      return DefaultAction::kCore;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return DefaultAction::kStop;
    case SIGCONT:
      return DefaultAction::kContinue;
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
      return DefaultAction::kIgnore;
    default:
      // Everything else, including all real-time signals, terminates.
      return DefaultAction::kTerminate;
  }
}

std::string SignalName(int sig) {
  static const char* const kNames[] = {
      nullptr,   "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP",
      "SIGABRT", "SIGBUS",  "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV",
      "SIGUSR2", "SIGPIPE", "SIGALRM",   "SIGTERM", "SIGSTKFLT", "SIGCHLD",
      "SIGCONT", "SIGSTOP", "SIGTSTP",   "SIGTTIN", "SIGTTOU",   "SIGURG",
      "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",  "SIGIO",
      "SIGPWR",  "SIGSYS"};
  if (sig >= 1 && sig < kFirstRtSignal) return kNames[sig];
  if (sig >= kFirstRtSignal && sig <= kMaxSignal) {
    return absl::StrCat("SIGRT", sig - kFirstRtSignal);
  }
  return absl::StrCat("SIG", sig);
}

siginfo_t MakeSigInfo(int sig, int code, int32_t pid, uint32_t uid) {
  siginfo_t info;
  memset(&info, 0, sizeof(info));
  info.si_signo = sig;
  info.si_code = code;
  info.si_pid = pid;
  info.si_uid = uid;
  return info;
}

bool PendingSignals::Enqueue(const siginfo_t& info, size_t rt_limit) {
  int sig = info.si_signo;
  if (sig < kFirstRtSignal) {
    if (pending_.Has(sig)) return false;
  } else if (queues_[sig].size() >= rt_limit) {
    return false;
  }
  queues_[sig].push_back(info);
  pending_.Add(sig);
  return true;
}

std::optional<siginfo_t> PendingSignals::Dequeue(SigSet blocked) {
  SigSet ready = pending_ & ~blocked;
  if (ready.Empty()) return std::nullopt;
  SigSet sync = ready & kSynchronousSignals;
  uint64_t bits = sync.Empty() ? ready.bits() : sync.bits();
  int sig = __builtin_ctzll(bits) + 1;
  siginfo_t info = queues_[sig].front();
  queues_[sig].pop_front();
  if (queues_[sig].empty()) pending_.Remove(sig);
  return info;
}

void PendingSignals::Discard(SigSet set) {
  for (int sig = 1; sig <= kMaxSignal; ++sig) {
    if (set.Has(sig) && pending_.Has(sig)) {
      queues_[sig].clear();
      pending_.Remove(sig);
    }
  }
}

siginfo_t* PendingSignals::FindTimerSignal(int sig, int timer_id) {
  if (sig < 1 || sig > kMaxSignal) return nullptr;
  for (siginfo_t& info : queues_[sig]) {
    if (info.si_code == SI_TIMER && info.si_timerid == timer_id) return &info;
  }
  return nullptr;
}

}  // namespace sentry::kernel
