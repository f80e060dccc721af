// Where the host's cgroup hierarchies are and where a container's cgroup
// goes in them (the cgroupfs driver's rules, as runc's).
//
// Discovery reads /proc/self/mountinfo (never a hard-coded /sys/fs/cgroup):
// every `cgroup` mount is a v1 hierarchy whose controllers are its super
// options (memory, cpu, cpuacct, cpuset, pids, freezer, name=systemd, ...);
// a `cgroup2` mount is the unified hierarchy, whose controllers are listed in
// cgroup.controllers at its root. Each controller is served by the hierarchy
// that has it, so v1, v2 and hybrid hosts (v1 controllers plus a cgroup2
// mount with none of them, like this project's CI machine) are one case.
// The first mount of a hierarchy wins (runc does the same).
//
// Path resolution (linux.cgroupsPath):
//  * absolute "/a/b": <mount point>/a/b in every hierarchy;
//  * relative "a/b": below the runtime's own cgroup (/proc/self/cgroup);
//  * empty: "<container id>" relative, runc's default with cgroupfs;
//  * "slice:prefix:name" or --systemd-cgroup: the systemd driver, which
//    needs a running systemd (/run/systemd/system); without one it is an
//    error that says so.
// ".." never climbs out of the hierarchy: paths are cleaned lexically like
// runc's CleanPath.
//
// Every file name is taken relative to Environment::prefix so that unit
// tests run against a fake tree in a temporary directory.
#ifndef RUNSC_CGROUP_LAYOUT_H_
#define RUNSC_CGROUP_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace runsc::cgroup {

// Host paths the module reads; tests point them at a fake tree.
struct Environment {
  std::string mountinfo = "/proc/self/mountinfo";
  std::string self_cgroup = "/proc/self/cgroup";
  // Exists when systemd is the init system (sd_booted's test).
  std::string systemd_run_dir = "/run/systemd/system";
  // Prepended to every mount point found in mountinfo.
  std::string prefix;
  // Tests only: files written are created if missing (a fake tree has no
  // kernel-made control files) and cgroup.procs is appended to.
  bool fake_files = false;
};

// One mounted hierarchy.
struct Hierarchy {
  std::string mount_point;  // on disk, prefix applied
  std::string root;         // the mount's root within the hierarchy
  bool unified = false;     // cgroup2
  // v1: from the super options ("memory", "cpu", "name=systemd", ...).
  // v2: cgroup.controllers at the mount's root.
  std::vector<std::string> controllers;
  // The runtime's own cgroup in this hierarchy (from /proc/self/cgroup),
  // as a path within the hierarchy; "/" when unknown.
  std::string own_cgroup = "/";

  bool Has(absl::string_view controller) const;
  // "memory", "cpu,cpuacct", "name=systemd", "unified".
  std::string Name() const;
};

struct Layout {
  std::vector<Hierarchy> hierarchies;

  // The hierarchy serving `controller`, or nullptr.
  const Hierarchy* Find(absl::string_view controller) const;
  // "v1", "v2" or "hybrid" (v1 controllers plus a cgroup2 mount).
  std::string Mode() const;
};

absl::StatusOr<Layout> DiscoverLayout(const Environment& env);

// Lexical clean ("a//b/../c" -> "a/c"); an absolute path stays absolute and
// ".." never climbs above its start.
std::string CleanPath(absl::string_view path);

// A resolved cgroupsPath: `path` is absolute (below each hierarchy's mount
// point) or relative (below the runtime's own cgroup).
struct CgroupPath {
  std::string path;
  bool relative = false;
};

// Applies the rules above. `systemd` is the global --systemd-cgroup flag.
absl::StatusOr<CgroupPath> ResolveCgroupsPath(const Environment& env,
                                              absl::string_view cgroups_path,
                                              absl::string_view container_id,
                                              bool systemd);

// The directory of `path` in hierarchy `h`.
std::string DirectoryIn(const Hierarchy& h, const CgroupPath& path);

}  // namespace runsc::cgroup

#endif  // RUNSC_CGROUP_LAYOUT_H_
