// memfd_create(2) and the sealing fcntls (F_ADD_SEALS, F_GET_SEALS); the
// files themselves are sentry/fs/memfd.
#include "sentry/syscalls/sys_memfd.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sentry/fs/memfd/memfd.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

SyscallResult MemfdCreate(Task& t, UserAddr name_addr, unsigned flags) {
  // MFD_HUGETLB (and its size bits) is refused: there are no huge pages.
  if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC)) {
    return Errno{EINVAL};
  }
  if ((flags & MFD_NOEXEC_SEAL) && (flags & MFD_EXEC)) return Errno{EINVAL};
  auto name = t.mm().CopyInString(name_addr, fs::memfd::kMaxNameLen);
  if (!name.ok()) {
    return name.error() == Errno{ENAMETOOLONG} ? Errno{EINVAL} : name.error();
  }
  mm::MemoryManager* m = t.mm().memory_manager();
  auto creds = t.creds();
  ASSIGN_OR_RETURN_ERRNO(
      vfs::FileRef f,
      fs::memfd::NewMemfd(SandboxVfs(), m ? m->memory_file() : nullptr, *name,
                          (flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL)) != 0,
                          creds->effective_uid, creds->effective_gid));
  return SyscallResult::From(
      TaskFdTable(t).Add(std::move(f), (flags & MFD_CLOEXEC) != 0));
}

}  // namespace

SyscallResult SealFcntl(const vfs::FileRef& f, int cmd, uint64_t arg) {
  fs::memfd::MemfdData* d = fs::memfd::MemfdOf(*f);
  if (d == nullptr) return Errno{EINVAL};
  if (cmd == F_GET_SEALS) {
    return SyscallResult::Value(static_cast<int64_t>(d->seals()));
  }
  if (!f->writable()) return Errno{EPERM};
  RETURN_IF_ERRNO(d->AddSeals(static_cast<uint32_t>(arg)));
  return SyscallResult::Value(0);
}

void RegisterMemfdSyscalls(SyscallTable& tab) {
  tab.Set(__NR_memfd_create, FileAdapt<&MemfdCreate>, Support::kPartial,
          "no MFD_HUGETLB; F_SEAL_WRITE does not check existing mappings");
}

}  // namespace sentry::syscalls
