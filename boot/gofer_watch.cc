#include "boot/gofer_watch.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/logging.h"

namespace boot {

GoferWatch::GoferWatch(std::vector<int> fds, std::function<void()> on_hangup) {
  int p[2];
  if (fds.empty() || ::pipe2(p, O_CLOEXEC) != 0) return;
  stop_read_.reset(p[0]);
  stop_write_.reset(p[1]);
  thread_ = std::thread(
      [this, fds = std::move(fds), on_hangup = std::move(on_hangup)] {
        if (Watch(fds)) on_hangup();
      });
}

GoferWatch::~GoferWatch() {
  if (!thread_.joinable()) return;
  char b = 's';
  (void)!::write(stop_write_.get(), &b, 1);
  thread_.join();
}

bool GoferWatch::Watch(std::vector<int> fds) {
  for (;;) {
    std::vector<pollfd> p;
    p.push_back({stop_read_.get(), POLLIN, 0});
    for (int fd : fds) p.push_back({fd, POLLRDHUP, 0});
    if (::poll(p.data(), p.size(), -1) < 0) {
      if (errno == EINTR) continue;
      LOG(WARNING) << "gofer watch: poll: " << strerror(errno);
      return false;
    }
    if (p[0].revents != 0) return false;
    std::vector<int> still;
    for (size_t i = 1; i < p.size(); ++i) {
      if (p[i].revents & (POLLHUP | POLLRDHUP | POLLERR)) return true;
      if (!(p[i].revents & POLLNVAL)) still.push_back(p[i].fd);
    }
    if (still.empty()) return false;
    fds.swap(still);
  }
}

}  // namespace boot
