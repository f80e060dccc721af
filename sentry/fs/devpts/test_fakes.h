// Test doubles for the kernel hooks of devpts (test-only).
#ifndef SENTRY_FS_DEVPTS_TEST_FAKES_H_
#define SENTRY_FS_DEVPTS_TEST_FAKES_H_

#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sentry/fs/devpts/tty.h"

namespace sentry::fs::devpts::testing {

// Records signals and hangups.
class FakeKernel : public TtyKernel {
 public:
  void SignalProcessGroup(int32_t pgid, int sig) override {
    absl::MutexLock l(&mu_);
    signals_.emplace_back(pgid, sig);
  }
  void HangupSession(int32_t sid, const Pty&) override {
    absl::MutexLock l(&mu_);
    hangups_.push_back(sid);
  }
  TtyCaller* CurrentTask() override { return current; }

  std::vector<std::pair<int32_t, int>> signals() {
    absl::MutexLock l(&mu_);
    return signals_;
  }
  std::vector<int32_t> hangups() {
    absl::MutexLock l(&mu_);
    return hangups_;
  }
  TtyCaller* current = nullptr;

 private:
  absl::Mutex mu_;
  std::vector<std::pair<int32_t, int>> signals_;
  std::vector<int32_t> hangups_;
};

// A task whose "application memory" is the sentry's (addresses are
// pointers). Session membership: every group is in the session unless
// listed in foreign_groups.
class FakeCaller : public TtyCaller {
 public:
  FakeCaller(int32_t pid, int32_t sid, int32_t pgid)
      : pid(pid), sid(sid), pgid(pgid) {}
  ErrnoStatus CopyIn(uint64_t addr, std::span<std::byte> dst) override {
    if (addr == 0) return Errno{EFAULT};
    std::memcpy(dst.data(), reinterpret_cast<const void*>(addr), dst.size());
    return OkErrno();
  }
  ErrnoStatus CopyOut(uint64_t addr, std::span<const std::byte> src) override {
    if (addr == 0) return Errno{EFAULT};
    std::memcpy(reinterpret_cast<void*>(addr), src.data(), src.size());
    return OkErrno();
  }
  int32_t Pid() override { return pid; }
  int32_t Sid() override { return sid; }
  int32_t Pgid() override { return pgid; }
  bool HasCapSysAdmin() override { return cap; }
  uint32_t Fsuid() override { return uid; }
  uint32_t Fsgid() override { return gid; }
  bool ProcessGroupInSession(int32_t group, int32_t session) override {
    if (group == missing_group) return false;
    for (int32_t g : foreign_groups) {
      if (g == group) return false;
    }
    return session == sid;
  }
  std::shared_ptr<Pty> ControllingTty() override { return ctty; }
  void SetControllingTty(std::shared_ptr<Pty> tty) override {
    ctty = std::move(tty);
  }
  void DetachSession(int32_t session, const Pty& tty) override {
    detached.push_back(session);
    if (ctty.get() == &tty) ctty = nullptr;
  }
  bool ProcessGroupExists(int32_t group) override {
    return group != missing_group;
  }
  ErrnoStatus BackgroundAccess(int sig) override {
    background.push_back(sig);
    return background_result;
  }

  // Ioctl with a pointer argument.
  template <typename T>
  ErrnoOr<int64_t> Ioctl(TtyFile& f, uint32_t cmd, T* arg) {
    return f.Ioctl(cmd, reinterpret_cast<uint64_t>(arg), *this);
  }

  int32_t pid, sid, pgid;
  bool cap = false;
  uint32_t uid = 0, gid = 0;
  std::vector<int32_t> foreign_groups;
  std::shared_ptr<Pty> ctty;
  std::vector<int32_t> detached;
  int32_t missing_group = -1;
  std::vector<int> background;  // BackgroundAccess calls
  ErrnoStatus background_result = OkErrno();
};

}  // namespace sentry::fs::devpts::testing

#endif  // SENTRY_FS_DEVPTS_TEST_FAKES_H_
