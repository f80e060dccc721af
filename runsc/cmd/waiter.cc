#include "runsc/cmd/waiter.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <thread>

#include "absl/time/time.h"
#include "base/errors.h"
#include "base/logging.h"
#include "runsc/sandbox/control_client.h"

namespace runsc::cmd {
namespace {

namespace control = ::runsc::control;

// Signals forwarded to the process (asynchronous ones a user or an engine
// sends; never the synchronous faults of this process itself).
constexpr int kForwarded[] = {SIGHUP,  SIGINT,  SIGQUIT,  SIGTERM,
                              SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT,
                              SIGTSTP, SIGTTIN, SIGTTOU,  SIGALRM};

sigset_t ForwardedSet() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kForwarded) sigaddset(&set, s);
  return set;
}

// Exits as the process did: the same code, or killed by the same signal
// (without a core file).
[[noreturn]] void ExitLike(int ws) {
  if (WIFSIGNALED(ws)) {
    int sig = WTERMSIG(ws);
    struct rlimit no_core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    ::kill(::getpid(), sig);
  }
  ::_exit(ExitCodeOf(ws));
}

}  // namespace

void StartSignalForwarder(const WaitTarget& target) {
  sigset_t set = ForwardedSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([target, set] {
    sandbox::ControlClient client(target.control_socket, absl::Seconds(10));
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      absl::Status s =
          client.Signal(target.container_id, control::SignalRequest::PROCESS,
                        target.pid, sig);
      if (!s.ok()) LOG(DEBUG) << "forwarding signal " << sig << ": " << s;
    }
  }).detach();
}

int WaitStatus(const WaitTarget& target) {
  sandbox::ControlClient client(target.control_socket);
  absl::StatusOr<int> ws = target.pid > 0
                               ? client.WaitPid(target.container_id, target.pid)
                               : client.Wait(target.container_id);
  if (!ws.ok()) {
    LOG(DEBUG) << "waiting for " << target.container_id << "/" << target.pid
               << ": " << ws.status();
    return SIGKILL;
  }
  return *ws;
}

int ExitCodeOf(int ws) {
  if (WIFEXITED(ws)) return WEXITSTATUS(ws);
  if (WIFSIGNALED(ws)) return 128 + WTERMSIG(ws);
  return 255;
}

absl::StatusOr<pid_t> ForkWaiter(const WaitTarget& target) {
  pid_t child = ::fork();
  if (child < 0) return base::ErrnoStatus(errno, "fork of the waiter");
  if (child > 0) return child;
  // The front end's terminal and process group are not the waiter's
  // business; it lives as long as the process and must not keep an engine's
  // pipe, log file or gofer end open (the sandbox holds its own copies).
  ::setsid();
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    if (null > 2) ::close(null);
  }
  ::syscall(SYS_close_range, 3, UINT_MAX, 0);
  if (target.pid > 0) StartSignalForwarder(target);
  ExitLike(WaitStatus(target));
}

}  // namespace runsc::cmd
