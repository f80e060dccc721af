#include "sentry/fs/sysfs/sysfs.h"

#include "absl/strings/str_cat.h"
#include "sentry/fs/kernfs/kernfs.h"

namespace sentry::fs::sysfs {

std::shared_ptr<vfs::Filesystem> NewSysfs(int num_cpus) {
  const uint64_t dev = vfs::NewAnonDev();
  auto inos = std::make_shared<kernfs::InoAllocator>();
  auto dir = [&]() {
    return std::make_shared<kernfs::StaticDir>(dev, inos->Next(), 0755);
  };
  auto text = [&](std::string s) {
    return std::make_shared<kernfs::GeneratedFile>(
        dev, inos->Next(), 0444, [s]() -> ErrnoOr<std::string> { return s; });
  };
  const std::string cpus =
      num_cpus <= 1 ? "0\n" : absl::StrCat("0-", num_cpus - 1, "\n");
  auto root = dir();
  auto devices = dir();
  auto system = dir();
  auto cpu = dir();
  cpu->Add("online", text(cpus));
  cpu->Add("possible", text(cpus));
  cpu->Add("present", text(cpus));
  for (int i = 0; i < num_cpus; ++i) cpu->Add(absl::StrCat("cpu", i), dir());
  system->Add("cpu", cpu);
  devices->Add("system", system);
  root->Add("devices", devices);
  auto kernel = dir();
  auto mm = dir();
  auto thp = dir();
  thp->Add("enabled", text("always madvise [never]\n"));
  mm->Add("transparent_hugepage", thp);
  kernel->Add("mm", mm);
  root->Add("kernel", kernel);
  auto fs = dir();
  fs->Add("cgroup", dir());
  root->Add("fs", fs);
  for (const char* d : {"block", "bus", "class", "dev", "firmware", "module"}) {
    root->Add(d, dir());
  }
  return std::make_shared<kernfs::SimpleFilesystem>("sysfs", kSysfsMagic, root);
}

void RegisterSysfs(vfs::VirtualFilesystem& vfs, int num_cpus) {
  vfs.RegisterFilesystemType(
      "sysfs",
      [num_cpus](vfs::VirtualFilesystem&, absl::string_view, absl::string_view)
          -> ErrnoOr<std::shared_ptr<vfs::Filesystem>> {
        return NewSysfs(num_cpus);
      });
}

}  // namespace sentry::fs::sysfs
