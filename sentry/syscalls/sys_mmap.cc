// Memory syscalls over sentry/mm: brk, mmap (anonymous), munmap, mprotect,
// mremap, madvise, mincore, msync, mlock family. The memory manager does the
// work and the argument checks; handlers only decode and copy results.
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "sentry/mm/memory_manager.h"
#include "sentry/syscalls/file_context.h"
#include "sentry/syscalls/file_mappable.h"
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

// The file side of mmap: checks the description like Linux's do_mmap and
// fills o.file. /dev/zero maps as anonymous memory.
ErrnoStatus SetUpFileMapping(Task& t, mm::MemoryManager& m, int fd,
                             mm::MmapOpts& o) {
  if (!HasFiles(t)) return Errno{EBADF};
  ASSIGN_OR_RETURN_ERRNO(vfs::FileRef f, GetFile(t, fd));
  if (f->is_path()) return Errno{EBADF};
  const std::shared_ptr<vfs::Inode>& inode = f->inode();
  if (inode == nullptr) return Errno{ENODEV};
  ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, inode->GetStat());
  const bool shared = (o.flags & MAP_TYPE) != MAP_PRIVATE;
  if (S_ISCHR(st.mode) && st.rdev == makedev(1, 5)) {
    o.flags |= MAP_ANONYMOUS;  // /dev/zero
    return OkErrno();
  }
  if (!S_ISREG(st.mode)) return Errno{ENODEV};
  if (!f->readable()) return Errno{EACCES};
  if (shared && (o.prot & PROT_WRITE) &&
      (!f->writable() || (f->flags() & O_APPEND))) {
    return Errno{EACCES};
  }
  if (shared && !f->writable()) o.max_prot = PROT_READ | PROT_EXEC;
  // Files whose bytes already live in the memory file (memfd) map their
  // own pages; a sealed one may refuse (EPERM).
  if (f->impl() != nullptr) {
    auto own = f->impl()->GetMappable(shared && (o.prot & PROT_WRITE));
    if (own.ok()) {
      o.file = std::move(*own);
      return OkErrno();
    }
    if (own.error() != Errno{ENODEV}) return own.error();
  }
  std::string name = "";
  if (f->location().ok()) {
    name = SandboxVfs()->PathOf(TaskContext(t), f->location());
  }
  ASSIGN_OR_RETURN_ERRNO(o.file,
                         NewFileMapping(m.memory_file(), f, std::move(name),
                                        shared && f->writable()));
  return OkErrno();
}

// Mmap implements mmap(2): anonymous, /dev/zero and regular-file mappings.
SyscallResult Mmap(Task& t, uint64_t addr, uint64_t len, int prot, int flags,
                   int fd, uint64_t off) {
  REQUIRE_MM(t);
  mm::MmapOpts o;
  o.flags = flags;
  o.prot = prot;
  if (!(flags & MAP_ANONYMOUS)) {
    RETURN_IF_ERRNO(SetUpFileMapping(t, *m, fd, o));
  }
  flags = o.flags;
  o.addr = addr;
  o.length = len;
  o.offset = off;
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

// The memory manager enforces RLIMIT_MEMLOCK; the limit lives with the
// thread group and CAP_IPC_LOCK lifts it (Linux's can_do_mlock: a zero
// limit without the capability is EPERM rather than ENOMEM).
ErrnoStatus ApplyMemlockLimit(Task& t, mm::MemoryManager& m) {
  const bool cap = t.creds()->HasCapability(CAP_IPC_LOCK);
  rlimit rl;
  {
    absl::MutexLock l(t.kernel().mu());
    rl = t.tg().rlimits[RLIMIT_MEMLOCK];
  }
  if (!cap && rl.rlim_cur == 0) return Errno{EPERM};
  mm::MemoryManagerLimits lim = m.limits();
  lim.memlock_limit = cap ? ~uint64_t{0} : rl.rlim_cur;
  m.SetLimits(lim);
  return OkErrno();
}

SyscallResult Mlock(Task& t, UserAddr addr, uint64_t len) {
  REQUIRE_MM(t);
  RETURN_IF_ERRNO(ApplyMemlockLimit(t, *m));
  return SyscallResult::From(m->Mlock(addr, len));
}

SyscallResult Mlock2(Task& t, UserAddr addr, uint64_t len, int flags) {
  REQUIRE_MM(t);
  if (flags & ~MLOCK_ONFAULT) return SyscallResult::Error(Errno{EINVAL});
  RETURN_IF_ERRNO(ApplyMemlockLimit(t, *m));
  return SyscallResult::From(m->Mlock(addr, len, flags & MLOCK_ONFAULT));
}

SyscallResult Munlock(Task& t, UserAddr addr, uint64_t len) {
  REQUIRE_MM(t);
  return SyscallResult::From(m->Munlock(addr, len));
}

SyscallResult Mlockall(Task& t, int flags) {
  REQUIRE_MM(t);
  RETURN_IF_ERRNO(ApplyMemlockLimit(t, *m));
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
          "fd I/O is kept coherent with file mappings by write-back, not a "
          "shared page cache; no MAP_SYNC/huge pages");
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
