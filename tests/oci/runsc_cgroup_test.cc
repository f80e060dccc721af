// End to end: the sandbox and gofer in the spec's cgroup on the host's real
// hierarchies (tests/oci/lifecycle_harness.h). Limits written at create and
// by update, events --stats from the cgroup, delete removing exactly the
// directories create made, the host's OOM killer stopping a container over
// its memory limit, fork failing with EAGAIN at the pids limit while the
// sandbox lives on, and a failed create leaving nothing.
//
// Every test uses its own /runsc-test-<pid>-<n> path and removes it. Skips
// only when the host gives no write access to a cgroup hierarchy.
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "runsc/cgroup/layout.h"
#include "tests/oci/lifecycle_harness.h"

namespace oci_test {
namespace {

using ::testing::HasSubstr;

std::string Trim(const std::string& s) {
  return std::string(absl::StripAsciiWhitespace(s));
}

bool IsDir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Alive and not a zombie.
bool Running(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  size_t p = stat.rfind(')');
  return p != std::string::npos && p + 2 < stat.size() && stat[p + 2] != 'Z';
}

std::set<pid_t> Procs(const std::string& dir) {
  std::set<pid_t> out;
  for (absl::string_view l : absl::StrSplit(ReadFile(dir + "/cgroup.procs"),
                                            '\n', absl::SkipEmpty())) {
    int v;
    if (absl::SimpleAtoi(l, &v)) out.insert(v);
  }
  return out;
}

class CgroupTest : public LifecycleTest {
 protected:
  void SetUp() override {
    LifecycleTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    absl::StatusOr<runsc::cgroup::Layout> l =
        runsc::cgroup::DiscoverLayout(runsc::cgroup::Environment{});
    if (!l.ok()) GTEST_SKIP() << "no cgroup hierarchy: " << l.status();
    layout_ = *l;
    for (const char* c : {"memory", "pids", "cpu", "cpuset"}) {
      const runsc::cgroup::Hierarchy* h = layout_.Find(c);
      if (h == nullptr) GTEST_SKIP() << "no " << c << " controller mounted";
      mount_[c] = h->mount_point;
    }
    // Write access: a probe directory in the memory hierarchy.
    std::string probe =
        absl::StrCat(mount_["memory"], "/runsc-test-probe-", getpid());
    if (mkdir(probe.c_str(), 0755) != 0) {
      GTEST_SKIP() << "no write access to " << mount_["memory"] << ": "
                   << strerror(errno);
    }
    rmdir(probe.c_str());
  }
  void TearDown() override {
    LifecycleTest::TearDown();
    // Whatever a failed test left (the tests assert it is nothing).
    for (const std::string& top : tops_) {
      for (const auto& h : layout_.hierarchies) {
        std::string cmd = absl::StrCat("find ", h.mount_point, top,
                                       " -depth -type d -exec rmdir {} + "
                                       "2>/dev/null");
        (void)system(cmd.c_str());
      }
    }
  }

  // A fresh absolute cgroupsPath "/runsc-test-<pid>-<n>/<leaf>".
  std::string NewPath(const std::string& leaf = "c") {
    std::string top = absl::StrCat("/runsc-test-", getpid(), "-", paths_++);
    tops_.push_back(top);
    return top + "/" + leaf;
  }

  void SetCgroup(const std::string& path, json resources) {
    config_["linux"]["cgroupsPath"] = path;
    config_["linux"]["resources"] = std::move(resources);
  }

  std::string Dir(const std::string& controller, const std::string& path) {
    return mount_[controller] + path;
  }

  // No directory of `top` is left in any hierarchy.
  void ExpectGone(const std::string& top) {
    for (const auto& h : layout_.hierarchies) {
      EXPECT_FALSE(IsDir(h.mount_point + top)) << h.mount_point + top;
    }
  }

  json Meta(const std::string& id) {
    return json::parse(ReadFile(root_ + "/" + id + "/meta.json"), nullptr,
                       false);
  }

  bool HasMemsw() {
    return Exists(mount_["memory"] + "/memory.memsw.limit_in_bytes");
  }

  // Polls `state` until the container is stopped (it ends by itself).
  void AwaitStopped(const std::string& id) {
    for (int i = 0; i < 6000 && Status(id) != "stopped"; ++i) usleep(10000);
    ASSERT_EQ(Status(id), "stopped");
  }

  runsc::cgroup::Layout layout_;
  std::map<std::string, std::string> mount_;
  std::vector<std::string> tops_;
  int paths_ = 0;
};

TEST_F(CgroupTest, CreateUpdateEventsDelete) {
  const std::string path = NewPath();
  json res = {{"memory", {{"limit", 256 << 20}}},
              {"cpu",
               {{"shares", 512},
                {"quota", 50000},
                {"period", 100000},
                {"cpus", "0"},
                {"mems", "0"}}},
              {"pids", {{"limit", 200}}}};
  if (HasMemsw()) res["memory"]["swap"] = 512 << 20;
  SetCgroup(path, res);
  StartContainer({"sleep", "1000"});
  if (HasFatalFailure()) return;

  const std::string mem = Dir("memory", path);
  EXPECT_EQ(Trim(ReadFile(mem + "/memory.limit_in_bytes")), "268435456");
  if (HasMemsw()) {
    EXPECT_EQ(Trim(ReadFile(mem + "/memory.memsw.limit_in_bytes")),
              "536870912");
  }
  EXPECT_EQ(Trim(ReadFile(Dir("cpu", path) + "/cpu.shares")), "512");
  EXPECT_EQ(Trim(ReadFile(Dir("cpu", path) + "/cpu.cfs_quota_us")), "50000");
  EXPECT_EQ(Trim(ReadFile(Dir("cpu", path) + "/cpu.cfs_period_us")), "100000");
  EXPECT_EQ(Trim(ReadFile(Dir("cpuset", path) + "/cpuset.cpus")), "0");
  EXPECT_EQ(Trim(ReadFile(Dir("pids", path) + "/pids.max")), "200");

  json meta = Meta("c1");
  ASSERT_TRUE(meta.is_object());
  pid_t sandbox = meta.value("sandbox_pid", 0);
  pid_t gofer = meta.value("gofer_pid", 0);
  ASSERT_GT(sandbox, 0);
  ASSERT_GT(gofer, 0);
  EXPECT_EQ(std::stoi(ReadFile(dir_ + "/init.pid")), sandbox);
  EXPECT_EQ(meta["extra"]["cgroup"]["path"], path);
  for (const char* c : {"memory", "pids", "cpu", "cpuset"}) {
    std::set<pid_t> procs = Procs(Dir(c, path));
    EXPECT_TRUE(procs.count(sandbox)) << c;
    EXPECT_TRUE(procs.count(gofer)) << c;
  }

  // exec --detach leaves a waiting host process: it joins the cgroup, as
  // runc's exec'd processes do.
  Result x = Runsc({"exec", "--detach", "--pid-file", dir_ + "/exec.pid", "c1",
                    "sleep", "1000"});
  ASSERT_EQ(x.code, 0) << x.err;
  pid_t waiter = std::stoi(ReadFile(dir_ + "/exec.pid"));
  EXPECT_TRUE(Procs(mem).count(waiter));
  EXPECT_TRUE(Procs(Dir("pids", path)).count(waiter));

  // update: only the given fields change.
  Result r = Runsc({"update", "--memory", "209715200", "--pids-limit", "150",
                    "--cpu-quota", "20000", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Trim(ReadFile(mem + "/memory.limit_in_bytes")), "209715200");
  EXPECT_EQ(Trim(ReadFile(Dir("pids", path) + "/pids.max")), "150");
  EXPECT_EQ(Trim(ReadFile(Dir("cpu", path) + "/cpu.cfs_quota_us")), "20000");
  EXPECT_EQ(Trim(ReadFile(Dir("cpu", path) + "/cpu.shares")), "512");

  // events --stats: the cgroup's figures.
  r = Runsc({"events", "--stats", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  json ev = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(ev.is_object()) << r.out;
  const json& d = ev["data"];
  EXPECT_EQ(d["memory"]["usage"]["limit"], 209715200);
  EXPECT_GT(d["memory"]["usage"]["usage"].get<uint64_t>(), 0u);
  EXPECT_LE(d["memory"]["usage"]["usage"].get<uint64_t>(), 209715200u);
  EXPECT_EQ(d["pids"]["limit"], 150);
  // The sandbox's threads, its stubs and the gofer: more than one.
  EXPECT_GT(d["pids"]["current"].get<int>(), 2);
  EXPECT_GT(d["cpu"]["usage"]["total"].get<uint64_t>(), 0u);

  r = Runsc({"delete", "--force", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.clear();
  EXPECT_FALSE(Running(sandbox));
  EXPECT_FALSE(Running(gofer));
  EXPECT_FALSE(Running(waiter));
  ExpectGone(tops_.back());
}

// The cgroupsPath forms engines pass (CLIENTS.md). Parents that already
// exist (a real engine's) are left; only what create made is removed.
TEST_F(CgroupTest, EnginePathsWork) {
  const std::string uniq = absl::StrCat("runsc-test-", getpid());
  for (const std::string& parent :
       {std::string("/docker/"), std::string("/default/"),
        std::string("/libpod_parent/libpod-")}) {
    const std::string path = parent + uniq;
    const std::string top = path.substr(0, path.find('/', 1));
    const bool parent_existed = IsDir(mount_["memory"] + top);
    tops_.push_back(path);  // TearDown's net if an assertion fails
    SetCgroup(path, {{"pids", {{"limit", 100}}}});
    StartContainer({"sleep", "1000"});
    if (HasFatalFailure()) return;
    pid_t sandbox = Meta("c1").value("sandbox_pid", 0);
    EXPECT_TRUE(Procs(Dir("memory", path)).count(sandbox)) << path;
    EXPECT_EQ(Trim(ReadFile(Dir("pids", path) + "/pids.max")), "100");
    Result r = Runsc({"delete", "--force", "c1"});
    ASSERT_EQ(r.code, 0) << r.err;
    started_.clear();
    EXPECT_FALSE(IsDir(Dir("memory", path))) << path;
    EXPECT_EQ(IsDir(mount_["memory"] + top), parent_existed) << top;
  }
}

TEST_F(CgroupTest, OverMemoryLimitTheContainerStopsAndDeleteCleansUp) {
  const std::string path = NewPath();
  json res = {{"memory", {{"limit", 64 << 20}}}};
  if (HasMemsw()) res["memory"]["swap"] = 64 << 20;  // no swap to escape to
  SetCgroup(path, res);
  // The overlay's upper layer lives in the sentry's memory file, which is
  // charged to the sandbox's cgroup.
  StartContainer({"sh", "-c",
                  "dd if=/dev/zero of=/tmp/big bs=1M count=400; echo "
                  "SURVIVED; sleep 1000"});
  if (HasFatalFailure()) return;
  pid_t sandbox = Meta("c1").value("sandbox_pid", 0);
  const std::string mem = Dir("memory", path);
  AwaitStopped("c1");
  if (HasFatalFailure()) return;
  EXPECT_THAT(InitOutput(), ::testing::Not(HasSubstr("SURVIVED")));
  // The host's OOM killer acted in this cgroup.
  std::string oom = ReadFile(mem + "/memory.oom_control");
  uint64_t kills = 0;
  for (absl::string_view l : absl::StrSplit(oom, '\n')) {
    if (absl::ConsumePrefix(&l, "oom_kill ")) (void)absl::SimpleAtoi(l, &kills);
  }
  EXPECT_GT(kills, 0u) << oom;
  Result r = Runsc({"delete", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.clear();
  EXPECT_FALSE(Running(sandbox));
  ExpectGone(tops_.back());
  EXPECT_FALSE(Exists(root_ + "/c1"));
}

TEST_F(CgroupTest, AtThePidsLimitForkFailsWithEagainAndTheSandboxLives) {
  const std::string path = NewPath();
  SetCgroup(path, {{"pids", {{"limit", 40}}}});
  // A subshell starts background sleeps until fork fails (each sandboxed
  // process costs host threads and a stub). At the limit init uses only
  // builtins (a failed fork would end the shell) until the test raises the
  // limit and sends SIGUSR1; then forks work again.
  StartContainer(
      {"sh", "-c",
       "trap 'go=1' USR1; "
       "(i=0; while [ $i -lt 100 ]; do sleep 1000 & i=$((i+1)); done) "
       "2>/tmp/err; echo LOOP_DONE; while [ -z \"$go\" ]; do :; done; "
       "grep -q 'Resource temporarily unavailable' /tmp/err && "
       "echo FORK_EAGAIN; kill -9 $(pidof sleep); "
       "sh -c 'echo SECOND_FORK_OK'; sleep 1000"});
  if (HasFatalFailure()) return;
  pid_t sandbox = Meta("c1").value("sandbox_pid", 0);
  for (int i = 0;
       i < 6000 && InitOutput().find("LOOP_DONE") == std::string::npos &&
       Status("c1") == "running";
       ++i) {
    usleep(10000);
  }
  ASSERT_THAT(InitOutput(), HasSubstr("LOOP_DONE"));
  // At the limit: alive, and the commands still reach it.
  EXPECT_EQ(Status("c1"), "running");
  EXPECT_TRUE(Running(sandbox));
  Result r = Runsc({"events", "--stats", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
  json ev = json::parse(r.out, nullptr, false);
  EXPECT_EQ(ev["data"]["pids"]["limit"], 40) << r.out;

  r = Runsc({"update", "--pids-limit", "1000", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Runsc({"kill", "c1", "USR1"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (int i = 0;
       i < 6000 && InitOutput().find("SECOND_FORK_OK") == std::string::npos &&
       Status("c1") == "running";
       ++i) {
    usleep(10000);
  }
  EXPECT_THAT(InitOutput(), HasSubstr("FORK_EAGAIN"));
  EXPECT_THAT(InitOutput(), HasSubstr("SECOND_FORK_OK"));
  EXPECT_EQ(Status("c1"), "running");
  r = Runsc({"delete", "--force", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.clear();
  ExpectGone(tops_.back());
}

TEST_F(CgroupTest, DeleteAfterTheSandboxWasKilledRemovesTheCgroup) {
  const std::string path = NewPath();
  SetCgroup(path, {{"pids", {{"limit", 100}}}});
  StartContainer({"sleep", "1000"});
  if (HasFatalFailure()) return;
  json meta = Meta("c1");
  pid_t sandbox = meta.value("sandbox_pid", 0);
  pid_t gofer = meta.value("gofer_pid", 0);
  ASSERT_GT(sandbox, 0);
  ASSERT_EQ(kill(sandbox, SIGKILL), 0);
  AwaitStopped("c1");
  if (HasFatalFailure()) return;
  Result r = Runsc({"delete", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.clear();
  EXPECT_FALSE(Running(gofer));
  ExpectGone(tops_.back());
}

TEST_F(CgroupTest, InvalidValueFailsCreateAndLeavesNothing) {
  const std::string path = NewPath();
  // CPU 4095 does not exist: the kernel refuses cpuset.cpus.
  SetCgroup(path, {{"cpu", {{"cpus", "4095"}}}});
  SetArgs({"sleep", "1000"});
  Result r = Runsc({"create", "--bundle", bundle_, "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("cpuset.cpus"));
  EXPECT_THAT(r.err, HasSubstr("4095"));
  EXPECT_FALSE(Exists(root_ + "/c1"));
  ExpectGone(tops_.back());
  r = Runsc({"list", "-q"});
  EXPECT_EQ(Trim(r.out), "");
  // Nothing runs from this bundle.
  std::string ps =
      "ps -eo args | grep -F -- '" + bundle_ + "' | grep -v grep >/dev/null";
  EXPECT_NE(system(ps.c_str()), 0);

  // The systemd form without systemd: a clear error, nothing left.
  SetCgroup("system.slice:runsc:c1", json::object());
  SetArgs({"sleep", "1000"});
  r = Runsc({"create", "--bundle", bundle_, "c1"});
  EXPECT_NE(r.code, 0);
  if (!IsDir("/run/systemd/system")) {
    EXPECT_THAT(r.err, HasSubstr("systemd"));
  }
  EXPECT_FALSE(Exists(root_ + "/c1"));
  // The global flag likewise.
  SetCgroup(path, json::object());
  SetArgs({"sleep", "1000"});
  r = Runsc({"--systemd-cgroup", "create", "--bundle", bundle_, "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("--systemd-cgroup"));
  EXPECT_FALSE(Exists(root_ + "/c1"));
  ExpectGone(tops_.back());
}

// A pod (docs/multi-container.md): the subcontainer's cgroupsPath is made
// with its limits and holds its gofer and waiter; update writes there;
// deleting it removes its directories and leaves the pod's.
TEST_F(CgroupTest, SubcontainerGetsItsOwnCgroup) {
  const std::string pod_path = NewPath("pod");
  const std::string top = tops_.back();
  const std::string sub_path = top + "/sub";
  config_["annotations"] = {{"io.kubernetes.cri.container-type", "sandbox"},
                            {"io.kubernetes.cri.sandbox-id", "pod"}};
  SetCgroup(pod_path, {{"pids", {{"limit", 300}}}});
  StartContainer({"sleep", "1000"}, "pod");
  if (HasFatalFailure()) return;
  pid_t sandbox = Meta("pod").value("sandbox_pid", 0);
  ASSERT_GT(sandbox, 0);

  const std::string sub_bundle = dir_ + "/sub-bundle";
  std::string cmd = absl::StrCat(SCRIPTS_DIR, "/make-busybox-bundle.sh ",
                                 sub_bundle, " >/dev/null");
  ASSERT_EQ(system(cmd.c_str()), 0);
  json sub = config_;
  sub["annotations"]["io.kubernetes.cri.container-type"] = "container";
  sub["linux"]["cgroupsPath"] = sub_path;
  sub["linux"]["resources"] = {{"pids", {{"limit", 50}}},
                               {"memory", {{"limit", 128 << 20}}}};
  std::ofstream(sub_bundle + "/config.json") << sub.dump(2);
  Result r = Runsc({"create", "--bundle", sub_bundle, "--pid-file",
                    dir_ + "/sub.pid", "sub"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.insert(started_.begin(), "sub");  // deleted before the pod
  r = Runsc({"start", "sub"});
  ASSERT_EQ(r.code, 0) << r.err;

  json meta = Meta("sub");
  ASSERT_TRUE(meta.is_object());
  EXPECT_EQ(meta["extra"]["cgroup"]["path"], sub_path);
  pid_t gofer = meta.value("gofer_pid", 0);
  pid_t waiter = std::stoi(ReadFile(dir_ + "/sub.pid"));
  ASSERT_GT(gofer, 0);
  ASSERT_GT(waiter, 0);
  EXPECT_EQ(Trim(ReadFile(Dir("pids", sub_path) + "/pids.max")), "50");
  EXPECT_EQ(Trim(ReadFile(Dir("memory", sub_path) + "/memory.limit_in_bytes")),
            "134217728");
  for (const char* c : {"memory", "pids"}) {
    std::set<pid_t> procs = Procs(Dir(c, sub_path));
    EXPECT_TRUE(procs.count(gofer)) << c;
    EXPECT_TRUE(procs.count(waiter)) << c;
    EXPECT_FALSE(procs.count(sandbox)) << c;  // the pod's sentry stays put
    EXPECT_TRUE(Procs(Dir(c, pod_path)).count(sandbox)) << c;
  }

  r = Runsc({"update", "--pids-limit", "40", "sub"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Trim(ReadFile(Dir("pids", sub_path) + "/pids.max")), "40");
  EXPECT_EQ(Trim(ReadFile(Dir("pids", pod_path) + "/pids.max")), "300");

  r = Runsc({"delete", "--force", "sub"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.erase(started_.begin());
  EXPECT_FALSE(Running(gofer));
  EXPECT_FALSE(Running(waiter));
  for (const auto& h : layout_.hierarchies) {
    EXPECT_FALSE(IsDir(h.mount_point + sub_path)) << h.mount_point;
  }
  EXPECT_EQ(Status("pod"), "running");
  EXPECT_TRUE(Procs(Dir("pids", pod_path)).count(sandbox));

  r = Runsc({"delete", "--force", "pod"});
  ASSERT_EQ(r.code, 0) << r.err;
  started_.clear();
  ExpectGone(top);
}

}  // namespace
}  // namespace oci_test
