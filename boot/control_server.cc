#include "boot/control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "runsc/proto/wire.h"

namespace boot {
namespace {

using control::Request;
using control::Response;

void SetError(Response* resp, const absl::Status& status) {
  resp->Clear();
  resp->mutable_error()->set_code(static_cast<int32_t>(status.code()));
  resp->mutable_error()->set_message(std::string(status.message()));
}

absl::Status ExpectFds(const std::vector<base::UniqueFd>& fds, size_t want,
                       absl::string_view what) {
  if (fds.size() != want) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " expects ", want, " descriptors, got ", fds.size()));
  }
  return absl::OkStatus();
}

absl::Status ExpectId(const std::string& id, absl::string_view what) {
  if (id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": missing container id"));
  }
  return absl::OkStatus();
}

// Fills *resp from the request; returns the failure to report, if any.
absl::Status DispatchInner(SandboxKernel& kernel, const Request& req,
                           std::vector<base::UniqueFd> fds, Response* resp,
                           bool* destroyed) {
  switch (req.request_case()) {
    case Request::kPing:
      RETURN_IF_ERROR(ExpectFds(fds, 0, "ping"));
      resp->mutable_ping()->set_pid(::getpid());
      return absl::OkStatus();
    case Request::kStartRoot: {
      RETURN_IF_ERROR(ExpectId(req.start_root().container_id(), "start"));
      if (fds.size() > 1) return ExpectFds(fds, 1, "start");
      base::UniqueFd console;
      if (!fds.empty()) console = std::move(fds[0]);
      RETURN_IF_ERROR(kernel.StartRoot(req.start_root(), std::move(console)));
      resp->mutable_ok();
      return absl::OkStatus();
    }
    case Request::kExec: {
      RETURN_IF_ERROR(ExpectId(req.exec().container_id(), "exec"));
      // Without a terminal: stdin, stdout, stderr, then the descriptors
      // `exec --preserve-fds` passes (they become fds 3, 4, ...).
      if (req.exec().terminal() || fds.size() < 3 || fds.size() > 3 + 5) {
        RETURN_IF_ERROR(ExpectFds(fds, req.exec().terminal() ? 1 : 3, "exec"));
      }
      ASSIGN_OR_RETURN(int32_t pid, kernel.Exec(req.exec(), std::move(fds)));
      resp->mutable_exec()->set_pid(pid);
      return absl::OkStatus();
    }
    case Request::kSignal: {
      const control::SignalRequest& s = req.signal();
      RETURN_IF_ERROR(ExpectId(s.container_id(), "signal"));
      RETURN_IF_ERROR(ExpectFds(fds, 0, "signal"));
      if (s.target() == control::SignalRequest::TARGET_UNSPECIFIED ||
          !control::SignalRequest::Target_IsValid(s.target())) {
        return absl::InvalidArgumentError("signal: unknown target");
      }
      // 0 probes for existence, as kill(2) allows; 64 is _NSIG on Linux.
      if (s.signo() < 0 || s.signo() > 64) {
        return absl::InvalidArgumentError(
            absl::StrCat("signal: invalid signal ", s.signo()));
      }
      if ((s.target() == control::SignalRequest::PROCESS ||
           s.target() == control::SignalRequest::FOREGROUND_GROUP) &&
          s.pid() <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("signal: invalid pid ", s.pid()));
      }
      RETURN_IF_ERROR(kernel.Signal(s));
      resp->mutable_ok();
      return absl::OkStatus();
    }
    case Request::kWait: {
      RETURN_IF_ERROR(ExpectId(req.wait().container_id(), "wait"));
      RETURN_IF_ERROR(ExpectFds(fds, 0, "wait"));
      ASSIGN_OR_RETURN(int ws, kernel.Wait(req.wait().container_id()));
      resp->mutable_wait()->set_wait_status(ws);
      return absl::OkStatus();
    }
    case Request::kWaitPid: {
      RETURN_IF_ERROR(ExpectId(req.wait_pid().container_id(), "waitpid"));
      RETURN_IF_ERROR(ExpectFds(fds, 0, "waitpid"));
      if (req.wait_pid().pid() <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("waitpid: invalid pid ", req.wait_pid().pid()));
      }
      ASSIGN_OR_RETURN(int ws, kernel.WaitPid(req.wait_pid().container_id(),
                                              req.wait_pid().pid()));
      resp->mutable_wait()->set_wait_status(ws);
      return absl::OkStatus();
    }
    case Request::kProcesses: {
      RETURN_IF_ERROR(ExpectId(req.processes().container_id(), "ps"));
      RETURN_IF_ERROR(ExpectFds(fds, 0, "ps"));
      ASSIGN_OR_RETURN(std::vector<control::ProcessInfo> procs,
                       kernel.Processes(req.processes().container_id()));
      for (auto& p : procs) {
        *resp->mutable_processes()->add_processes() = std::move(p);
      }
      resp->mutable_processes();
      return absl::OkStatus();
    }
    case Request::kPause:
      RETURN_IF_ERROR(ExpectFds(fds, 0, "pause"));
      RETURN_IF_ERROR(kernel.Pause(req.pause().container_id()));
      resp->mutable_ok();
      return absl::OkStatus();
    case Request::kResume:
      RETURN_IF_ERROR(ExpectFds(fds, 0, "resume"));
      RETURN_IF_ERROR(kernel.Resume(req.resume().container_id()));
      resp->mutable_ok();
      return absl::OkStatus();
    case Request::kEvent: {
      RETURN_IF_ERROR(ExpectId(req.event().container_id(), "events"));
      RETURN_IF_ERROR(ExpectFds(fds, 0, "events"));
      ASSIGN_OR_RETURN(control::ContainerStats stats,
                       kernel.Event(req.event().container_id()));
      *resp->mutable_event()->mutable_stats() = std::move(stats);
      return absl::OkStatus();
    }
    case Request::kCheckpoint:
      RETURN_IF_ERROR(ExpectId(req.checkpoint().container_id(), "checkpoint"));
      RETURN_IF_ERROR(ExpectFds(fds, 1, "checkpoint"));
      RETURN_IF_ERROR(kernel.Checkpoint(req.checkpoint().container_id(),
                                        std::move(fds[0])));
      resp->mutable_ok();
      return absl::OkStatus();
    case Request::kRestore:
      RETURN_IF_ERROR(ExpectId(req.restore().container_id(), "restore"));
      RETURN_IF_ERROR(ExpectFds(fds, 1, "restore"));
      RETURN_IF_ERROR(
          kernel.Restore(req.restore().container_id(), std::move(fds[0])));
      resp->mutable_ok();
      return absl::OkStatus();
    case Request::kDestroy:
      RETURN_IF_ERROR(ExpectFds(fds, 0, "destroy"));
      RETURN_IF_ERROR(kernel.Destroy());
      *destroyed = true;
      resp->mutable_ok();
      return absl::OkStatus();
    case Request::kSubcontainerFds:
      RETURN_IF_ERROR(
          ExpectId(req.subcontainer_fds().container_id(), "subcontainer fds"));
      RETURN_IF_ERROR(
          kernel.StageSubcontainerFds(req.subcontainer_fds(), std::move(fds)));
      resp->mutable_ok();
      return absl::OkStatus();
    case Request::kCreateSubcontainer:
      RETURN_IF_ERROR(ExpectId(req.create_subcontainer().container_id(),
                               "create subcontainer"));
      RETURN_IF_ERROR(
          kernel.CreateSubcontainer(req.create_subcontainer(), std::move(fds)));
      resp->mutable_ok();
      return absl::OkStatus();
    case Request::kDestroySubcontainer:
      RETURN_IF_ERROR(ExpectId(req.destroy_subcontainer().container_id(),
                               "delete subcontainer"));
      RETURN_IF_ERROR(ExpectFds(fds, 0, "delete subcontainer"));
      RETURN_IF_ERROR(kernel.DestroySubcontainer(
          req.destroy_subcontainer().container_id()));
      resp->mutable_ok();
      return absl::OkStatus();
    case Request::REQUEST_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("unknown control request");
}

}  // namespace

control::Response Dispatch(SandboxKernel& kernel, const control::Request& req,
                           std::vector<base::UniqueFd> fds, bool* destroyed) {
  Response resp;
  absl::Status s = DispatchInner(kernel, req, std::move(fds), &resp, destroyed);
  if (!s.ok()) SetError(&resp, s);
  return resp;
}

ControlServer::ControlServer(base::UniqueFd listener, SandboxKernel* kernel,
                             ControlServerOptions options)
    : listener_(std::move(listener)), kernel_(kernel), options_(options) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
    stop_read_.reset(p[0]);
    stop_write_.reset(p[1]);
  }
}

ControlServer::~ControlServer() {
  Stop();
  absl::MutexLock l(&mu_);
  for (Conn& c : conns_) {
    if (c.thread.joinable()) c.thread.join();
  }
}

void ControlServer::Stop() {
  if (stop_write_.valid()) {
    char b = 's';
    // A full pipe already holds a stop byte.
    (void)!::write(stop_write_.get(), &b, 1);
  }
}

void ControlServer::ReapFinished() {
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (it->done) {
      if (it->thread.joinable()) it->thread.join();
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
}

void ControlServer::ServeConnection(base::UniqueFd conn, Conn* self) {
  Request req;
  std::vector<base::UniqueFd> fds;
  absl::Status s = runsc::control::RecvMessage(
      conn.get(), &req, &fds, absl::Now() + options_.request_timeout);
  Response resp;
  bool destroyed = false;
  if (s.ok()) {
    resp = Dispatch(*kernel_, req, std::move(fds), &destroyed);
  } else {
    LOG(WARNING) << "control: bad request: " << s.ToString();
    SetError(&resp, s);
  }
  // The peer may have gone (e.g. a `wait` interrupted): nothing to do then.
  (void)runsc::control::SendMessage(conn.get(), resp, {},
                                    absl::Now() + options_.request_timeout);
  conn.reset();
  if (destroyed) Stop();
  absl::MutexLock l(&mu_);
  self->done = true;
  --active_;
}

absl::Status ControlServer::Serve() {
  if (!stop_read_.valid()) return absl::InternalError("control: no stop pipe");
  absl::Status result;
  for (;;) {
    struct pollfd pfds[2] = {{listener_.get(), POLLIN, 0},
                             {stop_read_.get(), POLLIN, 0}};
    int n = ::poll(pfds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      result = base::ErrnoStatus(errno, "control: poll");
      break;
    }
    if (pfds[1].revents != 0) break;
    if (pfds[0].revents & (POLLERR | POLLNVAL)) {
      result = absl::InternalError("control: listening socket failed");
      break;
    }
    if (!(pfds[0].revents & POLLIN)) continue;
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      result = base::ErrnoStatus(errno, "control: accept4");
      break;
    }
    base::UniqueFd conn(fd);
    struct ucred cred = {};
    socklen_t len = sizeof(cred);
    absl::Status refuse;
    if (::getsockopt(conn.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      refuse = base::ErrnoStatus(errno, "control: SO_PEERCRED");
    } else if (cred.uid != 0 && cred.uid != options_.allowed_uid) {
      LOG(WARNING) << "control: refused peer pid " << cred.pid << " uid "
                   << cred.uid;
      refuse = absl::PermissionDeniedError(
          absl::StrCat("control: uid ", cred.uid, " may not use this sandbox"));
    }
    absl::MutexLock l(&mu_);
    ReapFinished();
    if (refuse.ok() && active_ >= options_.max_connections) {
      refuse = absl::ResourceExhaustedError("control: too many connections");
    }
    if (!refuse.ok()) {
      Response resp;
      SetError(&resp, refuse);
      // Short deadline: a refused peer gets no more of our time.
      (void)runsc::control::SendMessage(conn.get(), resp, {},
                                        absl::Now() + absl::Milliseconds(100));
      continue;
    }
    conns_.emplace_back();
    Conn* c = &conns_.back();
    ++active_;
    // Held outside the thread's arguments: if the host refuses the thread
    // (a pids cgroup limit), the connection is still ours.
    auto held = std::make_shared<base::UniqueFd>(std::move(conn));
    try {
      c->thread = std::thread(
          [this, held, c] { ServeConnection(std::move(*held), c); });
    } catch (const std::system_error& e) {
      // Served here, one at a time, so that state/events/update keep
      // working when the container is at its pids limit. A blocking request
      // (Wait) holds the accept loop until it completes.
      LOG(DEBUG) << "control: no thread for a connection (" << e.what()
                 << "): serving it inline";
      mu_.Unlock();
      ServeConnection(std::move(*held), c);
      mu_.Lock();
    }
  }
  // New and queued connections now fail at once (connection refused/reset)
  // instead of waiting for a server that is gone.
  listener_.reset();
  // Wait for every connection; the kernel makes blocked waits return after
  // Destroy (kernel.h).
  std::list<Conn> conns;
  {
    absl::MutexLock l(&mu_);
    conns.swap(conns_);
  }
  for (Conn& c : conns) {
    if (c.thread.joinable()) c.thread.join();
  }
  return result;
}

}  // namespace boot
