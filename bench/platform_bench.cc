// Null-syscall round trip through the ptrace platform vs a native getpid,
// plus the cost of an injected address-space operation.
//
//   ninja -C build platform_bench && build/bench/platform_bench
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "benchmark/benchmark.h"
#include "sentry/mm/memory_file.h"
#include "sentry/platform/platform.h"

namespace {

using sentry::platform::StopReason;

void BM_NativeGetpid(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(syscall(SYS_getpid));
}
BENCHMARK(BM_NativeGetpid);

struct Fixture {
  std::unique_ptr<sentry::mm::MemoryFile> mf;
  std::unique_ptr<sentry::platform::Platform> platform;
  std::unique_ptr<sentry::platform::AddressSpace> as;
  std::unique_ptr<sentry::platform::Context> ctx;
  bool Init() {
    auto m = sentry::mm::MemoryFile::Create("bench", uint64_t{1} << 28);
    if (!m.ok()) return false;
    mf = std::move(*m);
    auto p = sentry::platform::NewPlatform("ptrace", mf->fd());
    if (!p.ok()) return false;
    platform = std::move(*p);
    auto a = platform->NewAddressSpace();
    if (!a.ok()) return false;
    as = std::move(*a);
    auto c = platform->NewContext();
    if (!c.ok()) return false;
    ctx = std::move(*c);
    // 1: mov $39,%eax; syscall; jmp 1b
    const uint8_t code[] = {0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7};
    auto off = mf->Allocate(1);
    if (!off.ok()) return false;
    std::memcpy(mf->Data(*off), code, sizeof(code));
    return as->MapFile(0x400000, 4096, *off, PROT_READ | PROT_EXEC).ok();
  }
};

void BM_PtraceNullSyscall(benchmark::State& state) {
  Fixture f;
  if (!f.Init()) {
    state.SkipWithError("platform setup failed");
    return;
  }
  sentry::arch::Registers regs;
  regs.set_ip(0x400000);
  int64_t n = 0;
  for (auto _ : state) {
    StopReason r = f.ctx->Switch(*f.as, regs);
    if (r.kind != StopReason::Kind::kSyscall) {
      state.SkipWithError("unexpected stop");
      break;
    }
    regs.SetReturn(++n);
  }
}
BENCHMARK(BM_PtraceNullSyscall)->UseRealTime();

// The same, with the kernel touching the FP state every time (forces the
// XSAVE area to be written back into the stub on each switch).
void BM_PtraceNullSyscallFpDirty(benchmark::State& state) {
  Fixture f;
  if (!f.Init()) {
    state.SkipWithError("platform setup failed");
    return;
  }
  sentry::arch::Registers regs;
  regs.set_ip(0x400000);
  for (auto _ : state) {
    regs.mutable_fp();
    StopReason r = f.ctx->Switch(*f.as, regs);
    if (r.kind != StopReason::Kind::kSyscall) {
      state.SkipWithError("unexpected stop");
      break;
    }
    regs.SetReturn(0);
  }
}
BENCHMARK(BM_PtraceNullSyscallFpDirty)->UseRealTime();

// One injected mmap + munmap in the stub (what a lazy fault or munmap costs).
void BM_PtraceMapUnmap(benchmark::State& state) {
  Fixture f;
  if (!f.Init()) {
    state.SkipWithError("platform setup failed");
    return;
  }
  auto off = f.mf->Allocate(1);
  for (auto _ : state) {
    if (!f.as->MapFile(0x500000, 4096, *off, PROT_READ).ok() ||
        !f.as->Unmap(0x500000, 4096).ok()) {
      state.SkipWithError("map failed");
      break;
    }
  }
}
BENCHMARK(BM_PtraceMapUnmap)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
