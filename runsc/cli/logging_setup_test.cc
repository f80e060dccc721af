#include "runsc/cli/logging_setup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace runsc::cli {
namespace {

using ::testing::HasSubstr;

class LogSetupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/runsc_log_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    base::ClearLogSinks();
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static std::vector<std::string> Lines(const std::string& s) {
    return absl::StrSplit(s, '\n', absl::SkipEmpty());
  }
  std::string dir_;
};

TEST_F(LogSetupTest, JsonLogAppendsAcrossInstalls) {
  GlobalOptions g;
  g.log = dir_ + "/log.json";
  g.log_format = "json";
  {
    auto s = LogSetup::Install(g, "create", "c1");
    ASSERT_TRUE(s.ok()) << s.status();
    LOG(INFO) << "first";
    LOG(DEBUG) << "not at info level";
  }
  {
    auto s = LogSetup::Install(g, "start", "c1");
    ASSERT_TRUE(s.ok()) << s.status();
    LOG(WARNING) << "second \"quoted\"";
  }
  std::vector<std::string> lines = Lines(ReadFile(g.log));
  ASSERT_EQ(lines.size(), 2u);
  auto a = nlohmann::json::parse(lines[0]);
  auto b = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(a["level"], "info");
  EXPECT_EQ(a["msg"], "first");
  EXPECT_EQ(b["level"], "warning");
  EXPECT_EQ(b["msg"], "second \"quoted\"");
  EXPECT_TRUE(b["time"].is_string());
  // The file was opened O_APPEND|O_CLOEXEC; check via the mode too.
  struct stat st;
  ASSERT_EQ(::stat(g.log.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_F(LogSetupTest, DebugFlagLowersTheLevel) {
  GlobalOptions g;
  g.log = dir_ + "/log.txt";
  g.debug = true;
  {
    auto s = LogSetup::Install(g, "state", "c1");
    ASSERT_TRUE(s.ok()) << s.status();
    LOG(DEBUG) << "debug line";
  }
  std::string text = ReadFile(g.log);
  EXPECT_THAT(text, HasSubstr("debug line"));
  EXPECT_EQ(text[0], 'D');
}

TEST_F(LogSetupTest, ReportErrorGoesToTheLogOnceAsError) {
  GlobalOptions g;
  g.log = dir_ + "/log.json";
  g.log_format = "json";
  {
    auto s = LogSetup::Install(g, "state", "c1");
    ASSERT_TRUE(s.ok()) << s.status();
    (*s)->ReportError("container \"c1\" does not exist");
  }
  std::vector<std::string> lines = Lines(ReadFile(g.log));
  ASSERT_EQ(lines.size(), 1u);
  auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "container \"c1\" does not exist");
}

TEST_F(LogSetupTest, DebugLogDirectoryGetsAFilePerCommand) {
  GlobalOptions g;
  g.debug_log = dir_ + "/dbg/";  // Created because of the trailing '/'.
  std::string path;
  {
    auto s = LogSetup::Install(g, "create", "c1");
    ASSERT_TRUE(s.ok()) << s.status();
    path = (*s)->debug_log_path();
    LOG(DEBUG) << "to the debug log";
  }
  EXPECT_EQ(path,
            dir_ + "/dbg/runsc." + std::to_string(::getpid()) + ".create.log");
  EXPECT_THAT(ReadFile(path), HasSubstr("to the debug log"));

  // An existing directory without the trailing slash works too.
  g.debug_log = dir_ + "/dbg";
  auto s = LogSetup::Install(g, "delete", "c1");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->debug_log_path(),
            dir_ + "/dbg/runsc." + std::to_string(::getpid()) + ".delete.log");
}

TEST_F(LogSetupTest, DebugLogFileWithPatterns) {
  GlobalOptions g;
  g.debug_log = dir_ + "/%ID%.%COMMAND%.log";
  g.debug_log_format = "json";
  {
    auto s = LogSetup::Install(g, "start", "abc");
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ((*s)->debug_log_path(), dir_ + "/abc.start.log");
    LOG(DEBUG) << "hello";
  }
  auto j = nlohmann::json::parse(ReadFile(dir_ + "/abc.start.log"));
  EXPECT_EQ(j["level"], "debug");
}

TEST_F(LogSetupTest, UnopenableLogFallsBackToStderrWithAWarning) {
  GlobalOptions g;
  g.log = dir_ + "/missing/dir/log.json";
  g.log_format = "json";
  std::string err_path = dir_ + "/stderr";
  int saved = ::dup(STDERR_FILENO);
  ASSERT_GE(saved, 0);
  int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(err, 0);
  ::dup2(err, STDERR_FILENO);
  ::close(err);
  {
    auto s = LogSetup::Install(g, "delete", "c1");
    EXPECT_TRUE(s.ok()) << s.status();
    LOG(ERROR) << "still reported";
  }
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::string text = ReadFile(err_path);
  EXPECT_THAT(text, HasSubstr(g.log));
  EXPECT_THAT(text, HasSubstr("still reported"));
  EXPECT_EQ(text[0], 'W');  // Text format on stderr, warning first.
}

TEST(LogLevelTest, FromFlags) {
  GlobalOptions g;
  EXPECT_EQ(LogLevelFromFlags(g), base::LogLevel::kInfo);
  g.log_level = "warn";
  EXPECT_EQ(LogLevelFromFlags(g), base::LogLevel::kWarning);
  g.log_level = "error";
  EXPECT_EQ(LogLevelFromFlags(g), base::LogLevel::kError);
  g.debug = true;
  EXPECT_EQ(LogLevelFromFlags(g), base::LogLevel::kDebug);
}

TEST(DebugLogPathTest, Timestamp) {
  std::string p = DebugLogPath("/x/%TIMESTAMP%.log", false, "run", "id", 7,
                               absl::FromUnixSeconds(0));
  EXPECT_EQ(p, "/x/19700101-000000.000000.log");
}

}  // namespace
}  // namespace runsc::cli
