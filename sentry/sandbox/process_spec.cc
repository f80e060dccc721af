#include "sentry/sandbox/process_spec.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "sentry/auth/capabilities.h"

namespace sentry::sandbox {

using json = nlohmann::json;

namespace {

// One set of process.capabilities as a mask. Names this kernel does not know
// are skipped with a warning, like runc 1.1 (engines send newer ones).
absl::StatusOr<uint64_t> CapMaskOf(const json& caps, const char* set) {
  uint64_t mask = 0;
  if (!caps.contains(set)) return mask;
  for (const auto& n : caps.at(set)) {
    const std::string name = n.get<std::string>();
    int cap = auth::CapabilityByName(name);
    if (cap < 0) {
      LOG(WARNING) << "process.capabilities." << set << ": ignoring unknown "
                   << name;
      continue;
    }
    mask |= auth::CapMask(cap);
  }
  return mask;
}

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

}  // namespace

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
    ps.no_new_privs = p.value("noNewPrivileges", false);
    if (p.contains("capabilities") && !p["capabilities"].is_null()) {
      const json& c = p["capabilities"];
      CapSets cs;
      ASSIGN_OR_RETURN(cs.bounding, CapMaskOf(c, "bounding"));
      ASSIGN_OR_RETURN(cs.effective, CapMaskOf(c, "effective"));
      ASSIGN_OR_RETURN(cs.permitted, CapMaskOf(c, "permitted"));
      ASSIGN_OR_RETURN(cs.inheritable, CapMaskOf(c, "inheritable"));
      ASSIGN_OR_RETURN(cs.ambient, CapMaskOf(c, "ambient"));
      ps.caps = cs;
    }
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

}  // namespace sentry::sandbox
