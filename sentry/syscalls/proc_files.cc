#include "sentry/syscalls/proc_files.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sentry/fs/procfs/procfs.h"
#include "sentry/syscalls/file_context.h"

namespace sentry::syscalls {

namespace {

vfs::Context ContextOf(kernel::ForkableResource* fs) {
  vfs::Context ctx;
  auto* f = static_cast<FsResource*>(fs);
  if (f != nullptr) {
    absl::MutexLock l(&f->mu);
    ctx.root = f->root;
    ctx.cwd = f->cwd;
  }
  return ctx;
}

vfs::FdTable& TableOf(kernel::ForkableResource& files) {
  return *static_cast<FilesResource&>(files).table;
}

class FilesView final : public kernel::TaskFilesView {
 public:
  std::vector<int> Fds(kernel::ForkableResource& files) override {
    return TableOf(files).Fds();
  }

  ErrnoOr<std::string> FdLink(kernel::ForkableResource& files,
                              kernel::ForkableResource* fs, int fd) override {
    ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, TableOf(files).Get(fd));
    if (f->location().ok()) {
      vfs::Context ctx = ContextOf(fs);
      if (!ctx.root.ok()) return Errno{ENOENT};
      return SandboxVfs()->PathOf(ctx, f->location());
    }
    // Anonymous files: Linux names them after their file system.
    uint64_t ino = 0;
    uint32_t type = 0;
    if (f->inode() != nullptr) {
      auto st = f->inode()->GetStat();
      if (st.ok()) {
        ino = st->ino;
        type = st->mode & S_IFMT;
      }
    }
    if (type == S_IFIFO) return absl::StrCat("pipe:[", ino, "]");
    if (type == S_IFSOCK) return absl::StrCat("socket:[", ino, "]");
    std::string name = f->impl() ? f->impl()->AnonName() : std::string();
    // Files of internal mounts (memfd) name themselves by path.
    if (!name.empty() && name[0] == '/') return name;
    return absl::StrCat("anon_inode:", name.empty() ? "[unknown]" : name);
  }

  ErrnoOr<std::string> FdInfo(kernel::ForkableResource& files,
                              int fd) override {
    vfs::FdTable& table = TableOf(files);
    ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, table.Get(fd));
    ASSIGN_OR_RETURN_ERRNO(bool cloexec, table.GetCloexec(fd));
    int64_t pos = 0;
    if (f->impl() == nullptr || f->impl()->Seekable()) {
      auto p = f->Seek(0, SEEK_CUR);
      if (p.ok()) pos = *p;
    }
    int flags = f->flags() | (cloexec ? O_CLOEXEC : 0);
    uint64_t ino = 0;
    if (f->inode() != nullptr) {
      auto st = f->inode()->GetStat();
      if (st.ok()) ino = st->ino;
    }
    return absl::StrFormat("pos:\t%d\nflags:\t0%o\nmnt_id:\t0\nino:\t%d\n", pos,
                           flags, ino);
  }

  ErrnoOr<std::string> FsLink(kernel::ForkableResource& fs,
                              bool root) override {
    vfs::Context ctx = ContextOf(&fs);
    const vfs::VirtualDentry& vd = root ? ctx.root : ctx.cwd;
    if (!vd.ok()) return Errno{ENOENT};
    return SandboxVfs()->PathOf(ctx, vd);
  }

  std::shared_ptr<vfs::FileDescription> FdFile(kernel::ForkableResource& files,
                                               int fd) override {
    auto f = TableOf(files).Get(fd);
    return f.ok() ? *f : nullptr;
  }

  std::shared_ptr<vfs::FileDescription> FsFile(kernel::ForkableResource& fs,
                                               bool root) override {
    vfs::Context ctx = ContextOf(&fs);
    const vfs::VirtualDentry& vd = root ? ctx.root : ctx.cwd;
    if (!vd.ok()) return nullptr;
    return std::make_shared<vfs::FileDescription>(SandboxVfs(), vd, nullptr,
                                                  O_PATH, nullptr);
  }

  std::string Mounts(kernel::ForkableResource& fs) override {
    return fs::procfs::FormatMounts(SandboxVfs()->Mounts(ContextOf(&fs)));
  }
};

}  // namespace

std::shared_ptr<kernel::TaskFilesView> NewTaskFilesView() {
  return std::make_shared<FilesView>();
}

}  // namespace sentry::syscalls
