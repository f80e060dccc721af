// dup, dup2, dup3, fcntl: descriptor flags, status flags, record locks
// (process-associated and OFD) between processes, F_SETLKW.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

class DupTest : public TempDirTest {
 protected:
  Fd OpenFile(int flags = O_RDWR) {
    return Fd(open(Path("f").c_str(), flags | O_CREAT, 0644));
  }
};

TEST_F(DupTest, DupSharesOffsetAndStatusFlags) {
  Fd a = OpenFile();
  ASSERT_TRUE(a.valid());
  Fd b(dup(a.get()));
  ASSERT_TRUE(b.valid());
  EXPECT_NE(a.get(), b.get());
  ASSERT_THAT(write(a.get(), "abc", 3), SyscallSucceeds());
  EXPECT_THAT(lseek(b.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(3));
  ASSERT_THAT(fcntl(a.get(), F_SETFL, O_NONBLOCK), SyscallSucceeds());
  EXPECT_TRUE(fcntl(b.get(), F_GETFL) & O_NONBLOCK);
  EXPECT_THAT(dup(-1), SyscallFailsWithErrno(EBADF));
}

TEST_F(DupTest, DupPicksLowestFree) {
  Fd a = OpenFile();
  Fd b(dup(a.get()));
  int low = b.get();
  b.reset();
  Fd c(dup(a.get()));
  EXPECT_EQ(c.get(), low);
}

TEST_F(DupTest, Dup2) {
  Fd a = OpenFile();
  Fd b = OpenFile(O_RDONLY);
  int target = b.get();
  EXPECT_THAT(dup2(a.get(), target), SyscallSucceedsWithValue(target));
  // target now refers to a's file (read-write).
  EXPECT_THAT(write(target, "x", 1), SyscallSucceedsWithValue(1));
  // Same fd: a no-op that returns it.
  EXPECT_THAT(dup2(a.get(), a.get()), SyscallSucceedsWithValue(a.get()));
  EXPECT_THAT(dup2(-1, target), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(dup2(a.get(), -1), SyscallFailsWithErrno(EBADF));
  // The copy does not inherit FD_CLOEXEC.
  ASSERT_THAT(fcntl(a.get(), F_SETFD, FD_CLOEXEC), SyscallSucceeds());
  EXPECT_THAT(dup2(a.get(), target), SyscallSucceeds());
  EXPECT_EQ(fcntl(target, F_GETFD), 0);
}

TEST_F(DupTest, Dup3) {
  Fd a = OpenFile();
  Fd b = OpenFile();
  EXPECT_THAT(dup3(a.get(), b.get(), O_CLOEXEC),
              SyscallSucceedsWithValue(b.get()));
  EXPECT_EQ(fcntl(b.get(), F_GETFD), FD_CLOEXEC);
  EXPECT_THAT(dup3(a.get(), a.get(), 0), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(dup3(a.get(), b.get(), O_NONBLOCK),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(DupTest, DupBeyondRlimitIsEbadf) {
  EXPECT_CHILD_SUCCEEDS([&] {
    Fd a = OpenFile();
    struct rlimit rl = {64, 64};
    ASSERT_THAT(setrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
    EXPECT_THAT(dup2(a.get(), 64), SyscallFailsWithErrno(EBADF));
    EXPECT_THAT(fcntl(a.get(), F_DUPFD, 64), SyscallFailsWithErrno(EINVAL));
  });
}

TEST_F(DupTest, FcntlDupfd) {
  Fd a = OpenFile();
  Fd b(fcntl(a.get(), F_DUPFD, 50));
  ASSERT_TRUE(b.valid());
  EXPECT_GE(b.get(), 50);
  EXPECT_EQ(fcntl(b.get(), F_GETFD), 0);
  Fd c(fcntl(a.get(), F_DUPFD, 50));
  EXPECT_GT(c.get(), 50);
  Fd d(fcntl(a.get(), F_DUPFD_CLOEXEC, 0));
  ASSERT_TRUE(d.valid());
  EXPECT_EQ(fcntl(d.get(), F_GETFD), FD_CLOEXEC);
  EXPECT_THAT(fcntl(a.get(), F_DUPFD, -1), SyscallFailsWithErrno(EINVAL));
}

TEST_F(DupTest, FdFlags) {
  Fd a = OpenFile();
  EXPECT_EQ(fcntl(a.get(), F_GETFD), 0);
  ASSERT_THAT(fcntl(a.get(), F_SETFD, FD_CLOEXEC), SyscallSucceeds());
  EXPECT_EQ(fcntl(a.get(), F_GETFD), FD_CLOEXEC);
  // Descriptor flags are per descriptor, not shared by dup.
  Fd b(dup(a.get()));
  EXPECT_EQ(fcntl(b.get(), F_GETFD), 0);
  EXPECT_THAT(fcntl(-1, F_GETFD), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(fcntl(a.get(), 0x7fff), SyscallFailsWithErrno(EINVAL));
}

TEST_F(DupTest, StatusFlags) {
  Fd a = OpenFile(O_WRONLY);
  int fl = fcntl(a.get(), F_GETFL);
  ASSERT_THAT(fl, SyscallSucceeds());
  EXPECT_EQ(fl & O_ACCMODE, O_WRONLY);
  ASSERT_THAT(fcntl(a.get(), F_SETFL, fl | O_APPEND | O_NONBLOCK),
              SyscallSucceeds());
  fl = fcntl(a.get(), F_GETFL);
  EXPECT_TRUE(fl & O_APPEND);
  EXPECT_TRUE(fl & O_NONBLOCK);
  // The access mode cannot be changed by F_SETFL.
  ASSERT_THAT(fcntl(a.get(), F_SETFL, O_RDWR), SyscallSucceeds());
  fl = fcntl(a.get(), F_GETFL);
  EXPECT_EQ(fl & O_ACCMODE, O_WRONLY);
  EXPECT_FALSE(fl & O_APPEND);
  // O_APPEND set by fcntl takes effect.
  ASSERT_THAT(write(a.get(), "12345", 5), SyscallSucceeds());
  ASSERT_THAT(fcntl(a.get(), F_SETFL, O_APPEND), SyscallSucceeds());
  ASSERT_THAT(lseek(a.get(), 0, SEEK_SET), SyscallSucceeds());
  ASSERT_THAT(write(a.get(), "6", 1), SyscallSucceeds());
  EXPECT_EQ(ReadFile(Path("f")), "123456");
}

struct flock Lock(short type, off_t start, off_t len) {
  struct flock fl = {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = len;
  return fl;
}

// Runs `fn` in a child with its own descriptor for the test file.
void InOtherProcess(const std::string& path,
                    const std::function<void(int)>& fn) {
  EXPECT_CHILD_SUCCEEDS([&] {
    Fd fd(open(path.c_str(), O_RDWR));
    ASSERT_TRUE(fd.valid());
    fn(fd.get());
  });
}

TEST_F(DupTest, ProcessLocksConflictBetweenProcesses) {
  Fd a = OpenFile();
  struct flock fl = Lock(F_WRLCK, 0, 10);
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &fl), SyscallSucceeds());
  const pid_t me = getpid();
  InOtherProcess(Path("f"), [&](int fd) {
    struct flock w = Lock(F_WRLCK, 5, 10);
    EXPECT_THAT(fcntl(fd, F_SETLK, &w), SyscallFailsWithErrno(EAGAIN));
    struct flock q = Lock(F_RDLCK, 0, 1);
    ASSERT_THAT(fcntl(fd, F_GETLK, &q), SyscallSucceeds());
    EXPECT_EQ(q.l_type, F_WRLCK);
    EXPECT_EQ(q.l_pid, me);
    EXPECT_EQ(q.l_start, 0);
    EXPECT_EQ(q.l_len, 10);
    // A range that does not overlap is free.
    struct flock free_range = Lock(F_WRLCK, 10, 5);
    EXPECT_THAT(fcntl(fd, F_SETLK, &free_range), SyscallSucceeds());
  });
  // Our own locks never conflict with us; GETLK reports F_UNLCK.
  struct flock q = Lock(F_WRLCK, 0, 10);
  ASSERT_THAT(fcntl(a.get(), F_GETLK, &q), SyscallSucceeds());
  EXPECT_EQ(q.l_type, F_UNLCK);
  // Read locks are shared.
  struct flock rd = Lock(F_RDLCK, 0, 10);
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &rd), SyscallSucceeds());
  InOtherProcess(Path("f"), [](int fd) {
    struct flock r = Lock(F_RDLCK, 0, 10);
    EXPECT_THAT(fcntl(fd, F_SETLK, &r), SyscallSucceeds());
    struct flock w = Lock(F_WRLCK, 0, 1);
    EXPECT_THAT(fcntl(fd, F_SETLK, &w), SyscallFailsWithErrno(EAGAIN));
  });
}

TEST_F(DupTest, ProcessLockReleasedOnAnyClose) {
  Fd a = OpenFile();
  struct flock fl = Lock(F_WRLCK, 0, 0);  // Whole file.
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &fl), SyscallSucceeds());
  // Closing any descriptor of the file drops this process's locks.
  Fd other(open(Path("f").c_str(), O_RDONLY));
  other.reset();
  InOtherProcess(Path("f"), [](int fd) {
    struct flock w = Lock(F_WRLCK, 0, 0);
    EXPECT_THAT(fcntl(fd, F_SETLK, &w), SyscallSucceeds());
  });
}

TEST_F(DupTest, LockNeedsMatchingAccessMode) {
  Fd ro = OpenFile(O_RDONLY);
  struct flock w = Lock(F_WRLCK, 0, 1);
  EXPECT_THAT(fcntl(ro.get(), F_SETLK, &w), SyscallFailsWithErrno(EBADF));
  struct flock bad = Lock(42, 0, 1);
  EXPECT_THAT(fcntl(ro.get(), F_SETLK, &bad), SyscallFailsWithErrno(EINVAL));
}

TEST_F(DupTest, SetlkwBlocksUntilReleased) {
  Fd a = OpenFile();
  struct flock fl = Lock(F_WRLCK, 0, 1);
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &fl), SyscallSucceeds());
  int ready[2], done[2];
  ASSERT_THAT(pipe(ready), SyscallSucceeds());
  ASSERT_THAT(pipe(done), SyscallSucceeds());
  pid_t pid = fork();
  if (pid == 0) {
    Fd fd(open(Path("f").c_str(), O_RDWR));
    write(ready[1], "r", 1);
    struct flock w = Lock(F_WRLCK, 0, 1);
    int r = fcntl(fd.get(), F_SETLKW, &w);  // Blocks until the parent unlocks.
    write(done[1], "d", 1);
    _exit(r == 0 ? 0 : 1);
  }
  char c;
  ASSERT_THAT(read(ready[0], &c, 1), SyscallSucceeds());
  // Give the child a chance to get it wrong; whatever the timing, it cannot
  // have the lock while we hold it.
  usleep(20000);
  int n = 0;
  ASSERT_THAT(ioctl(done[0], FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 0);
  struct flock un = Lock(F_UNLCK, 0, 1);
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &un), SyscallSucceeds());
  ASSERT_THAT(read(done[0], &c, 1), SyscallSucceeds());
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (int fd : {ready[0], ready[1], done[0], done[1]}) close(fd);
}

TEST_F(DupTest, SetlkwDeadlockIsEdeadlk) {
  Fd a = OpenFile();
  struct flock fl = Lock(F_WRLCK, 0, 1);
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &fl), SyscallSucceeds());
  int ready[2];
  ASSERT_THAT(pipe(ready), SyscallSucceeds());
  pid_t pid = fork();
  if (pid == 0) {
    Fd fd(open(Path("f").c_str(), O_RDWR));
    struct flock mine = Lock(F_WRLCK, 1, 1);
    fcntl(fd.get(), F_SETLK, &mine);
    write(ready[1], "r", 1);
    struct flock w = Lock(F_WRLCK, 0, 1);
    fcntl(fd.get(), F_SETLKW, &w);  // Waits for the parent.
    _exit(0);
  }
  char c;
  ASSERT_THAT(read(ready[0], &c, 1), SyscallSucceeds());
  // Linux detects the cycle only once the child sleeps in F_SETLKW: wait for
  // its state to be 'S' in /proc/<pid>/stat (bounded; without /proc the
  // test may fail but cannot hang: the child then gets EDEADLK and exits).
  struct flock w = Lock(F_WRLCK, 1, 1);
  int r = -1;
  for (int i = 0; i < 2000; ++i) {
    std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    size_t rp = stat.rfind(')');
    if (rp != std::string::npos && stat.size() > rp + 2 &&
        stat[rp + 2] == 'S') {
      break;
    }
    usleep(1000);
  }
  r = fcntl(a.get(), F_SETLKW, &w);
  EXPECT_THAT(r, SyscallFailsWithErrno(EDEADLK));
  kill(pid, SIGKILL);
  WaitPid(pid);
  close(ready[0]);
  close(ready[1]);
}

TEST_F(DupTest, OfdLocks) {
  Fd a = OpenFile();
  Fd b(open(Path("f").c_str(), O_RDWR));
  struct flock fl = Lock(F_WRLCK, 0, 10);
  ASSERT_THAT(fcntl(a.get(), F_OFD_SETLK, &fl), SyscallSucceeds());
  // OFD locks belong to the open file description: a second open in the
  // same process conflicts.
  struct flock w = Lock(F_WRLCK, 0, 1);
  EXPECT_THAT(fcntl(b.get(), F_OFD_SETLK, &w), SyscallFailsWithErrno(EAGAIN));
  struct flock q = Lock(F_WRLCK, 0, 1);
  ASSERT_THAT(fcntl(b.get(), F_OFD_GETLK, &q), SyscallSucceeds());
  EXPECT_EQ(q.l_type, F_WRLCK);
  EXPECT_EQ(q.l_pid, -1);
  // A dup shares the description and the lock.
  Fd c(dup(a.get()));
  EXPECT_THAT(fcntl(c.get(), F_OFD_SETLK, &w), SyscallSucceeds());
  // Shared with a forked child through the inherited descriptor.
  EXPECT_CHILD_SUCCEEDS([&] {
    struct flock w2 = Lock(F_WRLCK, 0, 1);
    EXPECT_THAT(fcntl(a.get(), F_OFD_SETLK, &w2), SyscallSucceeds());
  });
  // l_pid must be 0 on input.
  struct flock badpid = Lock(F_RDLCK, 0, 1);
  badpid.l_pid = 1;
  EXPECT_THAT(fcntl(a.get(), F_OFD_SETLK, &badpid),
              SyscallFailsWithErrno(EINVAL));
  // Released when the last descriptor of the description closes.
  a.reset();
  c.reset();
  EXPECT_THAT(fcntl(b.get(), F_OFD_SETLK, &w), SyscallSucceeds());
}

// What another process sees of [start, start+len) when asking for a write
// lock: the type of the first conflicting lock, or F_UNLCK.
short OtherSees(const std::string& path, off_t start, off_t len) {
  int p[2];
  if (pipe(p) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(path.c_str(), O_RDWR);
    struct flock q = Lock(F_WRLCK, start, len);
    short t = fcntl(fd, F_GETLK, &q) == 0 ? q.l_type : -1;
    write(p[1], &t, sizeof(t));
    _exit(0);
  }
  short t = -1;
  read(p[0], &t, sizeof(t));
  WaitPid(pid);
  close(p[0]);
  close(p[1]);
  return t;
}

TEST_F(DupTest, ProcessLockSplitMergeAndConversion) {
  Fd a = OpenFile();
  const std::string f = Path("f");
  struct flock w = Lock(F_WRLCK, 0, 30);
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &w), SyscallSucceeds());
  // Unlocking the middle splits the lock in two.
  struct flock un = Lock(F_UNLCK, 10, 10);
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &un), SyscallSucceeds());
  EXPECT_EQ(OtherSees(f, 0, 10), F_WRLCK);
  EXPECT_EQ(OtherSees(f, 10, 10), F_UNLCK);
  EXPECT_EQ(OtherSees(f, 20, 10), F_WRLCK);
  // Converting the head to a read lock leaves the tail a write lock.
  struct flock rd = Lock(F_RDLCK, 0, 10);
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &rd), SyscallSucceeds());
  EXPECT_EQ(OtherSees(f, 0, 10), F_RDLCK);
  EXPECT_EQ(OtherSees(f, 20, 10), F_WRLCK);
  // Relocking the hole merges everything into one write lock.
  struct flock all = Lock(F_WRLCK, 0, 30);
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &all), SyscallSucceeds());
  InOtherProcess(f, [&](int fd) {
    struct flock q = Lock(F_RDLCK, 15, 1);
    ASSERT_THAT(fcntl(fd, F_GETLK, &q), SyscallSucceeds());
    EXPECT_EQ(q.l_type, F_WRLCK);
    EXPECT_EQ(q.l_start, 0);
    EXPECT_EQ(q.l_len, 30);
  });
}

TEST_F(DupTest, LockWhenceAndNegativeLength) {
  Fd a = OpenFile();
  ASSERT_THAT(write(a.get(), "0123456789", 10), SyscallSucceeds());
  ASSERT_THAT(lseek(a.get(), 4, SEEK_SET), SyscallSucceeds());
  struct flock cur = Lock(F_WRLCK, 1, 2);  // [5, 7)
  cur.l_whence = SEEK_CUR;
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &cur), SyscallSucceeds());
  struct flock end = Lock(F_WRLCK, -2, 2);  // [8, 10)
  end.l_whence = SEEK_END;
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &end), SyscallSucceeds());
  struct flock neg = Lock(F_WRLCK, 2, -2);  // [0, 2)
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &neg), SyscallSucceeds());
  const std::string f = Path("f");
  EXPECT_EQ(OtherSees(f, 5, 2), F_WRLCK);
  EXPECT_EQ(OtherSees(f, 7, 1), F_UNLCK);
  EXPECT_EQ(OtherSees(f, 9, 1), F_WRLCK);
  EXPECT_EQ(OtherSees(f, 0, 1), F_WRLCK);
  EXPECT_EQ(OtherSees(f, 2, 3), F_UNLCK);
  struct flock before = Lock(F_WRLCK, -1, 1);
  EXPECT_THAT(fcntl(a.get(), F_SETLK, &before), SyscallFailsWithErrno(EINVAL));
  struct flock whence = Lock(F_WRLCK, 0, 1);
  whence.l_whence = 7;
  EXPECT_THAT(fcntl(a.get(), F_SETLK, &whence), SyscallFailsWithErrno(EINVAL));
}

TEST_F(DupTest, ProcessLocksDieWithTheProcess) {
  Fd a = OpenFile();
  int ready[2], go[2];
  ASSERT_THAT(pipe(ready), SyscallSucceeds());
  ASSERT_THAT(pipe(go), SyscallSucceeds());
  pid_t pid = fork();
  if (pid == 0) {
    // Locks through the inherited description, shared with the parent.
    struct flock w = Lock(F_WRLCK, 0, 0);
    int r = fcntl(a.get(), F_SETLK, &w);
    write(ready[1], "r", 1);
    char c;
    read(go[0], &c, 1);
    _exit(r == 0 ? 0 : 1);
  }
  char c;
  ASSERT_THAT(read(ready[0], &c, 1), SyscallSucceeds());
  EXPECT_EQ(OtherSees(Path("f"), 0, 1), F_WRLCK);
  ASSERT_THAT(write(go[1], "g", 1), SyscallSucceeds());
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // The description lives on in the parent; the child's lock does not.
  EXPECT_EQ(OtherSees(Path("f"), 0, 1), F_UNLCK);
  for (int fd : {ready[0], ready[1], go[0], go[1]}) close(fd);
}

void NoopHandler(int) {}

TEST_F(DupTest, SetlkwIsInterruptedBySignal) {
  Fd a = OpenFile();
  struct flock fl = Lock(F_WRLCK, 0, 1);
  ASSERT_THAT(fcntl(a.get(), F_SETLK, &fl), SyscallSucceeds());
  int ready[2];
  ASSERT_THAT(pipe(ready), SyscallSucceeds());
  pid_t pid = fork();
  if (pid == 0) {
    struct sigaction sa = {};
    sa.sa_handler = NoopHandler;  // no SA_RESTART: EINTR
    sigaction(SIGUSR1, &sa, nullptr);
    int fd = open(Path("f").c_str(), O_RDWR);
    write(ready[1], "r", 1);
    struct flock w = Lock(F_WRLCK, 0, 1);
    int r = fcntl(fd, F_SETLKW, &w);
    _exit(r == -1 && errno == EINTR ? 0 : 1);
  }
  char c;
  ASSERT_THAT(read(ready[0], &c, 1), SyscallSucceeds());
  // A signal that lands before the child blocks only runs the handler, so
  // keep signalling (bounded) until the child has left.
  int status = -1;
  for (int i = 0; i < 1000; ++i) {
    kill(pid, SIGUSR1);
    usleep(5000);
    if (waitpid(pid, &status, WNOHANG) == pid) break;
  }
  if (!WIFEXITED(status)) {
    kill(pid, SIGKILL);
    status = WaitPid(pid);
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  close(ready[0]);
  close(ready[1]);
}

TEST_F(DupTest, Flock) {
  Fd a = OpenFile(O_RDONLY);  // flock needs no write access.
  ASSERT_THAT(flock(a.get(), LOCK_EX), SyscallSucceeds());
  // flock and POSIX locks do not interact.
  InOtherProcess(Path("f"), [](int fd) {
    struct flock w = Lock(F_WRLCK, 0, 0);
    EXPECT_THAT(fcntl(fd, F_SETLK, &w), SyscallSucceeds());
  });
  // Another description conflicts, even in this process.
  Fd b(open(Path("f").c_str(), O_RDONLY));
  EXPECT_THAT(flock(b.get(), LOCK_SH | LOCK_NB),
              SyscallFailsWithErrno(EWOULDBLOCK));
  // A dup shares the lock; converting it to shared lets b share too.
  Fd c(dup(a.get()));
  ASSERT_THAT(flock(c.get(), LOCK_SH), SyscallSucceeds());
  EXPECT_THAT(flock(b.get(), LOCK_SH | LOCK_NB), SyscallSucceeds());
  EXPECT_THAT(flock(a.get(), LOCK_EX | LOCK_NB),
              SyscallFailsWithErrno(EWOULDBLOCK));
  ASSERT_THAT(flock(b.get(), LOCK_UN), SyscallSucceeds());
  // The lock goes when the description's last descriptor closes.
  ASSERT_THAT(flock(a.get(), LOCK_EX | LOCK_NB), SyscallSucceeds());
  EXPECT_THAT(flock(b.get(), LOCK_EX | LOCK_NB),
              SyscallFailsWithErrno(EWOULDBLOCK));
  a.reset();
  EXPECT_THAT(flock(b.get(), LOCK_EX | LOCK_NB),
              SyscallFailsWithErrno(EWOULDBLOCK));
  c.reset();
  EXPECT_THAT(flock(b.get(), LOCK_EX | LOCK_NB), SyscallSucceeds());
  EXPECT_THAT(flock(b.get(), 0), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(flock(b.get(), LOCK_SH | LOCK_EX), SyscallFailsWithErrno(EINVAL));
}

TEST_F(DupTest, CloseTwiceIsEbadf) {
  int fd = open(Path("f").c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_THAT(close(fd), SyscallSucceeds());
  EXPECT_THAT(close(fd), SyscallFailsWithErrno(EBADF));
}

}  // namespace
}  // namespace syscall_test
