// config.json -> Spec: JSON readers that name the field they read, and the
// semantic checks a runtime needs before it acts on a spec.
#include "runsc/specutils/spec.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <type_traits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/errors.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"

namespace runsc::specutils {
namespace {

using json = nlohmann::json;

absl::Status Invalid(absl::string_view msg) {
  return absl::InvalidArgumentError(msg);
}

std::string Join(const std::string& parent, absl::string_view key) {
  if (parent.empty()) return std::string(key);
  return absl::StrCat(parent, ".", key);
}

std::string Index(const std::string& path, size_t i) {
  return absl::StrCat(path, "[", i, "]");
}

// The member `key` of `obj`, or nullptr if absent or null (Go's decoder
// treats an explicit null like an absent field).
const json* Member(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::Status CheckObject(const json& v, const std::string& path) {
  if (!v.is_object()) return Invalid(absl::StrCat(path, " must be an object"));
  return absl::OkStatus();
}

bool IsAbsolute(absl::string_view p) { return !p.empty() && p[0] == '/'; }

// --- Scalar readers: each names `path` in its error. ---

absl::Status Read(const json& v, const std::string& path, std::string* out) {
  if (!v.is_string()) return Invalid(absl::StrCat(path, " must be a string"));
  *out = v.get<std::string>();
  return absl::OkStatus();
}

absl::Status Read(const json& v, const std::string& path, bool* out) {
  if (!v.is_boolean()) {
    return Invalid(absl::StrCat(path, " must be a boolean"));
  }
  *out = v.get<bool>();
  return absl::OkStatus();
}

template <typename T>
requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) absl::Status
    Read(const json& v, const std::string& path, T* out) {
  if constexpr (std::is_unsigned_v<T>) {
    const std::string msg =
        absl::StrCat(path, " must be a non-negative integer");
    if (v.is_number_unsigned()) {
      uint64_t u = v.get<uint64_t>();
      if (u > std::numeric_limits<T>::max()) {
        return Invalid(absl::StrCat(path, " is out of range (at most ",
                                    std::numeric_limits<T>::max(), ")"));
      }
      *out = static_cast<T>(u);
      return absl::OkStatus();
    }
    return Invalid(msg);
  } else {
    const std::string msg = absl::StrCat(path, " must be an integer");
    if (v.is_number_unsigned()) {
      uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
        return Invalid(absl::StrCat(path, " is out of range"));
      }
      *out = static_cast<T>(u);
      return absl::OkStatus();
    }
    if (v.is_number_integer()) {
      int64_t s = v.get<int64_t>();
      if (s < std::numeric_limits<T>::min() ||
          s > std::numeric_limits<T>::max()) {
        return Invalid(absl::StrCat(path, " is out of range"));
      }
      *out = static_cast<T>(s);
      return absl::OkStatus();
    }
    return Invalid(msg);
  }
}

template <typename T>
absl::Status Read(const json& v, const std::string& path,
                  std::optional<T>* out) {
  T t{};
  RETURN_IF_ERROR(Read(v, path, &t));
  *out = std::move(t);
  return absl::OkStatus();
}

absl::Status Read(const json& v, const std::string& path,
                  std::vector<std::string>* out) {
  const std::string msg = absl::StrCat(path, " must be an array of strings");
  if (!v.is_array()) return Invalid(msg);
  out->clear();
  for (const json& e : v) {
    if (!e.is_string()) return Invalid(msg);
    out->push_back(e.get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status Read(const json& v, const std::string& path,
                  std::vector<uint32_t>* out) {
  if (!v.is_array()) {
    return Invalid(absl::StrCat(path, " must be an array of integers"));
  }
  out->clear();
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t x = 0;
    RETURN_IF_ERROR(Read(v[i], Index(path, i), &x));
    out->push_back(x);
  }
  return absl::OkStatus();
}

absl::Status Read(const json& v, const std::string& path,
                  std::map<std::string, std::string>* out) {
  if (!v.is_object()) {
    return Invalid(absl::StrCat(path, " must be an object of strings"));
  }
  out->clear();
  for (const auto& [key, val] : v.items()) {
    if (!val.is_string()) {
      return Invalid(absl::StrCat(path, "[\"", key, "\"] must be a string"));
    }
    (*out)[key] = val.get<std::string>();
  }
  return absl::OkStatus();
}

// Reads obj[key] into *out if present (absent or null leaves *out as is).
template <typename T>
absl::Status Field(const json& obj, const char* key, const std::string& parent,
                   T* out) {
  const json* v = Member(obj, key);
  if (v == nullptr) return absl::OkStatus();
  return Read(*v, Join(parent, key), out);
}

// Like Field, but a missing member is an error (the reader's type message).
template <typename T>
absl::Status RequiredField(const json& obj, const char* key,
                           const std::string& parent, T* out) {
  const json* v = Member(obj, key);
  static const json kNull;
  return Read(v == nullptr ? kNull : *v, Join(parent, key), out);
}

// Reads an array of objects with `parse(elem, path_of_elem, T*)`.
template <typename T, typename F>
absl::Status ObjectArray(const json& obj, const char* key,
                         const std::string& parent, std::vector<T>* out,
                         F parse) {
  const json* v = Member(obj, key);
  if (v == nullptr) return absl::OkStatus();
  const std::string path = Join(parent, key);
  if (!v->is_array()) return Invalid(absl::StrCat(path, " must be an array"));
  out->clear();
  for (size_t i = 0; i < v->size(); ++i) {
    const std::string elem_path = Index(path, i);
    RETURN_IF_ERROR(CheckObject((*v)[i], elem_path));
    T t{};
    RETURN_IF_ERROR(parse((*v)[i], elem_path, &t));
    out->push_back(std::move(t));
  }
  return absl::OkStatus();
}

// --- Structures. ---

const std::set<std::string, std::less<>>& RlimitTypes() {
  static const auto* types = new std::set<std::string, std::less<>>{
      "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
      "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
      "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
      "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK"};
  return *types;
}

bool LooksLikeCapability(absl::string_view name) {
  if (!absl::StartsWith(name, "CAP_") || name.size() == 4) return false;
  for (char c : name.substr(4)) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

absl::Status ParseCapSet(const json& obj, const char* key,
                         const std::string& parent,
                         std::vector<std::string>* out) {
  RETURN_IF_ERROR(Field(obj, key, parent, out));
  const std::string path = Join(parent, key);
  for (size_t i = 0; i < out->size(); ++i) {
    // Unknown but well-formed names (a newer kernel's capability) are
    // accepted, as runc does; only malformed names are errors.
    if (!LooksLikeCapability((*out)[i])) {
      return Invalid(absl::StrCat(Index(path, i), " \"", (*out)[i],
                                  "\" is not a capability name"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseUser(const json& u, const std::string& path, User* out) {
  RETURN_IF_ERROR(CheckObject(u, path));
  RETURN_IF_ERROR(Field(u, "uid", path, &out->uid));
  RETURN_IF_ERROR(Field(u, "gid", path, &out->gid));
  RETURN_IF_ERROR(Field(u, "umask", path, &out->umask));
  RETURN_IF_ERROR(Field(u, "additionalGids", path, &out->additional_gids));
  RETURN_IF_ERROR(Field(u, "username", path, &out->username));
  return absl::OkStatus();
}

absl::Status ReadProcess(const json& p, const std::string& path, Process* out) {
  RETURN_IF_ERROR(CheckObject(p, path));
  RETURN_IF_ERROR(Field(p, "terminal", path, &out->terminal));
  if (const json* cs = Member(p, "consoleSize")) {
    const std::string cs_path = path + ".consoleSize";
    RETURN_IF_ERROR(CheckObject(*cs, cs_path));
    ConsoleSize size;
    RETURN_IF_ERROR(Field(*cs, "height", cs_path, &size.height));
    RETURN_IF_ERROR(Field(*cs, "width", cs_path, &size.width));
    out->console_size = size;
  }
  if (const json* u = Member(p, "user")) {
    RETURN_IF_ERROR(ParseUser(*u, path + ".user", &out->user));
  }

  const json* args = Member(p, "args");
  const std::string args_msg =
      absl::StrCat(path, ".args must be a non-empty array of strings");
  if (args == nullptr || !args->is_array() || args->empty()) {
    return Invalid(args_msg);
  }
  for (const json& a : *args) {
    if (!a.is_string()) return Invalid(args_msg);
    out->args.push_back(a.get<std::string>());
  }
  if (out->args[0].empty()) {
    return Invalid(absl::StrCat(path, ".args[0] must be a non-empty string"));
  }
  if (Member(p, "commandLine") != nullptr) {
    // Windows-only; ignored on Linux, like runc.
  }

  RETURN_IF_ERROR(Field(p, "env", path, &out->env));
  for (size_t i = 0; i < out->env.size(); ++i) {
    size_t eq = out->env[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      return Invalid(absl::StrCat(path, ".env[", i, "] \"", out->env[i],
                                  "\" must have the form KEY=VALUE"));
    }
  }

  const json* cwd = Member(p, "cwd");
  if (cwd == nullptr || !cwd->is_string() ||
      !IsAbsolute(cwd->get<std::string>())) {
    return Invalid(absl::StrCat(path, ".cwd must be an absolute path"));
  }
  out->cwd = cwd->get<std::string>();

  if (const json* caps = Member(p, "capabilities")) {
    const std::string caps_path = path + ".capabilities";
    RETURN_IF_ERROR(CheckObject(*caps, caps_path));
    Capabilities c;
    RETURN_IF_ERROR(ParseCapSet(*caps, "bounding", caps_path, &c.bounding));
    RETURN_IF_ERROR(ParseCapSet(*caps, "effective", caps_path, &c.effective));
    RETURN_IF_ERROR(
        ParseCapSet(*caps, "inheritable", caps_path, &c.inheritable));
    RETURN_IF_ERROR(ParseCapSet(*caps, "permitted", caps_path, &c.permitted));
    RETURN_IF_ERROR(ParseCapSet(*caps, "ambient", caps_path, &c.ambient));
    out->capabilities = std::move(c);
  }

  std::set<std::string> seen_rlimits;
  RETURN_IF_ERROR(ObjectArray(
      p, "rlimits", path, &out->rlimits,
      [&](const json& r, const std::string& rp, Rlimit* rl) -> absl::Status {
        RETURN_IF_ERROR(RequiredField(r, "type", rp, &rl->type));
        if (RlimitTypes().count(rl->type) == 0) {
          return Invalid(absl::StrCat(rp, ".type \"", rl->type,
                                      "\" is not a valid rlimit"));
        }
        if (!seen_rlimits.insert(rl->type).second) {
          return Invalid(
              absl::StrCat(rp, ".type \"", rl->type, "\" is duplicated"));
        }
        RETURN_IF_ERROR(RequiredField(r, "hard", rp, &rl->hard));
        RETURN_IF_ERROR(RequiredField(r, "soft", rp, &rl->soft));
        if (rl->soft > rl->hard) {
          // setrlimit(2) would fail with EINVAL.
          return Invalid(absl::StrCat(rp, ".soft (", rl->soft, ") exceeds ", rp,
                                      ".hard (", rl->hard, ")"));
        }
        return absl::OkStatus();
      }));

  RETURN_IF_ERROR(Field(p, "noNewPrivileges", path, &out->no_new_privileges));
  RETURN_IF_ERROR(Field(p, "apparmorProfile", path, &out->apparmor_profile));
  RETURN_IF_ERROR(Field(p, "oomScoreAdj", path, &out->oom_score_adj));
  if (out->oom_score_adj.has_value() &&
      (*out->oom_score_adj < -1000 || *out->oom_score_adj > 1000)) {
    return Invalid(
        absl::StrCat(path, ".oomScoreAdj must be between -1000 and 1000"));
  }
  RETURN_IF_ERROR(Field(p, "selinuxLabel", path, &out->selinux_label));
  return absl::OkStatus();
}

absl::Status ParseIdMapping(const json& m, const std::string& path,
                            IdMapping* out) {
  RETURN_IF_ERROR(RequiredField(m, "containerID", path, &out->container_id));
  RETURN_IF_ERROR(RequiredField(m, "hostID", path, &out->host_id));
  RETURN_IF_ERROR(RequiredField(m, "size", path, &out->size));
  return absl::OkStatus();
}

absl::Status ParseMount(const json& m, const std::string& path, Mount* out) {
  const json* dest = Member(m, "destination");
  if (dest == nullptr || !dest->is_string() ||
      !IsAbsolute(dest->get<std::string>())) {
    return Invalid(absl::StrCat(path, ".destination must be an absolute path"));
  }
  out->destination = dest->get<std::string>();
  RETURN_IF_ERROR(Field(m, "type", path, &out->type));
  RETURN_IF_ERROR(Field(m, "source", path, &out->source));
  RETURN_IF_ERROR(Field(m, "options", path, &out->options));
  RETURN_IF_ERROR(
      ObjectArray(m, "uidMappings", path, &out->uid_mappings, ParseIdMapping));
  RETURN_IF_ERROR(
      ObjectArray(m, "gidMappings", path, &out->gid_mappings, ParseIdMapping));
  return absl::OkStatus();
}

absl::Status ParseHook(const json& h, const std::string& path, Hook* out) {
  const json* p = Member(h, "path");
  if (p == nullptr || !p->is_string() || !IsAbsolute(p->get<std::string>())) {
    return Invalid(absl::StrCat(path, ".path must be an absolute path"));
  }
  out->path = p->get<std::string>();
  RETURN_IF_ERROR(Field(h, "args", path, &out->args));
  RETURN_IF_ERROR(Field(h, "env", path, &out->env));
  if (const json* t = Member(h, "timeout")) {
    int timeout = 0;
    if (!Read(*t, path + ".timeout", &timeout).ok() || timeout <= 0) {
      return Invalid(absl::StrCat(path, ".timeout must be a positive integer"));
    }
    out->timeout = timeout;
  }
  return absl::OkStatus();
}

absl::Status ParseHooks(const json& h, Hooks* out) {
  const std::string path = "hooks";
  RETURN_IF_ERROR(CheckObject(h, path));
  RETURN_IF_ERROR(ObjectArray(h, "prestart", path, &out->prestart, ParseHook));
  RETURN_IF_ERROR(
      ObjectArray(h, "createRuntime", path, &out->create_runtime, ParseHook));
  RETURN_IF_ERROR(ObjectArray(h, "createContainer", path,
                              &out->create_container, ParseHook));
  RETURN_IF_ERROR(
      ObjectArray(h, "startContainer", path, &out->start_container, ParseHook));
  RETURN_IF_ERROR(
      ObjectArray(h, "poststart", path, &out->poststart, ParseHook));
  RETURN_IF_ERROR(ObjectArray(h, "poststop", path, &out->poststop, ParseHook));
  return absl::OkStatus();
}

absl::Status ParseResources(const json& r, Resources* out) {
  const std::string path = "linux.resources";
  RETURN_IF_ERROR(CheckObject(r, path));
  RETURN_IF_ERROR(ObjectArray(
      r, "devices", path, &out->devices,
      [](const json& d, const std::string& dp,
         DeviceCgroupRule* rule) -> absl::Status {
        RETURN_IF_ERROR(RequiredField(d, "allow", dp, &rule->allow));
        RETURN_IF_ERROR(Field(d, "type", dp, &rule->type));
        if (!rule->type.empty() && rule->type != "a" && rule->type != "c" &&
            rule->type != "b") {
          return Invalid(absl::StrCat(dp, ".type \"", rule->type,
                                      "\" must be \"a\", \"b\" or \"c\""));
        }
        RETURN_IF_ERROR(Field(d, "major", dp, &rule->major));
        RETURN_IF_ERROR(Field(d, "minor", dp, &rule->minor));
        RETURN_IF_ERROR(Field(d, "access", dp, &rule->access));
        for (char c : rule->access) {
          if (c != 'r' && c != 'w' && c != 'm') {
            return Invalid(absl::StrCat(dp, ".access \"", rule->access,
                                        "\" must contain only r, w and m"));
          }
        }
        return absl::OkStatus();
      }));
  if (const json* m = Member(r, "memory")) {
    const std::string mp = "linux.resources.memory";
    RETURN_IF_ERROR(CheckObject(*m, mp));
    MemoryResources mem;
    RETURN_IF_ERROR(Field(*m, "limit", mp, &mem.limit));
    RETURN_IF_ERROR(Field(*m, "reservation", mp, &mem.reservation));
    RETURN_IF_ERROR(Field(*m, "swap", mp, &mem.swap));
    RETURN_IF_ERROR(Field(*m, "kernel", mp, &mem.kernel));
    RETURN_IF_ERROR(Field(*m, "kernelTCP", mp, &mem.kernel_tcp));
    RETURN_IF_ERROR(Field(*m, "swappiness", mp, &mem.swappiness));
    RETURN_IF_ERROR(Field(*m, "disableOOMKiller", mp, &mem.disable_oom_killer));
    out->memory = mem;
  }
  if (const json* c = Member(r, "cpu")) {
    const std::string cp = "linux.resources.cpu";
    RETURN_IF_ERROR(CheckObject(*c, cp));
    CpuResources cpu;
    RETURN_IF_ERROR(Field(*c, "shares", cp, &cpu.shares));
    RETURN_IF_ERROR(Field(*c, "quota", cp, &cpu.quota));
    RETURN_IF_ERROR(Field(*c, "period", cp, &cpu.period));
    RETURN_IF_ERROR(Field(*c, "realtimeRuntime", cp, &cpu.realtime_runtime));
    RETURN_IF_ERROR(Field(*c, "realtimePeriod", cp, &cpu.realtime_period));
    RETURN_IF_ERROR(Field(*c, "cpus", cp, &cpu.cpus));
    RETURN_IF_ERROR(Field(*c, "mems", cp, &cpu.mems));
    out->cpu = cpu;
  }
  if (const json* p = Member(r, "pids")) {
    const std::string pp = "linux.resources.pids";
    RETURN_IF_ERROR(CheckObject(*p, pp));
    PidsResources pids;
    RETURN_IF_ERROR(RequiredField(*p, "limit", pp, &pids.limit));
    out->pids = pids;
  }
  if (const json* v = Member(r, "blockIO")) out->block_io = *v;
  if (const json* v = Member(r, "hugepageLimits")) out->hugepage_limits = *v;
  if (const json* v = Member(r, "network")) out->network = *v;
  if (const json* v = Member(r, "rdma")) out->rdma = *v;
  if (const json* v = Member(r, "unified")) out->unified = *v;
  return absl::OkStatus();
}

absl::Status ParsePathList(const json& l, const char* key,
                           std::vector<std::string>* out) {
  RETURN_IF_ERROR(Field(l, key, "linux", out));
  for (size_t i = 0; i < out->size(); ++i) {
    if (!IsAbsolute((*out)[i])) {
      return Invalid(
          absl::StrCat("linux.", key, "[", i, "] must be an absolute path"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseLinux(const json& l, LinuxSpec* out) {
  const std::string path = "linux";
  RETURN_IF_ERROR(CheckObject(l, path));
  std::set<std::string> seen_ns;
  RETURN_IF_ERROR(ObjectArray(
      l, "namespaces", path, &out->namespaces,
      [&](const json& n, const std::string& np, Namespace* ns) -> absl::Status {
        RETURN_IF_ERROR(RequiredField(n, "type", np, &ns->type));
        const auto& types = NamespaceTypes();
        if (std::find(types.begin(), types.end(), ns->type) == types.end()) {
          return Invalid(absl::StrCat(np, ".type \"", ns->type,
                                      "\" is not a valid namespace"));
        }
        if (!seen_ns.insert(ns->type).second) {
          return Invalid(
              absl::StrCat(np, ".type \"", ns->type, "\" is duplicated"));
        }
        RETURN_IF_ERROR(Field(n, "path", np, &ns->path));
        if (!ns->path.empty() && !IsAbsolute(ns->path)) {
          return Invalid(absl::StrCat(np, ".path must be an absolute path"));
        }
        return absl::OkStatus();
      }));
  RETURN_IF_ERROR(
      ObjectArray(l, "uidMappings", path, &out->uid_mappings, ParseIdMapping));
  RETURN_IF_ERROR(
      ObjectArray(l, "gidMappings", path, &out->gid_mappings, ParseIdMapping));
  if ((!out->uid_mappings.empty() || !out->gid_mappings.empty()) &&
      out->FindNamespace("user") == nullptr) {
    return Invalid(
        "linux.uidMappings and linux.gidMappings require a user namespace "
        "in linux.namespaces");
  }
  RETURN_IF_ERROR(Field(l, "sysctl", path, &out->sysctl));
  if (const json* r = Member(l, "resources")) {
    Resources res;
    RETURN_IF_ERROR(ParseResources(*r, &res));
    out->resources = std::move(res);
  }
  RETURN_IF_ERROR(Field(l, "cgroupsPath", path, &out->cgroups_path));
  if (const json* s = Member(l, "seccomp")) {
    RETURN_IF_ERROR(CheckObject(*s, "linux.seccomp"));
    out->seccomp = *s;
  }
  RETURN_IF_ERROR(ParsePathList(l, "maskedPaths", &out->masked_paths));
  RETURN_IF_ERROR(ParsePathList(l, "readonlyPaths", &out->readonly_paths));
  RETURN_IF_ERROR(
      Field(l, "rootfsPropagation", path, &out->rootfs_propagation));
  static const std::set<std::string, std::less<>> kPropagations = {
      "",       "private", "rprivate",   "slave",      "rslave",
      "shared", "rshared", "unbindable", "runbindable"};
  if (kPropagations.count(out->rootfs_propagation) == 0) {
    return Invalid(absl::StrCat("linux.rootfsPropagation \"",
                                out->rootfs_propagation,
                                "\" is not a valid propagation"));
  }
  RETURN_IF_ERROR(Field(l, "mountLabel", path, &out->mount_label));
  RETURN_IF_ERROR(ObjectArray(
      l, "devices", path, &out->devices,
      [](const json& d, const std::string& dp,
         LinuxDevice* dev) -> absl::Status {
        const json* p = Member(d, "path");
        if (p == nullptr || !p->is_string() ||
            !IsAbsolute(p->get<std::string>())) {
          return Invalid(absl::StrCat(dp, ".path must be an absolute path"));
        }
        dev->path = p->get<std::string>();
        RETURN_IF_ERROR(RequiredField(d, "type", dp, &dev->type));
        if (dev->type != "c" && dev->type != "b" && dev->type != "u" &&
            dev->type != "p") {
          return Invalid(absl::StrCat(dp, ".type \"", dev->type,
                                      "\" must be \"c\", \"b\", \"u\" or "
                                      "\"p\""));
        }
        if (dev->type == "p") {
          RETURN_IF_ERROR(Field(d, "major", dp, &dev->major));
          RETURN_IF_ERROR(Field(d, "minor", dp, &dev->minor));
        } else {
          // A character or block device needs its numbers.
          RETURN_IF_ERROR(RequiredField(d, "major", dp, &dev->major));
          RETURN_IF_ERROR(RequiredField(d, "minor", dp, &dev->minor));
        }
        RETURN_IF_ERROR(Field(d, "fileMode", dp, &dev->file_mode));
        RETURN_IF_ERROR(Field(d, "uid", dp, &dev->uid));
        RETURN_IF_ERROR(Field(d, "gid", dp, &dev->gid));
        return absl::OkStatus();
      }));
  return absl::OkStatus();
}

std::string CurrentDir() {
  char buf[4096];
  if (getcwd(buf, sizeof(buf)) == nullptr) return "/";
  return buf;
}

}  // namespace

const Namespace* LinuxSpec::FindNamespace(absl::string_view type) const {
  for (const Namespace& ns : namespaces) {
    if (ns.type == type) return &ns;
  }
  return nullptr;
}

const std::vector<std::string>& NamespaceTypes() {
  static const auto* types = new std::vector<std::string>{
      "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"};
  return *types;
}

std::string ResolvePath(absl::string_view path, absl::string_view base_dir) {
  std::string joined;
  if (IsAbsolute(path)) {
    joined = std::string(path);
  } else {
    std::string base = IsAbsolute(base_dir)
                           ? std::string(base_dir)
                           : absl::StrCat(CurrentDir(), "/", base_dir);
    joined = absl::StrCat(base, "/", path);
  }
  // Lexical cleaning, like Go's filepath.Clean on an absolute path.
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(joined, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

std::string RootfsFromSpecJson(const nlohmann::json& spec,
                               absl::string_view bundle_dir) {
  if (!spec.is_object()) return "";
  auto root = spec.find("root");
  if (root == spec.end() || !root->is_object()) return "";
  auto path = root->find("path");
  if (path == root->end() || !path->is_string()) return "";
  const std::string p = path->get<std::string>();
  if (p.empty()) return "";
  return ResolvePath(p, bundle_dir);
}

absl::StatusOr<Spec> SpecFromJson(const nlohmann::json& doc,
                                  absl::string_view bundle_dir) {
  if (!doc.is_object()) return Invalid("config.json must be a JSON object");
  Spec spec;
  spec.bundle_dir = ResolvePath(".", bundle_dir);
  spec.raw = doc;

  RETURN_IF_ERROR(RequiredField(doc, "ociVersion", "", &spec.oci_version));
  if (spec.oci_version.empty()) {
    return Invalid("ociVersion must be a non-empty string");
  }

  const json* process = Member(doc, "process");
  if (process == nullptr) return Invalid("process must be an object");
  RETURN_IF_ERROR(ReadProcess(*process, "process", &spec.process));

  const json* root = Member(doc, "root");
  if (root == nullptr) return Invalid("root must be an object");
  RETURN_IF_ERROR(CheckObject(*root, "root"));
  RETURN_IF_ERROR(RequiredField(*root, "path", "root", &spec.root.raw_path));
  if (spec.root.raw_path.empty()) {
    return Invalid("root.path must be a non-empty string");
  }
  spec.root.path = ResolvePath(spec.root.raw_path, spec.bundle_dir);
  RETURN_IF_ERROR(Field(*root, "readonly", "root", &spec.root.readonly));

  RETURN_IF_ERROR(Field(doc, "hostname", "", &spec.hostname));
  RETURN_IF_ERROR(Field(doc, "domainname", "", &spec.domainname));
  RETURN_IF_ERROR(ObjectArray(doc, "mounts", "", &spec.mounts, ParseMount));
  if (const json* hooks = Member(doc, "hooks")) {
    RETURN_IF_ERROR(ParseHooks(*hooks, &spec.hooks));
  }
  RETURN_IF_ERROR(Field(doc, "annotations", "", &spec.annotations));
  if (const json* l = Member(doc, "linux")) {
    spec.has_linux = true;
    RETURN_IF_ERROR(ParseLinux(*l, &spec.linux_spec));
  }
  return spec;
}

absl::StatusOr<Process> ProcessFromJson(const nlohmann::json& doc) {
  Process process;
  RETURN_IF_ERROR(ReadProcess(doc, "process", &process));
  return process;
}

absl::StatusOr<Process> ParseProcess(absl::string_view json_text) {
  json doc;
  try {
    doc = json::parse(json_text.begin(), json_text.end());
  } catch (const json::parse_error& e) {
    return Invalid(absl::StrCat("process is not valid JSON: ", e.what()));
  }
  return ProcessFromJson(doc);
}

absl::StatusOr<Spec> ParseSpec(absl::string_view json_text,
                               absl::string_view bundle_dir) {
  json doc;
  try {
    doc = json::parse(json_text.begin(), json_text.end());
  } catch (const json::parse_error& e) {
    return Invalid(absl::StrCat("config.json is not valid JSON: ", e.what()));
  }
  return SpecFromJson(doc, bundle_dir);
}

absl::StatusOr<Spec> LoadBundle(const std::string& bundle_dir) {
  const std::string dir = bundle_dir.empty() ? "." : bundle_dir;
  const std::string path = absl::StrCat(dir, "/config.json");
  base::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return base::ErrnoStatus(errno, absl::StrCat("open ", path));
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(errno, absl::StrCat("read ", path));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  absl::StatusOr<Spec> spec = ParseSpec(text, dir);
  if (!spec.ok()) {
    return absl::Status(spec.status().code(),
                        absl::StrCat(path, ": ", spec.status().message()));
  }
  return spec;
}

}  // namespace runsc::specutils
