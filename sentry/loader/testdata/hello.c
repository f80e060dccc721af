// A freestanding static test program for the loader (no libc): writes
// "hello <argv[1..]> <envp[0]>\n" to stdout, checks its auxv (AT_PAGESZ,
// AT_RANDOM, AT_ENTRY, AT_PHDR), writes into a big bss array, and exits
// with argc. Built -static -nostdlib (and -static-pie).
#include <elf.h>

static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

static unsigned long len(const char* s) {
  unsigned long n = 0;
  while (s[n]) ++n;
  return n;
}

static void put(const char* s) { sys3(1, 1, (long)s, (long)len(s)); }

static char bss[1 << 16];
extern char _start[];

__attribute__((used)) void start_c(long* sp) {
  long argc = sp[0];
  char** argv = (char**)(sp + 1);
  char** envp = argv + argc + 1;
  char** e = envp;
  while (*e) ++e;
  Elf64_auxv_t* av = (Elf64_auxv_t*)(e + 1);
  int ok = 1;
  for (; av->a_type != AT_NULL; ++av) {
    if (av->a_type == AT_PAGESZ && av->a_un.a_val != 4096) ok = 0;
    if (av->a_type == AT_RANDOM && av->a_un.a_val == 0) ok = 0;
    if (av->a_type == AT_ENTRY && av->a_un.a_val != (unsigned long)_start) ok = 0;
    if (av->a_type == AT_PHDR && ((Elf64_Phdr*)av->a_un.a_val)->p_type != PT_PHDR &&
        ((Elf64_Phdr*)av->a_un.a_val)->p_type != PT_LOAD &&
        ((Elf64_Phdr*)av->a_un.a_val)->p_type != PT_NOTE &&
        ((Elf64_Phdr*)av->a_un.a_val)->p_type != PT_GNU_PROPERTY)
      ok = 0;
  }
  for (unsigned i = 0; i < sizeof(bss); i += 4096) bss[i] = 1;
  put("hello");
  for (long i = 1; i < argc; ++i) {
    put(" ");
    put(argv[i]);
  }
  if (envp[0]) {
    put(" ");
    put(envp[0]);
  }
  put(ok ? " auxv-ok\n" : " auxv-bad\n");
  sys3(231, argc, 0, 0);
}

__asm__(
    ".globl _start\n"
    "_start:\n"
    "  mov %rsp, %rdi\n"
    "  and $-16, %rsp\n"
    "  call start_c\n"
    "  hlt\n");
