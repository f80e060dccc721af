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
#include "runsc/cmd/cgroup_ops.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/console.h"
#include "runsc/cmd/hooks.h"
#include "runsc/cmd/subcontainer.h"
#include "runsc/sandbox/control_client.h"
#include "runsc/sandbox/launcher.h"

namespace runsc::cmd {

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

namespace {

// Records launched children of a container still being created.
absl::Status RecordLaunched(container::Store& store, const std::string& id,
                            pid_t sandbox_pid, pid_t gofer_pid,
                            const std::string& control_socket) {
  uint64_t start = container::ProcessStartTime(sandbox_pid).value_or(0);
  return store
      .Update(id,
              [&](container::Metadata& m) {
                m.sandbox_pid = sandbox_pid;
                m.sandbox_start_time = start;
                m.gofer_pid = gofer_pid;
                m.init_pid = sandbox_pid;
                m.init_start_time = start;
                m.control_socket = control_socket;
                return absl::OkStatus();
              })
      .status();
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
  // A pod's container joins its sandbox (docs/multi-container.md).
  ASSIGN_OR_RETURN(std::string pod_sandbox, SubcontainerSandboxId(spec));
  if (!pod_sandbox.empty()) {
    return CreateSubcontainer(g, o, spec, pod_sandbox);
  }
  container::Store store = OpenStore(g);
  container::Metadata md = NewCreatingRecord(o, spec);
  md.sandbox_id = o.id;
  RETURN_IF_ERROR(store.Create(md));
  std::optional<cgroup::Cgroup> cg;  // cgroup_ops.h
  auto cleanup = [&](absl::Status s) {
    if (cg) (void)cg->Destroy();
    absl::Status r = store.Remove(o.id);
    if (!r.ok()) LOG(WARNING) << "create cleanup: " << r;
    return s;
  };

  // The cgroup exists (and is recorded) before the processes; both join it
  // before the sandbox is told to go.
  absl::StatusOr<std::optional<cgroup::Cgroup>> made =
      CreateContainerCgroup(g, spec, store, o.id);
  if (!made.ok()) return cleanup(made.status());
  cg = std::move(*made);

  sandbox::LaunchConfig lc;
  lc.before_start = [&](pid_t sandbox_pid, pid_t gofer_pid) -> absl::Status {
    // Both children exist and wait for `go`: record them first, so that a
    // create killed from here on leaves processes delete can find.
    RETURN_IF_ERROR(RecordLaunched(
        store, o.id, sandbox_pid, gofer_pid,
        absl::StrCat(lc.state_dir, "/", sandbox::kControlSocketName)));
    if (!cg) return absl::OkStatus();
    RETURN_IF_ERROR(cg->AddProcess(sandbox_pid));
    if (gofer_pid > 0) RETURN_IF_ERROR(cg->AddProcess(gofer_pid));
    return absl::OkStatus();
  };
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
        return absl::OkStatus();
      });
  absl::Status st = up.status();
  // The sandbox exists, nothing runs yet.
  if (st.ok()) {
    up = FinishCreate(store, *up, o.pid_file, lr->sandbox_pid);
    st = up.status();
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

container::Metadata NewCreatingRecord(const cli::CreateOptions& o,
                                      const specutils::Spec& spec) {
  container::Metadata md;
  md.id = o.id;
  md.bundle = spec.bundle_dir;
  md.spec = spec.raw;
  md.status = container::Status::kCreating;
  md.created = absl::Now();
  md.console_socket = o.console_socket;
  md.annotations = spec.annotations;
  container::RecordCreator(md);
  return md;
}

absl::StatusOr<container::Metadata> FinishCreate(container::Store& store,
                                                 const container::Metadata& md,
                                                 const std::string& pid_file,
                                                 pid_t pid) {
  RETURN_IF_ERROR(RunCreateHooks(md));
  // Created only now: a create killed before this point leaves a container
  // that reports stopped (its creator is gone; docs/faults.md).
  ASSIGN_OR_RETURN(container::Metadata created,
                   store.Update(md.id, [](container::Metadata& m) {
                     m.status = container::Status::kCreated;
                     return absl::OkStatus();
                   }));
  if (!pid_file.empty()) RETURN_IF_ERROR(WritePidFile(pid_file, pid));
  return created;
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
  // startContainer hooks run inside the sandbox (the spec: path resolved
  // and executed in the container), between creating init and running it.
  ASSIGN_OR_RETURN(std::vector<HookSpec> hooks,
                   ParseHooks(md.spec, "startContainer"));
  control::StartRootRequest start;
  start.set_container_id(md.id);
  start.set_state_json(container::OciState(md).dump());
  absl::Duration budget = absl::Seconds(30);
  for (const HookSpec& h : hooks) {
    control::Hook* ph = start.add_start_container_hooks();
    ph->set_path(h.path);
    for (const std::string& a : h.args) ph->add_args(a);
    for (const std::string& e : h.env) ph->add_env(e);
    if (h.timeout.has_value()) {
      ph->set_timeout_ms(absl::ToInt64Milliseconds(*h.timeout));
    }
    // A hook without a timeout may run as long as it likes (as in runc).
    budget += h.timeout.value_or(absl::InfiniteDuration());
  }
  sandbox::ControlClient client(md.control_socket, budget);
  absl::Status started = client.StartRoot(start);
  if (!started.ok() && !hooks.empty()) {
    // The spec: a failing startContainer hook stops the container.
    StopContainer(md);
    (void)store.Update(md.id, [](container::Metadata& m) {
      m.status = container::Status::kStopped;
      return absl::OkStatus();
    });
  }
  RETURN_IF_ERROR(started);
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
  RemoveContainerCgroup(md);
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
    // A subcontainer the sandbox no longer knows has been dropped.
    bool gone = sandbox::IsSandboxGone(procs.status()) ||
                (IsSubcontainer(md) && absl::IsNotFound(procs.status()));
    return gone ? container::Status::kStopped : s;
  }
  // Per container: its own init (PID 1 for the root container).
  for (const auto& p : *procs) {
    if (p.container_init() || (!IsSubcontainer(md) && p.pid() == 1)) return s;
  }
  return container::Status::kStopped;
}

void StopContainer(const container::Metadata& md) {
  if (IsSubcontainer(md)) {
    DestroySubcontainer(md);
  } else {
    DestroySandbox(md);
  }
}

}  // namespace runsc::cmd
