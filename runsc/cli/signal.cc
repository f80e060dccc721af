#include "runsc/cli/signal.h"

#include <csignal>

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace runsc::cli {
namespace {

struct NamedSignal {
  const char* name;  // Without "SIG".
  int number;
};

// x86-64 Linux numbering. The first entry for a number is its canonical name.
constexpr NamedSignal kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT},
    {"ILL", SIGILL},       {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},
    {"IOT", SIGIOT},       {"BUS", SIGBUS},       {"FPE", SIGFPE},
    {"KILL", SIGKILL},     {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},
    {"TERM", SIGTERM},     {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},
    {"CLD", SIGCHLD},      {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},     {"WINCH", SIGWINCH},
    {"IO", SIGIO},         {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

absl::Status BadSignal(absl::string_view s) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid signal \"", s,
      "\": want a number in 1..64 or a name such as KILL, SIGTERM, RTMIN+1"));
}

}  // namespace

absl::StatusOr<int> ParseSignal(absl::string_view s) {
  if (s.empty()) return BadSignal(s);
  if (absl::ascii_isdigit(static_cast<unsigned char>(s[0]))) {
    int n = 0;
    if (s.size() > 2 ||
        !absl::c_all_of(s,
                        [](char c) {
                          return absl::ascii_isdigit(
                              static_cast<unsigned char>(c));
                        }) ||
        !absl::SimpleAtoi(s, &n) || n < 1 || n > kSigRtMax) {
      return BadSignal(s);
    }
    return n;
  }
  std::string name = absl::AsciiStrToUpper(s);
  absl::string_view v = name;
  absl::ConsumePrefix(&v, "SIG");
  for (const NamedSignal& sig : kSignals) {
    if (v == sig.name) return sig.number;
  }
  // Real-time signals: RTMIN, RTMIN+n, RTMAX, RTMAX-n.
  int base = 0;
  int sign = 0;
  if (absl::ConsumePrefix(&v, "RTMIN")) {
    base = kSigRtMin;
    sign = 1;
  } else if (absl::ConsumePrefix(&v, "RTMAX")) {
    base = kSigRtMax;
    sign = -1;
  } else {
    return BadSignal(s);
  }
  if (v.empty()) return base;
  if (v[0] != (sign > 0 ? '+' : '-')) return BadSignal(s);
  v.remove_prefix(1);
  int off = 0;
  if (v.empty() || v.size() > 2 ||
      !absl::c_all_of(v,
                      [](char c) {
                        return absl::ascii_isdigit(
                            static_cast<unsigned char>(c));
                      }) ||
      !absl::SimpleAtoi(v, &off) || off > kSigRtMax - kSigRtMin) {
    return BadSignal(s);
  }
  return base + sign * off;
}

std::string SignalName(int sig) {
  for (const NamedSignal& s : kSignals) {
    if (s.number == sig) return absl::StrCat("SIG", s.name);
  }
  if (sig == kSigRtMin) return "SIGRTMIN";
  if (sig == kSigRtMax) return "SIGRTMAX";
  if (sig > kSigRtMin && sig < kSigRtMax) {
    return absl::StrCat("SIGRTMIN+", sig - kSigRtMin);
  }
  return absl::StrCat("SIG", sig);
}

}  // namespace runsc::cli
