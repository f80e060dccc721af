#include "sentry/fs/memfd/memfd.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "sentry/mm/usermem.h"

namespace sentry::fs::memfd {

namespace {

constexpr uint32_t kAllSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW |
                               F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
// Linux's MAX_LFS_FILESIZE.
constexpr int64_t kMaxFileSize = std::numeric_limits<int64_t>::max();

class MemfdFile final : public vfs::FileImpl {
 public:
  explicit MemfdFile(std::shared_ptr<MemfdData> d) : d_(std::move(d)) {}
  ErrnoOr<size_t> Read(vfs::IoDst& dst, int64_t offset,
                       const vfs::IoOptions&) override {
    return d_->ReadAt(dst, offset);
  }
  ErrnoOr<size_t> Write(vfs::IoSrc& src, int64_t offset,
                        const vfs::IoOptions& opts, int64_t* end) override {
    return d_->WriteAt(src, offset, opts.append, end);
  }
  ErrnoOr<std::shared_ptr<mm::Mappable>> GetMappable(
      bool shared_write) override {
    if (shared_write && !d_->WritableMappingAllowed()) return Errno{EPERM};
    return std::shared_ptr<mm::Mappable>(d_);
  }
  std::string AnonName() const override { return d_->Name(); }
  const std::shared_ptr<MemfdData>& data() const { return d_; }

 private:
  std::shared_ptr<MemfdData> d_;
};

}  // namespace

MemfdData::~MemfdData() {
  absl::MutexLock l(&mu_);
  for (auto& [idx, frame] : pages_) mf_->DecRef(frame);
}

ErrnoOr<uint64_t> MemfdData::FrameLocked(uint64_t idx) {
  auto it = pages_.find(idx);
  if (it != pages_.end()) return it->second;
  ASSIGN_OR_RETURN_ERRNO(uint64_t frame, mf_->Allocate(1));
  pages_.emplace(idx, frame);
  return frame;
}

ErrnoOr<uint64_t> MemfdData::GetPage(uint64_t page_index, bool write) {
  absl::MutexLock l(&mu_);
  const uint64_t npages =
      (static_cast<uint64_t>(size_) + mm::kPageMask) / mm::kPageSize;
  if (page_index >= npages) return Errno{EFAULT};
  ASSIGN_OR_RETURN_ERRNO(uint64_t frame, FrameLocked(page_index));
  mf_->IncRef(frame);
  return frame;
}

// Reads and writes copy without mu_ held: the buffer may be application
// memory, whose fault path takes the memory manager's lock and then calls
// GetPage (mu_). Each page is pinned (a frame reference) while copied.
ErrnoOr<size_t> MemfdData::ReadAt(vfs::IoDst& dst, int64_t offset) {
  static const std::byte kZeros[mm::kPageSize] = {};
  size_t done = 0;
  while (done < dst.size()) {
    const uint64_t pos = static_cast<uint64_t>(offset) + done;
    const uint64_t in_page = pos & mm::kPageMask;
    size_t n;
    std::optional<uint64_t> frame;
    {
      absl::MutexLock l(&mu_);
      if (static_cast<int64_t>(pos) >= size_) break;
      n = std::min<uint64_t>({dst.size() - done, mm::kPageSize - in_page,
                              static_cast<uint64_t>(size_) - pos});
      auto it = pages_.find(pos / mm::kPageSize);
      if (it != pages_.end()) {
        frame = it->second;
        mf_->IncRef(*frame);
      }
    }
    const std::byte* src =
        frame ? reinterpret_cast<const std::byte*>(mf_->Data(*frame)) + in_page
              : kZeros;
    auto c = dst.CopyOut(done, std::span<const std::byte>(src, n));
    if (frame) mf_->DecRef(*frame);
    if (!c.ok() || *c == 0) {
      if (done == 0) return Errno{EFAULT};
      break;
    }
    done += *c;
    if (*c < n) break;
  }
  return done;
}

ErrnoOr<size_t> MemfdData::WriteAt(vfs::IoSrc& src, int64_t offset, bool append,
                                   int64_t* end) {
  const size_t total = src.size();
  {
    absl::MutexLock l(&mu_);
    if (seals_ & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) return Errno{EPERM};
    if (append) offset = size_;
    if (total == 0) {
      *end = offset;
      return size_t{0};
    }
    if (offset > kMaxFileSize - static_cast<int64_t>(total)) {
      return Errno{EFBIG};
    }
    if (offset + static_cast<int64_t>(total) > size_ &&
        (seals_ & F_SEAL_GROW)) {
      return Errno{EPERM};
    }
  }
  size_t done = 0;
  while (done < total) {
    const uint64_t pos = static_cast<uint64_t>(offset) + done;
    const uint64_t in_page = pos & mm::kPageMask;
    const size_t n = std::min<uint64_t>(total - done, mm::kPageSize - in_page);
    uint64_t frame;
    {
      absl::MutexLock l(&mu_);
      auto f = FrameLocked(pos / mm::kPageSize);
      if (!f.ok()) {
        if (done == 0) return Errno{ENOSPC};
        break;
      }
      frame = *f;
      mf_->IncRef(frame);
    }
    auto* dst = reinterpret_cast<std::byte*>(mf_->Data(frame)) + in_page;
    auto c = src.CopyIn(done, std::span<std::byte>(dst, n));
    mf_->DecRef(frame);
    if (!c.ok() || *c == 0) break;
    done += *c;
    {
      absl::MutexLock l(&mu_);
      size_ = std::max<int64_t>(size_, offset + static_cast<int64_t>(done));
    }
    if (*c < n) break;
  }
  if (done == 0) return Errno{EFAULT};
  *end = offset + static_cast<int64_t>(done);
  return done;
}

ErrnoStatus MemfdData::Truncate(int64_t size) {
  absl::MutexLock l(&mu_);
  if (size < size_ && (seals_ & F_SEAL_SHRINK)) return Errno{EPERM};
  if (size > size_ && (seals_ & F_SEAL_GROW)) return Errno{EPERM};
  if (size < size_) {
    // Drop whole pages past the end and zero the tail of the last one, so a
    // later growth reads zeros (mappings keep their own references).
    const uint64_t keep =
        (static_cast<uint64_t>(size) + mm::kPageMask) / mm::kPageSize;
    for (auto it = pages_.lower_bound(keep); it != pages_.end();) {
      mf_->DecRef(it->second);
      it = pages_.erase(it);
    }
    const uint64_t in_page = static_cast<uint64_t>(size) & mm::kPageMask;
    if (in_page != 0) {
      auto it = pages_.find(static_cast<uint64_t>(size) / mm::kPageSize);
      if (it != pages_.end()) {
        std::memset(mf_->Data(it->second) + in_page, 0,
                    mm::kPageSize - in_page);
      }
    }
  }
  size_ = size;
  return OkErrno();
}

int64_t MemfdData::size() {
  absl::MutexLock l(&mu_);
  return size_;
}

uint32_t MemfdData::seals() {
  absl::MutexLock l(&mu_);
  return seals_;
}

ErrnoStatus MemfdData::AddSeals(uint32_t seals) {
  if (seals & ~kAllSeals) return Errno{EINVAL};
  absl::MutexLock l(&mu_);
  if (seals_ & F_SEAL_SEAL) return Errno{EPERM};
  seals_ |= seals;
  return OkErrno();
}

bool MemfdData::WritableMappingAllowed() {
  absl::MutexLock l(&mu_);
  return (seals_ & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) == 0;
}

MemfdInode::MemfdInode(uint64_t ino, uint32_t uid, uint32_t gid,
                       std::shared_ptr<MemfdData> data)
    : SimpleInode(MemfdDev(), ino, S_IFREG | 0777, uid, gid),
      data_(std::move(data)) {}

uint64_t MemfdInode::MemfdDev() {
  static const uint64_t dev = vfs::NewAnonDev();
  return dev;
}

ErrnoOr<std::unique_ptr<vfs::FileImpl>> MemfdInode::Open(
    const vfs::OpenRequest&) {
  // Reopened through /proc/self/fd: the same contents.
  return std::unique_ptr<vfs::FileImpl>(std::make_unique<MemfdFile>(data_));
}

void MemfdInode::FillSize(vfs::Stat* st) {
  st->size = data_->size();
  st->blocks = (st->size + 511) / 512;
}

ErrnoStatus MemfdInode::Truncate(int64_t size) { return data_->Truncate(size); }

ErrnoOr<vfs::FileRef> NewMemfd(vfs::VirtualFilesystem* vfs, mm::MemoryFile* mf,
                               const std::string& name, bool allow_sealing,
                               uint32_t uid, uint32_t gid) {
  if (mf == nullptr) return Errno{ENOMEM};
  static std::atomic<uint64_t> next_ino{1};
  const uint64_t ino = next_ino.fetch_add(1);
  auto data = std::make_shared<MemfdData>(
      mf, "memfd:" + name, ino, allow_sealing ? 0u : uint32_t{F_SEAL_SEAL});
  auto inode = std::make_shared<MemfdInode>(ino, uid, gid, data);
  return std::make_shared<vfs::FileDescription>(
      vfs, vfs::VirtualDentry{}, inode, O_RDWR | O_LARGEFILE,
      std::make_unique<MemfdFile>(data));
}

MemfdData* MemfdOf(const vfs::FileDescription& f) {
  auto* m = dynamic_cast<MemfdFile*>(f.impl());
  return m != nullptr ? m->data().get() : nullptr;
}

}  // namespace sentry::fs::memfd
