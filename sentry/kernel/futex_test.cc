#include "sentry/kernel/futex.h"

#include <linux/futex.h>

#include <thread>

#include "gtest/gtest.h"
#include "sentry/kernel/testing.h"

namespace sentry::kernel {
namespace {

constexpr UserAddr kWord(kTestMemBase + 0x100);
constexpr UserAddr kWord2(kTestMemBase + 0x200);

// A hang guard, not a timing assertion: waits for `cond` up to a minute.
template <typename F>
bool Eventually(F cond) {
  absl::Time limit = absl::Now() + absl::Seconds(60);
  while (!cond()) {
    if (absl::Now() > limit) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

class FutexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kt_ = MakeKernelAndTask();
    t1_ = kt_.task;
    CloneArgs a;
    a.flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;
    t2_ = kt_.kernel->Clone(*t1_, a)->get();
    t3_ = kt_.kernel->Clone(*t1_, a)->get();
  }
  FutexManager& fm() { return kt_.kernel->futexes(); }
  FutexKey Key(UserAddr a) { return MakeFutexKey(*t1_, a, true); }
  void Store(UserAddr a, uint32_t v) {
    ASSERT_TRUE(kt_.mem->CopyOutObj(UserPtr<uint32_t>(a), v).ok());
  }
  uint32_t Load(UserAddr a) { return *kt_.mem->LoadU32(a); }

  KernelAndTask kt_;
  Task* t1_;
  Task* t2_;
  Task* t3_;
};

TEST_F(FutexTest, WaitThenWake) {
  Store(kWord, 5);
  ErrnoStatus result = Errno{EIO};
  std::thread w([&] {
    result = fm().Wait(*t2_, Key(kWord), kWord, 5, FUTEX_BITSET_MATCH_ANY,
                       std::nullopt);
  });
  ASSERT_TRUE(Eventually([&] { return fm().WaiterCount(Key(kWord)) == 1; }));
  EXPECT_EQ(fm().Wake(Key(kWord), FUTEX_BITSET_MATCH_ANY, 10), 1);
  w.join();
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(fm().WaiterCount(Key(kWord)), 0);
}

TEST_F(FutexTest, ValueMismatchIsEagain) {
  Store(kWord, 1);
  auto r = fm().Wait(*t2_, Key(kWord), kWord, 2, FUTEX_BITSET_MATCH_ANY,
                     std::nullopt);
  EXPECT_EQ(ToInt(r.error()), EAGAIN);
  auto bad = fm().Wait(*t2_, Key(UserAddr(kWord.value() + 1)),
                       UserAddr(kWord.value() + 1), 0, FUTEX_BITSET_MATCH_ANY,
                       std::nullopt);
  EXPECT_EQ(ToInt(bad.error()), EINVAL);
}

TEST_F(FutexTest, TimeoutAndInterrupt) {
  Store(kWord, 0);
  auto r = fm().Wait(*t2_, Key(kWord), kWord, 0, FUTEX_BITSET_MATCH_ANY,
                     absl::Now() + absl::Milliseconds(5));
  EXPECT_EQ(ToInt(r.error()), ETIMEDOUT);
  EXPECT_EQ(fm().WaiterCount(Key(kWord)), 0);

  ErrnoStatus result = OkErrno();
  std::thread w([&] {
    result = fm().Wait(*t2_, Key(kWord), kWord, 0, FUTEX_BITSET_MATCH_ANY,
                       std::nullopt);
  });
  ASSERT_TRUE(Eventually([&] { return fm().WaiterCount(Key(kWord)) == 1; }));
  t2_->Interrupt();
  w.join();
  EXPECT_EQ(ToInt(result.error()), EINTR);
  EXPECT_EQ(fm().WaiterCount(Key(kWord)), 0);
}

TEST_F(FutexTest, BitsetSelectsWaiters) {
  Store(kWord, 0);
  ErrnoStatus result = Errno{EIO};
  std::thread w([&] {
    result = fm().Wait(*t2_, Key(kWord), kWord, 0, 0x1, std::nullopt);
  });
  ASSERT_TRUE(Eventually([&] { return fm().WaiterCount(Key(kWord)) == 1; }));
  EXPECT_EQ(fm().Wake(Key(kWord), 0x2, 1), 0);
  EXPECT_EQ(fm().Wake(Key(kWord), 0x3, 1), 1);
  w.join();
  EXPECT_TRUE(result.ok());
}

TEST_F(FutexTest, CmpRequeueMovesWaiters) {
  Store(kWord, 7);
  std::vector<ErrnoStatus> results(2, Errno{EIO});
  std::thread a([&] {
    results[0] = fm().Wait(*t2_, Key(kWord), kWord, 7, FUTEX_BITSET_MATCH_ANY,
                           std::nullopt);
  });
  std::thread b([&] {
    results[1] = fm().Wait(*t3_, Key(kWord), kWord, 7, FUTEX_BITSET_MATCH_ANY,
                           std::nullopt);
  });
  ASSERT_TRUE(Eventually([&] { return fm().WaiterCount(Key(kWord)) == 2; }));
  auto bad = fm().Requeue(*t1_, Key(kWord), kWord, Key(kWord2), 1, 1, 8u);
  EXPECT_EQ(ToInt(bad.error()), EAGAIN);
  auto r = fm().Requeue(*t1_, Key(kWord), kWord, Key(kWord2), 1, 1, 7u);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2);  // one woken + one requeued
  EXPECT_EQ(fm().WaiterCount(Key(kWord)), 0);
  EXPECT_EQ(fm().WaiterCount(Key(kWord2)), 1);
  EXPECT_EQ(fm().Wake(Key(kWord2), FUTEX_BITSET_MATCH_ANY, 1), 1);
  a.join();
  b.join();
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
}

TEST_F(FutexTest, WakeOpAppliesOpAndComparesOldValue) {
  Store(kWord, 0);
  Store(kWord2, 1);
  ErrnoStatus result = Errno{EIO};
  std::thread w([&] {
    result = fm().Wait(*t2_, Key(kWord2), kWord2, 1, FUTEX_BITSET_MATCH_ANY,
                       std::nullopt);
  });
  ASSERT_TRUE(Eventually([&] { return fm().WaiterCount(Key(kWord2)) == 1; }));
  // *word2 += 5; wake on word2 if old value == 1.
  uint32_t op = FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 1);
  auto r = fm().WakeOp(*t1_, Key(kWord), kWord, Key(kWord2), kWord2, 1, 1, op);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 1);
  EXPECT_EQ(Load(kWord2), 6u);
  w.join();
  EXPECT_TRUE(result.ok());
}

TEST_F(FutexTest, PiLockHandsOver) {
  Store(kWord, 0);
  ASSERT_TRUE(fm().LockPi(*t1_, Key(kWord), kWord, false, std::nullopt).ok());
  EXPECT_EQ(Load(kWord), static_cast<uint32_t>(t1_->tid()));
  EXPECT_EQ(
      ToInt(fm().LockPi(*t1_, Key(kWord), kWord, false, std::nullopt).error()),
      EDEADLK);
  EXPECT_EQ(
      ToInt(fm().LockPi(*t2_, Key(kWord), kWord, true, std::nullopt).error()),
      EBUSY);
  ErrnoStatus result = Errno{EIO};
  std::thread w([&] {
    result = fm().LockPi(*t2_, Key(kWord), kWord, false, std::nullopt);
  });
  ASSERT_TRUE(Eventually([&] { return fm().WaiterCount(Key(kWord)) == 1; }));
  EXPECT_TRUE(Load(kWord) & FUTEX_WAITERS);
  EXPECT_EQ(ToInt(fm().UnlockPi(*t2_, Key(kWord), kWord).error()), EPERM);
  ASSERT_TRUE(fm().UnlockPi(*t1_, Key(kWord), kWord).ok());
  w.join();
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(Load(kWord) & FUTEX_TID_MASK, static_cast<uint32_t>(t2_->tid()));
}

TEST_F(FutexTest, ExitClearsChildTidAndWalksRobustList) {
  // Robust list: head at +0x300 -> entry at +0x400 -> head. The futex word
  // is at entry + 16.
  const uint64_t head = kTestMemBase + 0x300, entry = kTestMemBase + 0x400;
  struct {
    uint64_t next;
    int64_t offset;
    uint64_t pending;
  } h{entry, 16, 0};
  ASSERT_TRUE(kt_.mem->CopyOutFull(UserAddr(head), &h, sizeof(h)).ok());
  ASSERT_TRUE(
      kt_.mem->CopyOutObj(UserPtr<uint64_t>(UserAddr(entry)), head).ok());
  const UserAddr robust_word(entry + 16);
  Store(robust_word, static_cast<uint32_t>(t2_->tid()) | FUTEX_WAITERS);
  t2_->robust_list = UserAddr(head);

  Store(kWord, static_cast<uint32_t>(t2_->tid()));
  t2_->clear_child_tid = kWord;
  ErrnoStatus joined = Errno{EIO};
  std::thread w([&] {
    joined = fm().Wait(*t1_, MakeFutexKey(*t1_, kWord, false), kWord,
                       static_cast<uint32_t>(t2_->tid()),
                       FUTEX_BITSET_MATCH_ANY, std::nullopt);
  });
  ASSERT_TRUE(Eventually(
      [&] { return fm().WaiterCount(MakeFutexKey(*t1_, kWord, false)) == 1; }));
  t2_->ExitThread(0);
  w.join();
  EXPECT_TRUE(joined.ok());
  EXPECT_EQ(Load(kWord), 0u);
  EXPECT_EQ(Load(robust_word), FUTEX_OWNER_DIED | FUTEX_WAITERS);
}

}  // namespace
}  // namespace sentry::kernel
