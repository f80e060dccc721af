#include "sentry/vfs/fd_table.h"

#include <algorithm>
#include <utility>

namespace sentry::vfs {

FdTable::FdTable(uint64_t limit) : limit_(std::min(limit, kMaxLimit)) {}

int FdTable::LowestFreeLocked(int min_fd) {
  for (size_t i = min_fd; i < entries_.size(); ++i) {
    if (!entries_[i].file) return static_cast<int>(i);
  }
  return std::max<int>(min_fd, static_cast<int>(entries_.size()));
}

ErrnoOr<int> FdTable::Add(FileRef file, bool cloexec, int min_fd) {
  if (min_fd < 0) return Errno{EINVAL};
  absl::MutexLock l(&mu_);
  if (static_cast<uint64_t>(min_fd) >= limit_) return Errno{EINVAL};
  int fd = LowestFreeLocked(min_fd);
  if (static_cast<uint64_t>(fd) >= limit_) return Errno{EMFILE};
  if (static_cast<size_t>(fd) >= entries_.size()) entries_.resize(fd + 1);
  entries_[fd] = Entry{std::move(file), cloexec};
  ++used_;
  return fd;
}

ErrnoOr<FileRef> FdTable::Install(int fd, FileRef file, bool cloexec) {
  absl::MutexLock l(&mu_);
  if (fd < 0 || static_cast<uint64_t>(fd) >= limit_) return Errno{EBADF};
  if (static_cast<size_t>(fd) >= entries_.size()) entries_.resize(fd + 1);
  FileRef old = std::move(entries_[fd].file);
  if (!old) ++used_;
  entries_[fd] = Entry{std::move(file), cloexec};
  return old;
}

ErrnoOr<int> FdTable::Dup3(int oldfd, int newfd, bool cloexec) {
  if (oldfd == newfd) return Errno{EINVAL};
  ASSIGN_OR_RETURN_ERRNO(FileRef f, Get(oldfd));
  ASSIGN_OR_RETURN_ERRNO(FileRef replaced,
                         Install(newfd, std::move(f), cloexec));
  replaced.reset();  // dropped outside the lock
  return newfd;
}

ErrnoOr<int> FdTable::Dup2(int oldfd, int newfd) {
  if (oldfd == newfd) {
    RETURN_IF_ERRNO(Get(oldfd));
    return newfd;
  }
  return Dup3(oldfd, newfd, false);
}

ErrnoOr<FileRef> FdTable::Get(int fd) {
  absl::MutexLock l(&mu_);
  if (fd < 0 || static_cast<size_t>(fd) >= entries_.size() ||
      !entries_[fd].file) {
    return Errno{EBADF};
  }
  return entries_[fd].file;
}

ErrnoOr<bool> FdTable::GetCloexec(int fd) {
  absl::MutexLock l(&mu_);
  if (fd < 0 || static_cast<size_t>(fd) >= entries_.size() ||
      !entries_[fd].file) {
    return Errno{EBADF};
  }
  return entries_[fd].cloexec;
}

ErrnoStatus FdTable::SetCloexec(int fd, bool cloexec) {
  absl::MutexLock l(&mu_);
  if (fd < 0 || static_cast<size_t>(fd) >= entries_.size() ||
      !entries_[fd].file) {
    return Errno{EBADF};
  }
  entries_[fd].cloexec = cloexec;
  return OkErrno();
}

ErrnoOr<FileRef> FdTable::Remove(int fd) {
  absl::MutexLock l(&mu_);
  if (fd < 0 || static_cast<size_t>(fd) >= entries_.size() ||
      !entries_[fd].file) {
    return Errno{EBADF};
  }
  FileRef f = std::move(entries_[fd].file);
  entries_[fd].cloexec = false;
  --used_;
  return f;
}

std::vector<FileRef> FdTable::CloseRange(unsigned first, unsigned last,
                                         bool cloexec_only) {
  std::vector<FileRef> closed;
  absl::MutexLock l(&mu_);
  for (size_t i = first; i < entries_.size() && i <= last; ++i) {
    if (!entries_[i].file) continue;
    if (cloexec_only) {
      entries_[i].cloexec = true;
    } else {
      closed.push_back(std::move(entries_[i].file));
      entries_[i].cloexec = false;
      --used_;
    }
  }
  return closed;
}

std::vector<FileRef> FdTable::CloseOnExec() {
  std::vector<FileRef> closed;
  absl::MutexLock l(&mu_);
  for (Entry& e : entries_) {
    if (e.file && e.cloexec) {
      closed.push_back(std::move(e.file));
      e.cloexec = false;
      --used_;
    }
  }
  return closed;
}

std::unique_ptr<FdTable> FdTable::Clone() {
  absl::MutexLock l(&mu_);
  auto t = std::make_unique<FdTable>(limit_);
  absl::MutexLock tl(&t->mu_);
  t->entries_ = entries_;
  t->used_ = used_;
  return t;
}

void FdTable::SetLimit(uint64_t limit) {
  absl::MutexLock l(&mu_);
  limit_ = std::min(limit, kMaxLimit);
}

uint64_t FdTable::limit() {
  absl::MutexLock l(&mu_);
  return limit_;
}

std::vector<int> FdTable::Fds() {
  absl::MutexLock l(&mu_);
  std::vector<int> fds;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].file) fds.push_back(static_cast<int>(i));
  }
  return fds;
}

int FdTable::Count() {
  absl::MutexLock l(&mu_);
  return used_;
}

}  // namespace sentry::vfs
