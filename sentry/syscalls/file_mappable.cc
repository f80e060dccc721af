#include "sentry/syscalls/file_mappable.h"

#include <sys/stat.h>

#include <cstring>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "sentry/mm/usermem.h"

namespace sentry::syscalls {

namespace {

using mm::kPageSize;

class FileCache {
 public:
  FileCache(mm::MemoryFile* mf, vfs::FileRef file)
      : mf_(mf), file_(std::move(file)) {}
  ~FileCache() {
    absl::MutexLock l(&mu_);
    for (auto& [idx, frame] : pages_) mf_->DecRef(frame);
  }

  ErrnoOr<uint64_t> GetPage(uint64_t index) {
    absl::MutexLock l(&mu_);
    auto it = pages_.find(index);
    if (it == pages_.end()) {
      ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, file_->inode()->GetStat());
      // A page wholly past the end of the file: SIGBUS, as Linux.
      if (index * kPageSize >= static_cast<uint64_t>(st.size)) {
        return Errno{EFAULT};
      }
      ASSIGN_OR_RETURN_ERRNO(uint64_t frame, mf_->Allocate(1));
      auto r = FillLocked(index, frame);
      if (!r.ok()) {
        mf_->DecRef(frame);
        return r.error();
      }
      it = pages_.emplace(index, frame).first;
    }
    mf_->IncRef(it->second);
    return it->second;
  }

  // Writes cached pages of [offset, offset+len) back to the file (up to its
  // end: mapped pages never extend it).
  ErrnoStatus WriteBack(uint64_t offset, uint64_t len) {
    absl::MutexLock l(&mu_);
    return WriteBackLocked(offset, len);
  }

  // Re-reads cached pages overlapping [offset, offset+len) from the file.
  void Refresh(uint64_t offset, uint64_t len) {
    absl::MutexLock l(&mu_);
    uint64_t first = offset / kPageSize;
    uint64_t last = (offset + len + kPageSize - 1) / kPageSize;
    for (auto it = pages_.lower_bound(first);
         it != pages_.end() && it->first < last; ++it) {
      std::memset(mf_->Data(it->second), 0, kPageSize);
      (void)FillLocked(it->first, it->second);
    }
  }

  // A shared-writable mapping through `via` (a writable description, used
  // for write-back) starts (d = 1) or ends (d = -1).
  void AddWriter(int d, const vfs::FileRef& via) {
    absl::MutexLock l(&mu_);
    writers_ += d;
    if (d > 0) writable_ = via;
    if (writers_ == 0) writable_ = nullptr;
  }
  bool HasWriters() {
    absl::MutexLock l(&mu_);
    return writers_ > 0;
  }
  const vfs::FileRef& file() const { return file_; }

 private:
  ErrnoStatus FillLocked(uint64_t index, uint64_t frame)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    vfs::SpanDst dst(mf_->Data(frame), kPageSize);
    ASSIGN_OR_RETURN_ERRNO(size_t n, file_->PRead(dst, index * kPageSize));
    (void)n;  // short read: the rest of the page stays zero
    return OkErrno();
  }

  ErrnoStatus WriteBackLocked(uint64_t offset, uint64_t len)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (pages_.empty() || writers_ == 0 || writable_ == nullptr) {
      return OkErrno();
    }
    ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, file_->inode()->GetStat());
    const uint64_t size = static_cast<uint64_t>(st.size);
    uint64_t first = offset / kPageSize;
    uint64_t last = len == UINT64_MAX
                        ? UINT64_MAX
                        : (offset + len + kPageSize - 1) / kPageSize;
    for (auto it = pages_.lower_bound(first);
         it != pages_.end() && it->first < last; ++it) {
      uint64_t at = it->first * kPageSize;
      if (at >= size) break;
      uint64_t n = std::min<uint64_t>(kPageSize, size - at);
      vfs::SpanSrc src(mf_->Data(it->second), n);
      RETURN_IF_ERRNO(writable_->PWrite(src, static_cast<int64_t>(at)));
    }
    return OkErrno();
  }

  mm::MemoryFile* const mf_;
  const vfs::FileRef file_;
  absl::Mutex mu_;
  std::map<uint64_t, uint64_t> pages_ ABSL_GUARDED_BY(mu_);  // index -> frame
  int writers_ ABSL_GUARDED_BY(mu_) = 0;  // live shared-writable mappings
  vfs::FileRef writable_ ABSL_GUARDED_BY(mu_);
};

// Inode -> its cache while some mapping lives.
class Registry {
 public:
  std::shared_ptr<FileCache> GetOrCreate(mm::MemoryFile* mf,
                                         const vfs::FileRef& f) {
    absl::MutexLock l(&mu_);
    auto& w = caches_[f->inode().get()];
    std::shared_ptr<FileCache> c = w.lock();
    if (c == nullptr) {
      c = std::make_shared<FileCache>(mf, f);
      w = c;
    }
    return c;
  }
  std::shared_ptr<FileCache> Find(const vfs::Inode* inode) {
    absl::MutexLock l(&mu_);
    auto it = caches_.find(inode);
    if (it == caches_.end()) return nullptr;
    std::shared_ptr<FileCache> c = it->second.lock();
    if (c == nullptr) caches_.erase(it);
    return c;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<const vfs::Inode*, std::weak_ptr<FileCache>> caches_
      ABSL_GUARDED_BY(mu_);
};

Registry& GetRegistry() {
  static Registry* r = new Registry();  // never destroyed
  return *r;
}

class FileMapping final : public mm::Mappable {
 public:
  FileMapping(std::shared_ptr<FileCache> cache, vfs::FileRef file,
              std::string name, bool shared_write)
      : cache_(std::move(cache)),
        file_(std::move(file)),
        name_(std::move(name)),
        shared_write_(shared_write) {
    if (shared_write_) cache_->AddWriter(1, file_);
    auto st = cache_->file()->inode()->GetStat();
    if (st.ok()) {
      dev_ = st->dev;
      ino_ = st->ino;
    }
  }
  ~FileMapping() override {
    if (shared_write_) {
      // The last store through this mapping reaches the file now.
      (void)cache_->WriteBack(0, UINT64_MAX);
      cache_->AddWriter(-1, file_);
    }
  }
  ErrnoOr<uint64_t> GetPage(uint64_t index, bool) override {
    return cache_->GetPage(index);
  }
  std::string Name() const override { return name_; }
  uint64_t Device() const override { return dev_; }
  uint64_t Inode() const override { return ino_; }
  ErrnoStatus Sync(uint64_t offset, uint64_t len) override {
    if (!shared_write_) return OkErrno();
    return cache_->WriteBack(offset, len);
  }

 private:
  const std::shared_ptr<FileCache> cache_;
  const vfs::FileRef file_;
  const std::string name_;
  const bool shared_write_;
  uint64_t dev_ = 0, ino_ = 0;
};

}  // namespace

ErrnoOr<std::shared_ptr<mm::Mappable>> NewFileMapping(mm::MemoryFile* mf,
                                                      const vfs::FileRef& file,
                                                      std::string name,
                                                      bool shared_write) {
  if (file->inode() == nullptr || !file->inode()->IsRegular()) {
    return Errno{ENODEV};
  }
  std::shared_ptr<FileCache> cache = GetRegistry().GetOrCreate(mf, file);
  return std::shared_ptr<mm::Mappable>(std::make_shared<FileMapping>(
      std::move(cache), file, std::move(name), shared_write));
}

bool BeforeFileIo(const vfs::Inode& inode) {
  std::shared_ptr<FileCache> c = GetRegistry().Find(&inode);
  if (c == nullptr) return false;
  if (c->HasWriters()) (void)c->WriteBack(0, UINT64_MAX);
  return true;
}

void AfterFileWrite(const vfs::Inode& inode, int64_t offset, int64_t len) {
  if (len <= 0 || offset < 0) return;
  std::shared_ptr<FileCache> c = GetRegistry().Find(&inode);
  if (c != nullptr) {
    c->Refresh(static_cast<uint64_t>(offset), static_cast<uint64_t>(len));
  }
}

}  // namespace sentry::syscalls
