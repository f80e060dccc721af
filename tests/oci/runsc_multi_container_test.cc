// End to end: multi-container sandboxes (docs/multi-container.md). A pod's
// sandbox container (container-type "sandbox", running sleep) and
// subcontainers (container-type "container" naming it) with their own
// busybox bundles, driven through the built binary as containerd's CRI
// plugin drives it. Every test ends by checking that no process of the
// test is left.
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "tests/oci/console_socket.h"
#include "tests/oci/lifecycle_harness.h"

namespace oci_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCriType[] = "io.kubernetes.cri.container-type";
constexpr char kCriSandbox[] = "io.kubernetes.cri.sandbox-id";

// Live (not zombie) processes whose command line mentions `needle`.
std::vector<std::string> LiveProcessesMentioning(const std::string& needle) {
  std::vector<std::string> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    int pid = atoi(e->d_name);
    if (pid <= 0 || pid == getpid()) continue;
    std::string base = absl::StrCat("/proc/", pid);
    std::string cmd = ReadFile(base + "/cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(needle) == std::string::npos) continue;
    std::string stat = ReadFile(base + "/stat");
    size_t p = stat.rfind(')');
    if (p == std::string::npos || p + 2 >= stat.size()) continue;
    char state = stat[p + 2];
    if (state == 'Z' || state == 'X') continue;
    out.push_back(absl::StrCat(pid, ": ", cmd));
  }
  closedir(d);
  return out;
}

class MultiContainerTest : public LifecycleTest {
 protected:
  void TearDown() override {
    if (dir_.empty()) return;
    // Subcontainers first, then the pod's sandbox container.
    for (auto it = started_.rbegin(); it != started_.rend(); ++it) {
      Runsc({"delete", "--force", *it});
    }
    started_.clear();
    ExpectNoProcessLeft();
    LifecycleTest::TearDown();
  }

  // Waits (bounded) until no process started for this test is alive.
  void ExpectNoProcessLeft() {
    std::vector<std::string> left;
    for (int i = 0; i < 1000; ++i) {
      left = LiveProcessesMentioning(dir_);
      if (left.empty()) return;
      usleep(10 * 1000);
    }
    ADD_FAILURE() << "processes left: " << ::testing::PrintToString(left);
  }

  // A busybox bundle <dir>/<name> running `args`, annotated as a pod's
  // `type` ("sandbox" or "container") of sandbox `sandbox_id`, with
  // /marker holding `name`.
  std::string MakeBundle(const std::string& name,
                         const std::vector<std::string>& args,
                         const std::string& type,
                         const std::string& sandbox_id) {
    std::string b = absl::StrCat(dir_, "/", name);
    std::string cmd =
        absl::StrCat(SCRIPTS_DIR, "/make-busybox-bundle.sh ", b, " >/dev/null");
    EXPECT_EQ(system(cmd.c_str()), 0);
    std::ofstream(b + "/rootfs/marker") << name << "\n";
    std::ofstream(absl::StrCat(b, "/rootfs/only-in-", name)) << "";
    json c = json::parse(ReadFile(b + "/config.json"));
    c["root"]["readonly"] = false;
    c["process"]["args"] = args;
    c["annotations"] = {{kCriType, type}, {kCriSandbox, sandbox_id}};
    std::ofstream(b + "/config.json") << c.dump(2);
    return b;
  }

  // create (stdout and stderr appended to <dir>/<id>.out) + start.
  void CreateAndStart(const std::string& id, const std::string& bundle) {
    Result r = RunscWithStdout({"create", "--bundle", bundle, "--pid-file",
                                absl::StrCat(dir_, "/", id, ".pid"), id},
                               Out(id));
    ASSERT_EQ(r.code, 0) << r.err;
    started_.push_back(id);
    r = Runsc({"start", id});
    ASSERT_EQ(r.code, 0) << r.err;
  }

  // The pod: sandbox container "pod" running sleep.
  void StartPod() {
    CreateAndStart("pod",
                   MakeBundle("pod", {"sleep", "1000"}, "sandbox", "pod"));
  }

  void StartSub(const std::string& id, const std::vector<std::string>& args) {
    CreateAndStart(id, MakeBundle(id, args, "container", "pod"));
  }

  std::string Out(const std::string& id) {
    return absl::StrCat(dir_, "/", id, ".out");
  }

  // The CMD column of `ps` (table) for container `id`; empty when ps
  // refuses a stopped container.
  std::vector<std::string> Commands(const std::string& id) {
    Result r = Runsc({"ps", id});
    std::vector<std::string> cmds;
    if (r.code != 0) {
      EXPECT_THAT(r.err, HasSubstr("stopped"));
      return cmds;
    }
    bool header = true;
    for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
      if (line.empty()) continue;
      if (header) {
        header = false;
        continue;
      }
      // UID PID PPID STIME TTY TIME CMD...: the command is the rest.
      std::vector<absl::string_view> f =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (f.size() < 7) continue;
      std::string cmd;
      for (size_t i = 6; i < f.size(); ++i) {
        absl::StrAppend(&cmd, cmd.empty() ? "" : " ", f[i]);
      }
      cmds.push_back(cmd);
    }
    return cmds;
  }

  // Polls `fn` (bounded); true once it holds.
  template <typename F>
  bool Eventually(F fn) {
    for (int i = 0; i < 1000; ++i) {
      if (fn()) return true;
      usleep(10 * 1000);
    }
    return false;
  }
};

TEST_F(MultiContainerTest, SubcontainersSeeOnlyTheirOwnRootfs) {
  StartPod();
  StartSub("a", {"sleep", "1000"});
  StartSub("b", {"sleep", "1000"});
  EXPECT_EQ(Status("pod"), "running");
  EXPECT_EQ(Status("a"), "running");
  EXPECT_EQ(Status("b"), "running");
  for (const char* id : {"a", "b"}) {
    std::string other = std::string(id) == "a" ? "b" : "a";
    Result r = Runsc({"exec", id, "cat", "/marker"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, absl::StrCat(id, "\n"));
    r = Runsc({"exec", id, "ls", "/"});
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat("only-in-", id)));
    EXPECT_THAT(r.out, Not(HasSubstr("only-in-" + other)));
    EXPECT_THAT(r.out, Not(HasSubstr("only-in-pod")));
  }
  // The pod's own container still sees its own.
  Result r = Runsc({"exec", "pod", "cat", "/marker"});
  EXPECT_EQ(r.out, "pod\n") << r.err;
  // Writes stay in each container's tree.
  r = Runsc({"exec", "a", "sh", "-c", "echo x > /tmp/written-by-a"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Runsc({"exec", "a", "cat", "/tmp/written-by-a"}).out, "x\n");
  EXPECT_NE(Runsc({"exec", "b", "cat", "/tmp/written-by-a"}).code, 0);
}

TEST_F(MultiContainerTest, InitStdioReachesTheFileGivenToCreate) {
  StartPod();
  // RunscWithStdout gives create the output file as stdout (stderr goes to
  // a file of its own).
  StartSub("a", {"sh", "-c",
                 "echo out-of-a; echo err-of-a >&2; cat /marker; "
                 "exec sleep 1000"});
  EXPECT_TRUE(Eventually([&] {
    std::string out = ReadFile(Out("a"));
    return out.find("out-of-a\na\n") != std::string::npos;
  })) << ReadFile(Out("a"));
  EXPECT_THAT(ReadFile(Out("a")), Not(HasSubstr("err-of-a")));
  EXPECT_THAT(ReadFile(Out("pod")), Not(HasSubstr("out-of-a")));
  // exec sees the subcontainer's cwd, env and rootfs.
  Result r = Runsc({"exec", "a", "sh", "-c", "pwd; echo $HOME; cat /marker"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "/\n/root\na\n");
}

TEST_F(MultiContainerTest, KillOfASubcontainerInitStopsOnlyIt) {
  StartPod();
  StartSub("a", {"sleep", "1000"});
  StartSub("b", {"sleep", "1000"});
  Result r = Runsc({"exec", "--detach", "a", "sleep", "999"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Runsc({"kill", "a", "KILL"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Runsc({"wait", "a"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out, nullptr, false).value("exitStatus", -1), 128 + 9)
      << r.out;
  EXPECT_TRUE(Eventually([&] { return Status("a") == "stopped"; }));
  // The container's other processes died with its init.
  EXPECT_TRUE(Eventually([&] { return Commands("a").empty(); }));
  EXPECT_EQ(Status("pod"), "running");
  EXPECT_EQ(Status("b"), "running");
  EXPECT_EQ(Runsc({"exec", "b", "cat", "/marker"}).out, "b\n");
  // A stopped subcontainer refuses exec.
  EXPECT_NE(Runsc({"exec", "a", "true"}).code, 0);
}

TEST_F(MultiContainerTest, PsAndKillAllArePerContainer) {
  StartPod();
  StartSub("a", {"sleep", "1001"});
  StartSub("b", {"sleep", "1002"});
  ASSERT_EQ(Runsc({"exec", "--detach", "a", "sleep", "2001"}).code, 0);
  ASSERT_EQ(Runsc({"exec", "--detach", "b", "sleep", "2002"}).code, 0);
  EXPECT_THAT(Commands("a"),
              ::testing::UnorderedElementsAre("sleep 1001", "sleep 2001"));
  EXPECT_THAT(Commands("b"),
              ::testing::UnorderedElementsAre("sleep 1002", "sleep 2002"));
  EXPECT_THAT(Commands("pod"), ::testing::ElementsAre("sleep 1000"));
  // events --stats counts the container's processes.
  Result r = Runsc({"events", "--stats", "a"});
  ASSERT_EQ(r.code, 0) << r.err;
  json ev = json::parse(r.out, nullptr, false);
  EXPECT_EQ(ev["data"]["pids"].value("current", -1), 2) << r.out;

  r = Runsc({"kill", "--all", "a", "KILL"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Eventually([&] { return Commands("a").empty(); }));
  EXPECT_TRUE(Eventually([&] { return Status("a") == "stopped"; }));
  EXPECT_THAT(Commands("b"),
              ::testing::UnorderedElementsAre("sleep 1002", "sleep 2002"));
  EXPECT_EQ(Status("b"), "running");
  EXPECT_EQ(Status("pod"), "running");
}

// pause/resume act on one container: its tasks stop (its output stops
// growing) while the pod's other containers run on, whichever is paused.
TEST_F(MultiContainerTest, PauseAndResumeArePerContainer) {
  const std::vector<std::string> ticker = {
      "sh", "-c", "i=0; while true; do echo $i; i=$((i+1)); sleep 0.02; done"};
  CreateAndStart("pod", MakeBundle("pod", ticker, "sandbox", "pod"));
  StartSub("a", ticker);
  if (HasFatalFailure()) return;
  auto lines = [&](const std::string& id) {
    std::string out = ReadFile(Out(id));
    return std::count(out.begin(), out.end(), '\n');
  };
  // Whether `id`'s output grows within 5 s (its ticker runs).
  auto grows = [&](const std::string& id) {
    long before = lines(id);
    for (int i = 0; i < 500; ++i) {
      if (lines(id) > before + 2) return true;
      usleep(10 * 1000);
    }
    return false;
  };
  ASSERT_TRUE(grows("pod"));
  ASSERT_TRUE(grows("a"));

  for (const std::string& paused : {std::string("a"), std::string("pod")}) {
    const std::string other = paused == "a" ? "pod" : "a";
    Result r = Runsc({"pause", paused});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(Status(paused), "paused");
    EXPECT_EQ(Status(other), "running");
    // A task interrupted mid-iteration may finish its echo: wait until the
    // output holds still for 300 ms (bounded).
    long frozen = lines(paused);
    for (int i = 0; i < 20; ++i) {
      usleep(300 * 1000);
      long now = lines(paused);
      if (now == frozen) break;
      frozen = now;
    }
    EXPECT_TRUE(grows(other))
        << other << " stopped while " << paused << " was paused";
    EXPECT_EQ(lines(paused), frozen) << paused << " ran while paused";
    // exec into the paused container is refused; into the other it works.
    EXPECT_NE(Runsc({"exec", paused, "true"}).code, 0);
    EXPECT_EQ(Runsc({"exec", other, "true"}).code, 0);
    r = Runsc({"resume", paused});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(Status(paused), "running");
    EXPECT_TRUE(grows(paused)) << paused << " did not resume";
  }
}

TEST_F(MultiContainerTest, DeleteOfASubcontainerKeepsTheSandbox) {
  StartPod();
  StartSub("a", {"sleep", "1000"});
  StartSub("b", {"sleep", "1000"});
  json st = json::parse(ReadFile(root_ + "/a/meta.json"));
  int gofer = st.value("gofer_pid", 0);
  ASSERT_GT(gofer, 0);
  EXPECT_EQ(st.value("sandbox_id", ""), "pod");
  // Running: --force needed.
  EXPECT_NE(Runsc({"delete", "a"}).code, 0);
  Result r = Runsc({"delete", "--force", "a"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.erase(std::find(started_.begin(), started_.end(), "a"));
  EXPECT_FALSE(Exists(root_ + "/a"));
  EXPECT_NE(Runsc({"state", "a"}).code, 0);
  // Its gofer is gone (not merely signalled).
  EXPECT_TRUE(Eventually([&] {
    std::string stat = ReadFile(absl::StrCat("/proc/", gofer, "/stat"));
    size_t p = stat.rfind(')');
    return stat.empty() || (p != std::string::npos && stat[p + 2] == 'Z');
  }));
  EXPECT_TRUE(LiveProcessesMentioning(dir_ + "/a").empty());
  EXPECT_EQ(Status("pod"), "running");
  EXPECT_EQ(Status("b"), "running");
  EXPECT_EQ(Runsc({"exec", "b", "cat", "/marker"}).out, "b\n");
  // The id can be used again in the same sandbox.
  CreateAndStart("a", dir_ + "/a");
  EXPECT_EQ(Runsc({"exec", "a", "cat", "/marker"}).out, "a\n");
}

// `create` of a subcontainer killed midway (here by its createRuntime hook,
// after the gofer joined the sandbox): the container reads stopped, delete
// removes its gofer and state, the pod keeps running and the id is reusable.
TEST_F(MultiContainerTest, SubcontainerCreateKilledMidwayIsCleanedUp) {
  StartPod();
  std::string b = MakeBundle("a", {"sleep", "1000"}, "container", "pod");
  json c = json::parse(ReadFile(b + "/config.json"));
  c["hooks"]["createRuntime"] = json::array(
      {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "kill -9 $PPID"}}}});
  std::ofstream(b + "/config.json") << c.dump(2);
  Result r = RunscWithStdout({"create", "--bundle", b, "a"}, Out("a"));
  EXPECT_EQ(r.code, 128 + SIGKILL) << r.err;
  json meta = json::parse(ReadFile(root_ + "/a/meta.json"));
  int gofer = meta.value("gofer_pid", 0);
  EXPECT_GT(gofer, 0) << meta.dump();
  EXPECT_EQ(Status("a"), "stopped");
  EXPECT_NE(Runsc({"start", "a"}).code, 0);
  r = Runsc({"delete", "a"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(Exists(root_ + "/a"));
  EXPECT_TRUE(Eventually([&] {
    return LiveProcessesMentioning(dir_ + "/a").empty();
  })) << ::testing::PrintToString(LiveProcessesMentioning(dir_ + "/a"));
  EXPECT_EQ(Status("pod"), "running");
  c.erase("hooks");
  std::ofstream(b + "/config.json") << c.dump(2);
  CreateAndStart("a", b);
  EXPECT_EQ(Runsc({"exec", "a", "cat", "/marker"}).out, "a\n");
}

// kill -9 of a subcontainer's gofer: that container stops (its init is
// SIGKILLed, wait says 137); the pod and the other container run on.
TEST_F(MultiContainerTest, SubcontainerGoferKilledStopsOnlyIt) {
  StartPod();
  StartSub("a", {"sleep", "1000"});
  StartSub("b", {"sleep", "1000"});
  json meta = json::parse(ReadFile(root_ + "/a/meta.json"));
  int gofer = meta.value("gofer_pid", 0);
  ASSERT_GT(gofer, 0);
  ASSERT_EQ(kill(gofer, SIGKILL), 0);
  // ASSERT: `wait` below would block for good on a container that runs on.
  ASSERT_TRUE(Eventually([&] { return Status("a") == "stopped"; }))
      << Status("a");
  Result r = Runsc({"wait", "a"});
  EXPECT_EQ(json::parse(r.out, nullptr, false).value("exitStatus", -1), 137)
      << r.out << r.err;
  EXPECT_EQ(Status("pod"), "running");
  EXPECT_EQ(Status("b"), "running");
  EXPECT_EQ(Runsc({"exec", "b", "cat", "/marker"}).out, "b\n");
  r = Runsc({"delete", "a"});
  EXPECT_EQ(r.code, 0) << r.err;
  started_.erase(std::find(started_.begin(), started_.end(), "a"));
  EXPECT_FALSE(Exists(root_ + "/a"));
  EXPECT_EQ(Status("b"), "running");
}

TEST_F(MultiContainerTest, CreatedSubcontainerCanBeDeleted) {
  StartPod();
  std::string b = MakeBundle("a", {"sleep", "1000"}, "container", "pod");
  Result r = RunscWithStdout({"create", "--bundle", b, "a"}, Out("a"));
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("a");
  EXPECT_EQ(Status("a"), "created");
  r = Runsc({"delete", "a"});
  EXPECT_EQ(r.code, 0) << r.err;
  started_.pop_back();
  EXPECT_FALSE(Exists(root_ + "/a"));
  EXPECT_TRUE(
      Eventually([&] { return LiveProcessesMentioning(dir_ + "/a").empty(); }));
  EXPECT_EQ(Status("pod"), "running");
}

TEST_F(MultiContainerTest, KillOfACreatedSubcontainerLeavesThePod) {
  StartPod();
  std::string b = MakeBundle("a", {"sleep", "1000"}, "container", "pod");
  Result r = RunscWithStdout({"create", "--bundle", b, "a"}, Out("a"));
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("a");
  r = Runsc({"kill", "a", "KILL"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Status("a"), "stopped");
  EXPECT_EQ(Status("pod"), "running");
  EXPECT_EQ(Runsc({"delete", "a"}).code, 0);
  started_.pop_back();
  EXPECT_TRUE(
      Eventually([&] { return LiveProcessesMentioning(dir_ + "/a").empty(); }));
}

TEST_F(MultiContainerTest, RunOfASubcontainerReturnsItsStatusAndKeepsThePod) {
  StartPod();
  std::string b =
      MakeBundle("a", {"sh", "-c", "cat /marker; exit 3"}, "container", "pod");
  Result r = RunscWithStdout({"run", "--bundle", b, "a"}, Out("a"));
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(ReadFile(Out("a")), "a\n");
  EXPECT_FALSE(Exists(root_ + "/a"));
  EXPECT_EQ(Status("pod"), "running");
  EXPECT_EQ(Runsc({"exec", "pod", "cat", "/marker"}).out, "pod\n");
}

TEST_F(MultiContainerTest, StartContainerHooksRunInTheSubcontainer) {
  StartPod();
  std::string b = MakeBundle("a", {"sleep", "1000"}, "container", "pod");
  json c = json::parse(ReadFile(b + "/config.json"));
  c["hooks"]["startContainer"] = {
      {{"path", "/bin/sh"},
       {"args", {"sh", "-c", "echo hook-sees-$(cat /marker)"}}}};
  std::ofstream(b + "/config.json") << c.dump(2);
  CreateAndStart("a", b);
  EXPECT_TRUE(Eventually([&] {
    return ReadFile(Out("a")).find("hook-sees-a\n") != std::string::npos;
  })) << ReadFile(Out("a"));
  EXPECT_EQ(Status("a"), "running");
  // A failing hook stops only that container.
  std::string b2 = MakeBundle("a2", {"sleep", "1000"}, "container", "pod");
  c = json::parse(ReadFile(b2 + "/config.json"));
  c["hooks"]["startContainer"] = {
      {{"path", "/bin/sh"}, {"args", {"sh", "-c", "exit 1"}}}};
  std::ofstream(b2 + "/config.json") << c.dump(2);
  Result r = RunscWithStdout({"create", "--bundle", b2, "a2"}, Out("a2"));
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("a2");
  EXPECT_NE(Runsc({"start", "a2"}).code, 0);
  EXPECT_EQ(Status("a2"), "stopped");
  EXPECT_EQ(Status("a"), "running");
  EXPECT_EQ(Status("pod"), "running");
}

TEST_F(MultiContainerTest, DeleteOfTheSandboxContainerFirst) {
  StartPod();
  StartSub("a", {"sleep", "1000"});
  StartSub("b", {"sleep", "1000"});
  Result r = Runsc({"delete", "--force", "pod"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Status("a"), "stopped");
  EXPECT_EQ(Status("b"), "stopped");
  for (const char* id : {"a", "b"}) {
    r = Runsc({"delete", id});  // stopped: no --force needed
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(Exists(absl::StrCat(root_, "/", id)));
  }
  started_.clear();
  EXPECT_EQ(Runsc({"list", "-q"}).out, "");
}

TEST_F(MultiContainerTest, JoiningAMissingOrStoppedSandboxFails) {
  std::string b = MakeBundle("a", {"sleep", "1000"}, "container", "nopod");
  Result r = RunscWithStdout({"create", "--bundle", b, "a"}, Out("a"));
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("nopod"));
  EXPECT_FALSE(Exists(root_ + "/a"));

  // A pod whose sandbox has stopped (its init exited).
  CreateAndStart("pod", MakeBundle("pod", {"true"}, "sandbox", "pod"));
  ASSERT_TRUE(Eventually([&] { return Status("pod") == "stopped"; }));
  b = MakeBundle("a2", {"sleep", "1000"}, "container", "pod");
  r = RunscWithStdout({"create", "--bundle", b, "a2"}, Out("a2"));
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("stopped"));
  EXPECT_FALSE(Exists(root_ + "/a2"));
  EXPECT_TRUE(LiveProcessesMentioning(dir_ + "/a2").empty());
}

TEST_F(MultiContainerTest, JoiningACreatedSandboxStartsAfterIt) {
  std::string pb = MakeBundle("pod", {"sleep", "1000"}, "sandbox", "pod");
  Result r = RunscWithStdout({"create", "--bundle", pb, "pod"}, Out("pod"));
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("pod");
  std::string b = MakeBundle("a", {"sleep", "1000"}, "container", "pod");
  r = RunscWithStdout({"create", "--bundle", b, "a"}, Out("a"));
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("a");
  r = Runsc({"start", "a"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("has not been started"));
  EXPECT_EQ(Status("a"), "created");
  ASSERT_EQ(Runsc({"start", "pod"}).code, 0);
  r = Runsc({"start", "a"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Status("a"), "running");
  EXPECT_EQ(Runsc({"exec", "a", "cat", "/marker"}).out, "a\n");
}

TEST_F(MultiContainerTest, ManyBindMountsTravelInSeveralFrames) {
  StartPod();
  std::string b = MakeBundle("a", {"sleep", "1000"}, "container", "pod");
  json c = json::parse(ReadFile(b + "/config.json"));
  // 12 bind mounts: 1 + 12 gofer connections + 3 stdio > 8 per frame.
  for (int i = 0; i < 12; ++i) {
    std::string src = absl::StrCat(dir_, "/vol", i);
    mkdir(src.c_str(), 0755);
    std::ofstream(src + "/f") << "vol" << i << "\n";
    c["mounts"].push_back({{"destination", absl::StrCat("/mnt/v", i)},
                           {"type", "bind"},
                           {"source", src},
                           {"options", {"rbind", "ro"}}});
  }
  std::ofstream(b + "/config.json") << c.dump(2);
  CreateAndStart("a", b);
  Result r = Runsc({"exec", "a", "cat", "/mnt/v0/f", "/mnt/v11/f"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "vol0\nvol11\n");
}

TEST_F(MultiContainerTest, CrioAnnotationsAndPodSandboxTypeWork) {
  StartPod();
  std::string b = MakeBundle("a", {"sleep", "1000"}, "container", "pod");
  json c = json::parse(ReadFile(b + "/config.json"));
  c["annotations"] = {{"io.kubernetes.cri-o.ContainerType", "container"},
                      {"io.kubernetes.cri-o.SandboxID", "pod"}};
  std::ofstream(b + "/config.json") << c.dump(2);
  CreateAndStart("a", b);
  json st = json::parse(ReadFile(root_ + "/a/meta.json"));
  EXPECT_EQ(st.value("sandbox_id", ""), "pod");
  EXPECT_EQ(Runsc({"exec", "a", "cat", "/marker"}).out, "a\n");
  // The pod's own container has its own sandbox.
  json pod = json::parse(ReadFile(root_ + "/pod/meta.json"));
  EXPECT_EQ(pod.value("sandbox_id", ""), "pod");
  EXPECT_EQ(pod.value("sandbox_pid", 0), st.value("sandbox_pid", -1));
  EXPECT_NE(pod.value("gofer_pid", 0), st.value("gofer_pid", 0));
}

TEST_F(MultiContainerTest, SubcontainerWithATerminal) {
  StartPod();
  std::string sock = dir_ + "/console.sock";
  int listener = ListenConsoleSocket(sock);
  ASSERT_GE(listener, 0);
  std::string b = MakeBundle(
      "a", {"sh", "-c", "tty; cat /marker; echo done-here; sleep 1000"},
      "container", "pod");
  json c = json::parse(ReadFile(b + "/config.json"));
  c["process"]["terminal"] = true;
  std::ofstream(b + "/config.json") << c.dump(2);
  Result r = Runsc({"create", "--bundle", b, "--console-socket", sock, "a"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("a");
  int master = ReceiveMaster(listener);
  close(listener);
  ASSERT_GE(master, 0);
  ASSERT_EQ(Runsc({"start", "a"}).code, 0);
  std::string got = ReadMasterUntil(master, "done-here");
  close(master);
  EXPECT_THAT(got, HasSubstr("/dev/pts/"));
  EXPECT_THAT(got, HasSubstr("a\r\ndone-here"));
}

}  // namespace
}  // namespace oci_test
