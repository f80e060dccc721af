#include "sentry/sandbox/sandbox_kernel.h"

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "gofer/client.h"
#include "nlohmann/json.hpp"
#include "sentry/fs/devfs/devfs.h"
#include "sentry/fs/gofer/gofer_fs.h"
#include "sentry/fs/mounts/spec_mounts.h"
#include "sentry/fs/overlay/overlay.h"
#include "sentry/fs/procfs/procfs.h"
#include "sentry/fs/sysfs/sysfs.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/mm_adapter.h"
#include "sentry/kernel/proc_provider.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/memory_file.h"
#include "sentry/platform/platform.h"
#include "sentry/sandbox/console.h"
#include "sentry/sandbox/files.h"
#include "sentry/syscalls/proc_files.h"
#include "sentry/syscalls/sys_tty.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::sandbox {
namespace {

using json = nlohmann::json;
using kernel::Task;
namespace control = ::runsc::control;

struct ProcessSpec {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> groups;
  std::vector<std::pair<int, rlimit>> rlimits;
  bool terminal = false;
};

int RlimitByName(const std::string& n) {
  static const std::map<std::string, int> kNames = {
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_STACK", RLIMIT_STACK},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME}};
  auto it = kNames.find(n);
  return it == kNames.end() ? -1 : it->second;
}

absl::StatusOr<ProcessSpec> ParseProcess(const json& p) {
  ProcessSpec ps;
  if (!p.is_object()) return absl::InvalidArgumentError("process is missing");
  try {
    for (const auto& a : p.at("args")) ps.args.push_back(a.get<std::string>());
    if (p.contains("env")) {
      for (const auto& e : p["env"]) ps.env.push_back(e.get<std::string>());
    }
    if (p.contains("cwd")) ps.cwd = p["cwd"].get<std::string>();
    if (p.contains("user")) {
      const json& u = p["user"];
      ps.uid = u.value("uid", 0u);
      ps.gid = u.value("gid", 0u);
      if (u.contains("additionalGids")) {
        for (const auto& g : u["additionalGids"]) {
          ps.groups.push_back(g.get<uint32_t>());
        }
      }
    }
    if (p.contains("rlimits")) {
      for (const auto& r : p["rlimits"]) {
        int res = RlimitByName(r.at("type").get<std::string>());
        if (res < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("process.rlimits: unknown type ", r["type"].dump()));
        }
        ps.rlimits.push_back({res, rlimit{r.at("soft").get<uint64_t>(),
                                          r.at("hard").get<uint64_t>()}});
      }
    }
    ps.terminal = p.value("terminal", false);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad process in the spec: ", e.what()));
  }
  if (ps.args.empty()) {
    return absl::InvalidArgumentError("process.args must not be empty");
  }
  if (ps.cwd.empty() || ps.cwd[0] != '/') {
    return absl::InvalidArgumentError("process.cwd must be an absolute path");
  }
  return ps;
}

std::string EnvValue(const std::vector<std::string>& env,
                     absl::string_view name) {
  for (const std::string& e : env) {
    if (e.size() > name.size() && e[name.size()] == '=' &&
        absl::string_view(e).substr(0, name.size()) == name) {
      return e.substr(name.size() + 1);
    }
  }
  return "";
}

class Kernel final : public boot::SandboxKernel {
 public:
  Kernel(std::string id, json spec, const SandboxOptions& opts)
      : id_(std::move(id)), spec_(std::move(spec)), opts_(opts) {}

  ~Kernel() override {
    if (kernel_ != nullptr) kernel_->Shutdown();
    {
      absl::MutexLock l(&mu_);
      consoles_.clear();
    }
    SetSandboxVfs(nullptr);
  }

  absl::Status Init(boot::KernelArgs& args);

  absl::Status StartRoot(const control::StartRootRequest& req,
                         base::UniqueFd console) override;
  absl::StatusOr<int32_t> Exec(const control::ExecRequest& req,
                               std::vector<base::UniqueFd> fds) override;
  absl::Status Signal(const control::SignalRequest& req) override;
  absl::StatusOr<int> Wait(const std::string& container_id) override;
  absl::StatusOr<int> WaitPid(const std::string& container_id,
                              int32_t pid) override;
  absl::StatusOr<std::vector<control::ProcessInfo>> Processes(
      const std::string& container_id) override;
  absl::Status Pause() override;
  absl::Status Resume() override;
  absl::StatusOr<control::ContainerStats> Event(
      const std::string& container_id) override;
  absl::Status Checkpoint(const std::string&, base::UniqueFd) override {
    return absl::UnimplementedError("checkpoint: not implemented yet");
  }
  absl::Status Restore(const std::string&, base::UniqueFd) override {
    return absl::UnimplementedError("restore: not implemented yet");
  }
  absl::Status Destroy() override;

 private:
  absl::Status BuildFilesystem(std::vector<base::UniqueFd> io_fds);
  absl::StatusOr<std::string> FindExecutable(const vfs::Context& ctx,
                                             const ProcessSpec& ps);
  // Loads ps's program and creates its task: PID 1 when `init`, else a
  // parentless process in its own session (exec). `stdio[i]` becomes fd i.
  // Returns the new task, not yet started.
  absl::StatusOr<kernel::Task*> NewProcess(
      const ProcessSpec& ps, const std::vector<vfs::FileRef>& stdio, bool init);
  absl::Status CheckId(const std::string& id) const {
    if (!id.empty() && id != id_) {
      return absl::NotFoundError(
          absl::StrCat("container \"", id, "\" is not in this sandbox"));
    }
    return absl::OkStatus();
  }

  const std::string id_;
  const json spec_;
  const SandboxOptions opts_;
  std::unique_ptr<mm::MemoryFile> mf_;
  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<vfs::VirtualFilesystem> vfs_;
  vfs::VirtualDentry root_;
  std::vector<vfs::FileRef> stdio_;
  // process.terminal: the host terminal (replica of the host pty whose
  // master went to the console socket), given as the sandbox's stdio.
  base::UniqueFd host_console_;
  std::unique_ptr<kernel::Kernel> kernel_;
  const absl::Time boot_time_ = absl::Now();

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Console>> consoles_ ABSL_GUARDED_BY(mu_);
  bool destroyed_ ABSL_GUARDED_BY(mu_) = false;
};

absl::Status Kernel::Init(boot::KernelArgs& args) {
  ASSIGN_OR_RETURN(mf_, mm::MemoryFile::Create("runsc-memory"));
  ASSIGN_OR_RETURN(platform_, platform::NewPlatform(opts_.platform, mf_->fd()));

  kernel::KernelConfig kc;
  // Asked of the host now: glibc answers by opening /sys and /proc files,
  // which the sentry's seccomp filter forbids once the sandbox runs.
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  kc.num_cpus = cpus > 0 ? static_cast<int>(cpus) : 1;
  // glibc's malloc sizes its arena limit from get_nprocs() (an open of
  // /sys/devices/system/cpu/online) the first time a thread contends for an
  // arena; fixing the limit now keeps that open from ever happening.
  mallopt(M_ARENA_MAX, 8 * kc.num_cpus);
  kc.total_ram = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                 static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  std::string hostname = spec_.value("hostname", "");
  if (!hostname.empty()) kc.nodename = hostname;
  kernel_ = std::make_unique<kernel::Kernel>(kc);
  kernel_->set_strace(opts_.strace);

  vfs_ = std::make_unique<vfs::VirtualFilesystem>();
  SetSandboxVfs(vfs_.get());
  RETURN_IF_ERROR(BuildFilesystem(std::move(args.io_fds)));

  bool terminal = spec_.contains("process") && spec_["process"].is_object() &&
                  spec_["process"].value("terminal", false);
  if (terminal && !args.stdio_fds.empty()) {
    // All three are the host terminal (the front end's choice); one will do.
    host_console_ = std::move(args.stdio_fds[0]);
    args.stdio_fds.clear();
  }
  for (size_t i = 0; i < args.stdio_fds.size() && i < 3; ++i) {
    auto f = NewHostFdFile(vfs_.get(), std::move(args.stdio_fds[i]));
    if (!f.ok()) return ErrnoToStatus(f.error(), "stdio descriptor");
    stdio_.push_back(std::move(*f));
  }

  syscalls::InstallDispatcher(*kernel_);
  platform::Platform* p = platform_.get();
  kernel_->SetContextFactory([p] { return p->NewContext(); });
  mm::MemoryFile* mf = mf_.get();
  kernel::ExecEnv env;
  env.new_mm = [p, mf]() -> ErrnoOr<std::shared_ptr<kernel::UserMemory>> {
    auto as = p->NewAddressSpace();
    if (!as.ok()) return Errno{ENOMEM};
    auto m = std::make_shared<mm::MemoryManager>(mf, std::move(*as));
    return std::shared_ptr<kernel::UserMemory>(
        std::make_shared<kernel::MmUserMemory>(std::move(m), p));
  };
  env.opener = [](Task& t) {
    return std::unique_ptr<loader::FileOpener>(
        std::make_unique<VfsFileOpener>(SandboxVfs(), TaskContext(t)));
  };
  kernel_->SetExecEnv(env);
  return absl::OkStatus();
}

absl::Status Kernel::BuildFilesystem(std::vector<base::UniqueFd> io_fds) {
  vfs::VirtualFilesystem& v = *vfs_;
  fs::tmpfs::RegisterTmpfs(v);
  fs::devfs::RegisterDevfs(v, syscalls::NewTtyKernel(kernel_.get()));
  fs::procfs::ProcfsOptions po;
  po.num_cpus = kernel_->NumCpus();
  po.kernel_release = kernel_->config().release;
  po.kernel_version = kernel_->config().version;
  fs::procfs::RegisterProcfs(v,
                             std::make_shared<kernel::KernelProcessProvider>(
                                 kernel_.get(), syscalls::NewTaskFilesView()),
                             po);
  fs::sysfs::RegisterSysfs(v, kernel_->NumCpus());

  if (io_fds.empty()) {
    return absl::InvalidArgumentError("no gofer connection for the rootfs");
  }
  std::vector<std::shared_ptr<gofer::Client>> clients;
  for (auto& fd : io_fds) {
    clients.push_back(std::make_shared<gofer::Client>(std::move(fd)));
  }
  auto lower = fs::gofer_fs::GoferFs::Attach(clients[0], 0);
  if (!lower.ok()) return ErrnoToStatus(lower.error(), "attaching the rootfs");
  bool root_ro =
      spec_.contains("root") && spec_["root"].value("readonly", false);
  std::shared_ptr<vfs::Filesystem> rootfs = *lower;
  if (opts_.overlay) {
    auto upper = v.NewFilesystem("tmpfs", "overlay-upper", "mode=755");
    if (!upper.ok()) return ErrnoToStatus(upper.error(), "overlay upper layer");
    rootfs = std::make_shared<fs::overlay::OverlayFs>(*upper, *lower);
  }
  vfs::MountFlags rf;
  rf.read_only = root_ro;
  // Mount read-write first so mount points can be created; then remount.
  auto root = v.MountRoot(rootfs, vfs::MountFlags{}, "rootfs");
  if (!root.ok()) return ErrnoToStatus(root.error(), "mounting the rootfs");
  root_ = *root;

  fs::mounts::MountTreeSpec ms;
  std::map<std::string, uint32_t> bind_index;
  uint32_t next = 1;
  if (spec_.contains("mounts")) {
    for (const json& m : spec_["mounts"]) {
      fs::mounts::MountSpec s;
      s.destination = m.value("destination", "");
      s.type = m.value("type", "");
      s.source = m.value("source", "");
      if (m.contains("options")) {
        for (const auto& o : m["options"]) {
          s.options.push_back(o.get<std::string>());
        }
      }
      bool bind = s.type == "bind";
      for (const auto& o : s.options) bind |= o == "bind" || o == "rbind";
      if (bind) bind_index[s.destination] = next++;
      ms.mounts.push_back(std::move(s));
    }
  }
  if (spec_.contains("linux")) {
    const json& l = spec_["linux"];
    if (l.contains("maskedPaths")) {
      for (const auto& p : l["maskedPaths"]) {
        ms.masked_paths.push_back(p.get<std::string>());
      }
    }
    if (l.contains("readonlyPaths")) {
      for (const auto& p : l["readonlyPaths"]) {
        ms.readonly_paths.push_back(p.get<std::string>());
      }
    }
  }
  vfs::Context ctx = v.RootContext(root_);
  auto resolver = [&](const fs::mounts::MountSpec& m)
      -> ErrnoOr<std::shared_ptr<vfs::Filesystem>> {
    auto it = bind_index.find(m.destination);
    if (it == bind_index.end() || it->second >= clients.size()) {
      return Errno{ENOENT};
    }
    ASSIGN_OR_RETURN_ERRNO(auto gfs, fs::gofer_fs::GoferFs::Attach(
                                         clients[it->second], it->second));
    return std::shared_ptr<vfs::Filesystem>(std::move(gfs));
  };
  auto applied = fs::mounts::ApplyMountSpec(v, ctx, ms, resolver);
  if (!applied.ok())
    return ErrnoToStatus(applied.error(), "applying the mounts");
  if (root_ro) {
    auto s = v.SetMountFlags(ctx, vfs::PathAt{root_, "/"}, rf);
    if (!s.ok()) return ErrnoToStatus(s.error(), "making the root read-only");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Kernel::FindExecutable(const vfs::Context& ctx,
                                                   const ProcessSpec& ps) {
  const std::string& name = ps.args[0];
  auto usable = [&](const std::string& path) -> ErrnoStatus {
    vfs::PathAt at{path[0] == '/' ? ctx.root : ctx.cwd, path};
    ASSIGN_OR_RETURN_ERRNO(vfs::Stat st, vfs_->GetStat(ctx, at, true));
    if (!S_ISREG(st.mode)) return Errno{EACCES};
    return vfs_->Access(ctx, at, X_OK, true, true);
  };
  if (name.find('/') != std::string::npos) {
    auto s = usable(name);
    if (!s.ok()) {
      return ErrnoToStatus(s.error(),
                           absl::StrCat("cannot run \"", name, "\""));
    }
    return name;
  }
  std::string path = EnvValue(ps.env, "PATH");
  if (path.empty())
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    std::string d = dir.empty() ? "." : std::string(dir);
    std::string cand = absl::StrCat(d, "/", name);
    if (usable(cand).ok()) return cand;
  }
  return absl::NotFoundError(absl::StrCat(
      "executable file \"", name, "\" not found in $PATH (", path, ")"));
}

absl::Status Kernel::StartRoot(const control::StartRootRequest& req,
                               base::UniqueFd console) {
  RETURN_IF_ERROR(CheckId(req.container_id()));
  {
    absl::MutexLock l(&mu_);
    if (started_) return absl::FailedPreconditionError("already started");
    if (destroyed_) return absl::FailedPreconditionError("sandbox destroyed");
  }
  if (!spec_.contains("process")) {
    return absl::InvalidArgumentError("the spec has no process");
  }
  ASSIGN_OR_RETURN(ProcessSpec ps, ParseProcess(spec_["process"]));
  std::unique_ptr<Console> cons;
  std::vector<vfs::FileRef> stdio = stdio_;
  if (ps.terminal) {
    base::UniqueFd host =
        console.valid() ? std::move(console) : std::move(host_console_);
    if (!host.valid()) {
      return absl::InvalidArgumentError(
          "process.terminal is set but the sandbox was given no terminal");
    }
    ASSIGN_OR_RETURN(cons, Console::Create(vfs_.get(), vfs_->RootContext(root_),
                                           std::move(host)));
    stdio.assign(3, cons->replica());
  }
  ASSIGN_OR_RETURN(kernel::Task * t, NewProcess(ps, stdio, true));
  if (cons != nullptr) {
    RETURN_IF_ERROR(cons->Attach(t));
    absl::MutexLock l(&mu_);
    consoles_.push_back(std::move(cons));
  }
  {
    absl::MutexLock l(&mu_);
    if (destroyed_) return absl::FailedPreconditionError("sandbox destroyed");
    started_ = true;
  }
  kernel_->StartTask(t);
  LOG(INFO) << "container " << id_ << ": started " << ps.args[0] << " as PID 1";
  return absl::OkStatus();
}

absl::StatusOr<int32_t> Kernel::Exec(const control::ExecRequest& req,
                                     std::vector<base::UniqueFd> fds) {
  RETURN_IF_ERROR(CheckId(req.container_id()));
  {
    absl::MutexLock l(&mu_);
    if (!started_ || destroyed_) {
      return absl::FailedPreconditionError("the container is not running");
    }
    // runc refuses too (its --ignore-paused is accepted by the front end,
    // but a frozen sentry would hold the new process anyway).
    if (paused_) {
      return absl::FailedPreconditionError("the container is paused");
    }
  }
  json p = json::parse(req.process_json(), nullptr, false);
  if (p.is_discarded()) {
    return absl::InvalidArgumentError("exec: the process is not valid JSON");
  }
  ASSIGN_OR_RETURN(ProcessSpec ps, ParseProcess(p));
  std::vector<vfs::FileRef> stdio;
  std::unique_ptr<Console> cons;
  if (req.terminal()) {
    // fds[0] is the host terminal for this process.
    ASSIGN_OR_RETURN(cons, Console::Create(vfs_.get(), vfs_->RootContext(root_),
                                           std::move(fds[0])));
    stdio.assign(3, cons->replica());
  } else {
    for (auto& fd : fds) {
      auto f = NewHostFdFile(vfs_.get(), std::move(fd));
      if (!f.ok()) return ErrnoToStatus(f.error(), "exec: stdio descriptor");
      stdio.push_back(std::move(*f));
    }
  }
  ASSIGN_OR_RETURN(kernel::Task * t, NewProcess(ps, stdio, false));
  int32_t pid = t->tg().tgid;
  if (cons != nullptr) {
    RETURN_IF_ERROR(cons->Attach(t));
    absl::MutexLock l(&mu_);
    consoles_.push_back(std::move(cons));
  }
  kernel_->StartTask(t);
  LOG(INFO) << "container " << id_ << ": exec " << ps.args[0] << " as PID "
            << pid;
  return pid;
}

absl::StatusOr<kernel::Task*> Kernel::NewProcess(
    const ProcessSpec& ps, const std::vector<vfs::FileRef>& stdio, bool init) {
  // Root keeps every capability (as runc's default set is close to it);
  // others start without capabilities.
  kernel::Credentials creds =
      ps.uid == 0
          ? kernel::Credentials::Root()
          : kernel::Credentials::User(auth::Uid(ps.uid), auth::Gid(ps.gid));
  creds.real_gid = creds.effective_gid = creds.saved_gid = creds.fs_gid =
      auth::Gid(ps.gid);
  creds.groups.clear();
  for (uint32_t g : ps.groups) creds.groups.push_back(auth::Gid(g));
  auto creds_ref = std::make_shared<const kernel::Credentials>(creds);

  vfs::Context ctx = vfs_->RootContext(root_);
  ctx.creds = creds_ref;
  auto cwd = vfs_->ResolveDirectory(ctx, vfs::PathAt{root_, ps.cwd});
  if (!cwd.ok()) {
    return ErrnoToStatus(cwd.error(),
                         absl::StrCat("process.cwd \"", ps.cwd, "\""));
  }
  ctx.cwd = *cwd;
  ASSIGN_OR_RETURN(std::string exe, FindExecutable(ctx, ps));

  auto as = platform_->NewAddressSpace();
  if (!as.ok()) return as.status();
  auto mm = std::make_shared<mm::MemoryManager>(mf_.get(), std::move(*as));
  VfsFileOpener opener(vfs_.get(), ctx);
  loader::LoadArgs la;
  la.filename = exe;
  la.argv = ps.args;
  la.envp = ps.env;
  la.uid = la.euid = ps.uid;
  la.gid = la.egid = ps.gid;
  for (const auto& [res, lim] : ps.rlimits) {
    if (res == RLIMIT_STACK && lim.rlim_cur != RLIM_INFINITY) {
      la.stack_limit = lim.rlim_cur;
    }
  }
  auto lr = loader::Load(*mm, opener, la);
  if (!lr.ok()) {
    return absl::Status(
        lr.status().code(),
        absl::StrCat("loading \"", exe, "\": ", lr.status().message()));
  }

  auto table = std::make_unique<vfs::FdTable>();
  for (size_t i = 0; i < stdio.size(); ++i) {
    auto r = table->Install(static_cast<int>(i), stdio[i], false);
    if (!r.ok()) return ErrnoToStatus(r.error(), "installing stdio");
  }
  for (const auto& [res, lim] : ps.rlimits) {
    if (res == RLIMIT_NOFILE) table->SetLimit(lim.rlim_cur);
  }

  kernel::NewTaskArgs ta;
  ta.mm = std::make_shared<kernel::MmUserMemory>(mm, platform_.get());
  ta.regs.ResetForExec(lr->entry, lr->stack);
  ta.creds = creds;
  std::string base = exe.substr(exe.rfind('/') + 1);
  ta.name = base.substr(0, 15);
  ta.argv = lr->argv;
  ta.envp = ps.env;
  ta.exe = exe;
  ta.files = std::make_shared<FilesResource>(std::move(table));
  ta.fs = std::make_shared<FsResource>(root_, *cwd, 022);
  ta.argv = ps.args;
  ta.envp = ps.env;
  ta.exe = exe;
  auto t = init ? kernel_->CreateInitProcess(std::move(ta))
                : kernel_->CreateExecProcess(std::move(ta));
  if (!t.ok()) {
    if (!init && t.error() == Errno{ESRCH}) {
      return absl::FailedPreconditionError("the container is not running");
    }
    return ErrnoToStatus(t.error(), "creating the process");
  }
  {
    absl::MutexLock l(kernel_->mu());
    for (const auto& [res, lim] : ps.rlimits) {
      (*t)->tg().rlimits[res] = lim;
    }
  }
  return *t;
}

absl::Status Kernel::Signal(const control::SignalRequest& req) {
  RETURN_IF_ERROR(CheckId(req.container_id()));
  int sig = req.signo();
  if (sig < 0 || sig > 64) {
    return absl::InvalidArgumentError(absl::StrCat("invalid signal ", sig));
  }
  {
    absl::MutexLock l(&mu_);
    if (!started_) {
      return absl::FailedPreconditionError("the container is not running");
    }
  }
  ErrnoStatus s;
  switch (req.target()) {
    case control::SignalRequest::PROCESS:
      s = kernel_->SignalFromOutside(req.pid(), sig, false, false);
      break;
    case control::SignalRequest::ALL:
      s = kernel_->SignalFromOutside(1, sig, false, true);
      break;
    case control::SignalRequest::FOREGROUND_GROUP:
      s = kernel_->SignalFromOutside(req.pid() ? req.pid() : 1, sig, true,
                                     false);
      break;
    default:
      s = kernel_->SignalFromOutside(1, sig, false, false);
      break;
  }
  if (!s.ok()) return ErrnoToStatus(s.error(), "signal");
  return absl::OkStatus();
}

absl::StatusOr<int> Kernel::Wait(const std::string& container_id) {
  RETURN_IF_ERROR(CheckId(container_id));
  {
    absl::MutexLock l(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return started_ || destroyed_;
    };
    mu_.Await(absl::Condition(&ready));
    if (!started_) {
      return absl::FailedPreconditionError(
          "the sandbox was destroyed before the container started");
    }
  }
  return kernel_->WaitForInitExit();
}

absl::StatusOr<int> Kernel::WaitPid(const std::string& container_id,
                                    int32_t pid) {
  RETURN_IF_ERROR(CheckId(container_id));
  auto r = kernel_->WaitPidExit(pid);
  if (!r.ok()) return ErrnoToStatus(r.error(), absl::StrCat("wait for ", pid));
  return *r;
}

absl::StatusOr<std::vector<control::ProcessInfo>> Kernel::Processes(
    const std::string& container_id) {
  RETURN_IF_ERROR(CheckId(container_id));
  std::vector<control::ProcessInfo> out;
  for (const kernel::ProcessInfo& p : kernel_->Processes()) {
    if (p.zombie) continue;  // exited, not yet reaped: not running
    control::ProcessInfo pi;
    pi.set_pid(p.pid);
    pi.set_ppid(p.ppid);
    pi.set_uid(p.uid);
    pi.set_cmd(p.argv.empty() ? p.name : absl::StrJoin(p.argv, " "));
    pi.set_start_time_ns(absl::ToInt64Nanoseconds(
        std::max(absl::ZeroDuration(), p.start_time - boot_time_)));
    pi.set_cpu_time_ns(p.cpu_ns);
    out.push_back(std::move(pi));
  }
  return out;
}

absl::Status Kernel::Pause() {
  absl::MutexLock l(&mu_);
  if (destroyed_) return absl::FailedPreconditionError("sandbox destroyed");
  paused_ = true;
  kernel_->Freeze();
  return absl::OkStatus();
}

absl::Status Kernel::Resume() {
  absl::MutexLock l(&mu_);
  paused_ = false;
  kernel_->Thaw();
  return absl::OkStatus();
}

absl::StatusOr<control::ContainerStats> Kernel::Event(
    const std::string& container_id) {
  RETURN_IF_ERROR(CheckId(container_id));
  kernel::Kernel::Usage u = kernel_->GetUsage();
  control::ContainerStats st;
  st.set_cpu_user_ns(static_cast<uint64_t>(u.user_ns));
  st.set_cpu_kernel_ns(static_cast<uint64_t>(u.system_ns));
  st.set_cpu_usage_ns(static_cast<uint64_t>(u.user_ns + u.system_ns));
  // Application memory is the memory file's allocated pages.
  st.set_memory_usage_bytes(mf_->UsedPages() *
                            static_cast<uint64_t>(getpagesize()));
  uint64_t mem_limit = kernel_->config().total_ram;
  uint64_t pids_limit = 0;
  if (spec_.contains("linux") && spec_["linux"].contains("resources")) {
    const json& r = spec_["linux"]["resources"];
    if (r.contains("memory") && r["memory"].contains("limit") &&
        r["memory"]["limit"].is_number_integer() &&
        r["memory"]["limit"].get<int64_t>() > 0) {
      mem_limit = r["memory"]["limit"].get<uint64_t>();
    }
    if (r.contains("pids") && r["pids"].contains("limit") &&
        r["pids"]["limit"].is_number_integer() &&
        r["pids"]["limit"].get<int64_t>() > 0) {
      pids_limit = r["pids"]["limit"].get<uint64_t>();
    }
  }
  st.set_memory_limit_bytes(mem_limit);
  st.set_pids_current(static_cast<uint64_t>(u.processes));
  st.set_pids_limit(pids_limit);
  return st;
}

absl::Status Kernel::Destroy() {
  {
    absl::MutexLock l(&mu_);
    destroyed_ = true;
  }
  kernel_->Shutdown();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<boot::SandboxKernel>> NewSandboxKernel(
    boot::KernelArgs args, const SandboxOptions& options) {
  json spec = json::parse(args.spec_json, nullptr, false);
  if (spec.is_discarded() || !spec.is_object()) {
    return absl::InvalidArgumentError("the spec is not a JSON object");
  }
  auto k =
      std::make_unique<Kernel>(args.container_id, std::move(spec), options);
  RETURN_IF_ERROR(k->Init(args));
  return std::unique_ptr<boot::SandboxKernel>(std::move(k));
}

}  // namespace sentry::sandbox
