// runsc exec: run a new process in a running container, described by
// --process FILE (containerd, podman, Docker) or by flags and the command
// after the ID (exec_process.h).
//
// Attached (no --detach): the front end forwards the signals it receives to
// the process and exits with its status (128+N when killed by signal N), as
// runc exec does. Detached: a waiting host process (the "waiter") is forked;
// its PID goes to --pid-file and it exits the way the exec'd process did
// (same code; killed by the same signal), and forwards signals sent to it.
// That is what containerd's shim and conmon need: they wait on, and signal, a
// host PID (docs/exec.md). --internal-pid-file receives the sandbox PID.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "runsc/cmd/cgroup_ops.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/console.h"
#include "runsc/cmd/exec_process.h"
#include "runsc/cmd/sandbox_ops.h"
#include "runsc/cmd/waiter.h"
#include "runsc/sandbox/control_client.h"

namespace runsc::cmd {
namespace {

namespace control = ::runsc::control;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("exec: cannot open process file ", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WriteFileAtomic(const std::string& path, const std::string& s) {
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  base::UniqueFd fd(
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return base::ErrnoStatus(errno, "pid file " + tmp);
  if (::write(fd.get(), s.data(), s.size()) != static_cast<ssize_t>(s.size())) {
    int e = errno;
    ::unlink(tmp.c_str());
    return base::ErrnoStatus(e, "writing pid file " + tmp);
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return base::ErrnoStatus(e, "pid file " + path);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> Exec(const Context& ctx) {
  const cli::ExecOptions& o = ctx.inv.exec;
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md, LoadContainer(store, o.id));
  std::string file_text;
  if (!o.process.empty()) {
    ASSIGN_OR_RETURN(file_text, ReadFile(o.process));
  }
  nlohmann::json spec_process =
      md.spec.is_object() && md.spec.contains("process") ? md.spec["process"]
                                                         : nlohmann::json();
  ASSIGN_OR_RETURN(nlohmann::json process,
                   BuildExecProcess(o, file_text, spec_process));
  md.status = LiveStatus(md);
  if (md.status == container::Status::kPaused) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot exec in container \"", md.id, "\": it is paused",
        o.ignore_paused ? " (--ignore-paused: a paused sandbox cannot start "
                          "a process)"
                        : ""));
  }
  if (md.status != container::Status::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot exec in container \"", md.id, "\": it is ",
        container::StatusName(md.status),
        md.status == container::Status::kCreated ? " (start it first)" : ""));
  }
  RETURN_IF_ERROR(RequireSandbox(md));
  bool terminal = process.value("terminal", false);
  if (terminal && o.console_socket.empty()) {
    return absl::InvalidArgumentError(
        "exec: a terminal (--tty or process.terminal) needs --console-socket");
  }
  if (o.preserve_fds < 0 || o.preserve_fds > 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("exec: --preserve-fds ", o.preserve_fds,
                     " is out of range (0..5 are supported)"));
  }
  std::vector<int> fds = {0, 1, 2};
  HostConsole console;
  if (terminal) {
    // The engine gets the host pty's master; the sandbox its replica.
    ASSIGN_OR_RETURN(console, SetUpConsole(o.console_socket, process));
    fds = {console.replica.get()};
  }
  for (int i = 0; i < o.preserve_fds && !terminal; ++i) {
    int fd = 3 + i;
    if (::fcntl(fd, F_GETFD) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("exec: --preserve-fds ", o.preserve_fds, ": descriptor ",
                       fd, " is not open"));
    }
    fds.push_back(fd);
  }

  sandbox::ControlClient client(md.control_socket);
  ASSIGN_OR_RETURN(int32_t pid,
                   client.Exec(md.id, process.dump(), terminal, fds));
  console.replica.reset();
  LOG(DEBUG) << "exec " << md.id << ": sandbox PID " << pid;
  if (!o.internal_pid_file.empty()) {
    RETURN_IF_ERROR(WriteFileAtomic(o.internal_pid_file, std::to_string(pid)));
  }
  if (o.detach) {
    ASSIGN_OR_RETURN(pid_t waiter,
                     ForkWaiter(WaitTarget{md.control_socket, md.id, pid}));
    // It stands for the exec'd process, which runc puts in the cgroup.
    JoinContainerCgroup(md, waiter);
    // Recorded so that `ps --format json` can name it (host PIDs).
    uint64_t start = container::ProcessStartTime(waiter).value_or(0);
    absl::Status recorded =
        store
            .Update(
                md.id,
                [&](container::Metadata& m) {
                  m.execs.push_back({waiter, start});
                  // Forget waiters that are gone.
                  std::erase_if(m.execs, [](const container::ExecRecord& e) {
                    return !container::ProcessAlive(e.pid, e.start_time);
                  });
                  return absl::OkStatus();
                })
            .status();
    if (!recorded.ok()) LOG(WARNING) << "exec: " << recorded;
    if (!o.pid_file.empty()) {
      absl::Status s = WriteFileAtomic(o.pid_file, std::to_string(waiter));
      if (!s.ok()) {
        // Nobody could wait for it: do not leave the process running.
        client.Signal(md.id, control::SignalRequest::PROCESS, pid, SIGKILL)
            .IgnoreError();
        return s;
      }
    }
    return 0;
  }
  if (!o.pid_file.empty()) {
    RETURN_IF_ERROR(WriteFileAtomic(o.pid_file, std::to_string(::getpid())));
  }
  const WaitTarget target{md.control_socket, md.id, pid};
  StartSignalForwarder(target);
  return ExitCodeOf(WaitStatus(target));
}

}  // namespace runsc::cmd
