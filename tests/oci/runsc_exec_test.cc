// End to end: runsc exec, ps, pause/resume, kill --all, events and update on
// a running busybox container, driven through the built binary as Docker,
// containerd and podman drive it (CLIENTS.md).
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <algorithm>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "tests/oci/lifecycle_harness.h"

namespace oci_test {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

class ExecTest : public LifecycleTest {};

TEST_F(ExecTest, ExecRunsInTheContainerAndReturnsItsStatus) {
  StartContainer({"sleep", "1000"});
  Result r = Runsc({"exec", "c1", "sh", "-c", "echo hi from $$; exit 7"});
  EXPECT_EQ(r.code, 7) << r.err;
  EXPECT_THAT(r.out, HasSubstr("hi from ")) << r.err;
  // Not PID 1: init is sleep.
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("hi from 1\n")));
  // The container's files and hostname.
  r = Runsc({"exec", "c1", "cat", "/etc/hostname"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "sandbox\n");
}

TEST_F(ExecTest, ExecAppliesCwdEnvAndUser) {
  StartContainer({"sleep", "1000"});
  Result r =
      Runsc({"exec", "--cwd", "/tmp", "--env", "FOO=bar", "--user", "1000:1001",
             "c1", "sh", "-c", "pwd; echo $FOO; id -u; id -g; echo $HOME"});
  EXPECT_EQ(r.code, 0) << r.err;
  // HOME comes from the container's process env.
  EXPECT_EQ(r.out, "/tmp\nbar\n1000\n1001\n/root\n") << r.err;
}

TEST_F(ExecTest, ExecCapAndNoNewPrivs) {
  {
    std::ofstream f(bundle_ + "/rootfs/secret");
    f << "s3cret\n";
  }
  ASSERT_EQ(chmod((bundle_ + "/rootfs/secret").c_str(), 0), 0);
  ASSERT_EQ(chown((bundle_ + "/rootfs/secret").c_str(), 1234, 1234), 0);
  // exec inherits the spec's flag; start without it to see --no-new-privs.
  config_["process"]["noNewPrivileges"] = false;
  StartContainer({"sleep", "1000"});
  const char* status = "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status";
  // The container's process capabilities (the bundle's: AUDIT_WRITE, KILL,
  // NET_BIND_SERVICE = bits 29, 5, 10).
  Result r = Runsc({"exec", "c1", "sh", "-c", status});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "CapEff:\t0000000020000420\nNoNewPrivs:\t0\n");
  // --cap adds to every set (runc's exec), --no-new-privs sets the flag.
  r = Runsc({"exec", "--cap", "CAP_DAC_OVERRIDE", "--no-new-privs", "c1", "sh",
             "-c", status});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "CapEff:\t0000000020000422\nNoNewPrivs:\t1\n");
  // And what it allows: root without CAP_DAC_OVERRIDE cannot read a mode-0
  // file of another user.
  r = Runsc({"exec", "c1", "cat", "/secret"});
  EXPECT_NE(r.code, 0) << r.out;
  r = Runsc({"exec", "--cap", "CAP_DAC_OVERRIDE", "c1", "cat", "/secret"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "s3cret\n");
}

TEST_F(ExecTest, ExecProcessFile) {
  StartContainer({"sleep", "1000"});
  json p = {{"args", {"sh", "-c", "echo $A-$(pwd); exit 4"}},
            {"env", {"PATH=/bin", "A=from-file"}},
            {"cwd", "/etc"},
            {"user", {{"uid", 0}, {"gid", 0}}},
            {"terminal", false}};
  std::string path = dir_ + "/process.json";
  std::ofstream(path) << p.dump();
  Result r = Runsc({"exec", "--process", path, "c1"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_EQ(r.out, "from-file-/etc\n");
}

TEST_F(ExecTest, ExecStdinIsPassed) {
  StartContainer({"sleep", "1000"});
  std::string in = dir_ + "/stdin.txt";
  std::ofstream(in) << "line one\nline two\n";
  Result r = Runsc({"exec", "c1", "wc", "-l"}, in);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2"));
}

TEST_F(ExecTest, ExecPreserveFds) {
  StartContainer({"sleep", "1000"});
  std::string extra = dir_ + "/extra.txt";
  int fd = open(extra.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  Result r = Runsc(
      {"exec", "--preserve-fds", "1", "c1", "sh", "-c", "echo via-fd3 >&3"}, "",
      {fd});
  close(fd);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ReadFile(extra), "via-fd3\n");
}

// containerd and conmon: exec --detach --pid-file, then wait on (and signal)
// that host PID as a subreaper.
TEST_F(ExecTest, DetachedExecLeavesAWaiterThatExitsLikeTheProcess) {
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  StartContainer({"sleep", "1000"});
  std::string pid_file = dir_ + "/exec.pid";
  Result r = Runsc({"exec", "--detach", "--pid-file", pid_file, "c1", "sh",
                    "-c", "sleep 0.5; exit 5"});
  ASSERT_EQ(r.code, 0) << r.err;
  int waiter = 0;
  ASSERT_TRUE(absl::SimpleAtoi(ReadFile(pid_file), &waiter));
  ASSERT_GT(waiter, 0);
  int st = 0;
  ASSERT_EQ(waitpid(waiter, &st, 0), waiter);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 5);

  // A signal to the waiter reaches the process; the waiter then dies of it.
  r = Runsc({"exec", "-d", "--pid-file", pid_file, "c1", "sleep", "1000"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_TRUE(absl::SimpleAtoi(ReadFile(pid_file), &waiter));
  // The process exists in the sandbox before the signal is sent.
  bool listed = false;
  for (int i = 0; i < 200 && !listed; ++i) {
    json pids = json::parse(Runsc({"ps", "--format", "json", "c1"}).out,
                            nullptr, false);
    listed = pids.is_array() && pids.size() >= 2;
    if (!listed) usleep(10000);
  }
  ASSERT_TRUE(listed);
  ASSERT_EQ(kill(waiter, SIGTERM), 0);
  ASSERT_EQ(waitpid(waiter, &st, 0), waiter);
  ASSERT_TRUE(WIFSIGNALED(st)) << st;
  EXPECT_EQ(WTERMSIG(st), SIGTERM);
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_F(ExecTest, ExecIntoCreatedStoppedOrUnknownIsAClearError) {
  SetArgs({"sh", "-c", "exit 0"});
  Result r = Runsc({"create", "--bundle", bundle_, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("c1");
  r = Runsc({"exec", "c1", "true"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("created"));
  r = Runsc({"start", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (int i = 0; i < 500 && Status("c1") != "stopped"; ++i) usleep(10000);
  ASSERT_EQ(Status("c1"), "stopped");
  r = Runsc({"exec", "c1", "true"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("stopped"));
  r = Runsc({"exec", "nosuch", "true"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("does not exist"));
  r = Runsc({"exec", "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("no command"));
}

TEST_F(ExecTest, PsListsInitAndExecedProcesses) {
  StartContainer({"sleep", "1000"});
  Result r = Runsc({"exec", "-d", "c1", "sleep", "999"});
  ASSERT_EQ(r.code, 0) << r.err;
  json pids;
  for (int i = 0; i < 200; ++i) {
    r = Runsc({"ps", "--format", "json", "c1"});
    ASSERT_EQ(r.code, 0) << r.err;
    pids = json::parse(r.out, nullptr, false);
    if (pids.is_array() && pids.size() == 2) break;
    usleep(10000);
  }
  ASSERT_TRUE(pids.is_array()) << r.out;
  // Host PIDs: the sandbox, then the detached exec's waiter.
  ASSERT_EQ(pids.size(), 2u) << r.out;
  EXPECT_EQ(pids[0], State("c1")["pid"]);
  EXPECT_GT(pids[1].get<int>(), 0);
  EXPECT_EQ(kill(pids[1].get<int>(), 0), 0);
  r = Runsc({"ps", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("PID"));
  EXPECT_THAT(r.out, HasSubstr("sleep 1000"));
  EXPECT_THAT(r.out, HasSubstr("sleep 999"));
  r = Runsc({"ps", "--format", "yaml", "c1"});
  EXPECT_NE(r.code, 0);
}

TEST_F(ExecTest, PauseStopsEveryTaskAndResumeContinues) {
  StartContainer({"sh", "-c", "while true; do echo tick; sleep 0.02; done"});
  for (int i = 0; i < 500 && InitOutput().size() < 10; ++i) usleep(10000);
  ASSERT_GE(InitOutput().size(), 10u);
  Result r = Runsc({"pause", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Status("c1"), "paused");
  // Frozen: no output while paused (a tick in flight may land at once).
  usleep(100000);
  size_t paused_size = InitOutput().size();
  usleep(500000);
  EXPECT_EQ(InitOutput().size(), paused_size);
  // Paused: exec and a second pause are refused; resume of a running one too.
  r = Runsc({"exec", "c1", "true"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("paused"));
  r = Runsc({"pause", "c1"});
  EXPECT_NE(r.code, 0);
  r = Runsc({"resume", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Status("c1"), "running");
  for (int i = 0; i < 500 && InitOutput().size() == paused_size; ++i) {
    usleep(10000);
  }
  EXPECT_GT(InitOutput().size(), paused_size);
  r = Runsc({"resume", "c1"});
  EXPECT_NE(r.code, 0);
}

TEST_F(ExecTest, KillOfAPausedContainerWorks) {
  StartContainer({"sleep", "1000"});
  ASSERT_EQ(Runsc({"pause", "c1"}).code, 0);
  Result r = Runsc({"kill", "c1", "9"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (int i = 0; i < 500 && Status("c1") != "stopped"; ++i) usleep(10000);
  EXPECT_EQ(Status("c1"), "stopped");
  r = Runsc({"delete", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(ExecTest, KillAllEndsEveryProcess) {
  StartContainer({"sleep", "1000"});
  ASSERT_EQ(Runsc({"exec", "-d", "c1", "sleep", "1001"}).code, 0);
  ASSERT_EQ(Runsc({"exec", "-d", "c1", "sleep", "1002"}).code, 0);
  Result r = Runsc({"kill", "--all", "c1", "KILL"});
  ASSERT_EQ(r.code, 0) << r.err;
  // kill --all SIGKILL returns once they are gone.
  EXPECT_EQ(Status("c1"), "stopped");
  r = Runsc({"ps", "--format", "json", "c1"});
  EXPECT_EQ(r.out, "[]\n") << r.err;
}

TEST_F(ExecTest, EventsStatsIsOneLineInRuncsSchema) {
  StartContainer({"sleep", "1000"});
  Result r = Runsc({"events", "--stats", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines =
      absl::StrSplit(absl::StripSuffix(r.out, "\n"), '\n');
  ASSERT_EQ(lines.size(), 1u) << r.out;
  json ev = json::parse(lines[0], nullptr, false);
  ASSERT_TRUE(ev.is_object()) << r.out;
  EXPECT_EQ(ev["type"], "stats");
  EXPECT_EQ(ev["id"], "c1");
  const json& d = ev["data"];
  EXPECT_GE(d["pids"]["current"].get<int>(), 1);
  EXPECT_GT(d["memory"]["usage"]["usage"].get<uint64_t>(), 0u);
  EXPECT_GT(d["memory"]["usage"]["limit"].get<uint64_t>(), 0u);
  EXPECT_TRUE(d["cpu"]["usage"].contains("total"));
  EXPECT_TRUE(d["cpu"]["usage"].contains("user"));
  EXPECT_TRUE(d["cpu"]["usage"].contains("kernel"));
}

TEST_F(ExecTest, EventsStreamEndsWhenTheContainerStops) {
  StartContainer({"sleep", "1000"});
  std::thread killer([this] {
    usleep(300000);
    Runsc({"kill", "c1", "9"});
  });
  Result r = Runsc({"events", "--interval", "50ms", "c1"});
  killer.join();
  EXPECT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines =
      absl::StrSplit(absl::StripSuffix(r.out, "\n"), '\n');
  EXPECT_GE(lines.size(), 2u) << r.out;
  for (const auto& l : lines) {
    json ev = json::parse(l, nullptr, false);
    EXPECT_EQ(ev.value("type", ""), "stats") << l;
  }
}

TEST_F(ExecTest, UpdateValidatesAndRecordsLimits) {
  StartContainer({"sleep", "1000"});
  Result r =
      Runsc({"update", "--memory", "104857600", "--pids-limit", "42", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  json meta = json::parse(ReadFile(root_ + "/c1/meta.json"), nullptr, false);
  ASSERT_TRUE(meta.is_object());
  std::string dump = meta.dump();
  EXPECT_THAT(dump, HasSubstr("104857600"));
  r = Runsc({"events", "--stats", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  json ev = json::parse(r.out, nullptr, false);
  EXPECT_EQ(ev["data"]["memory"]["usage"]["limit"], 104857600);
  EXPECT_EQ(ev["data"]["pids"]["limit"], 42);

  std::string res = dir_ + "/res.json";
  std::ofstream(res) << R"({"cpu": {"quota": 50000, "period": 100000,
                           "cpus": "0"}, "pids": {"limit": 7}})";
  r = Runsc({"update", "--resources", res, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Runsc({"events", "--stats", "c1"});
  ev = json::parse(r.out, nullptr, false);
  EXPECT_EQ(ev["data"]["pids"]["limit"], 7);

  r = Runsc({"update", "--memory", "lots", "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("--memory"));
  r = Runsc({"update", "--cpuset-cpus", "3-1", "c1"});
  EXPECT_NE(r.code, 0);
  std::ofstream(res) << "[1,2]";
  r = Runsc({"update", "--resources", res, "c1"});
  EXPECT_NE(r.code, 0);
}

TEST_F(ExecTest, StartTwiceAndDeleteRunningWithoutForceAreRefused) {
  StartContainer({"sleep", "1000"});
  Result r = Runsc({"start", "c1"});
  EXPECT_NE(r.code, 0);
  r = Runsc({"delete", "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("--force"));
  EXPECT_EQ(Status("c1"), "running");
  r = Runsc({"delete", "--force", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(Exists(root_ + "/c1"));
}

TEST_F(ExecTest, KillOfACreatedContainerStopsIt) {
  SetArgs({"sleep", "1000"});
  Result r = Runsc({"create", "--bundle", bundle_, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("c1");
  r = Runsc({"kill", "c1", "TERM"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Status("c1"), "stopped");
  r = Runsc({"delete", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
}

// Processes whose command line mentions `needle` (our --root).
int ProcessesMentioning(const std::string& needle) {
  int n = 0;
  DIR* d = opendir("/proc");
  if (d == nullptr) return -1;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string cmd = ReadFile(absl::StrCat("/proc/", e->d_name, "/cmdline"));
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(needle) != std::string::npos) ++n;
  }
  closedir(d);
  return n;
}

int OpenFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (d != nullptr && readdir(d) != nullptr) ++n;
  if (d != nullptr) closedir(d);
  return n;
}

TEST_F(ExecTest, RepeatedLifecyclesLeaveNothingBehind) {
  std::string mounts = ReadFile("/proc/self/mountinfo");
  int fds = OpenFds();
  SetArgs({"sleep", "1000"});
  for (int i = 0; i < 20; ++i) {
    std::string id = absl::StrCat("cycle", i);
    Result r = Runsc({"create", "--bundle", bundle_, id});
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(Runsc({"start", id}).code, 0);
    if (i % 2 == 0) {
      r = Runsc({"exec", "-d", id, "sleep", "999"});
      ASSERT_EQ(r.code, 0) << r.err;
      ASSERT_EQ(Runsc({"kill", "--all", id, "9"}).code, 0);
      ASSERT_EQ(Runsc({"delete", id}).code, 0);
    } else {
      ASSERT_EQ(Runsc({"delete", "--force", id}).code, 0);
    }
  }
  // No state, no sandbox/gofer/waiter, no mount, no descriptor of ours.
  DIR* d = opendir(root_.c_str());
  int entries = 0;
  while (d != nullptr && readdir(d) != nullptr) ++entries;
  if (d != nullptr) closedir(d);
  EXPECT_LE(entries, 2);  // . and ..
  int left = 0;
  for (int i = 0; i < 500; ++i) {
    left = ProcessesMentioning(root_);
    if (left == 0) break;
    usleep(10000);
  }
  EXPECT_EQ(left, 0);
  EXPECT_EQ(ReadFile("/proc/self/mountinfo"), mounts);
  EXPECT_EQ(OpenFds(), fds);
}

}  // namespace
}  // namespace oci_test
