#include "sentry/fs/devfs/devfs.h"

#include <sys/random.h>
#include <sys/sysmacros.h>

#include <cstring>
#include <vector>

#include "sentry/fs/tmpfs/tmpfs.h"

namespace sentry::fs::devfs {
namespace {

enum class Kind { kNull, kZero, kFull, kRandom, kConsole };

class MemDevice final : public vfs::FileImpl {
 public:
  explicit MemDevice(Kind kind) : kind_(kind) {}

  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t,
                       const vfs::IoOptions&) override {
    if (kind_ == Kind::kNull || kind_ == Kind::kConsole) return size_t{0};
    std::byte buf[4096];
    size_t done = 0;
    while (done < dst.size()) {
      size_t n = std::min(sizeof(buf), dst.size() - done);
      if (kind_ == Kind::kRandom) {
        ssize_t r = getrandom(buf, n, 0);
        if (r <= 0) return done ? ErrnoOr<size_t>(done) : Errno{EIO};
        n = static_cast<size_t>(r);
      } else {
        std::memset(buf, 0, n);
      }
      auto c = dst.CopyOut(done, std::span<const std::byte>(buf, n));
      if (!c.ok()) return done ? ErrnoOr<size_t>(done) : c.error();
      done += *c;
      if (*c < n) break;
    }
    return done;
  }

  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t offset, const vfs::IoOptions&,
                        int64_t* end) override {
    *end = offset;
    if (kind_ == Kind::kFull) return Errno{ENOSPC};
    return src.size();
  }

  // Linux: lseek on these devices succeeds and leaves position 0.
  std::optional<ErrnoOr<int64_t>> Seek(int64_t, int) override {
    return ErrnoOr<int64_t>(int64_t{0});
  }

 private:
  const Kind kind_;
};

vfs::DeviceOpener Opener(Kind kind) {
  return [kind](const vfs::OpenRequest&)
             -> ErrnoOr<std::unique_ptr<vfs::FileImpl>> {
    return std::unique_ptr<vfs::FileImpl>(std::make_unique<MemDevice>(kind));
  };
}

vfs::DeviceOpener Fails(int err) {
  return [err](const vfs::OpenRequest&)
             -> ErrnoOr<std::unique_ptr<vfs::FileImpl>> { return Errno{err}; };
}

ErrnoStatus Node(vfs::Inode& dir, const char* name, uint32_t mode,
                 uint64_t rdev = 0, const char* target = nullptr) {
  vfs::CreateRequest req;
  req.mode = mode;
  req.rdev = rdev;
  if (target) req.symlink_target = target;
  RETURN_IF_ERRNO(dir.Create(name, req));
  return OkErrno();
}

}  // namespace

void RegisterDevices(vfs::VirtualFilesystem& vfs) {
  vfs.RegisterDevice(S_IFCHR, 1, 3, Opener(Kind::kNull));
  vfs.RegisterDevice(S_IFCHR, 1, 5, Opener(Kind::kZero));
  vfs.RegisterDevice(S_IFCHR, 1, 7, Opener(Kind::kFull));
  vfs.RegisterDevice(S_IFCHR, 1, 8, Opener(Kind::kRandom));
  vfs.RegisterDevice(S_IFCHR, 1, 9, Opener(Kind::kRandom));
  vfs.RegisterDevice(S_IFCHR, 5, 0, Fails(ENXIO));
  vfs.RegisterDevice(S_IFCHR, 5, 1, Opener(Kind::kConsole));
  vfs.RegisterDevice(S_IFCHR, 5, 2, Fails(ENXIO));
}

ErrnoOr<std::shared_ptr<vfs::Filesystem>> NewDevfs() {
  auto fs = std::make_shared<tmpfs::Tmpfs>(tmpfs::TmpfsOptions{.mode = 0755});
  vfs::Inode& root = *fs->Root();
  RETURN_IF_ERRNO(Node(root, "null", S_IFCHR | 0666, makedev(1, 3)));
  RETURN_IF_ERRNO(Node(root, "zero", S_IFCHR | 0666, makedev(1, 5)));
  RETURN_IF_ERRNO(Node(root, "full", S_IFCHR | 0666, makedev(1, 7)));
  RETURN_IF_ERRNO(Node(root, "random", S_IFCHR | 0666, makedev(1, 8)));
  RETURN_IF_ERRNO(Node(root, "urandom", S_IFCHR | 0666, makedev(1, 9)));
  RETURN_IF_ERRNO(Node(root, "tty", S_IFCHR | 0666, makedev(5, 0)));
  RETURN_IF_ERRNO(Node(root, "console", S_IFCHR | 0620, makedev(5, 1)));
  RETURN_IF_ERRNO(Node(root, "ptmx", S_IFLNK | 0777, 0, "pts/ptmx"));
  RETURN_IF_ERRNO(Node(root, "fd", S_IFLNK | 0777, 0, "/proc/self/fd"));
  RETURN_IF_ERRNO(Node(root, "stdin", S_IFLNK | 0777, 0, "/proc/self/fd/0"));
  RETURN_IF_ERRNO(Node(root, "stdout", S_IFLNK | 0777, 0, "/proc/self/fd/1"));
  RETURN_IF_ERRNO(Node(root, "stderr", S_IFLNK | 0777, 0, "/proc/self/fd/2"));
  RETURN_IF_ERRNO(Node(root, "pts", S_IFDIR | 0755));
  RETURN_IF_ERRNO(Node(root, "shm", S_IFDIR | 01777));
  return std::shared_ptr<vfs::Filesystem>(fs);
}

ErrnoOr<std::shared_ptr<vfs::Filesystem>> NewDevpts() {
  auto fs = std::make_shared<tmpfs::Tmpfs>(tmpfs::TmpfsOptions{.mode = 0755});
  RETURN_IF_ERRNO(Node(*fs->Root(), "ptmx", S_IFCHR | 0666, makedev(5, 2)));
  return std::shared_ptr<vfs::Filesystem>(fs);
}

void RegisterDevfs(vfs::VirtualFilesystem& vfs) {
  RegisterDevices(vfs);
  vfs.RegisterFilesystemType("devfs",
                             [](vfs::VirtualFilesystem&, absl::string_view,
                                absl::string_view) { return NewDevfs(); });
  // devpts options (newinstance, ptmxmode, mode, gid) are accepted.
  vfs.RegisterFilesystemType("devpts",
                             [](vfs::VirtualFilesystem&, absl::string_view,
                                absl::string_view) { return NewDevpts(); });
}

}  // namespace sentry::fs::devfs
