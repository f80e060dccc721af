// Typed results of parsing the runsc command line.
//
// Contract: these are plain values filled by cli::ParseCommandLine
// (parser.h). They carry syntax only: a flag that was accepted is stored as
// given (strings stay strings, e.g. a signal name or a duration); meaning is
// given by runsc/cmd, which validates and converts. Flags that engines send
// but that this runtime does not need (runc's --criu, --no-pivot,
// --no-new-keyring, CRIU tuning for checkpoint/restore, ...) are accepted and
// stored so that they can be logged, and otherwise ignored.
//
// No global state; thread-compatible.
#ifndef RUNSC_CLI_OPTIONS_H_
#define RUNSC_CLI_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace runsc::cli {

// Flags that come before the subcommand (runc's and gVisor's global flags).
struct GlobalOptions {
  std::string root;                 // Empty: the default (/run/runsc or XDG).
  std::string log;                  // --log FILE (Docker passes B/log.json).
  std::string log_format = "text";  // text | json
  std::string log_level;  // runc-style --log-level (debug, info, ...).
  bool debug = false;
  std::string debug_log;  // A file, or a directory (ends in '/' or exists).
  std::string debug_log_format = "text";
  bool alsologtostderr = false;
  bool systemd_cgroup = false;
  std::string platform = "ptrace";  // ptrace | systrap
  std::string network = "sandbox";  // none | sandbox | host
  bool strace = false;
  std::vector<std::string> strace_syscalls;
  std::string rootless;      // "" (not given), true, false, auto
  bool overlay = false;      // --overlay given (and not =none).
  std::string overlay_mode;  // "", root, none (true/false accepted).
  std::string overlay2;      // gVisor's --overlay2 (e.g. "root:memory").
  std::string criu;          // runc's --criu PATH; ignored.
  bool ignore_cgroups = false;
  std::string file_access;  // exclusive | shared
  std::string panic_log;
  std::string user_log;  // For boot; create has its own.
};

// create, and the creating half of run and restore.
struct CreateOptions {
  std::string id;
  std::string bundle;  // Empty: the current directory.
  std::string console_socket;
  std::string pid_file;
  std::string user_log;
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
};

struct RunOptions {
  CreateOptions create;
  bool detach = false;
  bool keep = false;
  bool no_subreaper = false;
};

// Commands that take only a container ID: start, state, pause, resume.
struct IdOptions {
  std::string id;
};

struct KillOptions {
  std::string id;
  std::string signal = "SIGTERM";  // As given; see ParseSignal.
  bool all = false;
  int pid = 0;  // gVisor's --pid: signal one process in the container.
};

struct DeleteOptions {
  std::string id;
  bool force = false;
};

struct ListOptions {
  std::string format = "table";  // table | json
  bool quiet = false;
};

struct PsOptions {
  std::string id;
  std::string format = "table";      // table | json
  std::vector<std::string> ps_args;  // Passed to ps(1) by runc; kept.
};

struct ExecOptions {
  std::string id;
  std::vector<std::string> args;  // Command after the ID.
  std::string process;            // --process FILE (process.json).
  std::string console_socket;
  std::string pid_file;
  std::string internal_pid_file;
  bool detach = false;
  bool tty = false;
  std::string cwd;
  std::vector<std::string> env;
  std::string user;  // uid[:gid]
  std::vector<int64_t> additional_gids;
  std::vector<std::string> caps;
  bool no_new_privs = false;
  std::string process_label;
  std::string apparmor;
  int preserve_fds = 0;
  bool ignore_paused = false;
  std::string cgroup;
};

struct EventsOptions {
  std::string id;
  bool stats = false;
  std::string interval = "5s";  // A Go-style duration.
};

struct WaitOptions {
  std::string id;
  int pid = 0;
  int rootpid = 0;
};

struct UpdateOptions {
  std::string id;
  std::string resources;  // FILE, or "-" for stdin.
  // runc's individual knobs; empty when not given.
  std::string blkio_weight;
  std::string cpu_period;
  std::string cpu_quota;
  std::string cpu_share;
  std::string cpu_rt_period;
  std::string cpu_rt_runtime;
  std::string cpuset_cpus;
  std::string cpuset_mems;
  std::string kernel_memory;
  std::string kernel_memory_tcp;
  std::string memory;
  std::string memory_reservation;
  std::string memory_swap;
  std::string pids_limit;
  std::string l3_cache_schema;
  std::string mem_bw_schema;
};

struct SpecOptions {
  std::string bundle;  // Empty: the current directory.
  bool rootless = false;
  std::vector<std::string> args;  // gVisor: `spec -- cmd...` sets process.args.
};

struct CheckpointOptions {
  std::string id;
  std::string image_path;
  std::string work_path;
  std::string parent_path;
  bool leave_running = false;
  bool tcp_established = false;
  bool ext_unix_sk = false;
  bool shell_job = false;
  bool lazy_pages = false;
  int status_fd = -1;
  std::string page_server;
  bool file_locks = false;
  bool pre_dump = false;
  std::string manage_cgroups_mode;
  std::vector<std::string> empty_ns;
  bool auto_dedup = false;
  std::string compression;
};

struct RestoreOptions {
  CreateOptions create;
  std::string image_path;
  std::string work_path;
  bool detach = false;
  bool tcp_established = false;
  bool ext_unix_sk = false;
  bool shell_job = false;
  bool file_locks = false;
  std::string manage_cgroups_mode;
  bool no_subreaper = false;
  bool lazy_pages = false;
  std::vector<std::string> empty_ns;
  bool auto_dedup = false;
  std::string lsm_profile;
  std::string lsm_mount_context;
};

// Internal: the sandbox process. Every resource is an inherited descriptor.
struct BootOptions {
  std::string id;
  std::string bundle;
  int spec_fd = -1;
  int controller_fd = -1;
  int start_sync_fd = -1;
  int mounts_fd = -1;
  int device_fd = -1;
  int user_log_fd = -1;
  int log_fd = -1;  // The debug log (create passes one with --debug-log).
  int exit_status_fd = -1;  // Receives init's wait status at exit.
  std::vector<int> io_fds;
  std::vector<int> stdio_fds;
  std::vector<int> overlay_filestore_fds;
  bool console = false;
  bool apply_caps = false;
  bool setup_root = false;
  bool attached = false;
  int cpu_num = 0;
  uint64_t total_memory = 0;
  std::string product_name;
};

// Internal: the file server for one container.
struct GoferOptions {
  std::string bundle;
  int spec_fd = -1;
  int mounts_fd = -1;
  int sync_userns_fd = -1;
  int dev_io_fd = -1;
  int log_fd = -1;
  std::vector<int> io_fds;
  bool apply_caps = false;
  bool setup_root = false;
};

// install / uninstall (Docker's daemon.json).
struct InstallOptions {
  std::string config_file;  // Empty: /etc/docker/daemon.json.
  std::string runtime = "runsc";
  std::string path;  // install: the binary (empty: this one).
  bool experimental = false;
  std::vector<std::string> runtime_args;  // install: after `--`.
};

struct HelpOptions {
  std::string topic;  // A command name, or empty.
};

// One parsed command line. Only the member matching `command` is filled.
struct Invocation {
  GlobalOptions global;
  std::string command;    // "create", "run", ...; "help" also for --help;
                          // "version" for --version.
  std::string help_text;  // For "help": the usage text to print.

  CreateOptions create;
  RunOptions run;
  IdOptions start, state, pause, resume;
  KillOptions kill;
  DeleteOptions del;
  ListOptions list;
  PsOptions ps;
  ExecOptions exec;
  EventsOptions events;
  WaitOptions wait;
  UpdateOptions update;
  SpecOptions spec;
  CheckpointOptions checkpoint;
  RestoreOptions restore;
  BootOptions boot;
  GoferOptions gofer;
  InstallOptions install, uninstall;
  HelpOptions help;
};

}  // namespace runsc::cli

#endif  // RUNSC_CLI_OPTIONS_H_
