#include "sentry/loader/loader.h"

#include <elf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "base/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sentry/platform/platform.h"

namespace sentry::loader {
namespace {

using ::testing::HasSubstr;

const std::string kStatic = std::string(LOADER_TESTDATA_DIR) + "/hello_static";
const std::string kStaticPie =
    std::string(LOADER_TESTDATA_DIR) + "/hello_static_pie";

struct RunResult {
  std::string out;
  int exit_code = -1;
  std::string error;
};

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mf = mm::MemoryFile::Create("loader-test", uint64_t{4} << 30);
    ASSERT_TRUE(mf.ok());
    mf_ = std::move(*mf);
    auto p = platform::NewPlatform("ptrace", mf_->fd());
    ASSERT_TRUE(p.ok()) << p.status();
    platform_ = std::move(*p);
    auto as = platform_->NewAddressSpace();
    ASSERT_TRUE(as.ok());
    mm_ = std::make_unique<mm::MemoryManager>(mf_.get(), std::move(*as));
  }
  void TearDown() override {
    mm_.reset();
    platform_.reset();
    for (auto& f : temps_) unlink(f.c_str());
  }

  std::string TempScript(const std::string& text) {
    char name[] = "/tmp/loader-script-XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, text.data(), text.size()),
              static_cast<ssize_t>(text.size()));
    fchmod(fd, 0755);
    close(fd);
    temps_.push_back(name);
    return name;
  }

  // A TEST-ONLY syscall responder: just enough of a kernel for the test
  // programs and busybox's `echo`. Never use as a model for sentry/kernel.
  RunResult Run(const LoadResult& lr) {
    RunResult res;
    auto ctx = platform_->NewContext();
    if (!ctx.ok()) return {"", -1, "context"};
    arch::Registers regs;
    regs.ResetForExec(lr.entry, lr.stack);
    for (int stops = 0; stops < 100000; ++stops) {
      auto r = (*ctx)->Switch(*mm_->address_space(), regs);
      if (r.kind == platform::StopReason::Kind::kFault) {
        if (mm_->HandleFault(mm::UserAddr(r.fault_addr), r.access) !=
            mm::FaultResult::kOk) {
          char buf[128];
          snprintf(buf, sizeof(buf), "SIGSEGV at %#lx ip %#llx", r.fault_addr,
                   regs.gp().rip);
          res.error = buf;
          return res;
        }
        continue;
      }
      if (r.kind != platform::StopReason::Kind::kSyscall) {
        res.error = "unexpected stop";
        return res;
      }
      const uint64_t a0 = regs.SyscallArg(0), a1 = regs.SyscallArg(1),
                     a2 = regs.SyscallArg(2);
      int64_t ret = -ENOSYS;
      switch (regs.SyscallNo()) {
        case SYS_write: {
          std::string buf(a2, '\0');
          size_t n = mm_->CopyInPartial(mm::UserAddr(a1), buf.data(), a2);
          buf.resize(n);
          if (a0 == 1 || a0 == 2) res.out += buf;
          ret = n > 0 || a2 == 0 ? static_cast<int64_t>(n) : -EFAULT;
          break;
        }
        case SYS_exit_group:
        case SYS_exit:
          res.exit_code = static_cast<int>(a0);
          return res;
        case SYS_brk:
          ret = static_cast<int64_t>(mm_->Brk(mm::UserAddr(a0)).value());
          break;
        case SYS_arch_prctl:
          if (a0 == 0x1002) {  // ARCH_SET_FS
            regs.set_fs_base(a1);
            ret = 0;
          } else {
            ret = -EINVAL;
          }
          break;
        case SYS_set_tid_address:
          ret = 1;
          break;
        case SYS_set_robust_list:
        case SYS_getuid:
        case SYS_geteuid:
        case SYS_getgid:
        case SYS_getegid:
          ret = 0;
          break;
        case SYS_mprotect: {
          auto s = mm_->Mprotect(mm::UserAddr(a0), a1, static_cast<int>(a2));
          ret = s.ok() ? 0 : -ToInt(s.error());
          break;
        }
        case SYS_getrandom: {
          std::string zeros(a1, '\x5a');
          ret = mm_->CopyOut(mm::UserAddr(a0), zeros.data(), a1).ok()
                    ? static_cast<int64_t>(a1)
                    : -EFAULT;
          break;
        }
        default:
          break;
      }
      regs.SetReturn(ret);
    }
    res.error = "too many stops";
    return res;
  }

  std::unique_ptr<mm::MemoryFile> mf_;
  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<mm::MemoryManager> mm_;
  HostFileOpener opener_;
  std::vector<std::string> temps_;
};

LoadArgs Args(const std::string& path, std::vector<std::string> argv) {
  LoadArgs a;
  a.filename = path;
  a.argv = std::move(argv);
  a.envp = {"HOME=/root"};
  return a;
}

TEST_F(LoaderTest, StaticBinaryRunsEndToEnd) {
  auto lr = Load(*mm_, opener_, Args(kStatic, {"hello", "a", "b"}));
  ASSERT_TRUE(lr.ok()) << lr.status();
  EXPECT_EQ(lr->interp_base, 0u);
  EXPECT_EQ(lr->entry, lr->exe_entry);
  EXPECT_EQ(lr->stack % 16, 0u);
  RunResult r = Run(*lr);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.out, "hello a b HOME=/root auxv-ok\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(mm_->MapsText(), HasSubstr("[stack]"));
}

TEST_F(LoaderTest, StaticPieRunsAtPieBase) {
  auto lr = Load(*mm_, opener_, Args(kStaticPie, {"pie"}));
  ASSERT_TRUE(lr.ok()) << lr.status();
  EXPECT_GE(lr->exe_entry, 0x555555554000u);
  RunResult r = Run(*lr);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.out, "hello HOME=/root auxv-ok\n");
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(LoaderTest, InitialStackLayout) {
  LoadArgs a = Args(kStatic, {"prog", "x"});
  a.random = std::array<uint8_t, 16>{1, 2,  3,  4,  5,  6,  7,  8,
                                     9, 10, 11, 12, 13, 14, 15, 16};
  a.uid = 1000;
  auto lr = Load(*mm_, opener_, a);
  ASSERT_TRUE(lr.ok()) << lr.status();
  uint64_t words[4];
  ASSERT_TRUE(mm_->CopyIn(mm::UserAddr(lr->stack), words, sizeof(words)).ok());
  EXPECT_EQ(words[0], 2u);  // argc
  auto s = mm_->CopyInString(mm::UserAddr(words[1]), 100);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "prog");
  EXPECT_EQ(words[3], 0u);  // argv terminator
  std::map<uint64_t, uint64_t> auxv(lr->auxv.begin(), lr->auxv.end());
  EXPECT_EQ(auxv[AT_PAGESZ], 4096u);
  EXPECT_EQ(auxv[AT_UID], 1000u);
  EXPECT_EQ(auxv[AT_ENTRY], lr->exe_entry);
  EXPECT_EQ(auxv.count(AT_SYSINFO_EHDR), 0u);
  uint8_t rnd[16];
  ASSERT_TRUE(mm_->CopyIn(mm::UserAddr(auxv[AT_RANDOM]), rnd, 16).ok());
  EXPECT_EQ(rnd[15], 16);
  auto fn = mm_->CopyInString(mm::UserAddr(auxv[AT_EXECFN]), 4096);
  ASSERT_TRUE(fn.ok());
  EXPECT_EQ(*fn, kStatic);
  auto plat = mm_->CopyInString(mm::UserAddr(auxv[AT_PLATFORM]), 100);
  EXPECT_EQ(*plat, "x86_64");
  // The auxv as written on the stack matches: find it after envp.
  EXPECT_EQ(lr->auxv.back().first, uint64_t{AT_NULL});
}

TEST_F(LoaderTest, DynamicExecutableLoadsInterpreter) {
  auto lr = Load(*mm_, opener_, Args("/bin/true", {"true"}));
  ASSERT_TRUE(lr.ok()) << lr.status();
  EXPECT_EQ(lr->interpreter, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_NE(lr->interp_base, 0u);
  EXPECT_NE(lr->entry, lr->exe_entry);  // starts in the interpreter
  EXPECT_GE(lr->entry, lr->interp_base);
  // The interpreter image starts with an ELF header.
  char magic[4];
  ASSERT_TRUE(mm_->CopyIn(mm::UserAddr(lr->interp_base), magic, 4).ok());
  EXPECT_EQ(std::string(magic, 4),
            "\x7f"
            "ELF");
}

TEST_F(LoaderTest, ShebangScriptRewritesArgv) {
  std::string script =
      TempScript("#!" + kStatic + "  one-arg  \necho ignored\n");
  auto lr = Load(*mm_, opener_, Args(script, {"myscript", "tail"}));
  ASSERT_TRUE(lr.ok()) << lr.status();
  EXPECT_THAT(lr->argv,
              ::testing::ElementsAre(kStatic, "one-arg", script, "tail"));
  RunResult r = Run(*lr);
  EXPECT_EQ(r.out, "hello one-arg " + script + " tail HOME=/root auxv-ok\n");
  EXPECT_EQ(r.exit_code, 4);
}

TEST_F(LoaderTest, ShebangRecursionIsLimited) {
  // A script whose interpreter is itself.
  char name[] = "/tmp/loader-loop-XXXXXX";
  int fd = mkstemp(name);
  ASSERT_GE(fd, 0);
  std::string text = std::string("#!") + name + "\n";
  ASSERT_EQ(write(fd, text.data(), text.size()),
            static_cast<ssize_t>(text.size()));
  fchmod(fd, 0755);
  close(fd);
  temps_.push_back(name);
  auto lr = Load(*mm_, opener_, Args(name, {"loop"}));
  ASSERT_FALSE(lr.ok());
  EXPECT_EQ(base::ErrnoFromStatus(lr.status()), ELOOP);
}

TEST_F(LoaderTest, Errors) {
  auto lr = Load(*mm_, opener_, Args("/nonexistent/x", {"x"}));
  EXPECT_EQ(base::ErrnoFromStatus(lr.status()), ENOENT);
  std::string junk = TempScript("this is not an executable at all\n");
  lr = Load(*mm_, opener_, Args(junk, {"j"}));
  EXPECT_EQ(base::ErrnoFromStatus(lr.status()), ENOEXEC);
  std::string empty_sb = TempScript("#!   \n");
  lr = Load(*mm_, opener_, Args(empty_sb, {"e"}));
  EXPECT_EQ(base::ErrnoFromStatus(lr.status()), ENOEXEC);
  LoadArgs big = Args(kStatic, {"x", std::string(3 << 20, 'a')});
  lr = Load(*mm_, opener_, big);
  EXPECT_EQ(base::ErrnoFromStatus(lr.status()), E2BIG);
}

TEST_F(LoaderTest, VdsoIsMappedAndAnnounced) {
  LoadArgs a = Args(kStatic, {"v"});
  a.vdso_image = std::string(8192, '\0');
  a.vdso_image.replace(0, 4,
                       "\x7f"
                       "ELF");
  auto lr = Load(*mm_, opener_, a);
  ASSERT_TRUE(lr.ok()) << lr.status();
  ASSERT_NE(lr->vdso_base, 0u);
  std::map<uint64_t, uint64_t> auxv(lr->auxv.begin(), lr->auxv.end());
  EXPECT_EQ(auxv[AT_SYSINFO_EHDR], lr->vdso_base);
  EXPECT_THAT(
      mm_->MapsText(),
      HasSubstr("r-xp 00000000 00:00 0                          [vdso]"));
}

// A File whose pages live in the memory file, like the VFS's page cache.
class CachedFile : public File {
 public:
  CachedFile(mm::MemoryFile* mf, const std::string& path) {
    FILE* f = fopen(path.c_str(), "rb");
    std::string data;
    char buf[65536];
    size_t n;
    while (f != nullptr && (n = fread(buf, 1, sizeof(buf), f)) > 0)
      data.append(buf, n);
    if (f != nullptr) fclose(f);
    size_ = data.size();
    m_ = std::make_shared<mm::AnonymousMappable>(mf, data.size(), path);
    (void)m_->Write(0, data.data(), data.size());
  }
  ErrnoOr<size_t> ReadAt(void* buf, size_t len, uint64_t off) override {
    if (off >= size_) return size_t{0};
    len = std::min<uint64_t>(len, size_ - off);
    RETURN_IF_ERRNO(m_->Read(off, buf, len));
    return len;
  }
  std::shared_ptr<mm::Mappable> Mappable() override { return m_; }

 private:
  uint64_t size_ = 0;
  std::shared_ptr<mm::AnonymousMappable> m_;
};

class CachedOpener : public FileOpener {
 public:
  explicit CachedOpener(mm::MemoryFile* mf) : mf_(mf) {}
  ErrnoOr<std::unique_ptr<File>> Open(const std::string& path) override {
    auto it = cache_.find(path);
    if (it == cache_.end()) {
      if (access(path.c_str(), X_OK) != 0) return Errno{ENOENT};
      it = cache_.emplace(path, std::make_shared<CachedFile>(mf_, path)).first;
    }
    // Every open shares the cached pages.
    struct Ref : File {
      std::shared_ptr<CachedFile> f;
      ErrnoOr<size_t> ReadAt(void* b, size_t l, uint64_t o) override {
        return f->ReadAt(b, l, o);
      }
      std::shared_ptr<mm::Mappable> Mappable() override {
        return f->Mappable();
      }
    };
    auto r = std::make_unique<Ref>();
    r->f = it->second;
    return std::unique_ptr<File>(std::move(r));
  }

 private:
  mm::MemoryFile* mf_;
  std::map<std::string, std::shared_ptr<CachedFile>> cache_;
};

TEST_F(LoaderTest, SegmentsMappedFromPageCacheAreSharedAndNamed) {
  CachedOpener opener(mf_.get());
  auto lr = Load(*mm_, opener, Args(kStatic, {"hello", "cached"}));
  ASSERT_TRUE(lr.ok()) << lr.status();
  EXPECT_THAT(mm_->MapsText(), HasSubstr(kStatic));
  RunResult r = Run(*lr);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.out, "hello cached HOME=/root auxv-ok\n");
  EXPECT_EQ(r.exit_code, 2);
  // A second process loading the same file shares the file's frames: it
  // allocates fewer new frames than a copying load of the same program.
  uint64_t before = mf_->UsedPages();
  mm::MemoryManager shared(mf_.get(), nullptr);
  ASSERT_TRUE(Load(shared, opener, Args(kStatic, {"again"})).ok());
  const uint64_t shared_new = mf_->UsedPages() - before;
  before = mf_->UsedPages();
  mm::MemoryManager copied(mf_.get(), nullptr);
  ASSERT_TRUE(Load(copied, opener_, Args(kStatic, {"again"})).ok());
  const uint64_t copied_new = mf_->UsedPages() - before;
  EXPECT_LT(shared_new, copied_new);
}

TEST_F(LoaderTest, DynamicExecutableFromPageCache) {
  CachedOpener opener(mf_.get());
  auto lr = Load(*mm_, opener, Args("/bin/true", {"true"}));
  ASSERT_TRUE(lr.ok()) << lr.status();
  std::string maps = mm_->MapsText();
  EXPECT_THAT(maps, HasSubstr("/bin/true"));
  EXPECT_THAT(maps, HasSubstr("/lib64/ld-linux-x86-64.so.2"));
  char magic[4];
  ASSERT_TRUE(mm_->CopyIn(mm::UserAddr(lr->interp_base), magic, 4).ok());
  EXPECT_EQ(std::string(magic, 4),
            "\x7f"
            "ELF");
}

TEST_F(LoaderTest, BusyboxEchoRuns) {
  if (access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "no /bin/busybox";
  auto lr = Load(*mm_, opener_,
                 Args("/bin/busybox", {"busybox", "echo", "hi", "there"}));
  ASSERT_TRUE(lr.ok()) << lr.status();
  RunResult r = Run(*lr);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.out, "hi there\n");
  EXPECT_EQ(r.exit_code, 0);
}

}  // namespace
}  // namespace sentry::loader
