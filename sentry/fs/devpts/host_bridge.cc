#include "sentry/fs/devpts/host_bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace sentry::fs::devpts {

ErrnoOr<std::unique_ptr<HostBridge>> HostBridge::Start(
    base::UniqueFd host, std::unique_ptr<TtyFile> master) {
  if (!master || !master->master()) return Errno{EINVAL};
  int fl = fcntl(host.get(), F_GETFL);
  if (fl < 0 || fcntl(host.get(), F_SETFL, fl | O_NONBLOCK) < 0) {
    return Errno{errno};
  }
  base::UniqueFd stop(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop) return Errno{errno};
  std::unique_ptr<HostBridge> b(
      new HostBridge(std::move(host), std::move(stop), std::move(master)));
  b->in_ = std::thread([p = b.get()] { p->HostToSentry(); });
  b->out_ = std::thread([p = b.get()] { p->SentryToHost(); });
  return b;
}

HostBridge::HostBridge(base::UniqueFd host, base::UniqueFd stop_fd,
                       std::unique_ptr<TtyFile> master)
    : host_(std::move(host)),
      stop_fd_(std::move(stop_fd)),
      master_(std::move(master)) {}

HostBridge::~HostBridge() {
  Stop();
  if (in_.joinable()) in_.join();
  if (out_.joinable()) out_.join();
  master_.reset();  // hangup of the sentry side
}

void HostBridge::Stop() {
  if (stopping_.exchange(true)) return;
  uint64_t one = 1;
  (void)!write(stop_fd_.get(), &one, sizeof(one));
  in_waiter_.Interrupt();
  out_waiter_.Interrupt();
}

void HostBridge::Finish() {
  Stop();
  if (!done_set_.exchange(true)) done_.Notify();
}

HostBridge::PollResult HostBridge::PollHost(short events, int timeout_ms) {
  for (;;) {
    if (stopping_.load()) return PollResult::kStop;
    struct pollfd fds[2] = {{host_.get(), events, 0},
                            {stop_fd_.get(), POLLIN, 0}};
    int r = poll(fds, 2, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || fds[1].revents) return PollResult::kStop;
    if (r == 0) return PollResult::kTimeout;
    if (fds[0].revents) return PollResult::kReady;
  }
}

void HostBridge::HostToSentry() {
  char buf[4096];
  for (;;) {
    PollResult p = PollHost(POLLIN, kResizeCheckMs);
    if (p == PollResult::kStop) break;
    (void)SyncWindowSize();
    if (p == PollResult::kTimeout) continue;
    ssize_t n = read(host_.get(), buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;  // EOF or EIO: the engine closed the master
    size_t done = 0;
    while (done < static_cast<size_t>(n)) {
      vfs::SpanSrc src(buf + done, static_cast<size_t>(n) - done);
      int64_t end;
      auto w =
          master_->Write(src, 0, vfs::IoOptions{.waiter = &in_waiter_}, &end);
      if (!w.ok()) {
        Finish();
        return;
      }
      done += *w;
    }
  }
  Finish();
}

void HostBridge::SentryToHost() {
  char buf[4096];
  for (;;) {
    vfs::SpanDst dst(buf, sizeof(buf));
    auto n = master_->Read(dst, 0, vfs::IoOptions{.waiter = &out_waiter_});
    if (!n.ok() || *n == 0) break;  // EIO: no replica left; EINTR: stop
    size_t done = 0;
    while (done < *n) {
      ssize_t w = write(host_.get(), buf + done, *n - done);
      if (w > 0) {
        done += static_cast<size_t>(w);
      } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (PollHost(POLLOUT, -1) != PollResult::kReady) break;
      } else {
        break;
      }
    }
    if (done < *n) break;
  }
  Finish();
}

ErrnoStatus HostBridge::SyncWindowSize() {
  struct winsize ws;
  if (ioctl(host_.get(), TIOCGWINSZ, &ws) < 0) return Errno{errno};
  absl::MutexLock l(&ws_mu_);
  if (ws_synced_ && std::memcmp(&ws, &last_ws_, sizeof(ws)) == 0) {
    return OkErrno();
  }
  // The pty's ioctl reads the size from "application memory": here the
  // sentry's own, through a minimal caller.
  class Local final : public TtyCaller {
   public:
    ErrnoStatus CopyIn(uint64_t addr, std::span<std::byte> dst) override {
      std::memcpy(dst.data(), reinterpret_cast<const void*>(addr), dst.size());
      return OkErrno();
    }
    ErrnoStatus CopyOut(uint64_t, std::span<const std::byte>) override {
      return Errno{EFAULT};
    }
    int32_t Pid() override { return 0; }
    int32_t Sid() override { return 0; }
    int32_t Pgid() override { return 0; }
    bool HasCapSysAdmin() override { return false; }
    bool ProcessGroupInSession(int32_t, int32_t) override { return false; }
    std::shared_ptr<Pty> ControllingTty() override { return nullptr; }
    void SetControllingTty(std::shared_ptr<Pty>) override {}
    void DetachSession(int32_t, const Pty&) override {}
  } local;
  Winsize w{ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel};
  RETURN_IF_ERRNO(
      master_->Ioctl(kTIOCSWINSZ, reinterpret_cast<uint64_t>(&w), local));
  last_ws_ = ws;
  ws_synced_ = true;
  return OkErrno();
}

}  // namespace sentry::fs::devpts
