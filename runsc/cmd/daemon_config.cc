#include "runsc/cmd/daemon_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"
#include "nlohmann/json.hpp"

namespace runsc::cmd {
namespace {

using json = nlohmann::json;

absl::StatusOr<json> ParseObject(const std::string& text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError("daemon config is not valid JSON");
  }
  if (!doc.is_object()) {
    return absl::InvalidArgumentError("daemon config is not a JSON object");
  }
  return doc;
}

std::string Dump(const json& doc) { return doc.dump(4) + "\n"; }

// Whole contents of `path`; NotFound when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path, mode_t* mode) {
  base::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return base::ErrnoStatus(errno, absl::StrCat("open ", path));
  struct stat st = {};
  if (fstat(fd.get(), &st) != 0) {
    return base::ErrnoStatus(errno, absl::StrCat("stat ", path));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a regular file"));
  }
  *mode = st.st_mode & 07777;
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::ErrnoStatus(errno, absl::StrCat("read ", path));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Replaces `path` with `data` (mode `mode`): temporary file in the same
// directory, fsync, rename. A reader sees the old or the new file, never a
// torn one.
absl::Status WriteFileAtomic(const std::string& path, const std::string& data,
                             mode_t mode) {
  const std::string tmp = absl::StrCat(path, ".runsc-tmp-", getpid());
  base::UniqueFd fd(
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid())
    return base::ErrnoStatus(errno, absl::StrCat("create ", tmp));
  absl::Cleanup remove_tmp = [&tmp] { unlink(tmp.c_str()); };
  // The umask may have narrowed the mode given to open.
  if (fchmod(fd.get(), mode) != 0) {
    return base::ErrnoStatus(errno, absl::StrCat("chmod ", tmp));
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::ErrnoStatus(errno, absl::StrCat("write ", tmp));
    done += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) {
    return base::ErrnoStatus(errno, absl::StrCat("fsync ", tmp));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return base::ErrnoStatus(errno, absl::StrCat("rename ", tmp));
  }
  std::move(remove_tmp).Cancel();
  return absl::OkStatus();
}

absl::Status MakeParentDir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return absl::OkStatus();
  const std::string dir = path.substr(0, slash);
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return base::ErrnoStatus(errno, absl::StrCat("mkdir ", dir));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ConfigEdit> AddRuntime(const std::string& config_json,
                                      const RuntimeEntry& entry,
                                      bool experimental) {
  if (entry.name.empty()) {
    return absl::InvalidArgumentError("runtime name is empty");
  }
  if (entry.path.empty() || entry.path[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "runtime path must be absolute, got \"", entry.path, "\""));
  }
  ASSIGN_OR_RETURN(json doc, ParseObject(config_json));
  const json before = doc;
  json& runtimes = doc["runtimes"];
  if (runtimes.is_null()) runtimes = json::object();
  if (!runtimes.is_object()) {
    return absl::InvalidArgumentError(
        "daemon config: \"runtimes\" is not an object");
  }
  json rt = json::object();
  rt["path"] = entry.path;
  if (!entry.runtime_args.empty()) rt["runtimeArgs"] = entry.runtime_args;
  runtimes[entry.name] = rt;
  if (experimental) doc["experimental"] = true;
  return ConfigEdit{Dump(doc), doc != before};
}

absl::StatusOr<ConfigEdit> RemoveRuntime(const std::string& config_json,
                                         const std::string& name) {
  ASSIGN_OR_RETURN(json doc, ParseObject(config_json));
  auto it = doc.find("runtimes");
  if (it == doc.end() || !it->is_object() || !it->contains(name)) {
    return ConfigEdit{Dump(doc), false};
  }
  it->erase(name);
  if (it->empty()) doc.erase(it);
  return ConfigEdit{Dump(doc), true};
}

absl::StatusOr<bool> EditDaemonConfigFile(
    const std::string& path,
    const std::function<absl::StatusOr<ConfigEdit>(const std::string&)>& edit) {
  mode_t mode = 0644;
  bool existed = true;
  absl::StatusOr<std::string> old = ReadFile(path, &mode);
  if (absl::IsNotFound(old.status())) {
    existed = false;
    old = std::string("{}");
  }
  if (!old.ok()) return old.status();
  // An empty file is how some installs ship daemon.json: treat it as {}.
  const bool blank = old->find_first_not_of(" \t\r\n") == std::string::npos;
  absl::StatusOr<ConfigEdit> result = edit(blank ? "{}" : *old);
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        absl::StrCat(path, ": ", result.status().message()));
  }
  if (!result->changed) return false;
  if (existed) {
    RETURN_IF_ERROR(WriteFileAtomic(absl::StrCat(path, ".bak"), *old, mode));
  } else {
    RETURN_IF_ERROR(MakeParentDir(path));
  }
  RETURN_IF_ERROR(WriteFileAtomic(path, result->json, mode));
  return true;
}

}  // namespace runsc::cmd
