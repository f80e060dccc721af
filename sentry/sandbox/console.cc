#include "sentry/sandbox/console.h"

#include <fcntl.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "sentry/fs/devpts/devpts.h"
#include "sentry/fs/devpts/termios.h"
#include "sentry/syscalls/sys_tty.h"

namespace sentry::sandbox {
namespace {

namespace devpts = fs::devpts;

// The sandbox itself unlocking a fresh pair (TIOCSPTLCK): the argument lives
// in the sentry's own memory and no task is involved.
class SentryCaller final : public devpts::TtyCaller {
 public:
  ErrnoStatus CopyIn(uint64_t addr, std::span<std::byte> dst) override {
    std::memcpy(dst.data(), reinterpret_cast<const void*>(addr), dst.size());
    return OkErrno();
  }
  ErrnoStatus CopyOut(uint64_t addr, std::span<const std::byte> src) override {
    std::memcpy(reinterpret_cast<void*>(addr), src.data(), src.size());
    return OkErrno();
  }
  int32_t Pid() override { return 0; }
  int32_t Sid() override { return 0; }
  int32_t Pgid() override { return 0; }
  bool HasCapSysAdmin() override { return true; }
  bool ProcessGroupInSession(int32_t, int32_t) override { return false; }
  std::shared_ptr<devpts::Pty> ControllingTty() override { return nullptr; }
  void SetControllingTty(std::shared_ptr<devpts::Pty>) override {}
  void DetachSession(int32_t, const devpts::Pty&) override {}
};

}  // namespace

absl::StatusOr<std::unique_ptr<Console>> Console::Create(
    vfs::VirtualFilesystem* vfs, const vfs::Context& ctx, base::UniqueFd host) {
  auto pts = vfs->Resolve(ctx, vfs::PathAt{ctx.root, "/dev/pts"}, true);
  if (!pts.ok()) return ErrnoToStatus(pts.error(), "console: /dev/pts");
  auto instance = std::dynamic_pointer_cast<devpts::Devpts>(pts->mount->fs());
  if (instance == nullptr) {
    return absl::FailedPreconditionError(
        "console: no devpts is mounted at /dev/pts in the container");
  }
  auto master = instance->OpenMaster(O_RDWR, nullptr);
  if (!master.ok()) return ErrnoToStatus(master.error(), "console: ptmx");
  SentryCaller unlocker;
  int32_t zero = 0;
  auto unlocked = (*master)->Ioctl(devpts::kTIOCSPTLCK,
                                   reinterpret_cast<uint64_t>(&zero), unlocker);
  if (!unlocked.ok()) return ErrnoToStatus(unlocked.error(), "console: unlock");
  auto c = std::unique_ptr<Console>(new Console());
  c->pty_ = (*master)->pty();
  std::string path = absl::StrCat("/dev/pts/", c->pty_->index());
  auto replica =
      vfs->Open(ctx, vfs::PathAt{ctx.root, path}, O_RDWR | O_NOCTTY, 0);
  if (!replica.ok()) return ErrnoToStatus(replica.error(), "console: " + path);
  c->replica_ = *replica;
  auto bridge = devpts::HostBridge::Start(std::move(host), std::move(*master));
  if (!bridge.ok()) return ErrnoToStatus(bridge.error(), "console: bridge");
  c->bridge_ = std::move(*bridge);
  // The engine's size (if it set one before start) applies at once.
  (void)c->bridge_->SyncWindowSize();
  return c;
}

Console::~Console() { Stop(); }

absl::Status Console::Attach(kernel::Task* leader) {
  // The process holds its own opens now; ours would keep the terminal from
  // ever reporting "every replica closed" to the bridge.
  replica_.reset();
  syscalls::TaskTtyCaller caller(leader);
  auto r = pty_->Ioctl(/*master=*/false, devpts::kTIOCSCTTY, 0, caller);
  if (!r.ok()) return ErrnoToStatus(r.error(), "console: controlling terminal");
  return absl::OkStatus();
}

void Console::Stop() {
  if (bridge_ != nullptr) bridge_->Stop();
}

}  // namespace sentry::sandbox
