// epoll(7) instances: an interest list of (file, fd) pairs and a ready list.
//
// Matches Linux: entries are keyed by the open file description and the
// descriptor number given at EPOLL_CTL_ADD; an entry goes away when the
// file's last reference is dropped (not when that one descriptor is closed
// while a dup lives), through vfs::FileReleaseObserver. Level-triggered
// entries stay on the ready list while the file stays ready; EPOLLET
// entries are reported once per readiness notification; EPOLLONESHOT
// entries are disabled after one report until EPOLL_CTL_MOD. EPOLLEXCLUSIVE
// is accepted (every waiter is woken, which Linux permits), EPOLLWAKEUP and
// EPOLLRDHUP are passed through to the file's readiness. An epoll instance
// is itself pollable (readable while something is ready), so instances
// nest; ELOOP refuses cycles and nesting deeper than Linux's limit.
//
// Files whose Events() is null are always ready (host descriptors, devices)
// and are reported per the trigger mode, except regular files and
// directories, which Linux refuses with EPERM.
//
// Lock order: Entry::mu_ -> the watched file's EventQueue -> Epoll::mu_ ->
// Epoll's own EventQueue -> its listeners. Readiness of watched files is
// always checked with no epoll lock held (a file's lock is taken before its
// queue's, which calls into us). Parent instance before child instance when
// walking nested instances (nesting is acyclic).
#ifndef SENTRY_FS_EPOLL_EPOLL_H_
#define SENTRY_FS_EPOLL_EPOLL_H_

#include <sys/epoll.h>

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sentry/vfs/events.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/inode.h"

namespace sentry::fs::epoll {

// Linux's EP_MAX_NESTS: instances nested deeper are refused with ELOOP.
inline constexpr int kMaxNests = 4;

// One reported event (struct epoll_event is packed on x86-64).
struct ReadyEvent {
  uint32_t events;
  uint64_t data;
};

class Epoll final : public vfs::FileImpl {
 public:
  Epoll() = default;
  ~Epoll() override;

  // EPOLL_CTL_ADD/MOD/DEL. `self` is the FileDescription of this instance
  // (EINVAL when watching itself). Flag validation is the caller's
  // (ValidateCtl); these check existence (EEXIST/ENOENT), EPERM and ELOOP.
  ErrnoStatus Add(const vfs::FileRef& file, int fd, uint32_t events,
                  uint64_t data);
  ErrnoStatus Modify(const vfs::FileRef& file, int fd, uint32_t events,
                     uint64_t data);
  ErrnoStatus Delete(const vfs::FileRef& file, int fd);

  // Takes up to `max` ready events without blocking, updating the ready list
  // per trigger mode.
  std::vector<ReadyEvent> Collect(size_t max);

  // vfs::FileImpl: readable while an entry is ready; read/write EINVAL.
  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t offset,
                       const vfs::IoOptions& opts) override {
    return Errno{EINVAL};
  }
  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t offset,
                        const vfs::IoOptions& opts, int64_t* end) override {
    return Errno{EINVAL};
  }
  bool Seekable() const override { return false; }
  uint32_t Readiness(uint32_t mask) override;
  vfs::EventQueue* Events() override { return &events_; }

  // Interest-list size (tests, fdinfo).
  size_t size();

 private:
  class Entry;
  using Key = std::pair<vfs::FileDescription*, int>;

  // Called by entries (see the lock order).
  void OnEntryEvent(Entry* e, uint32_t events);
  void Forget(Entry* e);
  // Puts `e` on the ready list if its file is ready now.
  void PollEntry(const std::shared_ptr<Entry>& e);
  // Nesting depth below this instance (1 = no epoll children, at most
  // limit+1), and whether `target` is reachable within `limit` levels.
  int Depth(int limit);
  bool Reaches(Epoll* target, int limit);
  std::vector<vfs::FileRef> EpollChildren();

  absl::Mutex mu_;
  std::map<Key, std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  std::list<std::shared_ptr<Entry>> ready_ ABSL_GUARDED_BY(mu_);
  vfs::EventQueue events_;
};

// Whether `f` is an epoll instance (and which).
Epoll* AsEpoll(vfs::FileDescription& f);

// epoll_create1(flags): EPOLL_CLOEXEC only (the caller handles it).
ErrnoOr<vfs::FileRef> NewEpoll(vfs::VirtualFilesystem* vfs, int flags,
                               uint32_t uid, uint32_t gid);

// Validates an epoll_ctl request like Linux: op, self-watch, EPOLLEXCLUSIVE
// combinations. `target_is_epoll`: the target is an epoll instance.
ErrnoStatus ValidateCtl(int op, uint32_t events, bool same_file,
                        bool target_is_epoll);

}  // namespace sentry::fs::epoll

#endif  // SENTRY_FS_EPOLL_EPOLL_H_
