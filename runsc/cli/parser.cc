#include "runsc/cli/parser.h"

#include <map>
#include <memory>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace runsc::cli {
namespace {

constexpr char kDescription[] =
    "runsc: an OCI runtime that runs containers on a user-space kernel";

// Holds the CLI11 application and the Invocation its options write into.
// Options bind by reference, so neither may move: build one per parse.
class Parser {
 public:
  Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  CLI::App& app() { return app_; }
  Invocation& inv() { return inv_; }
  bool version() const { return version_; }

 private:
  void AddGlobal();
  CLI::App* Sub(const CommandInfo& info);
  void AddCreateFlags(CLI::App* sub, CreateOptions* o);

  Invocation inv_;
  CLI::App app_{kDescription, "runsc"};
  bool version_ = false;
};

void AddId(CLI::App* sub, std::string* id) {
  sub->add_option("container-id", *id, "The container's ID")->required();
}

void Parser::AddGlobal() {
  GlobalOptions& g = inv_.global;
  CLI::App& a = app_;
  a.set_help_flag("-h,--help", "Print help and exit");
  a.add_flag("-v,--version", version_, "Print the version and exit");
  a.add_option("--root", g.root,
               "Directory of container state (default /run/runsc, or "
               "$XDG_RUNTIME_DIR/runsc when not root)");
  a.add_option("--log", g.log, "File that receives the log (opened O_APPEND)");
  a.add_option("--log-format", g.log_format, "Log format: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  a.add_option("--log-level", g.log_level,
               "Minimum level logged: debug, info, warning, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "warning",
                             "error", "fatal", "panic"}));
  a.add_flag("--debug", g.debug, "Log at debug level");
  a.add_option("--debug-log", g.debug_log,
               "Extra debug log: a file, or a directory (a file per command)");
  a.add_option("--debug-log-format", g.debug_log_format,
               "Format of --debug-log: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  a.add_flag("--alsologtostderr", g.alsologtostderr,
             "Also send the log to stderr");
  a.add_flag("--systemd-cgroup", g.systemd_cgroup,
             "cgroupsPath is a systemd slice:prefix:name");
  a.add_option("--platform", g.platform,
               "How application syscalls are caught: ptrace or systrap")
      ->check(CLI::IsMember({"ptrace", "systrap"}));
  a.add_option("--network", g.network,
               "Network: none (loopback only), sandbox (user-space stack) "
               "or host")
      ->check(CLI::IsMember({"none", "sandbox", "host"}));
  a.add_flag("--strace", g.strace, "Log every application syscall");
  a.add_option("--strace-syscalls", g.strace_syscalls,
               "Only these syscalls for --strace (comma-separated)")
      ->delimiter(',');
  a.add_flag("--rootless", g.rootless,
             "Run without root privileges (true, false or auto)")
      ->check(CLI::IsMember({"true", "false", "auto"}));
  // --overlay (the default: rootfs writes stay in an in-sandbox overlay) or
  // --overlay=none (writes go through the gofer to the host rootfs).
  a.add_flag("--overlay{root}", g.overlay_mode,
             "Rootfs overlay: root (default) or none (write through)")
      ->check(CLI::IsMember({"root", "none", "true", "false"}))
      ->each([&g](const std::string& v) {
        g.overlay = v != "none" && v != "false";
      });
  a.add_option("--overlay2", g.overlay2, "Overlay configuration (gVisor)");
  a.add_option("--criu", g.criu, "Accepted for runc compatibility; unused");
  a.add_flag("--ignore-cgroups", g.ignore_cgroups, "Do not configure cgroups");
  a.add_option("--file-access", g.file_access,
               "Root filesystem access: exclusive or shared")
      ->check(CLI::IsMember({"exclusive", "shared"}));
  a.add_option("--panic-log", g.panic_log, "File for panic output");
}

CLI::App* Parser::Sub(const CommandInfo& info) {
  CLI::App* sub = app_.add_subcommand(info.name, info.summary);
  // Global flags after the subcommand are accepted too.
  sub->fallthrough();
  sub->set_help_flag("-h,--help", "Print help for this command");
  if (info.internal) sub->group("");
  return sub;
}

void Parser::AddCreateFlags(CLI::App* sub, CreateOptions* o) {
  AddId(sub, &o->id);
  sub->add_option("-b,--bundle", o->bundle,
                  "Bundle directory (default: current directory)");
  sub->add_option("--console-socket", o->console_socket,
                  "Unix socket that receives the console's pty master");
  sub->add_option("--pid-file", o->pid_file,
                  "File that receives the sandbox PID");
  sub->add_option("--user-log", o->user_log,
                  "File for messages meant for the container's user");
  sub->add_flag("--no-pivot", o->no_pivot, "runc compatibility; ignored");
  sub->add_flag("--no-new-keyring", o->no_new_keyring,
                "runc compatibility; ignored");
  sub->add_option("--preserve-fds", o->preserve_fds,
                  "Pass this many extra descriptors (from 3) to the container")
      ->check(CLI::NonNegativeNumber);
}

Parser::Parser() {
  AddGlobal();
  app_.require_subcommand(0, 1);
  app_.footer("Run 'runsc help COMMAND' for a command's flags.");
  for (const CommandInfo& info : Commands()) {
    CLI::App* s = Sub(info);
    const std::string name = info.name;
    if (name == "create") {
      AddCreateFlags(s, &inv_.create);
    } else if (name == "run") {
      RunOptions& o = inv_.run;
      AddCreateFlags(s, &o.create);
      s->add_flag("-d,--detach", o.detach, "Detach from the container");
      s->add_flag("--keep", o.keep, "Do not delete the container on exit");
      s->add_flag("--no-subreaper", o.no_subreaper,
                  "runc compatibility; ignored");
    } else if (name == "start") {
      AddId(s, &inv_.start.id);
    } else if (name == "state") {
      AddId(s, &inv_.state.id);
    } else if (name == "pause") {
      AddId(s, &inv_.pause.id);
    } else if (name == "resume") {
      AddId(s, &inv_.resume.id);
    } else if (name == "kill") {
      KillOptions& o = inv_.kill;
      AddId(s, &o.id);
      s->add_option("signal", o.signal,
                    "Signal number or name (default SIGTERM)");
      s->add_flag("-a,--all", o.all, "Signal every process in the container");
      s->add_option("--pid", o.pid, "Signal only this process (gVisor)");
    } else if (name == "delete") {
      DeleteOptions& o = inv_.del;
      AddId(s, &o.id);
      s->add_flag("-f,--force", o.force,
                  "Kill a running container; an unknown ID is not an error");
    } else if (name == "list") {
      ListOptions& o = inv_.list;
      s->add_option("-f,--format", o.format, "table or json")
          ->check(CLI::IsMember({"table", "json"}));
      s->add_flag("-q,--quiet", o.quiet, "Print only the IDs");
    } else if (name == "ps") {
      PsOptions& o = inv_.ps;
      s->add_option("-f,--format", o.format, "table or json")
          ->check(CLI::IsMember({"table", "json"}));
      AddId(s, &o.id);
      s->add_option("ps-args", o.ps_args, "Arguments for ps(1)");
      s->positionals_at_end();
    } else if (name == "exec") {
      ExecOptions& o = inv_.exec;
      AddId(s, &o.id);
      s->add_option("command", o.args, "Command and its arguments");
      s->positionals_at_end();
      s->add_option("-p,--process", o.process,
                    "process.json describing the process to run");
      s->add_option("--console-socket", o.console_socket,
                    "Unix socket that receives the pty master");
      s->add_option("--pid-file", o.pid_file, "File that receives the PID");
      s->add_option("--internal-pid-file", o.internal_pid_file,
                    "File that receives the PID inside the sandbox");
      s->add_flag("-d,--detach", o.detach, "Do not wait for the process");
      s->add_flag("-t,--tty", o.tty, "Give the process a terminal");
      s->add_option("--cwd", o.cwd, "Working directory");
      // One value per occurrence, repeatable (Go's StringSlice): a bare
      // vector option would swallow the container ID and the command.
      s->add_option("-e,--env", o.env, "Set an environment variable")
          ->expected(1)
          ->allow_extra_args(false)
          ->take_all();
      s->add_option("-u,--user", o.user, "uid[:gid]");
      s->add_option("-g,--additional-gids", o.additional_gids,
                    "Supplementary group")
          ->expected(1)
          ->allow_extra_args(false)
          ->take_all();
      s->add_option("-c,--cap", o.caps, "Add a capability")
          ->expected(1)
          ->allow_extra_args(false)
          ->take_all();
      s->add_flag("--no-new-privs", o.no_new_privs, "Set no_new_privs");
      s->add_option("--process-label", o.process_label, "SELinux label");
      s->add_option("--apparmor", o.apparmor, "AppArmor profile");
      s->add_option("--preserve-fds", o.preserve_fds,
                    "Pass this many extra descriptors (from 3)")
          ->check(CLI::NonNegativeNumber);
      s->add_flag("--ignore-paused", o.ignore_paused,
                  "Allow exec in a paused container");
      s->add_option("--cgroup", o.cgroup, "Sub-cgroup (runc)");
    } else if (name == "events") {
      EventsOptions& o = inv_.events;
      AddId(s, &o.id);
      s->add_flag("--stats", o.stats, "Print statistics once and exit");
      s->add_option("--interval", o.interval,
                    "Statistics interval (Go duration, default 5s)");
    } else if (name == "wait") {
      WaitOptions& o = inv_.wait;
      AddId(s, &o.id);
      s->add_option("--pid", o.pid, "Wait for this process (host PID)");
      s->add_option("--rootpid", o.rootpid,
                    "Wait for this process (sandbox PID)");
    } else if (name == "update") {
      UpdateOptions& o = inv_.update;
      AddId(s, &o.id);
      s->add_option("-r,--resources", o.resources,
                    "linux.resources JSON file, or - for stdin");
      const std::pair<const char*, std::string*> knobs[] = {
          {"--blkio-weight", &o.blkio_weight},
          {"--cpu-period", &o.cpu_period},
          {"--cpu-quota", &o.cpu_quota},
          {"--cpu-share", &o.cpu_share},
          {"--cpu-rt-period", &o.cpu_rt_period},
          {"--cpu-rt-runtime", &o.cpu_rt_runtime},
          {"--cpuset-cpus", &o.cpuset_cpus},
          {"--cpuset-mems", &o.cpuset_mems},
          {"--kernel-memory", &o.kernel_memory},
          {"--kernel-memory-tcp", &o.kernel_memory_tcp},
          {"--memory", &o.memory},
          {"--memory-reservation", &o.memory_reservation},
          {"--memory-swap", &o.memory_swap},
          {"--pids-limit", &o.pids_limit},
          {"--l3-cache-schema", &o.l3_cache_schema},
          {"--mem-bw-schema", &o.mem_bw_schema},
      };
      for (const auto& [flag, target] : knobs) {
        s->add_option(flag, *target, "As runc update");
      }
    } else if (name == "spec") {
      SpecOptions& o = inv_.spec;
      s->add_option("-b,--bundle", o.bundle,
                    "Where to write config.json (default: current directory)");
      s->add_flag("--rootless", o.rootless, "A spec for rootless containers");
      s->add_option("command", o.args, "process.args (after --)");
    } else if (name == "checkpoint") {
      CheckpointOptions& o = inv_.checkpoint;
      AddId(s, &o.id);
      s->add_option("--image-path", o.image_path, "Checkpoint directory");
      s->add_option("--work-path", o.work_path, "Work directory");
      s->add_option("--parent-path", o.parent_path, "Previous checkpoint");
      s->add_flag("--leave-running", o.leave_running,
                  "Keep the container running");
      s->add_flag("--tcp-established", o.tcp_established, "CRIU option");
      s->add_flag("--ext-unix-sk", o.ext_unix_sk, "CRIU option");
      s->add_flag("--shell-job", o.shell_job, "CRIU option");
      s->add_flag("--lazy-pages", o.lazy_pages, "CRIU option");
      s->add_option("--status-fd", o.status_fd, "CRIU option");
      s->add_option("--page-server", o.page_server, "CRIU option");
      s->add_flag("--file-locks", o.file_locks, "CRIU option");
      s->add_flag("--pre-dump", o.pre_dump, "CRIU option");
      s->add_option("--manage-cgroups-mode", o.manage_cgroups_mode,
                    "CRIU option");
      s->add_option("--empty-ns", o.empty_ns, "CRIU option")
          ->expected(1)
          ->allow_extra_args(false)
          ->take_all();
      s->add_flag("--auto-dedup", o.auto_dedup, "CRIU option");
      s->add_option("--compression", o.compression, "Image compression");
    } else if (name == "restore") {
      RestoreOptions& o = inv_.restore;
      AddCreateFlags(s, &o.create);
      s->add_option("--image-path", o.image_path, "Checkpoint directory");
      s->add_option("--work-path", o.work_path, "Work directory");
      s->add_flag("-d,--detach", o.detach, "Detach from the container");
      s->add_flag("--tcp-established", o.tcp_established, "CRIU option");
      s->add_flag("--ext-unix-sk", o.ext_unix_sk, "CRIU option");
      s->add_flag("--shell-job", o.shell_job, "CRIU option");
      s->add_flag("--file-locks", o.file_locks, "CRIU option");
      s->add_option("--manage-cgroups-mode", o.manage_cgroups_mode,
                    "CRIU option");
      s->add_flag("--no-subreaper", o.no_subreaper, "runc compatibility");
      s->add_flag("--lazy-pages", o.lazy_pages, "CRIU option");
      s->add_option("--empty-ns", o.empty_ns, "CRIU option")
          ->expected(1)
          ->allow_extra_args(false)
          ->take_all();
      s->add_flag("--auto-dedup", o.auto_dedup, "CRIU option");
      s->add_option("--lsm-profile", o.lsm_profile, "CRIU option");
      s->add_option("--lsm-mount-context", o.lsm_mount_context, "CRIU option");
    } else if (name == "boot") {
      BootOptions& o = inv_.boot;
      AddId(s, &o.id);
      s->add_option("--bundle", o.bundle, "Bundle directory");
      s->add_option("--spec-fd", o.spec_fd, "Descriptor holding config.json");
      s->add_option("--controller-fd", o.controller_fd,
                    "Listening control socket");
      s->add_option("--start-sync-fd", o.start_sync_fd,
                    "Descriptor to wait on before starting");
      s->add_option("--mounts-fd", o.mounts_fd, "Descriptor of mount data");
      s->add_option("--device-fd", o.device_fd, "Platform device");
      s->add_option("--user-log-fd", o.user_log_fd, "User log descriptor");
      s->add_option("--log-fd", o.log_fd, "Debug log descriptor");
      s->add_option("--exit-status-fd", o.exit_status_fd,
                    "File receiving init's wait status at exit");
      s->add_option("--io-fds", o.io_fds, "Gofer connections, one per mount")
          ->delimiter(',')
          ->take_all();
      s->add_option("--stdio-fds", o.stdio_fds, "stdin, stdout, stderr")
          ->delimiter(',')
          ->take_all();
      s->add_option("--overlay-filestore-fds", o.overlay_filestore_fds,
                    "Overlay backing files")
          ->delimiter(',')
          ->take_all();
      s->add_flag("--console", o.console, "stdio is a console");
      s->add_flag("--apply-caps", o.apply_caps, "Apply the spec's caps");
      s->add_flag("--setup-root", o.setup_root, "Set up the root itself");
      s->add_flag("--attached", o.attached, "Die with the parent");
      s->add_option("--cpu-num", o.cpu_num, "CPUs to advertise");
      s->add_option("--total-memory", o.total_memory, "Memory to advertise");
      s->add_option("--product-name", o.product_name, "DMI product name");
    } else if (name == "gofer") {
      GoferOptions& o = inv_.gofer;
      s->add_option("--bundle", o.bundle, "Bundle directory");
      s->add_option("--spec-fd", o.spec_fd, "Descriptor holding config.json");
      s->add_option("--mounts-fd", o.mounts_fd, "Descriptor of mount data");
      s->add_option("--sync-userns-fd", o.sync_userns_fd,
                    "Wait on this before using the user namespace");
      s->add_option("--dev-io-fd", o.dev_io_fd, "Connection for /dev");
      s->add_option("--log-fd", o.log_fd, "Debug log descriptor");
      s->add_option("--io-fds", o.io_fds, "Connections to serve, per mount")
          ->delimiter(',')
          ->take_all();
      s->add_flag("--apply-caps", o.apply_caps, "Drop to the gofer's caps");
      s->add_flag("--setup-root", o.setup_root, "Set up the root itself");
    } else if (name == "install" || name == "uninstall") {
      InstallOptions& o = name == "install" ? inv_.install : inv_.uninstall;
      s->add_option("--config_file,--config-file", o.config_file,
                    "Docker daemon config (default /etc/docker/daemon.json)");
      s->add_option("--runtime", o.runtime, "Runtime name (default runsc)");
      if (name == "install") {
        s->add_option("--path", o.path,
                      "Binary to register (default: this one)");
        s->add_flag("--experimental", o.experimental,
                    "Also set \"experimental\": true");
        s->add_option("runtime-args", o.runtime_args,
                      "Flags for the runtime (after --)");
      }
    } else if (name == "help") {
      s->add_option("command", inv_.help.topic, "Command to describe");
    }
    // features: no flags.
  }
  // Go's flag package keeps the last of repeated flags; CLI11 would refuse.
  auto take_last = [](CLI::App* a) {
    for (CLI::Option* opt : a->get_options()) {
      if (opt->get_items_expected_max() <= 1 && !opt->get_lnames().empty() &&
          opt->get_multi_option_policy() != CLI::MultiOptionPolicy::TakeAll) {
        opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      }
    }
  };
  take_last(&app_);
  for (CLI::App* s : app_.get_subcommands({})) take_last(s);
}

// Long option names (without dashes) of `a`, and whether each takes a value.
void CollectLongNames(const CLI::App* a,
                      std::map<std::string, bool>* takes_value) {
  for (const CLI::Option* opt : a->get_options()) {
    for (const std::string& n : opt->get_lnames()) {
      (*takes_value)[n] = opt->get_expected_max() > 0;
    }
  }
}

bool IsFlagLike(const std::string& s) {
  return s.size() >= 2 && s[0] == '-' && !(s[1] >= '0' && s[1] <= '9');
}

}  // namespace

const std::vector<CommandInfo>& Commands() {
  static const auto* commands = new std::vector<CommandInfo>{
      {"create", "Create a container (the sandbox, ready to start)", false},
      {"start", "Start a created container's process", false},
      {"run", "Create and start a container", false},
      {"state", "Print a container's OCI state as JSON", false},
      {"kill", "Send a signal to a container (ID [SIGNAL])", false},
      {"delete", "Delete a container and its state", false},
      {"list", "List containers", false},
      {"ps", "List a container's processes", false},
      {"exec", "Run a new process in a container", false},
      {"pause", "Pause every process of a container", false},
      {"resume", "Resume a paused container", false},
      {"events", "Print a container's events and statistics", false},
      {"wait", "Wait for a container's process to exit", false},
      {"update", "Update a container's resource limits", false},
      {"spec", "Write a default config.json into a bundle", false},
      {"checkpoint", "Checkpoint a container", false},
      {"restore", "Restore a container from a checkpoint", false},
      {"features", "Print the features this runtime supports (JSON)", false},
      {"install", "Register this runtime in Docker's daemon.json", false},
      {"uninstall", "Remove this runtime from Docker's daemon.json", false},
      {"help", "Print help for a command", false},
      {"boot", "Internal: run the sandbox", true},
      {"gofer", "Internal: serve a container's files", true},
  };
  return *commands;
}

namespace {

std::vector<std::string> NormalizeWith(const CLI::App& app,
                                       const std::vector<std::string>& args) {
  std::map<std::string, bool> global_names;
  CollectLongNames(&app, &global_names);

  std::vector<std::string> out;
  out.reserve(args.size());
  const CLI::App* sub = nullptr;
  std::map<std::string, bool> sub_names;
  bool expect_value = false;  // The previous token was an option wanting one.
  bool verbatim = false;      // After `--`, or after exec/ps's ID.

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (verbatim) {
      out.push_back(arg);
      continue;
    }
    if (expect_value) {
      out.push_back(arg);
      expect_value = false;
      continue;
    }
    if (arg == "--") {
      out.push_back(arg);
      verbatim = true;
      continue;
    }
    if (arg.size() == 2 && arg[0] == '-' && arg[1] != '-') {
      // A short option: whether it wants a value depends on the option.
      out.push_back(arg);
      const CLI::App* scope = sub != nullptr ? sub : &app;
      for (const CLI::Option* opt : scope->get_options()) {
        for (const std::string& n : opt->get_snames()) {
          if (n == arg.substr(1) && opt->get_expected_max() > 0) {
            expect_value = true;
          }
        }
      }
      continue;
    }
    if (IsFlagLike(arg)) {
      std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
      const bool single_dash = arg[1] != '-';
      const size_t eq = body.find('=');
      const std::string name = body.substr(0, eq);
      const bool* takes_value = nullptr;
      if (auto it = sub_names.find(name);
          sub != nullptr && it != sub_names.end()) {
        takes_value = &it->second;
      } else if (auto git = global_names.find(name);
                 git != global_names.end()) {
        takes_value = &git->second;
      }
      if (takes_value == nullptr || (single_dash && name.size() < 2)) {
        out.push_back(arg);  // A short flag, a cluster, or unknown.
        continue;
      }
      std::string rewritten = single_dash ? "-" + arg : arg;
      // runc's `--rootless VALUE`.
      if (name == "rootless" && eq == std::string::npos &&
          i + 1 < args.size() &&
          (args[i + 1] == "true" || args[i + 1] == "false" ||
           args[i + 1] == "auto")) {
        rewritten += "=" + args[++i];
      }
      out.push_back(std::move(rewritten));
      if (*takes_value && eq == std::string::npos) expect_value = true;
      continue;
    }
    out.push_back(arg);
    if (sub == nullptr) {
      for (const CLI::App* s : app.get_subcommands({})) {
        if (s->get_name() == arg) {
          sub = s;
          sub_names.clear();
          CollectLongNames(s, &sub_names);
          break;
        }
      }
    } else {
      if (sub->get_positionals_at_end()) verbatim = true;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> NormalizeArgs(const std::vector<std::string>& args) {
  Parser parser;
  return NormalizeWith(parser.app(), args);
}

absl::StatusOr<Invocation> ParseCommandLine(
    const std::vector<std::string>& args) {
  auto parser = std::make_unique<Parser>();
  CLI::App& app = parser->app();
  std::vector<std::string> normalized = NormalizeWith(app, args);
  // CLI11 consumes its argument vector from the back.
  std::vector<std::string> reversed(normalized.rbegin(), normalized.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    Invocation inv;
    inv.command = "help";
    std::vector<CLI::App*> subs = app.get_subcommands();
    inv.help.topic = subs.empty() ? "" : subs.back()->get_name();
    inv.help_text = UsageText(inv.help.topic);
    return inv;
  } catch (const CLI::ParseError& e) {
    std::vector<CLI::App*> subs = app.get_subcommands();
    std::string where = subs.empty() ? "" : subs.back()->get_name() + ": ";
    return absl::InvalidArgumentError(absl::StrCat(where, e.what()));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
  Invocation inv = parser->inv();
  std::vector<CLI::App*> subs = app.get_subcommands();
  if (parser->version()) {
    inv.command = "version";
    return inv;
  }
  if (subs.empty()) {
    inv.command = "help";
    inv.help_text = UsageText("");
    return inv;
  }
  inv.command = subs.back()->get_name();
  if (inv.command == "help") inv.help_text = UsageText(inv.help.topic);
  return inv;
}

GlobalOptions LoggingFlagsOnly(const std::vector<std::string>& args) {
  GlobalOptions g;
  std::vector<std::string> norm = NormalizeArgs(args);
  for (size_t i = 0; i < norm.size(); ++i) {
    const std::string& a = norm[i];
    if (a == "--") break;
    const size_t eq = a.find('=');
    const std::string name = a.substr(0, eq);
    std::string value;
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
    } else if (name != "--debug" && i + 1 < norm.size()) {
      value = norm[i + 1];
    }
    if (name == "--log") {
      g.log = value;
    } else if (name == "--log-format" && (value == "text" || value == "json")) {
      g.log_format = value;
    } else if (name == "--debug-log") {
      g.debug_log = value;
    } else if (name == "--debug-log-format" &&
               (value == "text" || value == "json")) {
      g.debug_log_format = value;
    } else if (name == "--debug" && eq == std::string::npos) {
      g.debug = true;
    }
  }
  return g;
}

std::string UsageText(absl::string_view command) {
  Parser parser;
  if (!command.empty()) {
    for (CLI::App* s : parser.app().get_subcommands({})) {
      if (s->get_name() == std::string(command.data(), command.size())) {
        return s->help();
      }
    }
  }
  return parser.app().help();
}

}  // namespace runsc::cli
