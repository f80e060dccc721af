// The program loader for execve: ELF64 x86-64 executables (static, static-PIE
// and dynamic, whose PT_INTERP interpreter is loaded too), `#!` scripts, and
// the initial stack (argv, envp, auxv) in the System V x86-64 ABI layout.
//
// Files are read through loader::File, which the VFS implements; tests use
// HostFile. If the file offers a Mappable (its page cache), segments are
// mapped MAP_PRIVATE from it as on Linux (text shared between processes,
// /proc/pid/maps shows the path, bss tail of the last file page zeroed);
// otherwise they are copied into private anonymous memory.
//
// The caller gives a fresh MemoryManager (execve replaces the mm) and, on
// success, starts the task with Registers::ResetForExec(entry, stack).
// Errors are absl::Status carrying the errno execve returns (ENOEXEC,
// ENOENT, EACCES, ELOOP, E2BIG, ENOMEM, EIO...), see base/errors.h.
#ifndef SENTRY_LOADER_LOADER_H_
#define SENTRY_LOADER_LOADER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "sentry/base/errno.h"
#include "sentry/mm/memory_manager.h"

namespace sentry::loader {

// An open executable file.
class File {
 public:
  virtual ~File() = default;
  // Reads up to len bytes at off; returns the count (0 at EOF).
  virtual ErrnoOr<size_t> ReadAt(void* buf, size_t len, uint64_t off) = 0;
  // The file's pages for mmap, or null (then segments are copied).
  virtual std::shared_ptr<mm::Mappable> Mappable() { return nullptr; }
};

// Resolves and opens paths (the interpreter of a dynamic executable or of a
// script) with the calling task's root, cwd and permissions (exec check).
class FileOpener {
 public:
  virtual ~FileOpener() = default;
  virtual ErrnoOr<std::unique_ptr<File>> Open(const std::string& path) = 0;
};

// Test and bootstrap implementation over host files.
class HostFile : public File {
 public:
  explicit HostFile(int fd) : fd_(fd) {}
  ~HostFile() override;
  ErrnoOr<size_t> ReadAt(void* buf, size_t len, uint64_t off) override;

 private:
  int fd_;
};
class HostFileOpener : public FileOpener {
 public:
  ErrnoOr<std::unique_ptr<File>> Open(const std::string& path) override;
};

struct LoadArgs {
  std::string filename;  // the path given to execve (AT_EXECFN, scripts)
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  uint32_t uid = 0, euid = 0, gid = 0, egid = 0;
  bool secure = false;  // AT_SECURE (setuid exec)
  // 16 bytes for AT_RANDOM; filled from getrandom if not set.
  std::optional<std::array<uint8_t, 16>> random;
  // A vDSO image to map (AT_SYSINFO_EHDR); empty: none.
  std::string vdso_image;
  // Top of the initial stack; below the platform's user limit.
  uint64_t stack_top = 0x7efffffff000ull;
  uint64_t stack_limit = 8 << 20;  // RLIMIT_STACK
  // Base for position-independent executables (Linux's ELF_ET_DYN_BASE
  // without randomization).
  uint64_t pie_base = 0x555555554000ull;
};

struct LoadResult {
  uint64_t entry = 0;        // where to start (the interpreter's entry if any)
  uint64_t stack = 0;        // initial rsp (points at argc)
  uint64_t exe_entry = 0;    // AT_ENTRY
  uint64_t interp_base = 0;  // AT_BASE (0 without interpreter)
  uint64_t brk_start = 0;
  uint64_t vdso_base = 0;
  std::vector<std::string> argv;                    // after #! rewriting
  std::string interpreter;                          // PT_INTERP path, if any
  std::vector<std::pair<uint64_t, uint64_t>> auxv;  // for /proc/pid/auxv
};

// Linux's BINPRM_MAX_RECURSION: nested #! interpreters allowed.
inline constexpr int kMaxScriptDepth = 4;

absl::StatusOr<LoadResult> Load(mm::MemoryManager& mm, FileOpener& opener,
                                LoadArgs args);

}  // namespace sentry::loader

#endif  // SENTRY_LOADER_LOADER_H_
