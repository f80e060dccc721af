#include "runsc/cli/signal.h"

#include <csignal>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runsc::cli {
namespace {

using ::testing::HasSubstr;

struct GoodCase {
  const char* input;
  int want;
};

TEST(ParseSignalTest, AcceptsNumbersNamesAndRealtime) {
  const GoodCase cases[] = {
      {"9", SIGKILL},           {"1", SIGHUP},
      {"15", SIGTERM},          {"64", 64},
      {"KILL", SIGKILL},        {"SIGKILL", SIGKILL},
      {"sigkill", SIGKILL},     {"kill", SIGKILL},
      {"SigTerm", SIGTERM},     {"TERM", SIGTERM},
      {"HUP", SIGHUP},          {"USR1", SIGUSR1},
      {"SIGUSR2", SIGUSR2},     {"WINCH", SIGWINCH},
      {"CHLD", SIGCHLD},        {"CLD", SIGCHLD},
      {"IOT", SIGABRT},         {"POLL", SIGIO},
      {"SIGSTKFLT", SIGSTKFLT}, {"PWR", SIGPWR},
      {"SYS", SIGSYS},          {"RTMIN", 34},
      {"SIGRTMIN", 34},         {"RTMIN+1", 35},
      {"sigrtmin+30", 64},      {"RTMAX", 64},
      {"SIGRTMAX-2", 62},       {"RTMAX-30", 34},
  };
  for (const GoodCase& c : cases) {
    absl::StatusOr<int> got = ParseSignal(c.input);
    ASSERT_TRUE(got.ok()) << c.input << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.input;
  }
}

TEST(ParseSignalTest, RejectsBadInputAndNamesIt) {
  const char* bad[] = {"",        "0",        "65",       "-9",     "999",
                       "SIGFOO",  "KILLX",    "SIG",      "RTMIN+", "RTMIN-1",
                       "RTMAX+1", "RTMIN+31", "RTMAX-31", " 9",     "9 ",
                       "+9",      "RTMIN+x",  "RTMIN+-1"};
  for (const char* s : bad) {
    absl::StatusOr<int> got = ParseSignal(s);
    ASSERT_FALSE(got.ok()) << "accepted \"" << s << "\" as " << *got;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(got.status().message()),
                HasSubstr(std::string("\"") + s + "\""));
  }
}

TEST(SignalNameTest, CanonicalNames) {
  EXPECT_EQ(SignalName(SIGKILL), "SIGKILL");
  EXPECT_EQ(SignalName(SIGABRT), "SIGABRT");
  EXPECT_EQ(SignalName(SIGCHLD), "SIGCHLD");
  EXPECT_EQ(SignalName(34), "SIGRTMIN");
  EXPECT_EQ(SignalName(36), "SIGRTMIN+2");
  EXPECT_EQ(SignalName(64), "SIGRTMAX");
  EXPECT_EQ(SignalName(32), "SIG32");
}

TEST(SignalNameTest, RoundTrips) {
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == 32 || sig == 33) continue;  // glibc-internal: no name.
    absl::StatusOr<int> back = ParseSignal(SignalName(sig));
    ASSERT_TRUE(back.ok()) << SignalName(sig);
    EXPECT_EQ(*back, sig);
  }
}

}  // namespace
}  // namespace runsc::cli
