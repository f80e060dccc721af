// Memory syscalls over sentry/mm: brk, mmap (anonymous), munmap, mprotect,
// mremap, madvise, mincore, msync, mlock family. The memory manager does the
// work and the argument checks; handlers only decode and copy results.
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sentry/mm/mappable.h"
#include "sentry/mm/memory_manager.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::syscalls {

namespace {

mm::MemoryManager* Mm(Task& t) { return t.mm().memory_manager(); }

#define REQUIRE_MM(t)           \
  mm::MemoryManager* m = Mm(t); \
  if (m == nullptr) return SyscallResult::Error(Errno{ENOMEM})

// Brk implements brk(2). Full.
SyscallResult Brk(Task& t, UserAddr addr) {
  REQUIRE_MM(t);
  return SyscallResult::Value(static_cast<int64_t>(m->Brk(addr).value()));
}

// Mmap implements mmap(2). Partial: files map only if their FileImpl
// offers a Mappable (memfds today); others fail with ENODEV.
SyscallResult Mmap(Task& t, uint64_t addr, uint64_t len, int prot, int flags,
                   int fd, uint64_t off) {
  REQUIRE_MM(t);
  mm::MmapOpts o;
  o.addr = addr;
  o.length = len;
  o.prot = prot;
  o.flags = flags;
  o.offset = off;
  if (!(flags & MAP_ANONYMOUS)) {
    if (!HasFiles(t)) return SyscallResult::Error(Errno{EBADF});
    ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd));
    if (f->is_path()) return SyscallResult::Error(Errno{EBADF});
    if (!f->readable()) return SyscallResult::Error(Errno{EACCES});
    if (off & 0xfff) return SyscallResult::Error(Errno{EINVAL});
    const bool shared = (flags & MAP_TYPE) != MAP_PRIVATE;
    if (shared && (prot & PROT_WRITE) && !f->writable()) {
      return SyscallResult::Error(Errno{EACCES});
    }
    if (f->impl() == nullptr) return SyscallResult::Error(Errno{ENODEV});
    ASSIGN_OR_RETURN_ERRNO(
        o.file, f->impl()->GetMappable(shared && (prot & PROT_WRITE)));
    o.max_prot = PROT_READ | PROT_EXEC | (f->writable() ? PROT_WRITE : 0);
  }
  auto r = m->Mmap(o);
  if (!r.ok()) return SyscallResult::Error(r.error());
  return SyscallResult::Value(static_cast<int64_t>(r->value()));
}

SyscallResult Munmap(Task& t, UserAddr addr, uint64_t len) {
  REQUIRE_MM(t);
  return SyscallResult::From(m->Munmap(addr, len));
}

SyscallResult Mprotect(Task& t, UserAddr addr, uint64_t len, int prot) {
  REQUIRE_MM(t);
  return SyscallResult::From(m->Mprotect(addr, len, prot));
}

SyscallResult Mremap(Task& t, UserAddr old_addr, uint64_t old_len,
                     uint64_t new_len, int flags, UserAddr new_addr) {
  REQUIRE_MM(t);
  auto r = m->Mremap(old_addr, old_len, new_len, flags, new_addr);
  if (!r.ok()) return SyscallResult::Error(r.error());
  return SyscallResult::Value(static_cast<int64_t>(r->value()));
}

SyscallResult Madvise(Task& t, UserAddr addr, uint64_t len, int advice) {
  REQUIRE_MM(t);
  return SyscallResult::From(m->Madvise(addr, len, advice));
}

// Mincore implements mincore(2). Full.
SyscallResult Mincore(Task& t, UserAddr addr, uint64_t len, UserAddr vec) {
  REQUIRE_MM(t);
  auto r = m->Mincore(addr, len);
  if (!r.ok()) return SyscallResult::Error(r.error());
  return SyscallResult::From(t.mm().CopyOutFull(vec, r->data(), r->size()));
}

SyscallResult Msync(Task& t, UserAddr addr, uint64_t len, int flags) {
  REQUIRE_MM(t);
  return SyscallResult::From(m->Msync(addr, len, flags));
}

SyscallResult Mlock(Task& t, UserAddr addr, uint64_t len) {
  REQUIRE_MM(t);
  return SyscallResult::From(m->Mlock(addr, len));
}

SyscallResult Mlock2(Task& t, UserAddr addr, uint64_t len, int flags) {
  REQUIRE_MM(t);
  if (flags & ~MLOCK_ONFAULT) return SyscallResult::Error(Errno{EINVAL});
  return SyscallResult::From(m->Mlock(addr, len, flags & MLOCK_ONFAULT));
}

SyscallResult Munlock(Task& t, UserAddr addr, uint64_t len) {
  REQUIRE_MM(t);
  return SyscallResult::From(m->Munlock(addr, len));
}

SyscallResult Mlockall(Task& t, int flags) {
  REQUIRE_MM(t);
  return SyscallResult::From(m->Mlockall(flags));
}

SyscallResult Munlockall(Task& t) {
  REQUIRE_MM(t);
  return SyscallResult::From(m->Munlockall());
}

#undef REQUIRE_MM

}  // namespace

void RegisterMmapSyscalls(SyscallTable& tab) {
  tab.Set(__NR_brk, Adapt<&Brk>, Support::kFull);
  tab.Set(__NR_mmap, Adapt<&Mmap>, Support::kPartial,
          "files only when they offer a Mappable (memfd)");
  tab.Set(__NR_munmap, Adapt<&Munmap>, Support::kFull);
  tab.Set(__NR_mprotect, Adapt<&Mprotect>, Support::kFull);
  tab.Set(__NR_mremap, Adapt<&Mremap>, Support::kFull);
  tab.Set(__NR_madvise, Adapt<&Madvise>, Support::kFull);
  tab.Set(__NR_mincore, Adapt<&Mincore>, Support::kFull);
  tab.Set(__NR_msync, Adapt<&Msync>, Support::kFull);
  tab.Set(__NR_mlock, Adapt<&Mlock>, Support::kFull);
  tab.Set(__NR_mlock2, Adapt<&Mlock2>, Support::kFull);
  tab.Set(__NR_munlock, Adapt<&Munlock>, Support::kFull);
  tab.Set(__NR_mlockall, Adapt<&Mlockall>, Support::kFull);
  tab.Set(__NR_munlockall, Adapt<&Munlockall>, Support::kFull);
}

}  // namespace sentry::syscalls
