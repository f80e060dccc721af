// gofer::Client: the sentry's synchronous API to one gofer connection.
//
// One method per protocol operation (see gofer/proto/gofer.proto). Every
// failure is an absl::Status made by base::ErrnoStatus, so
// sentry::StatusToErrno recovers the Linux errno the gofer (or the transport)
// reported; a broken connection is EIO (ECONNRESET from the socket is mapped
// to EIO as well, so the application sees an I/O error).
//
// Handles are owned by the caller: every handle a method returns must
// eventually be released with Close(). Descriptors donated by the gofer come
// back as base::UniqueFd.
//
// Thread-safe: any number of threads may call concurrently; each round trip
// (send + matching receive) holds mu_, so requests are serialised per
// connection. Lock order: mu_ is a leaf.
#ifndef GOFER_CLIENT_H_
#define GOFER_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "base/unique_fd.h"

namespace gofer {

// Opaque non-zero name of a file held open by the gofer for this connection.
using Handle = uint64_t;
inline constexpr Handle kInvalidHandle = 0;

// The statx fields the sentry needs. Times are ns since the epoch.
struct Stat {
  uint32_t mode = 0;  // S_IFMT | permission bits
  uint64_t ino = 0;
  uint64_t dev = 0;
  uint32_t nlink = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  uint64_t blocks = 0;  // 512-byte blocks
  uint32_t blksize = 0;
  int64_t atime_ns = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t rdev = 0;
};

struct HandleStat {
  Handle handle = kInvalidHandle;
  Stat stat;
};

struct AttachResult {
  HandleStat root;
  bool read_only = false;
};

// Walk result: entries[i] is components[i] for every component reached.
// The walk stops after a symlink (entries.back().stat.mode is S_IFLNK and
// entries.size() may be < components.size(): the rest is the caller's to
// resolve), or when component number entries.size() failed: `error` is then
// that errno (ENOENT, ENOTDIR, EACCES, ...), otherwise 0.
struct WalkResult {
  std::vector<HandleStat> entries;
  int error = 0;
};

// Open result: exactly one of `fd` (regular files, FIFOs) or `dir` (a new
// handle, for directories) is set.
struct OpenResult {
  base::UniqueFd fd;
  Handle dir = kInvalidHandle;
};

struct CreateResult {
  HandleStat entry;
  base::UniqueFd fd;
};

// Owner for new files; when absent the file is owned by the gofer's creds.
struct Owner {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// struct timespec with UTIME_NOW / UTIME_OMIT allowed in nsec.
struct Timespec {
  int64_t sec = 0;
  int64_t nsec = 0;
};

// Fields present are applied in the order mode, owner, size, times.
struct SetAttr {
  std::optional<uint32_t> mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<uint64_t> size;
  std::optional<Timespec> atime;
  std::optional<Timespec> mtime;
};

struct Dirent {
  std::string name;
  uint64_t ino = 0;
  uint8_t type = 0;         // DT_*
  int64_t next_offset = 0;  // cookie for the next Getdents
};

struct DirentBatch {
  std::vector<Dirent> entries;
  bool eof = false;
};

struct StatFs {
  uint64_t type = 0;
  uint64_t bsize = 0;
  uint64_t blocks = 0;
  uint64_t bfree = 0;
  uint64_t bavail = 0;
  uint64_t files = 0;
  uint64_t ffree = 0;
  uint64_t namelen = 0;
  uint64_t frsize = 0;
  uint64_t flags = 0;
};

class Client {
 public:
  // Takes ownership of one end of a SOCK_SEQPACKET socketpair whose other end
  // is served by gofer::Server.
  explicit Client(base::UniqueFd sock);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Returns the root of mount number `mount_index` (the connection's own
  // mount is the convention: the index of its socket in the gofer config).
  absl::StatusOr<AttachResult> Attach(uint32_t mount_index);

  // Walks `names` (single components: no "/", not "", "." or "..") from the
  // directory `dir`. See WalkResult. At most kMaxWalkComponents names.
  absl::StatusOr<WalkResult> Walk(Handle dir,
                                  absl::Span<const std::string> names);

  absl::StatusOr<Stat> GetStat(Handle h);

  // `flags`: O_RDONLY/O_WRONLY/O_RDWR plus O_TRUNC, O_APPEND, O_SYNC,
  // O_DSYNC, O_DIRECT, O_NOATIME. O_CLOEXEC is always set on the result.
  // Symlinks: ELOOP. Device nodes: EPERM (the sentry serves devices itself).
  // Sockets: ENXIO. FIFOs are donated opened O_NONBLOCK.
  absl::StatusOr<OpenResult> Open(Handle h, int flags);

  // Creates `name` in `dir` exclusively (EEXIST if it exists).
  absl::StatusOr<CreateResult> Create(Handle dir, absl::string_view name,
                                      int flags, uint32_t mode,
                                      std::optional<Owner> owner = {});
  absl::StatusOr<HandleStat> Mkdir(Handle dir, absl::string_view name,
                                   uint32_t mode,
                                   std::optional<Owner> owner = {});
  // `mode` has S_IFREG, S_IFIFO or S_IFSOCK; device nodes are refused (EPERM).
  absl::StatusOr<HandleStat> Mknod(Handle dir, absl::string_view name,
                                   uint32_t mode, uint64_t rdev = 0,
                                   std::optional<Owner> owner = {});
  absl::StatusOr<HandleStat> Symlink(Handle dir, absl::string_view name,
                                     absl::string_view target,
                                     std::optional<Owner> owner = {});
  // Makes `name` in `dir` a hard link to the file `target`.
  absl::StatusOr<HandleStat> Link(Handle dir, absl::string_view name,
                                  Handle target);
  absl::StatusOr<std::string> Readlink(Handle h);
  // `flags`: 0 or AT_REMOVEDIR.
  absl::Status Unlink(Handle dir, absl::string_view name, int flags = 0);
  // `flags`: 0, RENAME_NOREPLACE or RENAME_EXCHANGE (RENAME_WHITEOUT: EINVAL).
  absl::Status Rename(Handle old_dir, absl::string_view old_name,
                      Handle new_dir, absl::string_view new_name,
                      unsigned flags = 0);
  absl::StatusOr<Stat> SetAttributes(Handle h, const SetAttr& attr);
  // Entries of directory `dir` from `offset` (0 or a next_offset), about
  // `max_bytes` of names at most (capped by the gofer at 64 KiB).
  absl::StatusOr<DirentBatch> Getdents(Handle dir, int64_t offset,
                                       uint32_t max_bytes = 32768);
  absl::StatusOr<StatFs> Statfs(Handle h);
  // Xattrs work on regular files and directories; others get EPERM (as Linux
  // does for user.* on special files). `size` bounds the value (ERANGE if it
  // is larger); size 0 asks for the size only: the result is then that many
  // NUL bytes.
  absl::StatusOr<std::string> GetXattr(Handle h, absl::string_view name,
                                       uint32_t size = 65536);
  absl::Status SetXattr(Handle h, absl::string_view name,
                        absl::string_view value, int flags = 0);
  // All names (`size` bounds their total length with NULs, ERANGE beyond;
  // 0 means no bound but kMaxXattrList). The listxattr(2) size is the sum of
  // the name lengths plus one each.
  absl::StatusOr<std::vector<std::string>> ListXattr(Handle h,
                                                     uint32_t size = 65536);
  absl::Status RemoveXattr(Handle h, absl::string_view name);
  absl::Status Fsync(Handle h, bool data_only = false);
  // Releases handles. Unknown handles are ignored (close never fails on them).
  absl::Status Close(absl::Span<const Handle> handles);
  absl::Status Close(Handle h) { return Close(absl::MakeConstSpan(&h, 1)); }

  // Bounds the gofer enforces (EINVAL / ENAMETOOLONG beyond them).
  static constexpr size_t kMaxWalkComponents = 256;

 private:
  // One round trip: sends `type` with `request` and parses the reply into
  // `response`; a donated descriptor, if any, goes to *fd (or is closed).
  template <typename Req, typename Resp>
  absl::Status Call(uint32_t type, const Req& request, Resp* response,
                    base::UniqueFd* fd = nullptr);

  absl::Mutex mu_;
  base::UniqueFd sock_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Receive buffer (kMaxMessageSize bytes), reused by every round trip.
  std::unique_ptr<char[]> buf_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gofer

#endif  // GOFER_CLIENT_H_
