#include "sentry/fs/devpts/tty.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "sentry/fs/devpts/test_fakes.h"
#include "sentry/vfs/test_util.h"

namespace sentry::fs::devpts {
namespace {

using testing::FakeCaller;
using testing::FakeKernel;

// Reads what is there (non-blocking): the bytes, or "E<errno>".
std::string Read(TtyFile& f, size_t max = 4096, bool nonblock = true,
                 vfs::Waiter* waiter = nullptr) {
  std::string buf(max, '\0');
  vfs::SpanDst dst(buf.data(), buf.size());
  auto n =
      f.Read(dst, 0, vfs::IoOptions{.nonblock = nonblock, .waiter = waiter});
  if (!n.ok()) return "E" + std::to_string(ToInt(n.error()));
  buf.resize(*n);
  return buf;
}

ErrnoOr<size_t> Write(TtyFile& f, const std::string& s) {
  vfs::SpanSrc src(s.data(), s.size());
  int64_t end;
  return f.Write(src, 0, vfs::IoOptions{.nonblock = true}, &end);
}

std::string Err(int e) { return "E" + std::to_string(e); }

class TtyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pty_ = std::make_shared<Pty>(0, kernel_);
    master_ = std::make_unique<TtyFile>(pty_, true);
    int32_t unlock = 0;
    ASSERT_TRUE(caller_.Ioctl(*master_, kTIOCSPTLCK, &unlock).ok());
    ASSERT_TRUE(pty_->OpenReplica(O_RDWR | O_NOCTTY, nullptr).ok());
    replica_ = std::make_unique<TtyFile>(pty_, false);
  }
  KernelTermios Termios() {
    KernelTermios t;
    EXPECT_TRUE(caller_.Ioctl(*replica_, kTCGETS, &t).ok());
    return t;
  }
  void SetTermios(const KernelTermios& t) {
    ASSERT_TRUE(caller_.Ioctl(*replica_, kTCSETS, &t).ok());
  }
  // Makes caller_ (pid 10, session 10, group 10) own the terminal with
  // foreground group 12.
  void TakeControl() {
    ASSERT_TRUE(caller_.Ioctl(*replica_, kTIOCSCTTY, (void*)nullptr).ok());
    int32_t fg = 12;
    ASSERT_TRUE(caller_.Ioctl(*replica_, kTIOCSPGRP, &fg).ok());
  }

  std::shared_ptr<FakeKernel> kernel_ = std::make_shared<FakeKernel>();
  FakeCaller caller_{10, 10, 10};
  std::shared_ptr<Pty> pty_;
  std::unique_ptr<TtyFile> master_, replica_;
};

TEST_F(TtyTest, DefaultTermiosIsLinuxs) {
  KernelTermios t = Termios();
  EXPECT_EQ(t.c_iflag, kICRNL | kIXON);
  EXPECT_EQ(t.c_oflag, kOPOST | kONLCR);
  EXPECT_EQ(t.c_lflag, 0105073u);  // stty -g of a fresh pty on Linux: 8a3b
  EXPECT_EQ(t.c_cc[kVINTR], 3);
  EXPECT_EQ(t.c_cc[kVERASE], 0177);
  EXPECT_EQ(t.c_cc[kVMIN], 1);
  // The master sees the same settings.
  KernelTermios m;
  ASSERT_TRUE(caller_.Ioctl(*master_, kTCGETS, &m).ok());
  EXPECT_EQ(m.c_lflag, t.c_lflag);
}

TEST_F(TtyTest, CanonicalReadWaitsForNewline) {
  ASSERT_EQ(*Write(*master_, "hello"), 5u);
  EXPECT_EQ(Read(*replica_), Err(EAGAIN));
  int32_t n = -1;
  ASSERT_TRUE(caller_.Ioctl(*replica_, kFIONREAD, &n).ok());
  EXPECT_EQ(n, 0);  // a partial line is not readable (Linux: 0)
  ASSERT_EQ(*Write(*master_, "\n"), 1u);
  ASSERT_TRUE(caller_.Ioctl(*replica_, kFIONREAD, &n).ok());
  EXPECT_EQ(n, 6);
  EXPECT_EQ(Read(*replica_), "hello\n");
  EXPECT_EQ(Read(*replica_), Err(EAGAIN));
}

TEST_F(TtyTest, OneLinePerReadAndShortReads) {
  ASSERT_TRUE(Write(*master_, "ab\ncd\n").ok());
  EXPECT_EQ(Read(*replica_), "ab\n");
  EXPECT_EQ(Read(*replica_, 1), "c");
  EXPECT_EQ(Read(*replica_), "d\n");
}

TEST_F(TtyTest, EchoGoesBackToMasterWithOnlcr) {
  ASSERT_TRUE(Write(*master_, "ab\r").ok());  // ICRNL: \r is a newline
  EXPECT_EQ(Read(*master_), "ab\r\n");
  EXPECT_EQ(Read(*replica_), "ab\n");
  KernelTermios t = Termios();
  t.c_lflag &= ~kECHO;
  SetTermios(t);
  ASSERT_TRUE(Write(*master_, "x\n").ok());
  EXPECT_EQ(Read(*master_), Err(EAGAIN));
  t.c_lflag |= kECHONL;
  SetTermios(t);
  ASSERT_TRUE(Write(*master_, "y\n").ok());
  EXPECT_EQ(Read(*master_), "\r\n");  // only the newline is echoed
}

// Byte sequences checked against Linux (posix_openpt on the host).
TEST_F(TtyTest, EraseKillWerase) {
  ASSERT_TRUE(Write(*master_,
                    "ab\x7f"
                    "c\n")
                  .ok());
  EXPECT_EQ(Read(*replica_), "ac\n");
  EXPECT_EQ(Read(*master_), "ab\b \bc\r\n");
  ASSERT_TRUE(Write(*master_, "xy\x15z\n").ok());
  EXPECT_EQ(Read(*replica_), "z\n");
  EXPECT_EQ(Read(*master_), "xy\b \b\b \bz\r\n");
  ASSERT_TRUE(Write(*master_, "w1 w2\x17\n").ok());
  EXPECT_EQ(Read(*replica_), "w1 \n");
  // Erase on an empty line does nothing.
  ASSERT_TRUE(Write(*master_, "\x7f\x7fq\n").ok());
  EXPECT_EQ(Read(*replica_), "q\n");
}

TEST_F(TtyTest, KillWithoutEchoke) {
  Read(*master_);
  KernelTermios t = Termios();
  t.c_lflag &= ~kECHOKE;
  SetTermios(t);
  ASSERT_TRUE(Write(*master_, "ab\x15").ok());
  EXPECT_EQ(Read(*master_), "ab^U\r\n");  // ECHOCTL + ECHOK
}

TEST_F(TtyTest, EofCharacter) {
  ASSERT_TRUE(Write(*master_, "abc\x04").ok());
  EXPECT_EQ(Read(*replica_), "abc");  // EOF ends the line, is not stored
  ASSERT_TRUE(Write(*master_, "\x04").ok());
  EXPECT_EQ(Read(*replica_), "");  // EOF at line start: read returns 0
  EXPECT_EQ(Read(*replica_), Err(EAGAIN));
}

TEST_F(TtyTest, InputTranslations) {
  KernelTermios t = Termios();
  t.c_iflag = kIGNCR;
  t.c_lflag &= ~kECHO;
  SetTermios(t);
  ASSERT_TRUE(Write(*master_, "a\rb\n").ok());
  EXPECT_EQ(Read(*replica_), "ab\n");
  t.c_iflag = kINLCR;
  t.c_lflag &= ~kICANON;
  SetTermios(t);
  ASSERT_TRUE(Write(*master_, "a\n").ok());
  EXPECT_EQ(Read(*replica_), "a\r");
}

TEST_F(TtyTest, OutputProcessing) {
  ASSERT_TRUE(Write(*replica_, "a\nb").ok());
  EXPECT_EQ(Read(*master_), "a\r\nb");
  KernelTermios t = Termios();
  t.c_oflag &= ~kOPOST;
  SetTermios(t);
  ASSERT_TRUE(Write(*replica_, "a\nb").ok());
  EXPECT_EQ(Read(*master_), "a\nb");
  int32_t n = -1;
  ASSERT_TRUE(Write(*replica_, "xyz").ok());
  ASSERT_TRUE(caller_.Ioctl(*master_, kFIONREAD, &n).ok());
  EXPECT_EQ(n, 3);
  ASSERT_TRUE(caller_.Ioctl(*master_, kTIOCOUTQ, &n).ok());
  EXPECT_EQ(n, 0);
}

TEST_F(TtyTest, NonCanonicalVmin) {
  KernelTermios t = Termios();
  t.c_lflag &= ~(kICANON | kECHO);
  t.c_cc[kVMIN] = 1;
  t.c_cc[kVTIME] = 0;
  SetTermios(t);
  ASSERT_TRUE(Write(*master_, "x").ok());
  EXPECT_EQ(Read(*replica_), "x");
  EXPECT_EQ(Read(*replica_), Err(EAGAIN));
  // VMIN=0, VTIME=0: a read returns 0 at once, even when blocking.
  t.c_cc[kVMIN] = 0;
  SetTermios(t);
  EXPECT_EQ(Read(*replica_, 10, /*nonblock=*/false), "");
  // VMIN=3 blocks until three bytes arrived.
  t.c_cc[kVMIN] = 3;
  SetTermios(t);
  std::string got;
  std::thread reader([&] { got = Read(*replica_, 10, /*nonblock=*/false); });
  ASSERT_TRUE(Write(*master_, "a").ok());
  ASSERT_TRUE(Write(*master_, "bc").ok());
  reader.join();
  EXPECT_EQ(got, "abc");
}

TEST_F(TtyTest, SwitchingModesKeepsData) {
  ASSERT_TRUE(Write(*master_, "ab\ncd").ok());
  KernelTermios t = Termios();
  t.c_lflag &= ~kICANON;
  SetTermios(t);
  EXPECT_EQ(Read(*replica_), "ab\ncd");
}

TEST_F(TtyTest, IsigSignalsForegroundGroup) {
  TakeControl();
  ASSERT_TRUE(Write(*master_, "partial\x03").ok());
  ASSERT_EQ(kernel_->signals().size(), 1u);
  EXPECT_EQ(kernel_->signals()[0], std::make_pair(12, SIGINT));
  ASSERT_TRUE(Write(*master_, "\n").ok());
  EXPECT_EQ(Read(*replica_), "\n");  // ^C flushed "partial"
  EXPECT_EQ(Read(*master_), "^C\r\n");
  ASSERT_TRUE(Write(*master_, "\x1c\x1a").ok());
  auto sigs = kernel_->signals();
  ASSERT_EQ(sigs.size(), 3u);
  EXPECT_EQ(sigs[1], std::make_pair(12, SIGQUIT));
  EXPECT_EQ(sigs[2], std::make_pair(12, SIGTSTP));
  // Without ISIG ^C is data.
  KernelTermios t = Termios();
  t.c_lflag &= ~(kISIG | kICANON);
  SetTermios(t);
  ASSERT_TRUE(Write(*master_, "\x03").ok());
  EXPECT_EQ(Read(*replica_), "\x03");
  EXPECT_EQ(kernel_->signals().size(), 3u);
}

TEST_F(TtyTest, NoSignalWithoutForegroundGroup) {
  ASSERT_TRUE(Write(*master_, "\x03").ok());
  EXPECT_TRUE(kernel_->signals().empty());
}

TEST_F(TtyTest, WindowSizeAndSigwinch) {
  TakeControl();
  Winsize ws{24, 80, 0, 0};
  ASSERT_TRUE(caller_.Ioctl(*master_, kTIOCSWINSZ, &ws).ok());
  ASSERT_EQ(kernel_->signals().size(), 1u);
  EXPECT_EQ(kernel_->signals()[0], std::make_pair(12, SIGWINCH));
  ASSERT_TRUE(caller_.Ioctl(*master_, kTIOCSWINSZ, &ws).ok());
  EXPECT_EQ(kernel_->signals().size(), 1u);  // unchanged: no signal
  Winsize got{};
  ASSERT_TRUE(caller_.Ioctl(*replica_, kTIOCGWINSZ, &got).ok());
  EXPECT_EQ(got, ws);
  EXPECT_EQ(
      ToInt(caller_.Ioctl(*replica_, kTIOCGWINSZ, (Winsize*)nullptr).error()),
      EFAULT);
}

TEST_F(TtyTest, MasterCloseHangsUpReplica) {
  TakeControl();
  ASSERT_TRUE(Write(*master_, "unread\n").ok());
  master_.reset();
  EXPECT_EQ(Read(*replica_), "");  // Linux: 0 after hangup
  EXPECT_EQ(Read(*replica_, 10, /*nonblock=*/false), "");
  EXPECT_EQ(ToInt(Write(*replica_, "x").error()), EIO);
  Winsize ws;
  EXPECT_EQ(ToInt(caller_.Ioctl(*replica_, kTIOCGWINSZ, &ws).error()), EIO);
  EXPECT_EQ(replica_->Readiness(POLLIN | POLLOUT),
            uint32_t{POLLIN | POLLOUT | POLLERR | POLLHUP});
  EXPECT_EQ(kernel_->hangups(), std::vector<int32_t>{10});
  EXPECT_EQ(ToInt(pty_->OpenReplica(O_RDWR | O_NOCTTY, nullptr).error()), EIO);
}

TEST_F(TtyTest, ReplicaCloseGivesMasterEio) {
  ASSERT_TRUE(Write(*replica_, "left").ok());
  replica_.reset();
  EXPECT_EQ(Read(*master_), "left");  // queued data first
  EXPECT_EQ(Read(*master_), Err(EIO));
  EXPECT_EQ(master_->Readiness(POLLIN | POLLOUT), uint32_t{POLLOUT | POLLHUP});
  // Writes still land in the input queue for a later replica (Linux).
  EXPECT_EQ(*Write(*master_, "zz\n"), 3u);
  ASSERT_TRUE(pty_->OpenReplica(O_RDWR | O_NOCTTY, nullptr).ok());
  replica_ = std::make_unique<TtyFile>(pty_, false);
  EXPECT_EQ(Read(*replica_), "zz\n");
}

TEST(TtyLockTest, LockedReplicaAndMasterOnlyIoctls) {
  FakeCaller caller(1, 1, 1);
  auto pty = std::make_shared<Pty>(7, nullptr);
  auto master = std::make_unique<TtyFile>(pty, true);
  // Before a replica was ever opened, master reads would block (EAGAIN).
  EXPECT_EQ(Read(*master), Err(EAGAIN));
  EXPECT_EQ(master->Readiness(POLLIN | POLLOUT), uint32_t{POLLOUT});
  int32_t v = -1;
  ASSERT_TRUE(caller.Ioctl(*master, kTIOCGPTLCK, &v).ok());
  EXPECT_EQ(v, 1);
  EXPECT_EQ(ToInt(pty->OpenReplica(O_RDWR, nullptr).error()), EIO);
  uint32_t n = 0;
  ASSERT_TRUE(caller.Ioctl(*master, kTIOCGPTN, &n).ok());
  EXPECT_EQ(n, 7u);
  v = 0;
  ASSERT_TRUE(caller.Ioctl(*master, kTIOCSPTLCK, &v).ok());
  ASSERT_TRUE(pty->OpenReplica(O_RDWR, nullptr).ok());
  TtyFile replica(pty, false);
  EXPECT_EQ(ToInt(caller.Ioctl(replica, kTIOCGPTN, &n).error()), ENOTTY);
  EXPECT_EQ(ToInt(caller.Ioctl(replica, 0x12345678u, &n).error()), ENOTTY);
  // TIOCEXCL: further opens fail with EBUSY (without CAP_SYS_ADMIN).
  ASSERT_TRUE(caller.Ioctl(replica, kTIOCEXCL, (void*)nullptr).ok());
  EXPECT_EQ(ToInt(pty->OpenReplica(O_RDWR, &caller).error()), EBUSY);
  caller.cap = true;
  ASSERT_TRUE(pty->OpenReplica(O_RDWR | O_NOCTTY, &caller).ok());
  pty->ReplicaClosed();
}

TEST_F(TtyTest, NonBlockingAndInterruptedReads) {
  EXPECT_EQ(Read(*replica_), Err(EAGAIN));
  EXPECT_EQ(Read(*master_), Err(EAGAIN));
  vfs::Waiter waiter;
  std::string got;
  std::thread reader(
      [&] { got = Read(*replica_, 10, /*nonblock=*/false, &waiter); });
  waiter.Interrupt();
  reader.join();
  EXPECT_EQ(got, Err(EINTR));
  waiter.ClearInterrupt();
  std::thread mreader(
      [&] { got = Read(*master_, 10, /*nonblock=*/false, &waiter); });
  waiter.Interrupt();
  mreader.join();
  EXPECT_EQ(got, Err(EINTR));
}

TEST_F(TtyTest, BlockingReadWokenByData) {
  std::string got;
  std::thread reader([&] { got = Read(*replica_, 100, /*nonblock=*/false); });
  ASSERT_TRUE(Write(*master_, "line\n").ok());
  reader.join();
  EXPECT_EQ(got, "line\n");
}

TEST_F(TtyTest, Readiness) {
  EXPECT_EQ(replica_->Readiness(POLLIN | POLLOUT), uint32_t{POLLOUT});
  EXPECT_EQ(master_->Readiness(POLLIN | POLLOUT), uint32_t{POLLOUT});
  ASSERT_TRUE(Write(*master_, "ab").ok());
  // Echo is readable on the master; a partial line is not on the replica.
  EXPECT_EQ(master_->Readiness(POLLIN), uint32_t{POLLIN});
  EXPECT_EQ(replica_->Readiness(POLLIN), 0u);
  ASSERT_TRUE(Write(*master_, "\n").ok());
  EXPECT_EQ(replica_->Readiness(POLLIN), uint32_t{POLLIN});
  // Non-canonical with VMIN=2: readable only with two bytes.
  Read(*replica_);
  KernelTermios t = Termios();
  t.c_lflag &= ~kICANON;
  t.c_cc[kVMIN] = 2;
  SetTermios(t);
  ASSERT_TRUE(Write(*master_, "a").ok());
  EXPECT_EQ(replica_->Readiness(POLLIN), 0u);
  ASSERT_TRUE(Write(*master_, "b").ok());
  EXPECT_EQ(replica_->Readiness(POLLIN), uint32_t{POLLIN});
}

TEST_F(TtyTest, FlushAndSetVariants) {
  ASSERT_TRUE(Write(*master_, "in\n").ok());
  ASSERT_TRUE(Write(*replica_, "out").ok());
  ASSERT_TRUE(replica_->Ioctl(kTCFLSH, kTCIFLUSH, caller_).ok());
  EXPECT_EQ(Read(*replica_), Err(EAGAIN));
  EXPECT_EQ(Read(*master_), "in\r\nout");
  EXPECT_EQ(ToInt(replica_->Ioctl(kTCFLSH, 7, caller_).error()), EINVAL);
  ASSERT_TRUE(Write(*master_, "x\n").ok());
  KernelTermios t = Termios();
  ASSERT_TRUE(caller_.Ioctl(*replica_, kTCSETSF, &t).ok());  // flushes input
  EXPECT_EQ(Read(*replica_), Err(EAGAIN));
  KernelTermios2 t2{};
  ASSERT_TRUE(caller_.Ioctl(*master_, kTCGETS2, &t2).ok());
  EXPECT_EQ(t2.c_ospeed, 38400u);
  t2.t.c_lflag &= ~kECHO;
  t2.c_ispeed = t2.c_ospeed = 9600;
  ASSERT_TRUE(caller_.Ioctl(*master_, kTCSETSW2, &t2).ok());
  EXPECT_EQ(Termios().c_lflag & kECHO, 0u);
}

TEST_F(TtyTest, ControllingTerminal) {
  FakeCaller child(11, 10, 10);  // not a session leader
  EXPECT_EQ(ToInt(child.Ioctl(*replica_, kTIOCSCTTY, (void*)nullptr).error()),
            EPERM);
  int32_t v = 0;
  // Without it as controlling terminal, replica TIOCGPGRP is ENOTTY; the
  // master answers.
  EXPECT_EQ(ToInt(caller_.Ioctl(*replica_, kTIOCGPGRP, &v).error()), ENOTTY);
  EXPECT_EQ(ToInt(caller_.Ioctl(*master_, kTIOCGSID, &v).error()), ENOTTY);
  TakeControl();
  EXPECT_EQ(caller_.ctty, pty_);
  ASSERT_TRUE(caller_.Ioctl(*replica_, kTIOCGPGRP, &v).ok());
  EXPECT_EQ(v, 12);
  ASSERT_TRUE(caller_.Ioctl(*master_, kTIOCGSID, &v).ok());
  EXPECT_EQ(v, 10);
  // Another session leader can only steal it with CAP_SYS_ADMIN and arg 1.
  FakeCaller other(20, 20, 20);
  EXPECT_EQ(ToInt(other.Ioctl(*replica_, kTIOCSCTTY, (void*)nullptr).error()),
            EPERM);
  // TIOCSPGRP: not our terminal -> ENOTTY; foreign group -> EPERM.
  int32_t g = 20;
  EXPECT_EQ(ToInt(other.Ioctl(*replica_, kTIOCSPGRP, &g).error()), ENOTTY);
  caller_.foreign_groups = {99};
  g = 99;
  EXPECT_EQ(ToInt(caller_.Ioctl(*replica_, kTIOCSPGRP, &g).error()), EPERM);
  g = -1;
  EXPECT_EQ(ToInt(caller_.Ioctl(*replica_, kTIOCSPGRP, &g).error()), EINVAL);
  // TIOCNOTTY by the leader: SIGHUP and SIGCONT to the foreground group.
  ASSERT_TRUE(caller_.Ioctl(*replica_, kTIOCNOTTY, (void*)nullptr).ok());
  auto sigs = kernel_->signals();
  ASSERT_EQ(sigs.size(), 2u);
  EXPECT_EQ(sigs[0], std::make_pair(12, SIGHUP));
  EXPECT_EQ(sigs[1], std::make_pair(12, SIGCONT));
  EXPECT_EQ(caller_.ctty, nullptr);
  EXPECT_EQ(pty_->session(), 0);
  EXPECT_EQ(ToInt(caller_.Ioctl(*replica_, kTIOCNOTTY, (void*)nullptr).error()),
            ENOTTY);
  // Now `other` may take it; then a privileged steal.
  ASSERT_TRUE(other.Ioctl(*replica_, kTIOCSCTTY, (void*)nullptr).ok());
  EXPECT_EQ(pty_->session(), 20);
  caller_.cap = true;
  ASSERT_TRUE(caller_.Ioctl(*replica_, kTIOCSCTTY, (void*)1).ok());
  EXPECT_EQ(pty_->session(), 10);
  // Session 10 detached at TIOCNOTTY, session 20 by the steal.
  EXPECT_EQ(caller_.detached, (std::vector<int32_t>{10, 20}));
}

TEST_F(TtyTest, OpenWithoutNocttyAcquiresControllingTerminal) {
  FakeCaller leader(30, 30, 31);
  ASSERT_TRUE(pty_->OpenReplica(O_RDWR | O_NOCTTY, &leader).ok());
  EXPECT_EQ(leader.ctty, nullptr);
  ASSERT_TRUE(pty_->OpenReplica(O_RDWR, &leader).ok());
  EXPECT_EQ(leader.ctty, pty_);
  EXPECT_EQ(pty_->session(), 30);
  EXPECT_EQ(pty_->foreground_pgid(), 31);
  pty_->ReplicaClosed();
  pty_->ReplicaClosed();
}

TEST_F(TtyTest, HangupWakesBlockedReader) {
  std::string got = "unset";
  std::thread reader([&] { got = Read(*replica_, 10, /*nonblock=*/false); });
  master_.reset();
  reader.join();
  EXPECT_EQ(got, "");
}

TEST_F(TtyTest, FullInputQueueBlocksMasterWriter) {
  KernelTermios t = Termios();
  t.c_lflag &= ~(kICANON | kECHO);
  SetTermios(t);
  std::string big(kQueueCapacity, 'a');
  EXPECT_EQ(*Write(*master_, big), kQueueCapacity);
  EXPECT_EQ(ToInt(Write(*master_, "b").error()), EAGAIN);
  EXPECT_EQ(master_->Readiness(POLLOUT), 0u);
  ErrnoOr<size_t> wrote = Errno{EINVAL};
  std::thread writer([&] {
    vfs::SpanSrc src("b", 1);
    int64_t end;
    wrote = master_->Write(src, 0, vfs::IoOptions{}, &end);
  });
  EXPECT_EQ(Read(*replica_, 4096).size(), 4096u);
  writer.join();
  ASSERT_TRUE(wrote.ok());
  EXPECT_EQ(*wrote, 1u);
  EXPECT_EQ(master_->Readiness(POLLOUT), uint32_t{POLLOUT});
}

TEST(TtyPeerTest, OpenPeer) {
  auto pty = std::make_shared<Pty>(0, nullptr);
  TtyFile master(pty, true);
  EXPECT_EQ(ToInt(master.OpenPeer(O_RDWR, nullptr).error()), EIO);  // locked
  FakeCaller caller(1, 1, 1);
  int32_t v = 0;
  ASSERT_TRUE(caller.Ioctl(master, kTIOCSPTLCK, &v).ok());
  auto peer = master.OpenPeer(O_RDWR | O_NOCTTY, nullptr);
  ASSERT_TRUE(peer.ok());
  EXPECT_FALSE((*peer)->master());
  EXPECT_EQ(ToInt((*peer)->OpenPeer(O_RDWR, nullptr).error()), ENOTTY);
  ASSERT_TRUE(Write(**peer, "p").ok());
  EXPECT_EQ(Read(master), "p");
}

TEST_F(TtyTest, CanonicalLineLimit) {
  KernelTermios t = Termios();
  t.c_lflag &= ~kECHO;
  SetTermios(t);
  std::string big(5000, 'a');
  ASSERT_TRUE(Write(*master_, big).ok());
  ASSERT_TRUE(Write(*master_, "\n").ok());
  std::string line = Read(*replica_, 8192);
  EXPECT_EQ(line.size(), kMaxCanonLine + 1);
  EXPECT_EQ(line.back(), '\n');
}

// Job control: a background group of the controlling terminal goes through
// BackgroundAccess for reads, TOSTOP writes and settings changes.
TEST_F(TtyTest, BackgroundAccessForJobControl) {
  TakeControl();  // foreground group 12; caller_ is in group 10
  kernel_->current = &caller_;
  caller_.background_result = Errno{EIO};
  EXPECT_EQ(Read(*replica_), Err(EIO));
  EXPECT_EQ(caller_.background, std::vector<int>{SIGTTIN});
  // Writes without TOSTOP do not ask.
  EXPECT_TRUE(Write(*replica_, "x").ok());
  EXPECT_EQ(caller_.background.size(), 1u);
  KernelTermios t = Termios();
  t.c_lflag |= kTOSTOP;
  caller_.background_result = OkErrno();
  SetTermios(t);  // asks (SIGTTOU), allowed
  EXPECT_EQ(caller_.background.back(), SIGTTOU);
  caller_.background_result = Errno{EINTR};
  auto w = Write(*replica_, "y");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error(), Errno{EINTR});
  // TIOCSPGRP turns EIO into ENOTTY (Linux's tiocspgrp).
  caller_.background_result = Errno{EIO};
  int32_t fg = 10;
  auto r = caller_.Ioctl(*replica_, kTIOCSPGRP, &fg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Errno{ENOTTY});
  // The foreground group and the master never ask.
  size_t asked = caller_.background.size();
  caller_.pgid = 12;
  EXPECT_EQ(Read(*replica_), Err(EAGAIN));
  caller_.pgid = 10;
  EXPECT_TRUE(caller_.Ioctl(*master_, kTCSETS, &t).ok());
  EXPECT_EQ(caller_.background.size(), asked);
  kernel_->current = nullptr;
}

TEST_F(TtyTest, TiocspgrpMissingGroupIsEsrch) {
  TakeControl();
  caller_.missing_group = 77;
  int32_t pg = 77;
  auto r = caller_.Ioctl(*replica_, kTIOCSPGRP, &pg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Errno{ESRCH});
  caller_.foreign_groups = {78};
  pg = 78;
  r = caller_.Ioctl(*replica_, kTIOCSPGRP, &pg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Errno{EPERM});
}

TEST_F(TtyTest, PacketMode) {
  int32_t on = 1;
  ASSERT_TRUE(caller_.Ioctl(*master_, kTIOCPKT, &on).ok());
  int32_t got = 0;
  ASSERT_TRUE(caller_.Ioctl(*master_, kTIOCGPKT, &got).ok());
  EXPECT_EQ(got, 1);
  ASSERT_TRUE(Write(*replica_, "ab").ok());
  EXPECT_EQ(Read(*master_), std::string("\0ab", 3));
  // Not on the replica.
  EXPECT_FALSE(caller_.Ioctl(*replica_, kTIOCPKT, &on).ok());
}

TEST_F(TtyTest, TiocstiNeedsCttyOrCapability) {
  char c = 'z';
  auto r = caller_.Ioctl(*replica_, kTIOCSTI, &c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Errno{EPERM});
  caller_.cap = true;
  ASSERT_TRUE(caller_.Ioctl(*replica_, kTIOCSTI, &c).ok());
  c = '\n';
  ASSERT_TRUE(caller_.Ioctl(*replica_, kTIOCSTI, &c).ok());
  EXPECT_EQ(Read(*replica_), "z\n");
  EXPECT_EQ(Read(*master_), "z\r\n");  // echoed like typed input
}

TEST_F(TtyTest, DrainBreakFlowAndLineDiscipline) {
  for (uint32_t cmd : {kTCSBRK, kTCSBRKP, kTIOCSBRK, kTIOCCBRK}) {
    EXPECT_TRUE(replica_->Ioctl(cmd, 1, caller_).ok()) << cmd;
  }
  EXPECT_TRUE(replica_->Ioctl(kTCXONC, kTCOON, caller_).ok());
  auto r = replica_->Ioctl(kTCXONC, 9, caller_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Errno{EINVAL});
  int32_t ld = -1;
  ASSERT_TRUE(caller_.Ioctl(*replica_, kTIOCGETD, &ld).ok());
  EXPECT_EQ(ld, 0);
}

// Readiness listeners hear about input (poll/epoll wake up).
TEST_F(TtyTest, EventsNotifyListeners) {
  struct Listener : vfs::EventListener {
    void OnEvents(uint32_t e) override { events |= e; }
    uint32_t events = 0;
  } l;
  ASSERT_EQ(replica_->Events(), master_->Events());
  vfs::EventRegistration reg(replica_->Events(), &l, POLLIN);
  ASSERT_TRUE(Write(*master_, "q\n").ok());
  EXPECT_TRUE(l.events & POLLIN);
}

}  // namespace
}  // namespace sentry::fs::devpts
