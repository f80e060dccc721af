// The virtual file system: mount tree, path resolution and every path-based
// operation the kernel's syscall handlers need.
//
// Callers pass a Context (credentials, umask, root, cwd, waiter) and a PathAt
// (where relative paths start: the cwd or a directory fd's location, and the
// path). Results are ErrnoOr values carrying exactly the errno Linux returns.
// Symlinks are resolved here, in the sentry (never by a gofer): at most
// kMaxSymlinks (40) per resolution, then ELOOP. ".." never leaves
// Context::root and crosses mount points upward; "/.." is "/".
//
// Lock order: ns_mu_ (the namespace lock: shared for resolution and reads of
// the tree, exclusive for every namespace change: create, unlink, rename,
// mount) -> Dentry::children_mu_ -> inode/file-system locks. Blocking opens
// (FIFOs) and all file I/O run without ns_mu_. Namespace changes are thus
// serialized, like a single rename lock; finer locking can come later.
#ifndef SENTRY_VFS_VFS_H_
#define SENTRY_VFS_VFS_H_

#include <fcntl.h>
#include <sys/stat.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "sentry/auth/credentials.h"
#include "sentry/base/errno.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/inode.h"
#include "sentry/vfs/types.h"

namespace sentry::vfs {

class FileDescription;
class Waiter;

// What a syscall handler knows about the calling task.
struct Context {
  auth::CredentialsRef creds;
  uint32_t umask = 022;
  VirtualDentry root;
  VirtualDentry cwd;
  Waiter* waiter = nullptr;  // for blocking opens
};

// A path and where it starts when relative (AT_FDCWD: ctx.cwd; a dirfd: its
// location). An absolute path starts at ctx.root.
struct PathAt {
  VirtualDentry start;
  absl::string_view path;
};

// Builds a file system instance from mount(2)-like arguments.
using FilesystemFactory = std::function<ErrnoOr<std::shared_ptr<Filesystem>>(
    VirtualFilesystem& vfs, absl::string_view source,
    absl::string_view options)>;

// Opens a character or block device node (by its rdev).
using DeviceOpener =
    std::function<ErrnoOr<std::unique_ptr<FileImpl>>(const OpenRequest&)>;

// One line of /proc/mounts.
struct MountInfo {
  uint64_t id = 0;
  uint64_t parent_id = 0;
  std::string source;
  std::string path;  // as seen from the caller's root
  std::string type;
  MountFlags flags;
  std::string fs_options;
};

class VirtualFilesystem {
 public:
  VirtualFilesystem();
  ~VirtualFilesystem();
  VirtualFilesystem(const VirtualFilesystem&) = delete;
  VirtualFilesystem& operator=(const VirtualFilesystem&) = delete;

  // --- File system types and devices -----------------------------------
  void RegisterFilesystemType(std::string name, FilesystemFactory factory);
  std::vector<std::string> FilesystemTypes();
  ErrnoOr<std::shared_ptr<Filesystem>> NewFilesystem(absl::string_view type,
                                                     absl::string_view source,
                                                     absl::string_view options);
  // type is S_IFCHR or S_IFBLK.
  void RegisterDevice(uint32_t type, uint32_t major, uint32_t minor,
                      DeviceOpener opener);

  // --- Mounts ------------------------------------------------------------
  // Makes `fs` the root of the mount tree (once). Returns "/".
  ErrnoOr<VirtualDentry> MountRoot(std::shared_ptr<Filesystem> fs,
                                   MountFlags flags, std::string source = "");
  // The root of a further, separate mount tree (a subcontainer's, see
  // docs/multi-container.md): like MountRoot, but any number may exist.
  // Contexts rooted in it see only that tree; Mounts() lists a tree only
  // to contexts rooted in it. Released with ReleaseMountTree.
  VirtualDentry MountTreeRoot(std::shared_ptr<Filesystem> fs, MountFlags flags,
                              std::string source = "");
  // Detaches `root` (from MountTreeRoot) and every mount below it. Open
  // files keep what they refer to alive.
  void ReleaseMountTree(const std::shared_ptr<Mount>& root);
  // Mounts `fs` on the directory `target` (mount(2) of a new file system).
  ErrnoOr<std::shared_ptr<Mount>> MountAt(const Context& ctx,
                                          const PathAt& target,
                                          std::shared_ptr<Filesystem> fs,
                                          MountFlags flags,
                                          std::string source = "");
  // Bind-mounts the location `source` on `target` (non-recursive, MS_BIND).
  // Files may be bound on files, directories on directories (else ENOTDIR /
  // EISDIR... as Linux: ENOTDIR when types differ).
  ErrnoOr<std::shared_ptr<Mount>> BindMount(const Context& ctx,
                                            const PathAt& source,
                                            const PathAt& target,
                                            MountFlags flags);
  // Bind-mounts an already resolved location (e.g. the root of a detached
  // mount) on `target`.
  ErrnoOr<std::shared_ptr<Mount>> BindMountFrom(const Context& ctx,
                                                const VirtualDentry& source,
                                                const PathAt& target,
                                                MountFlags flags);
  // A mount of `fs` attached nowhere (like fsmount(2)): a source for
  // BindMountFrom. Not listed in Mounts().
  VirtualDentry NewDetachedMount(std::shared_ptr<Filesystem> fs,
                                 MountFlags flags);
  // The flags of the mount `at` resolves into.
  ErrnoOr<MountFlags> GetMountFlags(const Context& ctx, const PathAt& at);
  // Changes the flags of the mount whose root is at `target` (MS_REMOUNT |
  // MS_BIND). EINVAL if target is not a mount root.
  ErrnoStatus SetMountFlags(const Context& ctx, const PathAt& target,
                            MountFlags flags);
  // umount(2): EINVAL if not a mount root, EBUSY if it has child mounts.
  ErrnoStatus Unmount(const Context& ctx, const PathAt& target);
  std::vector<MountInfo> Mounts(const Context& ctx);

  // --- Resolution --------------------------------------------------------
  // Resolves a path to a location. follow: follow a final symlink.
  ErrnoOr<VirtualDentry> Resolve(const Context& ctx, const PathAt& at,
                                 bool follow);
  // chdir/chroot target: a directory with search permission.
  ErrnoOr<VirtualDentry> ResolveDirectory(const Context& ctx, const PathAt& at);
  // The path of `vd` as seen from ctx.root ("/a/b"). For getcwd: ENOENT if
  // the directory was removed. Outside ctx.root: "(unreachable)/...".
  ErrnoOr<std::string> GetCwd(const Context& ctx, const VirtualDentry& vd);
  // Like GetCwd but appends " (deleted)" for removed files (/proc/*/fd).
  std::string PathOf(const Context& ctx, const VirtualDentry& vd);
  // The location of ".." of vd (for getdents' ".." and openat(dir, "..")).
  VirtualDentry Parent(const Context& ctx, const VirtualDentry& vd);

  // --- Path operations ---------------------------------------------------
  // open/openat/creat. flags: O_* (O_CLOEXEC is the fd table's business and
  // is ignored here). mode: for O_CREAT/O_TMPFILE, before umask.
  ErrnoOr<std::shared_ptr<FileDescription>> Open(const Context& ctx,
                                                 const PathAt& at, int flags,
                                                 uint32_t mode);
  // Opens a location directly (O_PATH reopen via /proc/self/fd, AT_EMPTY_PATH
  // users, the kernel's exec). Permission-checked like open.
  // If `at` (not following its last component) is a magic link to a file
  // without a path (a pipe or socket in /proc/<pid>/fd), that file; else
  // nullptr. stat(2) and friends report such a file itself.
  std::shared_ptr<FileDescription> AnonymousMagicLink(const Context& ctx,
                                                      const PathAt& at);
  // open(2) through a magic link to a file without a path.
  ErrnoOr<std::shared_ptr<FileDescription>> ReopenAnonymous(
      const std::shared_ptr<FileDescription>& file, int flags);
  ErrnoOr<std::shared_ptr<FileDescription>> OpenAt(const Context& ctx,
                                                   const VirtualDentry& vd,
                                                   int flags);
  ErrnoStatus Mkdir(const Context& ctx, const PathAt& at, uint32_t mode);
  // mknod: S_IFREG (or 0), S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK. Devices need
  // CAP_MKNOD.
  ErrnoStatus Mknod(const Context& ctx, const PathAt& at, uint32_t mode,
                    uint64_t rdev);
  ErrnoStatus Symlink(const Context& ctx, absl::string_view target,
                      const PathAt& linkpath);
  // link/linkat; follow: AT_SYMLINK_FOLLOW for the old path.
  ErrnoStatus Link(const Context& ctx, const PathAt& oldpath,
                   const PathAt& newpath, bool follow);
  ErrnoOr<std::string> ReadLink(const Context& ctx, const PathAt& at);
  ErrnoStatus Unlink(const Context& ctx, const PathAt& at);
  ErrnoStatus Rmdir(const Context& ctx, const PathAt& at);
  // rename/renameat2: flags RENAME_NOREPLACE, RENAME_EXCHANGE (RENAME_
  // WHITEOUT: EINVAL).
  ErrnoStatus Rename(const Context& ctx, const PathAt& oldpath,
                     const PathAt& newpath, uint32_t flags);

  ErrnoOr<Stat> GetStat(const Context& ctx, const PathAt& at, bool follow);
  ErrnoOr<Stat> GetStat(const VirtualDentry& vd);
  ErrnoOr<StatFs> GetStatFs(const Context& ctx, const PathAt& at);
  ErrnoOr<StatFs> GetStatFs(const VirtualDentry& vd);

  // chmod/fchmodat.
  ErrnoStatus Chmod(const Context& ctx, const PathAt& at, uint32_t mode,
                    bool follow);
  // chown family; -1 (0xffffffff) leaves an id unchanged.
  ErrnoStatus Chown(const Context& ctx, const PathAt& at, uint32_t uid,
                    uint32_t gid, bool follow);
  // utimensat: nsec may be UTIME_NOW or UTIME_OMIT.
  ErrnoStatus Utimens(const Context& ctx, const PathAt& at, Timespec atime,
                      Timespec mtime, bool follow);
  ErrnoStatus Truncate(const Context& ctx, const PathAt& at, int64_t size);
  // The same changes on a resolved location (fchmod, fchown, futimens):
  // permission-checked, EROFS on read-only mounts.
  ErrnoStatus ChmodAt(const Context& ctx, const VirtualDentry& vd,
                      uint32_t mode);
  ErrnoStatus ChownAt(const Context& ctx, const VirtualDentry& vd, uint32_t uid,
                      uint32_t gid);
  ErrnoStatus UtimensAt(const Context& ctx, const VirtualDentry& vd,
                        Timespec atime, Timespec mtime);

  // access/faccessat2: mode is F_OK or R_OK|W_OK|X_OK; effective_ids is
  // AT_EACCESS (otherwise the real ids are used).
  ErrnoStatus Access(const Context& ctx, const PathAt& at, int mode,
                     bool follow, bool effective_ids);

  // Permission check of `may` (auth::kMay*) on an inode for ctx.
  static ErrnoStatus Permission(const auth::Credentials& creds, Inode& inode,
                                int may);

  // Opens a device node's implementation through the registry.
  ErrnoOr<std::unique_ptr<FileImpl>> OpenDevice(uint32_t type, uint64_t rdev,
                                                const OpenRequest& req);

  // inotify hooks (fsnotify.h): reports `mask` (IN_*) on vd's inode and,
  // with vd's name, to its parent directory. IN_ISDIR is added for
  // directories. Takes the namespace lock shared; a no-op without watches.
  void NotifyEvent(const VirtualDentry& vd, uint32_t mask);

  // Creates a root Context for tests and the kernel's first task.
  Context RootContext(const VirtualDentry& root);

 private:
  struct ParentAndName;

  // All below require ns_mu_ (shared or exclusive).
  ErrnoOr<VirtualDentry> WalkLocked(const Context& ctx, const PathAt& at,
                                    bool follow, int* links)
      ABSL_SHARED_LOCKS_REQUIRED(ns_mu_);
  ErrnoOr<ParentAndName> WalkParentLocked(const Context& ctx, const PathAt& at,
                                          int* links)
      ABSL_SHARED_LOCKS_REQUIRED(ns_mu_);
  ErrnoOr<VirtualDentry> WalkFrom(const Context& ctx, VirtualDentry cur,
                                  absl::string_view path, bool follow_last,
                                  bool stop_before_last, int* links,
                                  std::string* last, bool* trailing_slash)
      ABSL_SHARED_LOCKS_REQUIRED(ns_mu_);
  ErrnoOr<VirtualDentry> StepLocked(const Context& ctx,
                                    const VirtualDentry& dir,
                                    absl::string_view name)
      ABSL_SHARED_LOCKS_REQUIRED(ns_mu_);
  ErrnoOr<VirtualDentry> FollowLinkLocked(const Context& ctx,
                                          const VirtualDentry& dir,
                                          const VirtualDentry& link, int* links)
      ABSL_SHARED_LOCKS_REQUIRED(ns_mu_);
  VirtualDentry ParentLocked(const Context& ctx, const VirtualDentry& vd)
      ABSL_SHARED_LOCKS_REQUIRED(ns_mu_);
  VirtualDentry FollowMountsLocked(VirtualDentry vd)
      ABSL_SHARED_LOCKS_REQUIRED(ns_mu_);
  ErrnoOr<std::shared_ptr<Dentry>> ChildLocked(const std::shared_ptr<Dentry>& d,
                                               absl::string_view name)
      ABSL_SHARED_LOCKS_REQUIRED(ns_mu_);
  // Cache maintenance after namespace changes (exclusive lock).
  void ForgetChild(Dentry& parent, absl::string_view name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(ns_mu_);
  ErrnoOr<std::string> PathLocked(const Context& ctx, const VirtualDentry& vd,
                                  bool* unreachable)
      ABSL_SHARED_LOCKS_REQUIRED(ns_mu_);

  ErrnoStatus CreateLocked(const Context& ctx, const PathAt& at,
                           CreateRequest req, bool allow_trailing_slash)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(ns_mu_);
  ErrnoStatus RemoveLocked(const Context& ctx, const PathAt& at, bool dir)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(ns_mu_);
  ErrnoStatus SetStatLocked(const Context& ctx, const VirtualDentry& vd,
                            SetStatRequest req)
      ABSL_SHARED_LOCKS_REQUIRED(ns_mu_);
  ErrnoOr<std::shared_ptr<FileDescription>> OpenResolved(
      const Context& ctx, const VirtualDentry& vd, int flags, bool created);
  // Sticky-bit rule for removing/renaming `victim` from `dir`.
  void NotifyEventLocked(const VirtualDentry& vd, uint32_t mask)
      ABSL_SHARED_LOCKS_REQUIRED(ns_mu_);
  static ErrnoStatus CheckSticky(const auth::Credentials& creds, Inode& dir,
                                 Inode& victim);
  ErrnoOr<std::shared_ptr<Mount>> AttachLocked(const VirtualDentry& source,
                                               const VirtualDentry& at,
                                               MountFlags flags)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(ns_mu_);
  bool IsMountedLocked(const VirtualDentry& vd)
      ABSL_SHARED_LOCKS_REQUIRED(ns_mu_);

  absl::Mutex ns_mu_;
  std::shared_ptr<Mount> root_mount_ ABSL_GUARDED_BY(ns_mu_);
  // (parent mount, mount point dentry) -> the mount on top.
  absl::flat_hash_map<std::pair<const Mount*, const Dentry*>,
                      std::shared_ptr<Mount>>
      mounts_ ABSL_GUARDED_BY(ns_mu_);
  std::vector<std::shared_ptr<Mount>> mount_list_ ABSL_GUARDED_BY(ns_mu_);
  uint64_t next_mount_id_ ABSL_GUARDED_BY(ns_mu_) = 1;

  absl::Mutex reg_mu_;
  std::vector<std::pair<std::string, FilesystemFactory>> fs_types_
      ABSL_GUARDED_BY(reg_mu_);
  absl::flat_hash_map<uint64_t, DeviceOpener> devices_ ABSL_GUARDED_BY(reg_mu_);
};

}  // namespace sentry::vfs

#endif  // SENTRY_VFS_VFS_H_
