#include "runsc/cmd/exec_process.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "runsc/specutils/spec.h"

namespace runsc::cmd {
namespace {

using json = nlohmann::json;

absl::Status ParseUser(const std::string& user, uint32_t* uid, uint32_t* gid,
                       bool* has_gid) {
  std::vector<std::string> parts = absl::StrSplit(user, ':');
  *has_gid = parts.size() == 2;
  if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], uid) ||
      (*has_gid && !absl::SimpleAtoi(parts[1], gid))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "exec: invalid --user \"", user, "\": want uid[:gid] (numbers)"));
  }
  return absl::OkStatus();
}

void AddCap(json& caps, const char* set, const std::string& cap) {
  if (!caps.contains(set) || !caps[set].is_array()) caps[set] = json::array();
  for (const auto& c : caps[set]) {
    if (c == cap) return;
  }
  caps[set].push_back(cap);
}

}  // namespace

absl::StatusOr<json> BuildExecProcess(const cli::ExecOptions& o,
                                      const std::string& process_file_text,
                                      const json& spec_process) {
  json p;
  if (!o.process.empty()) {
    absl::StatusOr<specutils::Process> parsed =
        specutils::ParseProcess(process_file_text);
    if (!parsed.ok()) {
      return absl::Status(parsed.status().code(),
                          absl::StrCat("exec: process file ", o.process, ": ",
                                       parsed.status().message()));
    }
    p = json::parse(process_file_text, nullptr, false);
    if (!p.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "exec: process file ", o.process, " is not a JSON object"));
    }
    if (o.tty) p["terminal"] = true;
    if (!p.contains("cwd") || p["cwd"] == "") p["cwd"] = "/";
    return p;
  }
  if (o.args.empty()) {
    return absl::InvalidArgumentError(
        "exec: no command given (pass --process FILE or a command after the "
        "container ID)");
  }
  p = spec_process.is_object() ? spec_process : json::object();
  p.erase("consoleSize");
  p["args"] = o.args;
  p["terminal"] = o.tty;
  if (!o.cwd.empty()) p["cwd"] = o.cwd;
  if (!p.contains("cwd") || p["cwd"] == "") p["cwd"] = "/";
  if (!o.env.empty()) {
    if (!p.contains("env") || !p["env"].is_array()) p["env"] = json::array();
    for (const std::string& e : o.env) p["env"].push_back(e);
  }
  if (!p.contains("user") || !p["user"].is_object()) {
    p["user"] = {{"uid", 0}, {"gid", 0}};
  }
  if (!o.user.empty()) {
    uint32_t uid = 0, gid = 0;
    bool has_gid = false;
    RETURN_IF_ERROR(ParseUser(o.user, &uid, &gid, &has_gid));
    p["user"]["uid"] = uid;
    // runc: a missing gid means gid 0.
    p["user"]["gid"] = has_gid ? gid : 0;
  }
  if (!o.additional_gids.empty()) {
    json gids = json::array();
    for (int64_t g : o.additional_gids) {
      if (g < 0 || g > UINT32_MAX) {
        return absl::InvalidArgumentError(
            absl::StrCat("exec: invalid --additional-gids value ", g));
      }
      gids.push_back(g);
    }
    p["user"]["additionalGids"] = gids;
  }
  if (!o.caps.empty()) {
    if (!p.contains("capabilities") || !p["capabilities"].is_object()) {
      p["capabilities"] = json::object();
    }
    for (const std::string& c : o.caps) {
      std::string cap = c.rfind("CAP_", 0) == 0 ? c : "CAP_" + c;
      for (const char* set :
           {"bounding", "effective", "permitted", "inheritable", "ambient"}) {
        AddCap(p["capabilities"], set, cap);
      }
    }
  }
  if (o.no_new_privs) p["noNewPrivileges"] = true;
  // The result must be a valid process, as the file would have to be.
  absl::StatusOr<specutils::Process> check = specutils::ParseProcess(p.dump());
  if (!check.ok()) {
    return absl::Status(check.status().code(),
                        absl::StrCat("exec: ", check.status().message()));
  }
  return p;
}

}  // namespace runsc::cmd
