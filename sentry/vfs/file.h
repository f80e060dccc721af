// Open file descriptions (Linux's struct file).
//
// A FileDescription is shared (shared_ptr) by every descriptor that refers to
// it (dup, fork, SCM_RIGHTS) and holds the file offset, the status flags and
// the file's FileImpl. The offset is protected by pos_mu_, held across a
// whole read/write/lseek/getdents of a seekable file, as Linux's f_pos_lock;
// non-seekable files (pipes) are read without it, so a blocked reader does
// not block lseek or a writer. Lock order: pos_mu_ -> FileImpl/inode locks.
#ifndef SENTRY_VFS_FILE_H_
#define SENTRY_VFS_FILE_H_

#include <fcntl.h>

#include <atomic>
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sentry/base/errno.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/inode.h"
#include "sentry/vfs/io.h"

namespace sentry::vfs {

class VirtualFilesystem;
class Waiter;
class FileDescription;

// Told when a FileDescription's last reference goes, before its FileImpl
// (and any EventQueue it owns) is destroyed: epoll drops its interest
// entries there, as Linux's eventpoll_release() in __fput().
class FileReleaseObserver {
 public:
  virtual ~FileReleaseObserver() = default;
  virtual void OnFileRelease(FileDescription* file) = 0;
};

class FileDescription {
 public:
  // vd may be empty for anonymous files (pipes); inode is then required.
  FileDescription(VirtualFilesystem* vfs, VirtualDentry vd,
                  std::shared_ptr<Inode> inode, int flags,
                  std::unique_ptr<FileImpl> impl);
  ~FileDescription();
  FileDescription(const FileDescription&) = delete;
  FileDescription& operator=(const FileDescription&) = delete;

  // Access mode and status flags (fcntl F_GETFL); O_CLOEXEC is not here.
  int flags() const { return flags_.load(); }
  // fcntl F_SETFL: changes O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME.
  void SetStatusFlags(int flags);
  bool readable() const;
  bool writable() const;
  bool is_path() const { return (flags() & O_PATH) != 0; }

  const VirtualDentry& location() const { return vd_; }
  const std::shared_ptr<Inode>& inode() const { return inode_; }
  FileImpl* impl() const { return impl_.get(); }

  // read/readv: at the current offset, advancing it.
  ErrnoOr<size_t> Read(IoDst& dst, Waiter* waiter = nullptr);
  // pread: ESPIPE on non-seekable files, EINVAL on negative offsets.
  ErrnoOr<size_t> PRead(IoDst& dst, int64_t offset, Waiter* waiter = nullptr);
  ErrnoOr<size_t> Write(IoSrc& src, Waiter* waiter = nullptr);
  ErrnoOr<size_t> PWrite(IoSrc& src, int64_t offset, Waiter* waiter = nullptr);
  // lseek: SEEK_SET/CUR/END, SEEK_DATA/SEEK_HOLE (the whole file is data).
  // On a directory the offset is the getdents cookie.
  ErrnoOr<int64_t> Seek(int64_t offset, int whence);
  ErrnoOr<Stat> GetStat();
  // ftruncate: EINVAL unless open for writing (EBADF for O_PATH).
  ErrnoStatus Truncate(int64_t size);
  ErrnoStatus Sync();
  // getdents64: emits "." and "..", then the directory's entries, from the
  // current cookie; the offset follows the last entry consumed. ENOTDIR for
  // non-directories.
  ErrnoStatus IterateDir(const DirEmitter& emit);
  uint32_t Readiness(uint32_t mask);

  // Registers `o` to be told of the release (weak: an observer destroyed
  // before the file is skipped). The observer must not take a reference to
  // the file from the callback.
  void AddReleaseObserver(std::weak_ptr<FileReleaseObserver> o);

 private:
  // inotify event on this file's location (fsnotify.h).
  void Notify(uint32_t mask);
  ErrnoStatus CheckIo(bool write) const;
  ErrnoOr<size_t> DoRead(IoDst& dst, int64_t offset, Waiter* waiter);
  ErrnoOr<size_t> DoWrite(IoSrc& src, int64_t offset, bool append,
                          Waiter* waiter, int64_t* end);

  VirtualFilesystem* const vfs_;
  const VirtualDentry vd_;
  const std::shared_ptr<Inode> inode_;
  std::atomic<int> flags_;
  const std::unique_ptr<FileImpl> impl_;
  absl::Mutex pos_mu_;
  int64_t offset_ ABSL_GUARDED_BY(pos_mu_) = 0;
  absl::Mutex observers_mu_;
  std::vector<std::weak_ptr<FileReleaseObserver>> observers_
      ABSL_GUARDED_BY(observers_mu_);
  // Directories: where the walk begun at offset 0 ends (DirEndCookie).
  uint64_t dir_end_ ABSL_GUARDED_BY(pos_mu_) = UINT64_MAX;
};

using FileRef = std::shared_ptr<FileDescription>;

// Called from every FileDescription's destructor, once no reference to it is
// left (Linux's __fput work: OFD/flock lock release, inotify close events).
// Hooks are registered once per process and never removed; at most
// kMaxFileReleaseHooks. They must not take locks held while a FileRef is
// dropped.
inline constexpr int kMaxFileReleaseHooks = 4;
using FileReleaseHook = void (*)(FileDescription&);
void AddFileReleaseHook(FileReleaseHook hook);

}  // namespace sentry::vfs

#endif  // SENTRY_VFS_FILE_H_
