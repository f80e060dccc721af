#include "boot/testing/test_kernel.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace boot {

absl::Status TestKernel::Check(const std::string& id) const {
  if (id != container_id_) {
    return absl::NotFoundError(absl::StrCat("container ", id, " not found"));
  }
  return absl::OkStatus();
}

absl::Status TestKernel::StartRoot(const control::StartRootRequest& req,
                                   base::UniqueFd console) {
  if (absl::Status s = Check(req.container_id()); !s.ok()) return s;
  absl::MutexLock l(&mu_);
  if (started_) return absl::FailedPreconditionError("already started");
  started_ = true;
  had_console_ = console.valid();
  return absl::OkStatus();
}

absl::StatusOr<int32_t> TestKernel::Exec(const control::ExecRequest& req,
                                         std::vector<base::UniqueFd> fds) {
  if (absl::Status s = Check(req.container_id()); !s.ok()) return s;
  if (!req.terminal() && fds.size() == 3) {
    std::string line = absl::StrCat("exec:", req.process_json(), "\n");
    if (::write(fds[1].get(), line.data(), line.size()) !=
        static_cast<ssize_t>(line.size())) {
      return absl::InternalError("exec: cannot write to stdout");
    }
  }
  absl::MutexLock l(&mu_);
  if (!started_) return absl::FailedPreconditionError("container not running");
  int32_t pid = next_pid_++;
  exec_pids_.push_back(pid);
  return pid;
}

absl::Status TestKernel::Signal(const control::SignalRequest& req) {
  if (absl::Status s = Check(req.container_id()); !s.ok()) return s;
  absl::MutexLock l(&mu_);
  signals_.push_back(req.signo());
  if ((req.target() == control::SignalRequest::INIT ||
       req.target() == control::SignalRequest::ALL) &&
      (req.signo() == SIGKILL || req.signo() == SIGTERM) && init_status_ < 0) {
    init_status_ = req.signo();  // wait status of a process killed by signo
  }
  return absl::OkStatus();
}

absl::StatusOr<int> TestKernel::Wait(const std::string& container_id) {
  if (absl::Status s = Check(container_id); !s.ok()) return s;
  absl::MutexLock l(&mu_);
  mu_.Await(absl::Condition(
      +[](TestKernel* k) ABSL_EXCLUSIVE_LOCKS_REQUIRED(k->mu_) {
        return k->init_status_ >= 0 || k->destroyed_;
      },
      this));
  if (init_status_ < 0) return absl::AbortedError("sandbox destroyed");
  return init_status_;
}

absl::StatusOr<int> TestKernel::WaitPid(const std::string& container_id,
                                        int32_t pid) {
  if (absl::Status s = Check(container_id); !s.ok()) return s;
  absl::MutexLock l(&mu_);
  if (std::find(exec_pids_.begin(), exec_pids_.end(), pid) ==
      exec_pids_.end()) {
    return absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  return 7 << 8;
}

absl::StatusOr<std::vector<control::ProcessInfo>> TestKernel::Processes(
    const std::string& container_id) {
  if (absl::Status s = Check(container_id); !s.ok()) return s;
  absl::MutexLock l(&mu_);
  std::vector<control::ProcessInfo> out;
  control::ProcessInfo init;
  init.set_pid(1);
  init.set_cmd("init");
  out.push_back(init);
  for (int32_t pid : exec_pids_) {
    control::ProcessInfo p;
    p.set_pid(pid);
    p.set_ppid(1);
    p.set_cmd("exec");
    out.push_back(p);
  }
  return out;
}

absl::Status TestKernel::Pause(const std::string&) {
  absl::MutexLock l(&mu_);
  paused_ = true;
  return absl::OkStatus();
}

absl::Status TestKernel::Resume(const std::string&) {
  absl::MutexLock l(&mu_);
  if (!paused_) return absl::FailedPreconditionError("not paused");
  paused_ = false;
  return absl::OkStatus();
}

absl::StatusOr<control::ContainerStats> TestKernel::Event(
    const std::string& container_id) {
  if (absl::Status s = Check(container_id); !s.ok()) return s;
  absl::MutexLock l(&mu_);
  control::ContainerStats st;
  st.set_cpu_usage_ns(1234);
  st.set_memory_usage_bytes(4096);
  st.set_pids_current(1 + exec_pids_.size());
  return st;
}

absl::Status TestKernel::Checkpoint(const std::string& container_id,
                                    base::UniqueFd image) {
  if (absl::Status s = Check(container_id); !s.ok()) return s;
  std::string data = absl::StrCat("checkpoint:", container_id);
  if (::write(image.get(), data.data(), data.size()) !=
      static_cast<ssize_t>(data.size())) {
    return absl::InternalError("checkpoint: short write");
  }
  return absl::OkStatus();
}

absl::Status TestKernel::Restore(const std::string& container_id,
                                 base::UniqueFd image) {
  if (absl::Status s = Check(container_id); !s.ok()) return s;
  char buf[256];
  ssize_t n = ::pread(image.get(), buf, sizeof(buf), 0);
  std::string want = absl::StrCat("checkpoint:", container_id);
  if (n < 0 || std::string(buf, n) != want) {
    return absl::InvalidArgumentError("restore: bad image");
  }
  return absl::OkStatus();
}

absl::Status TestKernel::Destroy() {
  absl::MutexLock l(&mu_);
  destroyed_ = true;
  return absl::OkStatus();
}

bool TestKernel::started() const {
  absl::MutexLock l(&mu_);
  return started_;
}
bool TestKernel::paused() const {
  absl::MutexLock l(&mu_);
  return paused_;
}
bool TestKernel::destroyed() const {
  absl::MutexLock l(&mu_);
  return destroyed_;
}
bool TestKernel::had_console() const {
  absl::MutexLock l(&mu_);
  return had_console_;
}
std::vector<int> TestKernel::signals() const {
  absl::MutexLock l(&mu_);
  return signals_;
}

}  // namespace boot
