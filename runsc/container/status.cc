// The container status machine.
#include "absl/strings/str_cat.h"
#include "runsc/container/store.h"

namespace runsc::container {

absl::string_view StatusName(Status status) {
  switch (status) {
    case Status::kCreating:
      return "creating";
    case Status::kCreated:
      return "created";
    case Status::kRunning:
      return "running";
    case Status::kPaused:
      return "paused";
    case Status::kStopped:
      return "stopped";
  }
  return "unknown";
}

absl::StatusOr<Status> ParseStatus(absl::string_view name) {
  for (Status s : {Status::kCreating, Status::kCreated, Status::kRunning,
                   Status::kPaused, Status::kStopped}) {
    if (StatusName(s) == name) return s;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown container status \"", name, "\""));
}

namespace {

absl::Status Refuse(absl::string_view verb, Status from) {
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot ", verb, " a container in state \"", StatusName(from), "\""));
}

}  // namespace

absl::Status CheckTransition(Status from, Status to) {
  switch (to) {
    case Status::kCreating:
      // Nothing goes back to creating; a container is born in it.
      return absl::FailedPreconditionError(
          absl::StrCat("cannot move a container in state \"", StatusName(from),
                       "\" back to \"creating\""));
    case Status::kCreated:
      if (from == Status::kCreating) return absl::OkStatus();
      return Refuse("create", from);
    case Status::kRunning:
      if (from == Status::kCreated || from == Status::kPaused) {
        return absl::OkStatus();
      }
      return Refuse("start", from);
    case Status::kPaused:
      if (from == Status::kRunning) return absl::OkStatus();
      return Refuse("pause", from);
    case Status::kStopped:
      // A container may die (or be killed, or fail to be created) in any
      // state.
      return absl::OkStatus();
  }
  return absl::InternalError("unknown container status");
}

absl::Status CheckOperation(Status current, Operation op) {
  switch (op) {
    case Operation::kStart:
      if (current == Status::kCreated) return absl::OkStatus();
      return Refuse("start", current);
    case Operation::kPause:
      if (current == Status::kRunning) return absl::OkStatus();
      return Refuse("pause", current);
    case Operation::kResume:
      if (current == Status::kPaused) return absl::OkStatus();
      return Refuse("resume", current);
    case Operation::kExec:
      if (current == Status::kCreated || current == Status::kRunning) {
        return absl::OkStatus();
      }
      return Refuse("exec in", current);
    case Operation::kKill:
      if (current == Status::kCreated || current == Status::kRunning ||
          current == Status::kPaused) {
        return absl::OkStatus();
      }
      return Refuse("kill", current);
    case Operation::kDelete:
      if (current == Status::kCreated || current == Status::kStopped) {
        return absl::OkStatus();
      }
      return Refuse("delete", current);
    case Operation::kCheckpoint:
      if (current == Status::kRunning) return absl::OkStatus();
      return Refuse("checkpoint", current);
  }
  return absl::InternalError("unknown operation");
}

}  // namespace runsc::container
