// The gofer file system: the sentry's client side of a gofer mount (the
// rootfs and the spec's bind mounts).
//
// Each inode holds a gofer handle (gofer/client.h) for the host file and a
// copy of its attributes taken from the walk that found it. The gofer serves
// this sandbox exclusively, so attributes are cached and kept current by our
// own changes (gVisor's "exclusive" cache policy): writes update the cached
// size and mtime, setattr replaces the cache with the gofer's answer. Changes
// made on the host behind the sandbox's back are not seen until the dentry
// is looked up again.
//
// Regular files are read and written through the host descriptor the gofer
// donates at open (pread/pwrite from the sentry, no round trip per I/O); a
// file created by open(O_CREAT) reuses the descriptor returned by the create.
// Symlink targets come from the gofer and are resolved by the VFS. FIFOs on
// a gofer mount are pipes inside the sentry (they do not connect to host
// processes, as in gVisor); sockets open with ENXIO; device nodes cannot be
// created (EPERM from the gofer) but existing ones open the sentry's devices
// through the VFS registry.
//
// getdents cookies are the gofer's directory offsets plus 3 (ours start at
// vfs::kFirstDirCookie); an offset that would overflow is clamped to the end.
//
// Locking: GoferInode::mu_ guards the cached attributes, the created
// descriptor and the directory handle; it is never held across a round trip
// except to open the directory handle once. The client serializes round
// trips itself.
#ifndef SENTRY_FS_GOFER_GOFER_FS_H_
#define SENTRY_FS_GOFER_GOFER_FS_H_

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "base/unique_fd.h"
#include "gofer/client.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/vfs/inode.h"
#include "sentry/vfs/vfs.h"

namespace sentry::fs::gofer_fs {

struct GoferShared {
  std::shared_ptr<gofer::Client> client;
  uint64_t dev = vfs::NewAnonDev();
  bool read_only = false;
};

class GoferFs final : public vfs::Filesystem {
 public:
  // Attaches to mount number `mount_index` of the gofer behind `client`.
  static ErrnoOr<std::shared_ptr<GoferFs>> Attach(
      std::shared_ptr<gofer::Client> client, uint32_t mount_index);

  std::string Type() const override { return "9p"; }  // as gVisor shows it
  std::shared_ptr<vfs::Inode> Root() override { return root_; }
  ErrnoOr<vfs::StatFs> GetStatFs() override;
  bool read_only() const { return shared_->read_only; }

 private:
  GoferFs(std::shared_ptr<GoferShared> shared, std::shared_ptr<vfs::Inode> root)
      : shared_(std::move(shared)), root_(std::move(root)) {}
  std::shared_ptr<GoferShared> shared_;
  std::shared_ptr<vfs::Inode> root_;
};

class GoferInode final : public vfs::Inode {
 public:
  GoferInode(std::shared_ptr<GoferShared> shared, gofer::Handle handle,
             const gofer::Stat& stat);
  ~GoferInode() override;

  gofer::Handle handle() const { return handle_; }

  ErrnoOr<vfs::Stat> GetStat() override;
  ErrnoStatus SetStat(const vfs::SetStatRequest& req) override;
  ErrnoOr<vfs::StatFs> GetStatFs() override;
  ErrnoOr<std::shared_ptr<vfs::Inode>> Lookup(absl::string_view name) override;
  ErrnoOr<std::shared_ptr<vfs::Inode>> Create(
      absl::string_view name, const vfs::CreateRequest& req) override;
  ErrnoStatus Link(absl::string_view name,
                   const std::shared_ptr<vfs::Inode>& target) override;
  ErrnoStatus Unlink(absl::string_view name, bool is_dir) override;
  ErrnoStatus Rename(absl::string_view old_name, vfs::Inode& new_dir,
                     absl::string_view new_name, uint32_t flags) override;
  ErrnoStatus IterateDir(uint64_t cookie, const vfs::DirEmitter& emit) override;
  ErrnoOr<std::string> ReadLink() override;
  ErrnoOr<std::unique_ptr<vfs::FileImpl>> Open(
      const vfs::OpenRequest& req) override;

  // After a write through a donated descriptor: grows the cached size to
  // `end` and sets mtime/ctime.
  void NoteWrite(int64_t end);
  // Cached size (for O_APPEND writes).
  int64_t cached_size();

 private:
  ErrnoOr<gofer::Handle> DirHandle();
  void SetCached(const gofer::Stat& st);
  ErrnoOr<std::shared_ptr<vfs::Inode>> Wrap(const gofer::HandleStat& hs);

  const std::shared_ptr<GoferShared> sh_;
  const gofer::Handle handle_;
  absl::Mutex mu_;
  gofer::Stat stat_ ABSL_GUARDED_BY(mu_);
  base::UniqueFd created_fd_ ABSL_GUARDED_BY(mu_);  // O_RDWR, from Create
  gofer::Handle dir_handle_ ABSL_GUARDED_BY(mu_) = gofer::kInvalidHandle;
  std::shared_ptr<pipe::Pipe> fifo_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sentry::fs::gofer_fs

#endif  // SENTRY_FS_GOFER_GOFER_FS_H_
