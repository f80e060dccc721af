#include "sentry/syscalls/file_context.h"

#include <atomic>

#include "sentry/syscalls/file_locks.h"

namespace sentry::syscalls {

namespace {
std::atomic<vfs::VirtualFilesystem*> g_vfs{nullptr};
}  // namespace

void SetSandboxVfs(vfs::VirtualFilesystem* v) { g_vfs.store(v); }
vfs::VirtualFilesystem* SandboxVfs() { return g_vfs.load(); }

FilesResource::~FilesResource() { ReleaseTableLocks(table.get()); }

bool HasFiles(Task& t) {
  return t.files != nullptr && t.fs != nullptr && SandboxVfs() != nullptr;
}

FsResource& TaskFs(Task& t) { return *static_cast<FsResource*>(t.fs.get()); }

vfs::Context TaskContext(Task& t) {
  vfs::Context ctx;
  ctx.creds = t.creds();
  ctx.waiter = t.vfs_waiter();  // signals interrupt blocking opens
  FsResource& fs = TaskFs(t);
  absl::MutexLock l(&fs.mu);
  ctx.umask = fs.umask;
  ctx.root = fs.root;
  ctx.cwd = fs.cwd;
  return ctx;
}

vfs::FdTable& TaskFdTable(Task& t) {
  return *static_cast<FilesResource*>(t.files.get())->table;
}

ErrnoOr<vfs::FileRef> GetFile(Task& t, int fd) {
  return TaskFdTable(t).Get(fd);
}

ErrnoOr<std::string> PathArg(Task& t, UserAddr addr) {
  return t.mm().CopyInString(addr, kMaxPath);
}

ErrnoOr<vfs::VirtualDentry> StartOf(Task& t, const vfs::Context& ctx, int dirfd,
                                    const std::string& path) {
  if (!path.empty() && path[0] == '/') return ctx.root;
  if (dirfd == AT_FDCWD) return ctx.cwd;
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, dirfd));
  if (!f->location().ok()) return Errno{ENOTDIR};
  return f->location();
}

ErrnoStatus WithTwoPaths(
    Task& t, int olddir, UserAddr oldp, int newdir, UserAddr newp,
    const std::function<ErrnoStatus(vfs::Context&, vfs::PathAt, vfs::PathAt)>&
        op) {
  ASSIGN_OR_RETURN_ERRNO(std::string a, PathArg(t, oldp));
  ASSIGN_OR_RETURN_ERRNO(std::string b, PathArg(t, newp));
  if (a.empty() || b.empty()) return Errno{ENOENT};
  vfs::Context ctx = TaskContext(t);
  ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry sa, StartOf(t, ctx, olddir, a));
  ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry sb, StartOf(t, ctx, newdir, b));
  return op(ctx, vfs::PathAt{sa, a}, vfs::PathAt{sb, b});
}

ErrnoOr<size_t> UserDst::CopyOut(size_t at, std::span<const std::byte> src) {
  if (at > n_) return Errno{EFAULT};
  size_t n = std::min(src.size(), n_ - at);
  if (n == 0) return size_t{0};
  ASSIGN_OR_RETURN_ERRNO(size_t done,
                         mm_.CopyOut(UserAddr(addr_ + at), src.data(), n));
  if (done == 0) return Errno{EFAULT};
  return done;
}

ErrnoOr<size_t> UserSrc::CopyIn(size_t at, std::span<std::byte> dst) {
  if (at > n_) return Errno{EFAULT};
  size_t n = std::min(dst.size(), n_ - at);
  if (n == 0) return size_t{0};
  ASSIGN_OR_RETURN_ERRNO(size_t done,
                         mm_.CopyIn(UserAddr(addr_ + at), dst.data(), n));
  if (done == 0) return Errno{EFAULT};
  return done;
}

ErrnoStatus TaskIoctlCaller::CopyIn(uint64_t addr, std::span<std::byte> dst) {
  return t_.mm().CopyInFull(UserAddr(addr), dst.data(), dst.size());
}

ErrnoStatus TaskIoctlCaller::CopyOut(uint64_t addr,
                                     std::span<const std::byte> src) {
  return t_.mm().CopyOutFull(UserAddr(addr), src.data(), src.size());
}

void SendSigpipe(Task& t) {
  siginfo_t info{};
  info.si_signo = SIGPIPE;
  info.si_code = SI_USER;
  t.kernel().SendSignal(nullptr, &t, nullptr, info);
}

}  // namespace sentry::syscalls
