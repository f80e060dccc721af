// Signals: sigaction and SA_SIGINFO, masks, pending, sigaltstack, kill and
// tgkill, SIGCHLD, SIGPIPE, default actions, sigsuspend, sigtimedwait,
// sigqueue, nested handlers, SA_RESTART versus EINTR.
//
// Each test that installs handlers runs in a forked child so that state never
// leaks between tests.
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

volatile sig_atomic_t g_count = 0;
volatile sig_atomic_t g_signo = 0;
siginfo_t g_info;
volatile uintptr_t g_handler_sp = 0;

void CountHandler(int sig) {
  g_count = g_count + 1;
  g_signo = sig;
}

void InfoHandler(int sig, siginfo_t* info, void*) {
  g_info = *info;
  g_signo = sig;
  g_count = g_count + 1;
}

void Install(int sig, void (*h)(int), int flags = 0) {
  struct sigaction sa = {};
  sa.sa_handler = h;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  ASSERT_THAT(sigaction(sig, &sa, nullptr), SyscallSucceeds());
}

void InstallInfo(int sig, void (*h)(int, siginfo_t*, void*), int flags = 0) {
  struct sigaction sa = {};
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  ASSERT_THAT(sigaction(sig, &sa, nullptr), SyscallSucceeds());
}

sigset_t SetOf(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  return s;
}

TEST(SignalTest, SigactionRoundTrip) {
  EXPECT_CHILD_SUCCEEDS([] {
    struct sigaction sa = {}, old = {};
    sa.sa_handler = CountHandler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    ASSERT_THAT(sigaction(SIGUSR1, &sa, nullptr), SyscallSucceeds());
    ASSERT_THAT(sigaction(SIGUSR1, nullptr, &old), SyscallSucceeds());
    EXPECT_EQ(old.sa_handler, CountHandler);
    EXPECT_TRUE(old.sa_flags & SA_RESTART);
    EXPECT_TRUE(sigismember(&old.sa_mask, SIGUSR2));
    // SIGKILL and SIGSTOP cannot be caught; bad numbers are EINVAL.
    EXPECT_THAT(sigaction(SIGKILL, &sa, nullptr),
                SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(sigaction(SIGSTOP, &sa, nullptr),
                SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(sigaction(0, &sa, nullptr), SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(sigaction(65, &sa, nullptr), SyscallFailsWithErrno(EINVAL));
    // The raw call checks the sigset size.
    EXPECT_THAT(syscall(SYS_rt_sigaction, SIGUSR1, nullptr, nullptr, 4),
                SyscallFailsWithErrno(EINVAL));
  });
}

TEST(SignalTest, SiginfoFromKill) {
  EXPECT_CHILD_SUCCEEDS([] {
    InstallInfo(SIGUSR1, InfoHandler);
    ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
    EXPECT_EQ(g_count, 1);
    EXPECT_EQ(g_info.si_signo, SIGUSR1);
    EXPECT_EQ(g_info.si_code, SI_USER);
    EXPECT_EQ(g_info.si_pid, getpid());
    EXPECT_EQ(g_info.si_uid, getuid());
  });
}

TEST(SignalTest, SigqueueCarriesValue) {
  EXPECT_CHILD_SUCCEEDS([] {
    InstallInfo(SIGRTMIN, InfoHandler);
    union sigval v;
    v.sival_int = 0x1234;
    ASSERT_THAT(sigqueue(getpid(), SIGRTMIN, v), SyscallSucceeds());
    EXPECT_EQ(g_count, 1);
    EXPECT_EQ(g_info.si_code, SI_QUEUE);
    EXPECT_EQ(g_info.si_value.sival_int, 0x1234);
    EXPECT_EQ(g_info.si_pid, getpid());
  });
}

TEST(SignalTest, RealtimeSignalsQueueStandardOnesCoalesce) {
  EXPECT_CHILD_SUCCEEDS([] {
    Install(SIGUSR1, CountHandler);
    Install(SIGRTMIN + 1, CountHandler);
    sigset_t s = SetOf(SIGUSR1);
    sigaddset(&s, SIGRTMIN + 1);
    ASSERT_THAT(sigprocmask(SIG_BLOCK, &s, nullptr), SyscallSucceeds());
    for (int i = 0; i < 3; ++i) {
      kill(getpid(), SIGUSR1);
      kill(getpid(), SIGRTMIN + 1);
    }
    EXPECT_EQ(g_count, 0);
    sigset_t pending;
    ASSERT_THAT(sigpending(&pending), SyscallSucceeds());
    EXPECT_TRUE(sigismember(&pending, SIGUSR1));
    EXPECT_TRUE(sigismember(&pending, SIGRTMIN + 1));
    ASSERT_THAT(sigprocmask(SIG_UNBLOCK, &s, nullptr), SyscallSucceeds());
    EXPECT_EQ(g_count, 1 + 3);
  });
}

TEST(SignalTest, MaskOperations) {
  EXPECT_CHILD_SUCCEEDS([] {
    sigset_t s = SetOf(SIGUSR1), old, cur;
    sigemptyset(&old);
    ASSERT_THAT(sigprocmask(SIG_SETMASK, &s, &old), SyscallSucceeds());
    sigset_t s2 = SetOf(SIGUSR2);
    ASSERT_THAT(sigprocmask(SIG_BLOCK, &s2, nullptr), SyscallSucceeds());
    ASSERT_THAT(sigprocmask(SIG_BLOCK, nullptr, &cur), SyscallSucceeds());
    EXPECT_TRUE(sigismember(&cur, SIGUSR1));
    EXPECT_TRUE(sigismember(&cur, SIGUSR2));
    ASSERT_THAT(sigprocmask(SIG_UNBLOCK, &s, nullptr), SyscallSucceeds());
    ASSERT_THAT(sigprocmask(SIG_BLOCK, nullptr, &cur), SyscallSucceeds());
    EXPECT_FALSE(sigismember(&cur, SIGUSR1));
    // SIGKILL and SIGSTOP are silently never blocked.
    sigset_t ks = SetOf(SIGKILL);
    sigaddset(&ks, SIGSTOP);
    ASSERT_THAT(sigprocmask(SIG_BLOCK, &ks, nullptr), SyscallSucceeds());
    ASSERT_THAT(sigprocmask(SIG_BLOCK, nullptr, &cur), SyscallSucceeds());
    EXPECT_FALSE(sigismember(&cur, SIGKILL));
    EXPECT_FALSE(sigismember(&cur, SIGSTOP));
    EXPECT_THAT(syscall(SYS_rt_sigprocmask, 99, &s, nullptr, 8),
                SyscallFailsWithErrno(EINVAL));
  });
}

TEST(SignalTest, IgnoredSignals) {
  EXPECT_CHILD_SUCCEEDS([] {
    signal(SIGUSR1, SIG_IGN);
    // Not blocked: discarded when generated.
    kill(getpid(), SIGUSR1);
    sigset_t s = SetOf(SIGUSR1), pending;
    sigprocmask(SIG_BLOCK, &s, nullptr);
    sigpending(&pending);
    EXPECT_FALSE(sigismember(&pending, SIGUSR1));
    // Blocked: Linux keeps it pending (the disposition may change before it
    // is unblocked); unblocking it with SIG_IGN then discards it.
    kill(getpid(), SIGUSR1);
    sigpending(&pending);
    EXPECT_TRUE(sigismember(&pending, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &s, nullptr);
    sigpending(&pending);
    EXPECT_FALSE(sigismember(&pending, SIGUSR1));
  });
}

void AltStackHandler(int) {
  int local;
  g_handler_sp = reinterpret_cast<uintptr_t>(&local);
  stack_t st;
  sigaltstack(nullptr, &st);
  g_signo = (st.ss_flags & SS_ONSTACK) ? 1 : 2;
}

TEST(SignalTest, SigaltstackOnStack) {
  EXPECT_CHILD_SUCCEEDS([] {
    const size_t size = 64 * 1024;
    void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(mem, MAP_FAILED);
    stack_t ss = {};
    ss.ss_sp = mem;
    ss.ss_size = size;
    ASSERT_THAT(sigaltstack(&ss, nullptr), SyscallSucceeds());
    stack_t old = {};
    ASSERT_THAT(sigaltstack(nullptr, &old), SyscallSucceeds());
    EXPECT_EQ(old.ss_sp, mem);
    EXPECT_EQ(old.ss_size, size);
    EXPECT_EQ(old.ss_flags, 0);
    Install(SIGUSR1, AltStackHandler, SA_ONSTACK);
    raise(SIGUSR1);
    EXPECT_EQ(g_signo, 1);
    uintptr_t base = reinterpret_cast<uintptr_t>(mem);
    EXPECT_GE(g_handler_sp, base);
    EXPECT_LT(g_handler_sp, base + size);
    // Without SA_ONSTACK the normal stack is used.
    Install(SIGUSR2, AltStackHandler, 0);
    raise(SIGUSR2);
    EXPECT_EQ(g_signo, 2);
    EXPECT_FALSE(g_handler_sp >= base && g_handler_sp < base + size);
    // Too small a stack is ENOMEM.
    ss.ss_size = 1024;
    EXPECT_THAT(sigaltstack(&ss, nullptr), SyscallFailsWithErrno(ENOMEM));
    ss.ss_flags = SS_DISABLE;
    EXPECT_THAT(sigaltstack(&ss, nullptr), SyscallSucceeds());
    ASSERT_THAT(sigaltstack(nullptr, &old), SyscallSucceeds());
    EXPECT_EQ(old.ss_flags, SS_DISABLE);
  });
}

TEST(SignalTest, KillErrors) {
  EXPECT_THAT(kill(getpid(), 0), SyscallSucceeds());
  EXPECT_THAT(kill(getpid(), 1000), SyscallFailsWithErrno(EINVAL));
  // A reaped child's pid is free: ESRCH.
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  WaitPid(pid);
  EXPECT_THAT(kill(pid, 0), SyscallFailsWithErrno(ESRCH));
}

TEST(SignalTest, KillAsNobodyToRootIsEperm) {
  if (!CanChangeIds()) GTEST_SKIP() << "needs CAP_SETUID/CAP_SETGID";
  const pid_t parent = getpid();
  EXPECT_CHILD_SUCCEEDS([&] {
    ASSERT_TRUE(DropToNobody());
    EXPECT_THAT(kill(parent, 0), SyscallFailsWithErrno(EPERM));
    EXPECT_THAT(kill(getpid(), 0), SyscallSucceeds());
  });
}

std::atomic<pid_t> g_thread_tid{0};
std::atomic<pid_t> g_handled_in{0};
void TidHandler(int) { g_handled_in = static_cast<pid_t>(syscall(SYS_gettid)); }

TEST(SignalTest, TgkillTargetsThread) {
  EXPECT_CHILD_SUCCEEDS([] {
    Install(SIGUSR1, TidHandler);
    std::atomic<bool> stop{false};
    pthread_t th;
    ASSERT_EQ(pthread_create(
                  &th, nullptr,
                  [](void* arg) -> void* {
                    g_thread_tid = static_cast<pid_t>(syscall(SYS_gettid));
                    auto* s = static_cast<std::atomic<bool>*>(arg);
                    while (!s->load() && g_handled_in.load() == 0) usleep(1000);
                    return nullptr;
                  },
                  &stop),
              0);
    while (g_thread_tid.load() == 0) usleep(1000);
    pid_t tid = g_thread_tid.load();
    ASSERT_THAT(syscall(SYS_tgkill, getpid(), tid, SIGUSR1), SyscallSucceeds());
    pthread_join(th, nullptr);
    EXPECT_EQ(g_handled_in.load(), tid);
    // Wrong tgid is ESRCH.
    EXPECT_THAT(syscall(SYS_tgkill, getpid() + 100000, getpid(), SIGUSR1),
                SyscallFailsWithErrno(ESRCH));
    EXPECT_THAT(syscall(SYS_tgkill, getpid(), 0, SIGUSR1),
                SyscallFailsWithErrno(EINVAL));
  });
}

TEST(SignalTest, SigchldOnChildExit) {
  EXPECT_CHILD_SUCCEEDS([] {
    InstallInfo(SIGCHLD, InfoHandler);
    sigset_t s = SetOf(SIGCHLD), old;
    sigprocmask(SIG_BLOCK, &s, &old);
    pid_t pid = fork();
    if (pid == 0) _exit(6);
    // Wait for the signal without racing: sigsuspend with it unblocked.
    while (g_count == 0) sigsuspend(&old);
    EXPECT_EQ(g_info.si_signo, SIGCHLD);
    EXPECT_EQ(g_info.si_code, CLD_EXITED);
    EXPECT_EQ(g_info.si_pid, pid);
    EXPECT_EQ(g_info.si_status, 6);
    WaitPid(pid);
  });
}

TEST(SignalTest, SigpipeOnBrokenPipe) {
  // Default action: the writer dies with SIGPIPE.
  int status = RunInChild([] {
    signal(SIGPIPE, SIG_DFL);
    int p[2];
    pipe(p);
    close(p[0]);
    write(p[1], "x", 1);
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE)
      << DescribeStatus(status);
  // Ignored: EPIPE.
  EXPECT_CHILD_SUCCEEDS([] {
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    ASSERT_THAT(pipe(p), SyscallSucceeds());
    close(p[0]);
    EXPECT_THAT(write(p[1], "x", 1), SyscallFailsWithErrno(EPIPE));
  });
  // Handled: handler runs, write fails with EPIPE.
  EXPECT_CHILD_SUCCEEDS([] {
    Install(SIGPIPE, CountHandler);
    int p[2];
    ASSERT_THAT(pipe(p), SyscallSucceeds());
    close(p[0]);
    EXPECT_THAT(write(p[1], "x", 1), SyscallFailsWithErrno(EPIPE));
    EXPECT_EQ(g_count, 1);
    EXPECT_EQ(g_signo, SIGPIPE);
  });
}

TEST(SignalTest, DefaultActions) {
  struct Case {
    int sig;
    bool terminates;
  } cases[] = {{SIGTERM, true},  {SIGUSR1, true},  {SIGSEGV, true},
               {SIGABRT, true},  {SIGCHLD, false}, {SIGURG, false},
               {SIGWINCH, false}};
  for (const Case& c : cases) {
    int status = RunInChild([&] {
      signal(c.sig, SIG_DFL);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      raise(c.sig);
      _exit(0);
    });
    if (c.terminates) {
      EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == c.sig)
          << strsignal(c.sig) << ": " << DescribeStatus(status);
    } else {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << strsignal(c.sig) << ": " << DescribeStatus(status);
    }
  }
}

TEST(SignalTest, SigsuspendReturnsEintrAndRestoresMask) {
  EXPECT_CHILD_SUCCEEDS([] {
    Install(SIGUSR1, CountHandler);
    sigset_t s = SetOf(SIGUSR1), old;
    sigprocmask(SIG_BLOCK, &s, &old);
    kill(getpid(), SIGUSR1);  // Pending until sigsuspend unblocks it.
    EXPECT_EQ(g_count, 0);
    EXPECT_THAT(sigsuspend(&old), SyscallFailsWithErrno(EINTR));
    EXPECT_EQ(g_count, 1);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, nullptr, &cur);
    EXPECT_TRUE(sigismember(&cur, SIGUSR1));
  });
}

TEST(SignalTest, Sigtimedwait) {
  EXPECT_CHILD_SUCCEEDS([] {
    sigset_t s = SetOf(SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, nullptr);
    struct timespec zero = {0, 0};
    siginfo_t info;
    EXPECT_THAT(sigtimedwait(&s, &info, &zero), SyscallFailsWithErrno(EAGAIN));
    union sigval v;
    v.sival_int = 77;
    ASSERT_THAT(sigqueue(getpid(), SIGUSR2, v), SyscallSucceeds());
    struct timespec guard = {30, 0};  // Hang guard only.
    EXPECT_THAT(sigtimedwait(&s, &info, &guard),
                SyscallSucceedsWithValue(SIGUSR2));
    EXPECT_EQ(info.si_code, SI_QUEUE);
    EXPECT_EQ(info.si_value.sival_int, 77);
    // Consumed: no longer pending.
    sigset_t pending;
    sigpending(&pending);
    EXPECT_FALSE(sigismember(&pending, SIGUSR2));
    // From another process.
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
      kill(parent, SIGUSR2);
      _exit(0);
    }
    EXPECT_THAT(sigtimedwait(&s, &info, &guard),
                SyscallSucceedsWithValue(SIGUSR2));
    EXPECT_EQ(info.si_pid, pid);
    WaitPid(pid);
  });
}

volatile sig_atomic_t g_depth = 0;
volatile sig_atomic_t g_max_depth = 0;
void NestedHandler(int sig) {
  g_depth = g_depth + 1;
  if (g_depth > g_max_depth) g_max_depth = g_depth;
  if (sig == SIGUSR1) raise(SIGUSR2);  // Delivered inside this handler.
  g_depth = g_depth - 1;
}

TEST(SignalTest, NestedHandlersAndSaMask) {
  EXPECT_CHILD_SUCCEEDS([] {
    Install(SIGUSR1, NestedHandler);
    Install(SIGUSR2, NestedHandler);
    raise(SIGUSR1);
    EXPECT_EQ(g_max_depth, 2);
    // With SIGUSR2 in sa_mask, it waits until the first handler returns.
    g_max_depth = 0;
    struct sigaction sa = {};
    sa.sa_handler = NestedHandler;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, nullptr);
    raise(SIGUSR1);
    EXPECT_EQ(g_max_depth, 1);
  });
}

void ResetHandler(int) { g_count = g_count + 1; }

TEST(SignalTest, ResetHandAndNodefer) {
  EXPECT_CHILD_SUCCEEDS([] {
    Install(SIGUSR1, ResetHandler, SA_RESETHAND);
    raise(SIGUSR1);
    EXPECT_EQ(g_count, 1);
    struct sigaction cur;
    sigaction(SIGUSR1, nullptr, &cur);
    EXPECT_EQ(cur.sa_handler, SIG_DFL);
  });
}

TEST(SignalTest, SaRestartVersusEintr) {
  for (bool restart : {false, true}) {
    SCOPED_TRACE(restart ? "SA_RESTART" : "no SA_RESTART");
    EXPECT_CHILD_SUCCEEDS([&] {
      Install(SIGALRM, CountHandler, restart ? SA_RESTART : 0);
      int p[2];
      ASSERT_THAT(pipe(p), SyscallSucceeds());
      const pid_t me = getpid();
      // The helper signals us repeatedly; with SA_RESTART it then writes a
      // byte. Without it, nothing is ever written, so the blocked read can
      // only end with EINTR. The sleeps only pace the loop.
      pid_t helper = fork();
      if (helper == 0) {
        for (int i = 0; restart ? i < 20 : true; ++i) {
          kill(me, SIGALRM);
          usleep(2000);
        }
        write(p[1], "z", 1);
        _exit(0);
      }
      char c;
      if (!restart) {
        EXPECT_THAT(read(p[0], &c, 1), SyscallFailsWithErrno(EINTR));
      } else {
        EXPECT_THAT(read(p[0], &c, 1), SyscallSucceedsWithValue(1));
      }
      EXPECT_GE(g_count, 1);
      kill(helper, SIGKILL);
      WaitPid(helper);
    });
  }
}

TEST(SignalTest, RtSigqueueinfoFakingKernelCodeIsEperm) {
  siginfo_t info = {};
  info.si_signo = SIGUSR1;
  info.si_code = SI_KERNEL;  // Positive codes are reserved for the kernel.
  EXPECT_CHILD_SUCCEEDS([&] {
    EXPECT_THAT(syscall(SYS_rt_sigqueueinfo, getppid(), SIGUSR1, &info),
                SyscallFailsWithErrno(EPERM));
  });
}

}  // namespace
}  // namespace syscall_test
