// File-backed memory mappings: the mm::Mappable of a regular file.
//
// Each mapped inode has one FileCache: its pages live in the memory file,
// filled from the file on first fault and shared by every mapping of the
// inode (private mappings copy on write, as Linux's page cache). Linux's
// page cache also serves read(2)/write(2); ours does not, so the syscall
// layer keeps the two coherent around fd I/O (BeforeFileRead/Write below):
// dirty shared-writable pages are written back before an fd read or write,
// and cached pages overlapping a write are refreshed from the file after
// it. Shared-writable mappings also write back on msync and when the last
// of them goes away.
//
// Lock order: FileCache::mu_ -> the file's own locks (reads/writes of the
// file happen under mu_); the registry lock is a leaf.
#ifndef SENTRY_SYSCALLS_FILE_MAPPABLE_H_
#define SENTRY_SYSCALLS_FILE_MAPPABLE_H_

#include <memory>

#include "sentry/mm/mappable.h"
#include "sentry/mm/memory_file.h"
#include "sentry/vfs/file.h"

namespace sentry::syscalls {

// A Mappable for one mmap of `file` (a readable regular file). `shared_write`:
// a MAP_SHARED mapping through a writable description, whose stores reach
// the file.
ErrnoOr<std::shared_ptr<mm::Mappable>> NewFileMapping(mm::MemoryFile* mf,
                                                      const vfs::FileRef& file,
                                                      std::string name,
                                                      bool shared_write);

// Coherence hooks for fd I/O on regular files (no-ops unless the inode is
// mapped). `offset`/`len`: the byte range a write touched.
// BeforeFileIo returns whether the inode is mapped (then AfterFileWrite
// needs the written range).
bool BeforeFileIo(const vfs::Inode& inode);
void AfterFileWrite(const vfs::Inode& inode, int64_t offset, int64_t len);

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_FILE_MAPPABLE_H_
