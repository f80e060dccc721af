#include "boot/boot.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/errors.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"
#include "boot/control_server.h"
#include "boot/gofer_watch.h"
#include "boot/sandbox_setup.h"
#include "boot/seccomp_filter.h"
#include "runsc/proto/wire.h"

namespace boot {
namespace {

absl::Status CheckFd(int fd, absl::string_view flag) {
  if (fd < 0) return absl::InvalidArgumentError(absl::StrCat(flag, " missing"));
  if (::fcntl(fd, F_GETFD) < 0) {
    return base::ErrnoStatus(errno, absl::StrCat(flag, "=", fd));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadAll(int fd, size_t limit) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(errno, "read spec");
    }
    if (n == 0) return out;
    if (out.size() + n > limit) {
      return absl::InvalidArgumentError(
          absl::StrCat("spec larger than ", limit, " bytes"));
    }
    out.append(buf, n);
  }
}

void ReportError(int sync_fd, const absl::Status& status) {
  if (sync_fd < 0) return;
  control::SyncMessage msg;
  msg.mutable_error()->set_code(static_cast<int32_t>(status.code()));
  msg.mutable_error()->set_message(std::string(status.message()));
  (void)runsc::control::SendMessage(sync_fd, msg, {},
                                    absl::Now() + absl::Seconds(5));
}

absl::Status Boot(const BootConfig& config, bool* ready_sent) {
  RETURN_IF_ERROR(CheckFd(config.spec_fd, "--spec-fd"));
  RETURN_IF_ERROR(CheckFd(config.controller_fd, "--controller-fd"));
  for (int fd : config.io_fds) RETURN_IF_ERROR(CheckFd(fd, "--io-fds"));
  for (int fd : config.stdio_fds) RETURN_IF_ERROR(CheckFd(fd, "--stdio-fds"));
  if (config.container_id.empty()) {
    return absl::InvalidArgumentError("boot: missing container id");
  }
  if (config.require_pid1 && ::getpid() != 1) {
    return absl::FailedPreconditionError(
        "boot must run as PID 1 of a new PID namespace");
  }
  ASSIGN_OR_RETURN(std::string spec, ReadAll(config.spec_fd, kMaxSpecSize));
  ::close(config.spec_fd);
  // Read before the filter: getuid is not on the allow-list.
  uid_t uid = ::getuid();

  if (config.start_sync_fd >= 0) {
    control::SyncMessage go;
    RETURN_IF_ERROR(runsc::control::RecvMessage(
        config.start_sync_fd, &go, nullptr, absl::InfiniteFuture()));
    if (!go.has_go()) {
      return absl::InvalidArgumentError("start sync: expected go");
    }
  }

  // Before descriptors are closed: see "Logging" in boot.h.
  base::ClearLogSinks();
  // fd -1 is a sink that drops everything; it marks logging as configured
  // so that warnings do not fall back to the container's stderr.
  base::AddLogSink(config.log_fd, config.log_format, config.log_level,
                   /*owned=*/false);

  SetupOptions setup;
  setup.host_network = config.host_network;
  setup.keep_fds = {config.controller_fd};
  if (config.start_sync_fd >= 0) setup.keep_fds.push_back(config.start_sync_fd);
  if (config.log_fd >= 0) setup.keep_fds.push_back(config.log_fd);
  if (config.exit_status_fd >= 0) {
    setup.keep_fds.push_back(config.exit_status_fd);
  }
  for (int fd : config.io_fds) setup.keep_fds.push_back(fd);
  for (int fd : config.stdio_fds) setup.keep_fds.push_back(fd);
  RETURN_IF_ERROR(SetupSandbox(setup));

  if (!config.kernel_factory) {
    return absl::UnimplementedError(
        "the sentry kernel is not implemented yet: cannot run containers");
  }
  KernelArgs args;
  args.container_id = config.container_id;
  args.spec_json = std::move(spec);
  args.host_network = config.host_network;
  for (int fd : config.io_fds) args.io_fds.emplace_back(fd);
  for (int fd : config.stdio_fds) args.stdio_fds.emplace_back(fd);
  ASSIGN_OR_RETURN(std::unique_ptr<SandboxKernel> kernel,
                   config.kernel_factory(std::move(args)));

  SeccompOptions filter;
  filter.host_network = config.host_network;
  filter.report_violations = config.report_seccomp_violations;
  filter.report_fd = config.log_fd >= 0 ? config.log_fd : 2;
  RETURN_IF_ERROR(InstallSentryFilter(filter));

  ControlServer server(base::UniqueFd(config.controller_fd), kernel.get(),
                       ControlServerOptions{.allowed_uid = uid});
  if (config.start_sync_fd >= 0) {
    control::SyncMessage ready;
    ready.mutable_ready();
    RETURN_IF_ERROR(runsc::control::SendMessage(
        config.start_sync_fd, ready, {}, absl::Now() + absl::Seconds(10)));
    ::close(config.start_sync_fd);
    *ready_sent = true;
  }
  LOG(INFO) << "sandbox " << config.container_id << " ready";
  // Like gVisor's sandbox: when the root container's init exits, the
  // sandbox exits too, with its status. Engines (conmon, containerd's shim)
  // wait on the pid-file PID, which is ours. Requests in flight (Wait) are
  // answered first: Stop lets connection threads finish.
  std::thread watcher([&] {
    absl::StatusOr<int> ws = kernel->Wait(config.container_id);
    if (!ws.ok()) return;  // destroyed before start
    if (config.init_wait_status != nullptr) *config.init_wait_status = *ws;
    if (config.exit_status_fd >= 0) {
      std::string text = std::to_string(*ws);
      if (::pwrite(config.exit_status_fd, text.data(), text.size(), 0) !=
          static_cast<ssize_t>(text.size())) {
        LOG(WARNING) << "could not record the exit status";
      }
    }
    LOG(INFO) << "sandbox " << config.container_id
              << ": init exited (wait status " << *ws << ")";
    server.Stop();
  });
  // A dead gofer stops the container: init and every process are killed
  // (the watcher above then records init's SIGKILL status) and the sandbox
  // exits; before start, Wait fails and the server is stopped here.
  std::optional<GoferWatch> gofer_watch;
  gofer_watch.emplace(config.io_fds, [&] {
    LOG(WARNING) << "sandbox " << config.container_id
                 << ": the gofer hung up; stopping the container";
    (void)kernel->Destroy();
    server.Stop();
  });
  absl::Status served = server.Serve();
  // After Destroy, Wait returns (kernel contract) and the watcher ends.
  if (!served.ok()) (void)kernel->Destroy();
  watcher.join();
  gofer_watch.reset();
  return served;
}

absl::StatusOr<int> ParseFd(absl::string_view flag, absl::string_view v) {
  int fd;
  if (!absl::SimpleAtoi(v, &fd) || fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid descriptor for ", flag, ": \"", v, "\""));
  }
  return fd;
}

absl::StatusOr<std::vector<int>> ParseFdList(absl::string_view flag,
                                             absl::string_view v) {
  std::vector<int> out;
  if (v.empty()) return out;
  for (absl::string_view part : absl::StrSplit(v, ',')) {
    ASSIGN_OR_RETURN(int fd, ParseFd(flag, part));
    out.push_back(fd);
  }
  return out;
}

}  // namespace

absl::Status RunBoot(const BootConfig& config) {
  bool ready_sent = false;
  absl::Status s = Boot(config, &ready_sent);
  if (!s.ok()) {
    // After ready the front end is gone from the sync channel (and its
    // descriptor is closed): only the return value tells.
    if (!ready_sent) ReportError(config.start_sync_fd, s);
    LOG(ERROR) << "boot: " << s.ToString();
  }
  return s;
}

std::vector<std::string> FormatBootArgs(const BootConfig& c) {
  // Matches runsc/cli's `boot` flags. --network is a global flag there and
  // is not emitted here; empty lists are left out.
  std::vector<std::string> a;
  if (!c.bundle.empty()) a.push_back(absl::StrCat("--bundle=", c.bundle));
  a.push_back(absl::StrCat("--spec-fd=", c.spec_fd));
  a.push_back(absl::StrCat("--controller-fd=", c.controller_fd));
  if (c.start_sync_fd >= 0) {
    a.push_back(absl::StrCat("--start-sync-fd=", c.start_sync_fd));
  }
  if (!c.io_fds.empty()) {
    a.push_back(absl::StrCat("--io-fds=", absl::StrJoin(c.io_fds, ",")));
  }
  if (!c.stdio_fds.empty()) {
    a.push_back(absl::StrCat("--stdio-fds=", absl::StrJoin(c.stdio_fds, ",")));
  }
  if (c.log_fd >= 0) a.push_back(absl::StrCat("--log-fd=", c.log_fd));
  if (c.exit_status_fd >= 0) {
    a.push_back(absl::StrCat("--exit-status-fd=", c.exit_status_fd));
  }
  a.push_back(c.container_id);
  return a;
}

absl::StatusOr<BootConfig> ParseBootArgs(const std::vector<std::string>& args) {
  BootConfig c;
  for (const std::string& arg : args) {
    if (!absl::StartsWith(arg, "--")) {
      if (!c.container_id.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("boot: unexpected argument \"", arg, "\""));
      }
      c.container_id = arg;
      continue;
    }
    std::pair<std::string, std::string> kv =
        absl::StrSplit(arg, absl::MaxSplits('=', 1));
    const std::string& k = kv.first;
    const std::string& v = kv.second;
    if (k == "--spec-fd") {
      ASSIGN_OR_RETURN(c.spec_fd, ParseFd(k, v));
    } else if (k == "--controller-fd") {
      ASSIGN_OR_RETURN(c.controller_fd, ParseFd(k, v));
    } else if (k == "--start-sync-fd") {
      ASSIGN_OR_RETURN(c.start_sync_fd, ParseFd(k, v));
    } else if (k == "--log-fd") {
      ASSIGN_OR_RETURN(c.log_fd, ParseFd(k, v));
    } else if (k == "--exit-status-fd") {
      ASSIGN_OR_RETURN(c.exit_status_fd, ParseFd(k, v));
    } else if (k == "--io-fds") {
      ASSIGN_OR_RETURN(c.io_fds, ParseFdList(k, v));
    } else if (k == "--stdio-fds") {
      ASSIGN_OR_RETURN(c.stdio_fds, ParseFdList(k, v));
    } else if (k == "--network") {
      if (v != "host" && v != "none" && v != "sandbox") {
        return absl::InvalidArgumentError(
            absl::StrCat("boot: invalid --network \"", v, "\""));
      }
      c.host_network = v == "host";
    } else if (k == "--bundle") {
      c.bundle = v;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("boot: unknown flag \"", k, "\""));
    }
  }
  if (c.container_id.empty()) {
    return absl::InvalidArgumentError("boot: missing container id");
  }
  return c;
}

}  // namespace boot
