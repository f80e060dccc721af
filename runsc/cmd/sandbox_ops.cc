#include "runsc/cmd/sandbox_ops.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/errors.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/console.h"
#include "runsc/cmd/hooks.h"
#include "runsc/sandbox/control_client.h"
#include "runsc/sandbox/launcher.h"

namespace runsc::cmd {
namespace {

size_t GoferMounts(const specutils::Spec& spec) {
  size_t n = 1;
  for (const auto& m : spec.raw.value("mounts", nlohmann::json::array())) {
    bool bind = m.value("type", "") == "bind";
    for (const auto& o : m.value("options", nlohmann::json::array())) {
      bind |= o == "bind" || o == "rbind";
    }
    if (bind) ++n;
  }
  return n;
}

std::vector<std::string> ChildGlobalArgs(const cli::GlobalOptions& g,
                                         const std::string& root) {
  std::vector<std::string> a = {"--root=" + root};
  if (g.debug) a.push_back("--debug");
  if (g.strace) a.push_back("--strace");
  a.push_back("--platform=" + g.platform);
  if (g.network != "host") a.push_back("--network=" + g.network);
  if (!g.overlay2.empty()) a.push_back("--overlay2=" + g.overlay2);
  if (!g.overlay_mode.empty()) a.push_back("--overlay=" + g.overlay_mode);
  return a;
}

absl::Status WritePidFile(const std::string& path, pid_t pid) {
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  base::UniqueFd fd(
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return base::ErrnoStatus(errno, "pid file " + tmp);
  std::string s = std::to_string(pid);
  if (::write(fd.get(), s.data(), s.size()) != static_cast<ssize_t>(s.size())) {
    int e = errno;
    ::unlink(tmp.c_str());
    return base::ErrnoStatus(e, "writing pid file");
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return base::ErrnoStatus(e, "pid file " + path);
  }
  return absl::OkStatus();
}

// Waits until `pid` (recorded with `start`) is gone; reaps it if it is our
// child. SIGKILLs it after `grace`.
void AwaitGone(pid_t pid, uint64_t start, absl::Duration grace) {
  if (pid <= 0) return;
  absl::Time deadline = absl::Now() + grace;
  bool killed = false;
  while (true) {
    int st;
    pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) return;
    if (r < 0 && errno == ECHILD &&
        !container::ProcessAlive(pid, start == 0 ? 1 : start)) {
      return;
    }
    if (r < 0 && errno == ECHILD && start == 0) return;
    if (!killed && absl::Now() > deadline) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

}  // namespace

std::string ExitStatusPath(const container::Store& store,
                           const std::string& id) {
  return store.ContainerDir(id) + "/exit_status";
}

absl::StatusOr<int> WaitForInit(const container::Store& store,
                                const container::Metadata& md) {
  RETURN_IF_ERROR(RequireSandbox(md));
  sandbox::ControlClient client(md.control_socket);
  absl::StatusOr<int> ws = client.Wait(md.id);
  if (ws.ok() || !sandbox::IsSandboxGone(ws.status())) return ws;
  // The sandbox exits with its init; it recorded the status first.
  int fd = ::open(ExitStatusPath(store, md.id).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[32] = {};
    ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
    ::close(fd);
    int v;
    if (n > 0 && absl::SimpleAtoi(absl::string_view(buf, n), &v)) return v;
  }
  // Gone without a word (killed from outside): as if SIGKILLed.
  return SIGKILL;
}

absl::StatusOr<container::Metadata> CreateContainer(
    const cli::GlobalOptions& g, const cli::CreateOptions& o,
    const specutils::Spec& spec) {
  if (spec.process.terminal && o.console_socket.empty()) {
    return absl::InvalidArgumentError(
        "process.terminal is true but no --console-socket was given");
  }
  container::Store store = OpenStore(g);
  container::Metadata md;
  md.id = o.id;
  md.bundle = spec.bundle_dir;
  md.spec = spec.raw;
  md.status = container::Status::kCreating;
  md.created = absl::Now();
  md.console_socket = o.console_socket;
  md.sandbox_id = o.id;
  md.annotations = spec.annotations;
  RETURN_IF_ERROR(store.Create(md));
  auto cleanup = [&](absl::Status s) {
    absl::Status r = store.Remove(o.id);
    if (!r.ok()) LOG(WARNING) << "create cleanup: " << r;
    return s;
  };

  sandbox::LaunchConfig lc;
  lc.global_args = ChildGlobalArgs(g, store.root());
  lc.container_id = o.id;
  lc.bundle = spec.bundle_dir;
  lc.state_dir = store.ContainerDir(o.id);
  lc.spec_json = spec.raw.dump();
  lc.gofer_mounts = GoferMounts(spec);
  lc.host_network = g.network == "host";
  // process.terminal: the engine gets the master of a host pty now; the
  // sandbox gets its replica as stdio and bridges it to a sentry pty.
  base::UniqueFd console_replica;
  if (spec.process.terminal) {
    absl::StatusOr<HostConsole> hc = SetUpConsole(
        o.console_socket, spec.raw.value("process", nlohmann::json()));
    if (!hc.ok()) return cleanup(hc.status());
    console_replica = std::move(hc->replica);
    lc.stdio_fds = {console_replica.get(), console_replica.get(),
                    console_replica.get()};
  }
  // --debug-log: the children log there (a directory gets one file per
  // container), opened O_APPEND like --log.
  base::UniqueFd log_fd;
  if (!g.debug_log.empty()) {
    std::string path = g.debug_log;
    struct stat st;
    if (path.back() == '/' ||
        (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
      path = absl::StrCat(path, "/runsc.", o.id, ".sandbox.log");
    }
    log_fd.reset(
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!log_fd.valid()) {
      return cleanup(base::ErrnoStatus(errno, "--debug-log " + path));
    }
    lc.log_fd = log_fd.get();
  }
  // Where the sandbox leaves its init's wait status when it exits.
  base::UniqueFd exit_status(::open(ExitStatusPath(store, o.id).c_str(),
                                    O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
                                    0600));
  if (!exit_status.valid()) {
    return cleanup(base::ErrnoStatus(errno, "exit status file"));
  }
  lc.exit_status_fd = exit_status.get();
  absl::StatusOr<sandbox::LaunchResult> lr = sandbox::LaunchSandbox(lc);
  if (!lr.ok()) return cleanup(lr.status());

  uint64_t sb_start = container::ProcessStartTime(lr->sandbox_pid).value_or(0);
  absl::StatusOr<container::Metadata> up =
      store.Update(o.id, [&](container::Metadata& m) {
        m.sandbox_pid = lr->sandbox_pid;
        m.sandbox_start_time = sb_start;
        m.gofer_pid = lr->gofer_pid;
        m.init_pid = lr->sandbox_pid;
        m.init_start_time = sb_start;
        m.control_socket = lr->control_socket;
        m.status = container::Status::kCreated;
        return absl::OkStatus();
      });
  absl::Status st = up.status();
  if (st.ok()) {
    // prestart (deprecated, still sent by Docker), createRuntime,
    // createContainer: the sandbox exists, nothing runs yet (hooks.h).
    container::Metadata creating = *up;
    creating.status = container::Status::kCreating;
    nlohmann::json state = container::OciState(creating);
    for (const char* kind : {"prestart", "createRuntime", "createContainer"}) {
      st = RunHooks(spec.raw, kind, state);
      if (!st.ok()) break;
    }
  }
  if (st.ok() && !o.pid_file.empty()) {
    st = WritePidFile(o.pid_file, lr->sandbox_pid);
  }
  if (!st.ok()) {
    container::Metadata tmp = md;
    tmp.sandbox_pid = lr->sandbox_pid;
    tmp.sandbox_start_time = sb_start;
    tmp.gofer_pid = lr->gofer_pid;
    tmp.control_socket = lr->control_socket;
    DestroySandbox(tmp);
    return cleanup(st);
  }
  return *up;
}

absl::Status RequireSandbox(const container::Metadata& md) {
  if (!md.control_socket.empty()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("sandbox is not running: container \"", md.id,
                   "\" has no control socket recorded"));
}

absl::Status StartContainer(container::Store& store,
                            const container::Metadata& md) {
  RETURN_IF_ERROR(RequireSandbox(md));
  absl::Status hooks =
      RunHooks(md.spec, "startContainer", container::OciState(md));
  if (!hooks.ok()) {
    // The spec: a failing startContainer hook stops the container.
    DestroySandbox(md);
    (void)store.Update(md.id, [](container::Metadata& m) {
      m.status = container::Status::kStopped;
      return absl::OkStatus();
    });
    return hooks;
  }
  sandbox::ControlClient client(md.control_socket);
  RETURN_IF_ERROR(client.StartRoot(md.id));
  ASSIGN_OR_RETURN(container::Metadata running,
                   store.Update(md.id, [](container::Metadata& m) {
                     m.status = container::Status::kRunning;
                     return absl::OkStatus();
                   }));
  RunHooksBestEffort(running.spec, "poststart", container::OciState(running));
  return absl::OkStatus();
}

void DestroySandbox(const container::Metadata& md) {
  if (md.sandbox_pid > 0 &&
      container::ProcessAlive(md.sandbox_pid, md.sandbox_start_time)) {
    sandbox::ControlClient client(md.control_socket, absl::Seconds(5));
    absl::Status s = client.Destroy();
    if (!s.ok()) LOG(DEBUG) << "destroy: " << s;
    AwaitGone(md.sandbox_pid, md.sandbox_start_time, absl::Seconds(5));
  } else if (md.sandbox_pid > 0) {
    int st;
    ::waitpid(md.sandbox_pid, &st, WNOHANG);
  }
  // The gofer exits once the sandbox's ends of its connections close.
  uint64_t gstart = 0;
  if (md.gofer_pid > 0) {
    gstart = container::ProcessStartTime(md.gofer_pid).value_or(0);
    if (gstart != 0) AwaitGone(md.gofer_pid, gstart, absl::Seconds(5));
  }
}

container::Status LiveStatus(const container::Metadata& md) {
  container::Status s = container::EffectiveStatus(md);
  if ((s != container::Status::kRunning && s != container::Status::kPaused) ||
      md.control_socket.empty()) {
    return s;
  }
  sandbox::ControlClient client(md.control_socket, absl::Seconds(5));
  auto procs = client.Processes(md.id);
  if (!procs.ok()) {
    return sandbox::IsSandboxGone(procs.status()) ? container::Status::kStopped
                                                  : s;
  }
  for (const auto& p : *procs) {
    if (p.pid() == 1) return s;
  }
  return container::Status::kStopped;
}

}  // namespace runsc::cmd
