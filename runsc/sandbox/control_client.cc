#include "runsc/sandbox/control_client.h"

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/status_macros.h"
#include "runsc/proto/wire.h"

namespace runsc::sandbox {
namespace {

constexpr absl::string_view kGone = "sandbox is not running";

}  // namespace

bool IsSandboxGone(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable &&
         absl::StartsWith(status.message(), kGone);
}

absl::StatusOr<control::Response> ControlClient::Call(
    const control::Request& req, absl::Span<const int> fds,
    absl::Time deadline) {
  absl::StatusOr<base::UniqueFd> sock =
      control::ConnectUnix(path_, absl::Now() + timeout_);
  if (!sock.ok()) {
    int err = base::ErrnoFromStatus(sock.status());
    if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR) {
      return absl::UnavailableError(
          absl::StrCat(kGone, " (", sock.status().message(), ")"));
    }
    return sock.status();
  }
  absl::Status s = control::SendMessage(sock->get(), req, fds, deadline);
  control::Response resp;
  if (s.ok()) {
    s = control::RecvMessage(sock->get(), &resp, nullptr, deadline);
  } else if (s.code() == absl::StatusCode::kUnavailable) {
    // The sandbox may have refused us (SO_PEERCRED) and closed before our
    // request was fully sent: its reply, if any, explains why.
    control::Response refusal;
    if (control::RecvMessage(sock->get(), &refusal, nullptr,
                             absl::Now() + absl::Milliseconds(100))
            .ok() &&
        refusal.has_error()) {
      resp = std::move(refusal);
      s = absl::OkStatus();
    }
  }
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kUnavailable) {
      return absl::UnavailableError(
          absl::StrCat(kGone, " (", s.message(), ")"));
    }
    if (s.code() == absl::StatusCode::kDeadlineExceeded) {
      return absl::DeadlineExceededError(absl::StrCat(
          "sandbox did not answer within ", absl::FormatDuration(timeout_)));
    }
    return s;
  }
  if (resp.has_error()) {
    int code = resp.error().code();
    if (code <= 0 ||
        code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
      code = static_cast<int>(absl::StatusCode::kUnknown);
    }
    return absl::Status(static_cast<absl::StatusCode>(code),
                        resp.error().message());
  }
  return resp;
}

absl::Status ControlClient::Simple(const control::Request& req,
                                   absl::Span<const int> fds) {
  return Call(req, fds, Deadline()).status();
}

absl::StatusOr<int32_t> ControlClient::Ping() {
  control::Request req;
  req.mutable_ping();
  ASSIGN_OR_RETURN(control::Response resp, Call(req, {}, Deadline()));
  return resp.ping().pid();
}

absl::Status ControlClient::StartRoot(const std::string& container_id,
                                      int console_fd) {
  control::StartRootRequest start;
  start.set_container_id(container_id);
  return StartRoot(start, console_fd);
}

absl::Status ControlClient::StartRoot(const control::StartRootRequest& start,
                                      int console_fd) {
  control::Request req;
  *req.mutable_start_root() = start;
  if (console_fd >= 0) {
    int fds[] = {console_fd};
    return Simple(req, fds);
  }
  return Simple(req);
}

absl::StatusOr<int32_t> ControlClient::Exec(const std::string& container_id,
                                            const std::string& process_json,
                                            bool terminal,
                                            absl::Span<const int> fds) {
  control::Request req;
  req.mutable_exec()->set_container_id(container_id);
  req.mutable_exec()->set_process_json(process_json);
  req.mutable_exec()->set_terminal(terminal);
  ASSIGN_OR_RETURN(control::Response resp, Call(req, fds, Deadline()));
  return resp.exec().pid();
}

absl::Status ControlClient::Signal(const std::string& container_id,
                                   control::SignalRequest::Target target,
                                   int32_t pid, int signo) {
  control::Request req;
  control::SignalRequest* s = req.mutable_signal();
  s->set_container_id(container_id);
  s->set_target(target);
  s->set_pid(pid);
  s->set_signo(signo);
  return Simple(req);
}

absl::StatusOr<int> ControlClient::Wait(const std::string& container_id) {
  control::Request req;
  req.mutable_wait()->set_container_id(container_id);
  ASSIGN_OR_RETURN(control::Response resp,
                   Call(req, {}, absl::InfiniteFuture()));
  return resp.wait().wait_status();
}

absl::StatusOr<int> ControlClient::WaitPid(const std::string& container_id,
                                           int32_t pid) {
  control::Request req;
  req.mutable_wait_pid()->set_container_id(container_id);
  req.mutable_wait_pid()->set_pid(pid);
  ASSIGN_OR_RETURN(control::Response resp,
                   Call(req, {}, absl::InfiniteFuture()));
  return resp.wait().wait_status();
}

absl::StatusOr<std::vector<control::ProcessInfo>> ControlClient::Processes(
    const std::string& container_id) {
  control::Request req;
  req.mutable_processes()->set_container_id(container_id);
  ASSIGN_OR_RETURN(control::Response resp, Call(req, {}, Deadline()));
  return std::vector<control::ProcessInfo>(resp.processes().processes().begin(),
                                           resp.processes().processes().end());
}

absl::Status ControlClient::Pause(const std::string& container_id) {
  control::Request req;
  req.mutable_pause()->set_container_id(container_id);
  return Simple(req);
}

absl::Status ControlClient::Resume(const std::string& container_id) {
  control::Request req;
  req.mutable_resume()->set_container_id(container_id);
  return Simple(req);
}

absl::StatusOr<control::ContainerStats> ControlClient::Event(
    const std::string& container_id) {
  control::Request req;
  req.mutable_event()->set_container_id(container_id);
  ASSIGN_OR_RETURN(control::Response resp, Call(req, {}, Deadline()));
  return resp.event().stats();
}

absl::Status ControlClient::Checkpoint(const std::string& container_id,
                                       int image_fd) {
  control::Request req;
  req.mutable_checkpoint()->set_container_id(container_id);
  int fds[] = {image_fd};
  return Simple(req, fds);
}

absl::Status ControlClient::Restore(const std::string& container_id,
                                    int image_fd) {
  control::Request req;
  req.mutable_restore()->set_container_id(container_id);
  int fds[] = {image_fd};
  return Simple(req, fds);
}

absl::Status ControlClient::Destroy() {
  control::Request req;
  req.mutable_destroy();
  return Simple(req);
}

}  // namespace runsc::sandbox
