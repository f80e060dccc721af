// Plain value types shared by the VFS and every file system: the statx-like
// Stat, attribute changes, statfs, directory entries, limits.
#ifndef SENTRY_VFS_TYPES_H_
#define SENTRY_VFS_TYPES_H_

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <string>

namespace sentry::vfs {

inline constexpr int kMaxSymlinks = 40;  // Linux's MAXSYMLINKS
inline constexpr size_t kNameMax = 255;
inline constexpr size_t kPathMax = 4096;

struct Timespec {
  int64_t sec = 0;
  int64_t nsec = 0;
  bool operator==(const Timespec&) const = default;
};

// The current wall-clock time used for file timestamps. The kernel may
// replace the clock (SetClock) with its own.
Timespec Now();
void SetClock(std::function<Timespec()> clock);

// statx-like attributes. mode includes the S_IFMT type bits.
struct Stat {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint32_t mode = 0;
  uint32_t nlink = 1;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t rdev = 0;
  int64_t size = 0;
  int64_t blocks = 0;  // 512-byte units
  int32_t blksize = 4096;
  Timespec atime, mtime, ctime, btime;
};

// An attribute change (chmod, chown, truncate, utimes). Only fields in
// `mask` apply. The VFS checks permissions; file systems only apply.
struct SetStatRequest {
  enum : uint32_t {
    kMode = 1,
    kUid = 2,
    kGid = 4,
    kSize = 8,
    kAtime = 16,
    kMtime = 32,
    kCtime = 64,
  };
  uint32_t mask = 0;
  uint32_t mode = 0;  // permission bits only (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t size = 0;
  Timespec atime, mtime, ctime;
};

struct StatFs {
  uint64_t type = 0;  // f_type magic
  int64_t block_size = 4096;
  uint64_t blocks = 0;
  uint64_t blocks_free = 0;
  uint64_t blocks_available = 0;
  uint64_t files = 0;
  uint64_t files_free = 0;
  int64_t name_max = kNameMax;
  uint64_t flags = 0;  // ST_RDONLY, ST_NOSUID, ... (filled by the VFS)
};

// One directory entry. `next_cookie` is the position after this entry: a
// later iteration started at that cookie continues with the next entry.
// Cookies 0 and 1 are "." and ".." (emitted by the VFS); file systems emit
// their entries with cookies >= kFirstDirCookie and must keep a cookie valid
// (pointing after the same entry) while other entries come and go.
struct DirEntry {
  std::string name;
  uint64_t ino = 0;
  uint8_t type = 0;  // DT_*
  uint64_t next_cookie = 0;
};
inline constexpr uint64_t kFirstDirCookie = 2;

// Receives entries; returns false to stop (e.g. the caller's buffer is full;
// the entry passed was not consumed).
using DirEmitter = std::function<bool(const DirEntry&)>;

// DT_* for a mode.
uint8_t DirentType(uint32_t mode);

// Creation of a new directory entry. mode includes the type bits.
struct CreateRequest {
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t rdev = 0;           // S_IFCHR/S_IFBLK
  std::string symlink_target;  // S_IFLNK
};

}  // namespace sentry::vfs

#endif  // SENTRY_VFS_TYPES_H_
