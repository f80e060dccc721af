#include "sentry/fs/mounts/spec_mounts.h"

#include <fcntl.h>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sentry/fs/tmpfs/tmpfs.h"

namespace sentry::fs::mounts {
namespace {

bool Ignored(absl::string_view o) {
  static const char* const kIgnored[] = {
      "private",     "rprivate",      "shared",      "rshared",    "slave",
      "rslave",      "unbindable",    "runbindable", "relatime",   "norelatime",
      "strictatime", "nostrictatime", "atime",       "noatime",    "diratime",
      "nodiratime",  "defaults",      "sync",        "async",      "dirsync",
      "lazytime",    "nolazytime",    "iversion",    "noiversion", "mand",
      "nomand",      "silent",        "loud",
  };
  for (const char* i : kIgnored) {
    if (o == i) return true;
  }
  return false;
}

vfs::PathAt At(absl::string_view path) { return vfs::PathAt{{}, path}; }

ErrnoStatus MakeMountPoint(vfs::VirtualFilesystem& vfs, const vfs::Context& ctx,
                           const std::string& dest, bool dir) {
  auto st = vfs.GetStat(ctx, At(dest), true);
  if (st.ok()) return OkErrno();
  if (st.error() != Errno{ENOENT}) return st.error();
  if (dir) return MakeDirs(vfs, ctx, dest, 0755);
  auto slash = dest.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    RETURN_IF_ERRNO(MakeDirs(vfs, ctx, dest.substr(0, slash), 0755));
  }
  RETURN_IF_ERRNO(vfs.Open(ctx, At(dest), O_WRONLY | O_CREAT, 0644));
  return OkErrno();
}

ErrnoOr<std::shared_ptr<vfs::Filesystem>> EmptyReadOnlyTmpfs(uint32_t mode) {
  return std::shared_ptr<vfs::Filesystem>(
      std::make_shared<tmpfs::Tmpfs>(tmpfs::TmpfsOptions{.mode = mode}));
}

ErrnoStatus MountOne(vfs::VirtualFilesystem& vfs, const vfs::Context& ctx,
                     const MountSpec& m, const BindSourceResolver& resolver) {
  if (m.destination.empty() || m.destination[0] != '/') return Errno{EINVAL};
  ParsedOptions opts = ParseMountOptions(m.options);
  std::shared_ptr<vfs::Filesystem> fs;
  std::string type = m.type;
  if (type == "bind" || opts.bind) {
    if (!resolver) return Errno{ENODEV};
    ASSIGN_OR_RETURN_ERRNO(fs, resolver(m));
    type = "bind";
  } else if (type == "tmpfs" && m.destination == "/dev") {
    ASSIGN_OR_RETURN_ERRNO(fs, vfs.NewFilesystem("devfs", m.source, opts.data));
  } else if (type == "mqueue") {
    ASSIGN_OR_RETURN_ERRNO(fs,
                           vfs.NewFilesystem("tmpfs", m.source, "mode=1777"));
  } else if (type == "cgroup" || type == "cgroup2") {
    ASSIGN_OR_RETURN_ERRNO(fs, EmptyReadOnlyTmpfs(0555));
    opts.flags.read_only = true;
  } else {
    ASSIGN_OR_RETURN_ERRNO(fs, vfs.NewFilesystem(type, m.source, opts.data));
  }
  const bool dir = fs->Root()->IsDir();
  RETURN_IF_ERRNO(MakeMountPoint(vfs, ctx, m.destination, dir));
  RETURN_IF_ERRNO(vfs.MountAt(ctx, At(m.destination), std::move(fs), opts.flags,
                              m.source.empty() ? type : m.source));
  return OkErrno();
}

}  // namespace

ParsedOptions ParseMountOptions(const std::vector<std::string>& options) {
  ParsedOptions p;
  std::vector<std::string> data;
  for (const std::string& o : options) {
    if (o == "ro") {
      p.flags.read_only = true;
    } else if (o == "rw") {
      p.flags.read_only = false;
    } else if (o == "nosuid") {
      p.flags.nosuid = true;
    } else if (o == "suid") {
      p.flags.nosuid = false;
    } else if (o == "nodev") {
      p.flags.nodev = true;
    } else if (o == "dev") {
      p.flags.nodev = false;
    } else if (o == "noexec") {
      p.flags.noexec = true;
    } else if (o == "exec") {
      p.flags.noexec = false;
    } else if (o == "bind" || o == "rbind") {
      p.bind = true;
    } else if (!Ignored(o)) {
      data.push_back(o);
    }
  }
  p.data = absl::StrJoin(data, ",");
  return p;
}

ErrnoStatus MakeDirs(vfs::VirtualFilesystem& vfs, const vfs::Context& ctx,
                     absl::string_view path, uint32_t mode) {
  std::string cur;
  for (absl::string_view c : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    cur += "/";
    cur.append(c.data(), c.size());
    auto s = vfs.Mkdir(ctx, At(cur), mode);
    if (!s.ok() && s.error() != Errno{EEXIST}) return s.error();
  }
  return OkErrno();
}

ErrnoStatus ApplyMountSpec(vfs::VirtualFilesystem& vfs, const vfs::Context& ctx,
                           const MountTreeSpec& spec,
                           const BindSourceResolver& bind_resolver) {
  for (const MountSpec& m : spec.mounts) {
    RETURN_IF_ERRNO(MountOne(vfs, ctx, m, bind_resolver));
  }
  for (const std::string& p : spec.readonly_paths) {
    auto flags = vfs.GetMountFlags(ctx, At(p));
    if (!flags.ok()) {
      if (flags.error() == Errno{ENOENT}) continue;
      return flags.error();
    }
    vfs::MountFlags f = *flags;
    f.read_only = true;
    RETURN_IF_ERRNO(vfs.BindMount(ctx, At(p), At(p), f));
  }
  std::optional<vfs::VirtualDentry> empty_file;
  for (const std::string& p : spec.masked_paths) {
    auto st = vfs.GetStat(ctx, At(p), true);
    if (!st.ok()) {
      if (st.error() == Errno{ENOENT}) continue;
      return st.error();
    }
    const vfs::MountFlags ro{
        .read_only = true, .nosuid = true, .nodev = false, .noexec = true};
    if (S_ISDIR(st->mode)) {
      ASSIGN_OR_RETURN_ERRNO(auto fs, EmptyReadOnlyTmpfs(0755));
      RETURN_IF_ERRNO(vfs.MountAt(ctx, At(p), fs, ro, "tmpfs"));
      continue;
    }
    auto null = vfs.Resolve(ctx, At("/dev/null"), true);
    if (null.ok() && S_ISCHR(vfs.GetStat(*null)->mode)) {
      RETURN_IF_ERRNO(vfs.BindMountFrom(ctx, *null, At(p), ro));
      continue;
    }
    if (!empty_file) {
      // A private empty file, 0444, on a detached tmpfs.
      auto t =
          std::make_shared<tmpfs::Tmpfs>(tmpfs::TmpfsOptions{.mode = 0555});
      vfs::CreateRequest req;
      req.mode = S_IFREG | 0444;
      RETURN_IF_ERRNO(t->Root()->Create("empty", req));
      vfs::VirtualDentry root = vfs.NewDetachedMount(t, ro);
      vfs::Context c = ctx;
      c.root = c.cwd = root;
      ASSIGN_OR_RETURN_ERRNO(vfs::VirtualDentry f,
                             vfs.Resolve(c, At("/empty"), false));
      empty_file = f;
    }
    RETURN_IF_ERRNO(vfs.BindMountFrom(ctx, *empty_file, At(p), ro));
  }
  return OkErrno();
}

}  // namespace sentry::fs::mounts
