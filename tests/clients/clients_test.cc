// Client tests: real engines (podman + conmon, containerd + ctr with the runc
// v2 shim, dockerd) drive the built runsc as their runtime (CLIENTS.md).
//
// Each test works in its own scratch directory: private storage, state and
// sockets; daemons it starts (containerd, dockerd) listen on Unix sockets
// there only and are stopped by PID. Images are made locally from a busybox
// rootfs (podman import, ctr image import / docker load of an archive made
// by make-image-archive.sh): no registry. A test skips, saying why, only if
// the engine is not installed or cannot start here.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

using ::testing::HasSubstr;

// The file `name` of the host cgroup `path` in the v1 hierarchy (or the
// cgroup2 mount) that has `controller`, read through the shell; "" if
// missing. Engines pass cgroupsPath /docker/ID and /libpod_parent/libpod-ID.
std::string HostCgroupFile(const std::string& controller,
                           const std::string& path, const std::string& name) {
  std::string cmd =
      absl::StrCat("m=$(grep -E ' - cgroup cgroup [^ ]*[,]", controller,
                   "([, ]|$)' /proc/self/mountinfo | head -1 | cut -d' ' -f5); "
                   "cat \"$m",
                   path, "/", name, "\" 2>/dev/null");
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return "";
  std::string out;
  char buf[256];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  pclose(f);
  return std::string(absl::StripAsciiWhitespace(out));
}

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr together
};

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool Have(const std::string& tool) {
  return system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (system("dpkg -L busybox-static >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "busybox-static is not installed";
    }
    char tmpl[] = "/tmp/runsc-clients.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // Engines call the runtime by path; a copy named runsc (podman decides
    // on its log flags by the file name).
    runsc_ = dir_ + "/bin/runsc";
    ASSERT_EQ(Sh(absl::StrCat("mkdir -p ", dir_, "/bin && cp ",
                              RUNSC_BINARY_PATH, " ", runsc_))
                  .code,
              0);
    ASSERT_EQ(Sh(absl::StrCat(SCRIPTS_DIR, "/make-busybox-bundle.sh ", dir_,
                              "/bundle"))
                  .code,
              0);
    rootfs_tar_ = dir_ + "/rootfs.tar";
    ASSERT_EQ(Sh(absl::StrCat("tar --numeric-owner -C ", dir_,
                              "/bundle/rootfs -cf ", rootfs_tar_, " ."))
                  .code,
              0);
  }

  void TearDown() override {
    for (auto it = daemons_.rbegin(); it != daemons_.rend(); ++it) {
      StopDaemon(*it);
    }
    if (dir_.empty()) return;
    // Engines leave mounts (overlay, shm) under their roots.
    Sh(absl::StrCat("grep -o ' ", dir_,
                    "[^ ]*' /proc/self/mountinfo | sort -r | "
                    "xargs -r -n1 umount -l 2>/dev/null; rm -rf ",
                    dir_));
  }

  // Runs `cmd` with bash; output (both streams) captured through a file.
  Result Sh(const std::string& cmd, int timeout_s = 120) {
    std::string out_path = absl::StrCat(dir_.empty() ? "/tmp" : dir_, "/sh.",
                                        getpid(), ".", counter_++);
    std::string full = absl::StrCat("timeout -k 5 ", timeout_s, " bash -c '",
                                    absl::StrReplaceAll(cmd, {{"'", "'\\''"}}),
                                    "' >", out_path, " 2>&1 </dev/null");
    int st = system(full.c_str());
    Result r;
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = ReadFile(out_path);
    unlink(out_path.c_str());
    return r;
  }

  // Starts a daemon in the background (its own session), output to `log`.
  pid_t StartDaemon(const std::vector<std::string>& argv,
                    const std::string& log) {
    pid_t pid = fork();
    if (pid == 0) {
      setsid();
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      int in = open("/dev/null", O_RDONLY);
      dup2(in, 0);
      std::vector<char*> cargv;
      for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
      cargv.push_back(nullptr);
      execvp(cargv[0], cargv.data());
      _exit(127);
    }
    daemons_.push_back(pid);
    return pid;
  }

  void StopDaemon(pid_t pid) {
    if (kill(pid, SIGTERM) != 0) return;
    for (int i = 0; i < 200; ++i) {
      if (waitpid(pid, nullptr, WNOHANG) == pid) return;
      usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }

  bool WaitForSocket(const std::string& path, pid_t daemon) {
    for (int i = 0; i < 600; ++i) {
      struct stat st;
      if (stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return true;
      if (waitpid(daemon, nullptr, WNOHANG) == daemon) return false;
      usleep(50000);
    }
    return false;
  }

  std::string dir_, runsc_, rootfs_tar_;
  std::vector<pid_t> daemons_;
  int counter_ = 0;
};

// ---- podman ----

class PodmanTest : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped()) return;
    if (!Have("podman") || !Have("conmon")) {
      GTEST_SKIP()
          << "podman/conmon not installed (scripts/setup.sh --clients)";
    }
    podman_ = absl::StrCat(
        "podman --root ", dir_, "/storage --runroot ", dir_, "/run --tmpdir ",
        dir_, "/tmp --storage-driver vfs",
        " --cgroup-manager cgroupfs --events-backend file --runtime ", runsc_);
    Result r = Sh(absl::StrCat(podman_, " import --change 'CMD [\"/bin/sh\"]' ",
                               rootfs_tar_, " localhost/bb"));
    if (r.code != 0) GTEST_SKIP() << "podman cannot import here: " << r.out;
  }
  Result Podman(const std::string& args, int timeout_s = 120) {
    return Sh(absl::StrCat(podman_, " ", args), timeout_s);
  }
  std::string podman_;
};

TEST_F(PodmanTest, RunRm) {
  Result r = Podman("run --rm --network none localhost/bb echo hello-podman");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("hello-podman"));
  r = Podman("run --rm --network none localhost/bb sh -c 'exit 7'");
  EXPECT_EQ(r.code, 7) << r.out;
  r = Podman("ps -a -q");
  EXPECT_EQ(r.out, "") << r.out;
}

TEST_F(PodmanTest, ExecStopKillPauseRm) {
  Result r = Podman("run -d --name c1 --network none localhost/bb sleep 1000");
  ASSERT_EQ(r.code, 0) << r.out;
  r = Podman("exec c1 sh -c 'echo in-exec; exit 3'");
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_THAT(r.out, HasSubstr("in-exec"));
  r = Podman("pause c1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Podman("inspect -f '{{.State.Status}}' c1");
  EXPECT_THAT(r.out, HasSubstr("paused")) << r.out;
  r = Podman("unpause c1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Podman("kill c1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Podman("wait c1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Podman("rm c1");
  EXPECT_EQ(r.code, 0) << r.out;

  r = Podman("run -d --name c2 --network none localhost/bb sleep 1000");
  ASSERT_EQ(r.code, 0) << r.out;
  r = Podman("stop -t 1 c2");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Podman("rm -f c2");
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST_F(PodmanTest, RunWithTerminal) {
  // -t without -i: conmon copies the pty master to our stdout.
  Result r = Podman("run --rm -t --network none localhost/bb sh -c 'tty'");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("/dev/pts/")) << r.out;
}

// A podman pod: its infra container and a member each run in a sandbox of
// their own (podman sets no CRI annotations); the member takes the pod's
// hostname, and stopping and removing the pod ends both.
TEST_F(PodmanTest, PodWithInfraAndMember) {
  Result r = Podman(
      "pod create --name p1 --network none --infra-image localhost/bb "
      "--infra-command 'sleep 1000'");
  ASSERT_EQ(r.code, 0) << r.out;
  r = Podman("run -d --pod p1 --name a localhost/bb sleep 1000");
  ASSERT_EQ(r.code, 0) << r.out;
  r = Podman("ps --filter pod=p1 --format '{{.Names}} {{.State}}'");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("a Up")) << r.out;
  EXPECT_THAT(r.out, HasSubstr("-infra Up")) << r.out;
  r = Podman("exec a hostname");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "p1\n");
  r = Podman("pod stop -t 1 p1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Podman("pod rm p1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Podman("ps -a -q");
  EXPECT_EQ(r.out, "") << r.out;
}

// The limits reach the host cgroup podman names (cgroupfs manager).
TEST_F(PodmanTest, LimitsReachTheHostCgroup) {
  Result r = Podman(
      "run -d --name c1 --network none --memory 64m --pids-limit 100 "
      "localhost/bb sleep 1000");
  ASSERT_EQ(r.code, 0) << r.out;
  std::string id(absl::StripAsciiWhitespace(r.out));
  id = id.substr(id.find_last_of('\n') + 1);
  const std::string path = "/libpod_parent/libpod-" + id;
  EXPECT_EQ(HostCgroupFile("memory", path, "memory.limit_in_bytes"),
            "67108864");
  EXPECT_EQ(HostCgroupFile("pids", path, "pids.max"), "100");
  EXPECT_NE(HostCgroupFile("memory", path, "cgroup.procs"), "");
  r = Podman("rm -f c1");
  EXPECT_EQ(r.code, 0) << r.out;
  // The cgroup is gone.
  EXPECT_EQ(HostCgroupFile("memory", path, "memory.limit_in_bytes"), "");
}

// ---- containerd + ctr ----

class ContainerdTest : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped()) return;
    if (!Have("containerd") || !Have("ctr") ||
        !Have("containerd-shim-runc-v2")) {
      GTEST_SKIP() << "containerd/ctr not installed (scripts/setup.sh "
                      "--clients)";
    }
    sock_ = dir_ + "/containerd.sock";
    std::string cfg = dir_ + "/containerd.toml";
    std::ofstream(cfg) << "version = 2\n"
                       << "root = \"" << dir_ << "/containerd-root\"\n"
                       << "state = \"" << dir_ << "/containerd-state\"\n"
                       << "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
                       << "[grpc]\n  address = \"" << sock_ << "\"\n"
                       << "[ttrpc]\n  address = \"" << sock_ << ".ttrpc\"\n"
                       << "[debug]\n  address = \"" << sock_ << ".debug\"\n"
                       << "[metrics]\n  address = \"\"\n";
    pid_t d =
        StartDaemon({"containerd", "--config", cfg}, dir_ + "/containerd.log");
    if (!WaitForSocket(sock_, d)) {
      GTEST_SKIP() << "containerd did not start here: "
                   << ReadFile(dir_ + "/containerd.log");
    }
    ctr_ = absl::StrCat("ctr --address ", sock_, " --namespace runsctest");
    Result r = Sh(absl::StrCat(TESTS_DIR, "/make-image-archive.sh ", dir_,
                               "/bundle/rootfs ", dir_,
                               "/image.tar localhost/bb:latest"));
    ASSERT_EQ(r.code, 0) << r.out;
    r = Ctr(absl::StrCat("images import --snapshotter native ", dir_,
                         "/image.tar"));
    ASSERT_EQ(r.code, 0) << r.out;
  }
  Result Ctr(const std::string& args, int timeout_s = 120) {
    return Sh(absl::StrCat(ctr_, " ", args), timeout_s);
  }
  std::string RunFlags() {
    return absl::StrCat("--snapshotter native --runc-binary ", runsc_);
  }
  std::string sock_, ctr_;
};

TEST_F(ContainerdTest, RunRm) {
  Result r = Ctr(absl::StrCat("run --rm ", RunFlags(),
                              " localhost/bb:latest c1 echo hello-ctr"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("hello-ctr"));
  r = Ctr(absl::StrCat("run --rm ", RunFlags(),
                       " localhost/bb:latest c2 sh -c 'exit 5'"));
  EXPECT_EQ(r.code, 5) << r.out;
  r = Ctr("containers ls -q");
  EXPECT_EQ(r.out, "") << r.out;
}

TEST_F(ContainerdTest, TaskExecPsKillAllDelete) {
  Result r = Ctr(absl::StrCat("run -d ", RunFlags(),
                              " localhost/bb:latest c1 sleep 1000"));
  ASSERT_EQ(r.code, 0) << r.out;
  r = Ctr("task exec --exec-id e1 c1 sh -c 'echo from-exec; exit 4'");
  EXPECT_EQ(r.code, 4) << r.out;
  EXPECT_THAT(r.out, HasSubstr("from-exec"));
  r = Ctr("task ps c1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("PID"));
  r = Ctr("task pause c1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Ctr("task ls");
  EXPECT_THAT(r.out, HasSubstr("PAUSED")) << r.out;
  r = Ctr("task resume c1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Ctr("task kill -a -s SIGKILL c1");
  EXPECT_EQ(r.code, 0) << r.out;
  for (int i = 0; i < 100; ++i) {
    r = Ctr("task ls");
    if (r.out.find("STOPPED") != std::string::npos) break;
    usleep(100000);
  }
  EXPECT_THAT(r.out, HasSubstr("STOPPED")) << r.out;
  r = Ctr("task delete c1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Ctr("containers delete c1");
  EXPECT_EQ(r.code, 0) << r.out;
}

// ---- dockerd ----

class DockerTest : public ClientTest {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    if (IsSkipped()) return;
    if (!Have("dockerd") || !Have("docker")) {
      GTEST_SKIP() << "dockerd not installed (scripts/setup.sh --clients)";
    }
    sock_ = dir_ + "/docker.sock";
    std::string cfg = dir_ + "/daemon.json";
    std::ofstream(cfg) << "{\"data-root\": \"" << dir_ << "/docker-root\", "
                       << "\"exec-root\": \"" << dir_ << "/docker-exec\", "
                       << "\"pidfile\": \"" << dir_ << "/docker.pid\", "
                       << "\"hosts\": [\"unix://" << sock_ << "\"], "
                       << "\"iptables\": false, \"ip-masq\": false, "
                       << "\"ip6tables\": false, \"bridge\": \"none\", "
                       << "\"storage-driver\": \"vfs\"}";
    // Registered the way users do it: `runsc install` edits daemon.json.
    Result inst = Sh(absl::StrCat(runsc_, " install --config_file ", cfg));
    ASSERT_EQ(inst.code, 0) << inst.out;
    pid_t d =
        StartDaemon({"dockerd", "--config-file", cfg}, dir_ + "/dockerd.log");
    if (!WaitForSocket(sock_, d)) {
      GTEST_SKIP() << "dockerd did not start here: "
                   << ReadFile(dir_ + "/dockerd.log");
    }
    docker_ = absl::StrCat("docker -H unix://", sock_);
    // The API may answer a moment after the socket appears.
    Result r;
    for (int i = 0; i < 100; ++i) {
      r = Docker("version");
      if (r.code == 0) break;
      usleep(100000);
    }
    ASSERT_EQ(r.code, 0) << r.out;
    r = Sh(absl::StrCat(docker_, " import -c 'CMD [\"/bin/sh\"]' ", rootfs_tar_,
                        " localhost/bb"));
    ASSERT_EQ(r.code, 0) << r.out;
  }
  Result Docker(const std::string& args, int timeout_s = 120) {
    return Sh(absl::StrCat(docker_, " ", args), timeout_s);
  }
  std::string sock_, docker_;
};

TEST_F(DockerTest, RunRm) {
  Result r = Docker(
      "run --rm --runtime runsc --network none localhost/bb echo hello-docker");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("hello-docker"));
  r = Docker(
      "run --rm --runtime runsc --network none localhost/bb sh -c 'exit 9'");
  EXPECT_EQ(r.code, 9) << r.out;
}

TEST_F(DockerTest, ExecTopPauseStop) {
  Result r = Docker(
      "run -d --name c1 --runtime runsc --network none localhost/bb sleep "
      "1000");
  ASSERT_EQ(r.code, 0) << r.out;
  r = Docker("exec c1 sh -c 'echo docker-exec; exit 2'");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("docker-exec"));
  r = Docker("top c1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Docker("pause c1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Docker("inspect -f '{{.State.Status}}' c1");
  EXPECT_THAT(r.out, HasSubstr("paused"));
  r = Docker("unpause c1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Docker("stop -t 1 c1");
  EXPECT_EQ(r.code, 0) << r.out;
  r = Docker("rm c1");
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST_F(DockerTest, RunWithStdinPiped) {
  Result r = Sh(absl::StrCat(
      "echo piped-in | ", docker_,
      " run --rm -i --runtime runsc --network none localhost/bb cat"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("piped-in"));
}

TEST_F(DockerTest, RunWithTerminal) {
  Result r = Docker(
      "run --rm -t --runtime runsc --network none localhost/bb sh -c tty");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("/dev/pts/"));
}

// The limits reach the host cgroup dockerd names, and `docker update`
// changes them (runc update --resources -).
TEST_F(DockerTest, LimitsReachTheHostCgroupAndUpdateChangesThem) {
  Result r = Docker(
      "run -d --name c1 --runtime runsc --network none --memory 64m "
      "--memory-swap 64m --pids-limit 100 --cpu-shares 512 localhost/bb "
      "sleep 1000");
  ASSERT_EQ(r.code, 0) << r.out;
  std::string id(absl::StripAsciiWhitespace(r.out));
  id = id.substr(id.find_last_of('\n') + 1);
  const std::string path = "/docker/" + id;
  EXPECT_EQ(HostCgroupFile("memory", path, "memory.limit_in_bytes"),
            "67108864");
  EXPECT_EQ(HostCgroupFile("pids", path, "pids.max"), "100");
  EXPECT_EQ(HostCgroupFile("cpu", path, "cpu.shares"), "512");
  r = Docker("update --memory 96m --memory-swap 96m --pids-limit 120 c1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(HostCgroupFile("memory", path, "memory.limit_in_bytes"),
            "100663296");
  EXPECT_EQ(HostCgroupFile("pids", path, "pids.max"), "120");
  r = Docker("rm -f c1");
  EXPECT_EQ(r.code, 0) << r.out;
  // The cgroup is gone.
  EXPECT_EQ(HostCgroupFile("memory", path, "memory.limit_in_bytes"), "");
}

}  // namespace
