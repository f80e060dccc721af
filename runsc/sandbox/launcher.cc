#include "runsc/sandbox/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/errors.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"
#include "boot/boot.h"
#include "runsc/proto/control.pb.h"
#include "runsc/proto/wire.h"

extern char** environ;

namespace runsc::sandbox {
namespace {

// What a child reports on the exec-error pipe when it cannot exec.
struct ChildError {
  int stage;  // index into kStages
  int err;
};
constexpr const char* kStages[] = {"setsid", "dup descriptors",
                                   "place descriptors", "execve"};

[[noreturn]] void ChildFail(int report_fd, int stage) {
  ChildError e = {stage, errno};
  (void)!::write(report_fd, &e, sizeof(e));
  _exit(127);
}

// Runs in the child between clone and execve: async-signal-safe calls only.
[[noreturn]] void ChildExec(char* const* argv,
                            const std::vector<std::pair<int, int>>& fds,
                            int* temps, int report_src, int base,
                            int report_target) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
  }
  int report = ::fcntl(report_src, F_DUPFD_CLOEXEC, base);
  if (report < 0) _exit(127);
  if (::setsid() < 0) ChildFail(report, 0);
  // Two passes so that a source is never overwritten before it is copied.
  for (size_t i = 0; i < fds.size(); ++i) {
    temps[i] = ::fcntl(fds[i].first, F_DUPFD, base);
    if (temps[i] < 0) ChildFail(report, 1);
  }
  for (size_t i = 0; i < fds.size(); ++i) {
    if (::dup2(temps[i], fds[i].second) < 0) ChildFail(report, 2);
  }
  if (::dup3(report, report_target, O_CLOEXEC) < 0) ChildFail(report, 2);
  report = report_target;
  // Close every descriptor that is not a target (the temporaries included).
  for (int fd = 0; fd < report_target; ++fd) {
    bool wanted = false;
    for (const auto& p : fds) wanted = wanted || p.second == fd;
    if (!wanted) ::close(fd);
  }
  if (::syscall(SYS_close_range, report_target + 1, UINT_MAX, 0) != 0) {
    // Kernels before 5.9: our own descriptors are all below `base` plus
    // the temporaries; the rest of the table is the parent's and small.
    for (int fd = report_target + 1; fd < 65536; ++fd) ::close(fd);
  }
  ::execve(argv[0], argv, environ);
  ChildFail(report, 3);
}

void KillAndReap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

absl::StatusOr<base::UniqueFd> SpecMemfd(const std::string& json) {
  base::UniqueFd fd(static_cast<int>(::syscall(
      SYS_memfd_create, "runsc-spec", MFD_CLOEXEC | MFD_ALLOW_SEALING)));
  if (!fd.valid()) return base::ErrnoStatus(errno, "memfd_create");
  size_t done = 0;
  while (done < json.size()) {
    ssize_t n = ::write(fd.get(), json.data() + done, json.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(errno, "write spec");
    }
    done += static_cast<size_t>(n);
  }
  // The children get a spec that can no longer change under them.
  if (::fcntl(fd.get(), F_ADD_SEALS,
              F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    return base::ErrnoStatus(errno, "seal spec");
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
    return base::ErrnoStatus(errno, "lseek spec");
  }
  return fd;
}

absl::Status SocketPair(int type, base::UniqueFd* a, base::UniqueFd* b) {
  int sv[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) {
    return base::ErrnoStatus(errno, "socketpair");
  }
  a->reset(sv[0]);
  b->reset(sv[1]);
  return absl::OkStatus();
}

// Starts `runsc gofer` serving `gofer_ends` (the root mount first).
absl::StatusOr<pid_t> SpawnGofer(
    const LaunchConfig& config, const std::vector<base::UniqueFd>& gofer_ends) {
  ASSIGN_OR_RETURN(base::UniqueFd gofer_spec, SpecMemfd(config.spec_json));
  base::UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull.valid()) return base::ErrnoStatus(errno, "open /dev/null");
  SpawnSpec gofer;
  gofer.argv.push_back(config.binary);
  gofer.argv.insert(gofer.argv.end(), config.global_args.begin(),
                    config.global_args.end());
  gofer.argv.push_back("gofer");
  gofer.fds = {{devnull.get(), 0},
               {devnull.get(), 1},
               {devnull.get(), 2},
               {gofer_spec.get(), 3}};
  std::vector<int> io;
  int next = 4;
  for (const base::UniqueFd& fd : gofer_ends) {
    gofer.fds.push_back({fd.get(), next});
    io.push_back(next++);
  }
  gofer.argv.push_back("--spec-fd=3");
  gofer.argv.push_back(absl::StrCat("--io-fds=", absl::StrJoin(io, ",")));
  if (config.log_fd >= 0) {
    gofer.fds.push_back({config.log_fd, next});
    gofer.argv.push_back(absl::StrCat("--log-fd=", next++));
  }
  if (!config.bundle.empty()) {
    gofer.argv.push_back(absl::StrCat("--bundle=", config.bundle));
  }
  absl::StatusOr<pid_t> pid = Spawn(gofer);
  if (!pid.ok()) {
    return absl::Status(
        pid.status().code(),
        absl::StrCat("starting the gofer: ", pid.status().message()));
  }
  return *pid;
}

}  // namespace

absl::StatusOr<GoferLaunch> LaunchGofer(const LaunchConfig& config) {
  if (config.gofer_mounts == 0) {
    return absl::InvalidArgumentError("launch: a gofer needs a mount");
  }
  GoferLaunch result;
  std::vector<base::UniqueFd> gofer_ends;
  for (size_t i = 0; i < config.gofer_mounts; ++i) {
    base::UniqueFd a, b;
    RETURN_IF_ERROR(SocketPair(SOCK_SEQPACKET, &a, &b));
    result.sentry_ends.push_back(std::move(a));
    gofer_ends.push_back(std::move(b));
  }
  ASSIGN_OR_RETURN(result.pid, SpawnGofer(config, gofer_ends));
  return result;
}

std::string DescribeWaitStatus(int ws) {
  if (WIFEXITED(ws)) return absl::StrCat("exit status ", WEXITSTATUS(ws));
  if (WIFSIGNALED(ws)) {
    const char* name = sigabbrev_np(WTERMSIG(ws));
    return absl::StrCat(
        "killed by signal ", WTERMSIG(ws),
        name != nullptr ? absl::StrCat(" (SIG", name, ")") : "");
  }
  return absl::StrCat("wait status ", ws);
}

absl::StatusOr<pid_t> Spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("spawn: no argv");
  std::vector<char*> argv;
  for (const std::string& a : spec.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int max_fd = 2;
  for (const auto& p : spec.fds) {
    if (p.first < 0 || p.second < 0) {
      return absl::InvalidArgumentError("spawn: negative descriptor");
    }
    max_fd = std::max({max_fd, p.first, p.second});
  }
  int report_target = 0;
  for (const auto& p : spec.fds)
    report_target = std::max(report_target, p.second + 1);
  int ep[2];
  if (::pipe2(ep, O_CLOEXEC) != 0) return base::ErrnoStatus(errno, "pipe2");
  base::UniqueFd report_read(ep[0]), report_write(ep[1]);
  int base = std::max({max_fd, ep[0], ep[1], report_target}) + 1;
  std::vector<int> temps(spec.fds.size());  // allocated before clone
  pid_t pid =
      static_cast<pid_t>(::syscall(SYS_clone, spec.clone_flags | SIGCHLD,
                                   nullptr, nullptr, nullptr, nullptr));
  if (pid < 0) return base::ErrnoStatus(errno, "clone");
  if (pid == 0) {
    ChildExec(argv.data(), spec.fds, temps.data(), report_write.get(), base,
              report_target);
  }
  report_write.reset();
  ChildError e = {};
  ssize_t n;
  do {
    n = ::read(report_read.get(), &e, sizeof(e));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return pid;  // exec succeeded: CLOEXEC closed the pipe
  KillAndReap(pid);
  if (n != sizeof(e) || e.stage < 0 || e.stage > 3) {
    return absl::InternalError(
        absl::StrCat("spawn ", spec.argv[0], ": child failed before exec"));
  }
  return base::ErrnoStatus(
      e.err, absl::StrCat("spawn ", spec.argv[0], ": ", kStages[e.stage]));
}

absl::StatusOr<LaunchResult> LaunchSandbox(const LaunchConfig& config) {
  if (config.container_id.empty()) {
    return absl::InvalidArgumentError("launch: missing container id");
  }
  if (config.stdio_fds.size() != 3) {
    return absl::InvalidArgumentError("launch: need exactly 3 stdio fds");
  }
  struct stat st;
  if (::stat(config.state_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "launch: state directory ", config.state_dir, " does not exist"));
  }

  LaunchResult result;
  result.control_socket =
      absl::StrCat(config.state_dir, "/", kControlSocketName);
  // A stale socket from a crashed earlier sandbox of this id.
  ::unlink(result.control_socket.c_str());
  ASSIGN_OR_RETURN(base::UniqueFd listener,
                   control::ListenUnix(result.control_socket));
  bool ok = false;
  absl::Cleanup cleanup = [&] {
    if (ok) return;
    KillAndReap(result.sandbox_pid);
    KillAndReap(result.gofer_pid);
    ::unlink(result.control_socket.c_str());
  };

  ASSIGN_OR_RETURN(base::UniqueFd sandbox_spec, SpecMemfd(config.spec_json));
  base::UniqueFd sync_parent, sync_child;
  RETURN_IF_ERROR(SocketPair(SOCK_STREAM, &sync_parent, &sync_child));
  std::vector<base::UniqueFd> sentry_ends, gofer_ends;
  for (size_t i = 0; i < config.gofer_mounts; ++i) {
    base::UniqueFd a, b;
    RETURN_IF_ERROR(SocketPair(SOCK_SEQPACKET, &a, &b));
    sentry_ends.push_back(std::move(a));
    gofer_ends.push_back(std::move(b));
  }

  if (config.gofer_mounts > 0) {
    ASSIGN_OR_RETURN(result.gofer_pid, SpawnGofer(config, gofer_ends));
    gofer_ends.clear();  // the gofer holds them now
  }

  boot::BootConfig boot;
  boot.container_id = config.container_id;
  boot.bundle = config.bundle;
  boot.stdio_fds = {0, 1, 2};
  boot.spec_fd = 3;
  boot.controller_fd = 4;
  boot.start_sync_fd = 5;
  SpawnSpec sandbox;
  sandbox.clone_flags = config.sandbox_clone_flags;
  sandbox.fds = {{config.stdio_fds[0], 0}, {config.stdio_fds[1], 1},
                 {config.stdio_fds[2], 2}, {sandbox_spec.get(), 3},
                 {listener.get(), 4},      {sync_child.get(), 5}};
  int next = 6;
  for (const base::UniqueFd& fd : sentry_ends) {
    sandbox.fds.push_back({fd.get(), next});
    boot.io_fds.push_back(next++);
  }
  if (config.log_fd >= 0) {
    sandbox.fds.push_back({config.log_fd, next});
    boot.log_fd = next++;
  }
  if (config.exit_status_fd >= 0) {
    sandbox.fds.push_back({config.exit_status_fd, next});
    boot.exit_status_fd = next++;
  }
  sandbox.argv.push_back(config.binary);
  sandbox.argv.insert(sandbox.argv.end(), config.global_args.begin(),
                      config.global_args.end());
  // Last of repeated global flags wins (Go flag semantics, runsc/cli).
  if (config.host_network) sandbox.argv.push_back("--network=host");
  sandbox.argv.push_back("boot");
  for (std::string& a : boot::FormatBootArgs(boot)) {
    sandbox.argv.push_back(std::move(a));
  }
  absl::StatusOr<pid_t> pid = Spawn(sandbox);
  if (!pid.ok()) {
    return absl::Status(
        pid.status().code(),
        absl::StrCat("starting the sandbox: ", pid.status().message()));
  }
  result.sandbox_pid = *pid;
  // Only the children may hold these now: EOF on sync means the sandbox died.
  sync_child.reset();
  listener.reset();
  sentry_ends.clear();
  sandbox_spec.reset();

  if (config.before_start) {
    RETURN_IF_ERROR(config.before_start(result.sandbox_pid, result.gofer_pid));
  }
  absl::Time deadline = absl::Now() + config.ready_timeout;
  control::SyncMessage go;
  go.mutable_go();
  absl::Status s = control::SendMessage(sync_parent.get(), go, {}, deadline);
  control::SyncMessage answer;
  if (s.ok()) {
    s = control::RecvMessage(sync_parent.get(), &answer, nullptr, deadline);
  }
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kDeadlineExceeded) {
      return absl::DeadlineExceededError(
          absl::StrCat("sandbox did not become ready within ",
                       absl::FormatDuration(config.ready_timeout)));
    }
    if (s.code() == absl::StatusCode::kUnavailable) {
      int ws = 0;
      pid_t r;
      do {
        r = ::waitpid(result.sandbox_pid, &ws, 0);
      } while (r < 0 && errno == EINTR);
      if (r == result.sandbox_pid) {
        result.sandbox_pid = 0;  // reaped
        return absl::InternalError(
            absl::StrCat("sandbox exited before it was ready (",
                         DescribeWaitStatus(ws), ")"));
      }
    }
    return s;
  }
  if (answer.has_error()) {
    int code = answer.error().code();
    if (code <= 0 ||
        code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
      code = static_cast<int>(absl::StatusCode::kUnknown);
    }
    return absl::Status(
        static_cast<absl::StatusCode>(code),
        absl::StrCat("sandbox failed to start: ", answer.error().message()));
  }
  if (!answer.has_ready()) {
    return absl::InternalError("sandbox sent an unexpected start message");
  }
  if (result.gofer_pid > 0) {
    int ws = 0;
    if (::waitpid(result.gofer_pid, &ws, WNOHANG) == result.gofer_pid) {
      result.gofer_pid = 0;
      return absl::InternalError(
          absl::StrCat("gofer exited early (", DescribeWaitStatus(ws), ")"));
    }
  }
  ok = true;
  return result;
}

}  // namespace runsc::sandbox
