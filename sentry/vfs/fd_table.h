// Per-process descriptor tables.
//
// A FdTable maps descriptor numbers to shared open file descriptions plus the
// close-on-exec flag. New descriptors take the lowest free number (POSIX);
// numbers are bounded by a limit the kernel keeps in sync with RLIMIT_NOFILE
// (EMFILE above it; dup2 to a number >= the limit is EBADF). Clone() copies
// the table for fork (descriptions shared, as Linux); threads share one
// table through a shared_ptr (CLONE_FILES).
//
// Locking: one mutex per table. Closed descriptions are returned to the
// caller so their last reference drops outside the lock (a pipe close wakes
// readers, a gofer close may do I/O).
#ifndef SENTRY_VFS_FD_TABLE_H_
#define SENTRY_VFS_FD_TABLE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sentry/base/errno.h"
#include "sentry/vfs/file.h"

namespace sentry::vfs {

class FdTable {
 public:
  // Linux's default soft RLIMIT_NOFILE.
  static constexpr uint64_t kDefaultLimit = 1024;
  // The hard ceiling (Linux's fs.nr_open default).
  static constexpr uint64_t kMaxLimit = 1 << 20;

  explicit FdTable(uint64_t limit = kDefaultLimit);

  // The lowest free descriptor >= min_fd (open, dup, F_DUPFD).
  ErrnoOr<int> Add(FileRef file, bool cloexec, int min_fd = 0);
  // dup2/dup3: installs file at fd, closing what was there. EBADF if fd is
  // outside the limit. Returns the replaced description (may be null).
  ErrnoOr<FileRef> Install(int fd, FileRef file, bool cloexec);
  // dup3 semantics on descriptors: EBADF, EINVAL if oldfd == newfd.
  ErrnoOr<int> Dup3(int oldfd, int newfd, bool cloexec);
  // dup2 semantics: oldfd == newfd returns newfd if valid.
  ErrnoOr<int> Dup2(int oldfd, int newfd);
  ErrnoOr<FileRef> Get(int fd);
  ErrnoOr<bool> GetCloexec(int fd);
  ErrnoStatus SetCloexec(int fd, bool cloexec);
  // close: EBADF if not open. Returns the description.
  ErrnoOr<FileRef> Remove(int fd);
  // close_range(first, last, flags): CLOSE_RANGE_CLOEXEC marks instead of
  // closing. Returns the closed descriptions.
  std::vector<FileRef> CloseRange(unsigned first, unsigned last,
                                  bool cloexec_only);
  // execve: closes the close-on-exec descriptors.
  std::vector<FileRef> CloseOnExec();
  // fork: a copy sharing the descriptions.
  std::unique_ptr<FdTable> Clone();

  // RLIMIT_NOFILE changes; descriptors already above stay open (Linux).
  void SetLimit(uint64_t limit);
  uint64_t limit();
  // Open descriptors in increasing order (for /proc/pid/fd).
  std::vector<int> Fds();
  int Count();

 private:
  struct Entry {
    FileRef file;
    bool cloexec = false;
  };
  int LowestFreeLocked(int min_fd) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t limit_ ABSL_GUARDED_BY(mu_);
  int used_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sentry::vfs

#endif  // SENTRY_VFS_FD_TABLE_H_
