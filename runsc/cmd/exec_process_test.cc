#include "runsc/cmd/exec_process.h"

#include <fstream>
#include <iterator>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/cmd/hooks.h"
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

TEST(ParseHooks, ReadsEveryField) {
  json spec = json::parse(R"({"hooks": {"prestart": [
      {"path": "/bin/true", "args": ["true", "x"], "env": ["A=1"],
       "timeout": 3},
      {"path": "/bin/false"}]}})");
  auto h = ParseHooks(spec, "prestart");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].path, "/bin/true");
  EXPECT_EQ((*h)[0].args, std::vector<std::string>({"true", "x"}));
  EXPECT_EQ((*h)[0].env, std::vector<std::string>({"A=1"}));
  ASSERT_TRUE((*h)[0].timeout.has_value());
  EXPECT_EQ(*(*h)[0].timeout, absl::Seconds(3));
  EXPECT_FALSE((*h)[1].timeout.has_value());
  auto none = ParseHooks(spec, "poststop");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ParseHooks, MalformedHooksAreRefused) {
  for (const char* bad :
       {R"({"hooks": {"prestart": {}}})", R"({"hooks": {"prestart": [{}]}})",
        R"({"hooks": {"prestart": [{"path": "rel"}]}})",
        R"({"hooks": {"prestart": [{"path": "/x", "timeout": 0}]}})",
        R"({"hooks": {"prestart": [{"path": "/x", "args": [1]}]}})"}) {
    EXPECT_FALSE(ParseHooks(json::parse(bad), "prestart").ok()) << bad;
  }
}

TEST(RunHook, StateOnStdinExitStatusAndTimeout) {
  char tmpl[] = "/tmp/hooktest.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string out = std::string(tmpl) + "/state";
  HookSpec h;
  h.path = "/bin/sh";
  h.args = {"sh", "-c", "cat > " + out};
  EXPECT_TRUE(RunHook(h, R"({"id":"x"})").ok());
  std::ifstream f(out);
  std::string got((std::istreambuf_iterator<char>(f)), {});
  EXPECT_EQ(got, R"({"id":"x"})");
  h.args = {"sh", "-c", "exit 4"};
  absl::Status s = RunHook(h, "{}");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("status 4"));
  h.args = {"sh", "-c", "sleep 20"};
  h.timeout = absl::Seconds(1);
  s = RunHook(h, "{}");
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  h.path = "/nonexistent/hook";
  h.timeout.reset();
  EXPECT_FALSE(RunHook(h, "{}").ok());
  std::string rm = std::string("rm -rf ") + tmpl;
  (void)system(rm.c_str());
}

}  // namespace
}  // namespace runsc::cmd
