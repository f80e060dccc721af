// End-to-end tests of the runsc binary: fork/exec it with a temporary --root
// and check exit codes, output, logs and what is left on disk.
//
// The binary is $RUNSC_BINARY when set, else the path CMake compiled in.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runsc/container/store.h"
#include "runsc/specutils/spec.h"

namespace runsc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The binary under test, as an absolute path: children chdir before exec,
// and Bazel passes a path relative to the test's runfiles directory.
std::string Binary() {
  static const std::string path = [] {
    const char* env = std::getenv("RUNSC_BINARY");
    std::string p =
        (env != nullptr && env[0] != '\0') ? env : RUNSC_BINARY_PATH;
    char resolved[PATH_MAX];
    if (::realpath(p.c_str(), resolved) != nullptr)
      return std::string(resolved);
    return p;  // Left as given: the exec failure then names it.
  }();
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class RunscE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/runsc_e2e.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/root";
    bundle_ = dir_ + "/bundle";
    ASSERT_EQ(::mkdir(bundle_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((bundle_ + "/rootfs").c_str(), 0755), 0);
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  // Runs the binary with `args` (no --root added) and `stdin_text`.
  Result RunRaw(const std::vector<std::string>& args,
                const std::string& stdin_text = "") {
    Result r;
    std::string out_path = dir_ + "/stdout";
    std::string err_path = dir_ + "/stderr";
    std::string in_path = dir_ + "/stdin";
    WriteFile(in_path, stdin_text);
    std::string bin = Binary();  // Before the child's chdir.
    pid_t pid = ::fork();
    if (pid == 0) {
      int in = ::open(in_path.c_str(), O_RDONLY);
      int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || out < 0 || err < 0) ::_exit(126);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      if (::chdir(dir_.c_str()) != 0) ::_exit(126);
      std::vector<char*> argv;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (std::string& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    EXPECT_GT(pid, 0);
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status)) << "status " << status;
    r.exit_code = WEXITSTATUS(status);
    EXPECT_NE(r.exit_code, 127) << "could not exec " << Binary();
    r.out = ReadFile(out_path);
    r.err = ReadFile(err_path);
    return r;
  }

  // Runs with --root <tmp>/root first.
  Result Run(const std::vector<std::string>& args,
             const std::string& stdin_text = "") {
    std::vector<std::string> full = {"--root", root_};
    full.insert(full.end(), args.begin(), args.end());
    return RunRaw(full, stdin_text);
  }

  // Puts a container into the store directly (create cannot yet).
  void AddContainer(const std::string& id, container::Status status,
                    pid_t sandbox_pid = 0, uint64_t sandbox_start_time = 0) {
    container::Metadata md;
    md.sandbox_pid = sandbox_pid;
    md.sandbox_start_time = sandbox_start_time;
    md.id = id;
    md.bundle = bundle_;
    md.spec = specutils::DefaultSpec();
    md.status = status;
    md.created = absl::FromUnixSeconds(1763824292);
    md.annotations["org.example"] = "yes";
    container::Store store(root_);
    ASSERT_TRUE(store.Create(md).ok());
  }

  std::vector<std::string> RootEntries() {
    std::vector<std::string> names;
    std::string cmd =
        "ls -A '" + root_ + "' 2>/dev/null > '" + dir_ + "/ls.out'";
    (void)std::system(cmd.c_str());
    for (absl::string_view line :
         absl::StrSplit(ReadFile(dir_ + "/ls.out"), '\n', absl::SkipEmpty())) {
      names.emplace_back(line);
    }
    return names;
  }

  std::string dir_;
  std::string root_;
  std::string bundle_;
};

TEST_F(RunscE2eTest, VersionPrintsExactlyThreeLines) {
  Result r = RunRaw({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  ASSERT_EQ(lines.size(), 4u) << r.out;  // Three lines and the final "\n".
  EXPECT_EQ(lines[0], "runsc version 0.1.0");
  EXPECT_THAT(lines[1], StartsWith("commit: "));
  EXPECT_GT(lines[1].size(), 8u);
  EXPECT_EQ(lines[2], "spec: 1.1.0");
  EXPECT_EQ(lines[3], "");
  EXPECT_EQ(RunRaw({"-v"}).out, r.out);
}

TEST_F(RunscE2eTest, HelpListsCommands) {
  Result r = RunRaw({"help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* c :
       {"create", "start", "run", "state", "kill", "delete", "list", "ps",
        "exec", "pause", "resume", "events", "wait", "update", "spec",
        "checkpoint", "restore", "features"}) {
    EXPECT_THAT(r.out, HasSubstr(c));
  }
  r = RunRaw({"exec", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--console-socket"));
  r = RunRaw({"help", "nonsense"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("nonsense"));
}

TEST_F(RunscE2eTest, BadFlagIsAnErrorNamingIt) {
  Result r = Run({"--bogus-flag", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, StartsWith("runsc: "));
  EXPECT_THAT(r.err, HasSubstr("--bogus-flag"));
  r = Run({"--log-format", "xml", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("xml"));
}

TEST_F(RunscE2eTest, UnknownContainerDoesNotExist) {
  const std::vector<std::vector<std::string>> cmds = {
      {"state", "nope"},
      {"start", "nope"},
      {"kill", "nope", "9"},
      {"kill", "--all", "nope", "KILL"},
      {"pause", "nope"},
      {"resume", "nope"},
      {"exec", "--process", "/nonexistent", "--detach", "nope"},
      {"ps", "--format", "json", "nope"},
      {"events", "--stats", "nope"},
      {"wait", "nope"},
      {"update", "-r", "-", "nope"},
      {"checkpoint", "--image-path", "/tmp/x", "nope"},
      {"delete", "nope"},
  };
  for (const auto& cmd : cmds) {
    Result r = Run(cmd);
    EXPECT_EQ(r.exit_code, 1) << cmd[0];
    EXPECT_THAT(r.err, HasSubstr("does not exist")) << cmd[0];
    EXPECT_THAT(r.err, StartsWith("runsc: ")) << cmd[0];
    EXPECT_EQ(r.out, "") << cmd[0];
  }
}

TEST_F(RunscE2eTest, InstallAndUninstallEditDaemonJson) {
  const std::string cfg = dir_ + "/daemon.json";
  WriteFile(cfg, "{\"debug\": true}");
  // Go-style single-dash flag and runtime args after --, as gVisor takes them.
  Result r = RunRaw({"install", "-config_file", cfg, "--runtime", "sbx", "--",
                     "--network=none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(cfg + ".bak"), "{\"debug\": true}");
  nlohmann::json doc = nlohmann::json::parse(ReadFile(cfg));
  EXPECT_EQ(doc["debug"], true);
  char real[PATH_MAX];
  ASSERT_NE(::realpath(Binary().c_str(), real), nullptr);
  EXPECT_EQ(doc["runtimes"]["sbx"]["path"], real);
  EXPECT_EQ(doc["runtimes"]["sbx"]["runtimeArgs"],
            nlohmann::json::array({"--network=none"}));

  r = RunRaw({"uninstall", "--config_file", cfg, "--runtime", "sbx"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(ReadFile(cfg)),
            nlohmann::json::parse("{\"debug\": true}"));
  // Again: nothing to remove is not an error, and says so.
  r = RunRaw({"uninstall", "--config_file", cfg, "--runtime", "sbx"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("not installed"));
}

TEST_F(RunscE2eTest, InstallRefusesBrokenDaemonJson) {
  const std::string cfg = dir_ + "/daemon.json";
  WriteFile(cfg, "{\"debug\": ");
  Result r = RunRaw({"install", "--config_file", cfg});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("not valid JSON"));
  EXPECT_EQ(ReadFile(cfg), "{\"debug\": ");
  EXPECT_FALSE(Exists(cfg + ".bak"));
  r = RunRaw({"install", "--config_file", cfg, "--path", "/nonexistent/x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/x"));
}

TEST_F(RunscE2eTest, DeleteForceOfUnknownContainerSucceeds) {
  // Docker's second shim call, with its global flags.
  Result r = Run({"--log", bundle_ + "/log.json", "--log-format", "json",
                  "delete", "--force", "gone"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(Run({"delete", "-f", "gone"}).exit_code, 0);
  // Even when the bundle (and so the log) is already gone.
  r = Run({"--log", dir_ + "/gone/log.json", "--log-format", "json", "delete",
           "--force", "gone"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("logging to stderr instead"));
}

TEST_F(RunscE2eTest, JsonLogAppendsAndErrorsAlsoGoToStderrOnce) {
  std::string log = bundle_ + "/log.json";
  for (int i = 0; i < 2; ++i) {
    Result r = Run({"--log", log, "--log-format", "json", "state", "nope"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "runsc: container \"nope\" does not exist\n");
  }
  std::vector<std::string> lines =
      absl::StrSplit(ReadFile(log), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << ReadFile(log);
  for (const std::string& line : lines) {
    nlohmann::json j = nlohmann::json::parse(line);
    EXPECT_EQ(j["level"], "error");
    EXPECT_EQ(j["msg"], "container \"nope\" does not exist");
    ASSERT_TRUE(j["time"].is_string());
    EXPECT_TRUE(absl::EndsWith(j["time"].get<std::string>(), "Z"));
  }
}

TEST_F(RunscE2eTest, CommandLineErrorsReachTheJsonLogToo) {
  std::string log = bundle_ + "/log.json";
  Result r = Run(
      {"--log", log, "--log-format", "json", "create", "--no-such-flag", "c1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--no-such-flag"));
  nlohmann::json j = nlohmann::json::parse(ReadFile(log));
  EXPECT_EQ(j["level"], "error");
  EXPECT_THAT(j["msg"].get<std::string>(), HasSubstr("--no-such-flag"));
}

TEST_F(RunscE2eTest, GoStyleSingleDashFlags) {
  std::string log = bundle_ + "/log.json";
  Result r = RunRaw(
      {"-root", root_, "-log", log, "-log-format=json", "state", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("does not exist"));
  nlohmann::json j = nlohmann::json::parse(ReadFile(log));
  EXPECT_EQ(j["level"], "error");
}

TEST_F(RunscE2eTest, DebugLogDirectoryGetsAFile) {
  std::string dbg = dir_ + "/debug/";
  Result r = Run({"--debug", "--debug-log", dbg, "list"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string ls = dir_ + "/dbg.out";
  std::string cmd = "ls '" + dbg + "' > '" + ls + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string names = ReadFile(ls);
  EXPECT_THAT(names, HasSubstr(".list.log"));
  EXPECT_THAT(names, StartsWith("runsc."));
}

TEST_F(RunscE2eTest, SpecWritesAConfigThatParsesAndRefusesToOverwrite) {
  std::string b = dir_ + "/specbundle";
  ASSERT_EQ(::mkdir(b.c_str(), 0755), 0);
  Result r = Run({"spec", "--bundle", b});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<specutils::Spec> spec = specutils::LoadBundle(b);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(spec->process.args, ElementsAre("sh"));

  r = Run({"spec", "-b", b});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("exists. Remove it first"));

  std::string b2 = dir_ + "/specbundle2";
  ASSERT_EQ(::mkdir(b2.c_str(), 0755), 0);
  r = Run({"spec", "-bundle", b2, "--", "/bin/echo", "-n", "hi"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  spec = specutils::LoadBundle(b2);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(spec->process.args, ElementsAre("/bin/echo", "-n", "hi"));

  r = Run({"spec", "--bundle", dir_ + "/missing"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("missing"));
}

TEST_F(RunscE2eTest, FeaturesPrintsJson) {
  Result r = Run({"features"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j, specutils::Features());
  EXPECT_TRUE(j.contains("ociVersionMax"));
}

TEST_F(RunscE2eTest, CreateWithBadConfigNamesTheFieldAndLeavesNothing) {
  nlohmann::json doc = specutils::DefaultSpec();
  doc["process"]["args"] = nlohmann::json::array();
  WriteFile(bundle_ + "/config.json", doc.dump());
  std::string pid_file = dir_ + "/init.pid";
  Result r = Run({"create", "--bundle", bundle_, "--pid-file", pid_file, "c1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("process.args"));
  EXPECT_FALSE(Exists(root_ + "/c1"));
  EXPECT_FALSE(Exists(pid_file));
  EXPECT_THAT(RootEntries(), ::testing::IsEmpty());
}

TEST_F(RunscE2eTest, CreateWithMissingBundleIsClear) {
  Result r = Run({"create", "--bundle", dir_ + "/nobundle", "c1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(dir_ + "/nobundle"));
  EXPECT_THAT(r.err, HasSubstr("config.json"));
  EXPECT_FALSE(Exists(root_ + "/c1"));
}

// `runsc spec` writes terminal: true; without a console socket create and
// run refuse it (as runc does) and leave nothing behind.
TEST_F(RunscE2eTest, TerminalWithoutConsoleSocketIsRefusedAndLeavesNothing) {
  ASSERT_EQ(Run({"spec", "--bundle", bundle_}).exit_code, 0);
  std::string pid_file = dir_ + "/init.pid";
  for (const char* verb : {"create", "run"}) {
    Result r = Run({verb, "--bundle", bundle_, "--pid-file", pid_file, "c1"});
    EXPECT_EQ(r.exit_code, 1) << verb;
    EXPECT_THAT(r.err, HasSubstr("console")) << verb;
    EXPECT_FALSE(Exists(root_ + "/c1")) << verb;
    EXPECT_FALSE(Exists(pid_file)) << verb;
    EXPECT_THAT(RootEntries(), ::testing::IsEmpty()) << verb;
  }
  // The bundle defaults to the current directory (dir_ here: no config).
  Result r = Run({"create", "c2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(dir_ + "/config.json"));
}

TEST_F(RunscE2eTest, CreateRefusesBadAndExistingIds) {
  ASSERT_EQ(Run({"spec", "--bundle", bundle_}).exit_code, 0);
  Result r = Run({"create", "--bundle", bundle_, "a/b"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("a/b"));

  AddContainer("taken", container::Status::kStopped);
  r = Run({"create", "--bundle", bundle_, "taken"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("already exists"));
  EXPECT_TRUE(Exists(root_ + "/taken/meta.json"));  // Left untouched.
}

TEST_F(RunscE2eTest, StatePrintsOciState) {
  AddContainer("abc123", container::Status::kCreated);
  Result r = Run({"state", "abc"});  // A unique prefix names it.
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ociVersion"], "1.1.0");
  EXPECT_EQ(j["id"], "abc123");
  EXPECT_EQ(j["status"], "created");
  EXPECT_EQ(j["bundle"], bundle_);
  EXPECT_EQ(j["annotations"]["org.example"], "yes");
  EXPECT_TRUE(j.contains("pid"));
  EXPECT_TRUE(j.contains("created"));
}

TEST_F(RunscE2eTest, RelativeRootIsTakenAgainstTheCurrentDirectory) {
  AddContainer("rel", container::Status::kStopped);
  // RunRaw runs in dir_, and root_ is dir_ + "/root".
  Result r = RunRaw({"--root", "./root", "list", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "rel\n");
}

TEST_F(RunscE2eTest, ListTableJsonAndQuiet) {
  Result r = Run({"list"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("ID "));
  EXPECT_THAT(r.out, HasSubstr("OWNER"));
  EXPECT_EQ(Run({"list", "--format", "json"}).out, "[]\n");

  AddContainer("one", container::Status::kStopped);
  AddContainer("two", container::Status::kCreated);
  r = Run({"list"});
  std::vector<std::string> lines =
      absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_THAT(lines[0], HasSubstr("PID"));
  EXPECT_THAT(lines[0], HasSubstr("STATUS"));
  EXPECT_THAT(lines[0], HasSubstr("BUNDLE"));
  EXPECT_THAT(lines[0], HasSubstr("CREATED"));
  EXPECT_THAT(lines[1], StartsWith("one "));
  EXPECT_THAT(lines[1], HasSubstr("stopped"));
  EXPECT_THAT(lines[1], HasSubstr(bundle_));
  EXPECT_THAT(lines[2], StartsWith("two "));
  EXPECT_THAT(lines[2], HasSubstr("created"));
  // Columns line up: STATUS starts where each row's status starts.
  EXPECT_EQ(lines[0].find("STATUS"), lines[1].find("stopped"));
  EXPECT_EQ(lines[0].find("STATUS"), lines[2].find("created"));

  r = Run({"list", "-f", "json"});
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["id"], "one");
  EXPECT_EQ(j[1]["status"], "created");

  EXPECT_EQ(Run({"list", "-q"}).out, "one\ntwo\n");
}

TEST_F(RunscE2eTest, TransitionsAreCheckedBeforeNotImplemented) {
  AddContainer("run1", container::Status::kRunning);
  Result r = Run({"start", "run1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("running"));
  EXPECT_THAT(r.err, Not(HasSubstr("not implemented")));

  r = Run({"resume", "run1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("running"));

  AddContainer("made", container::Status::kCreated);
  // A created container whose sandbox is gone (none was ever started here).
  r = Run({"start", "made"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("sandbox is not running"));
  r = Run({"pause", "made"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("created"));

  r = Run({"kill", "made", "BOGUS"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("\"BOGUS\""));
  r = Run({"kill", "made", "9"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("sandbox is not running"));

  r = Run({"exec", "run1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no command"));
  std::string process = dir_ + "/process.json";
  WriteFile(process, R"({"args": [], "cwd": "/"})");
  r = Run({"exec", "--process", process, "--detach", "run1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("process.args"));
  // Created: runc allows it; here the sandbox has no init to exec beside
  // until start (docs/exec.md).
  r = Run({"exec", "made", "ls"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("it is created (start it first)"));
  AddContainer("paused", container::Status::kPaused);
  r = Run({"exec", "paused", "ls"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("paused"));
  r = Run({"exec", "--ignore-paused", "paused", "ls"});
  EXPECT_THAT(r.err, HasSubstr("a paused sandbox cannot start a process"));
  r = Run({"start", "paused"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("paused"));
  r = Run({"exec", "run1", "ls", "-la"});  // recorded without a sandbox
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("sandbox is not running"));

  r = Run({"update", "-r", "-", "run1"}, "not json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("JSON"));

  r = Run({"events", "--interval", "soon", "run1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("soon"));
}

TEST_F(RunscE2eTest, DeleteRemovesStoppedAndNeedsForceForRunning) {
  AddContainer("dead", container::Status::kStopped);
  Result r = Run({"delete", "dead"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(Exists(root_ + "/dead"));

  AddContainer("live", container::Status::kRunning);
  r = Run({"delete", "live"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("running"));
  EXPECT_THAT(r.err, HasSubstr("--force"));
  EXPECT_TRUE(Exists(root_ + "/live/meta.json"));
  // A directory a failed create left without meta.json: --force cleans it.
  ASSERT_EQ(::mkdir((root_ + "/half").c_str(), 0711), 0);
  r = Run({"delete", "--force", "half"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(Exists(root_ + "/half"));
  r = Run({"delete", "--force", "a/b"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("a/b"));

  r = Run({"delete", "live", "--force"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(Exists(root_ + "/live"));
}

// A child that sleeps until killed, standing in for a sandbox process.
pid_t SpawnSleeper() {
  pid_t pid = ::fork();
  if (pid == 0) {
    for (;;) ::pause();
  }
  return pid;
}

TEST_F(RunscE2eTest, DeleteForceKillsTheRecordedSandboxOnlyIfItIsTheSame) {
  pid_t sandbox = SpawnSleeper();
  ASSERT_GT(sandbox, 0);
  bool reaped = false;
  absl::Cleanup reap = [&] {
    if (reaped) return;
    ::kill(sandbox, SIGKILL);
    ::waitpid(sandbox, nullptr, 0);
  };
  absl::StatusOr<uint64_t> start = container::ProcessStartTime(sandbox);
  ASSERT_TRUE(start.ok()) << start.status();
  AddContainer("sb", container::Status::kRunning, sandbox, *start);
  Result r = Run({"state", "sb"});
  EXPECT_EQ(nlohmann::json::parse(r.out)["status"], "running");

  // A second record of the same PID with a wrong start time: a reused PID,
  // so the container reads as stopped and the process is left alone.
  AddContainer("reused", container::Status::kRunning, sandbox, *start + 1);
  r = Run({"state", "reused"});
  EXPECT_EQ(nlohmann::json::parse(r.out)["status"], "stopped");
  r = Run({"delete", "--force", "reused"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(::kill(sandbox, 0), 0);  // Still alive.

  r = Run({"delete", "--force", "sb"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  int status = 0;
  ASSERT_EQ(::waitpid(sandbox, &status, 0), sandbox);
  reaped = true;
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_FALSE(Exists(root_ + "/sb"));
}

// boot and gofer need the descriptors create hands them: without, a clear
// error (not a crash).
TEST_F(RunscE2eTest, InternalCommandsNeedTheirDescriptors) {
  Result r = Run({"boot", "--spec-fd=3", "--io-fds=4,5", "x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, Not(HasSubstr("not implemented")));
  r = Run({"gofer", "--spec-fd", "3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("spec-fd"));
}

}  // namespace
}  // namespace runsc
