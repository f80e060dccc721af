#include "sentry/sandbox/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "sentry/vfs/inode.h"
#include "sentry/vfs/io.h"

namespace sentry::sandbox {
namespace {

// --- host descriptors (stdio) -------------------------------------------

class HostFdImpl final : public vfs::FileImpl {
 public:
  explicit HostFdImpl(base::UniqueFd fd) : fd_(std::move(fd)) {}
  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t,
                       const vfs::IoOptions&) override {
    std::vector<std::byte> buf(std::min<size_t>(dst.size(), 64 << 10));
    ssize_t n;
    do {
      n = ::read(fd_.get(), buf.data(), buf.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Errno{errno};
    if (n == 0) return size_t{0};
    return dst.CopyOut(0, std::span<const std::byte>(buf.data(), n));
  }
  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t, const vfs::IoOptions&,
                        int64_t* end) override {
    size_t total = 0;
    std::vector<std::byte> buf(std::min<size_t>(src.size(), 64 << 10));
    while (total < src.size()) {
      size_t want = std::min(buf.size(), src.size() - total);
      auto got = src.CopyIn(total, std::span<std::byte>(buf.data(), want));
      if (!got.ok()) {
        if (total > 0) break;
        return got.error();
      }
      size_t off = 0;
      while (off < *got) {
        ssize_t n = ::write(fd_.get(), buf.data() + off, *got - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          if (total + off > 0) return total + off;
          return Errno{errno};
        }
        off += n;
      }
      total += *got;
      if (*got < want) break;
    }
    *end = 0;
    return total;
  }
  bool Seekable() const override { return false; }
  uint32_t Readiness(uint32_t mask) override { return mask; }

 private:
  base::UniqueFd fd_;
};

}  // namespace

ErrnoOr<vfs::FileRef> NewHostFdFile(vfs::VirtualFilesystem* v,
                                    base::UniqueFd fd) {
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Errno{errno};
  int fl = fcntl(fd.get(), F_GETFL);
  if (fl < 0) return Errno{errno};
  static const uint64_t dev = vfs::NewAnonDev();
  static std::atomic<uint64_t> ino{1};
  // A character device or FIFO look-alike owned by root; the host's mode
  // bits are kept so that `test -t` style probes see the right type.
  uint32_t type =
      S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) ? S_IFIFO : S_IFCHR;
  auto inode = std::make_shared<vfs::SimpleInode>(dev, ino.fetch_add(1),
                                                  type | 0620, 0, 0);
  return std::make_shared<vfs::FileDescription>(
      v, vfs::VirtualDentry{}, std::move(inode), fl & (O_ACCMODE | O_APPEND),
      std::make_unique<HostFdImpl>(std::move(fd)));
}

namespace {
class VfsExecFile final : public loader::File {
 public:
  explicit VfsExecFile(vfs::FileRef f) : f_(std::move(f)) {}
  ErrnoOr<size_t> ReadAt(void* buf, size_t len, uint64_t off) override {
    vfs::SpanDst dst(buf, len);
    return f_->PRead(dst, static_cast<int64_t>(off));
  }

 private:
  vfs::FileRef f_;
};
}  // namespace

ErrnoOr<std::unique_ptr<loader::File>> VfsFileOpener::Open(
    const std::string& path) {
  if (path.empty()) return Errno{ENOENT};
  vfs::PathAt at{path[0] == '/' ? ctx_.root : ctx_.cwd, path};
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, vfs_->GetStat(ctx_, at, true));
  if (S_ISDIR(st.mode)) return Errno{EACCES};
  if (!S_ISREG(st.mode)) return Errno{EACCES};
  RETURN_IF_ERRNO(vfs_->Access(ctx_, at, X_OK, true, true));
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, vfs_->Open(ctx_, at, O_RDONLY, 0));
  return std::unique_ptr<loader::File>(
      std::make_unique<VfsExecFile>(std::move(f)));
}

}  // namespace sentry::sandbox
