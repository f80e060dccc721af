#include "runsc/cmd/daemon_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace runsc::cmd {
namespace {

using json = nlohmann::json;

RuntimeEntry Entry() {
  return RuntimeEntry{"runsc", "/usr/local/bin/runsc", {"--platform=ptrace"}};
}

TEST(AddRuntimeTest, AddsEntryAndKeepsOtherKeys) {
  auto edit = AddRuntime(
      R"({"data-root": "/x", "runtimes": {"crun": {"path": "/bin/crun"}}})",
      Entry(), /*experimental=*/false);
  ASSERT_TRUE(edit.ok()) << edit.status();
  EXPECT_TRUE(edit->changed);
  json doc = json::parse(edit->json);
  EXPECT_EQ(doc["data-root"], "/x");
  EXPECT_EQ(doc["runtimes"]["crun"]["path"], "/bin/crun");
  EXPECT_EQ(doc["runtimes"]["runsc"]["path"], "/usr/local/bin/runsc");
  EXPECT_EQ(doc["runtimes"]["runsc"]["runtimeArgs"],
            json::array({"--platform=ptrace"}));
  EXPECT_FALSE(doc.contains("experimental"));
}

TEST(AddRuntimeTest, SameEntryTwiceIsUnchanged) {
  auto first = AddRuntime("{}", Entry(), true);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(json::parse(first->json)["experimental"], true);
  auto second = AddRuntime(first->json, Entry(), true);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->changed);
}

TEST(AddRuntimeTest, ReplacesAnOlderPath) {
  auto edit = AddRuntime(R"({"runtimes": {"runsc": {"path": "/old"}}})",
                         RuntimeEntry{"runsc", "/new", {}}, false);
  ASSERT_TRUE(edit.ok());
  EXPECT_TRUE(edit->changed);
  EXPECT_EQ(json::parse(edit->json)["runtimes"]["runsc"],
            json::parse(R"({"path": "/new"})"));
}

TEST(AddRuntimeTest, RejectsBadInput) {
  EXPECT_EQ(AddRuntime("{not json", Entry(), false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddRuntime("[1,2]", Entry(), false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddRuntime(R"({"runtimes": 3})", Entry(), false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddRuntime("{}", RuntimeEntry{"runsc", "relative/runsc", {}}, false)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddRuntime("{}", RuntimeEntry{"", "/bin/runsc", {}}, false)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RemoveRuntimeTest, RemovesOnlyTheEntry) {
  auto edit = RemoveRuntime(
      R"({"runtimes": {"runsc": {"path": "/a"}, "crun": {"path": "/b"}}})",
      "runsc");
  ASSERT_TRUE(edit.ok());
  EXPECT_TRUE(edit->changed);
  EXPECT_EQ(json::parse(edit->json),
            json::parse(R"({"runtimes": {"crun": {"path": "/b"}}})"));
}

TEST(RemoveRuntimeTest, DropsEmptyRuntimesAndIsIdempotent) {
  auto edit = RemoveRuntime(R"({"a": 1, "runtimes": {"runsc": {}}})", "runsc");
  ASSERT_TRUE(edit.ok());
  EXPECT_EQ(json::parse(edit->json), json::parse(R"({"a": 1})"));
  auto again = RemoveRuntime(edit->json, "runsc");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
}

class DaemonConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/daemon_config_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  static std::string Read(const std::string& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  static void Write(const std::string& p, const std::string& s) {
    std::ofstream(p) << s;
  }
  auto Adder() {
    return [](const std::string& t) { return AddRuntime(t, Entry(), false); };
  }
  std::string dir_;
};

TEST_F(DaemonConfigFileTest, CreatesMissingFileAndDirectory) {
  const std::string path = dir_ + "/docker/daemon.json";
  auto changed = EditDaemonConfigFile(path, Adder());
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(json::parse(Read(path))["runtimes"]["runsc"]["path"],
            "/usr/local/bin/runsc");
  EXPECT_NE(access((path + ".bak").c_str(), F_OK), 0) << "nothing to back up";
}

TEST_F(DaemonConfigFileTest, BacksUpAndKeepsMode) {
  const std::string path = dir_ + "/daemon.json";
  const std::string original = R"({"debug": true})";
  Write(path, original);
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  auto changed = EditDaemonConfigFile(path, Adder());
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(Read(path + ".bak"), original);
  json doc = json::parse(Read(path));
  EXPECT_EQ(doc["debug"], true);
  EXPECT_TRUE(doc["runtimes"].contains("runsc"));
  struct stat st = {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // Unchanged edit: no write, the backup still holds the original.
  auto again = EditDaemonConfigFile(path, Adder());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(Read(path + ".bak"), original);
}

TEST_F(DaemonConfigFileTest, BrokenFileIsLeftAlone) {
  const std::string path = dir_ + "/daemon.json";
  Write(path, "{\"debug\": tru");
  auto changed = EditDaemonConfigFile(path, Adder());
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(changed.status().message()),
              ::testing::HasSubstr(path));
  EXPECT_EQ(Read(path), "{\"debug\": tru");
  EXPECT_NE(access((path + ".bak").c_str(), F_OK), 0);
}

TEST_F(DaemonConfigFileTest, EmptyFileCountsAsEmptyObject) {
  const std::string path = dir_ + "/daemon.json";
  Write(path, "\n");
  auto changed = EditDaemonConfigFile(path, Adder());
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(json::parse(Read(path))["runtimes"].contains("runsc"));
}

}  // namespace
}  // namespace runsc::cmd
