#include "sentry/sandbox/console.h"

#include <signal.h>
#include <sys/syscall.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "sentry/fs/devpts/devpts.h"
#include "sentry/fs/devpts/termios.h"
#include "sentry/kernel/proc_provider.h"
#include "sentry/sandbox/files.h"

namespace sentry::sandbox {
namespace {

namespace devpts = fs::devpts;

absl::Status ErrnoError(Errno e, absl::string_view what) {
  return absl::Status(absl::ErrnoToStatusCode(ToInt(e)),
                      absl::StrCat(what, ": ", strerror(ToInt(e))));
}

// The sandbox itself as the caller of a terminal ioctl: arguments live in
// the sentry's own memory; `pid` names the session the call is made for.
class SentryCaller final : public devpts::TtyCaller {
 public:
  SentryCaller(TtyHooks* hooks, int32_t pid) : hooks_(hooks), pid_(pid) {}
  ErrnoStatus CopyIn(uint64_t addr, std::span<std::byte> dst) override {
    std::memcpy(dst.data(), reinterpret_cast<const void*>(addr), dst.size());
    return OkErrno();
  }
  ErrnoStatus CopyOut(uint64_t addr, std::span<const std::byte> src) override {
    std::memcpy(reinterpret_cast<void*>(addr), src.data(), src.size());
    return OkErrno();
  }
  int32_t Pid() override { return pid_; }
  int32_t Sid() override { return pid_; }
  int32_t Pgid() override { return pid_; }
  bool HasCapSysAdmin() override { return true; }
  bool ProcessGroupInSession(int32_t pgid, int32_t sid) override {
    return hooks_ != nullptr &&
           hooks_->kernel()->ProcessGroupInSession(pgid, sid);
  }
  std::shared_ptr<devpts::Pty> ControllingTty() override {
    return hooks_ ? hooks_->SessionTty(pid_) : nullptr;
  }
  void SetControllingTty(std::shared_ptr<devpts::Pty> tty) override {
    if (hooks_) hooks_->SetSessionTty(pid_, std::move(tty));
  }
  void DetachSession(int32_t sid, const devpts::Pty& tty) override {
    if (hooks_) hooks_->DetachSession(sid, tty);
  }

 private:
  TtyHooks* hooks_;
  int32_t pid_;
};

}  // namespace

namespace {
std::shared_ptr<TtyHooks>& HooksSlot() {
  static std::shared_ptr<TtyHooks> slot;
  return slot;
}
}  // namespace

// ---- TtyHooks ----

void TtyHooks::SignalProcessGroup(int32_t pgid, int sig) {
  // A group whose leader exited cannot be found by its pgid here; Linux
  // would still signal the other members (partial).
  ErrnoStatus s = kernel_->SignalFromOutside(pgid, sig, /*group=*/true,
                                             /*all=*/false);
  if (!s.ok()) LOG(DEBUG) << "tty: signal " << sig << " to group " << pgid;
}

void TtyHooks::HangupSession(int32_t sid, const devpts::Pty& tty) {
  DetachSession(sid, tty);
  (void)kernel_->SignalFromOutside(sid, SIGHUP, false, false);
  (void)kernel_->SignalFromOutside(sid, SIGCONT, false, false);
}

devpts::TtyCaller* TtyHooks::CurrentTask() {
  kernel::Task* t = kernel::CurrentTask();
  if (t == nullptr) return nullptr;
  // One caller per task thread, rebound on each use.
  thread_local std::unique_ptr<TaskTtyCaller> caller;
  caller = std::make_unique<TaskTtyCaller>(*t, *this);
  return caller.get();
}

std::shared_ptr<devpts::Pty> TtyHooks::SessionTty(int32_t sid) {
  absl::MutexLock l(&mu_);
  auto it = ctty_.find(sid);
  return it == ctty_.end() ? nullptr : it->second.lock();
}

void TtyHooks::SetSessionTty(int32_t sid, std::shared_ptr<devpts::Pty> tty) {
  absl::MutexLock l(&mu_);
  if (tty == nullptr) {
    ctty_.erase(sid);
  } else {
    ctty_[sid] = tty;
  }
}

void TtyHooks::DetachSession(int32_t sid, const devpts::Pty& tty) {
  absl::MutexLock l(&mu_);
  auto it = ctty_.find(sid);
  if (it != ctty_.end() && it->second.lock().get() == &tty) ctty_.erase(it);
}

void SetSandboxTtyHooks(std::shared_ptr<TtyHooks> hooks) {
  // Set once at sandbox start, before any task runs; cleared at teardown.
  HooksSlot() = std::move(hooks);
}

TtyHooks* SandboxTtyHooks() { return HooksSlot().get(); }

std::optional<kernel::SyscallResult> ConsoleIoctl(kernel::Task& t) {
  const kernel::Registers& r = t.regs();
  if (r.SyscallNo() != SYS_ioctl || t.files == nullptr) return std::nullopt;
  TtyHooks* hooks = SandboxTtyHooks();
  if (hooks == nullptr) return std::nullopt;
  auto f = TaskFdTable(t).Get(static_cast<int>(r.SyscallArg(0)));
  if (!f.ok()) return std::nullopt;
  auto* tty = dynamic_cast<devpts::TtyFile*>((*f)->impl());
  if (tty == nullptr) return std::nullopt;
  TaskTtyCaller caller(t, *hooks);
  auto res = tty->Ioctl(static_cast<uint32_t>(r.SyscallArg(1)), r.SyscallArg(2),
                        caller);
  if (!res.ok()) return kernel::SyscallResult::Error(res.error());
  return kernel::SyscallResult::Value(*res);
}

// ---- TaskTtyCaller ----

ErrnoStatus TaskTtyCaller::CopyIn(uint64_t addr, std::span<std::byte> dst) {
  return t_->mm().CopyInFull(kernel::UserAddr(addr), dst.data(), dst.size());
}

ErrnoStatus TaskTtyCaller::CopyOut(uint64_t addr,
                                   std::span<const std::byte> src) {
  return t_->mm().CopyOutFull(kernel::UserAddr(addr), src.data(), src.size());
}

int32_t TaskTtyCaller::Pid() { return t_->tg().tgid; }

int32_t TaskTtyCaller::Sid() {
  auto r = hooks_->kernel()->GetSid(*t_, 0);
  return r.ok() ? *r : 0;
}

int32_t TaskTtyCaller::Pgid() {
  auto r = hooks_->kernel()->GetPgid(*t_, 0);
  return r.ok() ? *r : 0;
}

bool TaskTtyCaller::HasCapSysAdmin() {
  return t_->creds()->HasCapability(CAP_SYS_ADMIN);
}

uint32_t TaskTtyCaller::Fsuid() { return t_->creds()->fs_uid; }
uint32_t TaskTtyCaller::Fsgid() { return t_->creds()->fs_gid; }

bool TaskTtyCaller::ProcessGroupInSession(int32_t pgid, int32_t sid) {
  return hooks_->kernel()->ProcessGroupInSession(pgid, sid);
}

std::shared_ptr<devpts::Pty> TaskTtyCaller::ControllingTty() {
  return hooks_->SessionTty(Sid());
}

void TaskTtyCaller::SetControllingTty(std::shared_ptr<devpts::Pty> tty) {
  // Controlling terminals are kept per session (every process of a session
  // shares its leader's); a non-leader's TIOCNOTTY (null) is not tracked
  // per process (partial).
  if (tty == nullptr && Pid() != Sid()) return;
  hooks_->SetSessionTty(Sid(), std::move(tty));
}

void TaskTtyCaller::DetachSession(int32_t sid, const devpts::Pty& tty) {
  hooks_->DetachSession(sid, tty);
}

// ---- Console ----

absl::StatusOr<std::unique_ptr<Console>> Console::Create(
    vfs::VirtualFilesystem* vfs, const vfs::Context& ctx,
    std::shared_ptr<TtyHooks> hooks, base::UniqueFd host) {
  auto pts = vfs->Resolve(ctx, vfs::PathAt{ctx.root, "/dev/pts"}, true);
  if (!pts.ok()) return ErrnoError(pts.error(), "console: /dev/pts");
  auto instance = std::dynamic_pointer_cast<devpts::Devpts>(pts->mount->fs());
  if (instance == nullptr) {
    return absl::FailedPreconditionError(
        "console: no devpts is mounted at /dev/pts in the container");
  }
  auto master = instance->OpenMaster(O_RDWR, nullptr);
  if (!master.ok()) return ErrnoError(master.error(), "console: ptmx");
  SentryCaller unlocker(hooks.get(), 0);
  int32_t zero = 0;
  auto unlocked = (*master)->Ioctl(devpts::kTIOCSPTLCK,
                                   reinterpret_cast<uint64_t>(&zero), unlocker);
  if (!unlocked.ok()) return ErrnoError(unlocked.error(), "console: unlock");
  auto c = std::unique_ptr<Console>(new Console());
  c->hooks_ = std::move(hooks);
  c->pty_ = (*master)->pty();
  std::string path = absl::StrCat("/dev/pts/", c->pty_->index());
  auto replica =
      vfs->Open(ctx, vfs::PathAt{ctx.root, path}, O_RDWR | O_NOCTTY, 0);
  if (!replica.ok()) return ErrnoError(replica.error(), "console: " + path);
  c->replica_ = *replica;
  auto bridge = devpts::HostBridge::Start(std::move(host), std::move(*master));
  if (!bridge.ok()) return ErrnoError(bridge.error(), "console: bridge");
  c->bridge_ = std::move(*bridge);
  // The engine's size (if it set one before start) applies at once.
  (void)c->bridge_->SyncWindowSize();
  return c;
}

Console::~Console() { Stop(); }

absl::Status Console::Attach(int32_t pid) {
  // The process holds its own opens now; ours would keep the terminal from
  // ever reporting "every replica closed" to the bridge.
  replica_.reset();
  SentryCaller leader(hooks_.get(), pid);
  auto r = pty_->Ioctl(/*master=*/false, devpts::kTIOCSCTTY, 0, leader);
  if (!r.ok()) return ErrnoError(r.error(), "console: controlling terminal");
  return absl::OkStatus();
}

void Console::Stop() {
  if (bridge_ != nullptr) bridge_->Stop();
}

}  // namespace sentry::sandbox
