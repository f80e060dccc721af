// Unit tests of runsc/cgroup against fake trees (v1, v2, hybrid) in a
// temporary directory: discovery, path resolution, the files written and
// their values, update, cleanup, stats, errors.
#include "runsc/cgroup/cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/cgroup/layout.h"

namespace runsc::cgroup {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void Put(const std::string& path, const std::string& v) {
  std::ofstream(path) << v;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A fake host: mountinfo, /proc/self/cgroup and cgroup directories under a
// temporary prefix.
class FakeHost {
 public:
  FakeHost() {
    char tmpl[] = "/tmp/runsc-cgroup-test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    env_.prefix = dir_;
    env_.mountinfo = dir_ + "/mountinfo";
    env_.self_cgroup = dir_ + "/self_cgroup";
    env_.systemd_run_dir = dir_ + "/run/systemd/system";
    env_.fake_files = true;
    Mkdirs("/sys/fs/cgroup");
    mountinfo_ =
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n";
  }
  ~FakeHost() { (void)system(("rm -rf " + dir_).c_str()); }

  void Mkdirs(const std::string& p) {
    (void)system(("mkdir -p " + dir_ + p).c_str());
  }
  // A v1 hierarchy at /sys/fs/cgroup/<name> with `opts` super options.
  void V1(const std::string& name, const std::string& opts,
          const std::string& own = "/", const std::string& root = "/") {
    int id = next_id_++;
    absl::StrAppend(&mountinfo_, id, " 31 0:", id, " ", root,
                    " /sys/fs/cgroup/", name,
                    " rw,nosuid,nodev,noexec,relatime shared:", id,
                    " - cgroup cgroup rw,", opts, "\n");
    Mkdirs("/sys/fs/cgroup/" + name);
    if (opts.find("cpuset") != std::string::npos) {
      Put(dir_ + "/sys/fs/cgroup/" + name + "/cpuset.cpus", "0-1\n");
      Put(dir_ + "/sys/fs/cgroup/" + name + "/cpuset.mems", "0\n");
    }
    absl::StrAppend(&self_, id, ":", opts, ":", own, "\n");
  }
  void V2(const std::string& at, const std::string& controllers) {
    absl::StrAppend(&mountinfo_, "41 31 0:41 / ", at,
                    " rw,relatime - cgroup2 cgroup2 rw\n");
    Mkdirs(at);
    Put(dir_ + at + "/cgroup.controllers", controllers + "\n");
    Put(dir_ + at + "/cgroup.subtree_control", "\n");
    absl::StrAppend(&self_, "0::/\n");
  }
  // This project's CI machine.
  void Hybrid() {
    V1("cpu", "cpu");
    V1("cpuacct", "cpuacct");
    V1("cpuset", "cpuset");
    V1("memory", "memory", "/process_api/abc");
    V1("pids", "pids");
    V1("freezer", "freezer");
    V1("systemd", "name=systemd");
    V2("/sys/fs/cgroup/unified", "");
  }
  void Finish() {
    Put(env_.mountinfo, mountinfo_);
    Put(env_.self_cgroup, self_);
  }
  Layout Discover() {
    Finish();
    absl::StatusOr<Layout> l = DiscoverLayout(env_);
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? *l : Layout{};
  }
  std::string P(const std::string& p) const { return dir_ + p; }
  const Environment& env() const { return env_; }

 private:
  std::string dir_;
  Environment env_;
  std::string mountinfo_, self_;
  int next_id_ = 32;
};

Resources AllResources() {
  Resources r;
  r.memory_limit = 64 << 20;
  r.memory_reservation = 32 << 20;
  r.memory_swap = 128 << 20;
  r.cpu_shares = 1024;
  r.cpu_quota = 50000;
  r.cpu_period = 100000;
  r.cpuset_cpus = "0";
  r.cpuset_mems = "0";
  r.pids_limit = 40;
  return r;
}

TEST(Layout, DiscoversHybrid) {
  FakeHost h;
  h.Hybrid();
  Layout l = h.Discover();
  EXPECT_EQ(l.Mode(), "hybrid");
  ASSERT_NE(l.Find("memory"), nullptr);
  EXPECT_EQ(l.Find("memory")->mount_point, h.P("/sys/fs/cgroup/memory"));
  EXPECT_EQ(l.Find("memory")->own_cgroup, "/process_api/abc");
  EXPECT_FALSE(l.Find("memory")->unified);
  EXPECT_EQ(l.Find("cpuacct")->Name(), "cpuacct");
  EXPECT_EQ(l.Find("name=systemd")->mount_point, h.P("/sys/fs/cgroup/systemd"));
  int unified = 0;
  for (const Hierarchy& x : l.hierarchies) {
    if (x.unified) {
      ++unified;
      EXPECT_TRUE(x.controllers.empty());
      EXPECT_EQ(x.mount_point, h.P("/sys/fs/cgroup/unified"));
    }
  }
  EXPECT_EQ(unified, 1);
}

TEST(Layout, DiscoversV2AndCoMountedV1) {
  FakeHost v2;
  v2.V2("/sys/fs/cgroup", "cpuset cpu io memory pids");
  Layout l = v2.Discover();
  EXPECT_EQ(l.Mode(), "v2");
  ASSERT_NE(l.Find("memory"), nullptr);
  EXPECT_TRUE(l.Find("memory")->unified);
  EXPECT_EQ(l.Find("freezer"), nullptr);

  FakeHost v1;
  v1.V1("cpu,cpuacct", "cpu,cpuacct");
  v1.V1("memory", "memory");
  Layout l1 = v1.Discover();
  EXPECT_EQ(l1.Mode(), "v1");
  EXPECT_EQ(l1.Find("cpuacct"), l1.Find("cpu"));
  EXPECT_EQ(l1.Find("cpu")->Name(), "cpu,cpuacct");
}

TEST(Layout, NoCgroupMountIsAnError) {
  FakeHost h;
  h.Finish();
  EXPECT_FALSE(DiscoverLayout(h.env()).ok());
}

TEST(Layout, ResolvesPathsLikeRunc) {
  FakeHost h;
  h.Hybrid();
  Layout l = h.Discover();
  auto r = ResolveCgroupsPath(h.env(), "/docker/abc", "abc", false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/docker/abc");
  EXPECT_FALSE(r->relative);
  EXPECT_EQ(DirectoryIn(*l.Find("memory"), *r),
            h.P("/sys/fs/cgroup/memory/docker/abc"));
  // Relative: below our own cgroup in each hierarchy.
  r = ResolveCgroupsPath(h.env(), "ctr/x", "abc", false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->relative);
  EXPECT_EQ(DirectoryIn(*l.Find("memory"), *r),
            h.P("/sys/fs/cgroup/memory/process_api/abc/ctr/x"));
  EXPECT_EQ(DirectoryIn(*l.Find("pids"), *r), h.P("/sys/fs/cgroup/pids/ctr/x"));
  // Empty: the container id, relative.
  r = ResolveCgroupsPath(h.env(), "", "abc", false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "abc");
  EXPECT_TRUE(r->relative);
  // ".." never leaves the hierarchy.
  r = ResolveCgroupsPath(h.env(), "/../../etc/x", "abc", false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "/etc/x");
  r = ResolveCgroupsPath(h.env(), "../../x", "abc", false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "x");
  EXPECT_FALSE(ResolveCgroupsPath(h.env(), "/", "abc", false).ok());
  EXPECT_FALSE(ResolveCgroupsPath(h.env(), "/a/..", "abc", false).ok());
}

TEST(Layout, RelativePathUnderANonRootMount) {
  // A cgroup namespace or bind mount: the mount shows /outer as its root.
  FakeHost h;
  h.V1("memory", "memory", "/outer/me", "/outer");
  Layout l = h.Discover();
  auto r = ResolveCgroupsPath(h.env(), "c", "abc", false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(DirectoryIn(*l.Find("memory"), *r),
            h.P("/sys/fs/cgroup/memory/me/c"));
}

TEST(Layout, SystemdWithoutSystemdIsAClearError) {
  FakeHost h;
  h.Hybrid();
  h.Finish();
  auto r = ResolveCgroupsPath(h.env(), "system.slice:docker:abc", "abc", false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("systemd"));
  EXPECT_THAT(r.status().message(), HasSubstr("slice:prefix:name"));
  r = ResolveCgroupsPath(h.env(), "/docker/abc", "abc", true);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("--systemd-cgroup"));
}

TEST(Cgroup, CreatesV1WithEveryLimit) {
  FakeHost h;
  h.Hybrid();
  Layout l = h.Discover();
  CgroupPath path{"/docker/abc", false};
  absl::StatusOr<Cgroup> cg = Cgroup::Create(h.env(), l, path, AllResources());
  ASSERT_TRUE(cg.ok()) << cg.status();
  const std::string mem = h.P("/sys/fs/cgroup/memory/docker/abc");
  EXPECT_EQ(Read(mem + "/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(Read(mem + "/memory.memsw.limit_in_bytes"), "134217728");
  EXPECT_EQ(Read(mem + "/memory.soft_limit_in_bytes"), "33554432");
  const std::string cpu = h.P("/sys/fs/cgroup/cpu/docker/abc");
  EXPECT_EQ(Read(cpu + "/cpu.shares"), "1024");
  EXPECT_EQ(Read(cpu + "/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Read(cpu + "/cpu.cfs_quota_us"), "50000");
  const std::string cs = h.P("/sys/fs/cgroup/cpuset/docker/abc");
  EXPECT_EQ(Read(cs + "/cpuset.cpus"), "0");
  EXPECT_EQ(Read(cs + "/cpuset.mems"), "0");
  // The intermediate level inherited its parent's cpus/mems.
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/cpuset/docker/cpuset.cpus")), "0-1");
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/cpuset/docker/cpuset.mems")), "0");
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/pids/docker/abc/pids.max")), "40");
  // Joined-only hierarchies get the directory, no limit files.
  EXPECT_TRUE(IsDir(h.P("/sys/fs/cgroup/freezer/docker/abc")));
  EXPECT_TRUE(IsDir(h.P("/sys/fs/cgroup/systemd/docker/abc")));
  EXPECT_TRUE(IsDir(h.P("/sys/fs/cgroup/unified/docker/abc")));
  EXPECT_FALSE(IsDir(h.P("/sys/fs/cgroup/unified/docker/abc/memory.max")));
  EXPECT_EQ(cg->DirFor("memory"), mem);
  for (const Placement& p : cg->placements()) {
    EXPECT_THAT(p.created,
                ElementsAre(p.dir.substr(0, p.dir.size() - 4), p.dir))
        << p.hierarchy;
  }

  ASSERT_TRUE(cg->AddProcess(1234).ok());
  ASSERT_TRUE(cg->AddProcess(1235).ok());
  EXPECT_EQ(Read(mem + "/cgroup.procs"), "1234\n1235\n");
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/unified/docker/abc/cgroup.procs")),
            "1234\n1235\n");
  auto pids = cg->Pids();
  ASSERT_TRUE(pids.ok());
  EXPECT_THAT(*pids, ElementsAre(1234, 1235));

  ASSERT_TRUE(cg->Destroy().ok());
  EXPECT_FALSE(IsDir(mem));
  EXPECT_FALSE(IsDir(h.P("/sys/fs/cgroup/memory/docker")));
  EXPECT_FALSE(IsDir(h.P("/sys/fs/cgroup/unified/docker")));
  EXPECT_TRUE(IsDir(h.P("/sys/fs/cgroup/memory")));
  EXPECT_TRUE(cg->Destroy().ok());  // idempotent
}

TEST(Cgroup, CreatesV2WithRuncConversions) {
  FakeHost h;
  h.V2("/sys/fs/cgroup", "cpuset cpu io memory pids");
  Layout l = h.Discover();
  absl::StatusOr<Cgroup> cg =
      Cgroup::Create(h.env(), l, {"/default/abc", false}, AllResources());
  ASSERT_TRUE(cg.ok()) << cg.status();
  const std::string d = h.P("/sys/fs/cgroup/default/abc");
  EXPECT_EQ(Read(d + "/memory.max"), "67108864");
  EXPECT_EQ(Read(d + "/memory.swap.max"), "67108864");  // 128M - 64M
  EXPECT_EQ(Read(d + "/memory.low"), "33554432");
  EXPECT_EQ(Read(d + "/cpu.weight"), "39");  // 1 + 1022 * 9999 / 262142
  EXPECT_EQ(Read(d + "/cpu.max"), "50000 100000");
  EXPECT_EQ(Read(d + "/cpuset.cpus"), "0");
  EXPECT_EQ(Read(d + "/pids.max"), "40");
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/cgroup.subtree_control")),
            "+cpu +cpuset +memory +pids");
  ASSERT_TRUE(cg->Destroy().ok());
  EXPECT_FALSE(IsDir(h.P("/sys/fs/cgroup/default")));
}

TEST(Cgroup, UnlimitedValues) {
  FakeHost h;
  h.V2("/sys/fs/cgroup", "cpu memory pids");
  Layout l = h.Discover();
  Resources r;
  r.memory_limit = -1;
  r.pids_limit = 0;
  r.cpu_quota = -1;
  r.cpu_period = 100000;
  auto cg = Cgroup::Create(h.env(), l, {"/u", false}, r);
  ASSERT_TRUE(cg.ok()) << cg.status();
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/u/memory.max")), "max");
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/u/memory.swap.max")), "max");
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/u/pids.max")), "max");
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/u/cpu.max")), "max 100000");

  FakeHost v1;
  v1.Hybrid();
  Layout l1 = v1.Discover();
  Resources r1;
  r1.pids_limit = -1;
  r1.memory_limit = -1;
  auto cg1 = Cgroup::Create(v1.env(), l1, {"/u", false}, r1);
  ASSERT_TRUE(cg1.ok()) << cg1.status();
  EXPECT_EQ(Read(v1.P("/sys/fs/cgroup/pids/u/pids.max")), "max");
  EXPECT_EQ(Read(v1.P("/sys/fs/cgroup/memory/u/memory.limit_in_bytes")), "-1");
}

TEST(Cgroup, UpdateWritesOnlyGivenFields) {
  FakeHost h;
  h.Hybrid();
  Layout l = h.Discover();
  auto cg = Cgroup::Create(h.env(), l, {"/a", false}, AllResources());
  ASSERT_TRUE(cg.ok()) << cg.status();
  const std::string mem = h.P("/sys/fs/cgroup/memory/a");
  Put(mem + "/memory.limit_in_bytes", "sentinel");
  Put(h.P("/sys/fs/cgroup/cpu/a/cpu.shares"), "sentinel");
  Resources u;
  u.pids_limit = 7;
  u.cpu_quota = 20000;
  ASSERT_TRUE(cg->Update(u).ok());
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/pids/a/pids.max")), "7");
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/cpu/a/cpu.cfs_quota_us")), "20000");
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/cpu/a/cpu.cfs_period_us")), "100000");
  EXPECT_EQ(Read(mem + "/memory.limit_in_bytes"), "sentinel");
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/cpu/a/cpu.shares")), "sentinel");
}

TEST(Cgroup, V2UpdateOfSwapOrPeriodAloneKeepsTheOtherValue) {
  FakeHost h;
  h.V2("/sys/fs/cgroup", "cpu memory pids");
  Layout l = h.Discover();
  auto cg = Cgroup::Create(h.env(), l, {"/a", false}, AllResources());
  ASSERT_TRUE(cg.ok()) << cg.status();
  Resources u;
  u.memory_swap = 96 << 20;  // against memory.max = 64M
  u.cpu_period = 200000;     // quota 50000 stays
  ASSERT_TRUE(cg->Update(u).ok());
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/a/memory.swap.max")), "33554432");
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/a/cpu.max")), "50000 200000");
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/a/memory.max")), "67108864");
}

TEST(Cgroup, CleanupRemovesOnlyCreatedDirectories) {
  FakeHost h;
  h.Hybrid();
  h.Mkdirs("/sys/fs/cgroup/memory/docker");  // an engine's parent
  Layout l = h.Discover();
  auto a = Cgroup::Create(h.env(), l, {"/docker/a", false}, {});
  auto b = Cgroup::Create(h.env(), l, {"/docker/b", false}, {});
  ASSERT_TRUE(a.ok() && b.ok());
  for (const Placement& p : a->placements()) {
    if (p.hierarchy == "memory") {
      EXPECT_THAT(p.created, ElementsAre(p.dir));
    }
  }
  ASSERT_TRUE(a->Destroy().ok());
  // pids/docker was made by a, but b still lives in it.
  EXPECT_TRUE(IsDir(h.P("/sys/fs/cgroup/pids/docker/b")));
  EXPECT_FALSE(IsDir(h.P("/sys/fs/cgroup/pids/docker/a")));
  ASSERT_TRUE(b->Destroy().ok());
  EXPECT_FALSE(IsDir(h.P("/sys/fs/cgroup/memory/docker/b")));
  EXPECT_TRUE(IsDir(h.P("/sys/fs/cgroup/memory/docker")));
}

TEST(Cgroup, FailedWriteNamesFileAndValueAndLeavesNothing) {
  FakeHost h;
  h.Hybrid();
  Layout l = h.Discover();
  // pids.max cannot be written: it is a directory in this fake tree.
  h.Mkdirs("/sys/fs/cgroup/pids/x/y/pids.max");
  Resources r;
  r.memory_limit = 1 << 20;
  r.pids_limit = 5;
  auto cg = Cgroup::Create(h.env(), l, {"/x/y", false}, r);
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.status().message(), HasSubstr("pids.max"));
  EXPECT_THAT(cg.status().message(), HasSubstr("\"5\""));
  EXPECT_FALSE(IsDir(h.P("/sys/fs/cgroup/memory/x")));
  EXPECT_FALSE(IsDir(h.P("/sys/fs/cgroup/unified/x")));
  // Not ours: left alone.
  EXPECT_TRUE(IsDir(h.P("/sys/fs/cgroup/pids/x/y")));
}

TEST(Cgroup, V2SwapWithoutMemoryLimitIsRefused) {
  FakeHost h;
  h.V2("/sys/fs/cgroup", "memory");
  Layout l = h.Discover();
  Resources r;
  r.memory_swap = 1 << 20;
  auto cg = Cgroup::Create(h.env(), l, {"/s", false}, r);
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.status().message(), HasSubstr("memory limit"));
  EXPECT_FALSE(IsDir(h.P("/sys/fs/cgroup/s")));
  r.memory_limit = 2 << 20;  // swap (memory+swap) below memory
  cg = Cgroup::Create(h.env(), l, {"/s", false}, r);
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.status().message(), HasSubstr("below memory.limit"));
}

TEST(Cgroup, StatsV1AndV2) {
  FakeHost h;
  h.Hybrid();
  Layout l = h.Discover();
  auto cg = Cgroup::Create(h.env(), l, {"/st", false}, {});
  ASSERT_TRUE(cg.ok());
  const std::string m = h.P("/sys/fs/cgroup/memory/st");
  Put(m + "/memory.usage_in_bytes", "1000\n");
  Put(m + "/memory.max_usage_in_bytes", "2000\n");
  Put(m + "/memory.limit_in_bytes", "4096\n");
  Put(h.P("/sys/fs/cgroup/pids/st/pids.current"), "3\n");
  Put(h.P("/sys/fs/cgroup/pids/st/pids.max"), "max\n");
  Put(h.P("/sys/fs/cgroup/cpuacct/st/cpuacct.usage"), "123456789\n");
  Put(h.P("/sys/fs/cgroup/cpuacct/st/cpuacct.stat"), "user 5\nsystem 7\n");
  auto s = cg->ReadStats();
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->has_memory && s->has_pids && s->has_cpu);
  EXPECT_EQ(s->memory_usage, 1000u);
  EXPECT_EQ(s->memory_max_usage, 2000u);
  EXPECT_EQ(s->memory_limit, 4096u);
  EXPECT_EQ(s->pids_current, 3u);
  EXPECT_EQ(s->pids_limit, 0u);
  EXPECT_EQ(s->cpu_total_ns, 123456789u);
  const uint64_t tick = 1000000000ull / sysconf(_SC_CLK_TCK);
  EXPECT_EQ(s->cpu_user_ns, 5 * tick);
  EXPECT_EQ(s->cpu_kernel_ns, 7 * tick);

  FakeHost v2;
  v2.V2("/sys/fs/cgroup", "cpu memory pids");
  Layout l2 = v2.Discover();
  auto c2 = Cgroup::Create(v2.env(), l2, {"/st", false}, {});
  ASSERT_TRUE(c2.ok());
  const std::string d = v2.P("/sys/fs/cgroup/st");
  Put(d + "/memory.current", "500\n");
  Put(d + "/memory.max", "max\n");
  Put(d + "/pids.current", "2\n");
  Put(d + "/pids.max", "9\n");
  Put(d + "/cpu.stat", "usage_usec 10\nuser_usec 6\nsystem_usec 4\n");
  s = c2->ReadStats();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->memory_usage, 500u);
  EXPECT_EQ(s->memory_limit, UINT64_MAX);
  EXPECT_EQ(s->pids_limit, 9u);
  EXPECT_EQ(s->cpu_total_ns, 10000u);
  EXPECT_EQ(s->cpu_user_ns, 6000u);
  EXPECT_EQ(s->cpu_kernel_ns, 4000u);
}

TEST(Cgroup, AddProcessFailsOnlyForManagedHierarchies) {
  FakeHost h;
  h.Hybrid();
  Layout l = h.Discover();
  auto cg = Cgroup::Create(h.env(), l, {"/ap", false}, {});
  ASSERT_TRUE(cg.ok()) << cg.status();
  // A hierarchy we only join refuses: logged, not fatal.
  h.Mkdirs("/sys/fs/cgroup/freezer/ap/cgroup.procs");
  ASSERT_TRUE(cg->AddProcess(77).ok());
  EXPECT_EQ(Read(h.P("/sys/fs/cgroup/memory/ap/cgroup.procs")), "77\n");
  // One whose limits we enforce refuses: an error naming the file.
  ASSERT_EQ(unlink(h.P("/sys/fs/cgroup/pids/ap/cgroup.procs").c_str()), 0);
  h.Mkdirs("/sys/fs/cgroup/pids/ap/cgroup.procs");
  absl::Status s = cg->AddProcess(78);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("pids/ap/cgroup.procs"));
  EXPECT_THAT(s.message(), HasSubstr("\"78\""));
}

TEST(Cgroup, JsonRoundTrip) {
  FakeHost h;
  h.Hybrid();
  Layout l = h.Discover();
  auto cg = Cgroup::Create(h.env(), l, {"/j/k", false}, {});
  ASSERT_TRUE(cg.ok());
  auto back = Cgroup::FromJson(h.env(), cg->ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->path(), "/j/k");
  ASSERT_EQ(back->placements().size(), cg->placements().size());
  EXPECT_EQ(back->ToJson(), cg->ToJson());
  ASSERT_TRUE(back->Destroy().ok());
  EXPECT_FALSE(IsDir(h.P("/sys/fs/cgroup/memory/j")));
  EXPECT_FALSE(Cgroup::FromJson(h.env(), nlohmann::json::object()).ok());
}

TEST(Resources, FromJson) {
  auto r = ResourcesFromJson(nlohmann::json::parse(R"({
    "memory": {"limit": 100, "swap": -1},
    "cpu": {"shares": 512, "cpus": "0-1"},
    "pids": {"limit": 10}})"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->memory_limit, 100);
  EXPECT_EQ(r->memory_swap, -1);
  EXPECT_FALSE(r->memory_reservation.has_value());
  EXPECT_EQ(r->cpu_shares, 512u);
  EXPECT_EQ(r->cpuset_cpus, "0-1");
  EXPECT_EQ(r->pids_limit, 10);
  EXPECT_FALSE(r->cpu_quota.has_value());
  auto bad = ResourcesFromJson(
      nlohmann::json::parse(R"({"memory": {"limit": "lots"}})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("memory.limit"));
  bad = ResourcesFromJson(nlohmann::json::parse(R"({"cpu": {"shares": -2}})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("cpu.shares"));
  EXPECT_TRUE(ResourcesFromJson(nullptr).ok());
}

}  // namespace
}  // namespace runsc::cgroup
