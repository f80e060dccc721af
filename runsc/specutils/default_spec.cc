// `runsc spec` and `runsc features` data, and the capability tables.
#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "base/capability_names.h"
#include "base/errors.h"
#include "base/unique_fd.h"
#include "runsc/specutils/spec.h"

namespace runsc::specutils {
namespace {

using json = nlohmann::json;

// The capabilities `runc spec` grants by default.
json DefaultCapSet() {
  return json::array({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
}

}  // namespace

const std::vector<std::string>& KnownCapabilities() {
  static const auto* caps = new std::vector<std::string>(
      base::CapabilityNames().begin(), base::CapabilityNames().end());
  return *caps;
}

bool IsKnownCapability(absl::string_view name) {
  const auto& caps = KnownCapabilities();
  return std::find(caps.begin(), caps.end(), name) != caps.end();
}

nlohmann::json DefaultSpec(bool rootless) {
  json caps = DefaultCapSet();
  json spec = {
      {"ociVersion", kOciVersion},
      {"process",
       {
           {"terminal", true},
           {"user", {{"uid", 0}, {"gid", 0}}},
           {"args", json::array({"sh"})},
           {"env", json::array({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                "/usr/bin:/sbin:/bin",
                                "TERM=xterm"})},
           {"cwd", "/"},
           {"capabilities",
            {{"bounding", caps},
             {"effective", caps},
             {"permitted", caps},
             {"ambient", caps}}},
           {"rlimits",
            json::array(
                {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
           {"noNewPrivileges", true},
       }},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "runsc"},
      {"mounts",
       json::array({
           {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
           {{"destination", "/dev"},
            {"type", "tmpfs"},
            {"source", "tmpfs"},
            {"options", json::array({"nosuid", "strictatime", "mode=755",
                                     "size=65536k"})}},
           {{"destination", "/dev/pts"},
            {"type", "devpts"},
            {"source", "devpts"},
            {"options", json::array({"nosuid", "noexec", "newinstance",
                                     "ptmxmode=0666", "mode=0620", "gid=5"})}},
           {{"destination", "/dev/shm"},
            {"type", "tmpfs"},
            {"source", "shm"},
            {"options", json::array({"nosuid", "noexec", "nodev", "mode=1777",
                                     "size=65536k"})}},
           {{"destination", "/dev/mqueue"},
            {"type", "mqueue"},
            {"source", "mqueue"},
            {"options", json::array({"nosuid", "noexec", "nodev"})}},
           {{"destination", "/sys"},
            {"type", "sysfs"},
            {"source", "sysfs"},
            {"options", json::array({"nosuid", "noexec", "nodev", "ro"})}},
       })},
      {"linux",
       {
           {"resources",
            {{"devices",
              json::array({{{"allow", false}, {"access", "rwm"}}})}}},
           {"namespaces", json::array({{{"type", "pid"}},
                                       {{"type", "network"}},
                                       {{"type", "ipc"}},
                                       {{"type", "uts"}},
                                       {{"type", "mount"}}})},
           {"maskedPaths",
            json::array({"/proc/acpi", "/proc/asound", "/proc/kcore",
                         "/proc/keys", "/proc/latency_stats",
                         "/proc/timer_list", "/proc/timer_stats",
                         "/proc/sched_debug", "/sys/firmware", "/proc/scsi"})},
           {"readonlyPaths", json::array({"/proc/bus", "/proc/fs", "/proc/irq",
                                          "/proc/sys", "/proc/sysrq-trigger"})},
       }},
  };
  if (rootless) {
    // Like `runc spec --rootless`: map the caller to root in a new user
    // namespace, keep the host network (an unprivileged user cannot set one
    // up), bind /sys instead of mounting sysfs, drop devpts' gid=5 (no such
    // group is mapped) and the device cgroup rules (no cgroup access).
    json& linux_obj = spec["linux"];
    json namespaces = json::array();
    for (const json& ns : linux_obj["namespaces"]) {
      if (ns["type"] != "network") namespaces.push_back(ns);
    }
    namespaces.push_back({{"type", "user"}});
    linux_obj["namespaces"] = namespaces;
    linux_obj["uidMappings"] =
        json::array({{{"containerID", 0}, {"hostID", geteuid()}, {"size", 1}}});
    linux_obj["gidMappings"] =
        json::array({{{"containerID", 0}, {"hostID", getegid()}, {"size", 1}}});
    linux_obj.erase("resources");
    for (json& m : spec["mounts"]) {
      if (m["destination"] == "/sys") {
        m = {{"destination", "/sys"},
             {"type", "none"},
             {"source", "/sys"},
             {"options",
              json::array({"rbind", "nosuid", "noexec", "nodev", "ro"})}};
      } else if (m["destination"] == "/dev/pts") {
        json opts = json::array();
        for (const json& o : m["options"]) {
          if (o != "gid=5") opts.push_back(o);
        }
        m["options"] = opts;
      }
    }
  }
  return spec;
}

absl::Status WriteDefaultSpec(const std::string& bundle_dir, bool rootless) {
  const std::string dir = bundle_dir.empty() ? "." : bundle_dir;
  const std::string path = absl::StrCat(dir, "/config.json");
  // O_EXCL: never overwrite a config.json someone wrote, as runc refuses to.
  base::UniqueFd fd(
      open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (!fd.valid()) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat("File ", path, " exists. Remove it first"));
    }
    return base::ErrnoStatus(errno, absl::StrCat("open ", path));
  }
  const std::string text = DefaultSpec(rootless).dump(4) + "\n";
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      unlink(path.c_str());
      return base::ErrnoStatus(err, absl::StrCat("write ", path));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

nlohmann::json Features() {
  json caps = json::array();
  for (const std::string& c : KnownCapabilities()) caps.push_back(c);
  json namespaces = json::array();
  for (const std::string& n : NamespaceTypes()) namespaces.push_back(n);
  std::sort(namespaces.begin(), namespaces.end());
  return {
      {"ociVersionMin", kOciVersionMin},
      {"ociVersionMax", kOciVersion},
      {"hooks", json::array({"prestart", "createRuntime", "createContainer",
                             "startContainer", "poststart", "poststop"})},
      {"mountOptions", json::array({"async",
                                    "atime",
                                    "bind",
                                    "defaults",
                                    "dev",
                                    "diratime",
                                    "dirsync",
                                    "exec",
                                    "iversion",
                                    "lazytime",
                                    "loud",
                                    "mand",
                                    "noatime",
                                    "nodev",
                                    "nodiratime",
                                    "noexec",
                                    "noiversion",
                                    "nolazytime",
                                    "nomand",
                                    "norelatime",
                                    "nostrictatime",
                                    "nosuid",
                                    "nosymfollow",
                                    "private",
                                    "ratime",
                                    "rbind",
                                    "rdev",
                                    "rdiratime",
                                    "relatime",
                                    "remount",
                                    "rexec",
                                    "rnoatime",
                                    "rnodev",
                                    "rnodiratime",
                                    "rnoexec",
                                    "rnorelatime",
                                    "rnostrictatime",
                                    "rnosuid",
                                    "rnosymfollow",
                                    "ro",
                                    "rprivate",
                                    "rrelatime",
                                    "rro",
                                    "rrw",
                                    "rshared",
                                    "rslave",
                                    "rstrictatime",
                                    "rsuid",
                                    "rsymfollow",
                                    "runbindable",
                                    "rw",
                                    "shared",
                                    "silent",
                                    "slave",
                                    "strictatime",
                                    "suid",
                                    "symfollow",
                                    "sync",
                                    "unbindable"})},
      {"linux",
       {
           {"namespaces", namespaces},
           {"capabilities", caps},
           // cgroupfs only: the hosts we target have no systemd.
           {"cgroup",
            {{"v1", true},
             {"v2", true},
             {"systemd", false},
             {"systemdUser", false}}},
           // The application's seccomp filter is evaluated by the sentry,
           // not installed on the host; SCMP_ACT_NOTIFY has no supervisor
           // to notify and is not offered.
           {"seccomp",
            {{"enabled", true},
             {"actions",
              json::array({"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
                           "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                           "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"})},
             {"operators",
              json::array({"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                           "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
                           "SCMP_CMP_NE"})},
             {"archs", json::array({"SCMP_ARCH_X86_64"})}}},
           // The sandbox replaces LSM confinement; profiles are not applied.
           {"apparmor", {{"enabled", false}}},
           {"selinux", {{"enabled", false}}},
       }},
      {"annotations",
       {{"io.github.seccomp.libseccomp.version",
         absl::StrCat(SCMP_VER_MAJOR, ".", SCMP_VER_MINOR, ".",
                      SCMP_VER_MICRO)}}},
  };
}

}  // namespace runsc::specutils
