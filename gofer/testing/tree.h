// Test helpers: a temporary directory tree and a gofer server on a thread.
#ifndef GOFER_TESTING_TREE_H_
#define GOFER_TESTING_TREE_H_

#include <ftw.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "base/unique_fd.h"
#include "gofer/client.h"
#include "gofer/server.h"

namespace gofer::testing {

// A fresh directory under /tmp, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/gofer_test.XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    nftw(
        path_.c_str(),
        [](const char* p, const struct stat*, int, struct FTW*) {
          return remove(p);
        },
        64, FTW_DEPTH | FTW_PHYS);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path) << data;
}

inline std::string ReadFd(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  off_t off = 0;
  while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return out;
}

// A server over `mounts` serving one socketpair on a thread, and its client.
class ServedTree {
 public:
  ServedTree(std::vector<ServedMount> mounts, Server::Options options) {
    auto server = Server::Create(std::move(mounts), options);
    if (!server.ok()) abort();
    server_ = std::move(*server);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      abort();
    }
    client_ = std::make_unique<Client>(base::UniqueFd(sv[0]));
    thread_ = std::thread([this, fd = sv[1]] {
      serve_status_ = server_->Serve(base::UniqueFd(fd));
    });
  }
  ~ServedTree() {
    client_.reset();  // closes the socket: Serve returns
    thread_.join();
  }
  Client& client() { return *client_; }
  const Server& server() { return *server_; }
  const absl::Status& serve_status() const { return serve_status_; }

 private:
  std::unique_ptr<Server> server_;
  std::unique_ptr<Client> client_;
  std::thread thread_;
  absl::Status serve_status_;
};

inline std::vector<std::string> Split(const std::string& path) {
  return absl::StrSplit(path, '/', absl::SkipEmpty());
}

}  // namespace gofer::testing

#endif  // GOFER_TESTING_TREE_H_
