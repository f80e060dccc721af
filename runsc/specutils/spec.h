// OCI runtime spec (config.json, runtime-spec 1.1.0) as typed C++ structures.
//
// Contract:
//  * ParseSpec/LoadBundle turn a config.json into a Spec and validate it. Every
//    error names the offending field with its JSON path, e.g.
//    `process.args must be a non-empty array of strings` or
//    `mounts[2].destination must be an absolute path`.
//  * Unknown fields are ignored (as runc does); annotations are kept verbatim;
//    linux.seccomp and the less common linux.resources members are kept as raw
//    JSON. Spec::raw always holds the original document so that it can be
//    passed unchanged to child processes (sandbox, gofer).
//  * root.path is resolved against the bundle directory (Spec::root.path is
//    always absolute; Spec::root.raw_path keeps what config.json said).
//  * Capability names are checked only for shape (CAP_[A-Z0-9_]+): names this
//    build does not know (CAP_PERFMON, CAP_BPF, CAP_CHECKPOINT_RESTORE, ...)
//    are accepted, as runc accepts them with a warning.
//  * Nothing here touches the host except LoadBundle/WriteDefaultSpec (file
//    I/O). No global state; thread-compatible.
#ifndef RUNSC_SPECUTILS_SPEC_H_
#define RUNSC_SPECUTILS_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace runsc::specutils {

// The runtime-spec version this runtime implements (state/features print it).
inline constexpr char kOciVersion[] = "1.1.0";
// Oldest spec version we accept (features' ociVersionMin).
inline constexpr char kOciVersionMin[] = "1.0.0";

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;  // Windows-only in the spec; kept for completeness.
};

struct Capabilities {
  std::vector<std::string> bounding;
  std::vector<std::string> effective;
  std::vector<std::string> inheritable;
  std::vector<std::string> permitted;
  std::vector<std::string> ambient;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE", ...
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::optional<int> oom_score_adj;
  std::string selinux_label;
};

struct Root {
  std::string path;      // Absolute (resolved against the bundle).
  std::string raw_path;  // As written in config.json.
  bool readonly = false;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // Seconds; > 0 when present.
};

struct Hooks {
  std::vector<Hook> prestart;  // Deprecated in the spec, still honoured.
  std::vector<Hook> create_runtime;
  std::vector<Hook> create_container;
  std::vector<Hook> start_container;
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
};

struct Namespace {
  std::string type;  // pid network mount ipc uts user cgroup time
  std::string path;  // Empty: create a new namespace.
};

// linux.devices[]: a device node to create in the container.
struct LinuxDevice {
  std::string path;
  std::string type;  // "c", "b", "u" or "p"
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

// linux.resources.devices[]: a device cgroup rule.
struct DeviceCgroupRule {
  bool allow = false;
  std::string type;  // "a", "c" or "b"; empty means all.
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::string access;  // Subset of "rwm".
};

struct MemoryResources {
  std::optional<int64_t> limit;
  std::optional<int64_t> reservation;
  std::optional<int64_t> swap;
  std::optional<int64_t> kernel;
  std::optional<int64_t> kernel_tcp;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer;
};

struct CpuResources {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> period;
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::string cpus;
  std::string mems;
};

struct PidsResources {
  int64_t limit = 0;
};

struct Resources {
  std::vector<DeviceCgroupRule> devices;
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<PidsResources> pids;
  // Kept raw (null when absent): blockIO, hugepageLimits, network, rdma,
  // unified.
  nlohmann::json block_io;
  nlohmann::json hugepage_limits;
  nlohmann::json network;
  nlohmann::json rdma;
  nlohmann::json unified;
};

struct LinuxSpec {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::map<std::string, std::string> sysctl;
  std::optional<Resources> resources;
  std::string cgroups_path;
  nlohmann::json seccomp;  // Raw; null when absent.
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string rootfs_propagation;
  std::string mount_label;
  std::vector<LinuxDevice> devices;

  // Returns the entry for `type`, or nullptr.
  const Namespace* FindNamespace(absl::string_view type) const;
};

struct Spec {
  std::string oci_version;
  Process process;
  Root root;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  bool has_linux = false;  // Whether config.json had a "linux" object.
  LinuxSpec linux_spec;    // ("linux" is a macro under GNU extensions.)

  std::string bundle_dir;  // Absolute.
  nlohmann::json raw;      // The original config.json document.
};

// Parses and validates a config.json document. `bundle_dir` is the bundle
// the document came from; a relative root.path is resolved against it (a
// relative bundle_dir is first made absolute against the current directory).
absl::StatusOr<Spec> ParseSpec(absl::string_view json,
                               absl::string_view bundle_dir);

// Same, from an already parsed document.
absl::StatusOr<Spec> SpecFromJson(const nlohmann::json& doc,
                                  absl::string_view bundle_dir);

// Parses and validates a lone process object, such as the file `exec
// --process` names (containerd, podman). Errors name fields as
// "process.<field>", as in a config.json.
absl::StatusOr<Process> ParseProcess(absl::string_view json);
absl::StatusOr<Process> ProcessFromJson(const nlohmann::json& doc);

// Reads <bundle_dir>/config.json and parses it. A missing file gives NotFound
// "open <bundle>/config.json: No such file or directory"; a missing bundle
// directory gives the same message for the bundle path's config.json.
absl::StatusOr<Spec> LoadBundle(const std::string& bundle_dir);

// Makes `path` absolute: relative paths are joined to `base_dir` (itself made
// absolute against the current directory when relative) and cleaned
// lexically ("a/./b/../c" -> "a/c"). Symlinks are not resolved.
std::string ResolvePath(absl::string_view path, absl::string_view base_dir);

// The rootfs an OCI state document reports: root.path from a raw config.json
// resolved against `bundle_dir`. Empty when the document has no root.path.
std::string RootfsFromSpecJson(const nlohmann::json& spec,
                               absl::string_view bundle_dir);

// A default config.json, like `runc spec` (args ["sh"], terminal, default
// capabilities, proc/dev/devpts/shm/mqueue/sysfs mounts, masked and readonly
// paths, pid/network/ipc/uts/mount namespaces). `rootless` is like
// `runc spec --rootless`: adds a user namespace with uid/gid mappings for
// the current euid/egid, drops the network namespace, and bind-mounts /sys.
nlohmann::json DefaultSpec(bool rootless = false);

// Writes DefaultSpec(rootless) to <bundle_dir>/config.json (pretty-printed,
// mode 0666 & ~umask). Fails with AlreadyExists
// "File <bundle_dir>/config.json exists. Remove it first" rather than
// overwrite, as runc does.
absl::Status WriteDefaultSpec(const std::string& bundle_dir,
                              bool rootless = false);

// The OCI features document (as `runc features` prints).
nlohmann::json Features();

// Capability names this build knows, "CAP_CHOWN" .. "CAP_CHECKPOINT_RESTORE".
const std::vector<std::string>& KnownCapabilities();
bool IsKnownCapability(absl::string_view name);

// Namespace types the spec defines.
const std::vector<std::string>& NamespaceTypes();

}  // namespace runsc::specutils

#endif  // RUNSC_SPECUTILS_SPEC_H_
