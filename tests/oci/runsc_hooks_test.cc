// End to end: OCI hooks run by create, start and delete with the state JSON
// on stdin, their timeouts and failure semantics (runsc/cmd/hooks.h).
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "tests/oci/lifecycle_harness.h"

namespace oci_test {
namespace {

using ::testing::HasSubstr;

class HooksTest : public LifecycleTest {
 protected:
  // A hook that appends "<kind> <state JSON>\n" to <dir>/hooks.log.
  json LoggingHook(const std::string& kind) {
    return {
        {"path", "/bin/sh"},
        {"args",
         {"sh", "-c",
          absl::StrCat("printf '", kind, " ' >> ", dir_, "/hooks.log; cat >> ",
                       dir_, "/hooks.log; echo >> ", dir_, "/hooks.log")}},
        {"env", {"PATH=/usr/bin:/bin"}}};
  }
  json FailingHook() {
    return {{"path", "/bin/sh"}, {"args", {"sh", "-c", "exit 3"}}};
  }
  void WriteConfig() {
    std::ofstream(bundle_ + "/config.json") << config_.dump(2);
  }
  // (kind, state) in the order the hooks ran.
  std::vector<std::pair<std::string, json>> Log() {
    std::vector<std::pair<std::string, json>> out;
    for (absl::string_view line :
         absl::StrSplit(ReadFile(dir_ + "/hooks.log"), '\n')) {
      if (line.empty()) continue;
      size_t sp = line.find(' ');
      out.push_back({std::string(line.substr(0, sp)),
                     json::parse(line.substr(sp + 1), nullptr, false)});
    }
    return out;
  }
};

TEST_F(HooksTest, EveryHookRunsInOrderWithTheState) {
  config_["process"]["args"] = {"sleep", "1000"};
  for (const char* k : {"prestart", "createRuntime", "createContainer",
                        "poststart", "poststop"}) {
    config_["hooks"][k] = json::array({LoggingHook(k)});
  }
  // startContainer runs inside the container (its path is the container's
  // /bin/sh): it sees the rootfs's marker and writes into the container.
  std::ofstream(bundle_ + "/rootfs/marker") << "in-the-container\n";
  config_["hooks"]["startContainer"] = json::array(
      {{{"path", "/bin/sh"},
        {"args", {"sh", "-c", "cat /marker > /start.log; cat >> /start.log"}},
        {"env", {"PATH=/bin"}}}});
  WriteConfig();
  Result r = Runsc({"create", "--bundle", bundle_, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("c1");
  auto log = Log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].first, "prestart");
  EXPECT_EQ(log[1].first, "createRuntime");
  EXPECT_EQ(log[2].first, "createContainer");
  EXPECT_EQ(log[0].second["id"], "c1");
  EXPECT_EQ(log[0].second["status"], "creating");
  EXPECT_GT(log[0].second["pid"].get<int>(), 0);
  EXPECT_EQ(log[0].second["bundle"], bundle_);
  r = Runsc({"start", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  log = Log();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[3].first, "poststart");
  EXPECT_EQ(log[3].second["status"], "running");
  r = Runsc({"exec", "c1", "cat", "/start.log"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_TRUE(absl::StartsWith(r.out, "in-the-container\n")) << r.out;
  json start_state =
      json::parse(r.out.substr(strlen("in-the-container\n")), nullptr, false);
  EXPECT_EQ(start_state["id"], "c1") << r.out;
  EXPECT_EQ(start_state["status"], "created");
  EXPECT_FALSE(Exists(bundle_ + "/rootfs/start.log"));  // the overlay's
  ASSERT_EQ(Runsc({"delete", "--force", "c1"}).code, 0);
  log = Log();
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[4].first, "poststop");
  EXPECT_EQ(log[4].second["status"], "stopped");
}

TEST_F(HooksTest, StartContainerHookTimeoutStopsTheContainer) {
  config_["process"]["args"] = {"sleep", "1000"};
  config_["hooks"]["startContainer"] = json::array(
      {{{"path", "/bin/sleep"}, {"args", {"sleep", "100"}}, {"timeout", 1}}});
  WriteConfig();
  ASSERT_EQ(Runsc({"create", "--bundle", bundle_, "c1"}).code, 0);
  started_.push_back("c1");
  Result r = Runsc({"start", "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("startContainer hook #0 (/bin/sleep)"));
  EXPECT_THAT(r.err, HasSubstr("timeout"));
  EXPECT_EQ(Status("c1"), "stopped");
  EXPECT_EQ(Runsc({"delete", "c1"}).code, 0);
}

TEST_F(HooksTest, StartContainerHookPathResolvesInTheContainer) {
  config_["process"]["args"] = {"sleep", "1000"};
  // A hook that exists (and succeeds) on the host only.
  const std::string hook = dir_ + "/host-only-hook";
  std::ofstream(hook) << "#!/bin/sh\nexit 0\n";
  ASSERT_EQ(chmod(hook.c_str(), 0755), 0);
  config_["hooks"]["startContainer"] = json::array({{{"path", hook}}});
  WriteConfig();
  ASSERT_EQ(Runsc({"create", "--bundle", bundle_, "c1"}).code, 0);
  started_.push_back("c1");
  Result r = Runsc({"start", "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr(hook));
  EXPECT_EQ(Status("c1"), "stopped");
}

TEST_F(HooksTest, HookEnvIsExactlyTheGivenOne) {
  config_["hooks"]["prestart"] = json::array(
      {{{"path", "/bin/sh"},
        {"args", {"sh", "-c", absl::StrCat("env > ", dir_, "/env.txt")}},
        {"env", {"FOO=bar", "PATH=/bin"}}}});
  WriteConfig();
  Result r = Runsc({"create", "--bundle", bundle_, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("c1");
  std::string env = ReadFile(dir_ + "/env.txt");
  EXPECT_THAT(env, HasSubstr("FOO=bar"));
  EXPECT_THAT(env, ::testing::Not(HasSubstr("HOME=")));
}

TEST_F(HooksTest, FailingPrestartDestroysTheContainer) {
  config_["hooks"]["prestart"] = json::array({FailingHook()});
  config_["hooks"]["createRuntime"] =
      json::array({LoggingHook("createRuntime")});
  WriteConfig();
  std::string pid_file = dir_ + "/init.pid";
  Result r =
      Runsc({"create", "--bundle", bundle_, "--pid-file", pid_file, "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("prestart hook"));
  EXPECT_THAT(r.err, HasSubstr("status 3"));
  EXPECT_FALSE(Exists(root_ + "/c1"));
  EXPECT_FALSE(Exists(pid_file));
  EXPECT_TRUE(Log().empty());  // later hooks did not run
  EXPECT_NE(Runsc({"state", "c1"}).code, 0);
  // The id is free again.
  config_["hooks"] = json::object();
  WriteConfig();
  r = Runsc({"create", "--bundle", bundle_, "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
  started_.push_back("c1");
}

TEST_F(HooksTest, HookTimeoutFailsCreate) {
  config_["hooks"]["createRuntime"] = json::array(
      {{{"path", "/bin/sleep"}, {"args", {"sleep", "30"}}, {"timeout", 1}}});
  WriteConfig();
  Result r = Runsc({"create", "--bundle", bundle_, "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("timed out"));
  EXPECT_FALSE(Exists(root_ + "/c1"));
}

TEST_F(HooksTest, FailingStartContainerHookStopsTheContainer) {
  config_["process"]["args"] = {"sleep", "1000"};
  config_["hooks"]["startContainer"] = json::array({FailingHook()});
  WriteConfig();
  ASSERT_EQ(Runsc({"create", "--bundle", bundle_, "c1"}).code, 0);
  started_.push_back("c1");
  Result r = Runsc({"start", "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("startContainer hook"));
  EXPECT_EQ(Status("c1"), "stopped");
  EXPECT_EQ(Runsc({"delete", "c1"}).code, 0);
}

TEST_F(HooksTest, FailingPoststartAndPoststopOnlyWarn) {
  config_["process"]["args"] = {"sleep", "1000"};
  config_["hooks"]["poststart"] = json::array({FailingHook()});
  config_["hooks"]["poststop"] = json::array({FailingHook()});
  WriteConfig();
  ASSERT_EQ(Runsc({"create", "--bundle", bundle_, "c1"}).code, 0);
  started_.push_back("c1");
  Result r = Runsc({"start", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Status("c1"), "running");
  r = Runsc({"delete", "--force", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(Exists(root_ + "/c1"));
}

TEST_F(HooksTest, MalformedHookIsRefusedByCreate) {
  config_["hooks"]["prestart"] = json::array({{{"path", "relative/hook"}}});
  WriteConfig();
  Result r = Runsc({"create", "--bundle", bundle_, "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_FALSE(Exists(root_ + "/c1"));
}

}  // namespace
}  // namespace oci_test
