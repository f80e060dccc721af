#include "runsc/cgroup/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/errors.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"

namespace runsc::cgroup {
namespace {

using json = nlohmann::json;

// Controllers whose files we write or read: a hierarchy holding one of them
// must work; the others are joined on a best-effort basis.
constexpr const char* kManaged[] = {"memory", "cpu", "cpuacct", "cpuset",
                                    "pids"};
// Controllers enabled for the container in v2's subtree_control.
constexpr const char* kV2Enable[] = {"cpu", "cpuset", "memory", "pids"};

bool Essential(const Hierarchy& h) {
  for (const char* c : kManaged) {
    if (h.Has(c)) return true;
  }
  return false;
}

bool HasController(const Placement& p, absl::string_view c) {
  for (const std::string& x : p.controllers) {
    if (x == c) return true;
  }
  return false;
}

bool Essential(const Placement& p) {
  for (const char* c : kManaged) {
    if (HasController(p, c)) return true;
  }
  return false;
}

absl::StatusOr<std::string> ReadValue(const std::string& path) {
  base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return base::ErrnoStatus(errno, "reading " + path);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::ErrnoStatus(errno, "reading " + path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return std::string(absl::StripAsciiWhitespace(out));
}

// A number, or "max" (-> `max_value`). 0 if absent or unparsable.
uint64_t ReadU64(const std::string& path, uint64_t max_value = 0) {
  absl::StatusOr<std::string> v = ReadValue(path);
  if (!v.ok()) return 0;
  if (*v == "max") return max_value;
  uint64_t n = 0;
  int64_t s = 0;
  if (absl::SimpleAtoi(*v, &n)) return n;
  if (absl::SimpleAtoi(*v, &s) && s < 0) return max_value;
  return 0;
}

// "key value" lines (cpu.stat, cpuacct.stat, memory.events).
uint64_t ReadKeyed(const std::string& path, absl::string_view key) {
  absl::StatusOr<std::string> v = ReadValue(path);
  if (!v.ok()) return 0;
  for (absl::string_view line : absl::StrSplit(*v, '\n')) {
    std::vector<absl::string_view> f =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t n;
    if (f.size() == 2 && f[0] == key && absl::SimpleAtoi(f[1], &n)) return n;
  }
  return 0;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string LimitValue(int64_t v) { return v < 0 ? "max" : std::to_string(v); }

// runc's ConvertMemorySwapToCgroupV2Value: v1's swap is memory+swap, v2's
// memory.swap.max is swap alone. 0 = leave unset, -1 = max.
absl::StatusOr<int64_t> SwapToV2(int64_t swap, int64_t memory) {
  if (memory == -1 && swap == 0) return -1;
  if (swap == -1 || swap == 0) return swap;
  if (memory == 0 || memory == -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "memory.swap ", swap, ": a swap limit needs a memory limit"));
  }
  if (memory < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("memory.limit ", memory, " is not valid"));
  }
  if (swap < memory) {
    return absl::InvalidArgumentError(absl::StrCat(
        "memory.swap ", swap, " (memory+swap) is below memory.limit ", memory));
  }
  return swap - memory;
}

// runc's ConvertCPUSharesToCgroupV2Value: [2, 262144] -> [1, 10000].
uint64_t SharesToWeight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

template <typename T>
absl::Status Get(const json& obj, const char* group, const char* key,
                 std::optional<T>* out) {
  if (!obj.contains(group) || obj[group].is_null()) return absl::OkStatus();
  const json& g = obj[group];
  if (!g.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("linux.resources.", group, " must be an object"));
  }
  if (!g.contains(key) || g[key].is_null()) return absl::OkStatus();
  const json& v = g[key];
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "linux.resources.", group, ".", key, " must be a string"));
    }
    *out = v.get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "linux.resources.", group, ".", key, " must be a boolean"));
    }
    *out = v.get<bool>();
  } else {
    if (!v.is_number_integer() ||
        (std::is_unsigned_v<T> && v.get<int64_t>() < 0 &&
         !v.is_number_unsigned())) {
      return absl::InvalidArgumentError(
          absl::StrCat("linux.resources.", group, ".", key, " must be a",
                       std::is_unsigned_v<T> ? " non-negative" : "n",
                       " integer, not ", v.dump()));
    }
    *out = v.get<T>();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Resources> ResourcesFromJson(const json& r) {
  Resources out;
  if (r.is_null()) return out;
  if (!r.is_object()) {
    return absl::InvalidArgumentError("linux.resources must be an object");
  }
  RETURN_IF_ERROR(Get(r, "memory", "limit", &out.memory_limit));
  RETURN_IF_ERROR(Get(r, "memory", "reservation", &out.memory_reservation));
  RETURN_IF_ERROR(Get(r, "memory", "swap", &out.memory_swap));
  RETURN_IF_ERROR(Get(r, "memory", "swappiness", &out.memory_swappiness));
  RETURN_IF_ERROR(
      Get(r, "memory", "disableOOMKiller", &out.disable_oom_killer));
  RETURN_IF_ERROR(Get(r, "cpu", "shares", &out.cpu_shares));
  RETURN_IF_ERROR(Get(r, "cpu", "quota", &out.cpu_quota));
  RETURN_IF_ERROR(Get(r, "cpu", "period", &out.cpu_period));
  RETURN_IF_ERROR(Get(r, "cpu", "realtimeRuntime", &out.cpu_rt_runtime));
  RETURN_IF_ERROR(Get(r, "cpu", "realtimePeriod", &out.cpu_rt_period));
  RETURN_IF_ERROR(Get(r, "cpu", "cpus", &out.cpuset_cpus));
  RETURN_IF_ERROR(Get(r, "cpu", "mems", &out.cpuset_mems));
  RETURN_IF_ERROR(Get(r, "pids", "limit", &out.pids_limit));
  if (out.memory_swappiness && *out.memory_swappiness > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("linux.resources.memory.swappiness ",
                     *out.memory_swappiness, " must be between 0 and 100"));
  }
  return out;
}

absl::Status Cgroup::Write(const std::string& dir, const std::string& file,
                           const std::string& value) const {
  const std::string path = dir + "/" + file;
  int flags = O_WRONLY | O_CLOEXEC;
  if (env_.fake_files) {
    flags |= O_CREAT | (file == "cgroup.procs" ? O_APPEND : O_TRUNC);
  } else {
    flags |= O_TRUNC;
  }
  base::UniqueFd fd(::open(path.c_str(), flags, 0644));
  if (!fd.valid()) {
    return base::ErrnoStatus(
        errno, absl::StrCat("cgroup: writing \"", value, "\" to ", path));
  }
  std::string data =
      env_.fake_files && file == "cgroup.procs" ? value + "\n" : value;
  ssize_t n;
  do {
    n = ::write(fd.get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(data.size())) {
    return base::ErrnoStatus(
        n < 0 ? errno : EIO,
        absl::StrCat("cgroup: writing \"", value, "\" to ", path));
  }
  return absl::OkStatus();
}

absl::Status Cgroup::MakeLevels(const Hierarchy& h, const std::string& dir,
                                Placement* out) {
  std::string rest = dir.substr(h.mount_point.size());
  std::string cur = h.mount_point;
  std::vector<std::string> levels;
  for (absl::string_view c : absl::StrSplit(rest, '/', absl::SkipEmpty())) {
    std::string parent = cur;
    absl::StrAppend(&cur, "/", c);
    levels.push_back(cur);
    if (h.unified && !h.controllers.empty()) {
      // v2: a child gets only what its parent enabled in subtree_control.
      absl::StatusOr<std::string> avail =
          ReadValue(parent + "/cgroup.controllers");
      absl::StatusOr<std::string> on =
          ReadValue(parent + "/cgroup.subtree_control");
      if (avail.ok()) {
        std::vector<absl::string_view> a =
            absl::StrSplit(*avail, ' ', absl::SkipEmpty());
        std::vector<absl::string_view> e;
        if (on.ok()) e = absl::StrSplit(*on, ' ', absl::SkipEmpty());
        std::string enable;
        for (const char* want : kV2Enable) {
          bool available = std::find(a.begin(), a.end(), want) != a.end();
          bool enabled = std::find(e.begin(), e.end(), want) != e.end();
          if (available && !enabled) {
            absl::StrAppend(&enable, enable.empty() ? "" : " ", "+", want);
          }
        }
        if (!enable.empty()) {
          RETURN_IF_ERROR(Write(parent, "cgroup.subtree_control", enable));
        }
      }
    }
    if (::mkdir(cur.c_str(), 0755) == 0) {
      out->created.push_back(cur);
    } else if (errno != EEXIST) {
      return base::ErrnoStatus(errno, "cgroup: mkdir " + cur);
    }
    if (!h.unified && h.Has("cpuset")) {
      // A new v1 cpuset is empty and refuses processes: inherit.
      for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
        absl::StatusOr<std::string> mine = ReadValue(cur + "/" + f);
        if (mine.ok() && !mine->empty()) continue;
        absl::StatusOr<std::string> theirs = ReadValue(parent + "/" + f);
        if (!theirs.ok()) return theirs.status();
        RETURN_IF_ERROR(Write(cur, f, *theirs));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Cgroup> Cgroup::Create(const Environment& env,
                                      const Layout& layout,
                                      const CgroupPath& path,
                                      const Resources& resources) {
  Cgroup cg(env, path.path);
  for (const Hierarchy& h : layout.hierarchies) {
    Placement p;
    p.hierarchy = h.Name();
    p.unified = h.unified;
    p.controllers = h.controllers;
    p.dir = DirectoryIn(h, path);
    absl::Status s = cg.MakeLevels(h, p.dir, &p);
    if (!s.ok() && Essential(h)) {
      cg.placements_.push_back(std::move(p));
      (void)cg.Destroy(0);
      return s;
    }
    if (!s.ok()) {
      LOG(WARNING) << "cgroup: skipping hierarchy " << h.Name() << ": " << s;
      // Remove what was made; keep nothing of this hierarchy.
      for (auto it = p.created.rbegin(); it != p.created.rend(); ++it) {
        ::rmdir(it->c_str());
      }
      continue;
    }
    cg.placements_.push_back(std::move(p));
  }
  absl::Status s = cg.Update(resources);
  if (!s.ok()) {
    (void)cg.Destroy(0);
    return s;
  }
  return cg;
}

absl::Status Cgroup::AddProcess(pid_t pid) const {
  for (const Placement& p : placements_) {
    absl::Status s = Write(p.dir, "cgroup.procs", std::to_string(pid));
    if (!s.ok()) {
      if (Essential(p)) return s;
      LOG(WARNING) << s;  // a hierarchy we only join (freezer, systemd, ...)
    }
  }
  return absl::OkStatus();
}

absl::Status Cgroup::WriteV1(const Resources& r) const {
  for (const Placement& p : placements_) {
    if (p.unified) continue;
    if (HasController(p, "memory")) {
      int64_t limit = r.memory_limit.value_or(0);
      int64_t swap = r.memory_swap.value_or(0);
      const bool have_memsw = Exists(p.dir + "/memory.memsw.limit_in_bytes");
      // Unlimited memory with swap not given: swap unlimited too (runc).
      if (limit == -1 && swap == 0 && have_memsw) swap = -1;
      auto set_limit = [&] {
        return Write(p.dir, "memory.limit_in_bytes", std::to_string(limit));
      };
      auto set_swap = [&]() -> absl::Status {
        if (!have_memsw && !env_.fake_files) {
          if (swap == -1) return absl::OkStatus();
          return absl::FailedPreconditionError(absl::StrCat(
              "cgroup: memory.swap ", swap, " given but ", p.dir,
              " has no memory.memsw.limit_in_bytes (no swap accounting)"));
        }
        return Write(p.dir, "memory.memsw.limit_in_bytes",
                     std::to_string(swap));
      };
      if (limit != 0 && swap != 0) {
        // The kernel wants memory <= memory+swap at every step.
        uint64_t cur = ReadU64(p.dir + "/memory.limit_in_bytes",
                               std::numeric_limits<uint64_t>::max());
        if (swap == -1 || cur < static_cast<uint64_t>(swap)) {
          RETURN_IF_ERROR(set_swap());
          RETURN_IF_ERROR(set_limit());
        } else {
          RETURN_IF_ERROR(set_limit());
          RETURN_IF_ERROR(set_swap());
        }
      } else {
        if (limit != 0) RETURN_IF_ERROR(set_limit());
        if (swap != 0) RETURN_IF_ERROR(set_swap());
      }
      if (r.memory_reservation.value_or(0) != 0) {
        RETURN_IF_ERROR(Write(p.dir, "memory.soft_limit_in_bytes",
                              std::to_string(*r.memory_reservation)));
      }
      if (r.memory_swappiness) {
        RETURN_IF_ERROR(Write(p.dir, "memory.swappiness",
                              std::to_string(*r.memory_swappiness)));
      }
      if (r.disable_oom_killer.value_or(false)) {
        RETURN_IF_ERROR(Write(p.dir, "memory.oom_control", "1"));
      }
    }
    if (HasController(p, "cpu")) {
      if (r.cpu_shares.value_or(0) != 0) {
        RETURN_IF_ERROR(
            Write(p.dir, "cpu.shares", std::to_string(*r.cpu_shares)));
      }
      const uint64_t period = r.cpu_period.value_or(0);
      const int64_t quota = r.cpu_quota.value_or(0);
      auto set_period = [&] {
        return Write(p.dir, "cpu.cfs_period_us", std::to_string(period));
      };
      auto set_quota = [&] {
        return Write(p.dir, "cpu.cfs_quota_us", std::to_string(quota));
      };
      if (period != 0 && quota != 0) {
        // A new period may be refused under the old quota and vice versa.
        if (!set_period().ok()) {
          RETURN_IF_ERROR(set_quota());
          RETURN_IF_ERROR(set_period());
        } else {
          RETURN_IF_ERROR(set_quota());
        }
      } else {
        if (period != 0) RETURN_IF_ERROR(set_period());
        if (quota != 0) RETURN_IF_ERROR(set_quota());
      }
      if (r.cpu_rt_period.value_or(0) != 0) {
        RETURN_IF_ERROR(
            Write(p.dir, "cpu.rt_period_us", std::to_string(*r.cpu_rt_period)));
      }
      if (r.cpu_rt_runtime.value_or(0) != 0) {
        RETURN_IF_ERROR(Write(p.dir, "cpu.rt_runtime_us",
                              std::to_string(*r.cpu_rt_runtime)));
      }
    }
    RETURN_IF_ERROR(WriteCpusetAndPids(p, r));
  }
  return absl::OkStatus();
}

// cpuset and pids: the same files, values and rules in v1 and v2 (pids
// <= 0 means no limit, as runc).
absl::Status Cgroup::WriteCpusetAndPids(const Placement& p,
                                        const Resources& r) const {
  if (HasController(p, "cpuset")) {
    if (r.cpuset_cpus && !r.cpuset_cpus->empty()) {
      RETURN_IF_ERROR(Write(p.dir, "cpuset.cpus", *r.cpuset_cpus));
    }
    if (r.cpuset_mems && !r.cpuset_mems->empty()) {
      RETURN_IF_ERROR(Write(p.dir, "cpuset.mems", *r.cpuset_mems));
    }
  }
  if (HasController(p, "pids") && r.pids_limit) {
    RETURN_IF_ERROR(Write(p.dir, "pids.max",
                          LimitValue(*r.pids_limit > 0 ? *r.pids_limit : -1)));
  }
  return absl::OkStatus();
}

absl::Status Cgroup::WriteV2(const Placement& p, const Resources& r) const {
  if (HasController(p, "memory")) {
    int64_t limit = r.memory_limit.value_or(0);
    int64_t swap_in = r.memory_swap.value_or(0);
    int64_t for_swap = limit;
    if (swap_in != 0 && limit == 0) {
      // update of swap alone: convert against the current memory.max.
      absl::StatusOr<std::string> cur = ReadValue(p.dir + "/memory.max");
      int64_t n;
      if (cur.ok() && *cur == "max") for_swap = -1;
      if (cur.ok() && absl::SimpleAtoi(*cur, &n)) for_swap = n;
    }
    ASSIGN_OR_RETURN(int64_t swap, SwapToV2(swap_in, for_swap));
    if (swap != 0) {
      if (!Exists(p.dir + "/memory.swap.max") && !env_.fake_files) {
        if (swap != -1) {
          return absl::FailedPreconditionError(
              absl::StrCat("cgroup: memory.swap given but ", p.dir,
                           " has no memory.swap.max (no swap accounting)"));
        }
      } else {
        RETURN_IF_ERROR(Write(p.dir, "memory.swap.max", LimitValue(swap)));
      }
    }
    if (limit != 0) {
      RETURN_IF_ERROR(Write(p.dir, "memory.max", LimitValue(limit)));
    }
    if (r.memory_reservation.value_or(0) != 0) {
      RETURN_IF_ERROR(
          Write(p.dir, "memory.low", LimitValue(*r.memory_reservation)));
    }
    if (r.disable_oom_killer.value_or(false)) {
      LOG(WARNING) << "cgroup: disableOOMKiller has no cgroup v2 equivalent";
    }
  }
  if (HasController(p, "cpu")) {
    if (r.cpu_shares.value_or(0) != 0) {
      RETURN_IF_ERROR(Write(p.dir, "cpu.weight",
                            std::to_string(SharesToWeight(*r.cpu_shares))));
    }
    const uint64_t period = r.cpu_period.value_or(0);
    const int64_t quota = r.cpu_quota.value_or(0);
    if (quota != 0 || period != 0) {
      std::string q = quota > 0 ? std::to_string(quota) : "max";
      if (quota == 0) {
        // Period alone: keep the current quota ("max 100000" or "N P").
        absl::StatusOr<std::string> cur = ReadValue(p.dir + "/cpu.max");
        if (cur.ok()) {
          std::vector<std::string> f =
              absl::StrSplit(*cur, ' ', absl::SkipEmpty());
          if (!f.empty()) q = f[0];
        }
      }
      std::string v = period != 0 ? absl::StrCat(q, " ", period) : q;
      RETURN_IF_ERROR(Write(p.dir, "cpu.max", v));
    }
    if (r.cpu_rt_runtime.value_or(0) != 0 || r.cpu_rt_period.value_or(0) != 0) {
      return absl::InvalidArgumentError(
          "cgroup: cpu.realtimeRuntime/realtimePeriod are not supported on "
          "cgroup v2");
    }
  }
  RETURN_IF_ERROR(WriteCpusetAndPids(p, r));
  return absl::OkStatus();
}

absl::Status Cgroup::Update(const Resources& r) const {
  RETURN_IF_ERROR(WriteV1(r));
  for (const Placement& p : placements_) {
    if (p.unified) RETURN_IF_ERROR(WriteV2(p, r));
  }
  return absl::OkStatus();
}

std::string Cgroup::DirFor(const std::string& controller) const {
  for (const Placement& p : placements_) {
    if (HasController(p, controller)) return p.dir;
  }
  return "";
}

absl::StatusOr<Stats> Cgroup::ReadStats() const {
  Stats s;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (const Placement& p : placements_) {
    const std::string& d = p.dir;
    if (!p.unified) {
      if (HasController(p, "memory")) {
        s.has_memory = true;
        s.memory_usage = ReadU64(d + "/memory.usage_in_bytes");
        s.memory_max_usage = ReadU64(d + "/memory.max_usage_in_bytes");
        s.memory_limit = ReadU64(d + "/memory.limit_in_bytes", kMax);
        s.memory_failcnt = ReadU64(d + "/memory.failcnt");
        s.swap_usage = ReadU64(d + "/memory.memsw.usage_in_bytes");
        s.swap_limit = ReadU64(d + "/memory.memsw.limit_in_bytes", kMax);
      }
      if (HasController(p, "pids")) {
        s.has_pids = true;
        s.pids_current = ReadU64(d + "/pids.current");
        s.pids_limit = ReadU64(d + "/pids.max", 0);
      }
      if (HasController(p, "cpuacct")) {
        s.has_cpu = true;
        s.cpu_total_ns = ReadU64(d + "/cpuacct.usage");
        const uint64_t hz = static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
        const uint64_t tick_ns = hz > 0 ? 1000000000ull / hz : 10000000ull;
        s.cpu_user_ns = ReadKeyed(d + "/cpuacct.stat", "user") * tick_ns;
        s.cpu_kernel_ns = ReadKeyed(d + "/cpuacct.stat", "system") * tick_ns;
      }
      if (HasController(p, "cpu")) {
        s.cpu_periods = ReadKeyed(d + "/cpu.stat", "nr_periods");
        s.cpu_throttled_periods = ReadKeyed(d + "/cpu.stat", "nr_throttled");
        s.cpu_throttled_ns = ReadKeyed(d + "/cpu.stat", "throttled_time");
      }
      continue;
    }
    if (HasController(p, "memory") && !s.has_memory) {
      s.has_memory = true;
      s.memory_usage = ReadU64(d + "/memory.current");
      s.memory_max_usage = ReadU64(d + "/memory.peak");
      if (s.memory_max_usage == 0) s.memory_max_usage = s.memory_usage;
      s.memory_limit = ReadU64(d + "/memory.max", kMax);
      s.memory_failcnt = ReadKeyed(d + "/memory.events", "max");
      s.swap_usage = ReadU64(d + "/memory.swap.current");
      s.swap_limit = ReadU64(d + "/memory.swap.max", kMax);
    }
    if (HasController(p, "pids") && !s.has_pids) {
      s.has_pids = true;
      s.pids_current = ReadU64(d + "/pids.current");
      s.pids_limit = ReadU64(d + "/pids.max", 0);
    }
    // cpu.stat's usage exists in every v2 cgroup, with or without the cpu
    // controller.
    if (!s.has_cpu && Exists(d + "/cpu.stat") &&
        (HasController(p, "cpu") || !p.controllers.empty() ||
         env_.fake_files)) {
      s.has_cpu = true;
      s.cpu_total_ns = ReadKeyed(d + "/cpu.stat", "usage_usec") * 1000;
      s.cpu_user_ns = ReadKeyed(d + "/cpu.stat", "user_usec") * 1000;
      s.cpu_kernel_ns = ReadKeyed(d + "/cpu.stat", "system_usec") * 1000;
      s.cpu_periods = ReadKeyed(d + "/cpu.stat", "nr_periods");
      s.cpu_throttled_periods = ReadKeyed(d + "/cpu.stat", "nr_throttled");
      s.cpu_throttled_ns = ReadKeyed(d + "/cpu.stat", "throttled_usec") * 1000;
    }
  }
  return s;
}

absl::StatusOr<std::vector<pid_t>> Cgroup::Pids() const {
  std::string dir = DirFor("memory");
  if (dir.empty() && !placements_.empty()) dir = placements_.front().dir;
  if (dir.empty()) return std::vector<pid_t>{};
  ASSIGN_OR_RETURN(std::string text, ReadValue(dir + "/cgroup.procs"));
  std::vector<pid_t> out;
  for (absl::string_view l : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    int32_t v;
    if (absl::SimpleAtoi(l, &v)) out.push_back(v);
  }
  return out;
}

absl::Status Cgroup::Destroy(int busy_retry_ms) {
  absl::Status first;
  for (Placement& p : placements_) {
    while (!p.created.empty()) {
      const std::string d = p.created.back();
      if (env_.fake_files) {
        // A fake tree's control files are plain files.
        if (DIR* dir = ::opendir(d.c_str())) {
          while (struct dirent* e = ::readdir(dir)) {
            if (e->d_type == DT_REG) ::unlinkat(dirfd(dir), e->d_name, 0);
          }
          ::closedir(dir);
        }
      }
      absl::Time deadline = absl::Now() + absl::Milliseconds(busy_retry_ms);
      int r;
      while ((r = ::rmdir(d.c_str())) != 0 && errno == EBUSY && d == p.dir &&
             absl::Now() < deadline) {
        absl::SleepFor(absl::Milliseconds(10));
      }
      if (r == 0 || errno == ENOENT) {
        p.created.pop_back();
        continue;
      }
      if (d != p.dir && (errno == EBUSY || errno == ENOTEMPTY)) {
        // A parent another cgroup still lives in: it stays, and so do the
        // levels above it.
        LOG(DEBUG) << "cgroup: " << d << " still in use; left";
        p.created.clear();
        break;
      }
      absl::Status s = base::ErrnoStatus(errno, "cgroup: rmdir " + d);
      if (first.ok()) first = s;
      break;
    }
  }
  return first;
}

json Cgroup::ToJson() const {
  json ps = json::array();
  for (const Placement& p : placements_) {
    ps.push_back({{"hierarchy", p.hierarchy},
                  {"unified", p.unified},
                  {"controllers", p.controllers},
                  {"dir", p.dir},
                  {"created", p.created}});
  }
  return {{"path", path_}, {"placements", ps}};
}

absl::StatusOr<Cgroup> Cgroup::FromJson(const Environment& env,
                                        const json& doc) {
  if (!doc.is_object() || !doc.contains("placements") ||
      !doc["placements"].is_array()) {
    return absl::InvalidArgumentError("cgroup record: no placements");
  }
  Cgroup cg(env, doc.value("path", ""));
  try {
    for (const json& j : doc["placements"]) {
      Placement p;
      p.hierarchy = j.at("hierarchy").get<std::string>();
      p.unified = j.at("unified").get<bool>();
      p.controllers = j.at("controllers").get<std::vector<std::string>>();
      p.dir = j.at("dir").get<std::string>();
      p.created = j.at("created").get<std::vector<std::string>>();
      cg.placements_.push_back(std::move(p));
    }
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cgroup record: ", e.what()));
  }
  return cg;
}

}  // namespace runsc::cgroup
