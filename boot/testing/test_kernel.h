// TestKernel: a SandboxKernel for tests of the control channel, boot and the
// launcher. It runs nothing; it records requests and answers them from
// simple state so that every request type can be round-tripped.
//
//  * StartRoot marks the container started; Wait blocks until a SIGKILL or
//    SIGTERM is sent to INIT/ALL (wait status = that signal) or Destroy.
//  * Exec hands out pids 100, 101, ...; it writes "exec:<json>\n" to the
//    given stdout (fds[1]) so tests can see the descriptors arrived.
//    WaitPid returns exit status 7 for pids it handed out.
//  * Processes lists pid 1 (and the exec'd pids) with cmd "init"/"exec".
//  * Checkpoint writes "checkpoint:<id>" into the image fd; Restore reads
//    it back and fails unless it matches.
//  * Unknown container ids are NotFound.
// Thread-safe (one mutex).
#ifndef BOOT_TESTING_TEST_KERNEL_H_
#define BOOT_TESTING_TEST_KERNEL_H_

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "boot/kernel.h"

namespace boot {

class TestKernel : public SandboxKernel {
 public:
  explicit TestKernel(std::string container_id)
      : container_id_(std::move(container_id)) {}

  absl::Status StartRoot(const control::StartRootRequest& req,
                         base::UniqueFd console) override;
  absl::StatusOr<int32_t> Exec(const control::ExecRequest& req,
                               std::vector<base::UniqueFd> fds) override;
  absl::Status Signal(const control::SignalRequest& req) override;
  absl::StatusOr<int> Wait(const std::string& container_id) override;
  absl::StatusOr<int> WaitPid(const std::string& container_id,
                              int32_t pid) override;
  absl::StatusOr<std::vector<control::ProcessInfo>> Processes(
      const std::string& container_id) override;
  absl::Status Pause(const std::string& container_id) override;
  absl::Status Resume(const std::string& container_id) override;
  absl::StatusOr<control::ContainerStats> Event(
      const std::string& container_id) override;
  absl::Status Checkpoint(const std::string& container_id,
                          base::UniqueFd image) override;
  absl::Status Restore(const std::string& container_id,
                       base::UniqueFd image) override;
  absl::Status Destroy() override;

  // Observers for tests.
  bool started() const;
  bool paused() const;
  bool destroyed() const;
  std::vector<int> signals() const;  // signo of every Signal, in order
  bool had_console() const;

 private:
  absl::Status Check(const std::string& id) const;

  const std::string container_id_;
  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool destroyed_ ABSL_GUARDED_BY(mu_) = false;
  bool had_console_ ABSL_GUARDED_BY(mu_) = false;
  int init_status_ ABSL_GUARDED_BY(mu_) = -1;  // -1: running
  int32_t next_pid_ ABSL_GUARDED_BY(mu_) = 100;
  std::vector<int32_t> exec_pids_ ABSL_GUARDED_BY(mu_);
  std::vector<int> signals_ ABSL_GUARDED_BY(mu_);
};

}  // namespace boot

#endif  // BOOT_TESTING_TEST_KERNEL_H_
