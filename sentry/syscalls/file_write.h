// The write path every syscall that writes to a file shares (write,
// pwrite, writev, sendfile, splice, copy_file_range): for regular files
// RLIMIT_FSIZE (SIGXFSZ/EFBIG, short writes), Linux's file_remove_privs and
// coherence with file mappings (file_mappable.h); SIGPIPE for EPIPE.
#ifndef SENTRY_SYSCALLS_FILE_WRITE_H_
#define SENTRY_SYSCALLS_FILE_WRITE_H_

#include <optional>

#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/io.h"

namespace sentry::syscalls {

// Writes `src` to `f` at `off` (nullopt: the file position, or the end with
// O_APPEND).
ErrnoOr<size_t> WriteFile(Task& t, vfs::FileDescription& f, vfs::IoSrc& src,
                          std::optional<int64_t> off);

}  // namespace sentry::syscalls

#endif  // SENTRY_SYSCALLS_FILE_WRITE_H_
