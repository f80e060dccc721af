#include "sentry/fs/procfs/procfs.h"

#include <linux/capability.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sentry/fs/kernfs/kernfs.h"
#include "sentry/fs/pipe/pipe.h"

namespace sentry::fs::procfs {
namespace {

using kernfs::GeneratedFile;
using kernfs::GeneratedSymlink;
using kernfs::Generator;
using kernfs::StaticDir;

struct Shared {
  uint64_t dev = vfs::NewAnonDev();
  kernfs::InoAllocator inos;
  vfs::VirtualFilesystem* vfs = nullptr;
  std::shared_ptr<ProcessProvider> provider;
  ProcfsOptions opts;
  vfs::Timespec boot = vfs::Now();
};

std::string Join(absl::string_view dir, absl::string_view name) {
  return dir.empty() ? std::string(name) : absl::StrCat(dir, "/", name);
}

// A node of /proc/<tgid>/...; a new inode per lookup.
class PidNode final : public vfs::SimpleInode {
 public:
  PidNode(std::shared_ptr<Shared> sh, int tgid, std::string path,
          const ProcEntry& e)
      : SimpleInode(sh->dev, InoFor(tgid, path), e.mode, e.uid, e.gid),
        sh_(std::move(sh)),
        tgid_(tgid),
        path_(std::move(path)) {}

  // Stable inode numbers per (tgid, path): a hash in a high range.
  static uint64_t InoFor(int tgid, absl::string_view path) {
    uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(tgid);
    for (char c : path)
      h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return h | (uint64_t{1} << 62);
  }

  bool CacheChildren() const override { return false; }

  ErrnoOr<std::shared_ptr<vfs::Inode>> Lookup(absl::string_view name) override {
    if (!IsDir()) return Errno{ENOTDIR};
    ASSIGN_OR_RETURN_ERRNO(std::vector<ProcEntry> list,
                           sh_->provider->List(tgid_, path_));
    for (const ProcEntry& e : list) {
      if (e.name == name) {
        return std::shared_ptr<vfs::Inode>(
            std::make_shared<PidNode>(sh_, tgid_, Join(path_, name), e));
      }
    }
    return Errno{ENOENT};
  }

  ErrnoStatus IterateDir(uint64_t cookie,
                         const vfs::DirEmitter& emit) override {
    if (!IsDir()) return Errno{ENOTDIR};
    ASSIGN_OR_RETURN_ERRNO(std::vector<ProcEntry> list,
                           sh_->provider->List(tgid_, path_));
    for (uint64_t i = cookie - vfs::kFirstDirCookie; i < list.size(); ++i) {
      if (!emit(vfs::DirEntry{
              list[i].name, InoFor(tgid_, Join(path_, list[i].name)),
              vfs::DirentType(list[i].mode), vfs::kFirstDirCookie + i + 1})) {
        break;
      }
    }
    return OkErrno();
  }

  ErrnoOr<std::string> ReadLink() override {
    if (!IsSymlink()) return Errno{EINVAL};
    return sh_->provider->ReadLink(tgid_, path_);
  }

  std::shared_ptr<vfs::FileDescription> MagicLinkTarget() override {
    if (!IsSymlink()) return nullptr;
    return sh_->provider->MagicLink(tgid_, path_);
  }

  ErrnoOr<std::unique_ptr<vfs::FileImpl>> Open(
      const vfs::OpenRequest& req) override {
    if (!IsRegular()) return Errno{ENXIO};
    if ((req.flags & O_ACCMODE) != O_RDONLY) return Errno{EACCES};
    ASSIGN_OR_RETURN_ERRNO(std::string data, sh_->provider->Read(tgid_, path_));
    return std::unique_ptr<vfs::FileImpl>(
        std::make_unique<kernfs::StringFileImpl>(std::move(data)));
  }

 private:
  std::shared_ptr<Shared> sh_;
  const int tgid_;
  const std::string path_;
};

class ProcRoot final : public StaticDir {
 public:
  explicit ProcRoot(std::shared_ptr<Shared> sh)
      : StaticDir(sh->dev, sh->inos.Next(), 0555), sh_(std::move(sh)) {}
  bool CacheChildren() const override { return false; }

 protected:
  ErrnoOr<std::shared_ptr<vfs::Inode>> DynamicLookup(
      absl::string_view name) override {
    int tgid;
    if (!sh_->provider || !absl::SimpleAtoi(name, &tgid) || tgid <= 0 ||
        absl::StrCat(tgid) != name) {
      return Errno{ENOENT};
    }
    return PidDir(tgid);
  }
  std::vector<Child> DynamicList() override {
    std::vector<Child> out;
    if (!sh_->provider) return out;
    for (int tgid : sh_->provider->Tgids()) {
      auto d = PidDir(tgid);
      if (d.ok()) out.push_back(Child{absl::StrCat(tgid), *d});
    }
    return out;
  }

 private:
  ErrnoOr<std::shared_ptr<vfs::Inode>> PidDir(int tgid) {
    // The directory exists iff the provider can list it.
    RETURN_IF_ERRNO(sh_->provider->List(tgid, ""));
    ProcEntry e{absl::StrCat(tgid), S_IFDIR | 0555, 0, 0};
    return std::shared_ptr<vfs::Inode>(
        std::make_shared<PidNode>(sh_, tgid, "", e));
  }
  std::shared_ptr<Shared> sh_;
};

std::string MountOptions(const vfs::MountInfo& m) {
  std::string s = m.flags.read_only ? "ro" : "rw";
  if (m.flags.nosuid) s += ",nosuid";
  if (m.flags.nodev) s += ",nodev";
  if (m.flags.noexec) s += ",noexec";
  s += ",relatime";
  if (!m.fs_options.empty()) absl::StrAppend(&s, ",", m.fs_options);
  return s;
}

}  // namespace

std::string FormatMounts(const std::vector<vfs::MountInfo>& mounts) {
  std::string out;
  for (const vfs::MountInfo& m : mounts) {
    absl::StrAppend(&out, m.source, " ", m.path, " ", m.type, " ",
                    MountOptions(m), " 0 0\n");
  }
  return out;
}

std::shared_ptr<vfs::Filesystem> NewProcfs(
    vfs::VirtualFilesystem* vfs, std::shared_ptr<ProcessProvider> provider,
    const ProcfsOptions& options) {
  auto sh = std::make_shared<Shared>();
  sh->vfs = vfs;
  sh->provider = std::move(provider);
  sh->opts = options;
  auto root = std::make_shared<ProcRoot>(sh);
  auto file = [&](Generator g, uint32_t perm = 0444) {
    return std::make_shared<GeneratedFile>(sh->dev, sh->inos.Next(), perm,
                                           std::move(g));
  };
  auto text = [&](std::string s) {
    return file([s]() -> ErrnoOr<std::string> { return s; });
  };
  auto dir = [&]() {
    return std::make_shared<StaticDir>(sh->dev, sh->inos.Next());
  };
  std::shared_ptr<Shared> s = sh;

  Generator mounts = [s]() -> ErrnoOr<std::string> {
    return FormatMounts(s->vfs->Mounts(vfs::Context{}));
  };
  root->Add("mounts", file(mounts));
  root->Add("filesystems", file([s]() -> ErrnoOr<std::string> {
              std::string out;
              for (const std::string& t : s->vfs->FilesystemTypes()) {
                bool nodev = t != "ext4" && t != "9p";
                absl::StrAppend(&out, nodev ? "nodev" : "", "\t", t, "\n");
              }
              return out;
            }));
  root->Add("meminfo", file([s]() -> ErrnoOr<std::string> {
              uint64_t kb = s->opts.mem_total_bytes / 1024;
              return absl::StrFormat(
                  "MemTotal:       %8u kB\nMemFree:        %8u kB\n"
                  "MemAvailable:   %8u kB\nBuffers:        %8u kB\n"
                  "Cached:         %8u kB\nSwapCached:     %8u kB\n"
                  "SwapTotal:      %8u kB\nSwapFree:       %8u kB\n"
                  "Shmem:          %8u kB\n",
                  kb, kb, kb, 0, 0, 0, 0, 0, 0);
            }));
  root->Add(
      "cpuinfo", file([s]() -> ErrnoOr<std::string> {
        std::string out;
        for (int i = 0; i < s->opts.num_cpus; ++i) {
          absl::StrAppend(
              &out, "processor\t: ", i,
              "\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
              "model name\t: unknown\ncpu MHz\t\t: 2000.000\n"
              "physical id\t: 0\nsiblings\t: ",
              s->opts.num_cpus, "\ncore id\t\t: ", i,
              "\ncpu cores\t: ", s->opts.num_cpus,
              "\nflags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2\n"
              "bogomips\t: 4000.00\nclflush size\t: 64\n"
              "cache_alignment\t: 64\naddress sizes\t: 46 bits physical, "
              "48 bits virtual\n\n");
        }
        return out;
      }));
  root->Add("stat", file([s]() -> ErrnoOr<std::string> {
              std::string out = "cpu  0 0 0 0 0 0 0 0 0 0\n";
              for (int i = 0; i < s->opts.num_cpus; ++i) {
                absl::StrAppend(&out, "cpu", i, " 0 0 0 0 0 0 0 0 0 0\n");
              }
              int procs = s->provider
                              ? static_cast<int>(s->provider->Tgids().size())
                              : 0;
              absl::StrAppend(
                  &out, "intr 0\nctxt 0\nbtime ", s->boot.sec, "\nprocesses ",
                  procs, "\nprocs_running 1\nprocs_blocked 0\nsoftirq 0\n");
              return out;
            }));
  root->Add("uptime", file([s]() -> ErrnoOr<std::string> {
              vfs::Timespec now = vfs::Now();
              double up = static_cast<double>(now.sec - s->boot.sec) +
                          static_cast<double>(now.nsec - s->boot.nsec) / 1e9;
              return absl::StrFormat("%.2f %.2f\n", up, up * s->opts.num_cpus);
            }));
  root->Add("version",
            text(absl::StrCat("Linux version ", options.kernel_release,
                              " (root@sandbox) (gcc) ", options.kernel_version,
                              "\n")));
  root->Add("loadavg", file([s]() -> ErrnoOr<std::string> {
              std::vector<int> t =
                  s->provider ? s->provider->Tgids() : std::vector<int>{};
              int last = t.empty() ? 0 : t.back();
              return absl::StrCat("0.00 0.00 0.00 1/", t.size(), " ", last,
                                  "\n");
            }));
  root->Add("self",
            std::make_shared<GeneratedSymlink>(
                sh->dev, sh->inos.Next(), [s]() -> ErrnoOr<std::string> {
                  int t = s->provider ? s->provider->CallerTgid() : 0;
                  if (t <= 0) return Errno{ENOENT};
                  return absl::StrCat(t);
                }));
  root->Add("thread-self",
            std::make_shared<GeneratedSymlink>(
                sh->dev, sh->inos.Next(), [s]() -> ErrnoOr<std::string> {
                  int t = s->provider ? s->provider->CallerTgid() : 0;
                  if (t <= 0) return Errno{ENOENT};
                  return absl::StrCat(t, "/task/", s->provider->CallerTid());
                }));
  auto sys = dir();
  auto kernel = dir();
  kernel->Add("osrelease", text(options.kernel_release + "\n"));
  kernel->Add("ostype", text("Linux\n"));
  kernel->Add("pid_max", text("4194304\n"));
  kernel->Add("cap_last_cap", text(absl::StrCat(CAP_LAST_CAP, "\n")));
  kernel->Add("ngroups_max", text("65536\n"));
  auto fsdir = dir();
  fsdir->Add("pipe-max-size", text(absl::StrCat(pipe::kMaxCapacity, "\n")));
  fsdir->Add("nr_open", text("1048576\n"));
  auto vm = dir();
  vm->Add("overcommit_memory", text("0\n"));
  vm->Add("mmap_min_addr", text("65536\n"));
  sys->Add("kernel", kernel);
  sys->Add("fs", fsdir);
  sys->Add("vm", vm);
  root->Add("sys", sys);
  return std::make_shared<kernfs::SimpleFilesystem>("proc", kProcMagic, root);
}

void RegisterProcfs(vfs::VirtualFilesystem& vfs,
                    std::shared_ptr<ProcessProvider> provider,
                    const ProcfsOptions& options) {
  vfs.RegisterFilesystemType(
      "proc",
      [provider, options](
          vfs::VirtualFilesystem& v, absl::string_view,
          absl::string_view) -> ErrnoOr<std::shared_ptr<vfs::Filesystem>> {
        return NewProcfs(&v, provider, options);
      });
}

}  // namespace sentry::fs::procfs
