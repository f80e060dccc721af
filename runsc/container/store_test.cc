#include "runsc/container/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runsc/container/store_testing.h"

namespace runsc::container {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Waits for `pid` and returns its exit status, or -1 if it did not exit
// normally.
int WaitExit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int64_t Counter(const Metadata& md) {
  return md.extra.value("counter", int64_t{0});
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/store_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    // A root that does not exist yet: Create must make it.
    root_ = tmp_ + "/state/runsc";
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + tmp_ + "'";
    (void)system(cmd.c_str());
  }

  Metadata Md(const std::string& id) {
    Metadata md;
    md.id = id;
    md.bundle = "/bundles/" + id;
    md.spec = {{"ociVersion", "1.1.0"}, {"root", {{"path", "rootfs"}}}};
    md.status = Status::kCreating;
    md.created = absl::FromUnixSeconds(1795000000);
    md.extra = {{"counter", 0}};
    return md;
  }

  std::string tmp_;
  std::string root_;
};

TEST_F(StoreTest, CreateAndLoad) {
  Store store(root_);
  ASSERT_TRUE(store.Create(Md("c1")).ok());

  const std::string dir = root_ + "/c1";
  EXPECT_EQ(store.ContainerDir("c1"), dir);
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
  EXPECT_THAT(DirEntries(dir), ElementsAre("meta.json", "meta.lock"));

  absl::StatusOr<Metadata> md = store.Load("c1");
  ASSERT_TRUE(md.ok()) << md.status();
  EXPECT_EQ(md->id, "c1");
  EXPECT_EQ(md->bundle, "/bundles/c1");
  EXPECT_EQ(md->status, Status::kCreating);
  EXPECT_EQ(md->created, absl::FromUnixSeconds(1795000000));
  EXPECT_EQ(md->spec, Md("c1").spec);

  // The file is the JSON the metadata module writes.
  json doc = json::parse(ReadFile(dir + "/meta.json"));
  EXPECT_EQ(doc["id"], "c1");
  EXPECT_EQ(doc["status"], "creating");
}

TEST_F(StoreTest, CreateTwiceFails) {
  Store store(root_);
  ASSERT_TRUE(store.Create(Md("dup")).ok());
  absl::Status s = store.Create(Md("dup"));
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "container \"dup\" already exists");
}

TEST_F(StoreTest, CreateInvalidIdLeavesNothing) {
  Store store(root_);
  absl::Status s = store.Create(Md("a/b"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("invalid container ID \"a/b\""));
  EXPECT_FALSE(Exists(root_ + "/a"));
  EXPECT_FALSE(store.Create(Md("..")).ok());
  EXPECT_FALSE(store.Create(Md("")).ok());
}

TEST_F(StoreTest, CreateFailureLeavesNoDirectory) {
  // The root is a file: nothing can be created under it.
  ASSERT_EQ(mkdir((tmp_ + "/state").c_str(), 0755), 0);
  { std::ofstream(root_) << "not a directory"; }
  Store store(root_);
  absl::Status s = store.Create(Md("c1"));
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(root_));
  EXPECT_EQ(ReadFile(root_), "not a directory");
}

TEST_F(StoreTest, UnknownContainerDoesNotExist) {
  Store store(root_);
  // Root missing entirely.
  absl::StatusOr<Metadata> md = store.Load("nope");
  EXPECT_EQ(md.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(md.status().message(), "container \"nope\" does not exist");

  ASSERT_TRUE(store.Create(Md("other")).ok());
  md = store.Load("nope");
  EXPECT_EQ(md.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(md.status().message(), HasSubstr("does not exist"));

  absl::StatusOr<Metadata> up =
      store.Update("nope", [](Metadata&) { return absl::OkStatus(); });
  EXPECT_EQ(up.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(up.status().message(), "container \"nope\" does not exist");

  absl::Status rm = store.Remove("nope");
  EXPECT_EQ(rm.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(rm.message(), "container \"nope\" does not exist");
  EXPECT_FALSE(Exists(root_ + "/nope"));
}

TEST_F(StoreTest, PrefixLookup) {
  Store store(root_);
  for (const char* id : {"abc1", "abc2", "xyz", "q", "qq"}) {
    ASSERT_TRUE(store.Create(Md(id)).ok()) << id;
  }
  // Unique prefix.
  absl::StatusOr<Metadata> md = store.Load("x");
  ASSERT_TRUE(md.ok()) << md.status();
  EXPECT_EQ(md->id, "xyz");
  EXPECT_EQ(*store.Resolve("abc2"), "abc2");
  EXPECT_EQ(*store.Resolve("xy"), "xyz");

  // Ambiguous: both candidates named.
  absl::StatusOr<std::string> amb = store.Resolve("abc");
  EXPECT_EQ(amb.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(amb.status().message(),
            "container ID prefix \"abc\" is ambiguous: it matches \"abc1\", "
            "\"abc2\"");
  EXPECT_EQ(store.Load("a").status().message(),
            "container ID prefix \"a\" is ambiguous: it matches \"abc1\", "
            "\"abc2\"");

  // No match.
  absl::StatusOr<std::string> none = store.Resolve("zz");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(none.status().message(), "container \"zz\" does not exist");

  // An exact id wins over longer ids it prefixes.
  EXPECT_EQ(*store.Resolve("q"), "q");

  // Invalid text is not a prefix.
  EXPECT_EQ(store.Resolve("a/").status().code(),
            absl::StatusCode::kInvalidArgument);

  // A directory being created (no meta.json yet) does not count.
  ASSERT_EQ(mkdir((root_ + "/xyzzy").c_str(), 0711), 0);
  EXPECT_EQ(*store.Resolve("xy"), "xyz");
}

TEST_F(StoreTest, Update) {
  Store store(root_);
  ASSERT_TRUE(store.Create(Md("u")).ok());
  absl::StatusOr<Metadata> out = store.Update("u", [](Metadata& md) {
    RETURN_IF_ERROR(CheckTransition(md.status, Status::kCreated));
    md.status = Status::kCreated;
    md.sandbox_pid = 1234;
    md.annotations["a"] = "b";
    return absl::OkStatus();
  });
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->status, Status::kCreated);
  absl::StatusOr<Metadata> md = store.Load("u");
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(md->status, Status::kCreated);
  EXPECT_EQ(md->sandbox_pid, 1234);
  EXPECT_EQ(md->annotations.at("a"), "b");

  // A failing function writes nothing and its error comes back.
  const std::string before = ReadFile(root_ + "/u/meta.json");
  absl::StatusOr<Metadata> bad = store.Update("u", [](Metadata& md) {
    md.sandbox_pid = 1;
    return CheckTransition(md.status, Status::kPaused);
  });
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(bad.status().message(),
            "cannot pause a container in state \"created\"");
  EXPECT_EQ(ReadFile(root_ + "/u/meta.json"), before);

  // The id cannot change.
  absl::StatusOr<Metadata> rename = store.Update("u", [](Metadata& md) {
    md.id = "v";
    return absl::OkStatus();
  });
  EXPECT_EQ(rename.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadFile(root_ + "/u/meta.json"), before);
  EXPECT_THAT(DirEntries(root_ + "/u"), ElementsAre("meta.json", "meta.lock"));
}

TEST_F(StoreTest, UpdateLockedUnderHeldLock) {
  Store store(root_);
  ASSERT_TRUE(store.Create(Md("l")).ok());
  absl::StatusOr<ContainerLock> lock = store.Lock("l");
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_EQ(lock->id(), "l");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store
                    .UpdateLocked(*lock,
                                  [](Metadata& md) {
                                    md.extra["counter"] = Counter(md) + 1;
                                    return absl::OkStatus();
                                  })
                    .ok());
  }
  // Another open file description cannot take the lock meanwhile.
  int fd = open((root_ + "/l/meta.lock").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_NE(flock(fd, LOCK_EX | LOCK_NB), 0);
  EXPECT_EQ(errno, EWOULDBLOCK);
  { ContainerLock released = *std::move(lock); }
  EXPECT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
  close(fd);
  EXPECT_EQ(Counter(*store.Load("l")), 3);
}

TEST_F(StoreTest, Remove) {
  Store store(root_);
  ASSERT_TRUE(store.Create(Md("r1")).ok());
  ASSERT_TRUE(store.Create(Md("r2")).ok());
  // Files the sandbox may have put in the directory go too.
  { std::ofstream(root_ + "/r1/control.sock") << "x"; }
  ASSERT_EQ(mkdir((root_ + "/r1/sub").c_str(), 0700), 0);
  ASSERT_TRUE(store.Remove("r1").ok());
  EXPECT_FALSE(Exists(root_ + "/r1"));
  EXPECT_EQ(store.Load("r1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.Remove("r1").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store.Load("r2").ok());
  // Remove wants the exact id, not a prefix.
  EXPECT_EQ(store.Remove("r").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store.Load("r2").ok());
}

TEST_F(StoreTest, RemoveHalfCreatedDirectory) {
  Store store(root_);
  ASSERT_TRUE(store.Create(Md("keep")).ok());
  ASSERT_EQ(mkdir((root_ + "/half").c_str(), 0711), 0);
  EXPECT_EQ(store.Load("half").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store.Remove("half").ok());
  EXPECT_FALSE(Exists(root_ + "/half"));
}

TEST_F(StoreTest, RemoveWhileAnotherProcessWaitsForTheLock) {
  Store store(root_);
  ASSERT_TRUE(store.Create(Md("w")).ok());
  // The child is forked before the lock is taken: a forked child shares its
  // parent's lock (same open file description) and would wait on itself.
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(go[1]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(2);
    // Blocks on the lock (or finds the container gone); must never write.
    absl::StatusOr<Metadata> md = Store(root_).Update("w", [](Metadata& m) {
      m.extra["counter"] = 1;
      return absl::OkStatus();
    });
    _exit(absl::IsNotFound(md.status()) ? 0 : 1);
  }
  close(go[0]);
  absl::StatusOr<ContainerLock> lock = store.Lock("w");
  ASSERT_TRUE(lock.ok());
  ASSERT_EQ(write(go[1], "x", 1), 1);
  close(go[1]);
  ASSERT_TRUE(store.RemoveLocked(*std::move(lock)).ok());
  EXPECT_EQ(WaitExit(pid), 0);
  EXPECT_FALSE(Exists(root_ + "/w"));
}

TEST_F(StoreTest, List) {
  Store store(root_);
  absl::StatusOr<std::vector<Metadata>> empty = store.List();
  ASSERT_TRUE(empty.ok());  // Root does not exist yet.
  EXPECT_TRUE(empty->empty());

  for (const char* id : {"b", "a", "c"}) ASSERT_TRUE(store.Create(Md(id)).ok());
  // Things List must skip: a half-created directory, a corrupt meta.json, a
  // stray file, a name that is not an id.
  ASSERT_EQ(mkdir((root_ + "/half").c_str(), 0711), 0);
  ASSERT_EQ(mkdir((root_ + "/bad").c_str(), 0711), 0);
  { std::ofstream(root_ + "/bad/meta.json") << "{\"id\": \"bad\", "; }
  { std::ofstream(root_ + "/file") << "x"; }
  ASSERT_EQ(mkdir((root_ + "/sp ace").c_str(), 0711), 0);

  absl::StatusOr<std::vector<Metadata>> all = store.List();
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<std::string> ids;
  for (const Metadata& md : *all) ids.push_back(md.id);
  EXPECT_THAT(ids, ElementsAre("a", "b", "c"));

  absl::StatusOr<std::vector<std::string>> listed = store.ListIds();
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(*listed, ElementsAre("a", "b", "bad", "c"));

  // A corrupt meta.json is an error on Load, not a crash.
  absl::StatusOr<Metadata> bad = store.Load("bad");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(bad.status().message(), HasSubstr("is not valid JSON"));
}

TEST_F(StoreTest, TrailingSlashRoot) {
  Store store(root_ + "//");
  EXPECT_EQ(store.root(), root_);
  ASSERT_TRUE(store.Create(Md("t")).ok());
  EXPECT_TRUE(Store(root_).Load("t").ok());
}

// A writer dies after writing and syncing its temporary file but before the
// rename. meta.json must still be the old, whole document; the temporary is
// ignored by readers and removed by the next writer.
TEST_F(StoreTest, CrashBetweenWriteAndRename) {
  Store store(root_);
  ASSERT_TRUE(store.Create(Md("crash")).ok());
  ASSERT_TRUE(store
                  .Update("crash",
                          [](Metadata& md) {
                            md.status = Status::kCreated;
                            md.extra["counter"] = 1;
                            return absl::OkStatus();
                          })
                  .ok());
  const std::string dir = root_ + "/crash";
  const std::string before = ReadFile(dir + "/meta.json");

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    testing_internal::CrashBeforeRenameForTest(42);
    (void)Store(root_).Update("crash", [](Metadata& md) {
      md.status = Status::kRunning;
      md.extra["counter"] = 2;
      return absl::OkStatus();
    });
    _exit(1);  // Not reached if the crash point works.
  }
  ASSERT_EQ(WaitExit(pid), 42);

  // The old document is intact and a complete temporary is left behind.
  EXPECT_EQ(ReadFile(dir + "/meta.json"), before);
  std::vector<std::string> entries = DirEntries(dir);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0], "meta.json");
  EXPECT_TRUE(
      absl::StartsWith(entries[1], absl::StrCat("meta.json.tmp.", pid, ".")))
      << entries[1];
  EXPECT_EQ(entries[2], "meta.lock");
  json tmp_doc = json::parse(ReadFile(dir + "/" + entries[1]));
  EXPECT_EQ(tmp_doc["extra"]["counter"], 2);

  // Add a torn temporary too, as if a crash hit in the middle of a write.
  { std::ofstream(dir + "/meta.json.tmp.999.7") << "{\"id\": \"cr"; }

  // Readers see the old state; the dead writer's lock is gone with it.
  absl::StatusOr<Metadata> md = store.Load("crash");
  ASSERT_TRUE(md.ok()) << md.status();
  EXPECT_EQ(md->status, Status::kCreated);
  EXPECT_EQ(Counter(*md), 1);
  absl::StatusOr<std::vector<Metadata>> all = store.List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(Counter((*all)[0]), 1);

  // The next writer succeeds and cleans up.
  absl::StatusOr<Metadata> up = store.Update("crash", [](Metadata& md) {
    md.extra["counter"] = Counter(md) + 10;
    return absl::OkStatus();
  });
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(Counter(*store.Load("crash")), 11);
  EXPECT_THAT(DirEntries(dir), ElementsAre("meta.json", "meta.lock"));
}

// 20 processes each do 50 read-modify-write increments of one counter. With
// the flock held around each, no increment is lost and meta.json is always a
// whole document (two more processes keep reading it meanwhile).
TEST_F(StoreTest, ConcurrentWritersInSeparateProcesses) {
  constexpr int kWriters = 20;
  constexpr int kUpdates = 50;
  constexpr int kReaders = 2;
  constexpr int kReads = 300;
  Store store(root_);
  ASSERT_TRUE(store.Create(Md("shared")).ok());

  std::vector<pid_t> writers;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Store child(root_);
      for (int i = 0; i < kUpdates; ++i) {
        absl::StatusOr<Metadata> md = child.Update("shared", [](Metadata& m) {
          m.extra["counter"] = Counter(m) + 1;
          m.execs.push_back({getpid(), 0});
          return absl::OkStatus();
        });
        if (!md.ok()) _exit(1);
      }
      _exit(0);
    }
    writers.push_back(pid);
  }
  std::vector<pid_t> readers;
  for (int r = 0; r < kReaders; ++r) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Store child(root_);
      int64_t last = 0;
      for (int i = 0; i < kReads; ++i) {
        absl::StatusOr<Metadata> md = child.Load("shared");
        if (!md.ok()) _exit(2);  // Torn or missing meta.json.
        int64_t c = Counter(*md);
        if (c < last) _exit(3);  // Went backwards: a lost write.
        last = c;
      }
      _exit(0);
    }
    readers.push_back(pid);
  }
  for (pid_t pid : writers) EXPECT_EQ(WaitExit(pid), 0) << "writer " << pid;
  for (pid_t pid : readers) EXPECT_EQ(WaitExit(pid), 0) << "reader " << pid;

  const std::string text = ReadFile(root_ + "/shared/meta.json");
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(doc.is_discarded()) << text;
  EXPECT_EQ(doc["extra"]["counter"], kWriters * kUpdates);
  absl::StatusOr<Metadata> md = store.Load("shared");
  ASSERT_TRUE(md.ok()) << md.status();
  EXPECT_EQ(Counter(*md), kWriters * kUpdates);
  EXPECT_EQ(md->execs.size(), static_cast<size_t>(kWriters * kUpdates));
  EXPECT_THAT(DirEntries(root_ + "/shared"),
              ElementsAre("meta.json", "meta.lock"));
}

// Of several processes creating the same id at once, exactly one wins.
TEST_F(StoreTest, ConcurrentCreateOfOneId) {
  constexpr int kProcs = 10;
  std::vector<pid_t> pids;
  for (int i = 0; i < kProcs; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Metadata md = Md("race");
      md.extra["winner"] = i;
      absl::Status s = Store(root_).Create(md);
      if (s.ok()) _exit(0);
      _exit(absl::IsAlreadyExists(s) ? 10 : 1);
    }
    pids.push_back(pid);
  }
  int winners = 0;
  int losers = 0;
  for (pid_t pid : pids) {
    int code = WaitExit(pid);
    if (code == 0) ++winners;
    if (code == 10) ++losers;
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(losers, kProcs - 1);
  EXPECT_TRUE(Store(root_).Load("race").ok());
}

}  // namespace
}  // namespace runsc::container
