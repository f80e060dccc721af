#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/specutils/spec.h"

namespace runsc::specutils {
namespace {

using json = nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

std::vector<std::string> Strings(const json& arr) {
  std::vector<std::string> out;
  for (const json& e : arr) out.push_back(e.get<std::string>());
  return out;
}

TEST(DefaultSpecTest, ParsesAndValidates) {
  absl::StatusOr<Spec> spec = ParseSpec(DefaultSpec().dump(), "/bundle");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->oci_version, kOciVersion);
  EXPECT_THAT(spec->process.args, ElementsAre("sh"));
  EXPECT_TRUE(spec->process.terminal);
  EXPECT_EQ(spec->process.cwd, "/");
  EXPECT_TRUE(spec->process.no_new_privileges);
  ASSERT_TRUE(spec->process.capabilities.has_value());
  EXPECT_THAT(
      spec->process.capabilities->bounding,
      ElementsAre("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"));
  EXPECT_EQ(spec->process.capabilities->effective,
            spec->process.capabilities->bounding);
  EXPECT_EQ(spec->root.path, "/bundle/rootfs");
  EXPECT_TRUE(spec->root.readonly);

  std::vector<std::string> dests;
  std::vector<std::string> types;
  for (const Mount& m : spec->mounts) {
    dests.push_back(m.destination);
    types.push_back(m.type);
  }
  EXPECT_THAT(dests, ElementsAre("/proc", "/dev", "/dev/pts", "/dev/shm",
                                 "/dev/mqueue", "/sys"));
  EXPECT_THAT(types, ElementsAre("proc", "tmpfs", "devpts", "tmpfs", "mqueue",
                                 "sysfs"));

  std::vector<std::string> ns;
  for (const Namespace& n : spec->linux_spec.namespaces) ns.push_back(n.type);
  EXPECT_THAT(ns, ElementsAre("pid", "network", "ipc", "uts", "mount"));
  EXPECT_THAT(spec->linux_spec.masked_paths, Contains("/proc/kcore"));
  EXPECT_THAT(spec->linux_spec.readonly_paths, Contains("/proc/sys"));
  EXPECT_TRUE(spec->linux_spec.uid_mappings.empty());
}

TEST(DefaultSpecTest, RootlessParsesAndMapsCaller) {
  const json doc = DefaultSpec(/*rootless=*/true);
  absl::StatusOr<Spec> spec = ParseSpec(doc.dump(), "/bundle");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const LinuxSpec& l = spec->linux_spec;
  EXPECT_NE(l.FindNamespace("user"), nullptr);
  EXPECT_EQ(l.FindNamespace("network"), nullptr);
  ASSERT_EQ(l.uid_mappings.size(), 1u);
  EXPECT_EQ(l.uid_mappings[0].container_id, 0u);
  EXPECT_EQ(l.uid_mappings[0].host_id, geteuid());
  EXPECT_EQ(l.uid_mappings[0].size, 1u);
  ASSERT_EQ(l.gid_mappings.size(), 1u);
  EXPECT_EQ(l.gid_mappings[0].host_id, getegid());
  EXPECT_FALSE(l.resources.has_value());
  for (const Mount& m : spec->mounts) {
    if (m.destination == "/sys") {
      EXPECT_EQ(m.source, "/sys");
      EXPECT_THAT(m.options, Contains("rbind"));
    }
    if (m.destination == "/dev/pts") {
      EXPECT_THAT(m.options, Not(Contains("gid=5")));
    }
  }
}

TEST(FeaturesTest, Shape) {
  const json f = Features();
  EXPECT_EQ(f["ociVersionMin"], kOciVersionMin);
  EXPECT_EQ(f["ociVersionMax"], kOciVersion);
  EXPECT_THAT(Strings(f["hooks"]),
              ElementsAre("prestart", "createRuntime", "createContainer",
                          "startContainer", "poststart", "poststop"));
  ASSERT_TRUE(f["mountOptions"].is_array());
  EXPECT_THAT(Strings(f["mountOptions"]), Contains("rbind"));
  EXPECT_THAT(Strings(f["mountOptions"]), Contains("ro"));

  const json& l = f["linux"];
  ASSERT_TRUE(l.is_object());
  EXPECT_THAT(Strings(l["namespaces"]),
              ElementsAre("cgroup", "ipc", "mount", "network", "pid", "time",
                          "user", "uts"));
  EXPECT_EQ(Strings(l["capabilities"]), KnownCapabilities());
  ASSERT_TRUE(l["cgroup"].is_object());
  for (const char* k : {"v1", "v2", "systemd", "systemdUser"}) {
    EXPECT_TRUE(l["cgroup"][k].is_boolean()) << k;
  }
  ASSERT_TRUE(l["seccomp"].is_object());
  EXPECT_EQ(l["seccomp"]["enabled"], true);
  EXPECT_THAT(Strings(l["seccomp"]["actions"]), Contains("SCMP_ACT_ERRNO"));
  EXPECT_THAT(Strings(l["seccomp"]["operators"]), Contains("SCMP_CMP_EQ"));
  EXPECT_THAT(Strings(l["seccomp"]["archs"]), Contains("SCMP_ARCH_X86_64"));
  EXPECT_TRUE(l["apparmor"]["enabled"].is_boolean());
  EXPECT_TRUE(l["selinux"]["enabled"].is_boolean());
  ASSERT_TRUE(f["annotations"].is_object());
  for (const auto& [k, v] : f["annotations"].items()) {
    EXPECT_TRUE(v.is_string()) << k;
  }
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/default_spec_test.XXXXXX";
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

TEST(WriteDefaultSpecTest, WritesOnceAndLoads) {
  TempDir dir;
  ASSERT_TRUE(WriteDefaultSpec(dir.path()).ok());
  absl::StatusOr<Spec> spec = LoadBundle(dir.path());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->raw, DefaultSpec());

  // The file we wrote must not be replaced.
  const std::string path = dir.path() + "/config.json";
  { std::ofstream(path) << "{}"; }
  absl::Status again = WriteDefaultSpec(dir.path(), /*rootless=*/true);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(),
            absl::StrCat("File ", path, " exists. Remove it first"));
  std::stringstream content;
  content << std::ifstream(path).rdbuf();
  EXPECT_EQ(content.str(), "{}");
}

TEST(WriteDefaultSpecTest, MissingDirectory) {
  absl::Status s = WriteDefaultSpec("/nonexistent/dir");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "open /nonexistent/dir/config.json: No such file or directory");
}

}  // namespace
}  // namespace runsc::specutils
