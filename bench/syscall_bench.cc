// System call micro-benchmarks run the same way natively, under runc/crun,
// under gVisor's runsc and under ours (scripts/bench-compare.sh). Each
// benchmark measures one round trip of what an application does, through
// libc as programs do it (so clock_gettime goes through the vDSO when the
// kernel provides one).
//
// File benchmarks use the benchmark binary itself as the file, because it is
// on the container's root filesystem in every runtime (served by the gofer in
// ours). fork+exec runs `syscall_bench_exec_helper`, a static program that
// exits at once, looked up beside this binary (or at $BENCH_EXEC_HELPER).
//
// Figures only: nothing here is a pass/fail assertion.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "benchmark/benchmark.h"

namespace {

// argv[0] as given; set in main before the benchmarks run.
std::string g_self;

std::string ExecHelperPath() {
  if (const char* env = std::getenv("BENCH_EXEC_HELPER")) return env;
  std::string dir = ".";
  if (auto slash = g_self.rfind('/'); slash != std::string::npos) {
    dir = g_self.substr(0, slash);
  }
  return dir + "/syscall_bench_exec_helper";
}

void Fail(benchmark::State& state, const char* what) {
  state.SkipWithError(
      (std::string(what) + ": " + std::strerror(errno)).c_str());
}

void BM_Getpid(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(getpid());
  }
}
BENCHMARK(BM_Getpid);

void BM_ClockGettime(benchmark::State& state) {
  struct timespec ts;
  for (auto _ : state) {
    clock_gettime(CLOCK_MONOTONIC, &ts);
    benchmark::DoNotOptimize(ts);
  }
}
BENCHMARK(BM_ClockGettime);

void BM_OpenClose(benchmark::State& state) {
  for (auto _ : state) {
    int fd = open(g_self.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Fail(state, "open");
    close(fd);
  }
}
BENCHMARK(BM_OpenClose);

void BM_Stat(benchmark::State& state) {
  struct stat st;
  for (auto _ : state) {
    if (stat(g_self.c_str(), &st) != 0) return Fail(state, "stat");
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_Stat);

void BM_Pread4K(benchmark::State& state) {
  int fd = open(g_self.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(state, "open");
  char buf[4096];
  for (auto _ : state) {
    if (pread(fd, buf, sizeof(buf), 0) != static_cast<ssize_t>(sizeof(buf))) {
      close(fd);
      return Fail(state, "pread");
    }
    benchmark::DoNotOptimize(buf);
  }
  close(fd);
  state.SetBytesProcessed(state.iterations() * sizeof(buf));
}
BENCHMARK(BM_Pread4K);

// One byte there and back between two processes: each iteration is two
// writes, two reads and two wake-ups.
void BM_PipePingPong(benchmark::State& state) {
  int to_child[2], to_parent[2];
  if (pipe2(to_child, O_CLOEXEC) != 0) return Fail(state, "pipe2");
  if (pipe2(to_parent, O_CLOEXEC) != 0) return Fail(state, "pipe2");
  pid_t child = fork();
  if (child < 0) return Fail(state, "fork");
  if (child == 0) {
    close(to_child[1]);
    close(to_parent[0]);
    char c;
    while (read(to_child[0], &c, 1) == 1) {
      if (write(to_parent[1], &c, 1) != 1) _exit(1);
    }
    _exit(0);
  }
  close(to_child[0]);
  close(to_parent[1]);
  char c = 'x';
  for (auto _ : state) {
    if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1) {
      Fail(state, "ping-pong");
      break;
    }
  }
  close(to_child[1]);  // the child sees EOF and exits
  close(to_parent[0]);
  int status;
  waitpid(child, &status, 0);
}
BENCHMARK(BM_PipePingPong);

void BM_ForkExitWait(benchmark::State& state) {
  for (auto _ : state) {
    pid_t pid = fork();
    if (pid < 0) return Fail(state, "fork");
    if (pid == 0) _exit(0);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
      return Fail(state, "waitpid");
    }
  }
}
BENCHMARK(BM_ForkExitWait);

void BM_ForkExecWait(benchmark::State& state) {
  const std::string helper = ExecHelperPath();
  if (access(helper.c_str(), X_OK) != 0) return Fail(state, helper.c_str());
  char* const argv[] = {const_cast<char*>(helper.c_str()), nullptr};
  char* const envp[] = {nullptr};
  for (auto _ : state) {
    pid_t pid = fork();
    if (pid < 0) return Fail(state, "fork");
    if (pid == 0) {
      execve(helper.c_str(), argv, envp);
      _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      return Fail(state, "exec helper did not exit 0");
    }
  }
}
BENCHMARK(BM_ForkExecWait);

// Anonymous 1 MiB: map, write one byte per 4 KiB page (256 faults), unmap.
void BM_MmapTouchMunmap1M(benchmark::State& state) {
  constexpr size_t kSize = 1 << 20;
  for (auto _ : state) {
    void* p = mmap(nullptr, kSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return Fail(state, "mmap");
    auto* bytes = static_cast<volatile char*>(p);
    for (size_t off = 0; off < kSize; off += 4096) bytes[off] = 1;
    munmap(p, kSize);
  }
}
BENCHMARK(BM_MmapTouchMunmap1M);

}  // namespace

int main(int argc, char** argv) {
  g_self = argv[0];
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
