#include "runsc/cmd/subcontainer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"
#include "runsc/cmd/cgroup_ops.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/console.h"
#include "runsc/cmd/hooks.h"
#include "runsc/cmd/sandbox_ops.h"
#include "runsc/cmd/waiter.h"
#include "runsc/proto/wire.h"
#include "runsc/sandbox/control_client.h"
#include "runsc/sandbox/launcher.h"

namespace runsc::cmd {
namespace {

namespace control = ::runsc::control;

constexpr char kCriType[] = "io.kubernetes.cri.container-type";
constexpr char kCriSandbox[] = "io.kubernetes.cri.sandbox-id";
constexpr char kCrioType[] = "io.kubernetes.cri-o.ContainerType";
constexpr char kCrioSandbox[] = "io.kubernetes.cri-o.SandboxID";
constexpr char kGoferStart[] = "gofer_start_time";

std::string Annotation(const specutils::Spec& spec, const char* key) {
  auto it = spec.annotations.find(key);
  return it == spec.annotations.end() ? "" : it->second;
}

// Kills and reaps a child of this process.
void KillChild(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

// Sends the descriptors (stdio first, then gofer connections) and the
// CreateSubcontainer request. A frame carries at most kMaxFds descriptors:
// all but the last frame's go ahead as SubcontainerFds requests, which the
// sandbox stages under the container id.
absl::Status SendCreate(const std::string& socket, const std::string& id,
                        const std::string& spec_json, int stdio_count,
                        const std::vector<int>& fds) {
  sandbox::ControlClient client(socket);
  const size_t max = control::kMaxFds;
  size_t last_start = fds.size() > max ? fds.size() - max : 0;
  // Staged chunks: [0, last_start) in frames of `max`.
  for (size_t first = 0; first < last_start; first += max) {
    size_t n = std::min(max, last_start - first);
    control::Request req;
    req.mutable_subcontainer_fds()->set_container_id(id);
    req.mutable_subcontainer_fds()->set_first(static_cast<int32_t>(first));
    RETURN_IF_ERROR(client
                        .Call(req, absl::MakeConstSpan(fds).subspan(first, n),
                              absl::Now() + absl::Seconds(30))
                        .status());
  }
  control::Request req;
  auto* c = req.mutable_create_subcontainer();
  c->set_container_id(id);
  c->set_spec_json(spec_json);
  c->set_stdio_fds(stdio_count);
  c->set_gofer_fds(static_cast<int32_t>(fds.size()) - stdio_count);
  return client
      .Call(req, absl::MakeConstSpan(fds).subspan(last_start),
            absl::Now() + absl::Seconds(60))
      .status();
}

}  // namespace

absl::StatusOr<std::string> SubcontainerSandboxId(const specutils::Spec& spec) {
  std::string type = Annotation(spec, kCriType);
  std::string sandbox = Annotation(spec, kCriSandbox);
  if (type.empty()) {
    type = Annotation(spec, kCrioType);
    sandbox = Annotation(spec, kCrioSandbox);
  }
  if (type != "container") return std::string();
  if (sandbox.empty()) {
    return absl::InvalidArgumentError(
        "the container-type annotation is \"container\" but no sandbox id "
        "annotation names the pod's sandbox");
  }
  return sandbox;
}

bool IsSubcontainer(const container::Metadata& md) {
  return !md.sandbox_id.empty() && md.sandbox_id != md.id;
}

absl::StatusOr<container::Metadata> CreateSubcontainer(
    const cli::GlobalOptions& g, const cli::CreateOptions& o,
    const specutils::Spec& spec, const std::string& sandbox_id) {
  container::Store store = OpenStore(g);
  absl::StatusOr<container::Metadata> sb = LoadContainer(store, sandbox_id);
  // The annotation names the exact id (no prefix matching here).
  if (sb.ok() && sb->id != sandbox_id) {
    sb = absl::NotFoundError("no exact match");
  }
  if (!sb.ok()) {
    if (absl::IsNotFound(sb.status())) {
      return absl::NotFoundError(absl::StrCat("sandbox container \"",
                                              sandbox_id, "\" of container \"",
                                              o.id, "\" does not exist"));
    }
    return sb.status();
  }
  if (IsSubcontainer(*sb)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container \"", sandbox_id,
        "\" is not a sandbox container (it joined \"", sb->sandbox_id, "\")"));
  }
  container::Status sbs = LiveStatus(*sb);
  if ((sbs != container::Status::kCreated &&
       sbs != container::Status::kRunning) ||
      sb->control_socket.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot join sandbox \"", sandbox_id, "\": it is ",
        container::StatusName(sbs), " (it must be created or running)"));
  }

  container::Metadata md = NewCreatingRecord(o, spec);
  md.sandbox_id = sb->id;
  md.sandbox_pid = sb->sandbox_pid;
  md.sandbox_start_time = sb->sandbox_start_time;
  md.control_socket = sb->control_socket;
  RETURN_IF_ERROR(store.Create(md));
  pid_t gofer_pid = 0, waiter_pid = 0;
  bool in_sandbox = false;
  std::optional<cgroup::Cgroup> cg;
  auto cleanup = [&](absl::Status s) {
    if (in_sandbox) {
      control::Request req;
      req.mutable_destroy_subcontainer()->set_container_id(o.id);
      (void)sandbox::ControlClient(md.control_socket, absl::Seconds(10))
          .Call(req, {}, absl::Now() + absl::Seconds(10));
    }
    KillChild(waiter_pid);
    KillChild(gofer_pid);
    if (cg) (void)cg->Destroy();
    absl::Status r = store.Remove(o.id);
    if (!r.ok()) LOG(WARNING) << "create cleanup: " << r;
    return s;
  };

  // The container's own cgroup (its cgroupsPath and limits), made and
  // recorded before anything runs, as for a root container. It holds the
  // host processes this container adds, its gofer and its waiter: the
  // container's tasks are the pod's sentry's, which stays in the sandbox
  // container's cgroup (gVisor does the same; docs/multi-container.md).
  absl::StatusOr<std::optional<cgroup::Cgroup>> made =
      CreateContainerCgroup(g, spec, store, o.id);
  if (!made.ok()) return cleanup(made.status());
  cg = std::move(*made);

  // Stdio: the descriptors `create` was given, or the replica of a host
  // terminal whose master went to the console socket.
  base::UniqueFd console_replica;
  std::vector<int> fds;
  int stdio_count = 3;
  if (spec.process.terminal) {
    absl::StatusOr<HostConsole> hc = SetUpConsole(
        o.console_socket, spec.raw.value("process", nlohmann::json()));
    if (!hc.ok()) return cleanup(hc.status());
    console_replica = std::move(hc->replica);
    fds.push_back(console_replica.get());
    stdio_count = 1;
  } else {
    fds = {0, 1, 2};
  }

  sandbox::LaunchConfig lc;
  lc.global_args = ChildGlobalArgs(g, store.root());
  lc.container_id = o.id;
  lc.bundle = spec.bundle_dir;
  lc.state_dir = store.ContainerDir(o.id);
  lc.spec_json = spec.raw.dump();
  lc.gofer_mounts = GoferMounts(spec);
  absl::StatusOr<sandbox::GoferLaunch> gl = sandbox::LaunchGofer(lc);
  if (!gl.ok()) return cleanup(gl.status());
  gofer_pid = gl->pid;
  if (cg) {
    absl::Status joined = cg->AddProcess(gofer_pid);
    if (!joined.ok()) return cleanup(joined);
  }
  uint64_t gofer_start = container::ProcessStartTime(gofer_pid).value_or(0);
  absl::Status recorded = store
                              .Update(o.id,
                                      [&](container::Metadata& m) {
                                        m.gofer_pid = gofer_pid;
                                        m.extra[kGoferStart] = gofer_start;
                                        return absl::OkStatus();
                                      })
                              .status();
  if (!recorded.ok()) return cleanup(recorded);
  for (const base::UniqueFd& fd : gl->sentry_ends) fds.push_back(fd.get());

  in_sandbox = true;  // a failure may leave staged descriptors: drop them
  absl::Status sent =
      SendCreate(md.control_socket, o.id, lc.spec_json, stdio_count, fds);
  if (!sent.ok()) {
    return cleanup(
        absl::Status(sent.code(), absl::StrCat("joining sandbox \"", sandbox_id,
                                               "\": ", sent.message())));
  }
  gl->sentry_ends.clear();  // the sandbox holds them now
  console_replica.reset();

  absl::StatusOr<pid_t> waiter =
      ForkWaiter(WaitTarget{md.control_socket, o.id, 0});
  if (!waiter.ok()) return cleanup(waiter.status());
  waiter_pid = *waiter;
  if (cg) {
    absl::Status joined = cg->AddProcess(waiter_pid);
    if (!joined.ok()) return cleanup(joined);
  }
  uint64_t waiter_start = container::ProcessStartTime(waiter_pid).value_or(0);
  absl::StatusOr<container::Metadata> up =
      store.Update(o.id, [&](container::Metadata& m) {
        m.init_pid = waiter_pid;
        m.init_start_time = waiter_start;
        return absl::OkStatus();
      });
  if (!up.ok()) return cleanup(up.status());
  // As a root container's create ends; the pid file names the waiter.
  up = FinishCreate(store, *up, o.pid_file, waiter_pid);
  if (!up.ok()) return cleanup(up.status());
  LOG(DEBUG) << "created " << o.id << " in sandbox " << sandbox_id << ": gofer "
             << gofer_pid << ", waiter " << waiter_pid;
  return *up;
}

void DestroySubcontainer(const container::Metadata& md) {
  if (md.sandbox_pid > 0 &&
      container::ProcessAlive(md.sandbox_pid, md.sandbox_start_time) &&
      !md.control_socket.empty()) {
    control::Request req;
    req.mutable_destroy_subcontainer()->set_container_id(md.id);
    absl::StatusOr<control::Response> r =
        sandbox::ControlClient(md.control_socket, absl::Seconds(10))
            .Call(req, {}, absl::Now() + absl::Seconds(10));
    if (!r.ok()) LOG(DEBUG) << "delete " << md.id << ": " << r.status();
  }
  // The gofer exits once the sandbox has closed its connections (or the
  // sandbox is gone); the waiter once the container's init is gone.
  uint64_t gofer_start = 0;
  if (md.extra.is_object() && md.extra.contains(kGoferStart) &&
      md.extra[kGoferStart].is_number_unsigned()) {
    gofer_start = md.extra[kGoferStart].get<uint64_t>();
  }
  if (md.gofer_pid > 0 && gofer_start != 0) {
    AwaitGone(md.gofer_pid, gofer_start, absl::Seconds(2));
  }
  if (md.init_pid > 0 && md.init_start_time != 0) {
    AwaitGone(md.init_pid, md.init_start_time, absl::Seconds(2));
  }
}

}  // namespace runsc::cmd
