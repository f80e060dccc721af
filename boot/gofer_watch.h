// Watches the sandbox's ends of a container's gofer connections (boot.cc for
// the root container's, sentry/sandbox for each pod subcontainer's). When
// one hangs up, the gofer has died and the container's files are gone with
// it: rather than run on with a dead file system, `on_hangup` runs once, on
// the watch thread, and stops the container (docs/faults.md). Destruction
// stops the watch and joins its thread (wait for a running `on_hangup`).
// The descriptors stay owned by the caller and must outlive the watch.
#ifndef BOOT_GOFER_WATCH_H_
#define BOOT_GOFER_WATCH_H_

#include <functional>
#include <thread>
#include <vector>

#include "base/unique_fd.h"

namespace boot {

class GoferWatch {
 public:
  GoferWatch(std::vector<int> fds, std::function<void()> on_hangup);
  ~GoferWatch();
  GoferWatch(const GoferWatch&) = delete;
  GoferWatch& operator=(const GoferWatch&) = delete;

 private:
  // True on a hangup, false when stopped.
  bool Watch(std::vector<int> fds);

  base::UniqueFd stop_read_, stop_write_;
  std::thread thread_;
};

}  // namespace boot

#endif  // BOOT_GOFER_WATCH_H_
