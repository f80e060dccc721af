#include "runsc/cgroup/layout.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/errors.h"

namespace runsc::cgroup {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' &&
        s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
        s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 +
                                      (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path);
  if (!in) return base::ErrnoStatus(errno, "reading " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Controllers of interest to a v1 mount: its super options minus the
// generic mount options.
std::vector<std::string> V1Controllers(absl::string_view super_options) {
  static const char* const kGeneric[] = {
      "rw",       "ro",    "relatime",      "noatime",
      "nosuid",   "nodev", "noexec",        "clone_children",
      "noprefix", "xattr", "cpuset_v2_mode"};
  std::vector<std::string> out;
  for (absl::string_view o : absl::StrSplit(super_options, ',')) {
    if (o.empty() || absl::StartsWith(o, "release_agent=")) continue;
    bool generic = false;
    for (const char* g : kGeneric) generic |= o == g;
    if (!generic) out.emplace_back(o);
  }
  return out;
}

}  // namespace

bool Hierarchy::Has(absl::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) !=
         controllers.end();
}

std::string Hierarchy::Name() const {
  return unified ? "unified" : absl::StrJoin(controllers, ",");
}

const Hierarchy* Layout::Find(absl::string_view controller) const {
  for (const Hierarchy& h : hierarchies) {
    if (h.Has(controller)) return &h;
  }
  return nullptr;
}

std::string Layout::Mode() const {
  bool v1 = false, v2 = false;
  for (const Hierarchy& h : hierarchies) {
    (h.unified ? v2 : v1) = true;
  }
  if (v1 && v2) return "hybrid";
  return v2 ? "v2" : "v1";
}

absl::StatusOr<Layout> DiscoverLayout(const Environment& env) {
  absl::StatusOr<std::string> text = ReadWhole(env.mountinfo);
  if (!text.ok()) return text.status();
  Layout layout;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    // id parent major:minor root mountpoint options [optional...] - fstype
    // source superoptions
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    auto sep = std::find(f.begin(), f.end(), "-");
    if (f.size() < 7 || sep == f.end() || f.end() - sep < 4) continue;
    absl::string_view fstype = *(sep + 1);
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    Hierarchy h;
    h.root = Unescape(f[3]);
    h.mount_point = env.prefix + Unescape(f[4]);
    h.unified = fstype == "cgroup2";
    if (h.unified) {
      absl::StatusOr<std::string> c =
          ReadWhole(h.mount_point + "/cgroup.controllers");
      if (c.ok()) {
        h.controllers = absl::StrSplit(absl::StripAsciiWhitespace(*c), ' ',
                                       absl::SkipEmpty());
      }
    } else {
      h.controllers = V1Controllers(*(sep + 3));
    }
    // The first mount of a hierarchy wins.
    bool dup = false;
    for (const Hierarchy& o : layout.hierarchies) {
      dup |= o.unified == h.unified &&
             (h.unified || o.controllers == h.controllers);
    }
    if (!dup) layout.hierarchies.push_back(std::move(h));
  }
  // Our own cgroup in each hierarchy: "id:ctrl,ctrl:path" ("0::path" for v2).
  absl::StatusOr<std::string> self = ReadWhole(env.self_cgroup);
  if (self.ok()) {
    for (absl::string_view line : absl::StrSplit(*self, '\n')) {
      std::vector<absl::string_view> f =
          absl::StrSplit(line, absl::MaxSplits(':', 2));
      if (f.size() != 3) continue;
      std::vector<absl::string_view> ctrls =
          absl::StrSplit(f[1], ',', absl::SkipEmpty());
      for (Hierarchy& h : layout.hierarchies) {
        bool match = ctrls.empty() ? h.unified
                                   : !h.unified && !h.controllers.empty() &&
                                         std::all_of(ctrls.begin(), ctrls.end(),
                                                     [&](absl::string_view c) {
                                                       return h.Has(c);
                                                     });
        if (match) h.own_cgroup = std::string(f[2]);
      }
    }
  }
  if (layout.hierarchies.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no cgroup or cgroup2 file system is mounted (", env.mountinfo, ")"));
  }
  return layout;
}

std::string CleanPath(absl::string_view path) {
  const bool abs = absl::StartsWith(path, "/");
  std::vector<absl::string_view> out;
  for (absl::string_view c : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (c == ".") continue;
    if (c == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(c);
  }
  std::string joined = absl::StrJoin(out, "/");
  return abs ? "/" + joined : joined;
}

absl::StatusOr<CgroupPath> ResolveCgroupsPath(const Environment& env,
                                              absl::string_view cgroups_path,
                                              absl::string_view container_id,
                                              bool systemd) {
  std::vector<absl::string_view> parts = absl::StrSplit(cgroups_path, ':');
  const bool systemd_form =
      parts.size() == 3 && cgroups_path.find('/') == absl::string_view::npos;
  if (systemd || systemd_form) {
    struct stat st;
    if (::stat(env.systemd_run_dir.c_str(), &st) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cgroupsPath \"", cgroups_path, "\"",
          systemd ? " with --systemd-cgroup"
                  : " is in systemd's form "
                    "(slice:prefix:name)",
          ": the systemd cgroup driver needs a running systemd, and this "
          "host has none (",
          env.systemd_run_dir,
          " is missing); use a cgroupfs path such as /runsc/<id>"));
    }
    return absl::UnimplementedError(absl::StrCat(
        "cgroupsPath \"", cgroups_path,
        "\": the systemd cgroup driver is not supported; use a cgroupfs path"));
  }
  CgroupPath out;
  if (cgroups_path.empty()) {
    out.path = CleanPath(container_id);
    out.relative = true;
  } else {
    out.path = CleanPath(cgroups_path);
    out.relative = !absl::StartsWith(out.path, "/");
  }
  if (out.path.empty() || out.path == "/") {
    return absl::InvalidArgumentError(
        absl::StrCat("cgroupsPath \"", cgroups_path,
                     "\" names the hierarchy's root, which a container "
                     "cannot own"));
  }
  return out;
}

std::string DirectoryIn(const Hierarchy& h, const CgroupPath& path) {
  if (!path.relative) return h.mount_point + path.path;
  // The own cgroup is a path within the hierarchy; the mount shows the part
  // below its root.
  std::string own = h.own_cgroup;
  if (h.root != "/" && absl::StartsWith(own, h.root)) {
    own = own.substr(h.root.size());
  }
  own = CleanPath("/" + own);
  if (own == "/") own.clear();
  return absl::StrCat(h.mount_point, own, "/", path.path);
}

}  // namespace runsc::cgroup
