// libFuzzer target for the gofer's request decoder and dispatcher.
//
// An input is a sequence of datagrams, each prefixed by its length as two
// little-endian bytes (a short or overlong last prefix takes the rest). Each
// input runs on a fresh Connection (empty handle table) of one Server that
// serves a small temporary tree made on first use, so a sequence can attach,
// walk, open, create and so on. Handles are small sequential numbers, which
// the fuzzer finds easily.
//
// Built two ways: with clang -fsanitize=fuzzer (RUNSC_FUZZ=ON, see build.sh)
// it is a libFuzzer binary; without, replay_main.cc replays a corpus so that
// CI exercises the same code under g++.
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "gofer/server.h"
#include "gofer/wire.h"

namespace {

void Touch(const std::string& path, const char* data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)!write(fd, data, strlen(data));
  close(fd);
}

std::string& TreeBase() {
  static std::string* base = new std::string();
  return *base;
}

void RemoveTree() {
  if (TreeBase().empty()) return;
  nftw(
      TreeBase().c_str(),
      [](const char* p, const struct stat*, int, struct FTW*) {
        return remove(p);
      },
      64, FTW_DEPTH | FTW_PHYS);
}

gofer::Server& TheServer() {
  static gofer::Server* server = [] {
    char tmpl[] = "/tmp/gofer_fuzz.XXXXXX";
    std::string base = mkdtemp(tmpl);
    TreeBase() = base;
    atexit(RemoveTree);
    std::string root = base + "/root";
    std::string ro = base + "/ro";
    mkdir(root.c_str(), 0755);
    mkdir(ro.c_str(), 0755);
    mkdir((root + "/dir").c_str(), 0755);
    mkdir((root + "/dir/sub").c_str(), 0755);
    Touch(root + "/file", "hello");
    Touch(root + "/dir/inner", "inner");
    Touch(ro + "/r", "ro");
    Touch(base + "/secret", "secret");
    (void)!symlink((base + "/secret").c_str(), (root + "/abs").c_str());
    (void)!symlink("../secret", (root + "/rel").c_str());
    mkfifo((root + "/fifo").c_str(), 0644);
    std::vector<gofer::ServedMount> mounts;
    mounts.push_back(*gofer::OpenServedMount(root, false));
    mounts.push_back(*gofer::OpenServedMount(ro, true));
    gofer::Server::Options opts;
    opts.max_handles = 256;
    return gofer::Server::Create(std::move(mounts), opts)->release();
  }();
  return *server;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gofer::Connection conn(TheServer());
  const char* p = reinterpret_cast<const char*>(data);
  while (size > 0) {
    size_t len = size;
    if (size >= 2) {
      size_t want = static_cast<size_t>(data[0]) | (size_t{data[1]} << 8);
      p += 2;
      data += 2;
      size -= 2;
      len = want <= size ? want : size;
    } else {
      len = size;
    }
    len = std::min(len, gofer::kMaxMessageSize);
    base::UniqueFd fd;
    std::string reply = conn.HandleDatagram(absl::string_view(p, len), &fd);
    // Replies always carry at least a header.
    if (reply.size() < gofer::kHeaderSize) abort();
    p += len;
    data += len;
    size -= len;
  }
  return 0;
}
