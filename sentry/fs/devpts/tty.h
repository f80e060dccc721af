// Pseudo-terminal pairs: the line discipline between a master and its
// replica (Linux's pty driver plus n_tty), and the kernel-facing hooks.
//
// A Pty holds one termios, one window size and two queues: input (master
// writes -> line discipline -> replica reads) and output (replica writes ->
// output processing -> master reads). As in Linux, ioctls on the master that
// concern terminal settings (TCGETS/TCSETS*, TIOC[GS]WINSZ, TIOC[GS]PGRP)
// act on the replica's state.
//
// Implemented line discipline: ICRNL/INLCR/IGNCR/ISTRIP on input; canonical
// mode with ERASE, KILL, WERASE, EOF, EOL, EOL2; ECHO, ECHOE, ECHOK, ECHOKE,
// ECHONL, ECHOCTL; OPOST with ONLCR/OCRNL/ONLRET; VMIN/VTIME; ISIG (INTR,
// QUIT, SUSP -> SIGINT/SIGQUIT/SIGTSTP to the foreground process group,
// flushing unless NOFLSH). Job control: a background process group reading
// its controlling terminal (or writing it with TOSTOP, or changing its
// settings) goes through TtyCaller::BackgroundAccess (SIGTTIN/SIGTTOU, EIO).
// Packet mode (TIOCPKT): data reads on the master start with TIOCPKT_DATA;
// no status packets (flush/stop/start). TIOCSTI injects input. Not
// implemented (differs from Linux): IXON flow control (TCXONC is accepted
// and does nothing), LNEXT, REPRINT, parity, baud rates (stored, ignored).
//
// Hangup: when the master closes, the replica reads 0 (EOF), writes and
// ioctls fail with EIO, poll reports POLLIN|POLLOUT|POLLERR|POLLHUP, and the
// session attached to the terminal is hung up through TtyKernel. When every
// replica closes, master reads fail with EIO (once the queue is empty) and
// poll reports POLLHUP, as Linux.
//
// Locking: Pty::mu_ is a leaf lock, taken after vfs::Waiter's mutex. Hooks
// (TtyKernel, TtyCaller) are never called with mu_ held, so the kernel may
// interrupt waiters or take its own locks from them.
#ifndef SENTRY_FS_DEVPTS_TTY_H_
#define SENTRY_FS_DEVPTS_TTY_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sentry/base/errno.h"
#include "sentry/fs/devpts/termios.h"
#include "sentry/vfs/events.h"
#include "sentry/vfs/inode.h"
#include "sentry/vfs/io.h"
#include "sentry/vfs/waiter.h"

namespace sentry::fs::devpts {

class Pty;

// The calling task, as an ioctl or open sees it. Implemented by the kernel
// (tests use a fake). Process ids are in the sandbox's pid namespace.
class TtyCaller {
 public:
  virtual ~TtyCaller() = default;
  // Copies to/from the caller's memory (EFAULT on a bad address).
  virtual ErrnoStatus CopyIn(uint64_t addr, std::span<std::byte> dst) = 0;
  virtual ErrnoStatus CopyOut(uint64_t addr,
                              std::span<const std::byte> src) = 0;
  virtual int32_t Pid() = 0;
  virtual int32_t Sid() = 0;
  virtual int32_t Pgid() = 0;
  virtual bool HasCapSysAdmin() = 0;
  // Owner of a pts node the caller creates by opening ptmx.
  virtual uint32_t Fsuid() { return 0; }
  virtual uint32_t Fsgid() { return 0; }
  // Whether process group `pgid` exists in session `sid` (TIOCSPGRP).
  virtual bool ProcessGroupInSession(int32_t pgid, int32_t sid) = 0;
  // Whether process group `pgid` exists at all (TIOCSPGRP: ESRCH if not,
  // EPERM if it is in another session).
  virtual bool ProcessGroupExists(int32_t pgid) {
    (void)pgid;
    return true;
  }
  // The caller's controlling terminal (nullptr: none).
  virtual std::shared_ptr<Pty> ControllingTty() = 0;
  // Sets the controlling terminal of every process of the caller's session
  // (TIOCSCTTY, open without O_NOCTTY) or, with nullptr, of the caller only
  // (TIOCNOTTY by a non-leader).
  virtual void SetControllingTty(std::shared_ptr<Pty> tty) = 0;
  // Every process of session `sid` loses `tty` as controlling terminal
  // (TIOCNOTTY by the leader, TIOCSCTTY stealing).
  virtual void DetachSession(int32_t sid, const Pty& tty) = 0;
  // Job control (Linux's __tty_check_change): the caller, in a background
  // process group of its controlling terminal, reads it (SIGTTIN) or writes
  // it with TOSTOP / changes its settings (SIGTTOU). Returns OK to go on
  // (SIGTTOU ignored or blocked), EIO (SIGTTIN ignored or blocked, or an
  // orphaned process group), or EINTR after sending `sig` to the caller's
  // process group (Linux: ERESTARTSYS).
  virtual ErrnoStatus BackgroundAccess(int sig) {
    (void)sig;
    return OkErrno();
  }
};

// The kernel's side of terminals, one per sandbox.
class TtyKernel {
 public:
  virtual ~TtyKernel() = default;
  // Sends `sig` to every process of process group `pgid` (ISIG characters,
  // SIGWINCH, TIOCNOTTY's SIGHUP/SIGCONT).
  virtual void SignalProcessGroup(int32_t pgid, int sig) = 0;
  // Hangup (master closed): every process of session `sid` whose
  // controlling terminal is `tty` loses it; the session leader receives
  // SIGHUP then SIGCONT (Linux's tty_signal_session_leader).
  virtual void HangupSession(int32_t sid, const Pty& tty) = 0;
  // The task doing the current open (for /dev/tty and acquiring a
  // controlling terminal on open); nullptr when unknown.
  virtual TtyCaller* CurrentTask() { return nullptr; }
};

// Limits (Linux: N_TTY_BUF_SIZE for a canonical line; the pty buffer).
inline constexpr size_t kMaxCanonLine = 4095;
inline constexpr size_t kQueueCapacity = 65536;

class Pty : public std::enable_shared_from_this<Pty> {
 public:
  // `kernel` may be null (no signals are sent then).
  Pty(uint32_t index, std::shared_ptr<TtyKernel> kernel);
  ~Pty();
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;

  uint32_t index() const { return index_; }

  // Master side.
  ErrnoOr<size_t> MasterRead(vfs::IoDst& dst, const vfs::IoOptions& opts);
  ErrnoOr<size_t> MasterWrite(vfs::IoSrc& src, const vfs::IoOptions& opts);
  uint32_t MasterReadiness(uint32_t mask);
  // The master's file closed: hangup.
  void MasterClosed();

  // Replica side. OpenReplica fails with EIO while locked (TIOCSPTLCK) or
  // after hangup; EBUSY under TIOCEXCL without CAP_SYS_ADMIN. `caller` (may
  // be null) acquires the terminal as controlling terminal when it is a
  // session leader without one and !(flags & O_NOCTTY), as Linux.
  ErrnoStatus OpenReplica(int flags, TtyCaller* caller);
  void ReplicaClosed();
  ErrnoOr<size_t> ReplicaRead(vfs::IoDst& dst, const vfs::IoOptions& opts);
  ErrnoOr<size_t> ReplicaWrite(vfs::IoSrc& src, const vfs::IoOptions& opts);
  uint32_t ReplicaReadiness(uint32_t mask);

  // ioctl(2) on either side. ENOTTY for unknown commands.
  ErrnoOr<int64_t> Ioctl(bool master, uint32_t cmd, uint64_t arg,
                         TtyCaller& caller);

  // State for tests and the kernel.
  KernelTermios termios();
  Winsize winsize();
  bool locked();
  int32_t session();
  int32_t foreground_pgid();
  // Kernel: the session leader `sid` exited (disassociate_ctty): the
  // terminal has no session and no foreground group any more.
  void ClearSession(int32_t sid);
  // Readiness changes of either side (poll/epoll); listeners re-check
  // Readiness of their side.
  vfs::EventQueue& events() { return events_; }

 private:
  using Signals = std::vector<std::pair<int32_t, int>>;  // pgid, signal

  // Input processing of one byte from the master (mu_ held).
  void ReceiveByte(uint8_t c, Signals* sigs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Echo(uint8_t c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EchoRaw(absl::string_view s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseOne(bool echo) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Output processing (OPOST) of replica bytes and echoes into out_.
  void Output(uint8_t c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushInput() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetTermios(const KernelTermios& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t InputQueued() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t ReadableInput() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool canonical() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return (termios_.c_lflag & kICANON) != 0;
  }
  void Deliver(const Signals& sigs);
  // Wakes blocked readers/writers and readiness listeners.
  void Wake() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Job control for the replica: `caller` (may be null) accessing this
  // terminal from a background process group (see BackgroundAccess).
  ErrnoStatus CheckBackground(TtyCaller* caller, int sig);
  TtyCaller* CurrentCaller() {
    return kernel_ ? kernel_->CurrentTask() : nullptr;
  }
  ErrnoOr<int64_t> JobIoctl(bool master, uint32_t cmd, uint64_t arg,
                            TtyCaller& caller);

  const uint32_t index_;
  const std::shared_ptr<TtyKernel> kernel_;
  absl::Mutex mu_;
  absl::CondVar cv_;
  vfs::EventQueue events_;
  KernelTermios termios_ ABSL_GUARDED_BY(mu_);
  uint32_t ispeed_ ABSL_GUARDED_BY(mu_) = 38400;
  uint32_t ospeed_ ABSL_GUARDED_BY(mu_) = 38400;
  Winsize winsize_ ABSL_GUARDED_BY(mu_) = {};
  // Canonical mode: complete lines (an EOF-terminated line is stored
  // without its terminator; an empty one makes a read return 0) and the line
  // being edited. Non-canonical mode: raw_.
  std::deque<std::string> lines_ ABSL_GUARDED_BY(mu_);
  std::string edit_ ABSL_GUARDED_BY(mu_);
  std::string raw_ ABSL_GUARDED_BY(mu_);
  std::string out_ ABSL_GUARDED_BY(mu_);
  bool locked_ ABSL_GUARDED_BY(mu_) = true;
  bool exclusive_ ABSL_GUARDED_BY(mu_) = false;
  bool packet_ ABSL_GUARDED_BY(mu_) = false;  // TIOCPKT
  bool master_open_ ABSL_GUARDED_BY(mu_) = true;
  int replicas_ ABSL_GUARDED_BY(mu_) = 0;
  bool replica_ever_opened_ ABSL_GUARDED_BY(mu_) = false;
  int32_t sid_ ABSL_GUARDED_BY(mu_) = 0;
  int32_t pgid_ ABSL_GUARDED_BY(mu_) = 0;
};

// An open master or replica: the FileImpl the VFS holds. The kernel's ioctl
// handler finds it with dynamic_cast<TtyFile*>(file.impl()).
class TtyFile final : public vfs::FileImpl {
 public:
  // Takes over one open of `side` (the caller did OpenReplica for a
  // replica); the close of this file is the matching close.
  // `on_close` (optional) runs after the close (devpts removes pts/N when
  // the master closes).
  TtyFile(std::shared_ptr<Pty> pty, bool master,
          std::function<void()> on_close = nullptr)
      : pty_(std::move(pty)), master_(master), on_close_(std::move(on_close)) {}
  ~TtyFile() override;

  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t offset,
                       const vfs::IoOptions& opts) override;
  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t offset,
                        const vfs::IoOptions& opts, int64_t* end) override;
  bool Seekable() const override { return false; }
  uint32_t Readiness(uint32_t mask) override;
  vfs::EventQueue* Events() override { return &pty_->events(); }
  ErrnoOr<int64_t> Ioctl(uint32_t cmd, uint64_t arg, TtyCaller& caller) {
    return pty_->Ioctl(master_, cmd, arg, caller);
  }

  // TIOCGPTPEER: opens this master's replica without a path walk (ENOTTY
  // on a replica; EIO while locked). The kernel wraps the result in a
  // FileDescription located at pts/N (the ioctl returns the new fd).
  ErrnoOr<std::unique_ptr<TtyFile>> OpenPeer(int flags, TtyCaller* caller);

  bool master() const { return master_; }
  const std::shared_ptr<Pty>& pty() const { return pty_; }

 private:
  const std::shared_ptr<Pty> pty_;
  const bool master_;
  std::function<void()> on_close_;
};

}  // namespace sentry::fs::devpts

#endif  // SENTRY_FS_DEVPTS_TTY_H_
