// The sandbox's file glue that is not a syscall: descriptors backed by host
// descriptors (the root container's stdio) and the loader's file opener
// over the VFS. The file syscalls themselves live in sentry/syscalls
// (file_context.h and the sys_* families).
#ifndef SENTRY_SANDBOX_FILES_H_
#define SENTRY_SANDBOX_FILES_H_

#include <memory>
#include <string>

#include "base/unique_fd.h"
#include "sentry/loader/loader.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

namespace sentry::sandbox {

using syscalls::FilesResource;
using syscalls::FsResource;
using syscalls::SandboxVfs;
using syscalls::SetSandboxVfs;
using syscalls::TaskContext;
using syscalls::TaskFdTable;

// A description over a host descriptor (not owned beyond `fd`'s lifetime:
// the description holds it). For the root container's stdio.
ErrnoOr<vfs::FileRef> NewHostFdFile(vfs::VirtualFilesystem* vfs,
                                    base::UniqueFd fd);

// Opens executables through the VFS with ctx (exec permission checked).
class VfsFileOpener final : public loader::FileOpener {
 public:
  VfsFileOpener(vfs::VirtualFilesystem* vfs, vfs::Context ctx)
      : vfs_(vfs), ctx_(std::move(ctx)) {}
  ErrnoOr<std::unique_ptr<loader::File>> Open(const std::string& path) override;

 private:
  vfs::VirtualFilesystem* vfs_;
  vfs::Context ctx_;
};

}  // namespace sentry::sandbox

#endif  // SENTRY_SANDBOX_FILES_H_
