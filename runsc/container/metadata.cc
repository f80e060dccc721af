// Metadata <-> JSON, the OCI state document, IDs, the default root, and the
// liveness check.
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "runsc/container/store.h"
#include "runsc/specutils/spec.h"

namespace runsc::container {
namespace {

using json = nlohmann::json;

// Bumped if the meta.json layout changes incompatibly.
constexpr int kMetadataVersion = 1;

absl::Status Corrupt(absl::string_view field, absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat("meta.json: ", field, " must be ", want));
}

absl::Status GetString(const json& doc, const char* key, std::string* out,
                       bool required = false) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) {
    if (required) return Corrupt(key, "a string");
    return absl::OkStatus();
  }
  if (!it->is_string()) return Corrupt(key, "a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

template <typename T>
absl::Status GetInt(const json& doc, const char* key, T* out) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_number_integer()) return Corrupt(key, "an integer");
  *out = it->get<T>();
  return absl::OkStatus();
}

}  // namespace

std::string FormatRfc3339Nano(absl::Time t) {
  // %E*S prints only the fractional digits needed, like Go's RFC3339Nano.
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view s) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, s, &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad RFC 3339 time \"", s, "\": ", err));
  }
  return t;
}

json MetadataToJson(const Metadata& md) {
  json execs = json::array();
  for (const ExecRecord& e : md.execs) {
    execs.push_back({{"pid", e.pid}, {"start_time", e.start_time}});
  }
  return {
      {"version", kMetadataVersion},
      {"id", md.id},
      {"bundle", md.bundle},
      {"spec", md.spec},
      {"status", std::string(StatusName(md.status))},
      {"created", FormatRfc3339Nano(md.created)},
      {"owner", md.owner},
      {"console_socket", md.console_socket},
      {"sandbox_id", md.sandbox_id},
      {"sandbox_pid", md.sandbox_pid},
      {"sandbox_start_time", md.sandbox_start_time},
      {"gofer_pid", md.gofer_pid},
      {"init_pid", md.init_pid},
      {"init_start_time", md.init_start_time},
      {"control_socket", md.control_socket},
      {"annotations", md.annotations},
      {"execs", execs},
      {"extra", md.extra.is_object() ? md.extra : json::object()},
  };
}

absl::StatusOr<Metadata> MetadataFromJson(const json& doc) {
  if (!doc.is_object()) {
    return absl::InvalidArgumentError("meta.json: must be a JSON object");
  }
  int version = kMetadataVersion;
  RETURN_IF_ERROR(GetInt(doc, "version", &version));
  if (version != kMetadataVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("meta.json: unsupported version ", version));
  }
  Metadata md;
  RETURN_IF_ERROR(GetString(doc, "id", &md.id, /*required=*/true));
  RETURN_IF_ERROR(GetString(doc, "bundle", &md.bundle));
  if (auto it = doc.find("spec"); it != doc.end()) md.spec = *it;
  std::string status;
  RETURN_IF_ERROR(GetString(doc, "status", &status, /*required=*/true));
  ASSIGN_OR_RETURN(md.status, ParseStatus(status));
  std::string created;
  RETURN_IF_ERROR(GetString(doc, "created", &created));
  if (!created.empty()) {
    absl::StatusOr<absl::Time> t = ParseRfc3339(created);
    if (!t.ok()) return Corrupt("created", "an RFC 3339 time");
    md.created = *t;
  }
  RETURN_IF_ERROR(GetString(doc, "owner", &md.owner));
  RETURN_IF_ERROR(GetString(doc, "console_socket", &md.console_socket));
  RETURN_IF_ERROR(GetString(doc, "sandbox_id", &md.sandbox_id));
  RETURN_IF_ERROR(GetInt(doc, "sandbox_pid", &md.sandbox_pid));
  RETURN_IF_ERROR(GetInt(doc, "sandbox_start_time", &md.sandbox_start_time));
  RETURN_IF_ERROR(GetInt(doc, "gofer_pid", &md.gofer_pid));
  RETURN_IF_ERROR(GetInt(doc, "init_pid", &md.init_pid));
  RETURN_IF_ERROR(GetInt(doc, "init_start_time", &md.init_start_time));
  RETURN_IF_ERROR(GetString(doc, "control_socket", &md.control_socket));
  if (auto it = doc.find("annotations"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) return Corrupt("annotations", "an object");
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return Corrupt("annotations", "an object of strings");
      md.annotations[k] = v.get<std::string>();
    }
  }
  if (auto it = doc.find("execs"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return Corrupt("execs", "an array");
    for (const json& e : *it) {
      if (!e.is_object()) return Corrupt("execs", "an array of objects");
      ExecRecord rec;
      RETURN_IF_ERROR(GetInt(e, "pid", &rec.pid));
      RETURN_IF_ERROR(GetInt(e, "start_time", &rec.start_time));
      md.execs.push_back(rec);
    }
  }
  if (auto it = doc.find("extra"); it != doc.end() && it->is_object()) {
    md.extra = *it;
  }
  return md;
}

json OciState(const Metadata& md) {
  // Like runc: the pid is only meaningful while the container exists.
  pid_t pid = md.status == Status::kStopped ? 0 : md.init_pid;
  json state = {
      {"ociVersion", specutils::kOciVersion},
      {"id", md.id},
      {"status", std::string(StatusName(md.status))},
      {"pid", pid},
      {"bundle", md.bundle},
      {"rootfs", specutils::RootfsFromSpecJson(md.spec, md.bundle)},
      {"created", FormatRfc3339Nano(md.created)},
      {"owner", md.owner},
  };
  // runc omits empty annotations. Fall back to the spec's own when the
  // metadata recorded none.
  json annotations = json::object();
  for (const auto& [k, v] : md.annotations) annotations[k] = v;
  if (annotations.empty() && md.spec.is_object()) {
    auto it = md.spec.find("annotations");
    if (it != md.spec.end() && it->is_object()) {
      for (const auto& [k, v] : it->items()) {
        if (v.is_string()) annotations[k] = v;
      }
    }
  }
  if (!annotations.empty()) state["annotations"] = annotations;
  return state;
}

absl::Status ValidateId(absl::string_view id) {
  if (id.empty()) {
    return absl::InvalidArgumentError("container ID must not be empty");
  }
  if (id.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid container ID \"", id.substr(0, 32),
                     "...\": longer than ", kMaxIdLength, " characters"));
  }
  if (id == "." || id == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid container ID \"", id, "\""));
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '.' ||
              c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid container ID \"", id,
          "\": IDs may contain only letters, digits, '_', '+', '.' and '-'"));
    }
  }
  return absl::OkStatus();
}

std::string DefaultRoot() {
  const uid_t uid = geteuid();
  if (uid == 0) return "/run/runsc";
  const char* xdg = getenv("XDG_RUNTIME_DIR");
  if (xdg != nullptr && xdg[0] != '\0') return absl::StrCat(xdg, "/runsc");
  const std::string run_user = absl::StrCat("/run/user/", uid);
  struct stat st;
  if (stat(run_user.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return run_user + "/runsc";
  }
  return absl::StrCat("/tmp/runsc-", uid);
}

namespace {

struct ProcStat {
  char state = '?';
  uint64_t start_time = 0;
};

absl::StatusOr<ProcStat> ReadProcStat(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/stat");
  std::ifstream f(path);
  if (!f) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::stringstream buf;
  buf << f.rdbuf();
  const std::string text = buf.str();
  // The command name (field 2) may contain spaces and parentheses: the
  // fields that follow start after the last ')'.
  size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) {
    return absl::InternalError(absl::StrCat("cannot parse ", path));
  }
  std::vector<absl::string_view> fields = absl::StrSplit(
      absl::string_view(text).substr(close + 2), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  if (fields.size() < 20 || fields[0].empty()) {
    return absl::InternalError(absl::StrCat("cannot parse ", path));
  }
  ProcStat st;
  st.state = fields[0][0];
  if (!absl::SimpleAtoi(fields[19], &st.start_time)) {
    return absl::InternalError(absl::StrCat("cannot parse ", path));
  }
  return st;
}

}  // namespace

absl::StatusOr<uint64_t> ProcessStartTime(pid_t pid) {
  ASSIGN_OR_RETURN(ProcStat st, ReadProcStat(pid));
  return st.start_time;
}

bool ProcessAlive(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  // EPERM means the process exists but belongs to someone else.
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  absl::StatusOr<ProcStat> st = ReadProcStat(pid);
  if (!st.ok()) {
    // No /proc entry for a pid kill() found: it just exited, or /proc is not
    // mounted. Trust kill() unless we were asked to check the start time.
    return start_time == 0;
  }
  // A zombie has finished; only its parent's wait is outstanding.
  if (st->state == 'Z' || st->state == 'X') return false;
  if (start_time != 0 && st->start_time != start_time) return false;
  return true;
}

void RecordCreator(Metadata& md) {
  md.extra["creator_pid"] = getpid();
  md.extra["creator_start_time"] = ProcessStartTime(getpid()).value_or(0);
}

bool CreatorAlive(const Metadata& md) {
  if (!md.extra.is_object()) return true;
  auto pid = md.extra.find("creator_pid");
  auto start = md.extra.find("creator_start_time");
  if (pid == md.extra.end() || start == md.extra.end() ||
      !pid->is_number_integer() || !start->is_number_unsigned()) {
    return true;
  }
  return ProcessAlive(pid->get<pid_t>(), start->get<uint64_t>());
}

Status EffectiveStatus(const Metadata& md) {
  if (md.status == Status::kStopped) return md.status;
  // `create` was killed midway: nothing will ever make this container
  // created; whatever it launched is torn down by delete.
  if (md.status == Status::kCreating && !CreatorAlive(md)) {
    return Status::kStopped;
  }
  if (md.sandbox_pid > 0) {
    if (!ProcessAlive(md.sandbox_pid, md.sandbox_start_time)) {
      return Status::kStopped;
    }
    // A container that joined another's sandbox (docs/multi-container.md):
    // its init_pid is a waiter that exits with the container's init.
    if (!md.sandbox_id.empty() && md.sandbox_id != md.id && md.init_pid > 0 &&
        md.init_start_time != 0 &&
        !ProcessAlive(md.init_pid, md.init_start_time)) {
      return Status::kStopped;
    }
    return md.status;
  }
  if (md.init_pid > 0) {
    return ProcessAlive(md.init_pid, md.init_start_time) ? md.status
                                                         : Status::kStopped;
  }
  return md.status;
}

Metadata RefreshStatus(Metadata md) {
  md.status = EffectiveStatus(md);
  return md;
}

}  // namespace runsc::container
