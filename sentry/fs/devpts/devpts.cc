#include "sentry/fs/devpts/devpts.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sentry::fs::devpts {
namespace {

constexpr uint32_t kPtmxMajor = 5, kPtmxMinor = 2, kTtyMinor = 0;
constexpr uint32_t kPtsMajor = 136;
constexpr uint64_t kRootIno = 1, kPtmxIno = 2, kFirstPtsIno = 3;

bool ParseOctal(absl::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 11) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return false;
    v = v * 8 + static_cast<uint32_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

ErrnoOr<DevptsOptions> ParseDevptsOptions(absl::string_view options) {
  DevptsOptions o;
  for (absl::string_view opt :
       absl::StrSplit(options, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(opt, absl::MaxSplits('=', 1));
    const absl::string_view key = kv.first, val = kv.second;
    uint32_t v = 0;
    if (key == "newinstance") {
      o.newinstance = true;
    } else if (key == "ptmxmode" && ParseOctal(val, &v)) {
      o.ptmxmode = v & 07777;
    } else if (key == "mode" && ParseOctal(val, &v)) {
      o.mode = v & 07777;
    } else if (key == "gid" && absl::SimpleAtoi(val, &v)) {
      o.gid = v;
    } else if (key == "uid" && absl::SimpleAtoi(val, &v)) {
      // Accepted; Linux's uid= sets the owner of new nodes. We use the
      // opener's fsuid unless given.
    } else if (key == "max" && absl::SimpleAtoi(val, &v)) {
      o.max = std::min(v, kMaxPtysPerInstance);
    } else if (key == "rw" || key == "ro" || key == "nosuid" ||
               key == "noexec" || key == "nodev" || key == "relatime") {
      // Mount flags that may reach the file system's option string.
    } else {
      return Errno{EINVAL};
    }
  }
  return o;
}

// The root directory: ptmx plus a node per live pair. Children come and go
// on their own, so the dentry cache must not keep them.
class DevptsRoot final : public vfs::SimpleInode {
 public:
  DevptsRoot(uint64_t dev, const DevptsOptions& opts, uint64_t ptmx_rdev)
      : SimpleInode(dev, kRootIno, S_IFDIR | 0755, 0, 0),
        ptmx_(std::make_shared<vfs::SimpleInode>(
            dev, kPtmxIno, S_IFCHR | opts.ptmxmode, 0, 0, ptmx_rdev)) {}

  ErrnoOr<std::shared_ptr<vfs::Inode>> Lookup(absl::string_view name) override {
    if (name == "ptmx") return std::shared_ptr<vfs::Inode>(ptmx_);
    uint32_t index;
    if (name.size() > 1 && name[0] == '0') return Errno{ENOENT};
    if (!absl::SimpleAtoi(name, &index)) return Errno{ENOENT};
    absl::MutexLock l(&mu_);
    auto it = nodes_.find(index);
    if (it == nodes_.end()) return Errno{ENOENT};
    return std::shared_ptr<vfs::Inode>(it->second);
  }

  ErrnoStatus IterateDir(uint64_t cookie,
                         const vfs::DirEmitter& emit) override {
    if (cookie <= vfs::kFirstDirCookie) {
      if (!emit({"ptmx", kPtmxIno, DT_CHR, vfs::kFirstDirCookie + 1})) {
        return OkErrno();
      }
      cookie = vfs::kFirstDirCookie + 1;
    }
    // Cookie c > 2 means "after index c - 3 - 1": stable while nodes change.
    std::vector<std::pair<uint32_t, uint64_t>> list;
    {
      absl::MutexLock l(&mu_);
      for (auto it = nodes_.lower_bound(
               static_cast<uint32_t>(cookie - (vfs::kFirstDirCookie + 1)));
           it != nodes_.end(); ++it) {
        list.emplace_back(it->first, it->second->ino());
      }
    }
    for (const auto& [index, ino] : list) {
      if (!emit({absl::StrCat(index), ino, DT_CHR,
                 vfs::kFirstDirCookie + 2 + index})) {
        break;
      }
    }
    return OkErrno();
  }

  bool CacheChildren() const override { return false; }

  ErrnoOr<std::shared_ptr<vfs::Inode>> Create(
      absl::string_view, const vfs::CreateRequest&) override {
    return Errno{EPERM};
  }
  ErrnoStatus Link(absl::string_view,
                   const std::shared_ptr<vfs::Inode>&) override {
    return Errno{EPERM};
  }
  ErrnoStatus Unlink(absl::string_view, bool) override { return Errno{EPERM}; }
  ErrnoStatus Rename(absl::string_view, vfs::Inode&, absl::string_view,
                     uint32_t) override {
    return Errno{EPERM};
  }

  void AddNode(uint32_t index, std::shared_ptr<vfs::SimpleInode> node) {
    absl::MutexLock l(&mu_);
    nodes_[index] = std::move(node);
    TouchModify();
  }
  void RemoveNode(uint32_t index) {
    absl::MutexLock l(&mu_);
    nodes_.erase(index);
    TouchModify();
  }

 private:
  const std::shared_ptr<vfs::SimpleInode> ptmx_;
  absl::Mutex mu_;
  std::map<uint32_t, std::shared_ptr<vfs::SimpleInode>> nodes_
      ABSL_GUARDED_BY(mu_);
};

Devpts::Devpts(std::shared_ptr<DevptsRegistry> registry, uint32_t id,
               DevptsOptions opts)
    : registry_(registry),
      kernel_(registry->kernel()),
      vfs_(registry->vfs()),
      id_(id),
      opts_(std::move(opts)),
      dev_(vfs::NewAnonDev()) {
  root_ = std::make_shared<DevptsRoot>(dev_, opts_, ptmx_rdev());
}

Devpts::~Devpts() {
  if (auto reg = registry_.lock()) reg->ReleaseId(id_);
}

std::shared_ptr<vfs::Inode> Devpts::Root() { return root_; }

std::string Devpts::Options() const {
  std::string s =
      absl::StrCat("mode=", absl::Dec(opts_.mode, absl::kZeroPad3),
                   ",ptmxmode=", absl::Dec(opts_.ptmxmode, absl::kZeroPad3));
  if (opts_.gid) absl::StrAppend(&s, ",gid=", *opts_.gid);
  return s;
}

ErrnoOr<vfs::StatFs> Devpts::GetStatFs() {
  vfs::StatFs st;
  st.type = kDevptsMagic;
  return st;
}

uint64_t Devpts::ptmx_rdev() const {
  return makedev(kPtmxMajor, kPtmxMinor | (id_ << 12));
}

uint64_t Devpts::pts_rdev(uint32_t index) const {
  return makedev(kPtsMajor, index | (id_ << 12));
}

std::shared_ptr<Pty> Devpts::Get(uint32_t index) {
  absl::MutexLock l(&mu_);
  auto it = ptys_.find(index);
  return it == ptys_.end() ? nullptr : it->second.lock();
}

ErrnoOr<std::unique_ptr<TtyFile>> Devpts::OpenMaster(int flags,
                                                     TtyCaller* caller) {
  const uint32_t uid = caller ? caller->Fsuid() : 0;
  const uint32_t gid = opts_.gid ? *opts_.gid : caller ? caller->Fsgid() : 0;
  std::shared_ptr<Pty> pty;
  uint32_t index = 0;
  {
    absl::MutexLock l(&mu_);
    // Lowest index whose pair is gone.
    for (auto it = ptys_.begin(); it != ptys_.end();) {
      if (it->second.expired()) {
        it = ptys_.erase(it);
      } else {
        ++it;
      }
    }
    while (ptys_.count(index)) ++index;
    if (index >= opts_.max) return Errno{ENOSPC};
    pty = std::make_shared<Pty>(index, kernel_);
    ptys_[index] = pty;
  }
  std::weak_ptr<Devpts> weak = weak_from_this();
  vfs_->RegisterDevice(
      S_IFCHR, kPtsMajor, index | (id_ << 12),
      [weak, index](const vfs::OpenRequest& req)
          -> ErrnoOr<std::unique_ptr<vfs::FileImpl>> {
        auto self = weak.lock();
        if (!self) return Errno{ENXIO};
        ASSIGN_OR_RETURN_ERRNO(
            auto f, self->OpenReplica(index, req.flags, self->CurrentTask()));
        return std::unique_ptr<vfs::FileImpl>(std::move(f));
      });
  root_->AddNode(index, std::make_shared<vfs::SimpleInode>(
                            dev_, kFirstPtsIno + index, S_IFCHR | opts_.mode,
                            uid, gid, pts_rdev(index)));
  (void)flags;
  return std::make_unique<TtyFile>(pty, /*master=*/true, [weak, index] {
    if (auto self = weak.lock()) self->RemoveNode(index);
  });
}

void Devpts::RemoveNode(uint32_t index) { root_->RemoveNode(index); }

ErrnoOr<std::unique_ptr<TtyFile>> Devpts::OpenReplica(uint32_t index, int flags,
                                                      TtyCaller* caller) {
  std::shared_ptr<Pty> pty = Get(index);
  if (!pty) return Errno{EIO};
  RETURN_IF_ERRNO(pty->OpenReplica(flags, caller));
  return std::make_unique<TtyFile>(std::move(pty), /*master=*/false);
}

// --- Registry --------------------------------------------------------------

ErrnoOr<std::shared_ptr<Devpts>> DevptsRegistry::NewInstance(
    const DevptsOptions& opts, bool is_default) {
  uint32_t id = is_default ? 0 : 1;
  while (id < kMaxInstances && ids_.count(id)) ++id;
  if (id >= kMaxInstances) return Errno{ENOMEM};
  ids_[id] = true;
  auto fs = std::make_shared<Devpts>(shared_from_this(), id, opts);
  std::weak_ptr<Devpts> weak = fs;
  vfs_->RegisterDevice(S_IFCHR, kPtmxMajor, kPtmxMinor | (id << 12),
                       [weak](const vfs::OpenRequest& req)
                           -> ErrnoOr<std::unique_ptr<vfs::FileImpl>> {
                         auto self = weak.lock();
                         if (!self) return Errno{ENXIO};
                         ASSIGN_OR_RETURN_ERRNO(
                             auto f,
                             self->OpenMaster(req.flags, self->CurrentTask()));
                         return std::unique_ptr<vfs::FileImpl>(std::move(f));
                       });
  return fs;
}

ErrnoOr<std::shared_ptr<Devpts>> DevptsRegistry::Mount(
    const DevptsOptions& opts) {
  absl::MutexLock l(&mu_);
  if (opts.newinstance) return NewInstance(opts, /*is_default=*/false);
  if (!default_) {
    DevptsOptions d = opts;
    ASSIGN_OR_RETURN_ERRNO(default_, NewInstance(d, /*is_default=*/true));
  }
  return default_;
}

ErrnoOr<std::shared_ptr<Devpts>> DevptsRegistry::Default() {
  return Mount(DevptsOptions{});
}

void DevptsRegistry::ReleaseId(uint32_t id) {
  absl::MutexLock l(&mu_);
  ids_.erase(id);
}

std::shared_ptr<DevptsRegistry> RegisterDevpts(
    vfs::VirtualFilesystem& vfs, std::shared_ptr<TtyKernel> kernel) {
  auto reg = std::make_shared<DevptsRegistry>(&vfs, std::move(kernel));
  vfs.RegisterFilesystemType(
      "devpts",
      [reg](vfs::VirtualFilesystem&, absl::string_view,
            absl::string_view options)
          -> ErrnoOr<std::shared_ptr<vfs::Filesystem>> {
        ASSIGN_OR_RETURN_ERRNO(DevptsOptions opts, ParseDevptsOptions(options));
        ASSIGN_OR_RETURN_ERRNO(std::shared_ptr<Devpts> fs, reg->Mount(opts));
        return std::shared_ptr<vfs::Filesystem>(std::move(fs));
      });
  // 5:2 before any mount opens the default instance, created on demand.
  vfs.RegisterDevice(
      S_IFCHR, kPtmxMajor, kPtmxMinor,
      [weak = std::weak_ptr<DevptsRegistry>(reg)](const vfs::OpenRequest& req)
          -> ErrnoOr<std::unique_ptr<vfs::FileImpl>> {
        auto r = weak.lock();
        if (!r) return Errno{ENXIO};
        ASSIGN_OR_RETURN_ERRNO(auto fs, r->Default());
        ASSIGN_OR_RETURN_ERRNO(auto f,
                               fs->OpenMaster(req.flags, r->CurrentTask()));
        return std::unique_ptr<vfs::FileImpl>(std::move(f));
      });
  vfs.RegisterDevice(
      S_IFCHR, kPtmxMajor, kTtyMinor,
      [weak = std::weak_ptr<DevptsRegistry>(reg)](const vfs::OpenRequest& req)
          -> ErrnoOr<std::unique_ptr<vfs::FileImpl>> {
        auto r = weak.lock();
        TtyCaller* caller = r ? r->CurrentTask() : nullptr;
        if (!caller) return Errno{ENXIO};
        std::shared_ptr<Pty> tty = caller->ControllingTty();
        if (!tty) return Errno{ENXIO};
        RETURN_IF_ERRNO(tty->OpenReplica(req.flags | O_NOCTTY, nullptr));
        return std::unique_ptr<vfs::FileImpl>(
            std::make_unique<TtyFile>(std::move(tty), /*master=*/false));
      });
  return reg;
}

}  // namespace sentry::fs::devpts
