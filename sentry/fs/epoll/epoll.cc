#include "sentry/fs/epoll/epoll.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#include "sentry/fs/anon/anon_file.h"

namespace sentry::fs::epoll {

namespace {

// Serializes adding epoll instances to epoll instances, so that two
// concurrent adds cannot build a cycle between them (Linux's epmutex).
absl::Mutex nest_mu;

constexpr uint32_t kControlFlags =
    EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP;

}  // namespace

// An interest-list entry. It listens on the watched file's EventQueue and
// observes the file's release. `ep_` and `file_` stay valid while the entry
// is registered: Epoll's destructor and the file's release both unregister
// first, under mu_.
class Epoll::Entry final : public vfs::EventListener,
                           public vfs::FileReleaseObserver {
 public:
  Entry(Epoll* ep, const vfs::FileRef& file, int fd)
      : ep_(ep), file_(file.get()), weak_file_(file), fd_(fd) {}

  // Registers on the file's queue (none for always-ready files).
  void Register(uint32_t mask) {
    absl::MutexLock l(&mu_);
    if (dead_) return;  // deleted before it could register
    queue_ = file_->impl() ? file_->impl()->Events() : nullptr;
    if (queue_) queue_->Add(this, mask | vfs::kAlwaysEvents);
    registered_ = true;
  }
  // New mask on the queue. False if already unregistered.
  bool UpdateMask(uint32_t mask) {
    absl::MutexLock l(&mu_);
    if (!registered_) return false;
    if (queue_) queue_->Add(this, mask | vfs::kAlwaysEvents);
    return true;
  }
  // Leaves the file's queue; false if already done.
  bool Unregister() {
    absl::MutexLock l(&mu_);
    return UnregisterLocked();
  }

  void OnEvents(uint32_t events) override { ep_->OnEntryEvent(this, events); }

  void OnFileRelease(vfs::FileDescription* file) override {
    absl::MutexLock l(&mu_);
    // Forget under mu_: Epoll's destructor waits on mu_ before it finishes.
    if (UnregisterLocked()) ep_->Forget(this);
  }

  vfs::FileRef file() { return weak_file_.lock(); }
  Key key() const { return {file_, fd_}; }

  // Guarded by Epoll::mu_.
  uint32_t events = 0;
  uint64_t data = 0;
  bool in_ready = false;
  bool removed = false;
  bool disabled = false;  // EPOLLONESHOT fired

 private:
  bool UnregisterLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    dead_ = true;
    if (!registered_) return false;
    if (queue_) queue_->Remove(this);
    queue_ = nullptr;
    registered_ = false;
    return true;
  }

  Epoll* const ep_;
  vfs::FileDescription* const file_;  // the key; valid while registered
  const std::weak_ptr<vfs::FileDescription> weak_file_;
  const int fd_;
  absl::Mutex mu_;
  vfs::EventQueue* queue_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool registered_ ABSL_GUARDED_BY(mu_) = false;
  bool dead_ ABSL_GUARDED_BY(mu_) = false;
};

Epoll::~Epoll() {
  std::map<Key, std::shared_ptr<Entry>> entries;
  {
    absl::MutexLock l(&mu_);
    entries.swap(entries_);
    ready_.clear();
  }
  // Waits for a concurrent OnFileRelease (it holds the entry's mu_).
  for (auto& [k, e] : entries) e->Unregister();
}

ErrnoStatus ValidateCtl(int op, uint32_t events, bool same_file,
                        bool target_is_epoll) {
  if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL) {
    return Errno{EINVAL};
  }
  if (same_file) return Errno{EINVAL};
  if (op != EPOLL_CTL_DEL && (events & EPOLLEXCLUSIVE)) {
    // Linux: EPOLLEXCLUSIVE is for ADD only, not on epoll targets, and only
    // with EPOLLIN/OUT/ET/WAKEUP/ERR/HUP/RDNORM/RDBAND/WRNORM/WRBAND.
    if (op == EPOLL_CTL_MOD || target_is_epoll) return Errno{EINVAL};
    constexpr uint32_t kAllowed =
        EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDNORM | EPOLLRDBAND |
        EPOLLWRNORM | EPOLLWRBAND | EPOLLET | EPOLLWAKEUP | EPOLLEXCLUSIVE;
    if (events & ~kAllowed) return Errno{EINVAL};
  }
  return OkErrno();
}

Epoll* AsEpoll(vfs::FileDescription& f) {
  return dynamic_cast<Epoll*>(f.impl());
}

ErrnoStatus Epoll::Add(const vfs::FileRef& file, int fd, uint32_t events,
                       uint64_t data) {
  vfs::FileImpl* impl = file->impl();
  if (impl == nullptr || impl->Events() == nullptr) {
    const uint32_t type = file->inode()->type();
    if (impl == nullptr || type == S_IFREG || type == S_IFDIR) {
      return Errno{EPERM};
    }
  }
  std::unique_ptr<absl::MutexLock> nest_lock;
  if (Epoll* child = AsEpoll(*file)) {
    if (child == this) return Errno{EINVAL};
    nest_lock = std::make_unique<absl::MutexLock>(&nest_mu);
    // Cycles, and chains deeper than Linux allows, are refused.
    if (child->Reaches(this, 2 * kMaxNests)) return Errno{ELOOP};
    if (child->Depth(kMaxNests + 1) > kMaxNests) return Errno{ELOOP};
  }
  auto e = std::make_shared<Entry>(this, file, fd);
  {
    absl::MutexLock l(&mu_);
    if (entries_.count(e->key())) return Errno{EEXIST};
    e->events = events;
    e->data = data;
    entries_[e->key()] = e;
  }
  e->Register(events & ~kControlFlags);
  file->AddReleaseObserver(e);
  PollEntry(e);
  return OkErrno();
}

ErrnoStatus Epoll::Modify(const vfs::FileRef& file, int fd, uint32_t events,
                          uint64_t data) {
  std::shared_ptr<Entry> e;
  {
    absl::MutexLock l(&mu_);
    auto it = entries_.find({file.get(), fd});
    if (it == entries_.end()) return Errno{ENOENT};
    e = it->second;
    // An exclusive entry cannot be modified (Linux).
    if (e->events & EPOLLEXCLUSIVE) return Errno{EINVAL};
    e->events = events;
    e->data = data;
    e->disabled = false;
  }
  if (!e->UpdateMask(events & ~kControlFlags)) return Errno{ENOENT};
  PollEntry(e);
  return OkErrno();
}

ErrnoStatus Epoll::Delete(const vfs::FileRef& file, int fd) {
  std::shared_ptr<Entry> e;
  {
    absl::MutexLock l(&mu_);
    auto it = entries_.find({file.get(), fd});
    if (it == entries_.end()) return Errno{ENOENT};
    e = std::move(it->second);
    entries_.erase(it);
    e->removed = true;
  }
  e->Unregister();
  return OkErrno();
}

void Epoll::Forget(Entry* e) {
  absl::MutexLock l(&mu_);
  auto it = entries_.find(e->key());
  if (it != entries_.end() && it->second.get() == e) {
    e->removed = true;
    entries_.erase(it);
  }
  ready_.remove_if(
      [e](const std::shared_ptr<Entry>& r) { return r.get() == e; });
}

void Epoll::PollEntry(const std::shared_ptr<Entry>& e) {
  vfs::FileRef f = e->file();
  if (!f) return;
  uint32_t want;
  {
    absl::MutexLock l(&mu_);
    want = e->events & ~kControlFlags;
  }
  uint32_t r = f->Readiness(want | vfs::kAlwaysEvents);
  if (r & (want | vfs::kAlwaysEvents)) OnEntryEvent(e.get(), r);
}

void Epoll::OnEntryEvent(Entry* e, uint32_t events) {
  {
    absl::MutexLock l(&mu_);
    if (e->removed || e->disabled || e->in_ready) return;
    if (!(events & (e->events | vfs::kAlwaysEvents))) return;
    auto it = entries_.find(e->key());
    if (it == entries_.end() || it->second.get() != e) return;
    e->in_ready = true;
    ready_.push_back(it->second);
  }
  events_.Notify(POLLIN | POLLRDNORM);
}

std::vector<ReadyEvent> Epoll::Collect(size_t max) {
  struct Taken {
    std::shared_ptr<Entry> e;
    uint32_t events;
    uint64_t data;
  };
  std::vector<Taken> taken;
  {
    absl::MutexLock l(&mu_);
    for (auto& e : ready_) {
      e->in_ready = false;
      if (e->removed || e->disabled) continue;
      taken.push_back(Taken{e, e->events, e->data});
    }
    ready_.clear();
  }
  std::vector<ReadyEvent> out;
  std::vector<std::shared_ptr<Entry>> unseen, requeue, fired_oneshot;
  for (Taken& t : taken) {
    if (out.size() >= max) {
      unseen.push_back(t.e);  // not looked at: stays first in line
      continue;
    }
    vfs::FileRef f = t.e->file();
    if (!f) continue;
    const uint32_t want = (t.events & ~kControlFlags) | vfs::kAlwaysEvents;
    const uint32_t r = f->Readiness(want) & want;
    if (r == 0) continue;
    out.push_back(ReadyEvent{r, t.data});
    if (t.events & EPOLLONESHOT) {
      fired_oneshot.push_back(t.e);
    } else if (!(t.events & EPOLLET)) {
      requeue.push_back(t.e);  // level-triggered: look again next time
    }
  }
  bool notify = false;
  {
    absl::MutexLock l(&mu_);
    for (auto& e : fired_oneshot) e->disabled = true;
    // Entries not looked at keep their place at the front; reported
    // level-triggered entries go to the back, so that a small maxevents
    // round-robins like Linux instead of starving later entries.
    auto relist = [&](std::vector<std::shared_ptr<Entry>>& from,
                      std::list<std::shared_ptr<Entry>>& to) {
      for (auto& e : from) {
        if (e->in_ready || e->removed || e->disabled) continue;
        e->in_ready = true;
        to.push_back(e);
      }
    };
    std::list<std::shared_ptr<Entry>> front;
    relist(unseen, front);
    relist(requeue, ready_);
    notify = !front.empty() || !ready_.empty();
    ready_.splice(ready_.begin(), front);
  }
  // Nested pollers of this instance learn it is still readable.
  if (notify) events_.Notify(POLLIN | POLLRDNORM);
  return out;
}

uint32_t Epoll::Readiness(uint32_t mask) {
  if (!(mask & (POLLIN | POLLRDNORM))) return 0;
  std::vector<std::pair<std::shared_ptr<Entry>, uint32_t>> ready;
  {
    absl::MutexLock l(&mu_);
    for (auto& e : ready_) {
      if (!e->removed && !e->disabled) ready.emplace_back(e, e->events);
    }
  }
  for (auto& [e, events] : ready) {
    vfs::FileRef f = e->file();
    if (!f) continue;
    const uint32_t want = (events & ~kControlFlags) | vfs::kAlwaysEvents;
    if (f->Readiness(want) & want) return mask & (POLLIN | POLLRDNORM);
  }
  return 0;
}

size_t Epoll::size() {
  absl::MutexLock l(&mu_);
  return entries_.size();
}

std::vector<vfs::FileRef> Epoll::EpollChildren() {
  // FileRefs are dropped by the caller, outside mu_: dropping the last one
  // releases the file, which calls back into Forget.
  std::vector<vfs::FileRef> files, children;
  {
    absl::MutexLock l(&mu_);
    for (auto& [k, e] : entries_) {
      if (!e->removed) files.push_back(e->file());
    }
  }
  for (auto& f : files) {
    if (f && AsEpoll(*f)) children.push_back(f);
  }
  return children;
}

int Epoll::Depth(int limit) {
  if (limit <= 0) return 1;
  int depth = 1;
  for (auto& f : EpollChildren()) {
    depth = std::max(depth, 1 + AsEpoll(*f)->Depth(limit - 1));
  }
  return depth;
}

bool Epoll::Reaches(Epoll* target, int limit) {
  if (this == target) return true;
  if (limit <= 0) return false;
  for (auto& f : EpollChildren()) {
    if (AsEpoll(*f)->Reaches(target, limit - 1)) return true;
  }
  return false;
}

ErrnoOr<vfs::FileRef> NewEpoll(vfs::VirtualFilesystem* vfs, int flags,
                               uint32_t uid, uint32_t gid) {
  if (flags & ~EPOLL_CLOEXEC) return Errno{EINVAL};
  return anon::NewAnonFile(vfs, O_RDWR, std::make_unique<Epoll>(), uid, gid);
}

}  // namespace sentry::fs::epoll
