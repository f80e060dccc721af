// SandboxKernel: what the sandbox's control server needs from the sentry.
//
// boot/ serves the control channel (control_server.h) by calling one method
// per request. The sentry kernel implements this interface; until it exists,
// `runsc boot` has no kernel and fails with Unimplemented (boot.h), and tests
// use boot/testing/test_kernel.h.
//
// Contract for implementations:
//  * Every method may be called concurrently from different connection
//    threads; Wait/WaitPid block until the process exits and must return
//    (with an error or a status) once Destroy has been called.
//  * Request messages have been validated for shape (descriptor counts,
//    non-empty container id where required); their contents (process JSON,
//    pids, signal numbers) are the kernel's to check.
//  * Wait statuses are Linux wait statuses (exit code << 8, or the signal).
//  * Statuses returned here travel to the front end as the error's code and
//    message: make messages fit for the user.
#ifndef BOOT_KERNEL_H_
#define BOOT_KERNEL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "runsc/proto/control.pb.h"

namespace boot {

namespace control = ::runsc::control;

class SandboxKernel {
 public:
  virtual ~SandboxKernel() = default;

  // Runs the init process of req.container_id(): the root container's (its
  // stdio came with --stdio-fds) or a created subcontainer's. `console` is
  // the connected console socket when the spec asks for a terminal (send
  // the pty master over it), else invalid.
  virtual absl::Status StartRoot(const control::StartRootRequest& req,
                                 base::UniqueFd console) = 0;

  // Starts a process; returns its PID in the sandbox. `fds` is
  // {stdin, stdout, stderr}, or {console socket} when req.terminal().
  virtual absl::StatusOr<int32_t> Exec(const control::ExecRequest& req,
                                       std::vector<base::UniqueFd> fds) = 0;

  virtual absl::Status Signal(const control::SignalRequest& req) = 0;

  // Blocks until the container's init exits; returns its wait status.
  virtual absl::StatusOr<int> Wait(const std::string& container_id) = 0;
  // Blocks until process `pid` exits; returns its wait status.
  virtual absl::StatusOr<int> WaitPid(const std::string& container_id,
                                      int32_t pid) = 0;

  virtual absl::StatusOr<std::vector<control::ProcessInfo>> Processes(
      const std::string& container_id) = 0;

  // runsc pause/resume of one container ("": the root container).
  virtual absl::Status Pause(const std::string& container_id) = 0;
  virtual absl::Status Resume(const std::string& container_id) = 0;

  virtual absl::StatusOr<control::ContainerStats> Event(
      const std::string& container_id) = 0;

  virtual absl::Status Checkpoint(const std::string& container_id,
                                  base::UniqueFd image) = 0;
  virtual absl::Status Restore(const std::string& container_id,
                               base::UniqueFd image) = 0;

  // Kills every process. After it returns OK the control server replies and
  // stops, and RunBoot returns.
  virtual absl::Status Destroy() = 0;

  // Multi-container sandboxes (docs/multi-container.md; control.proto says
  // which descriptors come in which order). Unimplemented by default.
  virtual absl::Status StageSubcontainerFds(
      const control::SubcontainerFdsRequest& /*req*/,
      std::vector<base::UniqueFd> /*fds*/) {
    return absl::UnimplementedError(
        "this sandbox does not support multiple containers");
  }
  virtual absl::Status CreateSubcontainer(
      const control::CreateSubcontainerRequest& /*req*/,
      std::vector<base::UniqueFd> /*fds*/) {
    return absl::UnimplementedError(
        "this sandbox does not support multiple containers");
  }
  virtual absl::Status DestroySubcontainer(
      const std::string& /*container_id*/) {
    return absl::UnimplementedError(
        "this sandbox does not support multiple containers");
  }
};

}  // namespace boot

#endif  // BOOT_KERNEL_H_
