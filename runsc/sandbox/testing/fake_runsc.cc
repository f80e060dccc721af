// A stand-in for the runsc binary in launcher tests. It understands
// `... boot <flags> <id>` and `... gofer <flags> <id>`; FAKE_RUNSC_MODE picks
// the sandbox's behaviour:
//   ok     RunBoot with a TestKernel (real isolation, seccomp, control)
//   nokernel  RunBoot without a kernel (what `runsc boot` does today)
//   exit   exit(3) at once
//   hang   read `go`, then never report ready
// FAKE_RUNSC_GOFER=exit makes the gofer exit(4) at once; otherwise it waits
// until its first io socket closes or it is killed. Both write a line with
// their arguments to --log-fd when given.
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "boot/boot.h"
#include "boot/testing/test_kernel.h"
#include "runsc/proto/control.pb.h"
#include "runsc/proto/wire.h"

namespace {

void LogArgs(const std::vector<std::string>& args, const char* who) {
  for (const std::string& a : args) {
    int fd;
    if (absl::StartsWith(a, "--log-fd=") &&
        absl::SimpleAtoi(a.substr(9), &fd)) {
      std::string line = absl::StrCat(who, " pid=", getpid(), " ",
                                      absl::StrJoin(args, " "), "\n");
      (void)!write(fd, line.data(), line.size());
    }
  }
}

int Gofer(const std::vector<std::string>& args) {
  LogArgs(args, "gofer");
  const char* g = getenv("FAKE_RUNSC_GOFER");
  if (g != nullptr && strcmp(g, "exit") == 0) return 4;
  // Wait on the first io fd (SEQPACKET): returns when the peer closes.
  char buf[64];
  while (read(4, buf, sizeof(buf)) > 0) {
  }
  return 0;
}

int Boot(const std::vector<std::string>& args, bool host_network) {
  LogArgs(args, "boot");
  const char* m = getenv("FAKE_RUNSC_MODE");
  std::string mode = m != nullptr ? m : "ok";
  if (mode == "exit") return 3;
  absl::StatusOr<boot::BootConfig> config = boot::ParseBootArgs(args);
  if (!config.ok()) return 2;
  config->host_network = host_network;
  if (mode == "hang") {
    runsc::control::SyncMessage go;
    (void)runsc::control::RecvMessage(config->start_sync_fd, &go, nullptr,
                                      absl::InfiniteFuture());
    for (;;) pause();
  }
  if (mode == "ok") {
    config->kernel_factory = [](boot::KernelArgs k)
        -> absl::StatusOr<std::unique_ptr<boot::SandboxKernel>> {
      std::string line =
          absl::StrCat("spec:", k.spec_json, " io:", k.io_fds.size(), "\n");
      if (k.stdio_fds.size() == 3) {
        (void)!write(k.stdio_fds[1].get(), line.data(), line.size());
      }
      // A kernel keeps its gofer connections for life; the gofer exits
      // when they close (i.e. with the sandbox).
      static std::vector<base::UniqueFd> kept;
      kept = std::move(k.io_fds);
      return std::make_unique<boot::TestKernel>(k.container_id);
    };
  }
  return boot::RunBoot(*config).ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool host_network = false;  // the global --network flag, last one wins
  for (int i = 1; i < argc; ++i) {
    std::vector<std::string> rest(argv + i + 1, argv + argc);
    if (absl::StartsWith(argv[i], "--network=")) {
      host_network = strcmp(argv[i], "--network=host") == 0;
    }
    if (strcmp(argv[i], "boot") == 0) return Boot(rest, host_network);
    if (strcmp(argv[i], "gofer") == 0) return Gofer(rest);
  }
  return 64;
}
