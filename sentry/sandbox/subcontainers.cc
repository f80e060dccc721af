// SentryKernel's subcontainers (docs/multi-container.md): containers that
// join this sandbox, each with its own gofer connections, mount tree, stdio
// and init, sharing the sentry kernel with the root container.
#include <signal.h>

#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "sentry/sandbox/container_fs.h"
#include "sentry/sandbox/files.h"
#include "sentry/sandbox/sentry_kernel.h"

namespace sentry::sandbox {

using json = nlohmann::json;

namespace {

// Most descriptors a subcontainer may be given in all (stdio + gofer
// connections); staging beyond this is refused so that a confused front end
// cannot make the sandbox hoard descriptors.
constexpr size_t kMaxSubcontainerFds = 256;

}  // namespace

absl::Status SentryKernel::StageSubcontainerFds(
    const control::SubcontainerFdsRequest& req,
    std::vector<base::UniqueFd> fds) {
  absl::MutexLock l(&mu_);
  if (destroyed_) return absl::FailedPreconditionError("sandbox destroyed");
  std::vector<base::UniqueFd>& staged = staged_[req.container_id()];
  if (req.first() == 0) staged.clear();
  if (req.first() < 0 || static_cast<size_t>(req.first()) != staged.size()) {
    staged_.erase(req.container_id());
    return absl::InvalidArgumentError(
        "subcontainer descriptors arrived out of order");
  }
  if (staged.size() + fds.size() > kMaxSubcontainerFds) {
    staged_.erase(req.container_id());
    return absl::InvalidArgumentError("too many subcontainer descriptors");
  }
  for (auto& fd : fds) staged.push_back(std::move(fd));
  return absl::OkStatus();
}

absl::Status SentryKernel::CreateSubcontainer(
    const control::CreateSubcontainerRequest& req,
    std::vector<base::UniqueFd> fds) {
  const std::string& id = req.container_id();
  std::vector<base::UniqueFd> all;
  {
    absl::MutexLock l(&mu_);
    auto it = staged_.find(id);
    if (it != staged_.end()) {
      all = std::move(it->second);
      staged_.erase(it);
    }
    if (destroyed_) return absl::FailedPreconditionError("sandbox destroyed");
    if (containers_.contains(id)) {
      return absl::AlreadyExistsError(
          absl::StrCat("container \"", id, "\" is already in this sandbox"));
    }
  }
  for (auto& fd : fds) all.push_back(std::move(fd));
  if ((req.stdio_fds() != 1 && req.stdio_fds() != 3) || req.gofer_fds() < 1 ||
      all.size() != static_cast<size_t>(req.stdio_fds() + req.gofer_fds())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "create subcontainer: expected ", req.stdio_fds(), " stdio and ",
        req.gofer_fds(), " gofer descriptors, got ", all.size(), " in all"));
  }
  json spec = json::parse(req.spec_json(), nullptr, false);
  if (spec.is_discarded() || !spec.is_object()) {
    return absl::InvalidArgumentError("the spec is not a JSON object");
  }
  if (!spec.contains("process") || !spec["process"].is_object()) {
    return absl::InvalidArgumentError("the spec has no process");
  }
  // Checked now so that `create` fails rather than `start`.
  RETURN_IF_ERROR(ParseProcess(spec["process"]).status());

  auto c = std::make_shared<Container>();
  c->id = id;
  c->spec = spec;
  std::vector<base::UniqueFd> gofer;
  std::vector<int> gofer_raw;  // still open: the mount tree keeps them
  for (size_t i = static_cast<size_t>(req.stdio_fds()); i < all.size(); ++i) {
    gofer_raw.push_back(all[i].get());
    gofer.push_back(std::move(all[i]));
  }
  ContainerFsOptions fo;
  fo.overlay = opts_.overlay;
  fo.separate_tree = true;
  ASSIGN_OR_RETURN(c->root,
                   BuildContainerFs(*vfs_, spec, std::move(gofer), fo));
  absl::Status st;
  if (req.stdio_fds() == 1) {
    c->host_console = std::move(all[0]);
  } else {
    for (int i = 0; i < 3; ++i) {
      auto f = NewHostFdFile(vfs_.get(), std::move(all[i]));
      if (!f.ok()) {
        st = ErrnoToStatus(f.error(), "stdio descriptor");
        break;
      }
      c->stdio.push_back(std::move(*f));
    }
  }
  if (st.ok()) {
    absl::MutexLock l(&mu_);
    if (destroyed_) {
      st = absl::FailedPreconditionError("sandbox destroyed");
    } else if (containers_.contains(id)) {
      st = absl::AlreadyExistsError(
          absl::StrCat("container \"", id, "\" is already in this sandbox"));
    } else {
      containers_[id] = c;
    }
  }
  if (!st.ok()) {
    vfs_->ReleaseMountTree(c->root.mount);
    return st;
  }
  // Its gofer dying is its init being SIGKILLed, as for the root container
  // (whose gofer's death ends the sandbox). The watch is joined before the
  // container goes (DestroySubcontainer, ~SentryKernel).
  c->gofer_watch = std::make_unique<boot::GoferWatch>(
      std::move(gofer_raw), [k = kernel_.get(), id] {
        LOG(WARNING) << "container " << id
                     << ": its gofer hung up; killing its processes";
        (void)k->SignalFromOutside(0, SIGKILL, false, true, id);
      });
  LOG(INFO) << "container " << id << ": created in sandbox " << id_;
  return absl::OkStatus();
}

absl::Status SentryKernel::StartSubcontainer(
    const std::shared_ptr<Container>& c, const control::StartRootRequest& req,
    base::UniqueFd console) {
  std::vector<vfs::FileRef> stdio;
  base::UniqueFd host;
  {
    absl::MutexLock l(&mu_);
    if (c->started || c->starting) return AlreadyStarted();
    if (c->removed || destroyed_) {
      return absl::FailedPreconditionError("the container was deleted");
    }
    // Its init joins the pod's PID namespace, whose init is the sandbox
    // container's (CRI starts that one first).
    if (!root_->started) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the pod's sandbox container \"", id_, "\" has not been started"));
    }
    stdio = c->stdio;
    host = console.valid() ? std::move(console) : std::move(c->host_console);
    c->starting = true;
  }
  // Exactly one of racing starts proceeds; the others are told why.
  absl::Cleanup unclaim = [this, c] {
    absl::MutexLock l(&mu_);
    c->starting = false;
  };
  ASSIGN_OR_RETURN(ProcessSpec ps, ParseProcess(c->spec["process"]));
  ASSIGN_OR_RETURN(std::unique_ptr<Console> cons,
                   InitTerminal(*c, ps, std::move(host), stdio));
  // Parentless, its own session (like an exec'd process), marked as the
  // container's init: its exit ends the container's other processes.
  ASSIGN_OR_RETURN(kernel::Task * t, NewProcess(*c, ps, stdio, false, true));
  absl::Status hooks = RunStartContainerHooks(*c, req, stdio);
  if (!hooks.ok()) {
    // The init never ran: end it (it is parentless; the kernel reaps it).
    (void)kernel_->SignalFromOutside(t->tg().tgid, SIGKILL, false, false,
                                     c->id);
    kernel_->StartTask(t);
    return hooks;
  }
  if (cons != nullptr) RETURN_IF_ERROR(cons->Attach(t));
  int32_t pid = t->tg().tgid;
  {
    absl::MutexLock l(&mu_);
    if (cons != nullptr) c->consoles.push_back(std::move(cons));
    c->started = true;
    c->init_pid = pid;
    if (c->removed || destroyed_) {
      // Deleted meanwhile: the task was never run; end it at once.
      (void)kernel_->SignalFromOutside(pid, SIGKILL, false, false, c->id);
    }
  }
  kernel_->StartTask(t);
  LOG(INFO) << "container " << c->id << ": started " << ps.args[0] << " as PID "
            << pid;
  return absl::OkStatus();
}

absl::StatusOr<int> SentryKernel::WaitSubcontainer(
    const std::shared_ptr<Container>& c) {
  int32_t pid;
  {
    absl::MutexLock l(&mu_);
    auto ready = [this, &c]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return c->started || c->removed || destroyed_;
    };
    mu_.Await(absl::Condition(&ready));
    if (!c->started) {
      return absl::FailedPreconditionError(
          "the container was deleted before it started");
    }
    pid = c->init_pid;
  }
  auto r = kernel_->WaitPidExit(pid);
  if (!r.ok()) return ErrnoToStatus(r.error(), "waiting for the container");
  return *r;
}

absl::Status SentryKernel::DestroySubcontainer(const std::string& id) {
  std::shared_ptr<Container> c;
  {
    absl::MutexLock l(&mu_);
    staged_.erase(id);
    auto it = containers_.find(id);
    if (it == containers_.end()) {
      return absl::NotFoundError(
          absl::StrCat("container \"", id, "\" is not in this sandbox"));
    }
    if (it->second->is_root) {
      return absl::FailedPreconditionError(absl::StrCat(
          "container \"", id,
          "\" is the sandbox's root container: deleting it ends the sandbox"));
    }
    c = it->second;
    c->removed = true;
    containers_.erase(it);
  }
  // Before the connections close below (and the gofer with them).
  c->gofer_watch.reset();
  // Every process of the container, then wait (bounded) until they have
  // exited: their files and working directories hold the mount tree and so
  // the gofer connections.
  (void)kernel_->SignalFromOutside(0, SIGKILL, false, true, id);
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (kernel_->GetUsage(id).processes > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  vfs_->ReleaseMountTree(c->root.mount);
  kernel_->ForgetContainerUsage(id);
  {
    absl::MutexLock l(&mu_);
    c->consoles.clear();
    c->stdio.clear();
    c->host_console.reset();
  }
  LOG(INFO) << "container " << id << ": removed from sandbox " << id_;
  return absl::OkStatus();
}

}  // namespace sentry::sandbox
