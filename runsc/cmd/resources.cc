#include "runsc/cmd/resources.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"

namespace runsc::cmd {
namespace {

using json = nlohmann::json;

// A cpuset list: "0-3,5,7-8".
bool ValidCpuList(const std::string& s) {
  if (s.empty()) return true;  // runc: empty means unchanged
  for (absl::string_view part : absl::StrSplit(s, ',')) {
    std::vector<absl::string_view> r = absl::StrSplit(part, '-');
    uint32_t a, b;
    if (r.size() == 1) {
      if (!absl::SimpleAtoi(r[0], &a)) return false;
    } else if (r.size() == 2) {
      if (!absl::SimpleAtoi(r[0], &a) || !absl::SimpleAtoi(r[1], &b) || a > b) {
        return false;
      }
    } else {
      return false;
    }
  }
  return true;
}

struct Field {
  const char* group;     // "memory", "cpu", "blockIO", "pids"
  const char* key;       // key within the group
  const char* flag;      // runc's flag
  bool allow_unlimited;  // -1 accepted
  bool is_string;        // cpus, mems
};

constexpr Field kFields[] = {
    {"memory", "limit", "--memory", true, false},
    {"memory", "reservation", "--memory-reservation", true, false},
    {"memory", "swap", "--memory-swap", true, false},
    {"memory", "kernel", "--kernel-memory", true, false},
    {"memory", "kernelTCP", "--kernel-memory-tcp", true, false},
    {"cpu", "shares", "--cpu-share", false, false},
    {"cpu", "quota", "--cpu-quota", true, false},
    {"cpu", "period", "--cpu-period", false, false},
    {"cpu", "realtimeRuntime", "--cpu-rt-runtime", false, false},
    {"cpu", "realtimePeriod", "--cpu-rt-period", false, false},
    {"cpu", "cpus", "--cpuset-cpus", false, true},
    {"cpu", "mems", "--cpuset-mems", false, true},
    {"blockIO", "weight", "--blkio-weight", false, false},
    {"pids", "limit", "--pids-limit", true, false},
};

const std::string* FlagValue(const cli::UpdateOptions& o,
                             absl::string_view flag) {
  const std::pair<const char*, const std::string*> all[] = {
      {"--memory", &o.memory},
      {"--memory-reservation", &o.memory_reservation},
      {"--memory-swap", &o.memory_swap},
      {"--kernel-memory", &o.kernel_memory},
      {"--kernel-memory-tcp", &o.kernel_memory_tcp},
      {"--cpu-share", &o.cpu_share},
      {"--cpu-quota", &o.cpu_quota},
      {"--cpu-period", &o.cpu_period},
      {"--cpu-rt-runtime", &o.cpu_rt_runtime},
      {"--cpu-rt-period", &o.cpu_rt_period},
      {"--cpuset-cpus", &o.cpuset_cpus},
      {"--cpuset-mems", &o.cpuset_mems},
      {"--blkio-weight", &o.blkio_weight},
      {"--pids-limit", &o.pids_limit},
  };
  for (const auto& [name, value] : all) {
    if (flag == name) return value;
  }
  return nullptr;
}

absl::Status CheckValue(const Field& f, const json& v) {
  std::string where = absl::StrCat(f.group, ".", f.key, " (", f.flag, ")");
  if (f.is_string) {
    if (!v.is_string() || !ValidCpuList(v.get<std::string>())) {
      return absl::InvalidArgumentError(
          absl::StrCat("update: ", where,
                       " wants a CPU list such as \"0-2,4\", not ", v.dump()));
    }
    return absl::OkStatus();
  }
  if (!v.is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrCat("update: ", where, " wants an integer, not ", v.dump()));
  }
  int64_t n = v.get<int64_t>();
  if (n < 0 && !(f.allow_unlimited && n == -1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "update: ", where, " must not be negative",
        f.allow_unlimited ? " (-1 means unlimited)" : "", ", got ", n));
  }
  if (std::string(f.group) == "blockIO" && n != 0 && (n < 10 || n > 1000)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "update: ", where, " must be between 10 and 1000, got ", n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<json> MergeResources(const json& current, const json& doc,
                                    const cli::UpdateOptions& flags) {
  json out = current.is_object() ? current : json::object();
  if (!doc.is_null() && !doc.is_object()) {
    return absl::InvalidArgumentError(
        "update: --resources must be a JSON object (linux.resources)");
  }
  for (const Field& f : kFields) {
    const json* v = nullptr;
    json from_flag;
    const std::string* flag = FlagValue(flags, f.flag);
    if (flag != nullptr && !flag->empty()) {
      if (f.is_string) {
        from_flag = *flag;
      } else {
        int64_t n;
        if (!absl::SimpleAtoi(*flag, &n)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "update: ", f.flag, " wants a number, not \"", *flag, "\""));
        }
        from_flag = n;
      }
      v = &from_flag;
    } else if (doc.is_object() && doc.contains(f.group) &&
               doc[f.group].is_object() && doc[f.group].contains(f.key) &&
               !doc[f.group][f.key].is_null()) {
      v = &doc[f.group][f.key];
    }
    if (v == nullptr) continue;
    RETURN_IF_ERROR(CheckValue(f, *v));
    if (!out.contains(f.group) || !out[f.group].is_object()) {
      out[f.group] = json::object();
    }
    out[f.group][f.key] = *v;
  }
  if (out.contains("memory")) {
    const json& m = out["memory"];
    if (m.is_object() && m.contains("limit") && m.contains("swap") &&
        m["limit"].is_number_integer() && m["swap"].is_number_integer() &&
        m["limit"].get<int64_t>() > 0 && m["swap"].get<int64_t>() > 0 &&
        m["swap"].get<int64_t>() < m["limit"].get<int64_t>()) {
      return absl::InvalidArgumentError(
          "update: memory.swap (memory+swap) must not be below memory.limit");
    }
  }
  return out;
}

}  // namespace runsc::cmd
