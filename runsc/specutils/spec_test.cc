#include "runsc/specutils/spec.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runsc::specutils {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A config.json with every field this module reads, in the shapes Docker,
// containerd and podman send.
json FullConfig() {
  return json::parse(R"({
    "ociVersion": "1.0.2-dev",
    "process": {
      "terminal": true,
      "consoleSize": {"height": 25, "width": 80},
      "user": {"uid": 1000, "gid": 1001, "umask": 18,
               "additionalGids": [5, 6]},
      "args": ["/bin/sh", "-c", "echo hi"],
      "env": ["PATH=/usr/bin:/bin", "TERM=xterm", "EMPTY="],
      "cwd": "/home/user",
      "capabilities": {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_PERFMON", "CAP_BPF",
                     "CAP_CHECKPOINT_RESTORE", "CAP_FUTURE_THING"],
        "effective": ["CAP_KILL"],
        "inheritable": [],
        "permitted": ["CAP_KILL"],
        "ambient": ["CAP_KILL"]
      },
      "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1048576, "soft": 1024}],
      "noNewPrivileges": true,
      "apparmorProfile": "docker-default",
      "oomScoreAdj": -500,
      "selinuxLabel": "",
      "someFutureField": {"x": 1}
    },
    "root": {"path": "rootfs", "readonly": true},
    "hostname": "box",
    "domainname": "example.com",
    "mounts": [
      {"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
       "options": ["nosuid", "mode=755"]},
      {"destination": "/etc/hosts", "type": "bind",
       "source": "/var/lib/x/hosts", "options": ["rbind", "ro"]}
    ],
    "hooks": {
      "prestart": [{"path": "/usr/bin/libnetwork-setkey",
                    "args": ["libnetwork-setkey", "-exec-root=/var/run/docker"],
                    "env": ["A=B"], "timeout": 5}],
      "createRuntime": [{"path": "/bin/true"}],
      "createContainer": [{"path": "/bin/true"}],
      "startContainer": [{"path": "/bin/true"}],
      "poststart": [{"path": "/bin/true"}],
      "poststop": [{"path": "/bin/true"}, {"path": "/bin/false"}]
    },
    "annotations": {"io.kubernetes.cri.container-type": "sandbox",
                    "org.example/weird key": "v a l"},
    "linux": {
      "namespaces": [{"type": "pid"}, {"type": "network",
                      "path": "/proc/42/ns/net"}, {"type": "ipc"},
                     {"type": "uts"}, {"type": "mount"}, {"type": "user"},
                     {"type": "cgroup"}, {"type": "time"}],
      "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
      "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
      "sysctl": {"net.ipv4.ip_forward": "1"},
      "resources": {
        "devices": [{"allow": false, "access": "rwm"},
                    {"allow": true, "type": "c", "major": 1, "minor": 3,
                     "access": "rwm"}],
        "memory": {"limit": 536870912, "reservation": 268435456,
                   "swap": -1, "disableOOMKiller": false},
        "cpu": {"shares": 1024, "quota": 50000, "period": 100000,
                "cpus": "0-1", "mems": "0"},
        "pids": {"limit": 100},
        "blockIO": {"weight": 10},
        "unified": {"memory.high": "1G"}
      },
      "cgroupsPath": "/docker/abc",
      "seccomp": {"defaultAction": "SCMP_ACT_ERRNO",
                  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]},
      "maskedPaths": ["/proc/kcore"],
      "readonlyPaths": ["/proc/sys"],
      "rootfsPropagation": "rprivate",
      "mountLabel": "",
      "devices": [{"path": "/dev/fuse", "type": "c", "major": 10,
                   "minor": 229, "fileMode": 438, "uid": 0, "gid": 0}]
    },
    "unknownTopLevel": [1, 2, 3]
  })");
}

TEST(ParseSpecTest, FullConfigParses) {
  const json doc = FullConfig();
  absl::StatusOr<Spec> spec = ParseSpec(doc.dump(), "/bundles/b1");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->oci_version, "1.0.2-dev");
  EXPECT_EQ(spec->bundle_dir, "/bundles/b1");
  EXPECT_EQ(spec->raw, doc);

  const Process& p = spec->process;
  EXPECT_TRUE(p.terminal);
  ASSERT_TRUE(p.console_size.has_value());
  EXPECT_EQ(p.console_size->height, 25u);
  EXPECT_EQ(p.console_size->width, 80u);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 1001u);
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_THAT(p.user.additional_gids, ElementsAre(5u, 6u));
  EXPECT_THAT(p.args, ElementsAre("/bin/sh", "-c", "echo hi"));
  EXPECT_THAT(p.env, ElementsAre("PATH=/usr/bin:/bin", "TERM=xterm", "EMPTY="));
  EXPECT_EQ(p.cwd, "/home/user");
  ASSERT_TRUE(p.capabilities.has_value());
  EXPECT_THAT(p.capabilities->bounding,
              ElementsAre("CAP_CHOWN", "CAP_KILL", "CAP_PERFMON", "CAP_BPF",
                          "CAP_CHECKPOINT_RESTORE", "CAP_FUTURE_THING"));
  EXPECT_THAT(p.capabilities->effective, ElementsAre("CAP_KILL"));
  EXPECT_TRUE(p.capabilities->inheritable.empty());
  EXPECT_THAT(p.capabilities->ambient, ElementsAre("CAP_KILL"));
  ASSERT_EQ(p.rlimits.size(), 1u);
  EXPECT_EQ(p.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(p.rlimits[0].hard, 1048576u);
  EXPECT_EQ(p.rlimits[0].soft, 1024u);
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.apparmor_profile, "docker-default");
  EXPECT_EQ(p.oom_score_adj, -500);

  EXPECT_EQ(spec->root.path, "/bundles/b1/rootfs");
  EXPECT_EQ(spec->root.raw_path, "rootfs");
  EXPECT_TRUE(spec->root.readonly);
  EXPECT_EQ(spec->hostname, "box");
  EXPECT_EQ(spec->domainname, "example.com");

  ASSERT_EQ(spec->mounts.size(), 3u);
  EXPECT_EQ(spec->mounts[0].destination, "/proc");
  EXPECT_EQ(spec->mounts[0].type, "proc");
  EXPECT_TRUE(spec->mounts[0].options.empty());
  EXPECT_EQ(spec->mounts[2].source, "/var/lib/x/hosts");
  EXPECT_THAT(spec->mounts[2].options, ElementsAre("rbind", "ro"));

  ASSERT_EQ(spec->hooks.prestart.size(), 1u);
  EXPECT_EQ(spec->hooks.prestart[0].path, "/usr/bin/libnetwork-setkey");
  EXPECT_THAT(spec->hooks.prestart[0].args,
              ElementsAre("libnetwork-setkey", "-exec-root=/var/run/docker"));
  EXPECT_THAT(spec->hooks.prestart[0].env, ElementsAre("A=B"));
  EXPECT_EQ(spec->hooks.prestart[0].timeout, 5);
  EXPECT_EQ(spec->hooks.create_runtime.size(), 1u);
  EXPECT_EQ(spec->hooks.create_container.size(), 1u);
  EXPECT_EQ(spec->hooks.start_container.size(), 1u);
  EXPECT_EQ(spec->hooks.poststart.size(), 1u);
  ASSERT_EQ(spec->hooks.poststop.size(), 2u);
  EXPECT_EQ(spec->hooks.poststop[1].path, "/bin/false");
  EXPECT_FALSE(spec->hooks.poststop[1].timeout.has_value());

  EXPECT_EQ(spec->annotations.size(), 2u);
  EXPECT_EQ(spec->annotations.at("org.example/weird key"), "v a l");

  ASSERT_TRUE(spec->has_linux);
  const LinuxSpec& l = spec->linux_spec;
  ASSERT_EQ(l.namespaces.size(), 8u);
  ASSERT_NE(l.FindNamespace("network"), nullptr);
  EXPECT_EQ(l.FindNamespace("network")->path, "/proc/42/ns/net");
  EXPECT_EQ(l.FindNamespace("pid")->path, "");
  EXPECT_EQ(l.FindNamespace("nonsense"), nullptr);
  ASSERT_EQ(l.uid_mappings.size(), 1u);
  EXPECT_EQ(l.uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(l.gid_mappings[0].size, 65536u);
  EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
  ASSERT_TRUE(l.resources.has_value());
  ASSERT_EQ(l.resources->devices.size(), 2u);
  EXPECT_FALSE(l.resources->devices[0].allow);
  EXPECT_FALSE(l.resources->devices[0].major.has_value());
  EXPECT_EQ(l.resources->devices[1].major, 1);
  EXPECT_EQ(l.resources->devices[1].type, "c");
  ASSERT_TRUE(l.resources->memory.has_value());
  EXPECT_EQ(l.resources->memory->limit, 536870912);
  EXPECT_EQ(l.resources->memory->reservation, 268435456);
  EXPECT_EQ(l.resources->memory->swap, -1);
  EXPECT_EQ(l.resources->memory->disable_oom_killer, false);
  ASSERT_TRUE(l.resources->cpu.has_value());
  EXPECT_EQ(l.resources->cpu->shares, 1024u);
  EXPECT_EQ(l.resources->cpu->quota, 50000);
  EXPECT_EQ(l.resources->cpu->period, 100000u);
  EXPECT_EQ(l.resources->cpu->cpus, "0-1");
  EXPECT_EQ(l.resources->cpu->mems, "0");
  ASSERT_TRUE(l.resources->pids.has_value());
  EXPECT_EQ(l.resources->pids->limit, 100);
  EXPECT_EQ(l.resources->block_io, json({{"weight", 10}}));
  EXPECT_EQ(l.resources->unified, json({{"memory.high", "1G"}}));
  EXPECT_TRUE(l.resources->rdma.is_null());
  EXPECT_EQ(l.cgroups_path, "/docker/abc");
  EXPECT_EQ(l.seccomp, doc["linux"]["seccomp"]);
  EXPECT_THAT(l.masked_paths, ElementsAre("/proc/kcore"));
  EXPECT_THAT(l.readonly_paths, ElementsAre("/proc/sys"));
  EXPECT_EQ(l.rootfs_propagation, "rprivate");
  ASSERT_EQ(l.devices.size(), 1u);
  EXPECT_EQ(l.devices[0].path, "/dev/fuse");
  EXPECT_EQ(l.devices[0].major, 10);
  EXPECT_EQ(l.devices[0].minor, 229);
  EXPECT_EQ(l.devices[0].file_mode, 438u);
}

TEST(ParseSpecTest, MinimalConfig) {
  absl::StatusOr<Spec> spec = ParseSpec(
      R"({"ociVersion":"1.1.0","process":{"args":["true"],"cwd":"/"},
          "root":{"path":"/abs/rootfs"}})",
      "/b");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->root.path, "/abs/rootfs");
  EXPECT_FALSE(spec->root.readonly);
  EXPECT_FALSE(spec->has_linux);
  EXPECT_FALSE(spec->process.terminal);
  EXPECT_EQ(spec->process.user.uid, 0u);
  EXPECT_FALSE(spec->process.capabilities.has_value());
  EXPECT_TRUE(spec->linux_spec.seccomp.is_null());
  EXPECT_TRUE(spec->mounts.empty());
  EXPECT_TRUE(spec->annotations.empty());
}

TEST(ParseSpecTest, NullFieldsActAsAbsent) {
  absl::StatusOr<Spec> spec = ParseSpec(
      R"({"ociVersion":"1.1.0","process":{"args":["true"],"cwd":"/",
          "env":null,"capabilities":null},"root":{"path":"r"},
          "mounts":null,"hooks":null,"annotations":null,"linux":null})",
      "/b");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(spec->has_linux);
  EXPECT_FALSE(spec->process.capabilities.has_value());
}

TEST(ParseSpecTest, RootPathResolvedAgainstBundle) {
  auto parse = [](const std::string& root, const std::string& bundle) {
    json doc = {{"ociVersion", "1.1.0"},
                {"process", {{"args", {"sh"}}, {"cwd", "/"}}},
                {"root", {{"path", root}}}};
    absl::StatusOr<Spec> spec = ParseSpec(doc.dump(), bundle);
    EXPECT_TRUE(spec.ok()) << spec.status();
    return spec.ok() ? spec->root.path : std::string();
  };
  EXPECT_EQ(parse("rootfs", "/b"), "/b/rootfs");
  EXPECT_EQ(parse("./rootfs/", "/b/"), "/b/rootfs");
  EXPECT_EQ(parse("../other/rootfs", "/x/b"), "/x/other/rootfs");
  EXPECT_EQ(parse("/var/lib/overlay/merged", "/b"), "/var/lib/overlay/merged");

  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  EXPECT_EQ(parse("rootfs", "rel/bundle"),
            ResolvePath(absl::StrCat(cwd, "/rel/bundle/rootfs"), "/"));
}

TEST(ResolvePathTest, Cleans) {
  EXPECT_EQ(ResolvePath("a/./b/../c", "/base"), "/base/a/c");
  EXPECT_EQ(ResolvePath("/../..", "/base"), "/");
  EXPECT_EQ(ResolvePath(".", "/base//x/"), "/base/x");
  EXPECT_EQ(ResolvePath("//a//b//", "/"), "/a/b");
}

TEST(RootfsFromSpecJsonTest, Works) {
  EXPECT_EQ(RootfsFromSpecJson(FullConfig(), "/bun"), "/bun/rootfs");
  EXPECT_EQ(RootfsFromSpecJson(json{{"root", {{"path", "/abs"}}}}, "/bun"),
            "/abs");
  EXPECT_EQ(RootfsFromSpecJson(json::object(), "/bun"), "");
  EXPECT_EQ(RootfsFromSpecJson(json(nullptr), "/bun"), "");
  EXPECT_EQ(RootfsFromSpecJson(json{{"root", {{"path", 3}}}}, "/bun"), "");
}

// One bad config: a JSON-pointer edit applied to FullConfig() and the exact
// message it must produce.
struct BadCase {
  const char* name;
  const char* pointer;  // Where to change the document.
  json value;           // New value; a discarded value removes the member.
  const char* message;
};

json Remove() { return json(json::value_t::discarded); }

class BadConfigTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfigTest, FailsNamingTheField) {
  const BadCase& c = GetParam();
  json doc = FullConfig();
  json::json_pointer ptr(c.pointer);
  if (c.value.is_discarded()) {
    doc[ptr.parent_pointer()].erase(ptr.back());
  } else {
    doc[ptr] = c.value;
  }
  absl::StatusOr<Spec> spec = ParseSpec(doc.dump(), "/b");
  ASSERT_FALSE(spec.ok()) << c.name;
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(spec.status().message(), c.message) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, BadConfigTest,
    ::testing::Values(
        BadCase{"NoVersion", "/ociVersion", Remove(),
                "ociVersion must be a string"},
        BadCase{"VersionNumber", "/ociVersion", 1,
                "ociVersion must be a string"},
        BadCase{"VersionEmpty", "/ociVersion", "",
                "ociVersion must be a non-empty string"},
        BadCase{"NoProcess", "/process", Remove(), "process must be an object"},
        BadCase{"ProcessArray", "/process", json::array(),
                "process must be an object"},
        BadCase{"NoArgs", "/process/args", Remove(),
                "process.args must be a non-empty array of strings"},
        BadCase{"EmptyArgs", "/process/args", json::array(),
                "process.args must be a non-empty array of strings"},
        BadCase{"ArgsString", "/process/args", "sh",
                "process.args must be a non-empty array of strings"},
        BadCase{"ArgsNumber", "/process/args/1", 5,
                "process.args must be a non-empty array of strings"},
        BadCase{"ArgZeroEmpty", "/process/args/0", "",
                "process.args[0] must be a non-empty string"},
        BadCase{"TerminalString", "/process/terminal", "yes",
                "process.terminal must be a boolean"},
        BadCase{"ConsoleHeight", "/process/consoleSize/height", -1,
                "process.consoleSize.height must be a non-negative integer"},
        BadCase{"UidNegative", "/process/user/uid", -1,
                "process.user.uid must be a non-negative integer"},
        BadCase{"UidString", "/process/user/uid", "0",
                "process.user.uid must be a non-negative integer"},
        BadCase{"UidFloat", "/process/user/uid", 1.5,
                "process.user.uid must be a non-negative integer"},
        BadCase{"UidTooBig", "/process/user/uid", 4294967296ULL,
                "process.user.uid is out of range (at most 4294967295)"},
        BadCase{"GidNegative", "/process/user/gid", -5,
                "process.user.gid must be a non-negative integer"},
        BadCase{"AdditionalGid", "/process/user/additionalGids/1", "x",
                "process.user.additionalGids[1] must be a non-negative "
                "integer"},
        BadCase{"UserNotObject", "/process/user", 0,
                "process.user must be an object"},
        BadCase{"EnvNotArray", "/process/env", "A=B",
                "process.env must be an array of strings"},
        BadCase{"EnvNoEquals", "/process/env/1", "TERM",
                "process.env[1] \"TERM\" must have the form KEY=VALUE"},
        BadCase{"EnvEmptyKey", "/process/env/0", "=x",
                "process.env[0] \"=x\" must have the form KEY=VALUE"},
        BadCase{"NoCwd", "/process/cwd", Remove(),
                "process.cwd must be an absolute path"},
        BadCase{"RelativeCwd", "/process/cwd", "home",
                "process.cwd must be an absolute path"},
        BadCase{"CapsNotObject", "/process/capabilities", json::array(),
                "process.capabilities must be an object"},
        BadCase{"CapSetNotArray", "/process/capabilities/effective", "CAP_KILL",
                "process.capabilities.effective must be an array of "
                "strings"},
        BadCase{"CapMalformed", "/process/capabilities/ambient/0", "kill",
                "process.capabilities.ambient[0] \"kill\" is not a "
                "capability name"},
        BadCase{"CapBarePrefix", "/process/capabilities/bounding/1", "CAP_",
                "process.capabilities.bounding[1] \"CAP_\" is not a "
                "capability name"},
        BadCase{"RlimitType", "/process/rlimits/0/type", "RLIMIT_FOO",
                "process.rlimits[0].type \"RLIMIT_FOO\" is not a valid "
                "rlimit"},
        BadCase{"RlimitNoHard", "/process/rlimits/0/hard", Remove(),
                "process.rlimits[0].hard must be a non-negative integer"},
        BadCase{"RlimitSoftAboveHard", "/process/rlimits/0/soft", 2000000,
                "process.rlimits[0].soft (2000000) exceeds "
                "process.rlimits[0].hard (1048576)"},
        BadCase{"RlimitDup", "/process/rlimits/1",
                json({{"type", "RLIMIT_NOFILE"}, {"hard", 1}, {"soft", 1}}),
                "process.rlimits[1].type \"RLIMIT_NOFILE\" is duplicated"},
        BadCase{"RlimitNotObject", "/process/rlimits/0", 3,
                "process.rlimits[0] must be an object"},
        BadCase{"OomRange", "/process/oomScoreAdj", 1001,
                "process.oomScoreAdj must be between -1000 and 1000"},
        BadCase{"OomType", "/process/oomScoreAdj", "1",
                "process.oomScoreAdj must be an integer"},
        BadCase{"NnpType", "/process/noNewPrivileges", 1,
                "process.noNewPrivileges must be a boolean"},
        BadCase{"ApparmorType", "/process/apparmorProfile", false,
                "process.apparmorProfile must be a string"},
        BadCase{"NoRoot", "/root", Remove(), "root must be an object"},
        BadCase{"RootString", "/root", "rootfs", "root must be an object"},
        BadCase{"RootPathNumber", "/root/path", 7,
                "root.path must be a string"},
        BadCase{"RootPathMissing", "/root/path", Remove(),
                "root.path must be a string"},
        BadCase{"RootPathEmpty", "/root/path", "",
                "root.path must be a non-empty string"},
        BadCase{"RootReadonly", "/root/readonly", "true",
                "root.readonly must be a boolean"},
        BadCase{"Hostname", "/hostname", 3, "hostname must be a string"},
        BadCase{"Domainname", "/domainname", json::array(),
                "domainname must be a string"},
        BadCase{"MountsNotArray", "/mounts", json::object(),
                "mounts must be an array"},
        BadCase{"MountNotObject", "/mounts/1", "x",
                "mounts[1] must be an object"},
        BadCase{"MountRelativeDest", "/mounts/2/destination", "etc/hosts",
                "mounts[2].destination must be an absolute path"},
        BadCase{"MountNoDest", "/mounts/0/destination", Remove(),
                "mounts[0].destination must be an absolute path"},
        BadCase{"MountType", "/mounts/0/type", 1,
                "mounts[0].type must be a string"},
        BadCase{"MountOptions", "/mounts/1/options", "ro",
                "mounts[1].options must be an array of strings"},
        BadCase{
            "MountUidMapping", "/mounts/1/uidMappings",
            json::array({{{"containerID", 0}, {"hostID", -1}, {"size", 1}}}),
            "mounts[1].uidMappings[0].hostID must be a non-negative "
            "integer"},
        BadCase{"HooksNotObject", "/hooks", json::array(),
                "hooks must be an object"},
        BadCase{"HookListNotArray", "/hooks/poststart", json::object(),
                "hooks.poststart must be an array"},
        BadCase{"HookRelativePath", "/hooks/prestart/0/path",
                "libnetwork-setkey",
                "hooks.prestart[0].path must be an absolute path"},
        BadCase{"HookNoPath", "/hooks/poststop/1/path", Remove(),
                "hooks.poststop[1].path must be an absolute path"},
        BadCase{"HookZeroTimeout", "/hooks/prestart/0/timeout", 0,
                "hooks.prestart[0].timeout must be a positive integer"},
        BadCase{"HookStringTimeout", "/hooks/prestart/0/timeout", "5",
                "hooks.prestart[0].timeout must be a positive integer"},
        BadCase{"HookArgs", "/hooks/createRuntime/0/args", "x",
                "hooks.createRuntime[0].args must be an array of strings"},
        BadCase{"HookEnv", "/hooks/startContainer/0/env", json::array({1}),
                "hooks.startContainer[0].env must be an array of strings"},
        BadCase{"AnnotationsArray", "/annotations", json::array(),
                "annotations must be an object of strings"},
        BadCase{"AnnotationValue", "/annotations/k", 1,
                "annotations[\"k\"] must be a string"},
        BadCase{"LinuxNotObject", "/linux", "x", "linux must be an object"},
        BadCase{"NamespaceType", "/linux/namespaces/0/type", "foo",
                "linux.namespaces[0].type \"foo\" is not a valid namespace"},
        BadCase{"NamespaceNoType", "/linux/namespaces/2/type", Remove(),
                "linux.namespaces[2].type must be a string"},
        BadCase{"NamespaceDup", "/linux/namespaces/1/type", "pid",
                "linux.namespaces[1].type \"pid\" is duplicated"},
        BadCase{"NamespaceRelPath", "/linux/namespaces/1/path", "ns/net",
                "linux.namespaces[1].path must be an absolute path"},
        BadCase{"UidMapField", "/linux/uidMappings/0/size", "1",
                "linux.uidMappings[0].size must be a non-negative integer"},
        BadCase{"GidMapMissing", "/linux/gidMappings/0/containerID", Remove(),
                "linux.gidMappings[0].containerID must be a non-negative "
                "integer"},
        BadCase{"MappingsWithoutUserns", "/linux/namespaces",
                json::array({{{"type", "pid"}}}),
                "linux.uidMappings and linux.gidMappings require a user "
                "namespace in linux.namespaces"},
        BadCase{"Sysctl", "/linux/sysctl/kernel.x", 1,
                "linux.sysctl[\"kernel.x\"] must be a string"},
        BadCase{"Resources", "/linux/resources", 1,
                "linux.resources must be an object"},
        BadCase{"MemoryLimit", "/linux/resources/memory/limit", "1G",
                "linux.resources.memory.limit must be an integer"},
        BadCase{"Swappiness", "/linux/resources/memory/swappiness", -1,
                "linux.resources.memory.swappiness must be a non-negative "
                "integer"},
        BadCase{"CpuShares", "/linux/resources/cpu/shares", -2,
                "linux.resources.cpu.shares must be a non-negative integer"},
        BadCase{"CpuCpus", "/linux/resources/cpu/cpus", 1,
                "linux.resources.cpu.cpus must be a string"},
        BadCase{"PidsLimit", "/linux/resources/pids", json::object(),
                "linux.resources.pids.limit must be an integer"},
        BadCase{"DeviceRuleAllow", "/linux/resources/devices/0/allow", Remove(),
                "linux.resources.devices[0].allow must be a boolean"},
        BadCase{"DeviceRuleType", "/linux/resources/devices/1/type", "x",
                "linux.resources.devices[1].type \"x\" must be \"a\", "
                "\"b\" or \"c\""},
        BadCase{"DeviceRuleAccess", "/linux/resources/devices/1/access", "rwx",
                "linux.resources.devices[1].access \"rwx\" must contain "
                "only r, w and m"},
        BadCase{"CgroupsPath", "/linux/cgroupsPath", 1,
                "linux.cgroupsPath must be a string"},
        BadCase{"Seccomp", "/linux/seccomp", "unconfined",
                "linux.seccomp must be an object"},
        BadCase{"MaskedRelative", "/linux/maskedPaths/0", "proc/kcore",
                "linux.maskedPaths[0] must be an absolute path"},
        BadCase{"ReadonlyNotArray", "/linux/readonlyPaths", "/proc",
                "linux.readonlyPaths must be an array of strings"},
        BadCase{"Propagation", "/linux/rootfsPropagation", "sideways",
                "linux.rootfsPropagation \"sideways\" is not a valid "
                "propagation"},
        BadCase{"DevicePath", "/linux/devices/0/path", "dev/fuse",
                "linux.devices[0].path must be an absolute path"},
        BadCase{"DeviceType", "/linux/devices/0/type", "x",
                "linux.devices[0].type \"x\" must be \"c\", \"b\", \"u\" "
                "or \"p\""},
        BadCase{"DeviceNoMajor", "/linux/devices/0/major", Remove(),
                "linux.devices[0].major must be an integer"},
        BadCase{"DeviceMode", "/linux/devices/0/fileMode", -1,
                "linux.devices[0].fileMode must be a non-negative integer"}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      return std::string(info.param.name);
    });

TEST(ParseSpecTest, NotJson) {
  absl::StatusOr<Spec> spec = ParseSpec("{\"ociVersion\": ", "/b");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(spec.status().message(),
              HasSubstr("config.json is not valid JSON"));
}

TEST(ParseSpecTest, NotAnObject) {
  absl::StatusOr<Spec> spec = ParseSpec("[1,2]", "/b");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().message(), "config.json must be a JSON object");
}

TEST(ParseSpecTest, PipeDeviceNeedsNoNumbers) {
  json doc = FullConfig();
  doc["linux"]["devices"] = json::array({{{"path", "/dev/p"}, {"type", "p"}}});
  EXPECT_TRUE(ParseSpec(doc.dump(), "/b").ok());
}

TEST(ParseSpecTest, NegativeMemoryMeansUnlimited) {
  json doc = FullConfig();
  doc["linux"]["resources"]["memory"]["limit"] = -1;
  absl::StatusOr<Spec> spec = ParseSpec(doc.dump(), "/b");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->linux_spec.resources->memory->limit, -1);
}

TEST(ParseProcessTest, ExecProcessFile) {
  // What containerd writes for `exec --process`.
  absl::StatusOr<Process> p = ParseProcess(R"({
    "terminal": false, "user": {"uid": 0, "gid": 0},
    "args": ["ps", "aux"], "env": ["PATH=/bin"], "cwd": "/",
    "capabilities": {"bounding": ["CAP_KILL"]}, "noNewPrivileges": true})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->args, ElementsAre("ps", "aux"));
  EXPECT_EQ(p->cwd, "/");
  EXPECT_TRUE(p->no_new_privileges);
  EXPECT_THAT(p->capabilities->bounding, ElementsAre("CAP_KILL"));

  absl::StatusOr<Process> same = ProcessFromJson(FullConfig()["process"]);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->user.uid, 1000u);
}

TEST(ParseProcessTest, Errors) {
  EXPECT_EQ(ParseProcess(R"({"args": [], "cwd": "/"})").status().message(),
            "process.args must be a non-empty array of strings");
  EXPECT_EQ(
      ParseProcess(R"({"args": ["sh"], "cwd": "tmp"})").status().message(),
      "process.cwd must be an absolute path");
  EXPECT_EQ(ParseProcess(R"({"args": ["sh"], "cwd": "/",
                             "user": {"uid": -3}})")
                .status()
                .message(),
            "process.user.uid must be a non-negative integer");
  EXPECT_EQ(ParseProcess("[]").status().message(), "process must be an object");
  EXPECT_THAT(std::string(ParseProcess("{").status().message()),
              HasSubstr("process is not valid JSON"));
}

TEST(CapabilityTest, KnownList) {
  EXPECT_EQ(KnownCapabilities().size(), 41u);
  EXPECT_EQ(KnownCapabilities().front(), "CAP_CHOWN");
  EXPECT_EQ(KnownCapabilities().back(), "CAP_CHECKPOINT_RESTORE");
  EXPECT_TRUE(IsKnownCapability("CAP_SYS_ADMIN"));
  EXPECT_TRUE(IsKnownCapability("CAP_BPF"));
  EXPECT_FALSE(IsKnownCapability("CAP_FUTURE_THING"));
  EXPECT_FALSE(IsKnownCapability("SYS_ADMIN"));
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/specutils_test.XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    (void)system(cmd.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LoadBundleTest, ReadsConfig) {
  TempDir dir;
  {
    std::ofstream f(dir.path() + "/config.json");
    f << FullConfig().dump(2);
  }
  absl::StatusOr<Spec> spec = LoadBundle(dir.path());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->root.path, dir.path() + "/rootfs");
  EXPECT_EQ(spec->bundle_dir, dir.path());
}

TEST(LoadBundleTest, MissingConfig) {
  TempDir dir;
  absl::StatusOr<Spec> spec = LoadBundle(dir.path());
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(spec.status().message(),
            absl::StrCat("open ", dir.path(),
                         "/config.json: No such file or directory"));
}

TEST(LoadBundleTest, MissingBundle) {
  absl::StatusOr<Spec> spec = LoadBundle("/nonexistent/bundle");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(spec.status().message(),
            "open /nonexistent/bundle/config.json: No such file or directory");
}

TEST(LoadBundleTest, InvalidConfigNamesFileAndField) {
  TempDir dir;
  json doc = FullConfig();
  doc["process"]["args"] = json::array();
  {
    std::ofstream f(dir.path() + "/config.json");
    f << doc.dump();
  }
  absl::StatusOr<Spec> spec = LoadBundle(dir.path());
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(spec.status().message(),
            absl::StrCat(dir.path(),
                         "/config.json: process.args must be a "
                         "non-empty array of strings"));
}

}  // namespace
}  // namespace runsc::specutils
