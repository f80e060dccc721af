#include "sentry/vfs/fsnotify.h"

#include <atomic>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace sentry::vfs {

namespace {

absl::Mutex mu;
std::atomic<int> watch_count{0};

absl::flat_hash_map<const Inode*, std::vector<std::shared_ptr<FsWatch>>>&
Table() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
  static auto* t =
      new absl::flat_hash_map<const Inode*,
                              std::vector<std::shared_ptr<FsWatch>>>();
  return *t;
}

}  // namespace

void AddWatch(const Inode* inode, std::shared_ptr<FsWatch> w) {
  absl::MutexLock l(&mu);
  Table()[inode].push_back(std::move(w));
  watch_count.fetch_add(1);
}

void RemoveWatch(const Inode* inode, const FsWatch* w) {
  std::shared_ptr<FsWatch> removed;  // destroyed outside mu
  absl::MutexLock l(&mu);
  auto it = Table().find(inode);
  if (it == Table().end()) return;
  auto& v = it->second;
  for (auto i = v.begin(); i != v.end(); ++i) {
    if (i->get() == w) {
      removed = std::move(*i);
      v.erase(i);
      watch_count.fetch_sub(1);
      break;
    }
  }
  if (v.empty()) Table().erase(it);
}

bool HaveWatches() { return watch_count.load(std::memory_order_relaxed) > 0; }

void NotifyInode(const Inode* inode, uint32_t mask, uint32_t cookie,
                 absl::string_view name) {
  if (inode == nullptr || !HaveWatches()) return;
  std::vector<std::shared_ptr<FsWatch>> snapshot;
  {
    absl::MutexLock l(&mu);
    auto it = Table().find(inode);
    if (it == Table().end()) return;
    snapshot = it->second;
  }
  for (const auto& w : snapshot) w->Event(mask, cookie, name);
}

uint32_t NewMoveCookie() {
  static std::atomic<uint32_t> next{1};
  uint32_t c = next.fetch_add(1);
  return c != 0 ? c : next.fetch_add(1);
}

}  // namespace sentry::vfs
