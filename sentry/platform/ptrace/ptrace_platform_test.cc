#include "sentry/platform/ptrace/ptrace_platform.h"

#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sentry/platform/platform.h"

namespace sentry::platform {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kCode = 0x400000;
constexpr uint64_t kStack = 0x500000;
constexpr uint64_t kFileSize = 1 << 20;

using Kind = StopReason::Kind;

class PtracePlatformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fd_ = memfd_create("test-memfile", 0);
    ASSERT_GE(fd_, 0);
    ASSERT_EQ(ftruncate(fd_, kFileSize), 0);
    void* m =
        mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    ASSERT_NE(m, MAP_FAILED);
    mem_ = static_cast<uint8_t*>(m);
    auto p = NewPlatform("ptrace", fd_);
    ASSERT_TRUE(p.ok()) << p.status();
    platform_ = std::move(*p);
    auto as = platform_->NewAddressSpace();
    ASSERT_TRUE(as.ok()) << as.status();
    as_ = std::move(*as);
    auto ctx = platform_->NewContext();
    ASSERT_TRUE(ctx.ok());
    ctx_ = std::move(*ctx);
    // Code page at file offset 0, stack page at offset 4096.
    ASSERT_TRUE(as_->MapFile(kCode, kPage, 0, kProtRead | kProtExec).ok());
    ASSERT_TRUE(
        as_->MapFile(kStack, kPage, kPage, kProtRead | kProtWrite).ok());
    regs_.set_ip(kCode);
    regs_.set_sp(kStack + kPage);
  }

  void TearDown() override {
    ctx_.reset();
    as_.reset();
    platform_.reset();
    if (mem_ != nullptr) munmap(mem_, kFileSize);
    if (fd_ >= 0) close(fd_);
  }

  void LoadCode(std::vector<uint8_t> code) {
    std::memcpy(mem_, code.data(), code.size());
  }

  int fd_ = -1;
  uint8_t* mem_ = nullptr;
  std::unique_ptr<Platform> platform_;
  std::unique_ptr<AddressSpace> as_;
  std::unique_ptr<Context> ctx_;
  arch::Registers regs_;
};

TEST(PlatformFactoryTest, UnknownNameIsAnError) {
  EXPECT_FALSE(NewPlatform("kvm", 0).ok());
}

TEST_F(PtracePlatformTest, SyscallIsCaughtAndOurResultIsSeen) {
  // mov $39,%eax; syscall; mov %rax,%rdi; mov $231,%eax; syscall
  LoadCode({0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0x48, 0x89, 0xc7, 0xb8, 231, 0, 0, 0,
            0x0f, 0x05});
  StopReason r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kSyscall);
  EXPECT_EQ(r.syscall_arch, arch::SyscallArch::kAmd64);
  EXPECT_EQ(regs_.SyscallNo(), uint64_t{SYS_getpid});
  EXPECT_EQ(regs_.ip(), kCode + 7);  // past the syscall instruction
  // The host getpid never ran: the application continues with our value.
  regs_.SetReturn(424242);
  r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kSyscall);
  EXPECT_EQ(regs_.SyscallNo(), uint64_t{SYS_exit_group});
  EXPECT_EQ(regs_.SyscallArg(0), 424242u);
}

// fork/clone acquire the child's stub before the child exists (Prepare):
// the first Switch then uses that stub; refusals are errors, not aborts.
TEST_F(PtracePlatformTest, PrepareMakesTheStubTheFirstSwitchUses) {
  ASSERT_TRUE(ctx_->Prepare(*as_).ok());
  pid_t pid = ptrace::StubPidForTesting(*as_);
  ASSERT_GT(pid, 0);
  LoadCode({0xb8, 39, 0, 0, 0, 0x0f, 0x05});  // mov $39,%eax; syscall
  StopReason r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kSyscall);
  EXPECT_EQ(ptrace::StubPidForTesting(*as_), pid);
  // Only the context's own thread may prepare (it becomes the tracer).
  ErrnoStatus other = OkErrno();
  std::thread([&] { other = ctx_->Prepare(*as_); }).join();
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(ToInt(other.error()), EINVAL);
  // A released address space has no stub to clone from.
  as_->Release();
  ErrnoStatus released = ctx_->Prepare(*as_);
  ASSERT_FALSE(released.ok());
  EXPECT_EQ(ToInt(released.error()), EAGAIN);
}

TEST_F(PtracePlatformTest, LoopOfSyscallsEachAnswered) {
  constexpr int kN = 1000;
  // mov $kN,%ebx; 1: mov $39,%eax; syscall; add %rax,%r12; dec %ebx; jnz 1b;
  // mov %r12,%rdi; mov $231,%eax; syscall
  LoadCode({0xbb, kN & 0xff, kN >> 8, 0, 0,  // mov $kN,%ebx
            0xb8, 39,        0,       0, 0,  // mov $39,%eax
            0x0f, 0x05,                      // syscall
            0x49, 0x01,      0xc4,           // add %rax,%r12
            0xff, 0xcb,                      // dec %ebx
            0x75, 0xf2,                      // jnz -14
            0x4c, 0x89,      0xe7,           // mov %r12,%rdi
            0xb8, 231,       0,       0, 0, 0x0f, 0x05});
  regs_.gp().r12 = 0;
  int getpids = 0;
  uint64_t expected_sum = 0;
  for (;;) {
    StopReason r = ctx_->Switch(*as_, regs_);
    ASSERT_EQ(r.kind, Kind::kSyscall);
    if (regs_.SyscallNo() == SYS_exit_group) break;
    ASSERT_EQ(regs_.SyscallNo(), uint64_t{SYS_getpid});
    ++getpids;
    regs_.SetReturn(getpids);
    expected_sum += getpids;
  }
  EXPECT_EQ(getpids, kN);
  EXPECT_EQ(regs_.SyscallArg(0), expected_sum);
}

TEST_F(PtracePlatformTest, FaultOnUnmappedAddressReportsAddress) {
  // mov 0x12345678,%rax
  LoadCode({0x48, 0x8b, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12});
  StopReason r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kFault);
  EXPECT_EQ(r.signo, SIGSEGV);
  EXPECT_EQ(r.fault_addr, 0x12345678u);
  EXPECT_EQ(r.access, AccessType::kRead);
  EXPECT_EQ(regs_.ip(), kCode);  // the faulting instruction, to be retried
}

TEST_F(PtracePlatformTest, WriteToReadOnlyPageIsAWriteFaultAndRetryWorks) {
  constexpr uint64_t kData = 0x600000;
  ASSERT_TRUE(as_->MapFile(kData, kPage, 2 * kPage, kProtRead).ok());
  // movb $1,0x600000; mov $39,%eax; syscall
  LoadCode({0xc6, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00, 0x01, 0xb8, 39, 0, 0, 0,
            0x0f, 0x05});
  StopReason r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kFault);
  EXPECT_EQ(r.fault_addr, kData);
  EXPECT_EQ(r.access, AccessType::kWrite);
  EXPECT_EQ(r.info.si_code, SEGV_ACCERR);
  // What a memory manager does: fix the mapping and resume.
  ASSERT_TRUE(as_->Protect(kData, kPage, kProtRead | kProtWrite).ok());
  r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kSyscall);
  EXPECT_EQ(mem_[2 * kPage], 1);  // the write reached the memory file
}

TEST_F(PtracePlatformTest, ExecFaultAtInstructionPointer) {
  regs_.set_ip(0x700000);
  StopReason r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kFault);
  EXPECT_EQ(r.fault_addr, 0x700000u);
  EXPECT_EQ(r.access, AccessType::kExec);
}

TEST_F(PtracePlatformTest, UnmapTakesEffect) {
  LoadCode(
      {0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00});  // mov 0x500000,%rax
  ASSERT_TRUE(as_->Unmap(kStack, kPage).ok());
  StopReason r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kFault);
  EXPECT_EQ(r.fault_addr, kStack);
}

TEST_F(PtracePlatformTest, InterruptKicksASpinningStub) {
  LoadCode({0xeb, 0xfe});  // 1: jmp 1b
  std::atomic<bool> done{false};
  std::thread kicker([&] {
    while (!done.load()) {
      ctx_->Interrupt();
      usleep(1000);
    }
  });
  StopReason r = ctx_->Switch(*as_, regs_);
  done = true;
  kicker.join();
  EXPECT_EQ(r.kind, Kind::kInterrupted);
  EXPECT_EQ(regs_.ip(), kCode);
}

TEST_F(PtracePlatformTest, InterruptBeforeSwitchIsNotLost) {
  LoadCode({0xeb, 0xfe});
  ctx_->Interrupt();
  StopReason r = ctx_->Switch(*as_, regs_);
  EXPECT_EQ(r.kind, Kind::kInterrupted);
}

TEST_F(PtracePlatformTest, Int80IsReportedAsI386) {
  // mov $20,%eax; int $0x80
  LoadCode({0xb8, 20, 0, 0, 0, 0xcd, 0x80});
  StopReason r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kSyscall);
  EXPECT_EQ(r.syscall_arch, arch::SyscallArch::kI386);
}

TEST_F(PtracePlatformTest, FpStateTravelsBothWays) {
  // movq %xmm0,%rax; syscall (rax = orig_rax = xmm0)
  // mov $0x5678,%eax; movq %rax,%xmm1; mov $39,%eax; syscall
  LoadCode({0x66, 0x48, 0x0f, 0x7e, 0xc0, 0x0f, 0x05, 0xb8,
            0x78, 0x56, 0,    0,    0x66, 0x48, 0x0f, 0x6e,
            0xc8, 0xb8, 39,   0,    0,    0,    0x0f, 0x05});
  const uint64_t pattern = 0x1122334455667788ull;
  std::memcpy(regs_.mutable_fp().mutable_data() + 160, &pattern, 8);  // xmm0
  StopReason r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kSyscall);
  EXPECT_EQ(regs_.SyscallNo(), pattern);
  r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kSyscall);
  uint64_t xmm1;
  std::memcpy(&xmm1, regs_.fp().data() + 176, 8);
  EXPECT_EQ(xmm1, 0x5678u);
}

TEST_F(PtracePlatformTest, MappingFromAnotherThreadIsVisible) {
  constexpr uint64_t kData = 0x800000;
  mem_[3 * kPage] = 77;
  std::thread other([&] {
    EXPECT_TRUE(as_->MapFile(kData, kPage, 3 * kPage, kProtRead).ok());
  });
  other.join();
  // movzbl 0x800000,%edi; mov $231,%eax; syscall
  LoadCode({0x0f, 0xb6, 0x3c, 0x25, 0x00, 0x00, 0x80, 0x00, 0xb8, 231, 0, 0, 0,
            0x0f, 0x05});
  StopReason r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kSyscall);
  EXPECT_EQ(regs_.SyscallArg(0), 77u);
}

TEST_F(PtracePlatformTest, TwoAddressSpacesAreSeparate) {
  auto as2 = platform_->NewAddressSpace();
  ASSERT_TRUE(as2.ok());
  // The same code in the second space, but its stack page maps another frame.
  ASSERT_TRUE((*as2)->MapFile(kCode, kPage, 0, kProtRead | kProtExec).ok());
  LoadCode({0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, 0xeb, 0xfe});
  StopReason r = ctx_->Switch(**as2, regs_);
  ASSERT_EQ(r.kind, Kind::kFault);  // kStack is not mapped there
  EXPECT_EQ(r.fault_addr, kStack);
  regs_.set_ip(kCode);
  LoadCode({0xb8, 39, 0, 0, 0, 0x0f, 0x05});
  r = ctx_->Switch(*as_, regs_);
  EXPECT_EQ(r.kind, Kind::kSyscall);
}

// Security: application code that reaches the host kernel without SYSEMU
// (here: the tracer resumes it with PTRACE_CONT) is killed by the stub's
// seccomp filter, since its syscall is not issued from the stub page.
TEST_F(PtracePlatformTest, RawSyscallOutsideStubPageIsKilled) {
  LoadCode({0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xfe});
  pid_t pid = ptrace::StubPidForTesting(*as_);
  ASSERT_GT(pid, 0);
  user_regs_struct r;
  ASSERT_EQ(::ptrace(PTRACE_GETREGS, pid, 0, &r), 0);
  r.rip = kCode;
  r.rsp = kStack + kPage;
  ASSERT_EQ(::ptrace(PTRACE_SETREGS, pid, 0, &r), 0);
  ASSERT_EQ(::ptrace(PTRACE_CONT, pid, 0, 0), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, __WALL), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

// Security: if the tracer detaches, the application's next syscall is killed.
TEST_F(PtracePlatformTest, RawSyscallAfterDetachIsKilled) {
  LoadCode({0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xfe});
  pid_t pid = ptrace::StubPidForTesting(*as_);
  ASSERT_GT(pid, 0);
  user_regs_struct r;
  ASSERT_EQ(::ptrace(PTRACE_GETREGS, pid, 0, &r), 0);
  r.rip = kCode;
  ASSERT_EQ(::ptrace(PTRACE_SETREGS, pid, 0, &r), 0);
  ASSERT_EQ(::ptrace(PTRACE_DETACH, pid, 0, 0), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, __WALL), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

// Security: int $0x80 outside SYSEMU is killed too (arch check).
TEST_F(PtracePlatformTest, RawInt80IsKilled) {
  LoadCode({0xb8, 20, 0, 0, 0, 0xcd, 0x80, 0xeb, 0xfe});
  pid_t pid = ptrace::StubPidForTesting(*as_);
  ASSERT_GT(pid, 0);
  user_regs_struct r;
  ASSERT_EQ(::ptrace(PTRACE_GETREGS, pid, 0, &r), 0);
  r.rip = kCode;
  ASSERT_EQ(::ptrace(PTRACE_SETREGS, pid, 0, &r), 0);
  ASSERT_EQ(::ptrace(PTRACE_CONT, pid, 0, 0), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, __WALL), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

// Security: even from the stub page, a syscall the stub never needs (here
// getpid) is killed when not intercepted by SYSEMU.
TEST_F(PtracePlatformTest, DisallowedSyscallFromStubPageIsKilled) {
  pid_t pid = ptrace::StubPidForTesting(*as_);
  ASSERT_GT(pid, 0);
  // The stub page is the stub's only executable mapping besides [vsyscall];
  // the sentry has the same page at the same address.
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/maps", pid);
  FILE* f = fopen(path, "r");
  ASSERT_NE(f, nullptr);
  unsigned long lo = 0, hi = 0;
  char perms[8] = {};
  unsigned long page = 0;
  while (fscanf(f, "%lx-%lx %7s %*[^\n]", &lo, &hi, perms) == 3) {
    if (std::string(perms) == "r-xp" && lo < 0xffffffffff600000ul &&
        lo != kCode)
      page = lo;
  }
  fclose(f);
  ASSERT_NE(page, 0u);
  const uint8_t site_bytes[] = {0x0f, 0x05, 0xcc};  // syscall; int3
  const void* site = memmem(reinterpret_cast<void*>(page), 4096, site_bytes, 3);
  ASSERT_NE(site, nullptr);
  user_regs_struct r;
  ASSERT_EQ(::ptrace(PTRACE_GETREGS, pid, 0, &r), 0);
  r.rip = reinterpret_cast<uint64_t>(site);
  r.rax = SYS_getpid;
  r.orig_rax = static_cast<uint64_t>(-1);
  ASSERT_EQ(::ptrace(PTRACE_SETREGS, pid, 0, &r), 0);
  ASSERT_EQ(::ptrace(PTRACE_CONT, pid, 0, 0), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, __WALL), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << std::hex << status;
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST_F(PtracePlatformTest, KilledStubIsReportedAsDied) {
  LoadCode({0xeb, 0xfe});
  pid_t pid = ptrace::StubPidForTesting(*as_);
  ASSERT_GT(pid, 0);
  kill(pid, SIGKILL);
  StopReason r = ctx_->Switch(*as_, regs_);
  EXPECT_EQ(r.kind, Kind::kDied);
  // The address space itself survives (its memory lives in the other stubs):
  // the next Switch gets a fresh stub and runs.
  LoadCode({0xb8, 39, 0, 0, 0, 0x0f, 0x05});
  regs_.set_ip(kCode);
  r = ctx_->Switch(*as_, regs_);
  EXPECT_EQ(r.kind, Kind::kSyscall);
  EXPECT_NE(ptrace::StubPidForTesting(*as_), pid);
}

// A stub killed while its task waits in the sentry (no Switch in progress)
// is noticed by the platform's watch, which tells the context; a notice that
// cannot act yet (returns false) is repeated.
TEST_F(PtracePlatformTest, StubKilledOutsideSwitchIsReported) {
  std::atomic<int> calls{0};
  ctx_->SetOnStubDeath([&] { return ++calls >= 2; });
  LoadCode({0xb8, 39, 0, 0, 0, 0x0f, 0x05});
  ASSERT_EQ(ctx_->Switch(*as_, regs_).kind, Kind::kSyscall);
  pid_t pid = ptrace::StubPidForTesting(*as_);  // this thread's stub
  ASSERT_GT(pid, 0);
  EXPECT_EQ(calls.load(), 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  // Bounded poll (the watch runs every 100 ms; 10 s is only a deadline).
  for (int i = 0; i < 1000 && calls.load() < 2; ++i) usleep(10000);
  EXPECT_EQ(calls.load(), 2);
  // Taken once: no further notices.
  usleep(300000);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(ctx_->Switch(*as_, regs_).kind, Kind::kDied);
}

TEST_F(PtracePlatformTest, Int3AndUd2AreSignals) {
  LoadCode({0xcc, 0x0f, 0x0b});  // int3; ud2
  StopReason r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kSignal);
  EXPECT_EQ(r.signo, SIGTRAP);
  EXPECT_EQ(regs_.ip(), kCode + 1);
  r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kSignal);
  EXPECT_EQ(r.signo, SIGILL);
  EXPECT_EQ(regs_.ip(), kCode + 1);
}

TEST_F(PtracePlatformTest, ReleaseKillsTheStubs) {
  pid_t pid = ptrace::StubPidForTesting(*as_);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, 0), 0);
  as_->Release();
  EXPECT_EQ(kill(pid, 0), -1);  // killed and reaped
  EXPECT_EQ(errno, ESRCH);
  // Using a released address space fails cleanly.
  EXPECT_FALSE(as_->MapFile(kCode, kPage, 0, kProtRead).ok());
  EXPECT_EQ(ctx_->Switch(*as_, regs_).kind, Kind::kDied);
}

TEST_F(PtracePlatformTest, StubDiesWithItsTracerThread) {
  pid_t pid = -1;
  std::thread t([&] {
    // This thread's own stub in as_, traced by it.
    pid = ptrace::StubPidForTesting(*as_);
  });
  t.join();
  ASSERT_GT(pid, 0);
  // PTRACE_O_EXITKILL: the tracer thread exited, so the stub gets SIGKILL
  // (asynchronously) and stays a zombie until reaped by Release.
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  char state = 0;
  for (int i = 0; i < 10000 && state != 'Z'; ++i) {
    FILE* f = fopen(path, "r");
    if (f == nullptr) break;
    if (fscanf(f, "%*d %*s %c", &state) != 1) state = 0;
    fclose(f);
    if (state != 'Z') usleep(1000);
  }
  EXPECT_EQ(state, 'Z');
}

// Two task threads of one process: each has its own context and stub in the
// same address space; memory written by one is seen by the other.
TEST_F(PtracePlatformTest, TwoThreadsShareAnAddressSpace) {
  // Thread A: movq $7,0x500000; mov $39,%eax; syscall
  // Thread B (at +16): mov 0x500000,%rdi; mov $231,%eax; syscall
  std::vector<uint8_t> code = {0x48, 0xc7, 0x04, 0x25, 0x00, 0x00, 0x50,
                               0x00, 7,    0,    0,    0,    0xb8, 39,
                               0,    0,    0,    0x0f, 0x05};
  code.resize(32, 0x90);
  const std::vector<uint8_t> b = {0x48, 0x8b, 0x3c, 0x25, 0x00,
                                  0x00, 0x50, 0x00, 0xb8, 231,
                                  0,    0,    0,    0x0f, 0x05};
  code.insert(code.end(), b.begin(), b.end());
  LoadCode(code);
  StopReason ra = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(ra.kind, Kind::kSyscall);
  uint64_t seen = 0;
  std::thread other([&] {
    auto ctx = platform_->NewContext();
    ASSERT_TRUE(ctx.ok());
    arch::Registers r;
    r.set_ip(kCode + 32);
    StopReason rb = (*ctx)->Switch(*as_, r);
    ASSERT_EQ(rb.kind, Kind::kSyscall)
        << std::hex << rb.fault_addr << " ip " << r.ip() << " sig " << rb.signo
        << " code " << rb.info.si_code;
    seen = r.SyscallArg(0);
    (*ctx)->Release();
  });
  other.join();
  EXPECT_EQ(seen, 7u);
}

// The legacy vsyscall page is served by the sentry, not the host.
TEST_F(PtracePlatformTest, VsyscallBecomesASyscallStop) {
  // mov $0xffffffffff600400,%rax (time); xor %edi,%edi; call *%rax;
  // mov %rax,%rdi; mov $231,%eax; syscall
  LoadCode({0x48, 0xc7, 0xc0, 0x00, 0x04, 0x60, 0xff, 0x31, 0xff, 0xff, 0xd0,
            0x48, 0x89, 0xc7, 0xb8, 231,  0,    0,    0,    0x0f, 0x05});
  StopReason r = ctx_->Switch(*as_, regs_);
  if (r.kind == Kind::kFault || r.kind == Kind::kSignal) {
    GTEST_SKIP() << "host has no executable vsyscall page (vsyscall=none)";
  }
  ASSERT_EQ(r.kind, Kind::kSyscall) << r.wait_status;
  EXPECT_EQ(regs_.SyscallNo(), uint64_t{SYS_time});
  EXPECT_EQ(regs_.ip(), kCode + 11);  // back at the caller
  EXPECT_EQ(regs_.sp(), kStack + kPage);
  regs_.SetReturn(1234567);
  r = ctx_->Switch(*as_, regs_);
  ASSERT_EQ(r.kind, Kind::kSyscall);
  EXPECT_EQ(regs_.SyscallNo(), uint64_t{SYS_exit_group});
  EXPECT_EQ(regs_.SyscallArg(0), 1234567u);
}

}  // namespace
}  // namespace sentry::platform
