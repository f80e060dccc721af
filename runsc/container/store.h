// The container store: one directory per container under the runtime root.
//
//   <root>/<id>/meta.json   the container's Metadata (JSON)
//   <root>/<id>/meta.lock   flock(2) target for every read-modify-write
//
// Contract:
//  * Writes of meta.json are atomic: a temporary file in the same directory
//    ("meta.json.tmp.*") is written, fsync'd and renamed over meta.json, then
//    the directory is fsync'd. A crash at any point leaves either the old or
//    the new meta.json; readers ignore stray temporaries and writers (holding
//    the lock) delete them.
//  * Every read-modify-write (Create, Update, Remove) holds LOCK_EX on
//    meta.lock and re-reads meta.json under it. Load/List read without the
//    lock: rename makes each read see a whole document.
//  * Lock order: at most one container lock at a time per caller. flock locks
//    belong to the open file description, so a process that already holds a
//    ContainerLock must use UpdateLocked, not Update (which would deadlock).
//    For the same reason a child forked (without exec) while a lock is held
//    shares that lock; the lock descriptor is O_CLOEXEC, so exec drops it.
//  * Nothing here prints or exits; every failure is an absl::Status whose
//    message is fit for the user. An unknown container is NotFound with
//    `container "<id>" does not exist` (podman matches "does not exist").
//  * Status moves Creating -> Created -> Running <-> Paused -> Stopped, and
//    anything -> Stopped; CheckTransition explains a forbidden move.
#ifndef RUNSC_CONTAINER_STORE_H_
#define RUNSC_CONTAINER_STORE_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/unique_fd.h"
#include "nlohmann/json.hpp"

namespace runsc::container {

enum class Status { kCreating, kCreated, kRunning, kPaused, kStopped };

// "creating", "created", "running", "paused", "stopped".
absl::string_view StatusName(Status status);
absl::StatusOr<Status> ParseStatus(absl::string_view name);

// OK if a container may move from `from` to `to`; otherwise
// FailedPrecondition such as `cannot start a container in state "running"`.
absl::Status CheckTransition(Status from, Status to);

// What a command is about to do to a container; CheckOperation says whether
// the current status allows it.
enum class Operation {
  kStart,       // Created only.
  kPause,       // Running only.
  kResume,      // Paused only.
  kExec,        // Created or Running.
  kKill,        // Created, Running or Paused.
  kDelete,      // Created or Stopped (anything else needs --force).
  kCheckpoint,  // Running only.
};

// OK or FailedPrecondition `cannot <verb> a container in state "<status>"`
// (verbs: start, pause, resume, exec in, kill, delete, checkpoint).
absl::Status CheckOperation(Status current, Operation op);

// A process started by `exec` that a waiter may ask about later.
struct ExecRecord {
  pid_t pid = 0;
  uint64_t start_time = 0;  // /proc/<pid>/stat field 22; 0 if unknown.
};

struct Metadata {
  std::string id;
  std::string bundle;   // Absolute bundle directory.
  nlohmann::json spec;  // The config.json document, unchanged.
  Status status = Status::kCreating;
  absl::Time created = absl::UnixEpoch();  // RFC 3339 (nanoseconds) in JSON.
  std::string owner;                       // As `runc state` prints; often "".
  std::string console_socket;
  std::string sandbox_id;
  pid_t sandbox_pid = 0;
  // /proc/<pid>/stat start time (clock ticks since boot) of sandbox_pid when
  // it was recorded: guards the liveness check against pid reuse. 0: unknown.
  uint64_t sandbox_start_time = 0;
  pid_t gofer_pid = 0;
  // The container's init process as the host sees it (what `state` reports).
  pid_t init_pid = 0;
  uint64_t init_start_time = 0;
  std::string control_socket;  // Sandbox control channel (Unix socket path).
  std::map<std::string, std::string> annotations;
  std::vector<ExecRecord> execs;
  // Free-form fields for later users, kept across load/store.
  nlohmann::json extra = nlohmann::json::object();
};

nlohmann::json MetadataToJson(const Metadata& md);
// Fails (InvalidArgument, naming the field) on a malformed document.
absl::StatusOr<Metadata> MetadataFromJson(const nlohmann::json& doc);

// RFC 3339 with nanoseconds, UTC, trailing zeros trimmed (Go's RFC3339Nano):
// "2026-11-22T15:14:40.123456789Z".
std::string FormatRfc3339Nano(absl::Time t);
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view s);

// The OCI state document (`runc state`): ociVersion, id, status, pid (0 when
// stopped), bundle, rootfs, created, owner, annotations (omitted when empty).
// Uses md.status as is: callers that want liveness applied pass
// RefreshStatus(md).
nlohmann::json OciState(const Metadata& md);

// Container IDs match ^[\w+.-]+$, are not "." or "..", and are at most
// kMaxIdLength bytes. InvalidArgument naming the id otherwise.
inline constexpr size_t kMaxIdLength = 250;
absl::Status ValidateId(absl::string_view id);

// /run/runsc when euid is 0, else $XDG_RUNTIME_DIR/runsc; without
// XDG_RUNTIME_DIR, /run/user/<uid>/runsc if /run/user/<uid> exists, else
// /tmp/runsc-<uid>.
std::string DefaultRoot();

// Liveness. ProcessStartTime reads field 22 of /proc/<pid>/stat.
absl::StatusOr<uint64_t> ProcessStartTime(pid_t pid);
// True if `pid` exists (kill(pid, 0) does not fail with ESRCH) and, when
// start_time is non-zero, its start time still equals start_time (a
// different start time means the pid was reused: the process is dead).
bool ProcessAlive(pid_t pid, uint64_t start_time);
// The status to report: kStopped if the container has a sandbox (or, before
// the sandbox is known, an init) pid that is no longer alive, or, for a
// container in another container's sandbox, whose waiter (init_pid) is
// gone; else md.status.
Status EffectiveStatus(const Metadata& md);
// md with status replaced by EffectiveStatus(md).
Metadata RefreshStatus(Metadata md);

// Records the calling process (pid and start time, in md.extra) as the one
// creating the container. A container still `creating` whose creator is gone
// (`runsc create` was killed midway) is effectively stopped.
void RecordCreator(Metadata& md);
// False only if md records a creator that is no longer alive.
bool CreatorAlive(const Metadata& md);

// Holds LOCK_EX on one container's meta.lock until destroyed.
class ContainerLock {
 public:
  ContainerLock(ContainerLock&&) = default;
  ContainerLock& operator=(ContainerLock&&) = default;
  const std::string& id() const { return id_; }

 private:
  friend class Store;
  ContainerLock(std::string id, base::UniqueFd fd)
      : id_(std::move(id)), fd_(std::move(fd)) {}
  std::string id_;
  base::UniqueFd fd_;
};

class Store {
 public:
  explicit Store(std::string root);

  const std::string& root() const { return root_; }
  // <root>/<id> (no validation).
  std::string ContainerDir(absl::string_view id) const;

  // Creates <root> (0711, with parents) if needed, then <root>/<id> (0711),
  // meta.lock and meta.json. AlreadyExists `container "<id>" already exists`
  // if the directory exists. On failure nothing of the new container is left.
  absl::Status Create(const Metadata& md);

  // Resolves an exact id or a unique prefix to a full id. NotFound
  // (`container "<x>" does not exist`) when nothing matches;
  // InvalidArgument naming every candidate when the prefix is ambiguous.
  // An exact match wins over a longer id it is a prefix of.
  absl::StatusOr<std::string> Resolve(absl::string_view id_or_prefix) const;

  // Resolve + read meta.json.
  absl::StatusOr<Metadata> Load(absl::string_view id_or_prefix) const;

  // Takes LOCK_EX on <root>/<id>/meta.lock (blocking). `id` must be exact.
  absl::StatusOr<ContainerLock> Lock(absl::string_view id) const;

  // Under the lock: re-reads meta.json, applies `fn`, writes it back
  // atomically, and returns the written metadata. If `fn` fails, nothing is
  // written and its status is returned. `fn` must not change md.id.
  absl::StatusOr<Metadata> Update(
      absl::string_view id, const std::function<absl::Status(Metadata&)>& fn);
  absl::StatusOr<Metadata> UpdateLocked(
      const ContainerLock& lock,
      const std::function<absl::Status(Metadata&)>& fn);

  // Removes <root>/<id> and everything in it (under the lock). NotFound if
  // it does not exist.
  absl::Status Remove(absl::string_view id);
  absl::Status RemoveLocked(ContainerLock lock);

  // Every container with a readable meta.json, sorted by id. Directories
  // without meta.json (being created or removed) and unreadable entries are
  // skipped. A missing root is an empty list.
  absl::StatusOr<std::vector<Metadata>> List() const;
  absl::StatusOr<std::vector<std::string>> ListIds() const;

 private:
  std::string root_;
};

}  // namespace runsc::container

#endif  // RUNSC_CONTAINER_STORE_H_
