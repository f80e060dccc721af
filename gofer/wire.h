// Framing shared by the gofer client and server (see gofer/proto/gofer.proto).
//
// One SOCK_SEQPACKET datagram per message: a 16-byte little-endian header
// followed by a serialized protobuf body. At most one descriptor travels with
// a datagram, by SCM_RIGHTS. Limits on every field are defined here so that
// client and server agree on them.
#ifndef GOFER_WIRE_H_
#define GOFER_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/unique_fd.h"

namespace gofer {

struct MessageHeader {
  uint64_t id = 0;
  uint32_t type = 0;
  int32_t error = 0;  // replies only: 0 or a positive errno
};
inline constexpr size_t kHeaderSize = 16;

// Largest datagram either side sends or accepts (header included). The
// largest legitimate bodies are an xattr value (64 KiB) and a getdents batch.
inline constexpr size_t kMaxMessageSize = 160 * 1024;
inline constexpr size_t kMaxNameLength = 255;      // NAME_MAX
inline constexpr size_t kMaxSymlinkTarget = 4095;  // PATH_MAX - 1
inline constexpr size_t kMaxWalkComponents = 256;
inline constexpr size_t kMaxXattrName = 255;     // XATTR_NAME_MAX
inline constexpr size_t kMaxXattrValue = 65536;  // XATTR_SIZE_MAX
inline constexpr size_t kMaxXattrList = 65536;   // XATTR_LIST_MAX
inline constexpr uint32_t kMaxGetdentsBytes = 64 * 1024;
inline constexpr size_t kMaxCloseBatch = 4096;

// Encodes header + body into one buffer.
std::string EncodeMessage(const MessageHeader& header, absl::string_view body);

// Splits a datagram; false if it is shorter than a header.
bool DecodeHeader(absl::string_view datagram, MessageHeader* header,
                  absl::string_view* body);

// Sends one datagram, with `fd` attached when it is >= 0. Retries EINTR.
absl::Status SendDatagram(int sock, absl::string_view data, int fd = -1);

// Receives one datagram into buf[0, cap) (cap should be kMaxMessageSize) and
// returns its length. A descriptor attached to it goes to *fd when fd is
// non-null and is closed otherwise. A zero-length read (peer gone) returns 0.
// Datagrams longer than `cap` are reported as EMSGSIZE (and discarded).
absl::StatusOr<size_t> RecvDatagram(int sock, char* buf, size_t cap,
                                    base::UniqueFd* fd);

}  // namespace gofer

#endif  // GOFER_WIRE_H_
