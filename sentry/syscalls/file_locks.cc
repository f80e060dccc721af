#include "sentry/syscalls/file_locks.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/syscall.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/vfs/waiter.h"

namespace sentry::syscalls {

namespace {

constexpr int64_t kEof = std::numeric_limits<int64_t>::max();

enum class Kind { kPosix, kOfd, kFlock };

struct Lock {
  int64_t start;
  int64_t end;  // inclusive; kEof = to the end of file, whatever its size
  bool write;
  Kind kind;
  const void* owner;  // FdTable (POSIX) or FileDescription (OFD, flock)
  std::weak_ptr<vfs::FileDescription> desc;  // OFD/flock owner liveness
  int pid;                                   // l_pid reported by F_GETLK
};

struct InodeLocks {
  std::weak_ptr<vfs::Inode> inode;
  std::vector<Lock> locks;
};

// Who asks: the owner key, how it reports itself and which family it is in.
struct Requester {
  Kind kind;
  const void* owner;
  std::weak_ptr<vfs::FileDescription> desc;
  int pid;
};

absl::Mutex mu;
absl::CondVar cv;
absl::flat_hash_map<const vfs::Inode*, InodeLocks>& Tables()
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
  static auto* t = new absl::flat_hash_map<const vfs::Inode*, InodeLocks>();
  return *t;
}
// POSIX wait graph: a blocked owner -> the owner it waits for.
absl::flat_hash_map<const void*, const void*>& Blocked()
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
  static auto* b = new absl::flat_hash_map<const void*, const void*>();
  return *b;
}

bool Gone(const Lock& l) { return l.kind != Kind::kPosix && l.desc.expired(); }

bool SameFamily(Kind a, Kind b) {
  return (a == Kind::kFlock) == (b == Kind::kFlock);
}

bool Overlap(const Lock& l, int64_t s, int64_t e) {
  return l.start <= e && s <= l.end;
}

// The inode's list (created on demand); a recycled Inode address starts
// afresh.
std::vector<Lock>& ListOf(const std::shared_ptr<vfs::Inode>& inode)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
  InodeLocks& il = Tables()[inode.get()];
  if (il.inode.expired() || il.inode.lock() != inode) {
    il.inode = inode;
    il.locks.clear();
  }
  std::erase_if(il.locks, Gone);
  return il.locks;
}

void Prune(const vfs::Inode* key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
  auto it = Tables().find(key);
  if (it != Tables().end() && it->second.locks.empty()) Tables().erase(it);
}

const Lock* Conflict(const std::vector<Lock>& locks, const Requester& r,
                     bool write, int64_t s, int64_t e) {
  for (const Lock& l : locks) {
    if (!SameFamily(l.kind, r.kind) || l.owner == r.owner) continue;
    if (!Overlap(l, s, e)) continue;
    if (write || l.write) return &l;
  }
  return nullptr;
}

// Replaces r's locks on [s, e] by one of the given type (or by nothing for
// an unlock), splitting and merging as POSIX requires.
void Apply(std::vector<Lock>& locks, const Requester& r, bool unlock,
           bool write, int64_t s, int64_t e) {
  std::vector<Lock> out;
  Lock nl{s, e, write, r.kind, r.owner, r.desc, r.pid};
  for (Lock& l : locks) {
    if (l.owner != r.owner || !SameFamily(l.kind, r.kind)) {
      out.push_back(std::move(l));
      continue;
    }
    if (!Overlap(l, s, e)) {
      // Adjacent locks of the same type merge into the new one.
      bool adjacent =
          (l.end != kEof && l.end + 1 == s) || (e != kEof && e + 1 == l.start);
      if (!unlock && adjacent && l.write == write) {
        nl.start = std::min(nl.start, l.start);
        nl.end = std::max(nl.end, l.end);
        continue;
      }
      out.push_back(std::move(l));
      continue;
    }
    if (!unlock && l.write == write) {
      // Same type overlapping: absorb it.
      nl.start = std::min(nl.start, l.start);
      nl.end = std::max(nl.end, l.end);
      continue;
    }
    if (l.start < s) {
      Lock left = l;
      left.end = s - 1;
      out.push_back(std::move(left));
    }
    if (l.end > e) {
      Lock right = l;
      right.start = e + 1;
      out.push_back(std::move(right));
    }
  }
  if (!unlock) out.push_back(std::move(nl));
  locks = std::move(out);
}

// Whether making r wait for `holder` closes a cycle of POSIX waiters.
bool WouldDeadlock(const void* me, const void* holder)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
  const void* o = holder;
  for (int i = 0; i < 64 && o != nullptr; ++i) {
    if (o == me) return true;
    auto it = Blocked().find(o);
    o = it == Blocked().end() ? nullptr : it->second;
  }
  return false;
}

// Takes (or drops) a lock, waiting if `wait`. EAGAIN when busy without
// waiting (flock maps it to EWOULDBLOCK, the same value).
ErrnoStatus SetLock(Task& t, const std::shared_ptr<vfs::Inode>& inode,
                    const Requester& r, int type, int64_t s, int64_t e,
                    bool wait) {
  const bool unlock = type == F_UNLCK;
  const bool write = type == F_WRLCK;
  vfs::WaiterRegistration reg(wait ? t.vfs_waiter() : nullptr, &mu, &cv);
  absl::MutexLock l(&mu);
  for (;;) {
    std::vector<Lock>& locks = ListOf(inode);
    if (unlock) {
      Apply(locks, r, true, false, s, e);
      cv.SignalAll();
      Prune(inode.get());
      return OkErrno();
    }
    if (r.kind == Kind::kFlock) {
      // Linux's flock conversion: an existing lock of the other type is
      // dropped first, and stays dropped if the new one cannot be had.
      auto own = std::find_if(locks.begin(), locks.end(), [&](const Lock& k) {
        return k.kind == Kind::kFlock && k.owner == r.owner;
      });
      if (own != locks.end()) {
        if (own->write == write) return OkErrno();
        Apply(locks, r, true, false, s, e);
        cv.SignalAll();
      }
    }
    const Lock* c = Conflict(locks, r, write, s, e);
    if (c == nullptr) {
      Apply(locks, r, false, write, s, e);
      // A conversion (write -> read) or a split may free others' ranges.
      cv.SignalAll();
      return OkErrno();
    }
    if (!wait) {
      Prune(inode.get());
      return Errno{EAGAIN};
    }
    if (r.kind == Kind::kPosix && c->kind == Kind::kPosix &&
        WouldDeadlock(r.owner, c->owner)) {
      return Errno{EDEADLK};
    }
    if (t.vfs_waiter()->interrupted()) return Errno{EINTR};
    if (r.kind == Kind::kPosix) Blocked()[r.owner] = c->owner;
    cv.Wait(&mu);
    if (r.kind == Kind::kPosix) Blocked().erase(r.owner);
  }
}

// Drops every lock of `owner` (any family) everywhere.
void ReleaseOwner(const void* owner, bool posix_only) {
  absl::MutexLock l(&mu);
  bool changed = false;
  for (auto it = Tables().begin(); it != Tables().end();) {
    auto& locks = it->second.locks;
    size_t n = locks.size();
    std::erase_if(locks, [&](const Lock& k) {
      return k.owner == owner && (!posix_only || k.kind == Kind::kPosix);
    });
    changed |= locks.size() != n;
    if (locks.empty()) {
      Tables().erase(it++);
    } else {
      ++it;
    }
  }
  if (changed) cv.SignalAll();
}

// OFD and flock locks go when their description is freed.
void OnFileRelease(vfs::FileDescription& f) {
  const vfs::Inode* key = f.inode().get();
  absl::MutexLock l(&mu);
  auto it = Tables().find(key);
  if (it == Tables().end()) return;
  size_t n = it->second.locks.size();
  std::erase_if(it->second.locks, [&](const Lock& k) {
    return k.kind != Kind::kPosix && k.owner == &f;
  });
  if (it->second.locks.size() != n) cv.SignalAll();
  if (it->second.locks.empty()) Tables().erase(it);
}

// Set once any lock was asked for: until then close and exit skip the
// lock table entirely.
std::atomic<bool> locks_used{false};

void InstallReleaseHook() {
  locks_used.store(true);
  static std::once_flag once;
  std::call_once(once, [] { vfs::AddFileReleaseHook(&OnFileRelease); });
}

// struct flock -> [start, end]; EINVAL for a negative start, EOVERFLOW past
// the largest offset.
ErrnoStatus ToRange(vfs::FileDescription& f, const struct flock& fl, int64_t* s,
                    int64_t* e) {
  int64_t base;
  switch (fl.l_whence) {
    case SEEK_SET:
      base = 0;
      break;
    case SEEK_CUR: {
      ASSIGN_OR_RETURN_ERRNO(base, f.Seek(0, SEEK_CUR));
      break;
    }
    case SEEK_END: {
      ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, f.GetStat());
      base = st.size;
      break;
    }
    default:
      return Errno{EINVAL};
  }
  int64_t start;
  if (__builtin_add_overflow(base, static_cast<int64_t>(fl.l_start), &start)) {
    return Errno{EOVERFLOW};
  }
  int64_t len = fl.l_len;
  int64_t end;
  if (len == 0) {
    end = kEof;
  } else if (len > 0) {
    if (__builtin_add_overflow(start, len - 1, &end)) return Errno{EOVERFLOW};
  } else {
    // A negative length covers [start + len, start - 1].
    end = start - 1;
    if (__builtin_add_overflow(start, len, &start)) return Errno{EINVAL};
  }
  if (start < 0) return Errno{EINVAL};
  *s = start;
  *e = end;
  return OkErrno();
}

}  // namespace

SyscallResult RecordLockFcntl(Task& t, const vfs::FileRef& f, int cmd,
                              UserAddr arg) {
  if (f->is_path()) return Errno{EBADF};
  struct flock fl;
  RETURN_IF_ERRNO(t.mm().CopyInFull(arg, &fl, sizeof(fl)));
  const bool ofd =
      cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
  if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK) {
    return Errno{EINVAL};
  }
  if (ofd && fl.l_pid != 0) return Errno{EINVAL};
  int64_t s = 0, e = 0;
  RETURN_IF_ERRNO(ToRange(*f, fl, &s, &e));
  InstallReleaseHook();
  Requester r;
  if (ofd) {
    r = Requester{Kind::kOfd, f.get(), f, -1};
  } else {
    r = Requester{Kind::kPosix, &TaskFdTable(t), {}, t.tg().tgid};
  }
  if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
    if (fl.l_type == F_UNLCK) return Errno{EINVAL};
    {
      absl::MutexLock l(&mu);
      const Lock* c =
          Conflict(ListOf(f->inode()), r, fl.l_type == F_WRLCK, s, e);
      if (c == nullptr) {
        fl.l_type = F_UNLCK;
      } else {
        fl.l_type = c->write ? F_WRLCK : F_RDLCK;
        fl.l_whence = SEEK_SET;
        fl.l_start = c->start;
        fl.l_len = c->end == kEof ? 0 : c->end - c->start + 1;
        fl.l_pid = c->pid;
      }
      Prune(f->inode().get());
    }
    RETURN_IF_ERRNO(t.mm().CopyOutFull(arg, &fl, sizeof(fl)));
    return SyscallResult::Value(0);
  }
  // The access mode must allow the lock type (Linux: EBADF).
  if (fl.l_type == F_RDLCK && !f->readable()) return Errno{EBADF};
  if (fl.l_type == F_WRLCK && !f->writable()) return Errno{EBADF};
  const bool wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
  RETURN_IF_ERRNO(SetLock(t, f->inode(), r, fl.l_type, s, e, wait));
  return SyscallResult::Value(0);
}

void ReleaseProcessLocks(Task& t, vfs::FileDescription& f) {
  if (!locks_used.load() || !HasFiles(t)) return;
  const void* owner = &TaskFdTable(t);
  const vfs::Inode* key = f.inode().get();
  absl::MutexLock l(&mu);
  auto it = Tables().find(key);
  if (it == Tables().end()) return;
  size_t n = it->second.locks.size();
  std::erase_if(it->second.locks, [&](const Lock& k) {
    return k.kind == Kind::kPosix && k.owner == owner;
  });
  if (it->second.locks.size() != n) cv.SignalAll();
  if (it->second.locks.empty()) Tables().erase(it);
}

void ReleaseTableLocks(const void* table) {
  if (locks_used.load()) ReleaseOwner(table, true);
}

namespace {

SyscallResult Flock(Task& t, Fd fd, int op) {
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd.value));
  if (f->is_path()) return Errno{EBADF};
  // LOCK_MAND (32) is obsolete: Linux ignores the call and returns 0.
  if (op & 32) return SyscallResult::Value(0);
  const bool nb = (op & LOCK_NB) != 0;
  int type;
  switch (op & ~LOCK_NB) {
    case LOCK_SH:
      type = F_RDLCK;
      break;
    case LOCK_EX:
      type = F_WRLCK;
      break;
    case LOCK_UN:
      type = F_UNLCK;
      break;
    default:
      return Errno{EINVAL};
  }
  InstallReleaseHook();
  Requester r{Kind::kFlock, f.get(), f, t.tg().tgid};
  RETURN_IF_ERRNO(SetLock(t, f->inode(), r, type, 0, kEof, !nb));
  return SyscallResult::Value(0);
}

}  // namespace

void RegisterLockSyscalls(SyscallTable& tab) {
  tab.Set(__NR_flock, FileAdapt<&Flock>, Support::kFull);
}

}  // namespace sentry::syscalls
