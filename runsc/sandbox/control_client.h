// ControlClient: the front end's side of the control channel
// (runsc/proto/control.proto, served by boot/control_server.h).
//
// One connection per call. Calls other than Wait/WaitPid are bounded by the
// client's timeout; Wait/WaitPid wait as long as the process runs.
//
// Errors: when the sandbox is gone (the socket is missing, refuses
// connections, or the connection closes without a reply) the status is
// Unavailable with a message starting "sandbox is not running". A refusal by
// the sandbox or a failed request comes back with the sandbox's code and
// message. Thread-compatible; independent calls may run on separate clients.
#ifndef RUNSC_SANDBOX_CONTROL_CLIENT_H_
#define RUNSC_SANDBOX_CONTROL_CLIENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "runsc/proto/control.pb.h"

namespace runsc::sandbox {

namespace control = ::runsc::control;

// True if `status` says the sandbox is not running (see above).
bool IsSandboxGone(const absl::Status& status);

class ControlClient {
 public:
  explicit ControlClient(std::string socket_path,
                         absl::Duration timeout = absl::Seconds(30))
      : path_(std::move(socket_path)), timeout_(timeout) {}

  const std::string& socket_path() const { return path_; }

  // Returns the sandbox's pid in its own namespace (1).
  absl::StatusOr<int32_t> Ping();
  // `console_fd` (a connected console socket) only with a terminal; -1 else.
  absl::Status StartRoot(const std::string& container_id, int console_fd = -1);
  // The same with the whole request (startContainer hooks and state).
  absl::Status StartRoot(const control::StartRootRequest& start,
                         int console_fd = -1);
  // `fds`: {stdin, stdout, stderr}, or {console socket} when terminal.
  absl::StatusOr<int32_t> Exec(const std::string& container_id,
                               const std::string& process_json, bool terminal,
                               absl::Span<const int> fds);
  absl::Status Signal(const std::string& container_id,
                      control::SignalRequest::Target target, int32_t pid,
                      int signo);
  // Linux wait statuses.
  absl::StatusOr<int> Wait(const std::string& container_id);
  absl::StatusOr<int> WaitPid(const std::string& container_id, int32_t pid);
  absl::StatusOr<std::vector<control::ProcessInfo>> Processes(
      const std::string& container_id);
  absl::Status Pause(const std::string& container_id);
  absl::Status Resume(const std::string& container_id);
  absl::StatusOr<control::ContainerStats> Event(
      const std::string& container_id);
  absl::Status Checkpoint(const std::string& container_id, int image_fd);
  absl::Status Restore(const std::string& container_id, int image_fd);
  absl::Status Destroy();

  // One raw round trip; errors from the response are returned as a status.
  absl::StatusOr<control::Response> Call(const control::Request& req,
                                         absl::Span<const int> fds,
                                         absl::Time deadline);

 private:
  absl::Status Simple(const control::Request& req,
                      absl::Span<const int> fds = {});
  absl::Time Deadline() const { return absl::Now() + timeout_; }

  std::string path_;
  absl::Duration timeout_;
};

}  // namespace runsc::sandbox

#endif  // RUNSC_SANDBOX_CONTROL_CLIENT_H_
