// runsc kill ID [SIGNAL]: signal the container's init (or every process).
//
// Like runc:
//  * the signal is a number or a name, after the ID; --all sends it to every
//    process of the container (init last) and, for SIGKILL, waits until they
//    are gone; --pid (gVisor) names one process.
//  * signal 0 only checks that the container exists and is not stopped;
//  * a paused container can be killed (the sentry ends frozen tasks);
//  * a created container has no process yet: a signal whose default action
//    would end runc's waiting init ends the sandbox instead (status
//    stopped); ignored-by-default signals do nothing.
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "runsc/cli/signal.h"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"
#include "runsc/cmd/sandbox_ops.h"
#include "runsc/sandbox/control_client.h"

namespace runsc::cmd {
namespace {

namespace control = ::runsc::control;

bool IgnoredByDefault(int sig) {
  return sig == 0 || sig == SIGCHLD || sig == SIGCONT || sig == SIGURG ||
         sig == SIGWINCH;
}

// After kill --all SIGKILL: until no process is left (bounded).
void AwaitNoProcesses(sandbox::ControlClient& client, const std::string& id) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    auto procs = client.Processes(id);
    if (!procs.ok() || procs->empty()) return;
    absl::SleepFor(absl::Milliseconds(5));
  }
  LOG(WARNING) << "kill --all: processes of " << id
               << " still listed after 10s";
}

}  // namespace

absl::StatusOr<int> Kill(const Context& ctx) {
  const cli::KillOptions& o = ctx.inv.kill;
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(container::Metadata md, LoadContainer(store, o.id));
  // Signal 0, as runc allows it: checks that the container can be signalled
  // (it exists and is not stopped) and delivers nothing.
  int sig = 0;
  if (o.signal != "0") {
    ASSIGN_OR_RETURN(sig, cli::ParseSignal(o.signal));
  }
  md.status = LiveStatus(md);
  // --all is allowed on a stopped container (its other processes may live).
  if (!o.all) {
    RETURN_IF_ERROR(
        container::CheckOperation(md.status, container::Operation::kKill));
  }
  LOG(DEBUG) << "kill " << md.id << " " << cli::SignalName(sig)
             << (o.all ? " (all)" : "");
  if (md.status == container::Status::kStopped) {
    // --all on a stopped container: nothing left to signal.
    return 0;
  }
  RETURN_IF_ERROR(RequireSandbox(md));
  // LiveStatus asked the sandbox: the container is there to be signalled.
  if (sig == 0) return 0;
  if (md.status == container::Status::kCreated) {
    if (IgnoredByDefault(sig)) return 0;
    StopContainer(md);
    RETURN_IF_ERROR(store
                        .Update(md.id,
                                [](container::Metadata& m) {
                                  m.status = container::Status::kStopped;
                                  return absl::OkStatus();
                                })
                        .status());
    return 0;
  }
  sandbox::ControlClient client(md.control_socket);
  control::SignalRequest::Target target = control::SignalRequest::INIT;
  if (o.all) {
    target = control::SignalRequest::ALL;
  } else if (o.pid != 0) {
    target = control::SignalRequest::PROCESS;
  }
  RETURN_IF_ERROR(client.Signal(md.id, target, o.pid, sig));
  if (o.all && sig == SIGKILL) AwaitNoProcesses(client, md.id);
  return 0;
}

}  // namespace runsc::cmd
