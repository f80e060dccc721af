#include "sentry/mm/memory_manager.h"

#include <sys/syscall.h>

#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sentry/platform/platform.h"

namespace sentry::mm {
namespace {

constexpr uint64_t kP = kPageSize;

class MmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mf = MemoryFile::Create("mm-test", uint64_t{1} << 30);
    ASSERT_TRUE(mf.ok()) << mf.status();
    mf_ = std::move(*mf);
    mm_ = std::make_unique<MemoryManager>(mf_.get(), nullptr);
  }

  UserAddr MapAnon(uint64_t len, int prot = PROT_READ | PROT_WRITE,
                   uint64_t addr = 0, int extra_flags = 0) {
    MmapOpts o;
    o.addr = addr;
    o.length = len;
    o.prot = prot;
    o.flags = MAP_PRIVATE | MAP_ANONYMOUS | extra_flags;
    auto r = mm_->Mmap(o);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : UserAddr();
  }

  Errno MmapErr(MmapOpts o) {
    auto r = mm_->Mmap(o);
    EXPECT_FALSE(r.ok());
    return r.ok() ? Errno{0} : r.error();
  }

  uint8_t Peek(uint64_t a) {
    uint8_t b = 0xee;
    EXPECT_TRUE(mm_->CopyIn(UserAddr(a), &b, 1).ok()) << std::hex << a;
    return b;
  }
  void Poke(uint64_t a, uint8_t b) {
    ASSERT_TRUE(mm_->CopyOut(UserAddr(a), &b, 1).ok());
  }

  size_t VmaCount() {
    std::string maps = mm_->MapsText();
    return std::count(maps.begin(), maps.end(), '\n');
  }

  std::unique_ptr<MemoryFile> mf_;
  std::unique_ptr<MemoryManager> mm_;
};

TEST(MemoryFileTest, AllocateRefcountFreeReuseZeroed) {
  auto mf = MemoryFile::Create("mf-test", uint64_t{1} << 28);
  ASSERT_TRUE(mf.ok());
  auto a = (*mf)->Allocate(4);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a % kP, 0u);
  EXPECT_EQ((*mf)->RefCount(*a), 1u);
  std::memset((*mf)->Data(*a), 0xab, 4 * kP);
  (*mf)->IncRef(*a, 4);
  EXPECT_EQ((*mf)->RefCount(*a + kP), 2u);
  (*mf)->DecRef(*a, 4);
  (*mf)->DecRef(*a, 4);
  EXPECT_EQ((*mf)->UsedPages(), 0u);
  auto b = (*mf)->Allocate(4);  // first fit reuses the freed run
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, *a);
  EXPECT_EQ((*mf)->Data(*b)[0], 0);  // punched out: zero again
  EXPECT_EQ((*mf)->Data(*b)[4 * kP - 1], 0);
  EXPECT_FALSE((*mf)->Allocate(uint64_t{1} << 40).ok());
}

TEST_F(MmTest, MmapArgumentChecks) {
  MmapOpts o;
  o.prot = PROT_READ;
  o.length = 0;
  EXPECT_EQ(MmapErr(o), Errno{EINVAL});  // zero length
  o.length = kP;
  o.flags = MAP_ANONYMOUS;  // neither private nor shared
  EXPECT_EQ(MmapErr(o), Errno{EINVAL});
  o.flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
  o.addr = 0x400001;  // unaligned fixed
  EXPECT_EQ(MmapErr(o), Errno{EINVAL});
  o.addr = 0;
  o.flags = MAP_PRIVATE | MAP_ANONYMOUS;
  o.offset = 123;  // unaligned offset
  EXPECT_EQ(MmapErr(o), Errno{EINVAL});
  o.offset = 0;
  o.length = ~uint64_t{0} - 10;  // rounds past the end
  EXPECT_EQ(MmapErr(o), Errno{ENOMEM});
  o.length = kP;
  o.prot = 0x10;  // unknown prot bit
  EXPECT_EQ(MmapErr(o), Errno{EINVAL});
  // A read-only file cannot be mapped shared and writable.
  o.prot = PROT_READ | PROT_WRITE;
  o.flags = MAP_SHARED;
  o.file = std::make_shared<AnonymousMappable>(mf_.get(), kP, "/f");
  o.max_prot = PROT_READ;
  EXPECT_EQ(MmapErr(o), Errno{EACCES});
  // ...but privately it can (writes are private copies).
  o.flags = MAP_PRIVATE;
  EXPECT_TRUE(mm_->Mmap(o).ok());
}

TEST_F(MmTest, MmapPlacementHintFixedNoreplace) {
  UserAddr a = MapAnon(2 * kP);
  EXPECT_TRUE(a.IsPageAligned());
  EXPECT_GE(a.value(), 0x10000u);
  EXPECT_LT(a.value(), 0x7f0000000000u);
  UserAddr h = MapAnon(kP, PROT_READ, 0x40000000);  // free hint is honoured
  EXPECT_EQ(h.value(), 0x40000000u);
  UserAddr h2 = MapAnon(kP, PROT_READ, 0x40000000);  // taken: elsewhere
  EXPECT_NE(h2.value(), 0x40000000u);
  MmapOpts o;
  o.addr = 0x40000000;
  o.length = kP;
  o.prot = PROT_READ;
  o.flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
  EXPECT_EQ(MmapErr(o), Errno{EEXIST});
  // MAP_FIXED replaces: old contents are gone.
  Poke(a.value(), 7);
  UserAddr f = MapAnon(kP, PROT_READ | PROT_WRITE, a.value(), MAP_FIXED);
  EXPECT_EQ(f, a);
  EXPECT_EQ(Peek(a.value()), 0);
  UserAddr low = MapAnon(kP, PROT_READ, 0, MAP_32BIT);
  EXPECT_LE(low.value() + kP, 0x80000000u);
  o.addr = 0x1000;  // below mmap_min_addr
  o.flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
  EXPECT_EQ(MmapErr(o), Errno{EPERM});
}

TEST_F(MmTest, MunmapSplitsAndChecks) {
  UserAddr a = MapAnon(3 * kP);
  EXPECT_EQ(VmaCount(), 1u);
  EXPECT_TRUE(mm_->Munmap(UserAddr(a.value() + kP), kP).ok());
  EXPECT_EQ(VmaCount(), 2u);
  uint8_t b;
  EXPECT_FALSE(mm_->CopyIn(UserAddr(a.value() + kP), &b, 1).ok());
  EXPECT_TRUE(mm_->CopyIn(UserAddr(a.value() + 2 * kP), &b, 1).ok());
  EXPECT_EQ(mm_->Munmap(UserAddr(a.value() + 1), kP).error(), Errno{EINVAL});
  EXPECT_EQ(mm_->Munmap(a, 0).error(), Errno{EINVAL});
  EXPECT_TRUE(mm_->Munmap(UserAddr(0x50000000), kP).ok());  // a hole is fine
}

TEST_F(MmTest, MprotectSemantics) {
  UserAddr a = MapAnon(3 * kP);
  Poke(a.value() + kP, 5);
  EXPECT_TRUE(mm_->Mprotect(UserAddr(a.value() + kP), kP, PROT_READ).ok());
  EXPECT_EQ(VmaCount(), 3u);
  uint8_t b = 1;
  EXPECT_FALSE(
      mm_->CopyOut(UserAddr(a.value() + kP), &b, 1).ok());  // read-only now
  EXPECT_EQ(Peek(a.value() + kP), 5);
  EXPECT_TRUE(
      mm_->CopyOut(UserAddr(a.value() + kP), &b, 1, /*force=*/true).ok());
  EXPECT_TRUE(
      mm_->Mprotect(UserAddr(a.value() + kP), kP, PROT_READ | PROT_WRITE).ok());
  EXPECT_EQ(VmaCount(), 1u);  // merged back
  EXPECT_EQ(mm_->Mprotect(UserAddr(a.value() + 1), kP, PROT_READ).error(),
            Errno{EINVAL});
  EXPECT_EQ(mm_->Mprotect(a, 4 * kP, PROT_READ).error(),
            Errno{ENOMEM});  // runs off the end
  EXPECT_EQ(mm_->Mprotect(a, kP, 0x40).error(), Errno{EINVAL});
  // A shared read-only file mapping cannot be made writable.
  MmapOpts o;
  o.length = kP;
  o.prot = PROT_READ;
  o.flags = MAP_SHARED;
  o.file = std::make_shared<AnonymousMappable>(mf_.get(), kP, "/ro");
  o.max_prot = PROT_READ;
  auto f = mm_->Mmap(o);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(mm_->Mprotect(*f, kP, PROT_READ | PROT_WRITE).error(),
            Errno{EACCES});
  uint8_t none_probe;
  EXPECT_TRUE(mm_->Mprotect(a, kP, PROT_NONE).ok());
  EXPECT_FALSE(mm_->CopyIn(a, &none_probe, 1).ok());
}

TEST_F(MmTest, MremapShrinkGrowMove) {
  UserAddr a = MapAnon(4 * kP, PROT_READ | PROT_WRITE, 0x20000000);
  Poke(a.value(), 11);
  Poke(a.value() + 3 * kP, 33);
  // Shrink in place.
  auto r = mm_->Mremap(a, 4 * kP, 2 * kP, 0, UserAddr());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, a);
  uint8_t b;
  EXPECT_FALSE(mm_->CopyIn(UserAddr(a.value() + 3 * kP), &b, 1).ok());
  // Grow in place (the space after is free again).
  r = mm_->Mremap(a, 2 * kP, 4 * kP, 0, UserAddr());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, a);
  EXPECT_EQ(Peek(a.value() + 3 * kP), 0);  // new tail is zero
  // Block growth, then grow without MAYMOVE fails, with MAYMOVE moves.
  MapAnon(kP, PROT_READ, a.value() + 4 * kP, MAP_FIXED);
  EXPECT_EQ(mm_->Mremap(a, 4 * kP, 8 * kP, 0, UserAddr()).error(),
            Errno{ENOMEM});
  r = mm_->Mremap(a, 4 * kP, 8 * kP, MREMAP_MAYMOVE, UserAddr());
  ASSERT_TRUE(r.ok());
  EXPECT_NE(*r, a);
  EXPECT_EQ(Peek(r->value()), 11);           // contents moved
  EXPECT_FALSE(mm_->CopyIn(a, &b, 1).ok());  // old range gone
  // MREMAP_FIXED.
  auto f = mm_->Mremap(*r, 8 * kP, kP, MREMAP_MAYMOVE | MREMAP_FIXED,
                       UserAddr(0x30000000));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->value(), 0x30000000u);
  EXPECT_EQ(Peek(0x30000000), 11);
  EXPECT_EQ(mm_->Mremap(*f, kP, kP, MREMAP_FIXED, UserAddr(0x31000000)).error(),
            Errno{EINVAL});
  EXPECT_EQ(
      mm_->Mremap(UserAddr(0x60000000), kP, 2 * kP, MREMAP_MAYMOVE, UserAddr())
          .error(),
      Errno{EFAULT});
  EXPECT_EQ(mm_->Mremap(*f, kP, 0, MREMAP_MAYMOVE, UserAddr()).error(),
            Errno{EINVAL});
  EXPECT_EQ(mm_->Mremap(*f, kP, kP, 0x100, UserAddr()).error(), Errno{EINVAL});
}

TEST_F(MmTest, MremapZeroOldLenDuplicatesSharedMapping) {
  MmapOpts o;
  o.length = kP;
  o.prot = PROT_READ | PROT_WRITE;
  o.flags = MAP_SHARED | MAP_ANONYMOUS;
  auto s = mm_->Mmap(o);
  ASSERT_TRUE(s.ok());
  auto d = mm_->Mremap(*s, 0, kP, MREMAP_MAYMOVE, UserAddr());
  ASSERT_TRUE(d.ok());
  EXPECT_NE(*d, *s);
  Poke(s->value(), 77);
  EXPECT_EQ(Peek(d->value()), 77);  // the same pages
  UserAddr p = MapAnon(kP);
  EXPECT_EQ(mm_->Mremap(p, 0, kP, MREMAP_MAYMOVE, UserAddr()).error(),
            Errno{EINVAL});
  EXPECT_EQ(mm_->Mremap(*s, 0, kP, 0, UserAddr()).error(), Errno{EINVAL});
}

TEST_F(MmTest, BrkGrowShrink) {
  mm_->SetBrkStart(UserAddr(0x600000));
  EXPECT_EQ(mm_->Brk(UserAddr(0)).value(), 0x600000u);  // query
  EXPECT_EQ(mm_->Brk(UserAddr(0x603000)).value(), 0x603000u);
  Poke(0x602fff, 9);
  EXPECT_THAT(mm_->MapsText(), ::testing::HasSubstr("[heap]"));
  EXPECT_EQ(mm_->Brk(UserAddr(0x500000)).value(),
            0x603000u);  // below start: refused
  EXPECT_EQ(mm_->Brk(UserAddr(0x601000)).value(), 0x601000u);  // shrink
  uint8_t b;
  EXPECT_FALSE(mm_->CopyIn(UserAddr(0x602000), &b, 1).ok());
  EXPECT_EQ(mm_->Brk(UserAddr(0x603000)).value(), 0x603000u);
  EXPECT_EQ(Peek(0x602fff), 0);  // fresh memory after regrow
  // Growth into another mapping fails and keeps the old break.
  MapAnon(kP, PROT_READ, 0x604000, MAP_FIXED);
  EXPECT_EQ(mm_->Brk(UserAddr(0x606000)).value(), 0x603000u);
}

TEST_F(MmTest, MadviseDontneedPrivateVsShared) {
  UserAddr a = MapAnon(2 * kP);
  Poke(a.value(), 1);
  EXPECT_TRUE(mm_->Madvise(a, 2 * kP, MADV_DONTNEED).ok());
  EXPECT_EQ(Peek(a.value()), 0);  // private anonymous: zero-filled again
  MmapOpts o;
  o.length = kP;
  o.prot = PROT_READ | PROT_WRITE;
  o.flags = MAP_SHARED | MAP_ANONYMOUS;
  auto s = mm_->Mmap(o);
  ASSERT_TRUE(s.ok());
  Poke(s->value(), 2);
  EXPECT_TRUE(mm_->Madvise(*s, kP, MADV_DONTNEED).ok());
  EXPECT_EQ(Peek(s->value()), 2);  // shared: data stays
  EXPECT_EQ(mm_->Madvise(a, kP, 12345).error(), Errno{EINVAL});
  EXPECT_EQ(mm_->Madvise(UserAddr(a.value() + 1), kP, MADV_NORMAL).error(),
            Errno{EINVAL});
  EXPECT_EQ(mm_->Madvise(a, 16 * kP, MADV_NORMAL).error(),
            Errno{ENOMEM});  // hole
}

TEST_F(MmTest, MincoreAndPopulate) {
  UserAddr a = MapAnon(4 * kP);
  Poke(a.value() + 2 * kP, 1);
  auto v = mm_->Mincore(a, 4 * kP);
  ASSERT_TRUE(v.ok());
  EXPECT_THAT(*v, ::testing::ElementsAre(0, 0, 1, 0));
  UserAddr p = MapAnon(3 * kP, PROT_READ | PROT_WRITE, 0, MAP_POPULATE);
  v = mm_->Mincore(p, 3 * kP);
  ASSERT_TRUE(v.ok());
  EXPECT_THAT(*v, ::testing::ElementsAre(1, 1, 1));
  EXPECT_EQ(mm_->Mincore(UserAddr(a.value() + 1), kP).error(), Errno{EINVAL});
  EXPECT_EQ(mm_->Mincore(a, 32 * kP).error(), Errno{ENOMEM});
}

TEST_F(MmTest, MsyncChecks) {
  UserAddr a = MapAnon(kP);
  EXPECT_TRUE(mm_->Msync(a, kP, MS_SYNC).ok());
  EXPECT_EQ(mm_->Msync(a, kP, MS_SYNC | MS_ASYNC).error(), Errno{EINVAL});
  EXPECT_EQ(mm_->Msync(a, kP, 0x100).error(), Errno{EINVAL});
  EXPECT_EQ(mm_->Msync(UserAddr(a.value() + 1), kP, MS_SYNC).error(),
            Errno{EINVAL});
  EXPECT_EQ(mm_->Msync(a, 2 * kP, MS_SYNC).error(), Errno{ENOMEM});
  ASSERT_TRUE(mm_->Mlock(a, kP).ok());
  EXPECT_EQ(mm_->Msync(a, kP, MS_INVALIDATE).error(), Errno{EBUSY});
}

TEST_F(MmTest, MlockAccounting) {
  MemoryManagerLimits lim;
  lim.memlock_limit = 2 * kP;
  mm_->SetLimits(lim);
  UserAddr a = MapAnon(4 * kP);
  EXPECT_TRUE(
      mm_->Mlock(UserAddr(a.value() + 100), kP).ok());  // rounds to 2 pages
  EXPECT_EQ(mm_->LockedBytes(), 2 * kP);
  EXPECT_EQ(mm_->Mlock(a, 3 * kP).error(), Errno{ENOMEM});  // over the limit
  auto v = mm_->Mincore(a, 2 * kP);
  EXPECT_THAT(*v, ::testing::ElementsAre(1, 1));  // mlock populates
  EXPECT_TRUE(mm_->Munlock(a, 4 * kP).ok());
  EXPECT_EQ(mm_->LockedBytes(), 0u);
  EXPECT_EQ(mm_->Mlock(UserAddr(0x70000000), kP).error(),
            Errno{ENOMEM});  // unmapped
  EXPECT_EQ(mm_->Mlockall(0).error(), Errno{EINVAL});
  EXPECT_EQ(mm_->Mlockall(MCL_CURRENT).error(), Errno{ENOMEM});  // 4 pages > 2
  lim.memlock_limit = ~uint64_t{0};
  mm_->SetLimits(lim);
  EXPECT_TRUE(mm_->Mlockall(MCL_CURRENT | MCL_FUTURE).ok());
  EXPECT_EQ(mm_->LockedBytes(), 4 * kP);
  MapAnon(kP);  // MCL_FUTURE: locked too
  EXPECT_EQ(mm_->LockedBytes(), 5 * kP);
  EXPECT_TRUE(mm_->Munlockall().ok());
  EXPECT_EQ(mm_->LockedBytes(), 0u);
  lim.memlock_limit = 0;
  mm_->SetLimits(lim);
  EXPECT_EQ(mm_->Mlock(a, kP).error(), Errno{EPERM});
}

TEST_F(MmTest, CopyAcrossPagesAndPartial) {
  UserAddr a = MapAnon(2 * kP);
  std::string data(3000, 'x');
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>('a' + i % 26);
  UserAddr mid(a.value() + kP - 1000);  // straddles the boundary
  ASSERT_TRUE(mm_->CopyOut(mid, data.data(), data.size()).ok());
  std::string back(data.size(), 0);
  ASSERT_TRUE(mm_->CopyIn(mid, back.data(), back.size()).ok());
  EXPECT_EQ(back, data);
  // Runs off the end of the mapping: partial count, then EFAULT.
  UserAddr tail(a.value() + 2 * kP - 100);
  EXPECT_EQ(mm_->CopyOutPartial(tail, data.data(), 1000), 100u);
  EXPECT_EQ(mm_->CopyInPartial(tail, back.data(), 1000), 100u);
  EXPECT_EQ(mm_->CopyOut(tail, data.data(), 1000).error(), Errno{EFAULT});
  // Address arithmetic that wraps is a fault, not a wrap-around.
  EXPECT_EQ(mm_->CopyInPartial(UserAddr(~uint64_t{0} - 10), back.data(), 100),
            0u);
  // Null and unmapped.
  EXPECT_EQ(mm_->CopyIn(UserAddr(0), back.data(), 1).error(), Errno{EFAULT});
  // Typed helpers.
  UserPtr<uint64_t> p(a);
  ASSERT_TRUE(mm_->CopyOutObj(p, uint64_t{0x1122334455667788}).ok());
  auto v = mm_->CopyInObj(p);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0x1122334455667788u);
  EXPECT_FALSE(UserPtr<uint64_t>(UserAddr(~uint64_t{0} - 4)).At(1).has_value());
}

TEST_F(MmTest, CopyInString) {
  UserAddr a = MapAnon(2 * kP);
  const char s[] = "hello, sentry";
  UserAddr at(a.value() + kP - 5);  // crosses a page
  ASSERT_TRUE(mm_->CopyOut(at, s, sizeof(s)).ok());
  auto r = mm_->CopyInString(at, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "hello, sentry");
  EXPECT_EQ(mm_->CopyInString(at, 5).error(), Errno{ENAMETOOLONG});
  // No NUL before the end of the mapping: EFAULT.
  std::string fill(200, 'z');
  ASSERT_TRUE(
      mm_->CopyOut(UserAddr(a.value() + 2 * kP - 200), fill.data(), 200).ok());
  EXPECT_EQ(mm_->CopyInString(UserAddr(a.value() + 2 * kP - 200), 4096).error(),
            Errno{EFAULT});
}

TEST_F(MmTest, ForkIsCopyOnWrite) {
  UserAddr a = MapAnon(2 * kP);
  Poke(a.value(), 1);
  auto child = mm_->Fork(nullptr);
  ASSERT_TRUE(child.ok());
  // Frames are shared until a write.
  EXPECT_EQ(mf_->UsedPages(), (*child)->ResidentPages());
  Poke(a.value(), 2);  // parent writes: gets its own copy
  uint8_t b = 0;
  ASSERT_TRUE((*child)->CopyIn(a, &b, 1).ok());
  EXPECT_EQ(b, 1);
  b = 3;
  ASSERT_TRUE((*child)->CopyOut(a, &b, 1).ok());
  EXPECT_EQ(Peek(a.value()), 2);
  // Shared mappings stay shared.
  MmapOpts o;
  o.length = kP;
  o.prot = PROT_READ | PROT_WRITE;
  o.flags = MAP_SHARED | MAP_ANONYMOUS;
  auto s = mm_->Mmap(o);
  ASSERT_TRUE(s.ok());
  auto child2 = mm_->Fork(nullptr);
  ASSERT_TRUE(child2.ok());
  b = 42;
  ASSERT_TRUE((*child2)->CopyOut(*s, &b, 1).ok());
  EXPECT_EQ(Peek(s->value()), 42);
  // MADV_DONTFORK ranges are absent in the child.
  ASSERT_TRUE(mm_->Madvise(a, kP, MADV_DONTFORK).ok());
  auto child3 = mm_->Fork(nullptr);
  ASSERT_TRUE(child3.ok());
  EXPECT_FALSE((*child3)->CopyIn(a, &b, 1).ok());
}

TEST_F(MmTest, PrivateFileMappingCopiesOnWrite) {
  auto file =
      std::make_shared<AnonymousMappable>(mf_.get(), 2 * kP, "/lib/data");
  ASSERT_TRUE(file->Write(0, "file", 4).ok());
  MmapOpts o;
  o.length = 2 * kP;
  o.prot = PROT_READ | PROT_WRITE;
  o.flags = MAP_PRIVATE;
  o.file = file;
  auto m = mm_->Mmap(o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Peek(m->value()), 'f');
  Poke(m->value(), 'F');
  char c;
  ASSERT_TRUE(file->Read(0, &c, 1).ok());
  EXPECT_EQ(c, 'f');  // the file is untouched
  o.flags = MAP_SHARED;
  auto s = mm_->Mmap(o);
  ASSERT_TRUE(s.ok());
  Poke(s->value() + 1, 'I');
  ASSERT_TRUE(file->Read(1, &c, 1).ok());
  EXPECT_EQ(c, 'I');  // shared writes reach the file
  // Beyond the end of the object: SIGBUS.
  o.length = 4 * kP;
  auto big = mm_->Mmap(o);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(mm_->HandleFault(UserAddr(big->value() + 3 * kP),
                             platform::AccessType::kRead),
            FaultResult::kBus);
}

TEST_F(MmTest, FaultsChecksAndStackGrowth) {
  UserAddr ro = MapAnon(kP, PROT_READ);
  EXPECT_EQ(mm_->HandleFault(ro, platform::AccessType::kRead),
            FaultResult::kOk);
  EXPECT_EQ(mm_->HandleFault(ro, platform::AccessType::kWrite),
            FaultResult::kSegvAccErr);
  EXPECT_EQ(mm_->HandleFault(ro, platform::AccessType::kExec),
            FaultResult::kSegvAccErr);
  EXPECT_EQ(mm_->HandleFault(UserAddr(0x20000000), platform::AccessType::kRead),
            FaultResult::kSegvMapErr);
  UserAddr st =
      MapAnon(kP, PROT_READ | PROT_WRITE, 0x7000000, MAP_FIXED | MAP_GROWSDOWN);
  EXPECT_EQ(mm_->HandleFault(UserAddr(st.value() - 3 * kP + 8),
                             platform::AccessType::kWrite),
            FaultResult::kOk);
  EXPECT_EQ(Peek(st.value() - 3 * kP), 0);  // now part of the stack
  EXPECT_EQ(mm_->HandleFault(UserAddr(st.value() - (64 << 20)),
                             platform::AccessType::kWrite),
            FaultResult::kSegvMapErr);  // beyond RLIMIT_STACK
}

TEST_F(MmTest, MapsText) {
  MapAnon(kP, PROT_READ | PROT_EXEC, 0x400000, MAP_FIXED);
  auto file = std::make_shared<AnonymousMappable>(mf_.get(), kP, "/bin/true");
  file->set_inode(1234);
  MmapOpts o;
  o.addr = 0x500000;
  o.length = kP;
  o.prot = PROT_READ;
  o.flags = MAP_SHARED | MAP_FIXED;
  o.file = file;
  ASSERT_TRUE(mm_->Mmap(o).ok());
  std::string maps = mm_->MapsText();
  // Anonymous lines end with "0 " like Linux's.
  EXPECT_THAT(
      maps, ::testing::HasSubstr("00400000-00401000 r-xp 00000000 00:00 0 \n"));
  EXPECT_THAT(
      maps, ::testing::HasSubstr("00500000-00501000 r--s 00000000 00:00 1234"));
  EXPECT_THAT(maps, ::testing::HasSubstr("       /bin/true\n"));
  // The name starts at column 74, as in Linux.
  size_t line = maps.find("00500000");
  EXPECT_EQ(maps.find("/bin/true") - line, 73u);
}

// End to end with the ptrace platform: faults served lazily, and fork COW
// seen by application code running in two stubs.
class MmPlatformTest : public MmTest {
 protected:
  void SetUp() override {
    MmTest::SetUp();
    auto p = platform::NewPlatform("ptrace", mf_->fd());
    ASSERT_TRUE(p.ok()) << p.status();
    platform_ = std::move(*p);
    auto as = platform_->NewAddressSpace();
    ASSERT_TRUE(as.ok());
    mm_ = std::make_unique<MemoryManager>(mf_.get(), std::move(*as));
    auto ctx = platform_->NewContext();
    ASSERT_TRUE(ctx.ok());
    ctx_ = std::move(*ctx);
  }
  void TearDown() override {
    ctx_.reset();
    mm_.reset();
  }

  // Runs until a syscall, serving faults; returns the syscall number or -1
  // on a fatal fault.
  int64_t RunToSyscall(MemoryManager* mm, arch::Registers& regs, int* faults) {
    for (;;) {
      auto r = ctx_->Switch(*mm->address_space(), regs);
      if (r.kind == platform::StopReason::Kind::kSyscall)
        return regs.SyscallNo();
      if (r.kind != platform::StopReason::Kind::kFault) return -2;
      ++*faults;
      if (mm->HandleFault(UserAddr(r.fault_addr), r.access) != FaultResult::kOk)
        return -1;
    }
  }

  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<platform::Context> ctx_;
};

TEST_F(MmPlatformTest, LazyFaultsAndCowFork) {
  // Code: movb $1,(%rbx); syscall(39); movzbl (%rbx),%edi; syscall(231)
  const std::vector<uint8_t> code = {
      0xc6, 0x03, 0x01,                    // movb $1,(%rbx)
      0xb8, 39,   0,    0, 0, 0x0f, 0x05,  // getpid
      0x0f, 0xb6, 0x3b,                    // movzbl (%rbx),%edi
      0xb8, 231,  0,    0, 0, 0x0f, 0x05};
  UserAddr text = MapAnon(kP, PROT_READ | PROT_EXEC, 0x400000, MAP_FIXED);
  ASSERT_TRUE(
      mm_->CopyOut(text, code.data(), code.size(), /*force=*/true).ok());
  UserAddr data = MapAnon(kP, PROT_READ | PROT_WRITE, 0x600000, MAP_FIXED);
  arch::Registers regs;
  regs.set_ip(text.value());
  regs.gp().rbx = data.value();
  int faults = 0;
  ASSERT_EQ(RunToSyscall(mm_.get(), regs, &faults), SYS_getpid);
  EXPECT_GE(faults, 2);              // text and data were faulted in lazily
  EXPECT_EQ(Peek(data.value()), 1);  // the application's write reached our view

  // Fork: the child continues from the same registers in its own stub.
  auto child_as = platform_->NewAddressSpace();
  ASSERT_TRUE(child_as.ok());
  auto child = mm_->Fork(std::move(*child_as));
  ASSERT_TRUE(child.ok());
  arch::Registers child_regs = regs;
  // The parent's view changes after the fork; the child must not see it.
  uint8_t two = 2;
  ASSERT_TRUE(mm_->CopyOut(data, &two, 1).ok());
  faults = 0;
  ASSERT_EQ(RunToSyscall(child->get(), child_regs, &faults), SYS_exit_group);
  EXPECT_EQ(child_regs.SyscallArg(0), 1u);
  faults = 0;
  ASSERT_EQ(RunToSyscall(mm_.get(), regs, &faults), SYS_exit_group);
  EXPECT_EQ(regs.SyscallArg(0), 2u);

  // And the other direction: the child's application write is private.
  child_regs.set_ip(text.value());
  regs.set_ip(text.value() + 3);  // parent skips the store
  ASSERT_TRUE(mm_->CopyOut(data, &two, 1).ok());
  faults = 0;
  ASSERT_EQ(RunToSyscall(child->get(), child_regs, &faults), SYS_getpid);
  ASSERT_EQ(RunToSyscall(mm_.get(), regs, &faults), SYS_getpid);
  ASSERT_EQ(RunToSyscall(mm_.get(), regs, &faults), SYS_exit_group);
  EXPECT_EQ(regs.SyscallArg(0), 2u);
}

TEST_F(MmPlatformTest, MunmapAndMprotectReachTheStub) {
  const std::vector<uint8_t> code = {0x0f, 0xb6, 0x3b,  // movzbl (%rbx),%edi
                                     0xb8, 231,  0,    0, 0, 0x0f, 0x05};
  UserAddr text = MapAnon(kP, PROT_READ | PROT_EXEC, 0x400000, MAP_FIXED);
  ASSERT_TRUE(mm_->CopyOut(text, code.data(), code.size(), true).ok());
  UserAddr data = MapAnon(kP, PROT_READ | PROT_WRITE, 0x600000, MAP_FIXED);
  Poke(data.value(), 9);
  arch::Registers regs;
  regs.set_ip(text.value());
  regs.gp().rbx = data.value();
  int faults = 0;
  ASSERT_EQ(RunToSyscall(mm_.get(), regs, &faults), SYS_exit_group);
  EXPECT_EQ(regs.SyscallArg(0), 9u);
  // After munmap the same load must fault fatally, even though the stub had
  // the page mapped.
  ASSERT_TRUE(mm_->Munmap(data, kP).ok());
  regs.set_ip(text.value());
  EXPECT_EQ(RunToSyscall(mm_.get(), regs, &faults), -1);
  // PROT_NONE likewise.
  data = MapAnon(kP, PROT_READ | PROT_WRITE, 0x600000, MAP_FIXED);
  regs.set_ip(text.value());
  ASSERT_EQ(RunToSyscall(mm_.get(), regs, &faults), SYS_exit_group);
  ASSERT_TRUE(mm_->Mprotect(data, kP, PROT_NONE).ok());
  regs.set_ip(text.value());
  EXPECT_EQ(RunToSyscall(mm_.get(), regs, &faults), -1);
}

}  // namespace
}  // namespace sentry::mm
