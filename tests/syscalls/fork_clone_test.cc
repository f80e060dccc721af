// fork, vfork, clone (threads, CLONE_CHILD_CLEARTID + futex), clone3.
#include <linux/futex.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

TEST(ForkTest, ChildGetsNewPidAndParentSeesExit) {
  const pid_t parent = getpid();
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    pid_t me = getpid();
    bool ok = getppid() == parent && me != parent;
    write(p[1], &me, sizeof(me));
    _exit(ok ? 7 : 1);
  }
  close(p[1]);
  pid_t reported = 0;
  EXPECT_THAT(read(p[0], &reported, sizeof(reported)),
              SyscallSucceedsWithValue(sizeof(reported)));
  close(p[0]);
  EXPECT_EQ(reported, pid);
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

TEST(ForkTest, MemoryIsCopiedNotShared) {
  static volatile int value = 1;
  EXPECT_CHILD_SUCCEEDS([] {
    EXPECT_EQ(value, 1);
    value = 2;
  });
  EXPECT_EQ(value, 1);
}

TEST(ForkTest, DescriptorsAreShared) {
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  EXPECT_CHILD_SUCCEEDS([&] {
    EXPECT_THAT(write(p[1], "from child", 10), SyscallSucceedsWithValue(10));
  });
  char buf[10];
  EXPECT_THAT(read(p[0], buf, 10), SyscallSucceedsWithValue(10));
  close(p[0]);
  close(p[1]);
}

TEST(ForkTest, ManyChildren) {
  constexpr int kChildren = 20;
  pid_t pids[kChildren];
  for (int i = 0; i < kChildren; ++i) {
    pids[i] = fork();
    ASSERT_THAT(pids[i], SyscallSucceeds());
    if (pids[i] == 0) _exit(i);
  }
  for (int i = 0; i < kChildren; ++i) {
    int status = WaitPid(pids[i]);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), i);
  }
}

TEST(VforkTest, ParentWaitsUntilChildExits) {
  static volatile int shared = 0;
  pid_t pid = vfork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    // The child borrows the parent's memory until it exits or execs.
    shared = 5;
    _exit(3);
  }
  EXPECT_EQ(shared, 5);
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

// A thread made with raw clone: it shares memory, has its own tid, and its
// exit clears *ctid and wakes a futex waiter (how pthread_join works).
constexpr size_t kStack = 64 * 1024;

struct ThreadArgs {
  std::atomic<int> ran{0};
  std::atomic<pid_t> tid{0};
};

int ThreadBody(void* arg) {
  auto* a = static_cast<ThreadArgs*>(arg);
  a->tid = static_cast<pid_t>(syscall(SYS_gettid));
  a->ran = 1;
  syscall(SYS_exit, 0);  // Exit only this thread.
  return 0;
}

TEST(CloneTest, ThreadWithChildClearTid) {
  void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  ASSERT_NE(stack, MAP_FAILED);
  ThreadArgs args;
  // Non-zero until the kernel clears it when the thread exits.
  static volatile pid_t ctid = 0;
  ctid = 1;
  const int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                    CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID |
                    CLONE_CHILD_CLEARTID;
  pid_t ptid = 0;
  int tid = clone(ThreadBody, static_cast<char*>(stack) + kStack, flags, &args,
                  &ptid, nullptr, &ctid);
  ASSERT_THAT(tid, SyscallSucceeds());
  EXPECT_EQ(ptid, tid);
  // Wait for the kernel to clear ctid at thread exit.
  for (;;) {
    pid_t v = ctid;
    if (v == 0) break;
    syscall(SYS_futex, &ctid, FUTEX_WAIT, v, nullptr, nullptr, 0);
  }
  EXPECT_EQ(args.ran.load(), 1);
  EXPECT_EQ(args.tid.load(), tid);
  EXPECT_NE(tid, getpid());
  munmap(stack, kStack);
}

TEST(CloneTest, ThreadSharesPidAndTgkill) {
  // getpid is the thread group id in every thread.
  std::atomic<pid_t> pid_in_thread{0};
  std::atomic<pid_t> tid_in_thread{0};
  void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  ASSERT_NE(stack, MAP_FAILED);
  static volatile pid_t ctid = 0;
  ctid = 1;
  struct Ctx {
    std::atomic<pid_t>* pid;
    std::atomic<pid_t>* tid;
  } ctx{&pid_in_thread, &tid_in_thread};
  int tid = clone(
      [](void* a) -> int {
        auto* c = static_cast<Ctx*>(a);
        *c->pid = getpid();
        *c->tid = static_cast<pid_t>(syscall(SYS_gettid));
        syscall(SYS_exit, 0);
        return 0;
      },
      static_cast<char*>(stack) + kStack,
      CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
          CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID,
      &ctx, nullptr, nullptr, &ctid);
  ASSERT_THAT(tid, SyscallSucceeds());
  for (;;) {
    pid_t v = ctid;
    if (v == 0) break;
    syscall(SYS_futex, &ctid, FUTEX_WAIT, v, nullptr, nullptr, 0);
  }
  EXPECT_EQ(pid_in_thread.load(), getpid());
  EXPECT_EQ(tid_in_thread.load(), tid);
  // The thread is gone: tgkill to it fails with ESRCH.
  EXPECT_THAT(syscall(SYS_tgkill, getpid(), tid, 0),
              SyscallFailsWithErrno(ESRCH));
  munmap(stack, kStack);
}

TEST(CloneTest, ForkLikeCloneWithExitSignal) {
  // clone(SIGCHLD) without CLONE_VM behaves like fork.
  long pid = syscall(SYS_clone, SIGCHLD, 0, nullptr, nullptr, 0);
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(9);
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 9);
}

TEST(CloneTest, InvalidFlagCombinations) {
  // CLONE_THREAD needs CLONE_SIGHAND; CLONE_SIGHAND needs CLONE_VM.
  EXPECT_THAT(syscall(SYS_clone, CLONE_THREAD, 0, nullptr, nullptr, 0),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(syscall(SYS_clone, CLONE_SIGHAND, 0, nullptr, nullptr, 0),
              SyscallFailsWithErrno(EINVAL));
}

TEST(Clone3Test, Basic) {
  struct clone_args args = {};
  args.exit_signal = SIGCHLD;
  pid_t child_tid = 0;
  args.flags = CLONE_PARENT_SETTID;
  args.parent_tid = reinterpret_cast<uintptr_t>(&child_tid);
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0 && errno == ENOSYS) GTEST_SKIP() << "clone3 not implemented";
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(getppid() > 0 ? 4 : 1);
  EXPECT_EQ(child_tid, pid);
  int status = WaitPid(pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 4);
}

TEST(Clone3Test, InvalidArgs) {
  struct clone_args args = {};
  args.exit_signal = SIGCHLD;
  // A size smaller than the first published struct is EINVAL.
  EXPECT_THAT(syscall(SYS_clone3, &args, 8), SyscallFailsWithErrno(EINVAL));
  // An exit signal outside the signal range is EINVAL.
  args.exit_signal = 200;
  EXPECT_THAT(syscall(SYS_clone3, &args, sizeof(args)),
              SyscallFailsWithErrno(EINVAL));
}

TEST(ForkTest, ThreadsThenFork) {
  // Fork from a process whose other thread exists: only the caller is copied.
  void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  ASSERT_NE(stack, MAP_FAILED);
  static volatile pid_t ctid = 0;
  ctid = 1;
  static std::atomic<int> stop{0};
  int tid = clone(
      [](void*) -> int {
        while (!stop.load()) syscall(SYS_sched_yield);
        syscall(SYS_exit, 0);
        return 0;
      },
      static_cast<char*>(stack) + kStack,
      CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
          CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID,
      nullptr, nullptr, nullptr, &ctid);
  ASSERT_THAT(tid, SyscallSucceeds());
  EXPECT_CHILD_SUCCEEDS([] {
    // /proc/self/status would tell the thread count; use it if present.
    std::string status = ReadFile("/proc/self/status");
    if (!status.empty()) {
      EXPECT_NE(status.find("Threads:\t1\n"), std::string::npos);
    }
  });
  stop = 1;
  for (;;) {
    pid_t v = ctid;
    if (v == 0) break;
    syscall(SYS_futex, &ctid, FUTEX_WAIT, v, nullptr, nullptr, 0);
  }
  munmap(stack, kStack);
}

}  // namespace
}  // namespace syscall_test
