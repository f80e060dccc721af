// brk: the program break, through the raw syscall (glibc's sbrk caches it).
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

uintptr_t Brk(uintptr_t addr) { return syscall(SYS_brk, addr); }

TEST(BrkTest, QueryReturnsCurrentBreak) {
  uintptr_t cur = Brk(0);
  EXPECT_NE(cur, 0u);
  EXPECT_EQ(Brk(0), cur);
}

TEST(BrkTest, GrowWriteShrink) {
  uintptr_t cur = Brk(0);
  const uintptr_t want = cur + 64 * 1024;
  ASSERT_EQ(Brk(want), want);
  // The new memory is usable and starts zeroed.
  volatile char* p = reinterpret_cast<char*>(cur);
  for (uintptr_t i = 0; i < 64 * 1024; i += 4096) {
    EXPECT_EQ(p[i], 0);
    p[i] = 1;
  }
  p[64 * 1024 - 1] = 2;
  ASSERT_EQ(Brk(cur), cur);
  // Growing again gives zeroed pages, not the old contents.
  ASSERT_EQ(Brk(want), want);
  EXPECT_EQ(p[4096], 0);
  ASSERT_EQ(Brk(cur), cur);
}

TEST(BrkTest, UnalignedBreakIsKept) {
  uintptr_t cur = Brk(0);
  ASSERT_EQ(Brk(cur + 10), cur + 10);
  reinterpret_cast<volatile char*>(cur)[9] = 1;
  ASSERT_EQ(Brk(cur), cur);
}

TEST(BrkTest, ImpossibleRequestReturnsOldBreak) {
  uintptr_t cur = Brk(0);
  // Far below the start, or absurdly high: brk fails by returning the old
  // break.
  EXPECT_EQ(Brk(1), cur);
  EXPECT_EQ(Brk(~uintptr_t{0} - 4096), cur);
  EXPECT_EQ(Brk(0), cur);
}

TEST(BrkTest, SbrkWorks) {
  void* before = sbrk(0);
  ASSERT_NE(before, reinterpret_cast<void*>(-1));
  void* old = sbrk(8192);
  ASSERT_NE(old, reinterpret_cast<void*>(-1));
  EXPECT_EQ(old, before);
  static_cast<volatile char*>(old)[8191] = 1;
  EXPECT_EQ(sbrk(-8192), static_cast<char*>(before) + 8192);
  EXPECT_EQ(sbrk(0), before);
}

TEST(BrkTest, ChildInheritsBreak) {
  uintptr_t cur = Brk(0);
  ASSERT_EQ(Brk(cur + 4096), cur + 4096);
  reinterpret_cast<volatile char*>(cur)[0] = 'b';
  EXPECT_CHILD_SUCCEEDS([&] {
    EXPECT_EQ(Brk(0), cur + 4096);
    EXPECT_EQ(reinterpret_cast<volatile char*>(cur)[0], 'b');
  });
  Brk(cur);
}

}  // namespace
}  // namespace syscall_test
