// The host side of a container console (docs/terminals.md): copies bytes
// between a host terminal descriptor (the replica of a host pty, in raw
// mode, whose master the engine holds) and the master of a sentry pty.
//
// Two threads: host -> sentry master (poll on the host descriptor and a
// stop eventfd, then a blocking MasterWrite) and sentry master -> host (a
// blocking MasterRead, then writes with poll). Either direction ending
// (host EOF/EIO: the engine closed its master; sentry EIO: every replica is
// closed) stops both. Destruction stops and joins the threads, closes the
// sentry master (a hangup: SIGHUP to the session) and the host descriptor.
//
// Threads: each direction has its own vfs::Waiter, interrupted by Stop (with
// the eventfd for the host poll). No lock of its own; the Pty locks itself.
#ifndef SENTRY_FS_DEVPTS_HOST_BRIDGE_H_
#define SENTRY_FS_DEVPTS_HOST_BRIDGE_H_

#include <sys/ioctl.h>

#include <atomic>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "base/unique_fd.h"
#include "sentry/base/errno.h"
#include "sentry/fs/devpts/tty.h"
#include "sentry/vfs/waiter.h"

namespace sentry::fs::devpts {

class HostBridge {
 public:
  // `host` is made non-blocking; `master` is a master TtyFile.
  static ErrnoOr<std::unique_ptr<HostBridge>> Start(
      base::UniqueFd host, std::unique_ptr<TtyFile> master);
  ~HostBridge();
  HostBridge(const HostBridge&) = delete;
  HostBridge& operator=(const HostBridge&) = delete;

  // Copies the host terminal's window size to the sentry pty (which sends
  // SIGWINCH to its foreground group) when it differs from the last one
  // copied. Called at start, then by the host -> sentry thread at least
  // every kResizeCheck: an engine resizes by TIOCSWINSZ on its master, and
  // the host's SIGWINCH for that goes to the host terminal's foreground
  // group, which the sandbox is not (exec consoles never are).
  ErrnoStatus SyncWindowSize() ABSL_LOCKS_EXCLUDED(ws_mu_);
  static constexpr int kResizeCheckMs = 100;
  // Blocks until a direction ended.
  void WaitDone() { done_.WaitForNotification(); }
  // Stops both directions (idempotent).
  void Stop();

 private:
  HostBridge(base::UniqueFd host, base::UniqueFd stop_fd,
             std::unique_ptr<TtyFile> master);
  void HostToSentry();
  void SentryToHost();
  // Waits until the host fd has `events` or stop, or `timeout_ms` passed
  // (-1: no timeout). kStop on stop or error.
  enum class PollResult { kReady, kTimeout, kStop };
  PollResult PollHost(short events, int timeout_ms);
  void Finish();

  base::UniqueFd host_;
  base::UniqueFd stop_fd_;  // eventfd
  std::unique_ptr<TtyFile> master_;
  vfs::Waiter in_waiter_, out_waiter_;
  std::atomic<bool> stopping_{false};
  absl::Notification done_;
  std::atomic<bool> done_set_{false};
  std::thread in_, out_;
  absl::Mutex ws_mu_;
  bool ws_synced_ ABSL_GUARDED_BY(ws_mu_) = false;
  struct winsize last_ws_ ABSL_GUARDED_BY(ws_mu_) = {};
};

}  // namespace sentry::fs::devpts

#endif  // SENTRY_FS_DEVPTS_HOST_BRIDGE_H_
