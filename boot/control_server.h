// The sandbox side of the control channel (runsc/proto/control.proto).
//
// ControlServer accepts connections on the listening socket it was given
// (--controller-fd), checks each peer with SO_PEERCRED, reads one Request,
// calls the SandboxKernel and writes one Response. Each connection is served
// on its own thread so that a blocking Wait never delays a Signal.
//
// Trust: a peer is accepted only if its uid is 0 or equals `allowed_uid`
// (the sandbox's own uid); others get a PermissionDenied reply and nothing
// they send is read. Everything a peer sends is untrusted: malformed,
// oversized or mis-shaped requests get an error reply, never a crash.
//
// Works under the sentry's seccomp filter: it only uses poll, accept4,
// getsockopt, recvmsg/recvfrom, sendmsg, close, pipe2 and thread creation.
//
// Lock order: mu_ only (never held while calling the kernel).
#ifndef BOOT_CONTROL_SERVER_H_
#define BOOT_CONTROL_SERVER_H_

#include <sys/types.h>

#include <list>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/unique_fd.h"
#include "boot/kernel.h"

namespace boot {

struct ControlServerOptions {
  // Peers with this uid (or uid 0) are trusted.
  uid_t allowed_uid = 0;
  // How long a peer may take to send its request once connected.
  absl::Duration request_timeout = absl::Seconds(10);
  // Connections served at once; more are refused with ResourceExhausted.
  size_t max_connections = 64;
};

// Serves one decoded request (exposed for tests and fuzzing): validates the
// request's shape and descriptor count, calls the kernel, and builds the
// response (error field set on failure). Sets *destroyed when a Destroy
// succeeded.
control::Response Dispatch(SandboxKernel& kernel, const control::Request& req,
                           std::vector<base::UniqueFd> fds, bool* destroyed);

class ControlServer {
 public:
  ControlServer(base::UniqueFd listener, SandboxKernel* kernel,
                ControlServerOptions options);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Accepts and serves connections until a Destroy request succeeded or
  // Stop() was called; then closes the listening socket and waits for every
  // connection thread to finish. Call at most once.
  absl::Status Serve();

  // Makes Serve return (thread-safe, async with respect to Serve).
  void Stop();

 private:
  struct Conn {
    std::thread thread;
    bool done = false;
  };
  void ServeConnection(base::UniqueFd conn, Conn* self);
  void ReapFinished() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  base::UniqueFd listener_;
  SandboxKernel* kernel_;
  ControlServerOptions options_;
  base::UniqueFd stop_read_, stop_write_;

  absl::Mutex mu_;
  std::list<Conn> conns_ ABSL_GUARDED_BY(mu_);
  size_t active_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace boot

#endif  // BOOT_CONTROL_SERVER_H_
