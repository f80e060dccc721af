#include "sentry/sandbox/sandbox_kernel.h"

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "base/errors.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "sentry/auth/capabilities.h"
#include "sentry/fs/devfs/devfs.h"
#include "sentry/fs/pipe/pipe.h"
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
#include "sentry/sandbox/container_fs.h"
#include "sentry/sandbox/files.h"
#include "sentry/sandbox/sentry_kernel.h"
#include "sentry/syscalls/proc_files.h"
#include "sentry/syscalls/sys_tty.h"
#include "sentry/syscalls/syscall_table.h"

namespace sentry::sandbox {

using json = nlohmann::json;
using kernel::Task;

SentryKernel::~SentryKernel() {
  // The gofer watches first: their callbacks use the kernel, and closing the
  // connections below must not look like a gofer's death.
  std::vector<std::unique_ptr<boot::GoferWatch>> watches;
  {
    absl::MutexLock l(&mu_);
    for (auto& [id, c] : containers_)
      watches.push_back(std::move(c->gofer_watch));
  }
  watches.clear();
  if (kernel_ != nullptr) kernel_->Shutdown();
  {
    absl::MutexLock l(&mu_);
    for (auto& [id, c] : containers_) c->consoles.clear();
    containers_.clear();
    staged_.clear();
  }
  root_.reset();
  SetSandboxVfs(nullptr);
}

absl::Status SentryKernel::Init(boot::KernelArgs& args) {
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
  RETURN_IF_ERROR(RegisterFilesystems());
  auto root = std::make_shared<Container>();
  root->id = id_;
  root->spec = spec_;
  root->is_root = true;
  ContainerFsOptions fo;
  fo.overlay = opts_.overlay;
  ASSIGN_OR_RETURN(root->root,
                   BuildContainerFs(*vfs_, spec_, std::move(args.io_fds), fo));

  bool terminal = spec_.contains("process") && spec_["process"].is_object() &&
                  spec_["process"].value("terminal", false);
  if (terminal && !args.stdio_fds.empty()) {
    // All three are the host terminal (the front end's choice); one will do.
    root->host_console = std::move(args.stdio_fds[0]);
    args.stdio_fds.clear();
  }
  for (size_t i = 0; i < args.stdio_fds.size() && i < 3; ++i) {
    auto f = NewHostFdFile(vfs_.get(), std::move(args.stdio_fds[i]));
    if (!f.ok()) return ErrnoToStatus(f.error(), "stdio descriptor");
    root->stdio.push_back(std::move(*f));
  }
  root_ = root;
  {
    absl::MutexLock l(&mu_);
    containers_[id_] = std::move(root);
  }

  syscalls::InstallDispatcher(*kernel_);
  platform::Platform* p = platform_.get();
  kernel_->SetContextFactory([p] { return p->NewContext(); });
  mm::MemoryFile* mf = mf_.get();
  kernel::ExecEnv env;
  env.new_mm = [p, mf]() -> ErrnoOr<std::shared_ptr<kernel::UserMemory>> {
    auto as = p->NewAddressSpace();
    if (!as.ok()) {
      // A refused stub or thread (pids cgroup limit) is EAGAIN, as Linux's
      // execve under RLIMIT_NPROC.
      return Errno{base::ErrnoFromStatus(as.status()) == EAGAIN ? EAGAIN
                                                                : ENOMEM};
    }
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

absl::Status SentryKernel::RegisterFilesystems() {
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
  return absl::OkStatus();
}

absl::StatusOr<std::string> SentryKernel::FindExecutable(
    const vfs::Context& ctx, const ProcessSpec& ps) {
  const std::string& name = ps.executable.empty() ? ps.args[0] : ps.executable;
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

absl::StatusOr<std::shared_ptr<Container>> SentryKernel::FindContainer(
    const std::string& id) {
  if (id.empty()) return root_;
  absl::MutexLock l(&mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return absl::NotFoundError(
        absl::StrCat("container \"", id, "\" is not in this sandbox"));
  }
  return it->second;
}

bool SentryKernel::InitAlive(const Container& c) {
  for (const kernel::ProcessInfo& p : kernel_->Processes()) {
    if (p.container_id != c.id || p.zombie) continue;
    if (c.is_root ? p.pid == 1 : p.container_init) return true;
  }
  return false;
}

absl::Status AlreadyStarted() {
  return absl::FailedPreconditionError(
      "the container is already started (or being started)");
}

absl::Status SentryKernel::StartRoot(const control::StartRootRequest& req,
                                     base::UniqueFd console) {
  ASSIGN_OR_RETURN(std::shared_ptr<Container> c,
                   FindContainer(req.container_id()));
  if (!c->is_root) return StartSubcontainer(c, req, std::move(console));
  std::vector<vfs::FileRef> stdio;
  base::UniqueFd host;
  {
    absl::MutexLock l(&mu_);
    if (c->started || c->starting) return AlreadyStarted();
    if (destroyed_) return absl::FailedPreconditionError("sandbox destroyed");
    stdio = c->stdio;
    host = console.valid() ? std::move(console) : std::move(c->host_console);
    c->starting = true;
  }
  // Exactly one of racing starts proceeds; the others are told why.
  absl::Cleanup unclaim = [this, c] {
    absl::MutexLock l(&mu_);
    c->starting = false;
  };
  if (!spec_.contains("process")) {
    return absl::InvalidArgumentError("the spec has no process");
  }
  ASSIGN_OR_RETURN(ProcessSpec ps, ParseProcess(spec_["process"]));
  ASSIGN_OR_RETURN(std::unique_ptr<Console> cons,
                   InitTerminal(*c, ps, std::move(host), stdio));
  ASSIGN_OR_RETURN(kernel::Task * t, NewProcess(*c, ps, stdio, true, false));
  RETURN_IF_ERROR(RunStartContainerHooks(*c, req, stdio));
  if (cons != nullptr) RETURN_IF_ERROR(cons->Attach(t));
  {
    absl::MutexLock l(&mu_);
    if (cons != nullptr) c->consoles.push_back(std::move(cons));
    if (destroyed_) return absl::FailedPreconditionError("sandbox destroyed");
    c->started = true;
    c->init_pid = t->tg().tgid;
  }
  kernel_->StartTask(t);
  LOG(INFO) << "container " << id_ << ": started " << ps.args[0] << " as PID 1";
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Console>> SentryKernel::InitTerminal(
    const Container& c, const ProcessSpec& ps, base::UniqueFd host,
    std::vector<vfs::FileRef>& stdio) {
  if (!ps.terminal) return nullptr;
  if (!host.valid()) {
    return absl::InvalidArgumentError(
        "process.terminal is set but the container was given no terminal");
  }
  ASSIGN_OR_RETURN(
      std::unique_ptr<Console> cons,
      Console::Create(vfs_.get(), vfs_->RootContext(c.root), std::move(host)));
  stdio.assign(3, cons->replica());
  return cons;
}

absl::Status SentryKernel::RunStartContainerHooks(
    const Container& c, const control::StartRootRequest& req,
    const std::vector<vfs::FileRef>& stdio) {
  for (int i = 0; i < req.start_container_hooks_size(); ++i) {
    const control::Hook& h = req.start_container_hooks(i);
    auto fail = [&](const absl::Status& s) {
      return absl::Status(
          s.code(), absl::StrCat("startContainer hook #", i, " (", h.path(),
                                 "): ", s.message()));
    };
    ProcessSpec ps;
    ps.executable = h.path();
    ps.args.assign(h.args().begin(), h.args().end());
    if (ps.args.empty()) ps.args.push_back(h.path());
    ps.env.assign(h.env().begin(), h.env().end());
    // stdin: the state, in a pipe whose write end is closed (EOF after it).
    auto pipe = fs::pipe::NewPipe(vfs_.get(), O_NONBLOCK, 0, 0);
    if (!pipe.ok()) return fail(ErrnoToStatus(pipe.error(), "pipe"));
    vfs::SpanSrc src(req.state_json().data(), req.state_json().size());
    auto n = pipe->second->Write(src);
    if (!n.ok() || *n != req.state_json().size()) {
      return fail(absl::ResourceExhaustedError(
          "the state does not fit in the hook's stdin pipe"));
    }
    pipe->second.reset();
    std::vector<vfs::FileRef> hook_stdio = {pipe->first, stdio[1], stdio[2]};
    absl::StatusOr<kernel::Task*> t =
        NewProcess(c, ps, hook_stdio, false, false);
    if (!t.ok()) return fail(t.status());
    const int32_t pid = (*t)->tg().tgid;
    kernel_->StartTask(*t);
    // The timeout kills the hook; its wait then reports SIGKILL.
    absl::Notification exited;
    std::thread timer;
    if (h.timeout_ms() > 0) {
      timer = std::thread([&, pid] {
        if (!exited.WaitForNotificationWithTimeout(
                absl::Milliseconds(h.timeout_ms()))) {
          LOG(WARNING) << "startContainer hook " << h.path() << " timed out";
          (void)kernel_->SignalFromOutside(pid, SIGKILL, true, false, c.id);
        }
      });
    }
    auto ws = kernel_->WaitPidExit(pid);
    exited.Notify();
    if (timer.joinable()) timer.join();
    if (!ws.ok()) return fail(ErrnoToStatus(ws.error(), "wait"));
    if (WIFSIGNALED(*ws) && WTERMSIG(*ws) == SIGKILL && h.timeout_ms() > 0) {
      return fail(absl::DeadlineExceededError(
          absl::StrCat("killed after its timeout of ", h.timeout_ms(), " ms")));
    }
    if (!WIFEXITED(*ws) || WEXITSTATUS(*ws) != 0) {
      return fail(absl::FailedPreconditionError(
          WIFEXITED(*ws) ? absl::StrCat("exited with status ", WEXITSTATUS(*ws))
                         : absl::StrCat("killed by signal ", WTERMSIG(*ws))));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int32_t> SentryKernel::Exec(const control::ExecRequest& req,
                                           std::vector<base::UniqueFd> fds) {
  ASSIGN_OR_RETURN(std::shared_ptr<Container> c,
                   FindContainer(req.container_id()));
  {
    absl::MutexLock l(&mu_);
    if (!c->started || c->removed || destroyed_) {
      return absl::FailedPreconditionError("the container is not running");
    }
    // runc refuses too (its --ignore-paused is accepted by the front end,
    // but a frozen sentry would hold the new process anyway).
    if (paused_.contains(c->id)) {
      return absl::FailedPreconditionError("the container is paused");
    }
  }
  // The root container's exec fails in CreateExecProcess once its init is
  // gone; a subcontainer's is checked here.
  if (!c->is_root && !InitAlive(*c)) {
    return absl::FailedPreconditionError("the container is not running");
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
    ASSIGN_OR_RETURN(cons,
                     Console::Create(vfs_.get(), vfs_->RootContext(c->root),
                                     std::move(fds[0])));
    stdio.assign(3, cons->replica());
  } else {
    for (auto& fd : fds) {
      auto f = NewHostFdFile(vfs_.get(), std::move(fd));
      if (!f.ok()) return ErrnoToStatus(f.error(), "exec: stdio descriptor");
      stdio.push_back(std::move(*f));
    }
  }
  ASSIGN_OR_RETURN(kernel::Task * t, NewProcess(*c, ps, stdio, false, false));
  int32_t pid = t->tg().tgid;
  if (cons != nullptr) {
    RETURN_IF_ERROR(cons->Attach(t));
    absl::MutexLock l(&mu_);
    c->consoles.push_back(std::move(cons));
  }
  kernel_->StartTask(t);
  LOG(INFO) << "container " << c->id << ": exec " << ps.args[0] << " as PID "
            << pid;
  return pid;
}

absl::StatusOr<kernel::Task*> SentryKernel::NewProcess(
    const Container& c, const ProcessSpec& ps,
    const std::vector<vfs::FileRef>& stdio, bool init, bool container_init) {
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
  if (ps.caps.has_value()) {
    // What runc's init leaves before its execve: the spec's sets, with
    // effective within permitted and ambient within permitted & inheritable
    // (Linux refuses anything else; runc fails, we narrow and say so).
    const CapSets& cs = *ps.caps;
    creds.cap_bounding = cs.bounding;
    creds.cap_permitted = cs.permitted;
    creds.cap_effective = cs.effective & cs.permitted;
    creds.cap_inheritable = cs.inheritable;
    creds.cap_ambient = cs.ambient & cs.permitted & cs.inheritable;
    if (creds.cap_ambient != cs.ambient ||
        creds.cap_effective != cs.effective) {
      LOG(WARNING) << "process.capabilities: ambient/effective capabilities "
                      "outside permitted (and inheritable) dropped";
    }
  }
  // Starting the process is an execve of process.args[0].
  creds = auth::ExecCredentials(creds);
  auto creds_ref = std::make_shared<const kernel::Credentials>(creds);

  vfs::Context ctx = vfs_->RootContext(c.root);
  ctx.creds = creds_ref;
  auto cwd = vfs_->ResolveDirectory(ctx, vfs::PathAt{c.root, ps.cwd});
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
  ta.fs = std::make_shared<FsResource>(c.root, *cwd, 022);
  ta.container_id = c.id;
  ta.container_init = container_init;
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
  // Not yet running: nothing else reads the flag.
  (*t)->no_new_privs = ps.no_new_privs;
  return *t;
}

absl::Status SentryKernel::Signal(const control::SignalRequest& req) {
  ASSIGN_OR_RETURN(std::shared_ptr<Container> c,
                   FindContainer(req.container_id()));
  int sig = req.signo();
  if (sig < 0 || sig > 64) {
    return absl::InvalidArgumentError(absl::StrCat("invalid signal ", sig));
  }
  int32_t init_pid;
  {
    absl::MutexLock l(&mu_);
    if (!c->started) {
      return absl::FailedPreconditionError("the container is not running");
    }
    init_pid = c->init_pid;
  }
  ErrnoStatus s;
  switch (req.target()) {
    case control::SignalRequest::PROCESS:
      s = kernel_->SignalFromOutside(req.pid(), sig, false, false, c->id);
      break;
    case control::SignalRequest::ALL:
      s = kernel_->SignalFromOutside(init_pid, sig, false, true, c->id);
      break;
    case control::SignalRequest::FOREGROUND_GROUP:
      s = kernel_->SignalFromOutside(req.pid() ? req.pid() : init_pid, sig,
                                     true, false, c->id);
      break;
    default:
      s = kernel_->SignalFromOutside(init_pid, sig, false, false, c->id);
      break;
  }
  if (!s.ok()) return ErrnoToStatus(s.error(), "signal");
  return absl::OkStatus();
}

absl::StatusOr<int> SentryKernel::Wait(const std::string& container_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Container> c, FindContainer(container_id));
  if (!c->is_root) return WaitSubcontainer(c);
  {
    absl::MutexLock l(&mu_);
    auto ready = [this, &c]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return c->started || destroyed_;
    };
    mu_.Await(absl::Condition(&ready));
    if (!c->started) {
      return absl::FailedPreconditionError(
          "the sandbox was destroyed before the container started");
    }
  }
  return kernel_->WaitForInitExit();
}

absl::StatusOr<int> SentryKernel::WaitPid(const std::string& container_id,
                                          int32_t pid) {
  RETURN_IF_ERROR(FindContainer(container_id).status());
  auto r = kernel_->WaitPidExit(pid);
  if (!r.ok()) return ErrnoToStatus(r.error(), absl::StrCat("wait for ", pid));
  return *r;
}

absl::StatusOr<std::vector<control::ProcessInfo>> SentryKernel::Processes(
    const std::string& container_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Container> c, FindContainer(container_id));
  std::vector<control::ProcessInfo> out;
  for (const kernel::ProcessInfo& p : kernel_->Processes()) {
    if (p.zombie) continue;  // exited, not yet reaped: not running
    if (p.container_id != c->id) continue;
    control::ProcessInfo pi;
    pi.set_pid(p.pid);
    pi.set_ppid(p.ppid);
    pi.set_uid(p.uid);
    pi.set_cmd(p.argv.empty() ? p.name : absl::StrJoin(p.argv, " "));
    pi.set_start_time_ns(absl::ToInt64Nanoseconds(
        std::max(absl::ZeroDuration(), p.start_time - boot_time_)));
    pi.set_cpu_time_ns(p.cpu_ns);
    pi.set_container_init(c->is_root ? p.pid == 1 : p.container_init);
    out.push_back(std::move(pi));
  }
  return out;
}

absl::Status SentryKernel::Pause(const std::string& container_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Container> c, FindContainer(container_id));
  absl::MutexLock l(&mu_);
  if (destroyed_) return absl::FailedPreconditionError("sandbox destroyed");
  paused_.insert(c->id);
  kernel_->Freeze(c->id);
  return absl::OkStatus();
}

absl::Status SentryKernel::Resume(const std::string& container_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Container> c, FindContainer(container_id));
  absl::MutexLock l(&mu_);
  paused_.erase(c->id);
  kernel_->Thaw(c->id);
  return absl::OkStatus();
}

absl::StatusOr<control::ContainerStats> SentryKernel::Event(
    const std::string& container_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Container> c, FindContainer(container_id));
  kernel::Kernel::Usage u = kernel_->GetUsage(c->id);
  control::ContainerStats st;
  st.set_cpu_user_ns(static_cast<uint64_t>(u.user_ns));
  st.set_cpu_kernel_ns(static_cast<uint64_t>(u.system_ns));
  st.set_cpu_usage_ns(static_cast<uint64_t>(u.user_ns + u.system_ns));
  // Application memory is the memory file's allocated pages (the whole
  // sandbox's: containers share the memory file).
  st.set_memory_usage_bytes(mf_->UsedPages() *
                            static_cast<uint64_t>(getpagesize()));
  uint64_t mem_limit = kernel_->config().total_ram;
  uint64_t pids_limit = 0;
  const json& spec = c->spec;
  if (spec.contains("linux") && spec["linux"].contains("resources")) {
    const json& r = spec["linux"]["resources"];
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

absl::Status SentryKernel::Destroy() {
  {
    absl::MutexLock l(&mu_);
    destroyed_ = true;
  }
  kernel_->Shutdown();
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<boot::SandboxKernel>> NewSandboxKernel(
    boot::KernelArgs args, const SandboxOptions& options) {
  json spec = json::parse(args.spec_json, nullptr, false);
  if (spec.is_discarded() || !spec.is_object()) {
    return absl::InvalidArgumentError("the spec is not a JSON object");
  }
  auto k = std::make_unique<SentryKernel>(args.container_id, std::move(spec),
                                          options);
  RETURN_IF_ERROR(k->Init(args));
  return std::unique_ptr<boot::SandboxKernel>(std::move(k));
}

}  // namespace sentry::sandbox
