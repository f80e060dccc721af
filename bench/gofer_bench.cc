// Gofer client versus native system calls on the same files: open+close,
// stat (walk) and 4 KiB pread on a donated descriptor. The server runs on a
// thread of this process over a real SOCK_SEQPACKET socketpair, as the
// gofer process would (minus its seccomp filter).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "gofer/client.h"
#include "gofer/server.h"
#include "gofer/testing/tree.h"

namespace gofer {
namespace {

struct Env {
  Env() {
    root = tmp.path();
    mkdir((root + "/dir").c_str(), 0755);
    testing::WriteFile(root + "/dir/f", std::string(65536, 'x'));
    std::vector<ServedMount> mounts;
    mounts.push_back(*OpenServedMount(root, false));
    served = std::make_unique<testing::ServedTree>(std::move(mounts),
                                                   Server::Options());
    root_h = served->client().Attach(0)->root.handle;
    auto w = served->client().Walk(root_h, {"dir", "f"});
    dir_h = w->entries[0].handle;
    file_h = w->entries[1].handle;
  }
  Client& c() { return served->client(); }
  testing::TempDir tmp;
  std::string root;
  std::unique_ptr<testing::ServedTree> served;
  Handle root_h = 0, dir_h = 0, file_h = 0;
};

Env& E() {
  static Env* env = new Env();
  return *env;
}

const std::string& FilePath() {
  static std::string* p = new std::string(E().root + "/dir/f");
  return *p;
}

void BM_Native_OpenClose(benchmark::State& state) {
  for (auto _ : state) {
    int fd = open(FilePath().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) state.SkipWithError("open");
    close(fd);
  }
}
BENCHMARK(BM_Native_OpenClose);

// Open of an already walked file (the sentry's dentry cache hit) + close.
void BM_Gofer_OpenClose(benchmark::State& state) {
  for (auto _ : state) {
    auto o = E().c().Open(E().file_h, O_RDONLY);
    if (!o.ok()) state.SkipWithError("open");
  }
}
BENCHMARK(BM_Gofer_OpenClose);

// Full walk of two components + open + close of fd and handles.
void BM_Gofer_WalkOpenClose(benchmark::State& state) {
  for (auto _ : state) {
    auto w = E().c().Walk(E().root_h, {"dir", "f"});
    auto o = E().c().Open(w->entries[1].handle, O_RDONLY);
    if (!o.ok()) state.SkipWithError("open");
    (void)E().c().Close({w->entries[0].handle, w->entries[1].handle});
  }
}
BENCHMARK(BM_Gofer_WalkOpenClose);

void BM_Native_Stat(benchmark::State& state) {
  struct stat st;
  for (auto _ : state) {
    if (stat(FilePath().c_str(), &st) != 0) state.SkipWithError("stat");
  }
}
BENCHMARK(BM_Native_Stat);

// Stat of a held handle: one round trip.
void BM_Gofer_Stat(benchmark::State& state) {
  for (auto _ : state) {
    if (!E().c().GetStat(E().file_h).ok()) state.SkipWithError("stat");
  }
}
BENCHMARK(BM_Gofer_Stat);

// Stat by path: a two-component walk (stat included) and the close of the
// handles it made: two round trips.
void BM_Gofer_WalkStat(benchmark::State& state) {
  for (auto _ : state) {
    auto w = E().c().Walk(E().root_h, {"dir", "f"});
    if (!w.ok() || w->entries.size() != 2) state.SkipWithError("walk");
    (void)E().c().Close({w->entries[0].handle, w->entries[1].handle});
  }
}
BENCHMARK(BM_Gofer_WalkStat);

void Pread4k(benchmark::State& state, int fd) {
  char buf[4096];
  off_t off = 0;
  for (auto _ : state) {
    if (pread(fd, buf, sizeof(buf), off) != 4096) state.SkipWithError("read");
    off = (off + 4096) % 65536;
  }
  state.SetBytesProcessed(state.iterations() * 4096);
}

void BM_Native_Pread4k(benchmark::State& state) {
  int fd = open(FilePath().c_str(), O_RDONLY | O_CLOEXEC);
  Pread4k(state, fd);
  close(fd);
}
BENCHMARK(BM_Native_Pread4k);

// pread on the descriptor the gofer donated: the data path never crosses
// the socket.
void BM_Gofer_Pread4k(benchmark::State& state) {
  auto o = E().c().Open(E().file_h, O_RDONLY);
  Pread4k(state, o->fd.get());
}
BENCHMARK(BM_Gofer_Pread4k);

}  // namespace
}  // namespace gofer

BENCHMARK_MAIN();
