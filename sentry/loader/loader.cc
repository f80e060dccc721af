#include "sentry/loader/loader.h"

#include <cpuid.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/status_macros.h"

namespace sentry::loader {
namespace {

using mm::kPageSize;
using mm::PageDown;
using mm::UserAddr;

constexpr size_t kScriptBufSize = 256;  // Linux's BINPRM_BUF_SIZE
constexpr size_t kMaxPhdrBytes = 65536;
constexpr size_t kPathMax = 4096;

absl::Status Err(int err, absl::string_view what) {
  return base::ErrnoStatus(err, what);
}
absl::Status Err(Errno e, absl::string_view what) {
  return base::ErrnoStatus(ToInt(e), what);
}

absl::Status ReadFull(File& f, void* buf, size_t len, uint64_t off,
                      absl::string_view what) {
  size_t done = 0;
  while (done < len) {
    auto n =
        f.ReadAt(static_cast<uint8_t*>(buf) + done, len - done, off + done);
    if (!n.ok()) return Err(n.error(), what);
    if (*n == 0) return Err(ENOEXEC, absl::StrCat(what, ": short file"));
    done += *n;
  }
  return absl::OkStatus();
}

int ProtOf(uint32_t pflags) {
  int prot = 0;
  if (pflags & PF_R) prot |= PROT_READ;
  if (pflags & PF_W) prot |= PROT_WRITE;
  if (pflags & PF_X) prot |= PROT_EXEC;
  return prot;
}

// Copies a segment into private anonymous memory.
absl::Status CopySegment(mm::MemoryManager& mm, File& f, const Elf64_Phdr& p,
                         uint64_t bias, int prot) {
  const uint64_t start = PageDown(p.p_vaddr) + bias;
  const uint64_t end = *mm::PageUp(p.p_vaddr + p.p_memsz) + bias;
  mm::MmapOpts o;
  o.addr = start;
  o.length = end - start;
  o.prot = PROT_READ | PROT_WRITE;
  o.flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
  auto r = mm.Mmap(o);
  if (!r.ok()) return Err(r.error(), "map segment");
  // Copy the file part; the rest (bss) is fresh zero memory.
  std::vector<uint8_t> buf(std::min<uint64_t>(p.p_filesz, 1 << 20));
  for (uint64_t done = 0; done < p.p_filesz;) {
    const size_t n = std::min<uint64_t>(buf.size(), p.p_filesz - done);
    RETURN_IF_ERROR(ReadFull(f, buf.data(), n, p.p_offset + done, "segment"));
    auto s = mm.CopyOut(UserAddr(p.p_vaddr + bias + done), buf.data(), n, true);
    if (!s.ok()) return Err(s.error(), "copy segment");
    done += n;
  }
  auto s = mm.Mprotect(UserAddr(start), end - start, prot);
  if (!s.ok()) return Err(s.error(), "protect segment");
  return absl::OkStatus();
}

// Maps a segment MAP_PRIVATE from the file like Linux's elf_map: the file
// pages, then the zeroed tail of the last file page, then anonymous bss.
absl::Status MapSegmentFromFile(mm::MemoryManager& mm,
                                const std::shared_ptr<mm::Mappable>& file,
                                const Elf64_Phdr& p, uint64_t bias, int prot) {
  const uint64_t start = PageDown(p.p_vaddr) + bias;
  const uint64_t file_end = p.p_vaddr + p.p_filesz + bias;
  const uint64_t file_map_end = p.p_filesz > 0 ? *mm::PageUp(file_end) : start;
  const uint64_t end = *mm::PageUp(p.p_vaddr + p.p_memsz) + bias;
  if (file_map_end > start) {
    mm::MmapOpts o;
    o.addr = start;
    o.length = file_map_end - start;
    o.prot = prot;
    o.flags = MAP_PRIVATE | MAP_FIXED;
    o.file = file;
    o.offset = PageDown(p.p_offset);
    auto r = mm.Mmap(o);
    if (!r.ok()) return Err(r.error(), "map segment");
    if (p.p_memsz > p.p_filesz && file_map_end > file_end) {
      // Bytes after p_filesz in the last file page belong to bss.
      auto z = mm.ZeroOut(UserAddr(file_end), file_map_end - file_end,
                          /*force=*/true);
      if (!z.ok()) return Err(z.error(), "zero bss tail");
    }
  }
  if (end > file_map_end) {
    mm::MmapOpts o;
    o.addr = file_map_end;
    o.length = end - file_map_end;
    o.prot = prot;
    o.flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    auto r = mm.Mmap(o);
    if (!r.ok()) return Err(r.error(), "map bss");
  }
  return absl::OkStatus();
}

struct Image {
  uint64_t bias = 0;
  uint64_t entry = 0;
  uint64_t phdr_addr = 0;
  uint16_t phnum = 0;
  uint64_t end = 0;  // highest mapped address (page-aligned)
  std::string interp;
};

// Loads one ELF image. `is_interp`: place it anywhere (mmap's choice).
absl::StatusOr<Image> LoadElf(mm::MemoryManager& mm, File& f, uint64_t pie_base,
                              bool is_interp) {
  Elf64_Ehdr eh;
  RETURN_IF_ERROR(ReadFull(f, &eh, sizeof(eh), 0, "ELF header"));
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return Err(ENOEXEC, "not ELF");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB ||
      eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_machine != EM_X86_64) {
    return Err(ENOEXEC, "not an x86-64 ELF64 little-endian image");
  }
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
    return Err(ENOEXEC, "not executable");
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
      size_t{eh.e_phnum} * sizeof(Elf64_Phdr) > kMaxPhdrBytes) {
    return Err(ENOEXEC, "bad program headers");
  }
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  RETURN_IF_ERROR(ReadFull(f, ph.data(), ph.size() * sizeof(Elf64_Phdr),
                           eh.e_phoff, "program headers"));
  Image img;
  uint64_t lo = ~uint64_t{0}, hi = 0;
  for (const Elf64_Phdr& p : ph) {
    if (p.p_type == PT_INTERP && !is_interp) {
      if (p.p_filesz < 2 || p.p_filesz > kPathMax)
        return Err(ENOEXEC, "bad PT_INTERP");
      std::string s(p.p_filesz, '\0');
      RETURN_IF_ERROR(ReadFull(f, s.data(), s.size(), p.p_offset, "PT_INTERP"));
      if (s.back() != '\0') return Err(ENOEXEC, "PT_INTERP not terminated");
      s.pop_back();
      img.interp = std::move(s);
    }
    if (p.p_type != PT_LOAD || p.p_memsz == 0) continue;
    if (p.p_filesz > p.p_memsz) return Err(ENOEXEC, "p_filesz > p_memsz");
    if (p.p_vaddr > ~uint64_t{0} - p.p_memsz ||
        p.p_offset > ~uint64_t{0} - p.p_filesz) {
      return Err(ENOEXEC, "segment overflows");
    }
    // Linux maps segments from the file, so it needs this congruence.
    if ((p.p_vaddr & (kPageSize - 1)) != (p.p_offset & (kPageSize - 1))) {
      return Err(ENOEXEC, "segment offset and address not congruent");
    }
    lo = std::min(lo, PageDown(p.p_vaddr));
    hi = std::max(hi, p.p_vaddr + p.p_memsz);
  }
  if (hi == 0) return Err(ENOEXEC, "no loadable segments");
  auto hi_up = mm::PageUp(hi);
  if (!hi_up) return Err(ENOEXEC, "segments overflow");
  const uint64_t span = *hi_up - lo;

  if (eh.e_type == ET_DYN) {
    // Reserve the whole span to choose a bias, then map segments into it.
    mm::MmapOpts o;
    o.addr = is_interp ? 0 : pie_base;
    o.length = span;
    o.prot = PROT_NONE;
    auto r = mm.Mmap(o);
    if (!r.ok()) return Err(r.error(), "reserve image");
    img.bias = r->value() - lo;
  }
  std::shared_ptr<mm::Mappable> mappable = f.Mappable();
  for (const Elf64_Phdr& p : ph) {
    if (p.p_type != PT_LOAD || p.p_memsz == 0) continue;
    const uint64_t end = *mm::PageUp(p.p_vaddr + p.p_memsz) + img.bias;
    const int prot = ProtOf(p.p_flags);
    if (mappable != nullptr) {
      RETURN_IF_ERROR(MapSegmentFromFile(mm, mappable, p, img.bias, prot));
    } else {
      RETURN_IF_ERROR(CopySegment(mm, f, p, img.bias, prot));
    }
    img.end = std::max(img.end, end);
  }
  img.entry = eh.e_entry + img.bias;
  img.phnum = eh.e_phnum;
  for (const Elf64_Phdr& p : ph) {
    if (p.p_type == PT_PHDR) img.phdr_addr = p.p_vaddr + img.bias;
  }
  if (img.phdr_addr == 0) {
    for (const Elf64_Phdr& p : ph) {
      if (p.p_type == PT_LOAD && eh.e_phoff >= p.p_offset &&
          eh.e_phoff < p.p_offset + p.p_filesz) {
        img.phdr_addr = p.p_vaddr + (eh.e_phoff - p.p_offset) + img.bias;
      }
    }
  }
  return img;
}

// Parses "#!interp [arg]" from the first bytes of a file. Like Linux: one
// optional argument (the rest of the line, trimmed), no further splitting.
absl::StatusOr<std::pair<std::string, std::string>> ParseShebang(
    const char* buf, size_t n) {
  std::string line(buf + 2, n - 2);
  size_t nl = line.find('\n');
  if (nl == std::string::npos) {
    if (n == kScriptBufSize) {
      // The interpreter line does not fit in the buffer: Linux accepts it
      // only if the interpreter name itself ended inside it; keep it simple.
    }
  } else {
    line.resize(nl);
  }
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  size_t j = i;
  while (j < line.size() && !is_space(line[j]) && line[j] != '\0') ++j;
  if (i == j) return Err(ENOEXEC, "empty #! line");
  std::string interp = line.substr(i, j - i);
  size_t k = j;
  while (k < line.size() && is_space(line[k])) ++k;
  std::string arg = line.substr(k);
  while (!arg.empty() && (is_space(arg.back()) || arg.back() == '\r'))
    arg.pop_back();
  if (size_t z = arg.find('\0'); z != std::string::npos) arg.resize(z);
  return std::make_pair(interp, arg);
}

uint64_t Hwcap() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  return d;
}

}  // namespace

HostFile::~HostFile() {
  if (fd_ >= 0) close(fd_);
}

ErrnoOr<size_t> HostFile::ReadAt(void* buf, size_t len, uint64_t off) {
  ssize_t n = pread(fd_, buf, len, static_cast<off_t>(off));
  if (n < 0) return Errno{errno};
  return static_cast<size_t>(n);
}

ErrnoOr<std::unique_ptr<File>> HostFileOpener::Open(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno{errno};
  if (access(path.c_str(), X_OK) != 0) {
    close(fd);
    return Errno{EACCES};
  }
  return std::unique_ptr<File>(std::make_unique<HostFile>(fd));
}

absl::StatusOr<LoadResult> Load(mm::MemoryManager& mm, FileOpener& opener,
                                LoadArgs args) {
  LoadResult res;
  std::vector<std::string> argv = args.argv;
  std::string path = args.filename;
  std::unique_ptr<File> file;
  // Follow #! interpreters.
  for (int depth = 0;; ++depth) {
    auto f = opener.Open(path);
    if (!f.ok()) return Err(f.error(), absl::StrCat("open ", path));
    file = std::move(*f);
    char buf[kScriptBufSize];
    size_t n = 0;
    while (n < sizeof(buf)) {
      auto r = file->ReadAt(buf + n, sizeof(buf) - n, n);
      if (!r.ok()) return Err(r.error(), "read executable");
      if (*r == 0) break;
      n += *r;
    }
    if (n < 2 || buf[0] != '#' || buf[1] != '!') break;
    if (depth >= kMaxScriptDepth) return Err(ELOOP, "too many #! levels");
    ASSIGN_OR_RETURN(auto sb, ParseShebang(buf, n));
    // argv becomes: interp [arg] path argv[1..].
    std::vector<std::string> nargv = {sb.first};
    if (!sb.second.empty()) nargv.push_back(sb.second);
    nargv.push_back(path);
    for (size_t i = 1; i < argv.size(); ++i) nargv.push_back(argv[i]);
    argv = std::move(nargv);
    path = sb.first;
  }
  res.argv = argv;

  ASSIGN_OR_RETURN(Image exe, LoadElf(mm, *file, args.pie_base, false));
  res.exe_entry = exe.entry;
  res.entry = exe.entry;
  res.brk_start = exe.end;
  mm.SetBrkStart(UserAddr(exe.end));
  // mmap area below the stack, as in Linux's top-down layout.
  mm.SetMmapBase(args.stack_top -
                 std::max<uint64_t>(args.stack_limit, 128 << 20) - (1 << 20));
  if (!exe.interp.empty()) {
    res.interpreter = exe.interp;
    auto f = opener.Open(exe.interp);
    if (!f.ok())
      return Err(f.error(), absl::StrCat("open interpreter ", exe.interp));
    ASSIGN_OR_RETURN(Image interp, LoadElf(mm, **f, 0, true));
    res.interp_base = interp.bias;
    res.entry = interp.entry;
  }
  if (!args.vdso_image.empty()) {
    mm::MmapOpts o;
    o.length = args.vdso_image.size();
    o.prot = PROT_READ | PROT_WRITE;
    o.name = "[vdso]";
    auto r = mm.Mmap(o);
    if (!r.ok()) return Err(r.error(), "map vdso");
    auto s =
        mm.CopyOut(*r, args.vdso_image.data(), args.vdso_image.size(), true);
    if (s.ok())
      s = mm.Mprotect(*r, args.vdso_image.size(), PROT_READ | PROT_EXEC);
    if (!s.ok()) return Err(s.error(), "fill vdso");
    res.vdso_base = r->value();
  }

  // The stack: a MAP_GROWSDOWN mapping that faults grow up to RLIMIT_STACK.
  // Strings, top down: end marker, execfn, envp strings, argv strings.
  uint64_t total = 8 + args.filename.size() + 1;
  for (auto& s : argv) total += s.size() + 1;
  for (auto& s : args.envp) total += s.size() + 1;
  // Linux: strings may use up to a quarter of the stack limit.
  if (total > args.stack_limit / 4) return Err(E2BIG, "arguments too long");
  const uint64_t vectors =
      (argv.size() + args.envp.size() + 3 + 2 * 24) * 8 + 64;
  const uint64_t kInitialStack = (128 << 10) + *mm::PageUp(total + vectors);
  {
    mm::MmapOpts o;
    o.addr = args.stack_top - kInitialStack;
    o.length = kInitialStack;
    o.prot = PROT_READ | PROT_WRITE;
    o.flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN;
    o.name = "[stack]";
    auto r = mm.Mmap(o);
    if (!r.ok()) return Err(r.error(), "map stack");
  }
  uint64_t sp = args.stack_top - 8;
  auto push_bytes = [&](const void* data,
                        size_t len) -> absl::StatusOr<uint64_t> {
    sp -= len;
    auto s = mm.CopyOut(UserAddr(sp), data, len);
    if (!s.ok()) return Err(s.error(), "write stack");
    return sp;
  };
  auto push_str = [&](const std::string& s) {
    return push_bytes(s.c_str(), s.size() + 1);
  };
  ASSIGN_OR_RETURN(uint64_t execfn, push_str(args.filename));
  std::vector<uint64_t> env_ptrs(args.envp.size()), arg_ptrs(argv.size());
  for (size_t i = args.envp.size(); i-- > 0;) {
    ASSIGN_OR_RETURN(env_ptrs[i], push_str(args.envp[i]));
  }
  for (size_t i = argv.size(); i-- > 0;) {
    ASSIGN_OR_RETURN(arg_ptrs[i], push_str(argv[i]));
  }
  ASSIGN_OR_RETURN(uint64_t platform, push_str("x86_64"));
  std::array<uint8_t, 16> rnd{};
  if (args.random) {
    rnd = *args.random;
  } else if (getrandom(rnd.data(), rnd.size(), 0) !=
             static_cast<ssize_t>(rnd.size())) {
    return Err(EIO, "getrandom");
  }
  sp &= ~uint64_t{15};
  ASSIGN_OR_RETURN(uint64_t random_addr, push_bytes(rnd.data(), rnd.size()));

  auto& av = res.auxv;
  if (res.vdso_base != 0) av.push_back({AT_SYSINFO_EHDR, res.vdso_base});
  av.push_back({AT_HWCAP, Hwcap()});
  av.push_back({AT_PAGESZ, kPageSize});
  av.push_back({AT_CLKTCK, 100});
  av.push_back({AT_PHDR, exe.phdr_addr});
  av.push_back({AT_PHENT, sizeof(Elf64_Phdr)});
  av.push_back({AT_PHNUM, exe.phnum});
  av.push_back({AT_BASE, res.interp_base});
  av.push_back({AT_FLAGS, 0});
  av.push_back({AT_ENTRY, exe.entry});
  av.push_back({AT_UID, args.uid});
  av.push_back({AT_EUID, args.euid});
  av.push_back({AT_GID, args.gid});
  av.push_back({AT_EGID, args.egid});
  av.push_back({AT_SECURE, args.secure ? 1u : 0u});
  av.push_back({AT_RANDOM, random_addr});
  av.push_back({AT_HWCAP2, 0});
  av.push_back({AT_EXECFN, execfn});
  av.push_back({AT_PLATFORM, platform});
  av.push_back({AT_NULL, 0});

  // argc, argv[], NULL, envp[], NULL, auxv pairs; rsp 16-byte aligned.
  std::vector<uint64_t> words;
  words.push_back(argv.size());
  words.insert(words.end(), arg_ptrs.begin(), arg_ptrs.end());
  words.push_back(0);
  words.insert(words.end(), env_ptrs.begin(), env_ptrs.end());
  words.push_back(0);
  for (auto& [k, v] : av) {
    words.push_back(k);
    words.push_back(v);
  }
  sp -= words.size() * 8;
  sp &= ~uint64_t{15};
  auto s = mm.CopyOut(UserAddr(sp), words.data(), words.size() * 8);
  if (!s.ok()) return Err(s.error(), "write stack vectors");
  res.stack = sp;
  return res;
}

}  // namespace sentry::loader
