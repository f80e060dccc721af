// Fault tests (issue #5): kill -9 of the gofer, of the sandbox, of a ptrace
// stub, and of `runsc create` at two points. After each fault `state` must say
// stopped (or the container is not found), `delete` must leave no process,
// mount or file behind, and a new container with the same id must work.
// docs/faults.md describes the behaviour these tests pin down.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/oci/host_residue.h"
#include "tests/oci/lifecycle_harness.h"

namespace oci_test {
namespace {

using ::testing::HasSubstr;

// The host processes of one container, from meta.json, plus the sandbox's
// stubs (its children) at the time of the snapshot.
struct Host {
  pid_t sandbox = 0, gofer = 0;
  uint64_t sandbox_start = 0, gofer_start = 0;
  std::vector<pid_t> stubs;
  std::vector<uint64_t> stub_starts;
};

class FaultTest : public LifecycleTest {
 protected:
  void SetUp() override {
    LifecycleTest::SetUp();
    if (IsSkipped()) return;
    mounts_before_ = MountLines("/proc/self/mountinfo");
    host_mounts_before_ = MountLines("/proc/1/mountinfo");
  }

  Host Snapshot(const std::string& id) {
    Host h;
    json md =
        json::parse(ReadFile(root_ + "/" + id + "/meta.json"), nullptr, false);
    if (!md.is_object()) return h;
    h.sandbox = md.value("sandbox_pid", 0);
    h.gofer = md.value("gofer_pid", 0);
    h.sandbox_start = StartTime(h.sandbox);
    h.gofer_start = StartTime(h.gofer);
    if (h.sandbox > 0) {
      for (pid_t s : LiveChildren(h.sandbox)) {
        h.stubs.push_back(s);
        h.stub_starts.push_back(StartTime(s));
      }
    }
    return h;
  }

  // Stubs of the sandbox that were not in `before`.
  std::vector<pid_t> NewStubs(const Host& before) {
    std::vector<pid_t> out;
    for (pid_t s : LiveChildren(before.sandbox)) {
      if (std::find(before.stubs.begin(), before.stubs.end(), s) ==
          before.stubs.end()) {
        out.push_back(s);
      }
    }
    return out;
  }

  bool AllGone(const Host& h) {
    if (Alive(h.sandbox, h.sandbox_start) || Alive(h.gofer, h.gofer_start)) {
      return false;
    }
    for (size_t i = 0; i < h.stubs.size(); ++i) {
      if (Alive(h.stubs[i], h.stub_starts[i])) return false;
    }
    return true;
  }

  // What `delete` must leave: no process of ours, no state, no new mount.
  void ExpectNothingLeft(const Host& h, const std::string& id) {
    EXPECT_TRUE(PollUntil([&] { return AllGone(h); }))
        << "sandbox " << h.sandbox << " / gofer " << h.gofer
        << " / stubs still alive";
    EXPECT_TRUE(PollUntil([&] {
      return LiveProcessesMentioning(root_).empty();
    })) << "processes with --root "
        << root_ << " remain";
    EXPECT_FALSE(Exists(root_ + "/" + id));
    EXPECT_THAT(
        NewLinesMentioning(mounts_before_, MountLines("/proc/self/mountinfo"),
                           {dir_, "runsc"}),
        ::testing::IsEmpty());
    EXPECT_THAT(
        NewLinesMentioning(host_mounts_before_, MountLines("/proc/1/mountinfo"),
                           {dir_, "runsc"}),
        ::testing::IsEmpty());
  }

  // The same id works again: create, start, exec, delete.
  void ExpectIdReusable(const std::string& id) {
    SetArgs({"sleep", "1000"});
    Result r = Runsc({"create", "--bundle", bundle_, id});
    ASSERT_EQ(r.code, 0) << r.err;
    r = Runsc({"start", id});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(Status(id), "running");
    r = Runsc({"exec", id, "echo", "again"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "again\n");
    Host h = Snapshot(id);
    r = Runsc({"delete", "--force", id});
    EXPECT_EQ(r.code, 0) << r.err;
    ExpectNothingLeft(h, id);
  }

  bool StoppedOrGone(const std::string& id) {
    Result r = Runsc({"state", id});
    if (r.code != 0) return absl::StrContains(r.err, "does not exist");
    json s = json::parse(r.out, nullptr, false);
    return s.is_object() && s.value("status", "") == "stopped" &&
           s.value("pid", -1) == 0;
  }

  // `runsc wait`'s exitStatus once the sandbox `h` is gone (-1 on failure,
  // -2 if it is still running: waiting would hang the test).
  int WaitExitStatus(const Host& h, const std::string& id) {
    if (!PollUntil([&] { return !Alive(h.sandbox, h.sandbox_start); })) {
      return -2;
    }
    Result r = Runsc({"wait", id});
    if (r.code != 0) return -1;
    json w = json::parse(r.out, nullptr, false);
    return w.is_object() ? w.value("exitStatus", -1) : -1;
  }

  // Starts `runsc <global> create ... id` without waiting; returns its pid.
  pid_t SpawnRunsc(std::vector<std::string> args) {
    std::vector<std::string> argv = {RUNSC_BINARY_PATH, "--root", root_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string err = absl::StrCat(dir_, "/spawn.err.", counter_++);
    pid_t pid = fork();
    if (pid == 0) {
      int in = open("/dev/null", O_RDONLY);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(in, 0);
      dup2(e, 1);
      dup2(e, 2);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
    return pid;
  }

  std::set<std::string> mounts_before_, host_mounts_before_;
};

TEST_F(FaultTest, GoferKilledStopsTheContainer) {
  StartContainer({"sleep", "1000"});
  Host h = Snapshot("c1");
  ASSERT_GT(h.gofer, 0);
  ASSERT_TRUE(Alive(h.gofer));
  ASSERT_EQ(kill(h.gofer, SIGKILL), 0);
  // The sandbox notices its gofer connections hang up and stops the
  // container: everything in it is killed, the sandbox exits.
  EXPECT_TRUE(PollUntil([&] { return StoppedOrGone("c1"); }))
      << "state after the gofer died: " << State("c1").dump();
  EXPECT_TRUE(PollUntil([&] { return !Alive(h.sandbox, h.sandbox_start); }))
      << "sandbox still running without its gofer";
  EXPECT_EQ(WaitExitStatus(h, "c1"), 128 + SIGKILL);
  Result r = Runsc({"delete", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectNothingLeft(h, "c1");
  ExpectIdReusable("c1");
}

TEST_F(FaultTest, GoferKilledBeforeStart) {
  SetArgs({"sleep", "1000"});
  Result r = Runsc({"create", "--bundle", bundle_, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.push_back("c1");
  Host h = Snapshot("c1");
  ASSERT_TRUE(Alive(h.gofer));
  ASSERT_EQ(kill(h.gofer, SIGKILL), 0);
  EXPECT_TRUE(PollUntil([&] { return StoppedOrGone("c1"); }))
      << "state after the gofer died: " << State("c1").dump();
  r = Runsc({"start", "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("\"stopped\""));
  r = Runsc({"delete", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectNothingLeft(h, "c1");
  ExpectIdReusable("c1");
}

TEST_F(FaultTest, SandboxKilled) {
  StartContainer({"sleep", "1000"});
  Host h = Snapshot("c1");
  ASSERT_FALSE(h.stubs.empty());
  ASSERT_EQ(kill(h.sandbox, SIGKILL), 0);
  EXPECT_TRUE(PollUntil([&] { return StoppedOrGone("c1"); }))
      << "state after the sandbox died: " << State("c1").dump();
  // The gofer and the stubs go by themselves (connections closed, parent
  // death signal), before any delete.
  EXPECT_TRUE(PollUntil([&] { return AllGone(h); }))
      << "gofer or stubs outlived the sandbox";
  EXPECT_EQ(WaitExitStatus(h, "c1"), 128 + SIGKILL);
  Result r = Runsc({"delete", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectNothingLeft(h, "c1");
  ExpectIdReusable("c1");
}

TEST_F(FaultTest, InitStubKilledStopsTheContainer) {
  StartContainer({"sleep", "1000"});
  Host h = Snapshot("c1");
  ASSERT_FALSE(h.stubs.empty()) << "no stub found under sandbox " << h.sandbox;
  // Every stub of the sandbox holds init's address space (it is the only
  // process): killing them kills init as SIGKILL would.
  for (pid_t s : h.stubs) ASSERT_EQ(kill(s, SIGKILL), 0);
  EXPECT_TRUE(PollUntil([&] { return StoppedOrGone("c1"); }))
      << "state after init's stubs died: " << State("c1").dump();
  EXPECT_EQ(WaitExitStatus(h, "c1"), 128 + SIGKILL);
  Result r = Runsc({"delete", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectNothingLeft(h, "c1");
  ExpectIdReusable("c1");
}

TEST_F(FaultTest, ExecStubKilledKillsOnlyThatProcess) {
  StartContainer({"sleep", "1000"});
  Host before = Snapshot("c1");
  ASSERT_FALSE(before.stubs.empty());
  std::string pid_file = dir_ + "/exec.pid";
  Result r =
      Runsc({"exec", "-d", "--pid-file", pid_file, "c1", "sleep", "999"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<pid_t> stubs;
  ASSERT_TRUE(PollUntil([&] {
    stubs = NewStubs(before);
    return !stubs.empty();
  })) << "the exec'd process got no stub";
  auto sleeping = [&](const std::string& what) {
    r = Runsc({"ps", "c1"});
    int n = 0;
    for (absl::string_view l : absl::StrSplit(r.out, '\n')) {
      if (absl::StrContains(l, what)) ++n;
    }
    return n;
  };
  ASSERT_EQ(sleeping("999"), 1) << r.out;
  for (pid_t s : stubs) ASSERT_EQ(kill(s, SIGKILL), 0);
  // That process dies as if SIGKILLed; its waiter reports it; init and the
  // sandbox carry on.
  EXPECT_TRUE(PollUntil([&] { return sleeping("999") == 0; })) << r.out;
  pid_t waiter = 0;
  ASSERT_TRUE(absl::SimpleAtoi(ReadFile(pid_file), &waiter));
  EXPECT_TRUE(PollUntil([&] { return !Alive(waiter); }));
  EXPECT_EQ(Status("c1"), "running");
  EXPECT_TRUE(Alive(before.sandbox, before.sandbox_start));
  r = Runsc({"exec", "c1", "echo", "still here"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "still here\n");
  Host h = Snapshot("c1");
  r = Runsc({"delete", "--force", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectNothingLeft(h, "c1");
}

// create blocked connecting to its --console-socket (a listener with a
// full backlog that never accepts): the state directory exists (status
// creating), no child has been launched yet.
TEST_F(FaultTest, CreateKilledBeforeLaunch) {
  SetArgs({"sleep", "1000"});
  config_["process"]["terminal"] = true;
  std::ofstream(bundle_ + "/config.json") << config_.dump(2);
  std::string sock = dir_ + "/console.sock";
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock.size(), sizeof(addr.sun_path));
  memcpy(addr.sun_path, sock.data(), sock.size());
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  ASSERT_EQ(listen(listener, 0), 0);
  // Fill the backlog of 0 (one pending connection) so the next connect
  // blocks.
  int filler = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(filler, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  pid_t create = SpawnRunsc(
      {"create", "--bundle", bundle_, "--console-socket", sock, "c1"});
  ASSERT_GT(create, 0);
  // connect(2) is syscall 42 on x86-64: create sits in it.
  bool blocked = PollUntil([&] {
    return Exists(root_ + "/c1/meta.json") &&
           absl::StartsWith(
               ReadFile(absl::StrCat("/proc/", create, "/syscall")), "42 ");
  });
  EXPECT_TRUE(blocked) << "create never blocked on its console socket";
  EXPECT_THAT(ReadFile(root_ + "/c1/meta.json"), HasSubstr("creating"));
  ASSERT_EQ(kill(create, SIGKILL), 0);
  int st;
  ASSERT_EQ(waitpid(create, &st, 0), create);
  close(filler);
  close(listener);
  ASSERT_TRUE(blocked);
  EXPECT_TRUE(StoppedOrGone("c1")) << State("c1").dump();
  Result r = Runsc({"start", "c1"});
  EXPECT_NE(r.code, 0);
  r = Runsc({"delete", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectNothingLeft(Host{}, "c1");
  config_["process"]["terminal"] = false;
  ExpectIdReusable("c1");
}

// create killed while the sandbox boots (launched, waiting for `go` or not
// yet ready): the children notice (start-sync and gofer connections close)
// and exit by themselves. The exact point varies from run to run; what must
// hold does not.
TEST_F(FaultTest, CreateKilledWhileTheSandboxStarts) {
  SetArgs({"sleep", "1000"});
  for (int attempt = 0; attempt < 10; ++attempt) {
    pid_t create = SpawnRunsc({"create", "--bundle", bundle_, "c1"});
    ASSERT_GT(create, 0);
    std::vector<pid_t> children;
    // A tight poll (no sleep): the window lasts tens of milliseconds.
    for (int i = 0; i < 100000; ++i) {
      children = LiveProcessesMentioning(root_);
      bool booting = false;
      for (pid_t c : children) {
        std::string cmd = ReadFile(absl::StrCat("/proc/", c, "/cmdline"));
        booting |= absl::StrContains(cmd, std::string("\0boot\0", 6));
      }
      if (booting) break;
    }
    ASSERT_EQ(kill(create, SIGKILL), 0);
    int st;
    ASSERT_EQ(waitpid(create, &st, 0), create);
    if (WIFEXITED(st)) {  // create won the race: try again
      ASSERT_EQ(Runsc({"delete", "--force", "c1"}).code, 0);
      ASSERT_TRUE(
          PollUntil([&] { return LiveProcessesMentioning(root_).empty(); }));
      continue;
    }
    Host h;
    for (pid_t c : children) {
      if (c == create) continue;
      h.stubs.push_back(c);  // sandbox and gofer, by pid and start time
      h.stub_starts.push_back(StartTime(c));
    }
    EXPECT_TRUE(StoppedOrGone("c1")) << State("c1").dump();
    Result r = Runsc({"delete", "c1"});
    EXPECT_EQ(r.code, 0) << r.err;
    ExpectNothingLeft(h, "c1");
    ExpectIdReusable("c1");
    return;
  }
  FAIL() << "create always finished before it could be killed";
}

// A createRuntime hook kills its parent, `runsc create`, after the sandbox
// and gofer are up but before the pid file is written.
TEST_F(FaultTest, CreateKilledAfterLaunchBeforePidFile) {
  SetArgs({"sleep", "1000"});
  config_["hooks"]["createRuntime"] = json::array(
      {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "kill -9 $PPID"}}}});
  std::ofstream(bundle_ + "/config.json") << config_.dump(2);
  std::string pid_file = dir_ + "/c1.pid";
  Result r =
      Runsc({"create", "--bundle", bundle_, "--pid-file", pid_file, "c1"});
  EXPECT_EQ(r.code, 128 + SIGKILL) << r.err;
  EXPECT_FALSE(Exists(pid_file));
  Host h = Snapshot("c1");
  EXPECT_GT(h.sandbox, 0);
  EXPECT_TRUE(StoppedOrGone("c1")) << State("c1").dump();
  r = Runsc({"start", "c1"});
  EXPECT_NE(r.code, 0);
  r = Runsc({"delete", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
  ExpectNothingLeft(h, "c1");
  config_.erase("hooks");
  ExpectIdReusable("c1");
}

}  // namespace
}  // namespace oci_test
