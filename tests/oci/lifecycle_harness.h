// A test fixture that drives the built runsc binary on a busybox bundle in
// a temporary directory (own --root), as engines do. Shared by the OCI
// lifecycle tests. Output goes through files, not pipes: a sandbox keeps the
// stdio it was given open after runsc returns.
#ifndef TESTS_OCI_LIFECYCLE_HARNESS_H_
#define TESTS_OCI_LIFECYCLE_HARNESS_H_

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace oci_test {

using json = nlohmann::json;

struct Result {
  int code = -1;
  std::string out, err;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/bin/busybox", X_OK) != 0 &&
        system("dpkg -L busybox-static >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "busybox-static is not installed";
    }
    char tmpl[] = "/tmp/runsc-lifecycle-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/root";
    bundle_ = dir_ + "/bundle";
    std::string cmd = absl::StrCat(SCRIPTS_DIR, "/make-busybox-bundle.sh ",
                                   bundle_, " >/dev/null");
    ASSERT_EQ(system(cmd.c_str()), 0);
    config_ = json::parse(ReadFile(bundle_ + "/config.json"));
    config_["root"]["readonly"] = false;
  }
  void TearDown() override {
    if (dir_.empty()) return;
    for (const std::string& id : started_) {
      Runsc({"delete", "--force", id});
    }
    std::string cmd = "rm -rf " + dir_;
    (void)system(cmd.c_str());
  }

  void SetArgs(std::vector<std::string> args) {
    config_["process"]["args"] = args;
    std::ofstream(bundle_ + "/config.json") << config_.dump(2);
  }

  // Runs runsc with --root; stdin is /dev/null unless `stdin_path` is set.
  Result Runsc(std::vector<std::string> args, std::string stdin_path = "",
               std::vector<int> extra_fds = {}) {
    std::vector<std::string> argv = {RUNSC_BINARY_PATH, "--root", root_};
    argv.insert(argv.end(), args.begin(), args.end());
    int n = counter_++;
    std::string out_path = absl::StrCat(dir_, "/out.", n);
    std::string err_path = absl::StrCat(dir_, "/err.", n);
    pid_t pid = fork();
    if (pid == 0) {
      int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int in =
          open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY);
      dup2(in, 0);
      dup2(o, 1);
      dup2(e, 2);
      for (size_t i = 0; i < extra_fds.size(); ++i) {
        dup2(extra_fds[i], 3 + static_cast<int>(i));
      }
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

  // create + start of `args` as the container's init. Its stdout and stderr
  // go to <dir>/init.out (InitOutput()).
  void StartContainer(std::vector<std::string> args, std::string id = "c1") {
    SetArgs(std::move(args));
    init_out_ = absl::StrCat(dir_, "/init.", id, ".out");
    Result r = RunscWithStdout(
        {"create", "--bundle", bundle_, "--pid-file", dir_ + "/init.pid", id},
        init_out_);
    ASSERT_EQ(r.code, 0) << r.err;
    started_.push_back(id);
    r = Runsc({"start", id});
    ASSERT_EQ(r.code, 0) << r.err;
  }

  // Like Runsc, but stdout (and stderr) to `path`, appended.
  Result RunscWithStdout(std::vector<std::string> args,
                         const std::string& path) {
    std::vector<std::string> argv = {RUNSC_BINARY_PATH, "--root", root_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string err_path = absl::StrCat(dir_, "/err.", counter_++);
    pid_t pid = fork();
    if (pid == 0) {
      int o = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int in = open("/dev/null", O_RDONLY);
      dup2(in, 0);
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
    r.err = ReadFile(err_path);
    return r;
  }

  std::string InitOutput() { return ReadFile(init_out_); }

  json State(const std::string& id) {
    Result r = Runsc({"state", id});
    if (r.code != 0) return json();
    return json::parse(r.out, nullptr, false);
  }

  std::string Status(const std::string& id) {
    json s = State(id);
    return s.is_object() ? s.value("status", "") : "";
  }

  std::string dir_, root_, bundle_, init_out_;
  std::vector<std::string> started_;
  std::atomic<int> counter_{0};  // Runsc may run on several threads
  json config_;
};

}  // namespace oci_test

#endif  // TESTS_OCI_LIFECYCLE_HARNESS_H_
