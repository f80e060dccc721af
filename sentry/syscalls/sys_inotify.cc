// inotify(7): inotify_init/init1, inotify_add_watch, inotify_rm_watch and
// the instance file (read, poll through vfs::EventQueue, FIONREAD).
//
// An instance keeps its watches by descriptor (wd) and pins each watched
// location, so the VFS keeps handing out the same inode (the watch table of
// sentry/vfs/fsnotify.h is keyed by inode). Events are queued as Linux
// formats them (struct inotify_event, names NUL-padded to 16 bytes);
// an event identical to the last queued one is merged, as Linux does, and
// past kMaxQueued events one IN_Q_OVERFLOW is queued. IN_ONESHOT watches,
// removed watches and watches whose inode is deleted (IN_DELETE_SELF) get a
// final IN_IGNORED. Closing the instance removes all its watches.
//
// Locking: InotifyState::mu_ is a leaf (EventQueue's lock is taken inside
// it by Notify); the fsnotify table lock is never held while taking mu_,
// nor mu_ while calling into fsnotify.
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/syscall_table.h"
#include "sentry/vfs/events.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/waiter.h"

namespace sentry::syscalls {

namespace {

constexpr size_t kMaxQueued = 16384;  // /proc/sys/fs/inotify/max_queued_events
constexpr int kMaxWatches = 8192;     // max_user_watches (per instance here)

struct QueuedEvent {
  int wd;
  uint32_t mask;
  uint32_t cookie;
  std::string name;
  size_t Size() const { return sizeof(inotify_event) + PaddedLen(); }
  uint32_t PaddedLen() const {
    if (name.empty()) return 0;
    const size_t n = name.size() + 1;
    return static_cast<uint32_t>((n + sizeof(inotify_event) - 1) /
                                 sizeof(inotify_event) * sizeof(inotify_event));
  }
};

class InotifyState;

class Watch final : public vfs::FsWatch {
 public:
  Watch(std::weak_ptr<InotifyState> st, int wd, const vfs::Inode* inode,
        uint32_t mask)
      : st_(std::move(st)), wd_(wd), inode_(inode), mask_(mask) {}
  void Event(uint32_t mask, uint32_t cookie, absl::string_view name) override;
  int wd() const { return wd_; }
  const vfs::Inode* inode() const { return inode_; }
  uint32_t mask() const { return mask_.load(); }
  void set_mask(uint32_t m) { mask_.store(m); }

 private:
  const std::weak_ptr<InotifyState> st_;
  const int wd_;
  const vfs::Inode* const inode_;
  std::atomic<uint32_t> mask_;
};

class InotifyState : public std::enable_shared_from_this<InotifyState> {
 public:
  ~InotifyState() {
    // Unhook every watch (the fsnotify table holds them by shared_ptr).
    for (auto& [wd, e] : watches_)
      vfs::RemoveWatch(e.watch->inode(), e.watch.get());
  }

  ErrnoOr<int> AddWatch(const vfs::VirtualDentry& vd, uint32_t mask) {
    const vfs::Inode* inode = vd.inode();
    std::shared_ptr<Watch> w;
    {
      absl::MutexLock l(&mu_);
      for (auto& [wd, e] : watches_) {
        if (e.watch->inode() != inode) continue;
        if (mask & IN_MASK_CREATE) return Errno{EEXIST};
        uint32_t m = mask & ~(IN_MASK_ADD | IN_MASK_CREATE);
        if (mask & IN_MASK_ADD) m |= e.watch->mask();
        e.watch->set_mask(m);
        return wd;
      }
      if (static_cast<int>(watches_.size()) >= kMaxWatches) {
        return Errno{ENOSPC};
      }
      const int wd = next_wd_++;
      w = std::make_shared<Watch>(weak_from_this(), wd, inode,
                                  mask & ~(IN_MASK_ADD | IN_MASK_CREATE));
      watches_.emplace(wd, Entry{w, vd});
    }
    vfs::AddWatch(inode, w);
    return w->wd();
  }

  // inotify_rm_watch, IN_ONESHOT and IN_DELETE_SELF: drops the watch and
  // queues IN_IGNORED. False if there was no such watch.
  bool RemoveWatch(int wd) {
    Entry e;
    {
      absl::MutexLock l(&mu_);
      auto it = watches_.find(wd);
      if (it == watches_.end()) return false;
      e = std::move(it->second);
      watches_.erase(it);
      QueueLocked(wd, IN_IGNORED, 0, {});
    }
    vfs::RemoveWatch(e.watch->inode(), e.watch.get());
    return true;
  }

  void Queue(int wd, uint32_t mask, uint32_t cookie, absl::string_view name) {
    absl::MutexLock l(&mu_);
    if (watches_.find(wd) == watches_.end()) return;  // removed meanwhile
    QueueLocked(wd, mask, cookie, name);
  }

  ErrnoOr<size_t> Read(vfs::IoDst& dst, const vfs::IoOptions& opts) {
    vfs::WaiterRegistration reg(opts.waiter, &mu_, &cv_);
    absl::MutexLock l(&mu_);
    for (;;) {
      if (!queue_.empty()) break;
      if (opts.nonblock) return Errno{EAGAIN};
      if (opts.waiter && opts.waiter->interrupted()) return Errno{EINTR};
      cv_.Wait(&mu_);
    }
    if (queue_.front().Size() > dst.size()) return Errno{EINVAL};
    size_t done = 0;
    while (!queue_.empty() && queue_.front().Size() <= dst.size() - done) {
      const QueuedEvent& e = queue_.front();
      std::vector<std::byte> buf(e.Size());
      inotify_event h{};
      h.wd = e.wd;
      h.mask = e.mask;
      h.cookie = e.cookie;
      h.len = e.PaddedLen();
      std::memcpy(buf.data(), &h, sizeof(h));
      std::memcpy(buf.data() + sizeof(h), e.name.data(), e.name.size());
      auto n = dst.CopyOut(done, buf);
      if (!n.ok() || *n < buf.size()) {
        if (done == 0) return Errno{EFAULT};
        break;
      }
      done += buf.size();
      queued_bytes_ -= buf.size();
      queue_.pop_front();
    }
    return done;
  }

  uint32_t Readiness(uint32_t mask) {
    absl::MutexLock l(&mu_);
    return queue_.empty() ? 0 : (mask & (POLLIN | POLLRDNORM));
  }

  size_t QueuedBytes() {
    absl::MutexLock l(&mu_);
    return queued_bytes_;
  }

  vfs::EventQueue& events() { return events_; }

 private:
  struct Entry {
    std::shared_ptr<Watch> watch;
    vfs::VirtualDentry pin;  // keeps the watched inode the VFS's one
  };

  void QueueLocked(int wd, uint32_t mask, uint32_t cookie,
                   absl::string_view name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!queue_.empty()) {
      const QueuedEvent& last = queue_.back();
      if (last.wd == wd && last.mask == mask && last.cookie == cookie &&
          last.name == name) {
        return;  // Linux merges identical consecutive events.
      }
    }
    if (queue_.size() >= kMaxQueued) {
      if (queue_.back().mask != IN_Q_OVERFLOW) {
        queue_.push_back({-1, IN_Q_OVERFLOW, 0, {}});
        queued_bytes_ += queue_.back().Size();
      }
    } else {
      queue_.push_back({wd, mask, cookie, std::string(name)});
      queued_bytes_ += queue_.back().Size();
    }
    cv_.SignalAll();
    events_.Notify(POLLIN | POLLRDNORM);
  }

  absl::Mutex mu_;
  absl::CondVar cv_;
  vfs::EventQueue events_;
  std::map<int, Entry> watches_ ABSL_GUARDED_BY(mu_);
  int next_wd_ ABSL_GUARDED_BY(mu_) = 1;
  std::deque<QueuedEvent> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

void Watch::Event(uint32_t mask, uint32_t cookie, absl::string_view name) {
  std::shared_ptr<InotifyState> st = st_.lock();
  if (st == nullptr) return;
  const uint32_t m = mask_.load();
  const bool self_gone = (mask & IN_DELETE_SELF) != 0;
  if (mask & m & IN_ALL_EVENTS) {
    st->Queue(wd_, mask & (m | IN_ISDIR), cookie, name);
    if (m & IN_ONESHOT) {
      st->RemoveWatch(wd_);
      return;
    }
  }
  if (self_gone) st->RemoveWatch(wd_);
}

class InotifyFile final : public vfs::FileImpl {
 public:
  InotifyFile() : st_(std::make_shared<InotifyState>()) {}
  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t,
                       const vfs::IoOptions& opts) override {
    return st_->Read(dst, opts);
  }
  ErrnoOr<size_t> Write(vfs::IoSrc&, int64_t, const vfs::IoOptions&,
                        int64_t*) override {
    return Errno{EBADF};
  }
  bool Seekable() const override { return false; }
  uint32_t Readiness(uint32_t mask) override { return st_->Readiness(mask); }
  vfs::EventQueue* Events() override { return &st_->events(); }
  std::string AnonName() const override { return "inotify"; }
  ErrnoOr<int64_t> Ioctl(uint32_t cmd, uint64_t arg,
                         vfs::IoctlCaller& caller) override {
    if (cmd != FIONREAD) return Errno{ENOTTY};
    int n = static_cast<int>(st_->QueuedBytes());
    RETURN_IF_ERRNO(caller.CopyOut(
        arg, std::span<const std::byte>(reinterpret_cast<const std::byte*>(&n),
                                        sizeof(n))));
    return int64_t{0};
  }
  InotifyState& state() { return *st_; }

 private:
  std::shared_ptr<InotifyState> st_;
};

SyscallResult InotifyInit1(Task& t, int flags) {
  if (flags & ~(IN_NONBLOCK | IN_CLOEXEC)) return Errno{EINVAL};
  static const uint64_t dev = vfs::NewAnonDev();
  static std::atomic<uint64_t> next_ino{1};
  auto creds = t.creds();
  auto inode = std::make_shared<vfs::SimpleInode>(
      dev, next_ino.fetch_add(1), S_IFREG | 0600, creds->effective_uid,
      creds->effective_gid);
  auto f = std::make_shared<vfs::FileDescription>(
      SandboxVfs(), vfs::VirtualDentry{}, inode,
      O_RDONLY | (flags & IN_NONBLOCK), std::make_unique<InotifyFile>());
  return SyscallResult::From(
      TaskFdTable(t).Add(std::move(f), (flags & IN_CLOEXEC) != 0));
}

SyscallResult InotifyInit(Task& t) { return InotifyInit1(t, 0); }

ErrnoOr<InotifyFile*> InotifyOf(Task& t, int fd, vfs::FileRef* keep) {
  ASSIGN_OR_RETURN_ERRNO(*keep, GetFile(t, fd));
  auto* in = dynamic_cast<InotifyFile*>((*keep)->impl());
  if (in == nullptr) return Errno{EINVAL};
  return in;
}

SyscallResult InotifyAddWatch(Task& t, Fd fd, UserAddr path, uint32_t mask) {
  vfs::FileRef keep;
  ASSIGN_OR_RETURN_ERRNO(InotifyFile * in, InotifyOf(t, fd.value, &keep));
  if ((mask & IN_ALL_EVENTS) == 0) return Errno{EINVAL};
  if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE)) return Errno{EINVAL};
  const bool follow = (mask & IN_DONT_FOLLOW) == 0;
  ASSIGN_OR_RETURN_ERRNO(
      vfs::VirtualDentry vd,
      WithPath(t, AT_FDCWD, path,
               [&](vfs::Context& ctx,
                   vfs::PathAt at) -> ErrnoOr<vfs::VirtualDentry> {
                 ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry v,
                                        SandboxVfs()->Resolve(ctx, at, follow));
                 RETURN_IF_ERRNO(vfs::VirtualFilesystem::Permission(
                     *ctx.creds, *v.inode(), auth::kMayRead));
                 return v;
               }));
  if ((mask & IN_ONLYDIR) && !vd.inode()->IsDir()) return Errno{ENOTDIR};
  return SyscallResult::From(in->state().AddWatch(
      vd, mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK | IN_MASK_ADD |
                  IN_MASK_CREATE)));
}

SyscallResult InotifyRmWatch(Task& t, Fd fd, int wd) {
  vfs::FileRef keep;
  ASSIGN_OR_RETURN_ERRNO(InotifyFile * in, InotifyOf(t, fd.value, &keep));
  if (!in->state().RemoveWatch(wd)) return Errno{EINVAL};
  return SyscallResult::Value(0);
}

}  // namespace

void RegisterInotifySyscalls(SyscallTable& tab) {
  tab.Set(__NR_inotify_init, FileAdapt<&InotifyInit>, Support::kFull);
  tab.Set(__NR_inotify_init1, FileAdapt<&InotifyInit1>, Support::kFull);
  tab.Set(__NR_inotify_add_watch, FileAdapt<&InotifyAddWatch>,
          Support::kPartial,
          "IN_DELETE_SELF of files at last unlink; no IN_UNMOUNT");
  tab.Set(__NR_inotify_rm_watch, FileAdapt<&InotifyRmWatch>, Support::kFull);
}

}  // namespace sentry::syscalls
