// Terminals: /dev/ptmx pairs, termios, window size and SIGWINCH, controlling
// terminals (open, TIOCSCTTY, TIOCNOTTY, setsid, /dev/tty), foreground
// process groups, the line discipline (canonical/raw, echo, erase, ^C),
// job control (SIGTTIN/SIGTTOU, EIO for orphaned groups), hangups, packet
// mode, TIOCSTI, TIOCGPTPEER and an interactive shell.
//
// Every test that needs a session of its own runs in a child that calls
// setsid(), so the test runner's own terminal (if any) is never touched.
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

struct Pty {
  Fd master, replica;
  std::string name;
};

// A new pair; the replica opened with `replica_flags` (not opened if -1).
Pty OpenPty(int replica_flags = O_RDWR | O_NOCTTY) {
  Pty p;
  p.master = Fd(open("/dev/ptmx", O_RDWR | O_NOCTTY));
  if (!p.master.valid()) {
    ADD_FAILURE() << "open /dev/ptmx: " << strerror(errno);
    return p;
  }
  int unlock = 0;
  EXPECT_EQ(ioctl(p.master.get(), TIOCSPTLCK, &unlock), 0) << strerror(errno);
  unsigned n = 0;
  EXPECT_EQ(ioctl(p.master.get(), TIOCGPTN, &n), 0) << strerror(errno);
  p.name = "/dev/pts/" + std::to_string(n);
  if (replica_flags != -1) {
    p.replica = Fd(open(p.name.c_str(), replica_flags));
    EXPECT_TRUE(p.replica.valid()) << p.name << ": " << strerror(errno);
  }
  return p;
}

// Reads from `fd` until `want` has been seen (blocking reads); returns all.
std::string ReadUntil(int fd, const std::string& want) {
  std::string got;
  char buf[256];
  while (got.find(want) == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    got.append(buf, n);
  }
  return got;
}

// Everything readable now (non-blocking) from `fd`.
std::string ReadAvailable(int fd) {
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  std::string got;
  char buf[256];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    got.append(buf, n);
  }
  fcntl(fd, F_SETFL, fl);
  return got;
}

void WriteStr(int fd, const std::string& s) {
  ASSERT_TRUE(WriteAll(fd, s.data(), s.size())) << strerror(errno);
}

// A pipe for "I am ready" handshakes between processes.
struct Gate {
  Gate() {
    int p[2];
    if (pipe(p) == 0) {
      r = Fd(p[0]);
      w = Fd(p[1]);
    }
  }
  void Open() {
    char c = 'x';
    EXPECT_EQ(write(w.get(), &c, 1), 1);
  }
  bool Wait() {
    char c;
    ssize_t n;
    do {
      n = read(r.get(), &c, 1);
    } while (n < 0 && errno == EINTR);
    return n == 1;
  }
  Fd r, w;
};

// Becomes a session leader with `p.name` as controlling terminal.
void BecomeLeaderWithCtty(const Pty& p, Fd* out) {
  ASSERT_THAT(setsid(), SyscallSucceeds());
  *out = Fd(open(p.name.c_str(), O_RDWR));
  ASSERT_TRUE(out->valid()) << strerror(errno);
  ASSERT_EQ(tcgetpgrp(out->get()), getpid());
}

sigset_t Block(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  sigprocmask(SIG_BLOCK, &s, nullptr);
  return s;
}

int WaitSignal(const sigset_t& s) {
  int r;
  do {
    r = sigwaitinfo(&s, nullptr);
  } while (r < 0 && errno == EINTR);
  return r;
}

// --- pairs and ioctls
// ---------------------------------------------------------

TEST(TtyTest, OpenPtyViaPtmx) {
  Pty p = OpenPty();
  ASSERT_TRUE(p.replica.valid());
  EXPECT_TRUE(isatty(p.master.get()));
  EXPECT_TRUE(isatty(p.replica.get()));
  struct stat st;
  ASSERT_THAT(fstat(p.replica.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(major(st.st_rdev), 136u);
  char* name = ptsname(p.master.get());
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(std::string(name), p.name);
  // A replica write reaches the master (ONLCR: \n -> \r\n).
  WriteStr(p.replica.get(), "hi\n");
  EXPECT_EQ(ReadUntil(p.master.get(), "\n"), "hi\r\n");
}

TEST(TtyTest, LockedReplicaFailsWithEio) {
  Fd m(open("/dev/ptmx", O_RDWR | O_NOCTTY));
  ASSERT_TRUE(m.valid());
  int lock = 1;
  ASSERT_THAT(ioctl(m.get(), TIOCGPTLCK, &lock), SyscallSucceeds());
  EXPECT_EQ(lock, 1);
  unsigned n;
  ASSERT_THAT(ioctl(m.get(), TIOCGPTN, &n), SyscallSucceeds());
  std::string name = "/dev/pts/" + std::to_string(n);
  EXPECT_THAT(open(name.c_str(), O_RDWR | O_NOCTTY),
              SyscallFailsWithErrno(EIO));
}

TEST(TtyTest, NotATty) {
  Fd f(open("/dev/null", O_RDWR));
  ASSERT_TRUE(f.valid());
  struct termios t;
  EXPECT_THAT(ioctl(f.get(), TCGETS, &t), SyscallFailsWithErrno(ENOTTY));
  struct winsize ws;
  EXPECT_THAT(ioctl(f.get(), TIOCGWINSZ, &ws), SyscallFailsWithErrno(ENOTTY));
}

TEST(TtyTest, TermiosRoundTrip) {
  Pty p = OpenPty();
  struct termios t;
  ASSERT_THAT(tcgetattr(p.replica.get(), &t), SyscallSucceeds());
  EXPECT_TRUE(t.c_lflag & ICANON);
  EXPECT_TRUE(t.c_lflag & ECHO);
  EXPECT_TRUE(t.c_lflag & ISIG);
  EXPECT_TRUE(t.c_oflag & ONLCR);
  EXPECT_EQ(t.c_cc[VINTR], 3);
  EXPECT_EQ(t.c_cc[VEOF], 4);

  struct termios raw = t;
  cfmakeraw(&raw);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  for (int action : {TCSANOW, TCSADRAIN, TCSAFLUSH}) {
    ASSERT_THAT(tcsetattr(p.replica.get(), action, &raw), SyscallSucceeds());
    struct termios got;
    ASSERT_THAT(tcgetattr(p.replica.get(), &got), SyscallSucceeds());
    EXPECT_EQ(got.c_lflag, raw.c_lflag);
    EXPECT_EQ(got.c_iflag, raw.c_iflag);
    EXPECT_EQ(got.c_oflag, raw.c_oflag);
    EXPECT_EQ(0, memcmp(got.c_cc, raw.c_cc, sizeof(got.c_cc)));
  }
  // The master reports the replica's settings.
  struct termios via_master;
  ASSERT_THAT(tcgetattr(p.master.get(), &via_master), SyscallSucceeds());
  EXPECT_EQ(via_master.c_lflag, raw.c_lflag);
  // TCGETS2 (raw ioctl) agrees.
  struct {
    struct termios t;
    speed_t ispeed, ospeed;
  } t2;
  constexpr unsigned long kTcgets2 = 0x802C542A;
  ASSERT_THAT(ioctl(p.replica.get(), kTcgets2, &t2), SyscallSucceeds());
  EXPECT_EQ(t2.t.c_lflag, raw.c_lflag);
  // Baud rates are stored.
  ASSERT_THAT(tcsetattr(p.replica.get(), TCSANOW, &t), SyscallSucceeds());
  EXPECT_THAT(tcdrain(p.replica.get()), SyscallSucceeds());
  EXPECT_THAT(tcflow(p.replica.get(), TCOON), SyscallSucceeds());
}

TEST(TtyTest, WindowSize) {
  Pty p = OpenPty();
  struct winsize ws = {};
  ASSERT_THAT(ioctl(p.replica.get(), TIOCGWINSZ, &ws), SyscallSucceeds());
  EXPECT_EQ(ws.ws_row, 0);
  struct winsize set = {24, 80, 640, 480};
  ASSERT_THAT(ioctl(p.master.get(), TIOCSWINSZ, &set), SyscallSucceeds());
  ASSERT_THAT(ioctl(p.replica.get(), TIOCGWINSZ, &ws), SyscallSucceeds());
  EXPECT_EQ(ws.ws_row, 24);
  EXPECT_EQ(ws.ws_col, 80);
  EXPECT_EQ(ws.ws_xpixel, 640);
  EXPECT_EQ(ws.ws_ypixel, 480);
  EXPECT_THAT(ioctl(p.replica.get(), TIOCGWINSZ, nullptr),
              SyscallFailsWithErrno(EFAULT));
}

TEST(TtyTest, SigwinchToForegroundGroup) {
  Pty p = OpenPty();
  Gate ready;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    sigset_t s = Block(SIGWINCH);
    Fd ctty;
    setsid();
    ctty = Fd(open(p.name.c_str(), O_RDWR));
    if (!ctty.valid() || tcgetpgrp(ctty.get()) != getpid()) _exit(2);
    ready.Open();
    _exit(WaitSignal(s) == SIGWINCH ? 0 : 3);
  }
  ASSERT_TRUE(ready.Wait());
  struct winsize set = {30, 100, 0, 0};
  ASSERT_THAT(ioctl(p.master.get(), TIOCSWINSZ, &set), SyscallSucceeds());
  int status = WaitPid(child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeStatus(status);
}

TEST(TtyTest, FionreadAndFlush) {
  Pty p = OpenPty();
  // Linux hands input to the line discipline asynchronously; its echo on
  // the master says it was processed.
  WriteStr(p.master.get(), "abc");
  ReadUntil(p.master.get(), "abc");
  int n = -1;
  // Canonical mode: only complete lines count.
  ASSERT_THAT(ioctl(p.replica.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 0);
  WriteStr(p.master.get(), "\n");
  ReadUntil(p.master.get(), "\n");
  ASSERT_THAT(ioctl(p.replica.get(), TIOCINQ, &n), SyscallSucceeds());
  EXPECT_EQ(n, 4);
  ASSERT_THAT(ioctl(p.replica.get(), TIOCOUTQ, &n), SyscallSucceeds());
  EXPECT_EQ(n, 0);
  ASSERT_THAT(tcflush(p.replica.get(), TCIFLUSH), SyscallSucceeds());
  ASSERT_THAT(ioctl(p.replica.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 0);
  EXPECT_THAT(ioctl(p.replica.get(), TCFLSH, 7), SyscallFailsWithErrno(EINVAL));
}

TEST(TtyTest, ExclusiveMode) {
  Pty p = OpenPty();
  ASSERT_THAT(ioctl(p.replica.get(), TIOCEXCL), SyscallSucceeds());
  // Root (CAP_SYS_ADMIN) may still open it.
  if (HaveCapability(CAP_SYS_ADMIN)) {
    Fd again(open(p.name.c_str(), O_RDWR | O_NOCTTY));
    EXPECT_TRUE(again.valid()) << strerror(errno);
  }
  ASSERT_THAT(ioctl(p.replica.get(), TIOCNXCL), SyscallSucceeds());
  Fd again(open(p.name.c_str(), O_RDWR | O_NOCTTY));
  EXPECT_TRUE(again.valid()) << strerror(errno);
}

TEST(TtyTest, PacketMode) {
  Pty p = OpenPty();
  int on = 1;
  ASSERT_THAT(ioctl(p.master.get(), TIOCPKT, &on), SyscallSucceeds());
  WriteStr(p.replica.get(), "x");
  char buf[8];
  ASSERT_THAT(read(p.master.get(), buf, sizeof(buf)),
              SyscallSucceedsWithValue(2));
  EXPECT_EQ(buf[0], TIOCPKT_DATA);
  EXPECT_EQ(buf[1], 'x');
  int got = 0;
  ASSERT_THAT(ioctl(p.master.get(), TIOCGPKT, &got), SyscallSucceeds());
  EXPECT_EQ(got, 1);
}

TEST(TtyTest, Tiocsti) {
  if (!HaveCapability(CAP_SYS_ADMIN)) GTEST_SKIP() << "needs CAP_SYS_ADMIN";
  Pty p = OpenPty();
  for (char c : std::string("q\n")) {
    ASSERT_THAT(ioctl(p.replica.get(), TIOCSTI, &c), SyscallSucceeds());
  }
  char buf[8];
  ASSERT_THAT(read(p.replica.get(), buf, sizeof(buf)),
              SyscallSucceedsWithValue(2));
  EXPECT_EQ(std::string(buf, 2), "q\n");
}

TEST(TtyTest, Tiocgptpeer) {
  Pty p = OpenPty(-1);
  int fd = ioctl(p.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY);
  ASSERT_THAT(fd, SyscallSucceeds());
  Fd peer(fd);
  EXPECT_TRUE(isatty(peer.get()));
  WriteStr(peer.get(), "peer");
  EXPECT_EQ(ReadUntil(p.master.get(), "peer"), "peer");
  // Not on a replica (Linux: EIO, the driver is not ptmx).
  EXPECT_THAT(ioctl(peer.get(), TIOCGPTPEER, O_RDWR),
              SyscallFailsWithErrno(EIO));
}

// --- line discipline
// -----------------------------------------------------------

TEST(TtyTest, CanonicalRead) {
  Pty p = OpenPty();
  WriteStr(p.master.get(), "abc");
  fcntl(p.replica.get(), F_SETFL, O_NONBLOCK);
  char buf[16];
  EXPECT_THAT(read(p.replica.get(), buf, sizeof(buf)),
              SyscallFailsWithErrno(EAGAIN));
  fcntl(p.replica.get(), F_SETFL, 0);
  WriteStr(p.master.get(),
           "\x7f"
           "d\nnext\n");  // erase 'c', then "abd\n"
  ASSERT_THAT(read(p.replica.get(), buf, sizeof(buf)),
              SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "abd\n");
  // One line per read.
  ASSERT_THAT(read(p.replica.get(), buf, sizeof(buf)),
              SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(buf, 5), "next\n");
  // ^D on an empty line: read returns 0.
  WriteStr(p.master.get(), "\x04");
  EXPECT_THAT(read(p.replica.get(), buf, sizeof(buf)),
              SyscallSucceedsWithValue(0));
}

TEST(TtyTest, RawRead) {
  Pty p = OpenPty();
  struct termios t;
  ASSERT_THAT(tcgetattr(p.replica.get(), &t), SyscallSucceeds());
  cfmakeraw(&t);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  ASSERT_THAT(tcsetattr(p.replica.get(), TCSANOW, &t), SyscallSucceeds());
  WriteStr(p.master.get(), "xy\r\x03");
  std::string got;
  while (got.size() < 4) {
    char buf[16];
    ssize_t n = read(p.replica.get(), buf, sizeof(buf));
    ASSERT_GT(n, 0) << strerror(errno);
    got.append(buf, n);
  }
  // No CR translation, ^C is data, nothing is echoed.
  EXPECT_EQ(got, "xy\r\x03");
  EXPECT_EQ(ReadAvailable(p.master.get()), "");
  // Raw output: no \n -> \r\n.
  WriteStr(p.replica.get(), "a\n");
  EXPECT_EQ(ReadUntil(p.master.get(), "\n"), "a\n");
}

TEST(TtyTest, Echo) {
  Pty p = OpenPty();
  WriteStr(p.master.get(), "hi\n");
  EXPECT_EQ(ReadUntil(p.master.get(), "\n"), "hi\r\n");
  // Control characters echo as ^X (ECHOCTL).
  WriteStr(p.master.get(), "\x01\n");
  EXPECT_EQ(ReadUntil(p.master.get(), "\n"), "^A\r\n");
  struct termios t;
  ASSERT_THAT(tcgetattr(p.replica.get(), &t), SyscallSucceeds());
  t.c_lflag &= ~ECHO;
  ASSERT_THAT(tcsetattr(p.replica.get(), TCSANOW, &t), SyscallSucceeds());
  WriteStr(p.master.get(), "secret\n");
  char buf[16];
  ASSERT_THAT(read(p.replica.get(), buf, sizeof(buf)), SyscallSucceeds());
  ASSERT_THAT(read(p.replica.get(), buf, sizeof(buf)), SyscallSucceeds());
  ASSERT_THAT(read(p.replica.get(), buf, sizeof(buf)),
              SyscallSucceedsWithValue(7));
  EXPECT_EQ(ReadAvailable(p.master.get()), "");
}

// ^C, ^\ and ^Z signal the foreground process group.
TEST(TtyTest, IsigCharactersSignalForegroundGroup) {
  Pty p = OpenPty();
  Gate ready;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    sigset_t s;
    sigemptyset(&s);
    for (int sig : {SIGINT, SIGQUIT, SIGTSTP}) sigaddset(&s, sig);
    sigprocmask(SIG_BLOCK, &s, nullptr);
    setsid();
    Fd ctty(open(p.name.c_str(), O_RDWR));
    if (!ctty.valid()) _exit(2);
    ready.Open();
    if (WaitSignal(s) != SIGINT) _exit(3);
    if (WaitSignal(s) != SIGQUIT) _exit(4);
    if (WaitSignal(s) != SIGTSTP) _exit(5);
    _exit(0);
  }
  ASSERT_TRUE(ready.Wait());
  WriteStr(p.master.get(), "\x03");
  WriteStr(p.master.get(), "\x1c");
  WriteStr(p.master.get(), "\x1a");
  int status = WaitPid(child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeStatus(status);
  // Echoed as ^X (each flushes the output before it: look for the last).
  EXPECT_NE(ReadUntil(p.master.get(), "^Z").find("^Z"), std::string::npos);
}

// Default action of ^C: the foreground process dies of SIGINT.
TEST(TtyTest, CtrlCKillsForegroundProcess) {
  Pty p = OpenPty();
  Gate ready;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGINT, SIG_DFL);
    setsid();
    Fd ctty(open(p.name.c_str(), O_RDWR));
    if (!ctty.valid()) _exit(2);
    ready.Open();
    char c;
    (void)!read(ctty.get(), &c, 1);  // until killed
    _exit(3);
  }
  ASSERT_TRUE(ready.Wait());
  WriteStr(p.master.get(), "\x03");
  int status = WaitPid(child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT)
      << DescribeStatus(status);
}

// --- controlling terminal
// ------------------------------------------------------

TEST(TtyTest, OpenAcquiresControllingTerminal) {
  Pty p = OpenPty(-1);
  EXPECT_CHILD_SUCCEEDS([&] {
    Fd ctty;
    BecomeLeaderWithCtty(p, &ctty);
    pid_t sid = -1;
    ASSERT_THAT(ioctl(ctty.get(), TIOCGSID, &sid), SyscallSucceeds());
    EXPECT_EQ(sid, getpid());
    // The master reports the same session and group.
    pid_t pg = -1;
    ASSERT_THAT(ioctl(p.master.get(), TIOCGPGRP, &pg), SyscallSucceeds());
    EXPECT_EQ(pg, getpid());
    Fd tty(open("/dev/tty", O_RDWR));
    ASSERT_TRUE(tty.valid()) << strerror(errno);
    WriteStr(tty.get(), "via dev tty\n");
    EXPECT_EQ(ReadUntil(p.master.get(), "\n"), "via dev tty\r\n");
    // Already has one: TIOCSCTTY on it again is a no-op.
    EXPECT_THAT(ioctl(ctty.get(), TIOCSCTTY, 0), SyscallSucceeds());
  });
}

TEST(TtyTest, NoCttyThenTiocsctty) {
  Pty p = OpenPty(-1);
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_THAT(setsid(), SyscallSucceeds());
    Fd r(open(p.name.c_str(), O_RDWR | O_NOCTTY));
    ASSERT_TRUE(r.valid());
    EXPECT_THAT(tcgetpgrp(r.get()), SyscallFailsWithErrno(ENOTTY));
    EXPECT_THAT(open("/dev/tty", O_RDWR), SyscallFailsWithErrno(ENXIO));
    pid_t sid;
    EXPECT_THAT(ioctl(r.get(), TIOCGSID, &sid), SyscallFailsWithErrno(ENOTTY));
    ASSERT_THAT(ioctl(r.get(), TIOCSCTTY, 0), SyscallSucceeds());
    EXPECT_EQ(tcgetpgrp(r.get()), getpid());
    Fd tty(open("/dev/tty", O_RDWR));
    EXPECT_TRUE(tty.valid()) << strerror(errno);
  });
}

TEST(TtyTest, TiocscttyRequiresSessionLeader) {
  Pty p = OpenPty();
  EXPECT_CHILD_SUCCEEDS([&] {
    // A fresh session, then a child that is not its leader.
    ASSERT_THAT(setsid(), SyscallSucceeds());
    EXPECT_CHILD_SUCCEEDS([&] {
      EXPECT_THAT(ioctl(p.replica.get(), TIOCSCTTY, 0),
                  SyscallFailsWithErrno(EPERM));
    });
  });
}

TEST(TtyTest, SetsidDropsControllingTerminal) {
  Pty p = OpenPty(-1);
  EXPECT_CHILD_SUCCEEDS([&] {
    Fd ctty;
    BecomeLeaderWithCtty(p, &ctty);
    EXPECT_CHILD_SUCCEEDS([&] {
      // Inherited by a child...
      Fd tty(open("/dev/tty", O_RDWR));
      EXPECT_TRUE(tty.valid()) << strerror(errno);
      // ...until it starts a session.
      ASSERT_THAT(setsid(), SyscallSucceeds());
      EXPECT_THAT(open("/dev/tty", O_RDWR), SyscallFailsWithErrno(ENXIO));
      EXPECT_THAT(tcgetpgrp(ctty.get()), SyscallFailsWithErrno(ENOTTY));
    });
    // The leader keeps it.
    Fd tty(open("/dev/tty", O_RDWR));
    EXPECT_TRUE(tty.valid()) << strerror(errno);
  });
}

TEST(TtyTest, ForegroundProcessGroup) {
  Pty p = OpenPty(-1);
  EXPECT_CHILD_SUCCEEDS([&] {
    Fd ctty;
    BecomeLeaderWithCtty(p, &ctty);
    Gate ready, done;
    pid_t g = fork();
    ASSERT_GE(g, 0);
    if (g == 0) {
      setpgid(0, 0);
      ready.Open();
      done.Wait();
      _exit(0);
    }
    ASSERT_TRUE(ready.Wait());
    ASSERT_THAT(tcsetpgrp(ctty.get(), g), SyscallSucceeds());
    EXPECT_EQ(tcgetpgrp(ctty.get()), g);
    pid_t pg = -1;
    ASSERT_THAT(ioctl(p.master.get(), TIOCGPGRP, &pg), SyscallSucceeds());
    EXPECT_EQ(pg, g);
    // The leader is now in the background: tcsetpgrp needs SIGTTOU blocked
    // or ignored (what shells do).
    signal(SIGTTOU, SIG_IGN);
    ASSERT_THAT(tcsetpgrp(ctty.get(), getpid()), SyscallSucceeds());
    EXPECT_EQ(tcgetpgrp(ctty.get()), getpid());
    EXPECT_THAT(tcsetpgrp(ctty.get(), 999999), SyscallFailsWithErrno(ESRCH));
    EXPECT_THAT(tcsetpgrp(ctty.get(), -1), SyscallFailsWithErrno(EINVAL));
    done.Open();
    EXPECT_EQ(WaitPid(g), 0);
  });
}

TEST(TtyTest, TcsetpgrpOtherSessionFails) {
  Pty p = OpenPty(-1);
  EXPECT_CHILD_SUCCEEDS([&] {
    Fd ctty;
    BecomeLeaderWithCtty(p, &ctty);
    Gate ready, done;
    pid_t g = fork();
    ASSERT_GE(g, 0);
    if (g == 0) {
      setsid();  // another session
      ready.Open();
      done.Wait();
      _exit(0);
    }
    ASSERT_TRUE(ready.Wait());
    EXPECT_THAT(tcsetpgrp(ctty.get(), g), SyscallFailsWithErrno(EPERM));
    done.Open();
    EXPECT_EQ(WaitPid(g), 0);
  });
}

TEST(TtyTest, TiocnottyByLeaderHangsUpForeground) {
  Pty p = OpenPty(-1);
  EXPECT_CHILD_SUCCEEDS([&] {
    Fd ctty;
    BecomeLeaderWithCtty(p, &ctty);
    sigset_t s = Block(SIGHUP);
    ASSERT_THAT(ioctl(ctty.get(), TIOCNOTTY), SyscallSucceeds());
    // The leader's group was the foreground group: SIGHUP (and SIGCONT).
    EXPECT_EQ(WaitSignal(s), SIGHUP);
    EXPECT_THAT(open("/dev/tty", O_RDWR), SyscallFailsWithErrno(ENXIO));
    EXPECT_THAT(ioctl(ctty.get(), TIOCNOTTY), SyscallFailsWithErrno(ENOTTY));
  });
}

TEST(TtyTest, TiocnottyByNonLeaderDetachesOnlyItself) {
  Pty p = OpenPty(-1);
  EXPECT_CHILD_SUCCEEDS([&] {
    Fd ctty;
    BecomeLeaderWithCtty(p, &ctty);
    sigset_t s = Block(SIGHUP);
    EXPECT_CHILD_SUCCEEDS([&] {
      ASSERT_THAT(ioctl(ctty.get(), TIOCNOTTY), SyscallSucceeds());
      EXPECT_THAT(open("/dev/tty", O_RDWR), SyscallFailsWithErrno(ENXIO));
    });
    // The leader keeps it and got no SIGHUP.
    Fd tty(open("/dev/tty", O_RDWR));
    EXPECT_TRUE(tty.valid()) << strerror(errno);
    sigset_t pending;
    sigpending(&pending);
    EXPECT_FALSE(sigismember(&pending, SIGHUP));
    (void)s;
  });
}

TEST(TtyTest, TiocscttyStealsWithCapability) {
  if (!HaveCapability(CAP_SYS_ADMIN)) GTEST_SKIP() << "needs CAP_SYS_ADMIN";
  Pty p = OpenPty();
  Gate ready, stolen, result;
  pid_t owner = fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    setsid();
    Fd ctty(open(p.name.c_str(), O_RDWR));
    if (!ctty.valid()) _exit(2);
    ready.Open();
    stolen.Wait();
    // The thief's TIOCSCTTY took it from this session.
    char r = (open("/dev/tty", O_RDWR) == -1 && errno == ENXIO) ? 'L' : 'x';
    (void)!write(result.w.get(), &r, 1);
    _exit(0);
  }
  ASSERT_TRUE(ready.Wait());
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_THAT(setsid(), SyscallSucceeds());
    // Owned by another session: EPERM unless forced with arg 1.
    EXPECT_THAT(ioctl(p.replica.get(), TIOCSCTTY, 0),
                SyscallFailsWithErrno(EPERM));
    ASSERT_THAT(ioctl(p.replica.get(), TIOCSCTTY, 1), SyscallSucceeds());
    EXPECT_EQ(tcgetpgrp(p.replica.get()), getpid());
  });
  stolen.Open();
  char r = 0;
  ASSERT_EQ(read(result.r.get(), &r, 1), 1);
  EXPECT_EQ(r, 'L');
  EXPECT_EQ(WaitPid(owner), 0);
}

TEST(TtyTest, HangupOnMasterClose) {
  Pty p = OpenPty(-1);
  Gate ready, closed;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    sigset_t s = Block(SIGHUP);
    p.master.reset();
    setsid();
    Fd ctty(open(p.name.c_str(), O_RDWR));
    if (!ctty.valid()) _exit(2);
    ready.Open();
    if (WaitSignal(s) != SIGHUP) _exit(3);
    closed.Wait();
    char c;
    if (read(ctty.get(), &c, 1) != 0) _exit(4);  // EOF after hangup
    if (write(ctty.get(), "x", 1) != -1 || errno != EIO) _exit(5);
    if (open("/dev/tty", O_RDWR) != -1 || errno != ENXIO) _exit(6);
    _exit(0);
  }
  ASSERT_TRUE(ready.Wait());
  p.master.reset();
  closed.Open();
  int status = WaitPid(child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeStatus(status);
}

// The session leader's exit sends SIGHUP to the foreground group.
TEST(TtyTest, SessionLeaderExitHangsUpForeground) {
  Pty p = OpenPty(-1);
  Gate ready, result;
  pid_t leader = fork();
  ASSERT_GE(leader, 0);
  if (leader == 0) {
    setsid();
    Fd ctty(open(p.name.c_str(), O_RDWR));
    if (!ctty.valid()) _exit(2);
    pid_t g = fork();
    if (g == 0) {
      // Same (foreground) process group as the leader.
      sigset_t s = Block(SIGHUP);
      ready.Open();
      char r = WaitSignal(s) == SIGHUP ? 'H' : 'x';
      (void)!write(result.w.get(), &r, 1);
      _exit(0);
    }
    ready.Wait();
    _exit(0);  // the leader exits; g must get SIGHUP
  }
  int status = WaitPid(leader);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeStatus(status);
  result.w.reset();
  char r = 0;
  ASSERT_EQ(read(result.r.get(), &r, 1), 1);
  EXPECT_EQ(r, 'H');
}

// --- job control
// -----------------------------------------------------------------

volatile sig_atomic_t got_signal = 0;
void RecordSignal(int sig) { got_signal = sig; }

// Runs `fn` in a background process group of a session whose controlling
// terminal is `p` (the leader stays in the foreground group); returns the
// child's exit status.
int InBackground(const Pty& p, const std::function<int(int ctty)>& fn) {
  // The leader stays until every process holding `hold` has exited: its exit
  // would take the terminal from the session.
  Gate hold;
  pid_t leader = fork();
  if (leader < 0) return -1;
  if (leader == 0) {
    setsid();
    Fd ctty(open(p.name.c_str(), O_RDWR));
    if (!ctty.valid()) _exit(100);
    pid_t g = fork();
    if (g == 0) {
      hold.r.reset();
      setpgid(0, 0);
      _exit(fn(ctty.get()));
    }
    hold.w.reset();
    int st = WaitPid(g);
    char c;
    while (read(hold.r.get(), &c, 1) > 0 || errno == EINTR) {
    }
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 101);
  }
  hold.w.reset();
  int st = WaitPid(leader);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 102;
}

TEST(TtyTest, BackgroundReadGetsSigttin) {
  Pty p = OpenPty(-1);
  int code = InBackground(p, [](int ctty) {
    struct sigaction sa = {};
    sa.sa_handler = RecordSignal;  // no SA_RESTART: the read fails
    sigaction(SIGTTIN, &sa, nullptr);
    char c;
    if (read(ctty, &c, 1) != -1 || errno != EINTR) return 1;
    return got_signal == SIGTTIN ? 0 : 2;
  });
  EXPECT_EQ(code, 0);
}

TEST(TtyTest, BackgroundReadWithSigttinIgnoredFailsWithEio) {
  Pty p = OpenPty(-1);
  int code = InBackground(p, [](int ctty) {
    signal(SIGTTIN, SIG_IGN);
    char c;
    if (read(ctty, &c, 1) != -1) return 1;
    return errno == EIO ? 0 : 2;
  });
  EXPECT_EQ(code, 0);
}

TEST(TtyTest, BackgroundWriteAndTostop) {
  Pty p = OpenPty(-1);
  int code = InBackground(p, [](int ctty) {
    // Without TOSTOP a background write goes through.
    if (write(ctty, "bg", 2) != 2) return 1;
    struct termios t;
    signal(SIGTTOU, SIG_IGN);  // to change the settings from the background
    if (tcgetattr(ctty, &t) != 0) return 2;
    t.c_lflag |= TOSTOP;
    if (tcsetattr(ctty, TCSANOW, &t) != 0) return 3;
    // SIGTTOU ignored: the write still goes through.
    if (write(ctty, "bg", 2) != 2) return 4;
    struct sigaction sa = {};
    sa.sa_handler = RecordSignal;
    sigaction(SIGTTOU, &sa, nullptr);
    if (write(ctty, "bg", 2) != -1 || errno != EINTR) return 5;
    return got_signal == SIGTTOU ? 0 : 6;
  });
  EXPECT_EQ(code, 0);
}

TEST(TtyTest, BackgroundTcsetattrGetsSigttou) {
  Pty p = OpenPty(-1);
  int code = InBackground(p, [](int ctty) {
    struct sigaction sa = {};
    sa.sa_handler = RecordSignal;
    sigaction(SIGTTOU, &sa, nullptr);
    struct termios t;
    if (tcgetattr(ctty, &t) != 0) return 1;  // reading settings is fine
    if (tcsetattr(ctty, TCSANOW, &t) != -1 || errno != EINTR) return 2;
    return got_signal == SIGTTOU ? 0 : 3;
  });
  EXPECT_EQ(code, 0);
}

// Default SIGTTIN stops the background reader; once continued in the
// foreground its read restarts (ERESTARTSYS) and gets the input.
TEST(TtyTest, BackgroundReaderStopsThenReadsInForeground) {
  Pty p = OpenPty(-1);
  EXPECT_CHILD_SUCCEEDS([&] {
    Fd ctty;
    BecomeLeaderWithCtty(p, &ctty);
    pid_t reader = fork();
    ASSERT_GE(reader, 0);
    if (reader == 0) {
      setpgid(0, 0);
      char buf[16];
      ssize_t n = read(ctty.get(), buf, sizeof(buf));
      _exit(n == 3 && std::string(buf, 3) == "ok\n" ? 0 : 1);
    }
    setpgid(reader, reader);  // whoever runs first
    int status = 0;
    ASSERT_EQ(waitpid(reader, &status, WUNTRACED), reader);
    ASSERT_TRUE(WIFSTOPPED(status)) << DescribeStatus(status);
    EXPECT_EQ(WSTOPSIG(status), SIGTTIN);
    // What a shell's `fg` does.
    signal(SIGTTOU, SIG_IGN);
    ASSERT_THAT(tcsetpgrp(ctty.get(), reader), SyscallSucceeds());
    ASSERT_THAT(kill(-reader, SIGCONT), SyscallSucceeds());
    WriteStr(p.master.get(), "ok\n");
    EXPECT_EQ(WaitPid(reader), 0);
  });
}

// A process group whose members have no parent in another group of the
// session is orphaned: its reads fail with EIO instead of stopping.
TEST(TtyTest, OrphanedBackgroundReadFailsWithEio) {
  Pty p = OpenPty(-1);
  Gate result;
  int code = InBackground(p, [&](int ctty) {
    // This process (group leader of a background group) forks the reader
    // and exits: the reader's parent becomes a process outside the session.
    pid_t parent = getpid();
    pid_t reader = fork();
    if (reader == 0) {
      while (getppid() == parent) usleep(1000);
      char c;
      char r = (read(ctty, &c, 1) == -1 && errno == EIO) ? 'E' : 'x';
      (void)!write(result.w.get(), &r, 1);
      _exit(0);
    }
    return 0;
  });
  EXPECT_EQ(code, 0);
  result.w.reset();
  char r = 0;
  ASSERT_EQ(read(result.r.get(), &r, 1), 1);
  EXPECT_EQ(r, 'E');
}

// --- a real program
// -----------------------------------------------------------

// Waits until process `pid` runs `comm` (has exec'd it). The shell hands
// the terminal to a job's group right after fork; a ^Z or ^C that arrives
// before the child has exec'd (its handlers still the interactive shell's
// SIG_IGN) is ignored, and the test would wait forever.
void WaitUntilRunning(pid_t pid, const std::string& comm) {
  const std::string path = "/proc/" + std::to_string(pid) + "/comm";
  for (int i = 0; i < 10000; ++i) {
    std::ifstream in(path);
    std::string name;
    if (std::getline(in, name) && name == comm) return;
    usleep(1000);
  }
  ADD_FAILURE() << "process " << pid << " never ran " << comm;
}

TEST(TtyTest, InteractiveShell) {
  if (access("/bin/sh", X_OK) != 0) GTEST_SKIP() << "no /bin/sh";
  Pty p = OpenPty(-1);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    p.master.reset();
    setsid();
    Fd ctty(open(p.name.c_str(), O_RDWR));
    if (!ctty.valid()) _exit(100);
    for (int fd = 0; fd < 3; ++fd) dup2(ctty.get(), fd);
    ctty.reset();
    char ps1[] = "PS1=READY> ";
    char* envp[] = {ps1, nullptr};
    char sh[] = "/bin/sh", i[] = "-i";
    char* argv[] = {sh, i, nullptr};
    execve(sh, argv, envp);
    _exit(101);
  }
  // One transcript, consumed in order (a read may return several steps).
  std::string all;
  size_t pos = 0;
  auto expect = [&](const std::string& want) {
    char buf[256];
    for (;;) {
      size_t at = all.find(want, pos);
      if (at != std::string::npos) {
        pos = at + want.size();
        return true;
      }
      ssize_t n = read(p.master.get(), buf, sizeof(buf));
      if (n <= 0) return false;
      all.append(buf, n);
    }
  };
  ASSERT_TRUE(expect("READY> ")) << all;
  // The quotes keep the echo of the command from matching.
  WriteStr(p.master.get(), "echo hel''lo $((6*7))\n");
  EXPECT_TRUE(expect("hello 42")) << all;
  EXPECT_TRUE(expect("READY> ")) << all;
  // Job control: the shell runs `sleep` in a foreground group of its own;
  // ^C kills it, not the shell.
  WriteStr(p.master.get(), "sleep 100\n");
  pid_t fg = child;
  while (fg == child) {  // until the shell has handed the terminal over
    ASSERT_THAT(ioctl(p.master.get(), TIOCGPGRP, &fg), SyscallSucceeds());
    if (fg == child) usleep(1000);
  }
  WaitUntilRunning(fg, "sleep");
  WriteStr(p.master.get(), "\x03");
  EXPECT_TRUE(expect("READY> ")) << all;
  WriteStr(p.master.get(), "echo status=$?\n");
  EXPECT_TRUE(expect("status=130")) << all;
  EXPECT_TRUE(expect("READY> ")) << all;
  WriteStr(p.master.get(), "exit 7\n");
  int status = WaitPid(child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7)
      << DescribeStatus(status);
  // Every replica is closed: the master reads EIO.
  std::string rest = ReadAvailable(p.master.get());
  char c;
  EXPECT_THAT(read(p.master.get(), &c, 1), SyscallFailsWithErrno(EIO));
}

// ^Z stops the foreground job (SIGTSTP, WUNTRACED in the shell); `fg`
// continues it (SIGCONT) in the foreground again.
TEST(TtyTest, InteractiveShellSuspendAndResume) {
  if (access("/bin/sh", X_OK) != 0) GTEST_SKIP() << "no /bin/sh";
  Pty p = OpenPty(-1);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    p.master.reset();
    setsid();
    Fd ctty(open(p.name.c_str(), O_RDWR));
    if (!ctty.valid()) _exit(100);
    for (int fd = 0; fd < 3; ++fd) dup2(ctty.get(), fd);
    ctty.reset();
    char ps1[] = "PS1=READY> ";
    char* envp[] = {ps1, nullptr};
    char sh[] = "/bin/sh", i[] = "-i";
    char* argv[] = {sh, i, nullptr};
    execve(sh, argv, envp);
    _exit(101);
  }
  std::string all;
  size_t pos = 0;
  auto expect = [&](const std::string& want) {
    char buf[256];
    for (;;) {
      size_t at = all.find(want, pos);
      if (at != std::string::npos) {
        pos = at + want.size();
        return true;
      }
      ssize_t n = read(p.master.get(), buf, sizeof(buf));
      if (n <= 0) return false;
      all.append(buf, n);
    }
  };
  auto wait_job_in_foreground = [&] {
    pid_t fg = child;
    while (fg == child) {
      ASSERT_THAT(ioctl(p.master.get(), TIOCGPGRP, &fg), SyscallSucceeds());
      if (fg == child) usleep(1000);
    }
    WaitUntilRunning(fg, "sleep");
  };
  ASSERT_TRUE(expect("READY> ")) << all;
  WriteStr(p.master.get(), "sleep 100\n");
  wait_job_in_foreground();
  WriteStr(p.master.get(), "\x1a");  // ^Z
  ASSERT_TRUE(expect("READY> ")) << all;
  WriteStr(p.master.get(), "jobs\n");
  EXPECT_TRUE(expect("Stopped")) << all;
  ASSERT_TRUE(expect("READY> ")) << all;
  WriteStr(p.master.get(), "fg\n");
  wait_job_in_foreground();
  WriteStr(p.master.get(), "\x03");  // ^C
  ASSERT_TRUE(expect("READY> ")) << all;
  WriteStr(p.master.get(), "echo status=$?\n");
  EXPECT_TRUE(expect("status=130")) << all;
  WriteStr(p.master.get(), "exit 3\n");
  int status = WaitPid(child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3)
      << DescribeStatus(status);
}

}  // namespace
}  // namespace syscall_test
