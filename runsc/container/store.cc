// The on-disk container store: directories, flock, atomic meta.json writes.
#include "runsc/container/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/errors.h"
#include "base/status_macros.h"
#include "runsc/container/store_testing.h"

namespace runsc::container {
namespace {

using json = nlohmann::json;

constexpr char kMetaFile[] = "meta.json";
constexpr char kLockFile[] = "meta.lock";
constexpr char kTempPrefix[] = "meta.json.tmp.";
constexpr mode_t kDirMode = 0711;
// meta.json holds the spec (environment, possibly secrets): owner only.
constexpr mode_t kFileMode = 0600;

std::atomic<int> crash_before_rename{-1};
std::atomic<uint64_t> temp_counter{0};

absl::Status DoesNotExist(absl::string_view id) {
  return absl::NotFoundError(
      absl::StrCat("container \"", id, "\" does not exist"));
}

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  return absl::StrCat(dir, "/", name);
}

// mkdir -p with `mode` for each directory it creates.
absl::Status MakeDirs(const std::string& path, mode_t mode) {
  if (path.empty()) return absl::OkStatus();
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return base::ErrnoStatus(ENOTDIR, absl::StrCat("mkdir ", path));
  }
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    RETURN_IF_ERROR(MakeDirs(path.substr(0, slash), mode));
  }
  if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return base::ErrnoStatus(errno, absl::StrCat("mkdir ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  base::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return base::ErrnoStatus(errno, absl::StrCat("open ", path));
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(errno, absl::StrCat("read ", path));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoStatus(errno, absl::StrCat("write ", path));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Reads and parses <dir>/meta.json. NotFound (`does not exist`) if absent.
absl::StatusOr<Metadata> ReadMeta(const std::string& dir,
                                  absl::string_view id) {
  const std::string path = JoinPath(dir, kMetaFile);
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) return DoesNotExist(id);
    return text.status();
  }
  json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::DataLossError(
        absl::StrCat(path, " is not valid JSON (", text->size(), " bytes)"));
  }
  absl::StatusOr<Metadata> md = MetadataFromJson(doc);
  if (!md.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": ", md.status().message()));
  }
  return md;
}

// Writes <dir>/meta.json atomically: temp file, fsync, rename, fsync dir.
absl::Status WriteMeta(const std::string& dir, const Metadata& md) {
  const std::string text = MetadataToJson(md).dump() + "\n";
  const std::string tmp = JoinPath(
      dir, absl::StrCat(kTempPrefix, getpid(), ".", temp_counter.fetch_add(1)));
  base::UniqueFd fd(
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode));
  if (!fd.valid()) return base::ErrnoStatus(errno, absl::StrCat("open ", tmp));
  absl::Status status = WriteAll(fd.get(), text, tmp);
  if (status.ok() && fsync(fd.get()) != 0) {
    status = base::ErrnoStatus(errno, absl::StrCat("fsync ", tmp));
  }
  fd.reset();
  if (status.ok()) {
    int crash = crash_before_rename.load();
    if (crash >= 0) _exit(crash);
    const std::string dst = JoinPath(dir, kMetaFile);
    if (rename(tmp.c_str(), dst.c_str()) != 0) {
      status = base::ErrnoStatus(errno, absl::StrCat("rename ", tmp));
    }
  }
  if (!status.ok()) {
    unlink(tmp.c_str());
    return status;
  }
  // Make the rename itself durable.
  base::UniqueFd dirfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd.valid() || fsync(dirfd.get()) != 0) {
    return base::ErrnoStatus(errno, absl::StrCat("fsync ", dir));
  }
  return absl::OkStatus();
}

// Deletes temporaries a crashed writer left. Call only under the lock: no
// live writer can then be between its open and its rename.
void RemoveStrayTemps(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* e = readdir(d)) {
    if (absl::StartsWith(e->d_name, kTempPrefix)) {
      unlinkat(dirfd(d), e->d_name, 0);
    }
  }
  closedir(d);
}

// Names of entries in `root` that look like containers (valid IDs).
absl::StatusOr<std::vector<std::string>> ListDir(const std::string& root) {
  std::vector<std::string> names;
  DIR* d = opendir(root.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return names;
    return base::ErrnoStatus(errno, absl::StrCat("open ", root));
  }
  while (struct dirent* e = readdir(d)) {
    if (!ValidateId(e->d_name).ok()) continue;  // Also skips "." and "..".
    names.push_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool HasMeta(const std::string& dir) {
  struct stat st;
  return stat(JoinPath(dir, kMetaFile).c_str(), &st) == 0 &&
         S_ISREG(st.st_mode);
}

}  // namespace

namespace testing_internal {
void CrashBeforeRenameForTest(int exit_status) {
  crash_before_rename.store(exit_status);
}
}  // namespace testing_internal

Store::Store(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string Store::ContainerDir(absl::string_view id) const {
  return JoinPath(root_, id);
}

absl::Status Store::Create(const Metadata& md) {
  RETURN_IF_ERROR(ValidateId(md.id));
  RETURN_IF_ERROR(MakeDirs(root_, kDirMode));
  const std::string dir = ContainerDir(md.id);
  // mkdir is the atomic "claim" of the id: of two concurrent creates, one
  // gets EEXIST.
  if (mkdir(dir.c_str(), kDirMode) != 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat("container \"", md.id, "\" already exists"));
    }
    return base::ErrnoStatus(errno, absl::StrCat("mkdir ", dir));
  }
  auto cleanup = [&](absl::Status s) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return s;
  };
  // Exactly 0711 whatever the umask: others may reach sockets by path but
  // not list the directory.
  if (chmod(dir.c_str(), kDirMode) != 0) {
    return cleanup(base::ErrnoStatus(errno, absl::StrCat("chmod ", dir)));
  }
  absl::StatusOr<ContainerLock> lock = Lock(md.id);
  if (!lock.ok()) return cleanup(lock.status());
  absl::Status s = WriteMeta(dir, md);
  if (!s.ok()) return cleanup(s);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Store::Resolve(
    absl::string_view id_or_prefix) const {
  RETURN_IF_ERROR(ValidateId(id_or_prefix));
  if (HasMeta(ContainerDir(id_or_prefix))) return std::string(id_or_prefix);
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(root_));
  std::vector<std::string> matches;
  for (const std::string& name : names) {
    if (absl::StartsWith(name, id_or_prefix) && HasMeta(ContainerDir(name))) {
      matches.push_back(name);
    }
  }
  if (matches.empty()) return DoesNotExist(id_or_prefix);
  if (matches.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("container ID prefix \"", id_or_prefix,
                     "\" is ambiguous: it matches \"",
                     absl::StrJoin(matches, "\", \""), "\""));
  }
  return matches[0];
}

absl::StatusOr<Metadata> Store::Load(absl::string_view id_or_prefix) const {
  ASSIGN_OR_RETURN(std::string id, Resolve(id_or_prefix));
  return ReadMeta(ContainerDir(id), id);
}

absl::StatusOr<ContainerLock> Store::Lock(absl::string_view id) const {
  RETURN_IF_ERROR(ValidateId(id));
  const std::string dir = ContainerDir(id);
  const std::string path = JoinPath(dir, kLockFile);
  for (;;) {
    base::UniqueFd fd(
        open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kFileMode));
    if (!fd.valid()) {
      if (errno == ENOENT) return DoesNotExist(id);
      return base::ErrnoStatus(errno, absl::StrCat("open ", path));
    }
    while (flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) {
        return base::ErrnoStatus(errno, absl::StrCat("flock ", path));
      }
    }
    // The container may have been removed (and perhaps re-created) while we
    // waited: then we hold a lock on an unlinked file that protects nothing.
    struct stat held, current;
    if (fstat(fd.get(), &held) != 0) {
      return base::ErrnoStatus(errno, absl::StrCat("fstat ", path));
    }
    if (stat(path.c_str(), &current) != 0) {
      if (errno == ENOENT) return DoesNotExist(id);
      return base::ErrnoStatus(errno, absl::StrCat("stat ", path));
    }
    if (held.st_dev == current.st_dev && held.st_ino == current.st_ino) {
      return ContainerLock(std::string(id), std::move(fd));
    }
  }
}

absl::StatusOr<Metadata> Store::Update(
    absl::string_view id, const std::function<absl::Status(Metadata&)>& fn) {
  ASSIGN_OR_RETURN(ContainerLock lock, Lock(id));
  return UpdateLocked(lock, fn);
}

absl::StatusOr<Metadata> Store::UpdateLocked(
    const ContainerLock& lock,
    const std::function<absl::Status(Metadata&)>& fn) {
  const std::string dir = ContainerDir(lock.id());
  RemoveStrayTemps(dir);
  ASSIGN_OR_RETURN(Metadata md, ReadMeta(dir, lock.id()));
  RETURN_IF_ERROR(fn(md));
  if (md.id != lock.id()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot change container ID \"", lock.id(), "\" to \"", md.id, "\""));
  }
  RETURN_IF_ERROR(WriteMeta(dir, md));
  return md;
}

absl::Status Store::Remove(absl::string_view id) {
  ASSIGN_OR_RETURN(ContainerLock lock, Lock(id));
  return RemoveLocked(std::move(lock));
}

absl::Status Store::RemoveLocked(ContainerLock lock) {
  const std::string dir = ContainerDir(lock.id());
  // meta.json first: from here on readers see "does not exist".
  const std::string meta = JoinPath(dir, kMetaFile);
  if (unlink(meta.c_str()) != 0 && errno != ENOENT) {
    return base::ErrnoStatus(errno, absl::StrCat("unlink ", meta));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) {
    return base::ErrnoStatus(ec.value(), absl::StrCat("remove ", dir));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Store::ListIds() const {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(root_));
  std::vector<std::string> ids;
  for (const std::string& name : names) {
    if (HasMeta(ContainerDir(name))) ids.push_back(name);
  }
  return ids;
}

absl::StatusOr<std::vector<Metadata>> Store::List() const {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(root_));
  std::vector<Metadata> out;
  for (const std::string& name : names) {
    absl::StatusOr<Metadata> md = ReadMeta(ContainerDir(name), name);
    if (md.ok()) out.push_back(*std::move(md));
  }
  return out;
}

}  // namespace runsc::container
