// End to end: the built runsc binary runs busybox bundles in the sandbox
// (sentry on the ptrace platform, files from the gofer) and is driven the
// way engines drive it: run, create/start/state/kill/wait/delete.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

struct Result {
  int code = -1;
  std::string out, err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string MountInfo() { return ReadFile("/proc/self/mountinfo"); }

class RunscTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/bin/busybox", X_OK) != 0 &&
        system("dpkg -L busybox-static >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "busybox-static is not installed";
    }
    char tmpl[] = "/tmp/runsc-oci-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/root";
    bundle_ = dir_ + "/bundle";
    std::string cmd = absl::StrCat(SCRIPTS_DIR, "/make-busybox-bundle.sh ",
                                   bundle_, " >/dev/null");
    ASSERT_EQ(system(cmd.c_str()), 0);
    config_ = json::parse(ReadFile(bundle_ + "/config.json"));
    // The root stays writable (in the overlay) for the write tests.
    config_["root"]["readonly"] = false;
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::string cmd = "rm -rf " + dir_;
      (void)system(cmd.c_str());
    }
  }

  void SetArgs(std::vector<std::string> args) {
    config_["process"]["args"] = args;
    std::ofstream(bundle_ + "/config.json") << config_.dump(2);
  }

  // Runs runsc with --root, waits, returns status and output. Output goes
  // through files, not pipes: a sandbox made by `create` keeps the stdio it
  // was given open long after runsc returns.
  Result Runsc(std::vector<std::string> args) {
    std::vector<std::string> argv = {RUNSC_BINARY_PATH, "--root", root_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out_path = absl::StrCat(dir_, "/out.", counter_);
    std::string err_path = absl::StrCat(dir_, "/err.", counter_++);
    pid_t pid = fork();
    if (pid == 0) {
      int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int devnull = open("/dev/null", O_RDONLY);
      dup2(devnull, 0);
      dup2(o, 1);
      dup2(e, 2);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
    Result r;
    int st;
    waitpid(pid, &st, 0);
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = ReadFile(out_path);
    r.err = ReadFile(err_path);
    return r;
  }

  Result RunArgs(std::vector<std::string> args, std::string id = "c1") {
    SetArgs(std::move(args));
    return Runsc({"run", "--bundle", bundle_, id});
  }

  json State(const std::string& id) {
    Result r = Runsc({"state", id});
    if (r.code != 0) return json();
    return json::parse(r.out, nullptr, false);
  }

  std::string dir_, root_, bundle_;
  int counter_ = 0;
  json config_;
};

TEST_F(RunscTest, RunPrintsAndPropagatesTheExitCode) {
  Result r = RunArgs({"sh", "-c", "echo hello; exit 3"});
  EXPECT_EQ(r.out, "hello\n") << r.err;
  EXPECT_EQ(r.code, 3) << r.err;
  // Nothing is left in the state directory.
  EXPECT_FALSE(Exists(root_ + "/c1"));
}

TEST_F(RunscTest, ShellIsPid1) {
  Result r = RunArgs({"sh", "-c", "echo $$"});
  EXPECT_EQ(r.out, "1\n") << r.err;
  EXPECT_EQ(r.code, 0);
}

TEST_F(RunscTest, UnameIsTheSentrys) {
  Result r = RunArgs({"uname", "-r"});
  struct utsname u;
  ASSERT_EQ(uname(&u), 0);
  EXPECT_EQ(r.out, "4.4.0\n") << r.err;
  EXPECT_NE(r.out, std::string(u.release) + "\n");
  EXPECT_EQ(r.code, 0);
}

// process.capabilities are applied the way runc applies them (checked
// against runc on this machine): root gets bounding | inheritable, another
// user only its ambient set; unknown names are skipped; and they are
// enforced by the sentry.
TEST_F(RunscTest, SpecCapabilitiesAreAppliedAndEnforced) {
  config_["process"]["capabilities"] = {
      {"bounding", {"CAP_KILL", "CAP_CHOWN", "CAP_NOT_A_CAP"}},
      {"effective", {"CAP_KILL", "CAP_CHOWN"}},
      {"permitted", {"CAP_KILL", "CAP_CHOWN"}},
      {"inheritable", {"CAP_KILL", "CAP_CHOWN"}}};
  config_["process"]["noNewPrivileges"] = true;
  {
    std::ofstream f(bundle_ + "/rootfs/secret");
    f << "s3cret\n";
  }
  ASSERT_EQ(chmod((bundle_ + "/rootfs/secret").c_str(), 0), 0);
  ASSERT_EQ(chown((bundle_ + "/rootfs/secret").c_str(), 1234, 1234), 0);
  Result r = RunArgs(
      {"sh", "-c",
       "grep -E '^(CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status;"
       " cat /secret 2>/dev/null || echo no-dac-override;"
       " chown 5:5 /bin/busybox && echo chown-ok"});
  EXPECT_EQ(r.code, 0) << r.err;
  // CAP_CHOWN (0) and CAP_KILL (5).
  EXPECT_EQ(r.out,
            "CapPrm:\t0000000000000021\nCapEff:\t0000000000000021\n"
            "CapBnd:\t0000000000000021\nCapAmb:\t0000000000000000\n"
            "NoNewPrivs:\t1\nno-dac-override\nchown-ok\n")
      << r.err;

  config_["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  config_["process"]["capabilities"]["ambient"] = {"CAP_KILL"};
  r = RunArgs({"sh", "-c", "grep -E '^Cap(Prm|Eff|Amb)' /proc/self/status"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "CapPrm:\t0000000000000020\nCapEff:\t0000000000000020\n"
            "CapAmb:\t0000000000000020\n")
      << r.err;
}

TEST_F(RunscTest, FilesComeThroughTheGofer) {
  std::ofstream(bundle_ + "/rootfs/etc/hostname") << "served-by-gofer-42\n";
  Result r = RunArgs({"cat", "/etc/hostname"});
  EXPECT_EQ(r.out, "served-by-gofer-42\n") << r.err;
  EXPECT_EQ(r.code, 0);
}

TEST_F(RunscTest, WritesStayInTheOverlay) {
  std::string before = ReadFile(bundle_ + "/rootfs/etc/passwd");
  Result r = RunArgs({"sh", "-c",
                      "echo inside > /newfile && cat /newfile && "
                      "echo extra >> /etc/passwd && rm /etc/hostname && "
                      "echo done"});
  EXPECT_EQ(r.out, "inside\ndone\n") << r.err;
  EXPECT_EQ(r.code, 0);
  EXPECT_FALSE(Exists(bundle_ + "/rootfs/newfile"));
  EXPECT_EQ(ReadFile(bundle_ + "/rootfs/etc/passwd"), before);
  EXPECT_TRUE(Exists(bundle_ + "/rootfs/etc/hostname"));
}

TEST_F(RunscTest, OverlayNoneWritesThroughTheGofer) {
  SetArgs({"sh", "-c", "echo through > /newfile && cat /newfile"});
  Result r = Runsc({"--overlay=none", "run", "--bundle", bundle_, "c1"});
  EXPECT_EQ(r.out, "through\n") << r.err;
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(ReadFile(bundle_ + "/rootfs/newfile"), "through\n");
}

TEST_F(RunscTest, ReadOnlyRootRefusesWrites) {
  config_["root"]["readonly"] = true;
  Result r = RunArgs({"sh", "-c", "echo x > /newfile || echo refused"});
  EXPECT_EQ(r.out, "refused\n") << r.err;
  EXPECT_FALSE(Exists(bundle_ + "/rootfs/newfile"));
}

TEST_F(RunscTest, MissingBinaryIsAClearErrorAndLeavesNothing) {
  std::string mounts = MountInfo();
  Result r = RunArgs({"/bin/no-such-program"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("no-such-program"));
  EXPECT_FALSE(Exists(root_ + "/c1"));
  r = RunArgs({"no-such-program"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("not found in $PATH"));
  EXPECT_FALSE(Exists(root_ + "/c1"));
  EXPECT_EQ(MountInfo(), mounts);
}

TEST_F(RunscTest, BadConfigIsAClearErrorAndLeavesNothing) {
  config_["process"]["args"] = json::array();
  std::ofstream(bundle_ + "/config.json") << config_.dump(2);
  Result r = Runsc({"run", "--bundle", bundle_, "c1"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("process.args"));
  EXPECT_FALSE(Exists(root_ + "/c1"));
}

TEST_F(RunscTest, CreateStartStateKillDelete) {
  std::string mounts = MountInfo();
  SetArgs({"sleep", "1000"});
  std::string pid_file = dir_ + "/init.pid";
  Result r =
      Runsc({"create", "--bundle", bundle_, "--pid-file", pid_file, "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  json st = State("c1");
  EXPECT_EQ(st["status"], "created") << st.dump();
  int pid = std::stoi(ReadFile(pid_file));
  EXPECT_EQ(st["pid"], pid);
  EXPECT_EQ(kill(pid, 0), 0);
  json meta = json::parse(ReadFile(root_ + "/c1/meta.json"));

  r = Runsc({"start", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(State("c1")["status"], "running");

  r = Runsc({"kill", "c1", "KILL"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Runsc({"wait", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["exitStatus"], 137) << r.out;
  EXPECT_EQ(State("c1")["status"], "stopped");

  r = Runsc({"delete", "c1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(Exists(root_ + "/c1"));
  // The sandbox and the gofer are gone (they were reparented away from us,
  // so only their absence can be checked).
  for (const char* k : {"sandbox_pid", "gofer_pid"}) {
    if (!meta.contains(k)) continue;
    int p = meta[k].get<int>();
    if (p <= 0) continue;
    bool gone = false;
    for (int i = 0; i < 500 && !gone; ++i) {
      std::string stat = ReadFile(absl::StrCat("/proc/", p, "/stat"));
      gone = stat.empty() || stat.find(") Z ") != std::string::npos;
      if (!gone) usleep(10000);
    }
    EXPECT_TRUE(gone) << k << " " << p;
  }
  EXPECT_EQ(MountInfo(), mounts);
  // Docker deletes twice.
  r = Runsc({"delete", "--force", "c1"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(RunscTest, KilledProgramGives128PlusSignal) {
  SetArgs({"sleep", "1000"});
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    execl(RUNSC_BINARY_PATH, RUNSC_BINARY_PATH, "--root", root_.c_str(), "run",
          "--bundle", bundle_.c_str(), "c2", nullptr);
    _exit(127);
  }
  bool running = false;
  for (int i = 0; i < 3000 && !running; ++i) {
    json st = State("c2");
    running = st.is_object() && st["status"] == "running";
    if (!running) usleep(10000);
  }
  ASSERT_TRUE(running);
  Result r = Runsc({"kill", "c2", "TERM"});
  EXPECT_EQ(r.code, 0) << r.err;
  int status;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_FALSE(Exists(root_ + "/c2"));
}

}  // namespace
