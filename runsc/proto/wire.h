// Framing and Unix-socket helpers for the control channel (control.proto).
//
// A frame is a 4-byte little-endian body length followed by the body (a
// serialized protobuf message). Descriptors ride on the first bytes of the
// frame by SCM_RIGHTS. Both directions are bounded: a frame longer than
// kMaxFrameSize or carrying more than kMaxFds descriptors is rejected (the
// receiver closes whatever arrived) and reported as an error, never a crash.
//
// Every call takes a deadline (absl::InfiniteFuture() for none) and retries
// EINTR. Sends use MSG_NOSIGNAL: a vanished peer is an error, not SIGPIPE.
// Thread-compatible: one socket is used by one thread at a time.
#ifndef RUNSC_PROTO_WIRE_H_
#define RUNSC_PROTO_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "base/unique_fd.h"

namespace google::protobuf {
class MessageLite;
}  // namespace google::protobuf

namespace runsc::control {

// Largest body either side sends or accepts (an exec's process JSON is the
// biggest legitimate payload).
inline constexpr size_t kMaxFrameSize = 4 << 20;
// Most descriptors one frame may carry (exec stdio needs 3).
inline constexpr size_t kMaxFds = 8;

struct Frame {
  std::string body;
  std::vector<base::UniqueFd> fds;
};

// Sends one frame. InvalidArgument if it exceeds the limits;
// DeadlineExceeded; Unavailable if the peer is gone (EPIPE/ECONNRESET).
absl::Status SendFrame(int sock, absl::string_view body,
                       absl::Span<const int> fds, absl::Time deadline);

// Receives one frame. Unavailable "connection closed" if the peer closes
// before a whole frame; InvalidArgument for an oversized length or too many
// descriptors; DeadlineExceeded.
absl::StatusOr<Frame> RecvFrame(int sock, absl::Time deadline);

// Serializes `msg` and sends it as one frame.
absl::Status SendMessage(int sock, const google::protobuf::MessageLite& msg,
                         absl::Span<const int> fds, absl::Time deadline);

// Receives one frame and parses it into `msg` (InvalidArgument if the body
// does not parse). The frame's descriptors go to *fds (closed if fds is null).
absl::Status RecvMessage(int sock, google::protobuf::MessageLite* msg,
                         std::vector<base::UniqueFd>* fds, absl::Time deadline);

// Unix stream sockets by path. Paths longer than sun_path (108 bytes; state
// directories under long ids exceed it) are reached through
// /proc/self/fd/<dir>/<name> with the parent directory opened O_PATH.
//
// ConnectUnix: Unavailable "sandbox is not running" style errors are the
// caller's business; this returns base::ErrnoStatus (errno kept) so callers
// can tell ENOENT/ECONNREFUSED apart.
absl::StatusOr<base::UniqueFd> ConnectUnix(const std::string& path,
                                           absl::Time deadline);
// Binds and listens (backlog 64) at `path`, replacing nothing: the path must
// not exist. The descriptor is SOCK_CLOEXEC.
absl::StatusOr<base::UniqueFd> ListenUnix(const std::string& path);

}  // namespace runsc::control

#endif  // RUNSC_PROTO_WIRE_H_
