#include "sentry/fs/devpts/host_bridge.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace sentry::fs::devpts {
namespace {

// A host pty as the front end would make it: master (the engine's end) and
// a raw replica for the sandbox.
struct HostPty {
  base::UniqueFd master, replica;
};

HostPty MakeHostPty() {
  HostPty p;
  p.master.reset(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  EXPECT_TRUE(p.master.valid());
  EXPECT_EQ(grantpt(p.master.get()), 0);
  EXPECT_EQ(unlockpt(p.master.get()), 0);
  p.replica.reset(open(ptsname(p.master.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
  EXPECT_TRUE(p.replica.valid());
  struct termios t;
  EXPECT_EQ(tcgetattr(p.replica.get(), &t), 0);
  cfmakeraw(&t);
  EXPECT_EQ(tcsetattr(p.replica.get(), TCSANOW, &t), 0);
  return p;
}

// Ioctl arguments in sentry memory; no job control.
struct MemCaller final : public TtyCaller {
  ErrnoStatus CopyIn(uint64_t a, std::span<std::byte> d) override {
    std::memcpy(d.data(), reinterpret_cast<const void*>(a), d.size());
    return OkErrno();
  }
  ErrnoStatus CopyOut(uint64_t a, std::span<const std::byte> s) override {
    std::memcpy(reinterpret_cast<void*>(a), s.data(), s.size());
    return OkErrno();
  }
  int32_t Pid() override { return 1; }
  int32_t Sid() override { return 1; }
  int32_t Pgid() override { return 1; }
  bool HasCapSysAdmin() override { return false; }
  bool ProcessGroupInSession(int32_t, int32_t) override { return true; }
  std::shared_ptr<Pty> ControllingTty() override { return nullptr; }
  void SetControllingTty(std::shared_ptr<Pty>) override {}
  void DetachSession(int32_t, const Pty&) override {}
};

// Reads from a host fd until `want` bytes arrived (blocking).
std::string HostRead(int fd, size_t want) {
  std::string out;
  char buf[256];
  while (out.size() < want) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string SentryRead(TtyFile& f) {
  char buf[256];
  vfs::SpanDst dst(buf, sizeof(buf));
  auto n = f.Read(dst, 0, vfs::IoOptions{});
  return n.ok() ? std::string(buf, *n) : "error";
}

TEST(HostBridgeTest, CopiesBothWaysAndHangsUp) {
  HostPty host = MakeHostPty();
  auto pty = std::make_shared<Pty>(0, nullptr);
  auto master = std::make_unique<TtyFile>(pty, true);
  MemCaller caller;
  int32_t zero = 0;
  ASSERT_TRUE(
      master->Ioctl(kTIOCSPTLCK, reinterpret_cast<uint64_t>(&zero), caller)
          .ok());
  ASSERT_TRUE(pty->OpenReplica(O_RDWR | O_NOCTTY, nullptr).ok());
  TtyFile replica(pty, false);

  struct winsize ws = {40, 120, 0, 0};
  ASSERT_EQ(ioctl(host.master.get(), TIOCSWINSZ, &ws), 0);
  auto bridge = HostBridge::Start(std::move(host.replica), std::move(master));
  ASSERT_TRUE(bridge.ok());
  ASSERT_TRUE((*bridge)->SyncWindowSize().ok());
  EXPECT_EQ(pty->winsize().ws_row, 40);
  EXPECT_EQ(pty->winsize().ws_col, 120);

  // Engine types a line: the sentry's line discipline echoes it (ONLCR)
  // and delivers it to the application.
  ASSERT_EQ(write(host.master.get(), "ls\r", 3), 3);
  EXPECT_EQ(SentryRead(replica), "ls\n");
  EXPECT_EQ(HostRead(host.master.get(), 4), "ls\r\n");
  // Application output reaches the engine once (no second ONLCR).
  vfs::SpanSrc src("out\n", 4);
  int64_t end;
  ASSERT_TRUE(replica.Write(src, 0, vfs::IoOptions{}, &end).ok());
  EXPECT_EQ(HostRead(host.master.get(), 5), "out\r\n");

  // The engine goes away: the bridge ends; destroying it hangs up.
  host.master.reset();
  (*bridge)->WaitDone();
  bridge->reset();
  EXPECT_EQ(SentryRead(replica), "");
  vfs::SpanSrc more("x", 1);
  EXPECT_FALSE(replica.Write(more, 0, vfs::IoOptions{}, &end).ok());
}

TEST(HostBridgeTest, EndsWhenTheApplicationClosesItsTerminal) {
  HostPty host = MakeHostPty();
  auto pty = std::make_shared<Pty>(0, nullptr);
  auto master = std::make_unique<TtyFile>(pty, true);
  MemCaller caller;
  int32_t zero = 0;
  ASSERT_TRUE(
      master->Ioctl(kTIOCSPTLCK, reinterpret_cast<uint64_t>(&zero), caller)
          .ok());
  auto replica = master->OpenPeer(O_RDWR | O_NOCTTY, nullptr);
  ASSERT_TRUE(replica.ok());
  auto bridge = HostBridge::Start(std::move(host.replica), std::move(master));
  ASSERT_TRUE(bridge.ok());
  vfs::SpanSrc src("bye", 3);
  int64_t end;
  ASSERT_TRUE((*replica)->Write(src, 0, vfs::IoOptions{}, &end).ok());
  replica->reset();  // the application exits
  (*bridge)->WaitDone();
  bridge->reset();  // closes the host replica too
  EXPECT_EQ(HostRead(host.master.get(), 3), "bye");
  char c;
  EXPECT_EQ(read(host.master.get(), &c, 1), -1);
  EXPECT_EQ(errno, EIO);
}

}  // namespace
}  // namespace sentry::fs::devpts
