// Signal values: sets, actions, default dispositions and the pending queue.
//
// These are plain data types; the locking is the owner's (the Kernel's signal
// lock, see kernel.h). Matches Linux: signals 1..64, 32..64 are real-time
// (glibc reserves 32 and 33 but the kernel does not distinguish them);
// standard signals do not queue (a second instance while one is pending is
// dropped), real-time signals queue in order; delivery takes synchronous
// (fault) signals first, then the lowest number, like Linux's next_signal().
#ifndef SENTRY_KERNEL_SIGNAL_H_
#define SENTRY_KERNEL_SIGNAL_H_

#include <signal.h>

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace sentry::kernel {

inline constexpr int kMaxSignal = 64;
inline constexpr int kFirstRtSignal = 32;

inline bool ValidSignal(int sig) { return sig >= 1 && sig <= kMaxSignal; }

// A set of signals; bit (sig - 1), the kernel's sigset_t layout.
class SigSet {
 public:
  constexpr SigSet() = default;
  constexpr explicit SigSet(uint64_t bits) : bits_(bits) {}
  static constexpr SigSet Of(int sig) {
    return SigSet(uint64_t{1} << (sig - 1));
  }
  constexpr uint64_t bits() const { return bits_; }
  constexpr bool Has(int sig) const {
    return bits_ & (uint64_t{1} << (sig - 1));
  }
  void Add(int sig) { bits_ |= uint64_t{1} << (sig - 1); }
  void Remove(int sig) { bits_ &= ~(uint64_t{1} << (sig - 1)); }
  constexpr bool Empty() const { return bits_ == 0; }
  constexpr SigSet operator|(SigSet o) const { return SigSet(bits_ | o.bits_); }
  constexpr SigSet operator&(SigSet o) const { return SigSet(bits_ & o.bits_); }
  constexpr SigSet operator~() const { return SigSet(~bits_); }
  constexpr bool operator==(const SigSet&) const = default;

 private:
  uint64_t bits_ = 0;
};

// Signals that can never be blocked, caught or ignored.
inline constexpr SigSet kUnblockable =
    SigSet((uint64_t{1} << (SIGKILL - 1)) | (uint64_t{1} << (SIGSTOP - 1)));

// The kernel's struct sigaction for rt_sigaction(2) (not glibc's layout).
struct KernelSigAction {
  uint64_t handler = 0;  // SIG_DFL (0), SIG_IGN (1) or an address
  uint64_t flags = 0;
  uint64_t restorer = 0;
  uint64_t mask = 0;
};
static_assert(sizeof(KernelSigAction) == 32);

inline constexpr uint64_t kSigDfl = 0;
inline constexpr uint64_t kSigIgn = 1;
// SA_RESTORER is not in every libc header set.
inline constexpr uint64_t kSaRestorer = 0x04000000;

enum class DefaultAction { kTerminate, kCore, kStop, kContinue, kIgnore };

// Linux's default disposition table (signal(7)).
DefaultAction DefaultActionFor(int sig);

// "SIGSEGV", "SIGRT3" (= SIGRTMIN+3 in kernel terms: 32+3), "SIG99".
std::string SignalName(int sig);

// Synchronous (fault-generated) signals are dequeued first.
inline constexpr SigSet kSynchronousSignals =
    SigSet((uint64_t{1} << (SIGSEGV - 1)) | (uint64_t{1} << (SIGBUS - 1)) |
           (uint64_t{1} << (SIGILL - 1)) | (uint64_t{1} << (SIGTRAP - 1)) |
           (uint64_t{1} << (SIGFPE - 1)) | (uint64_t{1} << (SIGSYS - 1)));

// Builds a siginfo for a signal sent by a process (kill/tkill: SI_USER or
// SI_TKILL) or by the kernel (SI_KERNEL).
siginfo_t MakeSigInfo(int sig, int code, int32_t pid = 0, uint32_t uid = 0);

// The pending signals of one task or one thread group.
class PendingSignals {
 public:
  // Queues `info`. Returns false if a standard signal of the same number was
  // already pending (dropped, like Linux) or the RT queue limit was hit.
  bool Enqueue(const siginfo_t& info, size_t rt_limit = 1024);
  // The set of signals with at least one pending instance.
  SigSet Pending() const { return pending_; }
  // Removes and returns the best signal not in `blocked`, if any.
  std::optional<siginfo_t> Dequeue(SigSet blocked);
  // Removes every instance of the signals in `set` (ignoring a signal, or
  // SIGCONT discarding stop signals and vice versa).
  void Discard(SigSet set);
  // The queued SI_TIMER signal of POSIX timer `timer_id` (signal `sig`), if
  // one is still pending: a timer's signal is queued once and later
  // expirations only raise its si_overrun (Linux's posix_timer_event).
  siginfo_t* FindTimerSignal(int sig, int timer_id);

 private:
  SigSet pending_;
  std::array<std::deque<siginfo_t>, kMaxSignal + 1> queues_;
};

}  // namespace sentry::kernel

#endif  // SENTRY_KERNEL_SIGNAL_H_
