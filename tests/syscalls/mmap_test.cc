// mmap, munmap, mprotect, mremap, madvise, mincore, msync, mlock.
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/syscalls/util/test_util.h"

namespace syscall_test {
namespace {

const size_t kPage = sysconf(_SC_PAGESIZE);

class MmapTest : public TempDirTest {};

// Reserves `pages` of address space (PROT_NONE) and returns its start.
char* Reserve(size_t pages) {
  void* p = mmap(nullptr, pages * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

TEST_F(MmapTest, AnonymousIsZeroedAndWritable) {
  void* p = mmap(nullptr, 3 * kPage, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kPage, 0u);
  char* c = static_cast<char*>(p);
  for (size_t i = 0; i < 3 * kPage; i += 512) EXPECT_EQ(c[i], 0);
  memset(c, 0x5a, 3 * kPage);
  EXPECT_EQ(c[3 * kPage - 1], 0x5a);
  EXPECT_THAT(munmap(p, 3 * kPage), SyscallSucceeds());
}

TEST_F(MmapTest, InvalidArguments) {
  EXPECT_EQ(mmap(nullptr, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  // Neither MAP_PRIVATE nor MAP_SHARED.
  EXPECT_EQ(mmap(nullptr, kPage, PROT_READ, MAP_ANONYMOUS, -1, 0), MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  // Unaligned offset.
  WriteFile(Path("f"), std::string(kPage * 2, 'x'));
  Fd fd(open(Path("f").c_str(), O_RDONLY));
  EXPECT_EQ(mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE, fd.get(), 1),
            MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  // Bad fd.
  EXPECT_EQ(mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE, -1, 0), MAP_FAILED);
  EXPECT_EQ(errno, EBADF);
  // Shared writable mapping of a read-only descriptor.
  EXPECT_EQ(
      mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0),
      MAP_FAILED);
  EXPECT_EQ(errno, EACCES);
  EXPECT_THAT(munmap(reinterpret_cast<void*>(kPage + 1), kPage),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(MmapTest, PrivateFileMappingIsCopyOnWrite) {
  WriteFile(Path("f"), "file contents");
  Fd fd(open(Path("f").c_str(), O_RDWR));
  char* p = static_cast<char*>(
      mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get(), 0));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(std::string(p, 13), "file contents");
  // Past EOF within the page reads as zero.
  EXPECT_EQ(p[100], 0);
  p[0] = 'F';
  EXPECT_EQ(ReadFile(Path("f")), "file contents");
  munmap(p, kPage);
}

TEST_F(MmapTest, SharedFileMappingWritesThrough) {
  WriteFile(Path("f"), std::string(kPage, '.'));
  Fd fd(open(Path("f").c_str(), O_RDWR));
  char* p = static_cast<char*>(
      mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0));
  ASSERT_NE(p, MAP_FAILED);
  memcpy(p, "shared", 6);
  EXPECT_THAT(msync(p, kPage, MS_SYNC), SyscallSucceeds());
  char buf[6];
  EXPECT_THAT(pread(fd.get(), buf, 6, 0), SyscallSucceedsWithValue(6));
  EXPECT_EQ(std::string(buf, 6), "shared");
  // A write through the fd shows in the mapping.
  ASSERT_THAT(pwrite(fd.get(), "W", 1, 10), SyscallSucceeds());
  EXPECT_EQ(p[10], 'W');
  EXPECT_THAT(msync(p + 1, kPage, MS_SYNC), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

TEST_F(MmapTest, SharedAnonymousVisibleAcrossFork) {
  int* p = static_cast<int*>(mmap(nullptr, kPage, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  int* q = static_cast<int*>(mmap(nullptr, kPage, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(q, MAP_FAILED);
  EXPECT_CHILD_SUCCEEDS([&] {
    *p = 42;
    *q = 42;
  });
  EXPECT_EQ(*p, 42);
  EXPECT_EQ(*q, 0);  // Private memory is copied on fork.
  munmap(p, kPage);
  munmap(q, kPage);
}

TEST_F(MmapTest, MapFixedReplaces) {
  char* base = Reserve(4);
  ASSERT_NE(base, nullptr);
  void* p = mmap(base + kPage, kPage, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  ASSERT_EQ(p, base + kPage);
  base[kPage] = 1;
  EXPECT_EQ(base[kPage], 1);
  munmap(base, 4 * kPage);
}

TEST_F(MmapTest, MapFixedNoReplace) {
  char* base = Reserve(2);
  ASSERT_NE(base, nullptr);
  void* p = mmap(base, kPage, PROT_READ,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  EXPECT_EQ(p, MAP_FAILED);
  EXPECT_EQ(errno, EEXIST);
  ASSERT_THAT(munmap(base + kPage, kPage), SyscallSucceeds());
  p = mmap(base + kPage, kPage, PROT_READ,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  EXPECT_EQ(p, base + kPage);
  munmap(base, 2 * kPage);
}

TEST_F(MmapTest, HintIsNotFixed) {
  char* base = Reserve(1);
  ASSERT_NE(base, nullptr);
  void* p = mmap(base, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_NE(p, base);  // Occupied: the hint is not honoured, nothing replaced.
  munmap(p, kPage);
  munmap(base, kPage);
}

// Runs `fn` in a child and returns the signal that killed it (0 if none).
int FaultingChild(const std::function<void()>& fn) {
  int status = RunInChild([&] {
    signal(SIGSEGV, SIG_DFL);
    fn();
  });
  return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

TEST_F(MmapTest, MprotectRemovesAccess) {
  char* p = static_cast<char*>(mmap(nullptr, kPage, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 7;
  ASSERT_THAT(mprotect(p, kPage, PROT_READ), SyscallSucceeds());
  EXPECT_EQ(p[0], 7);
  EXPECT_EQ(FaultingChild([&] { *static_cast<volatile char*>(p) = 1; }),
            SIGSEGV);
  ASSERT_THAT(mprotect(p, kPage, PROT_NONE), SyscallSucceeds());
  EXPECT_EQ(FaultingChild([&] { (void)*static_cast<volatile char*>(p); }),
            SIGSEGV);
  ASSERT_THAT(mprotect(p, kPage, PROT_READ | PROT_WRITE), SyscallSucceeds());
  EXPECT_EQ(p[0], 7);
  EXPECT_THAT(mprotect(p + 1, kPage, PROT_READ), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

sigjmp_buf g_jmp;
volatile void* g_fault_addr;
volatile int g_fault_code;
void SegvHandler(int, siginfo_t* info, void*) {
  g_fault_addr = info->si_addr;
  g_fault_code = info->si_code;
  siglongjmp(g_jmp, 1);
}

TEST_F(MmapTest, SegvSiginfoCarriesFaultAddress) {
  char* p = static_cast<char*>(
      mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_CHILD_SUCCEEDS([&] {
    struct sigaction sa = {};
    sa.sa_sigaction = SegvHandler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, nullptr);
    if (sigsetjmp(g_jmp, 1) == 0) {
      static_cast<volatile char*>(p)[123] = 1;
      ADD_FAILURE() << "write to read-only page did not fault";
    }
    EXPECT_EQ(g_fault_addr, p + 123);
    EXPECT_EQ(g_fault_code, SEGV_ACCERR);  // Mapped, wrong permission.
    // An unmapped address: SEGV_MAPERR. The handler ran and returned by
    // siglongjmp, which restored the mask, so SIGSEGV can be caught again.
    char* hole = static_cast<char*>(
        mmap(nullptr, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(hole, MAP_FAILED);
    munmap(hole, kPage);
    if (sigsetjmp(g_jmp, 1) == 0) {
      (void)static_cast<volatile char*>(hole)[8];
      ADD_FAILURE() << "read of an unmapped page did not fault";
    }
    EXPECT_EQ(g_fault_addr, hole + 8);
    EXPECT_EQ(g_fault_code, SEGV_MAPERR);
  });
  munmap(p, kPage);
}

TEST_F(MmapTest, MunmapPunchesHole) {
  char* p = static_cast<char*>(mmap(nullptr, 3 * kPage, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_THAT(munmap(p + kPage, kPage), SyscallSucceeds());
  p[0] = 1;
  p[2 * kPage] = 2;
  EXPECT_EQ(
      FaultingChild([&] { (void)*static_cast<volatile char*>(p + kPage); }),
      SIGSEGV);
  unsigned char vec[3];
  EXPECT_THAT(mincore(p, 3 * kPage, vec), SyscallFailsWithErrno(ENOMEM));
  munmap(p, 3 * kPage);
  // Unmapping nothing is fine.
  EXPECT_THAT(munmap(p, 3 * kPage), SyscallSucceeds());
}

TEST_F(MmapTest, MremapGrowInPlaceOrMove) {
  char* p = static_cast<char*>(mmap(nullptr, kPage, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  strcpy(p, "keep me");
  // Block in-place growth so the move is forced.
  char* blocker = static_cast<char*>(
      mmap(p + kPage, kPage, PROT_READ,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
  if (blocker != p + kPage) {
    if (blocker != MAP_FAILED) munmap(blocker, kPage);
    blocker = nullptr;
  }
  if (blocker != nullptr) {
    EXPECT_EQ(mremap(p, kPage, 4 * kPage, 0), MAP_FAILED);
    EXPECT_EQ(errno, ENOMEM);
  }
  char* q = static_cast<char*>(mremap(p, kPage, 4 * kPage, MREMAP_MAYMOVE));
  ASSERT_NE(q, MAP_FAILED);
  EXPECT_STREQ(q, "keep me");
  q[4 * kPage - 1] = 1;  // The new part is usable and zeroed before.
  EXPECT_EQ(q[3 * kPage], 0);
  // Shrink in place.
  EXPECT_EQ(mremap(q, 4 * kPage, kPage, 0), q);
  munmap(q, kPage);
  if (blocker) munmap(blocker, kPage);
}

TEST_F(MmapTest, MremapFixed) {
  char* src = static_cast<char*>(mmap(nullptr, kPage, PROT_READ | PROT_WRITE,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  char* dst = Reserve(2);
  ASSERT_NE(src, MAP_FAILED);
  ASSERT_NE(dst, nullptr);
  src[0] = 'm';
  char* r = static_cast<char*>(
      mremap(src, kPage, kPage, MREMAP_MAYMOVE | MREMAP_FIXED, dst + kPage));
  ASSERT_EQ(r, dst + kPage);
  EXPECT_EQ(r[0], 'm');
  EXPECT_EQ(FaultingChild([&] { (void)*static_cast<volatile char*>(src); }),
            SIGSEGV);
  munmap(dst, 2 * kPage);
}

TEST_F(MmapTest, MadviseDontneedZeroesPrivateAnon) {
  char* p = static_cast<char*>(mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  memset(p, 'x', 2 * kPage);
  ASSERT_THAT(madvise(p, kPage, MADV_DONTNEED), SyscallSucceeds());
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[kPage - 1], 0);
  EXPECT_EQ(p[kPage], 'x');
  EXPECT_THAT(madvise(p, kPage, 12345), SyscallFailsWithErrno(EINVAL));
  munmap(p, 2 * kPage);
}

TEST_F(MmapTest, MadviseDontneedRefaultsPrivateFileFromFile) {
  WriteFile(Path("f"), std::string(kPage, 'f'));
  Fd fd(open(Path("f").c_str(), O_RDONLY));
  char* p = static_cast<char*>(
      mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get(), 0));
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 'X';
  ASSERT_THAT(madvise(p, kPage, MADV_DONTNEED), SyscallSucceeds());
  EXPECT_EQ(p[0], 'f');
  munmap(p, kPage);
}

TEST_F(MmapTest, Mincore) {
  char* p = static_cast<char*>(mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 1;
  unsigned char vec[2] = {0xff, 0xff};
  ASSERT_THAT(mincore(p, 2 * kPage, vec), SyscallSucceeds());
  EXPECT_EQ(vec[0] & 1, 1);
  EXPECT_EQ(vec[0] & ~1, 0);  // Only the low bit is defined.
  EXPECT_THAT(mincore(p + 1, kPage, vec), SyscallFailsWithErrno(EINVAL));
  munmap(p, 2 * kPage);
}

TEST_F(MmapTest, MlockMunlock) {
  char* p = static_cast<char*>(mmap(nullptr, kPage, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_THAT(mlock(p, kPage), SyscallSucceeds());
  unsigned char vec = 0;
  ASSERT_THAT(mincore(p, kPage, &vec), SyscallSucceeds());
  EXPECT_EQ(vec & 1, 1);  // Locked pages are resident.
  EXPECT_THAT(munlock(p, kPage), SyscallSucceeds());
  munmap(p, kPage);
  EXPECT_THAT(mlock(p, kPage), SyscallFailsWithErrno(ENOMEM));
}

TEST_F(MmapTest, MlockOverRlimitAsNobodyIsEperm) {
  if (!CanChangeIds()) GTEST_SKIP() << "needs CAP_SETUID/CAP_SETGID";
  char* p = static_cast<char*>(mmap(nullptr, 4 * kPage, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_CHILD_SUCCEEDS([&] {
    struct rlimit rl = {0, 0};
    ASSERT_THAT(setrlimit(RLIMIT_MEMLOCK, &rl), SyscallSucceeds());
    ASSERT_TRUE(DropToNobody());
    EXPECT_THAT(mlock(p, kPage), SyscallFailsWithErrno(EPERM));
  });
  munmap(p, 4 * kPage);
}

TEST_F(MmapTest, FileMappingBeyondEofIsSigbus) {
  WriteFile(Path("f"), "tiny");
  Fd fd(open(Path("f").c_str(), O_RDONLY));
  char* p = static_cast<char*>(
      mmap(nullptr, 2 * kPage, PROT_READ, MAP_SHARED, fd.get(), 0));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(p[0], 't');
  EXPECT_EQ(FaultingChild([&] {
              signal(SIGBUS, SIG_DFL);
              (void)*static_cast<volatile char*>(p + kPage);
            }),
            SIGBUS);
  munmap(p, 2 * kPage);
}

}  // namespace
}  // namespace syscall_test
