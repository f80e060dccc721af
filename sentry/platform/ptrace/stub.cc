#include "sentry/platform/ptrace/stub.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <vector>

#include "base/errors.h"

// The stub code. No stack is used: the stub runs with every page but its own
// unmapped. Data fields live at the end of the block and are patched in the
// copy. Syscall numbers: prctl 157, close_range 436, munmap 11, seccomp 317,
// getpid 39, kill 62, exit_group 231, ptrace 101, pause 34.
asm(R"(
  .text
  .balign 64
  .globl sentry_stub_begin
  .hidden sentry_stub_begin
sentry_stub_begin:
  mov $101, %eax
  xor %edi, %edi
  syscall
  test %rax, %rax
  jnz 2f
  mov $157, %eax
  mov $1, %edi
  mov $9, %esi
  syscall
  mov sentry_stub_memfd(%rip), %rsi
  test %rsi, %rsi
  jz 1f
  dec %rsi
  xor %edi, %edi
  xor %edx, %edx
  mov $436, %eax
  syscall
1:
  mov sentry_stub_memfd(%rip), %rdi
  inc %rdi
  mov $0xffffffff, %esi
  xor %edx, %edx
  mov $436, %eax
  syscall
  xor %edi, %edi
  mov sentry_stub_low_len(%rip), %rsi
  mov $11, %eax
  syscall
  mov sentry_stub_high_start(%rip), %rdi
  mov sentry_stub_high_len(%rip), %rsi
  mov $11, %eax
  syscall
  mov $157, %eax
  mov $38, %edi
  mov $1, %esi
  xor %edx, %edx
  xor %r10d, %r10d
  xor %r8d, %r8d
  syscall
  test %rax, %rax
  jnz 2f
  mov $317, %eax
  mov $1, %edi
  xor %esi, %esi
  lea sentry_stub_fprog(%rip), %rdx
  syscall
  test %rax, %rax
  jnz 2f
  int3
  jmp 3f
2:
  mov $231, %eax
  mov $111, %edi
  syscall
  .globl sentry_stub_child
  .hidden sentry_stub_child
sentry_stub_child:
  mov $157, %eax
  mov $1, %edi
  mov $9, %esi
  syscall
3:
  mov $34, %eax
  syscall
  jmp 3b
  .globl sentry_stub_syscall
  .hidden sentry_stub_syscall
sentry_stub_syscall:
  syscall
  int3
  .globl sentry_stub_clone
  .hidden sentry_stub_clone
sentry_stub_clone:
  syscall
  test %rax, %rax
  jz sentry_stub_child
  int3
  .balign 8
  .globl sentry_stub_memfd
  .hidden sentry_stub_memfd
sentry_stub_memfd: .quad 0
  .globl sentry_stub_low_len
  .hidden sentry_stub_low_len
sentry_stub_low_len: .quad 0
  .globl sentry_stub_high_start
  .hidden sentry_stub_high_start
sentry_stub_high_start: .quad 0
  .globl sentry_stub_high_len
  .hidden sentry_stub_high_len
sentry_stub_high_len: .quad 0
  .globl sentry_stub_fprog
  .hidden sentry_stub_fprog
sentry_stub_fprog: .quad 0, 0
  .globl sentry_stub_filter
  .hidden sentry_stub_filter
sentry_stub_filter: .space 8 * 32
  .globl sentry_stub_end
  .hidden sentry_stub_end
sentry_stub_end:
)");

extern "C" {
extern const char sentry_stub_begin[];
extern const char sentry_stub_child[];
extern const char sentry_stub_syscall[];
extern const char sentry_stub_clone[];
extern const char sentry_stub_memfd[];
extern const char sentry_stub_low_len[];
extern const char sentry_stub_high_start[];
extern const char sentry_stub_high_len[];
extern const char sentry_stub_fprog[];
extern const char sentry_stub_filter[];
extern const char sentry_stub_end[];
}

namespace sentry::platform::ptrace {
namespace {

constexpr uint64_t kPage = 4096;
// Highest user address on x86-64 with 4-level paging (TASK_SIZE).
constexpr uint64_t kTaskSize = 0x7ffffffff000ull;

size_t Off(const char* sym) {
  return static_cast<size_t>(sym - sentry_stub_begin);
}

void Put64(uint8_t* page, const char* sym, uint64_t v) {
  std::memcpy(page + Off(sym), &v, sizeof(v));
}

// The filter: allow a syscall only if arch is x86-64, the number is not x32,
// the instruction pointer lies in [lo, lo + 4096) and it is one the stub
// needs (mmap/munmap/mprotect injected by the sentry, clone for new stubs,
// pause and prctl(PDEATHSIG) in the idle loop, exit_group).
std::vector<sock_filter> BuildFilter(uint64_t lo) {
  const uint32_t lo_low = static_cast<uint32_t>(lo);
  const uint32_t lo_high = static_cast<uint32_t>(lo >> 32);
  constexpr uint32_t kArch = offsetof(seccomp_data, arch);
  constexpr uint32_t kNr = offsetof(seccomp_data, nr);
  constexpr uint32_t kIpLow = offsetof(seccomp_data, instruction_pointer);
  constexpr uint32_t kIpHigh = kIpLow + 4;
  std::vector<sock_filter> f = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArch),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNr),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1),  // x32
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpHigh),
      // The legacy vsyscall page: the host kernel emulates it without a
      // ptrace stop, but runs this filter; trap so the sentry serves it.
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpLow),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0xff600000u, 0, 1),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0xff601000u, 0, 4),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpHigh),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo_high, 2, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpLow),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lo_low, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, lo_low + uint32_t{kPage - 1}, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      // Only what the stub itself issues once the filter is in place.
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNr),
  };
  const uint32_t allowed[] = {SYS_mmap,  SYS_munmap, SYS_mprotect,  SYS_clone,
                              SYS_pause, SYS_prctl,  SYS_exit_group};
  const uint8_t n = sizeof(allowed) / sizeof(allowed[0]);
  for (uint8_t i = 0; i < n; ++i) {
    // Match: jump over the remaining tests and the kill to the allow.
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, allowed[i],
                         static_cast<uint8_t>(n - i), 0));
  }
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return f;
}

}  // namespace

absl::StatusOr<StubPage> StubPage::Create(int memory_file_fd) {
  static_assert(sizeof(sock_filter) == 8);
  const size_t code_len = Off(sentry_stub_end);
  if (code_len > kPage) return absl::InternalError("stub code exceeds a page");
  void* mem = MAP_FAILED;
  uint64_t addr = kStubSearchStart;
  // Page by page first, then in 16 MiB strides: a large mapping of the
  // sentry (the memory file's reservation) may cover the first candidates.
  for (int i = 0; i < 1024 + 8192 && addr + kPage <= kTaskSize;
       addr += (i < 1024 ? kPage : (uint64_t{16} << 20)), ++i) {
    // The filter compares 32-bit halves: keep the page within one 4 GiB half.
    if ((addr >> 32) != ((addr + kPage - 1) >> 32)) continue;
    mem = mmap(reinterpret_cast<void*>(addr), kPage, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (mem != MAP_FAILED) break;
    if (errno != EEXIST) return base::ErrnoStatus(errno, "mmap stub page");
  }
  if (mem == MAP_FAILED)
    return absl::ResourceExhaustedError("no room for stub page");
  auto* page = static_cast<uint8_t*>(mem);
  std::memcpy(page, sentry_stub_begin, code_len);
  Put64(page, sentry_stub_memfd, static_cast<uint64_t>(memory_file_fd));
  Put64(page, sentry_stub_low_len, addr);
  Put64(page, sentry_stub_high_start, addr + kPage);
  Put64(page, sentry_stub_high_len, kTaskSize - (addr + kPage));
  std::vector<sock_filter> filter = BuildFilter(addr);
  const size_t filter_cap = Off(sentry_stub_end) - Off(sentry_stub_filter);
  if (filter.size() * sizeof(sock_filter) > filter_cap) {
    munmap(mem, kPage);
    return absl::InternalError("stub filter too long");
  }
  std::memcpy(page + Off(sentry_stub_filter), filter.data(),
              filter.size() * sizeof(sock_filter));
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(filter.size());
  prog.filter = reinterpret_cast<sock_filter*>(addr + Off(sentry_stub_filter));
  static_assert(sizeof(prog) == 16);
  std::memcpy(page + Off(sentry_stub_fprog), &prog, sizeof(prog));
  if (mprotect(mem, kPage, PROT_READ | PROT_EXEC) != 0) {
    int err = errno;
    munmap(mem, kPage);
    return base::ErrnoStatus(err, "mprotect stub page");
  }
  StubPage p;
  p.addr = addr;
  p.entry = addr;
  p.syscall_site = addr + Off(sentry_stub_syscall);
  p.clone_site = addr + Off(sentry_stub_clone);
  return p;
}

}  // namespace sentry::platform::ptrace
