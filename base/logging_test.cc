#include "base/logging.h"

#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace base {
namespace {

TEST(LoggingTest, JsonRecordHasLevelMsgAndRfc3339Time) {
  absl::Time t = absl::FromUnixMicros(1763824292123456);
  std::string line = FormatLogRecord(LogFormat::kJson, LogLevel::kError, t,
                                     "bad \"quote\"\nnext");
  ASSERT_EQ(line.back(), '\n');
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "bad \"quote\"\nnext");
  EXPECT_EQ(j["time"], "2025-11-22T15:11:32.123456Z");
}

TEST(LoggingTest, TextRecordStartsWithLevelLetter) {
  std::string line = FormatLogRecord(LogFormat::kText, LogLevel::kWarning,
                                     absl::UnixEpoch(), "hello");
  EXPECT_EQ(line.substr(0, 1), "W");
  EXPECT_NE(line.find("] hello\n"), std::string::npos);
}

TEST(LoggingTest, SinksFilterByLevelAndWriteWholeLines) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ClearLogSinks();
  AddLogSink(fds[1], LogFormat::kJson, LogLevel::kInfo, /*owned=*/true);
  LOG(DEBUG) << "dropped";
  LOG(INFO) << "kept " << 42;
  ClearLogSinks();  // Closes the write end.
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, n);
  ::close(fds[0]);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["msg"], "kept 42");
  EXPECT_EQ(j["level"], "info");
}

TEST(LoggingTest, ParseLogFormat) {
  LogFormat f;
  EXPECT_TRUE(ParseLogFormat("json", &f));
  EXPECT_EQ(f, LogFormat::kJson);
  EXPECT_TRUE(ParseLogFormat("text", &f));
  EXPECT_EQ(f, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("xml", &f));
}

}  // namespace
}  // namespace base
