#include "runsc/cmd/exec_process.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/cmd/resources.h"

namespace runsc::cmd {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

json SpecProcess() {
  return json::parse(R"({
    "terminal": false, "user": {"uid": 0, "gid": 0},
    "args": ["sh"], "env": ["PATH=/bin", "HOME=/root"], "cwd": "/",
    "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                     "permitted": ["CAP_KILL"]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "consoleSize": {"height": 10, "width": 20}
  })");
}

TEST(BuildExecProcess, FlagsOverrideTheContainerProcess) {
  cli::ExecOptions o;
  o.args = {"ls", "-l"};
  o.cwd = "/tmp";
  o.env = {"A=1", "HOME=/other"};
  o.user = "1000:100";
  o.additional_gids = {5, 6};
  o.caps = {"CAP_NET_ADMIN", "SYS_ADMIN"};
  o.no_new_privs = true;
  o.tty = true;
  auto p = BuildExecProcess(o, "", SpecProcess());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)["args"], json({"ls", "-l"}));
  EXPECT_EQ((*p)["cwd"], "/tmp");
  EXPECT_EQ((*p)["env"],
            json({"PATH=/bin", "HOME=/root", "A=1", "HOME=/other"}));
  EXPECT_EQ((*p)["user"]["uid"], 1000);
  EXPECT_EQ((*p)["user"]["gid"], 100);
  EXPECT_EQ((*p)["user"]["additionalGids"], json({5, 6}));
  EXPECT_EQ((*p)["capabilities"]["bounding"],
            json({"CAP_KILL", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"}));
  EXPECT_EQ((*p)["capabilities"]["ambient"],
            json({"CAP_NET_ADMIN", "CAP_SYS_ADMIN"}));
  EXPECT_EQ((*p)["noNewPrivileges"], true);
  EXPECT_EQ((*p)["terminal"], true);
  EXPECT_EQ((*p)["rlimits"].size(), 1u);
  EXPECT_FALSE(p->contains("consoleSize"));
}

TEST(BuildExecProcess, UserWithoutGroupMeansGidZero) {
  cli::ExecOptions o;
  o.args = {"id"};
  o.user = "7";
  auto p = BuildExecProcess(o, "", SpecProcess());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)["user"]["uid"], 7);
  EXPECT_EQ((*p)["user"]["gid"], 0);
}

TEST(BuildExecProcess, BadUserAndNoCommandAreRefused) {
  cli::ExecOptions o;
  o.args = {"id"};
  o.user = "alice";
  auto p = BuildExecProcess(o, "", SpecProcess());
  EXPECT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("--user"));
  o.user = "1:2:3";
  EXPECT_FALSE(BuildExecProcess(o, "", SpecProcess()).ok());
  cli::ExecOptions none;
  p = BuildExecProcess(none, "", SpecProcess());
  EXPECT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("no command"));
}

TEST(BuildExecProcess, ProcessFileIsUsedAsIs) {
  cli::ExecOptions o;
  o.process = "/x/process.json";
  o.cwd = "/ignored";
  o.args = {"ignored"};
  auto p =
      BuildExecProcess(o, R"({"args": ["top"], "cwd": "/work", "env": ["X=1"],
             "user": {"uid": 3, "gid": 4}})",
                       SpecProcess());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)["args"], json({"top"}));
  EXPECT_EQ((*p)["cwd"], "/work");
  EXPECT_EQ((*p)["env"], json({"X=1"}));
  EXPECT_FALSE(p->contains("rlimits"));
  o.tty = true;
  p = BuildExecProcess(o, R"({"args": ["top"], "cwd": "/"})", SpecProcess());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)["terminal"], true);
}

TEST(BuildExecProcess, BadProcessFileIsRefusedNamingTheFile) {
  cli::ExecOptions o;
  o.process = "/x/process.json";
  auto p = BuildExecProcess(o, "{not json", SpecProcess());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("/x/process.json"));
  p = BuildExecProcess(o, R"({"args": []})", SpecProcess());
  EXPECT_FALSE(p.ok());
}

TEST(MergeResources, FlagsOverrideTheDocument) {
  cli::UpdateOptions o;
  o.memory = "1000";
  o.pids_limit = "-1";
  json doc = json::parse(
      R"({"memory": {"limit": 5, "swap": 2000}, "cpu": {"cpus": "0-1"},
          "pids": {"limit": 9}})");
  json cur = json::parse(R"({"cpu": {"shares": 1024}})");
  auto m = MergeResources(cur, doc, o);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)["memory"]["limit"], 1000);
  EXPECT_EQ((*m)["memory"]["swap"], 2000);
  EXPECT_EQ((*m)["pids"]["limit"], -1);
  EXPECT_EQ((*m)["cpu"]["cpus"], "0-1");
  EXPECT_EQ((*m)["cpu"]["shares"], 1024);
}

TEST(MergeResources, BadValuesAreRefused) {
  cli::UpdateOptions o;
  o.memory = "12x";
  EXPECT_FALSE(MergeResources(json(), json(), o).ok());
  cli::UpdateOptions p;
  p.cpu_period = "-1";
  EXPECT_FALSE(MergeResources(json(), json(), p).ok());
  cli::UpdateOptions q;
  q.cpuset_cpus = "2-1";
  EXPECT_FALSE(MergeResources(json(), json(), q).ok());
  cli::UpdateOptions r;
  r.blkio_weight = "5";
  EXPECT_FALSE(MergeResources(json(), json(), r).ok());
  cli::UpdateOptions none;
  EXPECT_FALSE(
      MergeResources(json(), json::parse(R"({"memory": {"limit": "x"}})"), none)
          .ok());
  auto swap = MergeResources(
      json(), json::parse(R"({"memory": {"limit": 100, "swap": 50}})"), none);
  ASSERT_FALSE(swap.ok());
  EXPECT_THAT(swap.status().message(), HasSubstr("swap"));
  EXPECT_FALSE(MergeResources(json(), json::array(), none).ok());
}

}  // namespace
}  // namespace runsc::cmd
