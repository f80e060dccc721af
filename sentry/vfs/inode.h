// Inodes, file systems and per-open file implementations: the interface each
// file system (tmpfs, overlay, devfs, procfs, sysfs, gofer) implements.
//
// Contract: the VFS (vfs.h) does path resolution, permission checks, mount
// flags, umask and type checks before calling an inode; an inode only
// performs the operation (and checks what only it can know, such as
// ENOTEMPTY). Directory operations take a child name that is never "", "."
// or ".." and at most kNameMax bytes. Inodes are shared_ptr-owned; each
// implementation does its own locking (a leaf lock from the VFS's view).
#ifndef SENTRY_VFS_INODE_H_
#define SENTRY_VFS_INODE_H_

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "sentry/base/errno.h"
#include "sentry/vfs/io.h"
#include "sentry/vfs/types.h"

namespace sentry::mm {
class Mappable;
}  // namespace sentry::mm

namespace sentry::vfs {

class Waiter;
class EventQueue;
class FileDescription;
class FileImpl;
class VirtualFilesystem;

// What an ioctl handler may do with the caller's memory.
class IoctlCaller {
 public:
  virtual ~IoctlCaller() = default;
  virtual ErrnoStatus CopyIn(uint64_t addr, std::span<std::byte> dst) = 0;
  virtual ErrnoStatus CopyOut(uint64_t addr,
                              std::span<const std::byte> src) = 0;
};

// What an inode's Open sees.
struct OpenRequest {
  int flags = 0;  // O_* as passed to open (minus O_CREAT/O_EXCL/O_TRUNC)
  Waiter* waiter = nullptr;  // for opens that block (FIFOs)
  VirtualFilesystem* vfs = nullptr;
};

// Options of one read or write.
struct IoOptions {
  bool nonblock = false;
  bool append = false;  // write at the end of file, atomically
  Waiter* waiter = nullptr;
};

class Inode : public std::enable_shared_from_this<Inode> {
 public:
  explicit Inode(uint32_t type) : type_(type & S_IFMT) {}
  virtual ~Inode() = default;
  Inode(const Inode&) = delete;
  Inode& operator=(const Inode&) = delete;

  // S_IFMT bits; never change.
  uint32_t type() const { return type_; }
  bool IsDir() const { return type_ == S_IFDIR; }
  bool IsSymlink() const { return type_ == S_IFLNK; }
  bool IsRegular() const { return type_ == S_IFREG; }

  virtual ErrnoOr<Stat> GetStat() = 0;
  virtual ErrnoStatus SetStat(const SetStatRequest& req) = 0;
  virtual ErrnoOr<StatFs> GetStatFs() { return Errno{ENOSYS}; }

  // Directory operations. Defaults fail with ENOTDIR.
  virtual ErrnoOr<std::shared_ptr<Inode>> Lookup(absl::string_view name);
  // Creates a regular file, directory, symlink, device, FIFO or socket node.
  // EEXIST if the name exists.
  virtual ErrnoOr<std::shared_ptr<Inode>> Create(absl::string_view name,
                                                 const CreateRequest& req);
  // Adds a hard link to `target` (same file system, not a directory).
  virtual ErrnoStatus Link(absl::string_view name,
                           const std::shared_ptr<Inode>& target);
  // Removes `name`; is_dir says rmdir (the VFS checked the child's type).
  // ENOTEMPTY for a non-empty directory.
  virtual ErrnoStatus Unlink(absl::string_view name, bool is_dir);
  // Renames old_name in this directory to new_name in `new_dir` (an inode of
  // the same file system). flags: RENAME_NOREPLACE / RENAME_EXCHANGE. The
  // VFS checked types (dir over non-dir etc.); the file system checks
  // ENOTEMPTY of a replaced directory.
  virtual ErrnoStatus Rename(absl::string_view old_name, Inode& new_dir,
                             absl::string_view new_name, uint32_t flags);
  // Emits entries (never "." or "..") starting at `cookie` (>=
  // kFirstDirCookie) until the emitter returns false or the end.
  virtual ErrnoStatus IterateDir(uint64_t cookie, const DirEmitter& emit);
  // The cookie past every entry that exists now (UINT64_MAX: unknown). A
  // directory read that starts from the beginning stops there, so entries
  // created while a program walks the directory cannot make the walk
  // endless (Linux's offset directories do the same since 6.11).
  virtual uint64_t DirEndCookie() { return UINT64_MAX; }
  // False for directories whose contents change on their own (procfs): the
  // dentry cache then revalidates every lookup.
  virtual bool CacheChildren() const { return true; }

  // Symlinks. Default EINVAL.
  virtual ErrnoOr<std::string> ReadLink();
  // Magic links (/proc/<pid>/fd/N, cwd, root): the open file the link
  // stands for. Following one goes to that file itself rather than to the
  // path ReadLink shows, which may not resolve ("pipe:[3]", a deleted or
  // unreachable file). nullptr: an ordinary symlink.
  virtual std::shared_ptr<FileDescription> MagicLinkTarget() { return nullptr; }

  // Opens this inode for I/O. Character/block devices are opened by the VFS
  // through its device registry, not here. Default: EINVAL for directories
  // is never reached (the VFS opens directories itself); ENXIO otherwise.
  virtual ErrnoOr<std::unique_ptr<FileImpl>> Open(const OpenRequest& req);

 private:
  const uint32_t type_;
};

// An inode that keeps its attributes in memory: the base of tmpfs, devfs,
// procfs, sysfs and pipe inodes. Subclasses report size/blocks through
// FillSize and implement truncation through Truncate.
class SimpleInode : public Inode {
 public:
  SimpleInode(uint64_t dev, uint64_t ino, uint32_t mode, uint32_t uid,
              uint32_t gid, uint64_t rdev = 0);

  ErrnoOr<Stat> GetStat() override;
  ErrnoStatus SetStat(const SetStatRequest& req) override;

  uint64_t ino() const { return ino_; }
  uint64_t dev() const { return dev_; }
  uint32_t nlink();
  void AdjustLinks(int delta);
  // Timestamp updates after data or entry changes.
  void TouchModify();  // mtime + ctime
  void TouchChange();  // ctime
  void TouchAccess();  // atime

 protected:
  // Called with no lock held; fills size and blocks (default 0 / 0, or
  // 4096 for directories).
  virtual void FillSize(Stat* st);
  // Size change from SetStat; default EINVAL (not a regular file).
  virtual ErrnoStatus Truncate(int64_t size) { return Errno{EINVAL}; }

 private:
  const uint64_t dev_;
  const uint64_t ino_;
  const uint64_t rdev_;
  absl::Mutex mu_;
  uint32_t mode_ ABSL_GUARDED_BY(mu_);
  uint32_t uid_ ABSL_GUARDED_BY(mu_);
  uint32_t gid_ ABSL_GUARDED_BY(mu_);
  uint32_t nlink_ ABSL_GUARDED_BY(mu_);
  Timespec atime_ ABSL_GUARDED_BY(mu_);
  Timespec mtime_ ABSL_GUARDED_BY(mu_);
  Timespec ctime_ ABSL_GUARDED_BY(mu_);
  Timespec btime_ ABSL_GUARDED_BY(mu_);
};

// The I/O side of one open file description (regular file data, a pipe end,
// a device). Owned by its FileDescription; destroyed at the last close.
class FileImpl {
 public:
  virtual ~FileImpl() = default;
  // Reads at `offset` (ignored when !Seekable()). 0 = end of file.
  virtual ErrnoOr<size_t> Read(IoDst& dst, int64_t offset,
                               const IoOptions& opts);
  // Writes at `offset`, or at the end when opts.append. *end receives the
  // position after the write (the new file offset).
  virtual ErrnoOr<size_t> Write(IoSrc& src, int64_t offset,
                                const IoOptions& opts, int64_t* end);
  // False for pipes, ttys, sockets: lseek fails with ESPIPE, pread/pwrite too.
  virtual bool Seekable() const { return true; }
  // lseek for files whose size the inode's Stat does not tell (devices
  // return 0 for any seek, like Linux's /dev/null). nullopt = default.
  virtual std::optional<ErrnoOr<int64_t>> Seek(int64_t offset, int whence) {
    return std::nullopt;
  }
  virtual ErrnoStatus Sync() { return OkErrno(); }
  // poll(2) readiness: the subset of `mask` (POLLIN/POLLOUT/...) ready now.
  virtual uint32_t Readiness(uint32_t mask);
  // Where readiness changes are announced (events.h); nullptr for files
  // whose readiness never changes (always ready).
  virtual EventQueue* Events() { return nullptr; }
  // For files without a path: the name /proc/<pid>/fd shows after
  // "anon_inode:" ("[eventfd]", "[eventpoll]"); "" for others. A name
  // starting with '/' is shown as is (memfd: "/memfd:x (deleted)").
  virtual std::string AnonName() const { return ""; }
  // ioctl(2) requests specific to this file (FIONREAD, TCGETS...). The
  // syscall layer has handled the generic ones (FIOCLEX, FIONBIO...) and
  // ttys. Default ENOTTY, as Linux for files without an ioctl method.
  virtual ErrnoOr<int64_t> Ioctl(uint32_t cmd, uint64_t arg,
                                 IoctlCaller& caller) {
    return Errno{ENOTTY};
  }
  // mmap(2): what a mapping of this file maps (sentry/mm/mappable.h).
  // shared_write: MAP_SHARED with PROT_WRITE (a write-sealed memfd refuses
  // with EPERM). Default ENODEV, Linux's answer for files without mmap.
  virtual ErrnoOr<std::shared_ptr<mm::Mappable>> GetMappable(
      bool shared_write) {
    return Errno{ENODEV};
  }
};

// A mounted file system instance.
class Filesystem {
 public:
  virtual ~Filesystem() = default;
  // The type name in /proc/filesystems and /proc/mounts ("tmpfs").
  virtual std::string Type() const = 0;
  virtual std::shared_ptr<Inode> Root() = 0;
  // Options as shown in /proc/mounts beyond rw/ro etc. ("size=...,mode=...").
  virtual std::string Options() const { return ""; }
  virtual ErrnoOr<StatFs> GetStatFs() = 0;
};

// A unique device number for a new file system instance (st_dev).
uint64_t NewAnonDev();

}  // namespace sentry::vfs

#endif  // SENTRY_VFS_INODE_H_
