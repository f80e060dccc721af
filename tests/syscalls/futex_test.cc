// futex: wait/wake, value mismatch, timeouts, requeue, bitsets, private vs
// shared across processes.
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

long Futex(std::atomic<int>* addr, int op, int val,
           const struct timespec* ts = nullptr,
           std::atomic<int>* addr2 = nullptr, int val3 = 0) {
  return syscall(SYS_futex, reinterpret_cast<int*>(addr), op, val, ts,
                 reinterpret_cast<int*>(addr2), val3);
}

// Threads may not be asleep yet when a test wakes them; the tests loop on
// wake-ups and check values, so correctness never depends on timing.

TEST(FutexTest, WaitValueMismatchIsEagain) {
  std::atomic<int> word{1};
  EXPECT_THAT(Futex(&word, FUTEX_WAIT_PRIVATE, 2),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_THAT(Futex(&word, FUTEX_WAIT, 0), SyscallFailsWithErrno(EAGAIN));
}

TEST(FutexTest, WaitTimesOut) {
  std::atomic<int> word{0};
  struct timespec ts = {0, 20 * 1000 * 1000};
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  EXPECT_THAT(Futex(&word, FUTEX_WAIT_PRIVATE, 0, &ts),
              SyscallFailsWithErrno(ETIMEDOUT));
  clock_gettime(CLOCK_MONOTONIC, &end);
  // Lower bound only: the wait lasted at least the timeout.
  int64_t ns = (end.tv_sec - start.tv_sec) * 1000000000LL +
               (end.tv_nsec - start.tv_nsec);
  EXPECT_GE(ns, 20 * 1000 * 1000);
  // A zero timeout returns at once.
  struct timespec zero = {0, 0};
  EXPECT_THAT(Futex(&word, FUTEX_WAIT_PRIVATE, 0, &zero),
              SyscallFailsWithErrno(ETIMEDOUT));
  struct timespec bad = {0, 1000000000};
  EXPECT_THAT(Futex(&word, FUTEX_WAIT_PRIVATE, 0, &bad),
              SyscallFailsWithErrno(EINVAL));
}

TEST(FutexTest, WaitBitsetAbsoluteTimeout) {
  std::atomic<int> word{0};
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 10 * 1000 * 1000;
  if (now.tv_nsec >= 1000000000) {
    now.tv_sec++;
    now.tv_nsec -= 1000000000;
  }
  EXPECT_THAT(Futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &now, nullptr,
                    FUTEX_BITSET_MATCH_ANY),
              SyscallFailsWithErrno(ETIMEDOUT));
  struct timespec after;
  clock_gettime(CLOCK_MONOTONIC, &after);
  EXPECT_TRUE(after.tv_sec > now.tv_sec ||
              (after.tv_sec == now.tv_sec && after.tv_nsec >= now.tv_nsec));
  // A zero bitset is EINVAL.
  EXPECT_THAT(Futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &now, nullptr, 0),
              SyscallFailsWithErrno(EINVAL));
}

TEST(FutexTest, WakeWithNoWaitersReturnsZero) {
  std::atomic<int> word{0};
  EXPECT_THAT(Futex(&word, FUTEX_WAKE_PRIVATE, 10),
              SyscallSucceedsWithValue(0));
}

// Starts `n` threads that each wait on `word` while it is 0 and count
// themselves in `woken` once they return with the value changed.
struct Waiters {
  std::atomic<int> word{0};
  std::atomic<int> ready{0};
  std::atomic<int> woken{0};
  std::vector<std::thread> threads;
  void Start(int n, int op = FUTEX_WAIT_PRIVATE, int bitset = 0) {
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([this, op, bitset] {
        ready++;
        while (word.load() == 0) {
          Futex(&word, op, 0, nullptr, nullptr, bitset);
        }
        woken++;
      });
    }
    while (ready.load() < n) sched_yield();
  }
  void Join() {
    for (auto& t : threads) t.join();
  }
};

TEST(FutexTest, WakeWakesWaiters) {
  Waiters w;
  w.Start(3);
  w.word = 1;
  // Wake until everyone is out (a thread not yet asleep sees word == 1).
  while (w.woken.load() < 3) {
    ASSERT_THAT(Futex(&w.word, FUTEX_WAKE_PRIVATE, INT32_MAX),
                SyscallSucceeds());
    sched_yield();
  }
  w.Join();
  EXPECT_EQ(w.woken.load(), 3);
}

TEST(FutexTest, WakeCountIsRespected) {
  // Waiters are blocked while word stays 0; wake exactly one of two.
  std::atomic<int> word{0};
  std::atomic<int> returned{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> ts;
  for (int i = 0; i < 2; ++i) {
    ts.emplace_back([&] {
      while (!done.load()) {
        if (Futex(&word, FUTEX_WAIT_PRIVATE, 0) == 0) break;
      }
      returned++;
    });
  }
  // Wake one at a time: each successful wake (return 1) frees exactly one.
  int total = 0;
  while (total < 1) {
    long r = Futex(&word, FUTEX_WAKE_PRIVATE, 1);
    ASSERT_THAT(r, SyscallSucceeds());
    EXPECT_LE(r, 1);
    total += r;
    sched_yield();
  }
  while (returned.load() < 1) sched_yield();
  // Now free the other one.
  done = true;
  word = 1;
  while (returned.load() < 2) {
    Futex(&word, FUTEX_WAKE_PRIVATE, INT32_MAX);
    sched_yield();
  }
  for (auto& t : ts) t.join();
}

TEST(FutexTest, RequeueMovesWaiters) {
  std::atomic<int> a{0}, b{0};
  std::atomic<int> out{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i) {
    ts.emplace_back([&] {
      // Block on `a`; a requeue moves us to `b`; a wake on `b` frees us.
      while (out.load() == 0 && Futex(&a, FUTEX_WAIT_PRIVATE, 0) != 0) {
      }
      out++;
    });
  }
  // Requeue: wake 0, move up to INT_MAX from a to b. CMP_REQUEUE checks *a.
  long moved = 0;
  // Keep requeueing until all three have been moved (they may not all be
  // asleep yet); a thread that sees out != 0 leaves by itself.
  for (int tries = 0; moved < 3 && tries < 100000; ++tries) {
    long r = Futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 0,
                   reinterpret_cast<const struct timespec*>(INT32_MAX), &b, 0);
    ASSERT_THAT(r, SyscallSucceeds());
    moved += r;
    sched_yield();
  }
  EXPECT_EQ(moved, 3);
  // None of them can be woken through `a` any more.
  EXPECT_THAT(Futex(&a, FUTEX_WAKE_PRIVATE, INT32_MAX),
              SyscallSucceedsWithValue(0));
  EXPECT_THAT(Futex(&b, FUTEX_WAKE_PRIVATE, INT32_MAX),
              SyscallSucceedsWithValue(3));
  for (auto& t : ts) t.join();
  EXPECT_EQ(out.load(), 3);
  // CMP_REQUEUE with a stale expected value is EAGAIN.
  a = 5;
  EXPECT_THAT(Futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 0,
                    reinterpret_cast<const struct timespec*>(1), &b, 4),
              SyscallFailsWithErrno(EAGAIN));
}

TEST(FutexTest, BitsetWakeSelectsWaiters) {
  std::atomic<int> word{0};
  std::atomic<int> woke_mask{0};
  std::atomic<int> asleep{0};
  auto waiter = [&](int bits) {
    return std::thread([&, bits] {
      asleep++;
      while (Futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, nullptr, nullptr,
                   bits) != 0) {
        if (word.load() != 0) break;
      }
      woke_mask |= bits;
    });
  };
  std::thread t1 = waiter(1), t2 = waiter(2);
  while (asleep.load() < 2) sched_yield();
  // Wake with bitset 2 until the bit-2 waiter is out; the bit-1 waiter must
  // never be woken by it.
  while ((woke_mask.load() & 2) == 0) {
    long r =
        Futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT32_MAX, nullptr, nullptr, 2);
    ASSERT_THAT(r, SyscallSucceeds());
    sched_yield();
  }
  EXPECT_EQ(woke_mask.load() & 1, 0);
  word = 1;
  while ((woke_mask.load() & 1) == 0) {
    Futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT32_MAX, nullptr, nullptr, 1);
    sched_yield();
  }
  t1.join();
  t2.join();
  EXPECT_EQ(woke_mask.load(), 3);
}

TEST(FutexTest, SharedFutexAcrossProcesses) {
  auto* word =
      static_cast<std::atomic<int>*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                                          MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(word, MAP_FAILED);
  new (word) std::atomic<int>(0);
  pid_t pid = fork();
  if (pid == 0) {
    while (word->load() == 0) Futex(word, FUTEX_WAIT, 0);
    _exit(word->load() == 7 ? 0 : 1);
  }
  word->store(7);
  int status;
  // Wake until the child exits (it may not have slept yet).
  for (;;) {
    Futex(word, FUTEX_WAKE, 1);
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    usleep(1000);
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  munmap(word, 4096);
}

TEST(FutexTest, InvalidOpAndAlignment) {
  std::atomic<int> word{0};
  EXPECT_THAT(Futex(&word, 99, 0), SyscallFailsWithErrno(ENOSYS));
  char buf[8] = {};
  EXPECT_THAT(syscall(SYS_futex, buf + 1, FUTEX_WAKE, 1, nullptr, nullptr, 0),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(syscall(SYS_futex, 8L, FUTEX_WAIT, 0, nullptr, nullptr, 0),
              SyscallFailsWithErrno(EFAULT));
}

}  // namespace
}  // namespace syscall_test
