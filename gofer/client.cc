#include "gofer/client.h"

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/status_macros.h"
#include "gofer/proto/gofer.pb.h"
#include "gofer/wire.h"

namespace gofer {
namespace {

namespace pb = ::runsc::gofer;

Stat FromProto(const pb::Stat& s) {
  Stat out;
  out.mode = s.mode();
  out.ino = s.ino();
  out.dev = s.dev();
  out.nlink = s.nlink();
  out.uid = s.uid();
  out.gid = s.gid();
  out.size = s.size();
  out.blocks = s.blocks();
  out.blksize = s.blksize();
  out.atime_ns = s.atime_ns();
  out.mtime_ns = s.mtime_ns();
  out.ctime_ns = s.ctime_ns();
  out.rdev = s.rdev();
  return out;
}

HandleStat FromProto(const pb::HandleStat& hs) {
  return HandleStat{hs.handle(), FromProto(hs.stat())};
}

void SetOwner(const std::optional<Owner>& owner, pb::Owner* out) {
  out->set_uid(owner->uid);
  out->set_gid(owner->gid);
}

// Every status the client returns carries an errno; the transport's own
// failures are EIO for the application.
absl::Status TransportError(absl::string_view what) {
  return base::ErrnoStatus(EIO, what);
}

}  // namespace

Client::Client(base::UniqueFd sock)
    : sock_(std::move(sock)),
      buf_(std::make_unique_for_overwrite<char[]>(kMaxMessageSize)) {}

Client::~Client() = default;

template <typename Req, typename Resp>
absl::Status Client::Call(uint32_t type, const Req& request, Resp* response,
                          base::UniqueFd* fd) {
  std::string body;
  if (!request.SerializeToString(&body)) {
    return base::ErrnoStatus(EINVAL, "gofer: cannot serialize request");
  }
  if (body.size() + kHeaderSize > kMaxMessageSize) {
    return base::ErrnoStatus(ENAMETOOLONG, "gofer: request too large");
  }
  absl::MutexLock lock(&mu_);
  MessageHeader header{next_id_++, type, 0};
  absl::Status st = SendDatagram(sock_.get(), EncodeMessage(header, body));
  if (!st.ok()) return TransportError(st.message());
  for (;;) {
    base::UniqueFd got;
    absl::StatusOr<size_t> n =
        RecvDatagram(sock_.get(), buf_.get(), kMaxMessageSize, &got);
    if (!n.ok()) return TransportError(n.status().message());
    if (*n == 0) return TransportError("gofer: connection closed");
    MessageHeader reply;
    absl::string_view reply_body;
    if (!DecodeHeader(absl::string_view(buf_.get(), *n), &reply, &reply_body)) {
      return TransportError("gofer: short reply");
    }
    // Replies to requests abandoned by an earlier failed call are skipped;
    // with one round trip at a time under mu_, ids only move forward.
    if (reply.id < header.id) continue;
    if (reply.id != header.id || reply.type != type) {
      return TransportError("gofer: reply does not match the request");
    }
    if (reply.error != 0) {
      if (reply.error < 0 || reply.error > 4095) {
        return TransportError("gofer: bad errno in reply");
      }
      return base::ErrnoStatus(reply.error, absl::StrCat("gofer op ", type));
    }
    if (!response->ParseFromArray(reply_body.data(),
                                  static_cast<int>(reply_body.size()))) {
      return TransportError("gofer: cannot parse reply");
    }
    if (fd != nullptr) *fd = std::move(got);
    return absl::OkStatus();
  }
}

absl::StatusOr<AttachResult> Client::Attach(uint32_t mount_index) {
  pb::AttachRequest req;
  req.set_mount_index(mount_index);
  pb::AttachResponse resp;
  RETURN_IF_ERROR(Call(pb::ATTACH, req, &resp));
  return AttachResult{FromProto(resp.root()), resp.read_only()};
}

absl::StatusOr<WalkResult> Client::Walk(Handle dir,
                                        absl::Span<const std::string> names) {
  pb::WalkRequest req;
  req.set_handle(dir);
  for (const std::string& n : names) req.add_names(n);
  pb::WalkResponse resp;
  RETURN_IF_ERROR(Call(pb::WALK, req, &resp));
  WalkResult out;
  out.entries.reserve(resp.entries_size());
  for (const auto& e : resp.entries()) out.entries.push_back(FromProto(e));
  out.error = resp.error();
  return out;
}

absl::StatusOr<Stat> Client::GetStat(Handle h) {
  pb::StatRequest req;
  req.set_handle(h);
  pb::StatResponse resp;
  RETURN_IF_ERROR(Call(pb::STAT, req, &resp));
  return FromProto(resp.stat());
}

absl::StatusOr<OpenResult> Client::Open(Handle h, int flags) {
  pb::OpenRequest req;
  req.set_handle(h);
  req.set_flags(static_cast<uint32_t>(flags));
  pb::OpenResponse resp;
  OpenResult out;
  RETURN_IF_ERROR(Call(pb::OPEN, req, &resp, &out.fd));
  out.dir = resp.dir_handle();
  if (resp.has_fd() != out.fd.valid() ||
      (out.dir == kInvalidHandle) == (!out.fd.valid())) {
    if (out.dir != kInvalidHandle) (void)Close(out.dir);
    return TransportError("gofer: open reply without a descriptor");
  }
  return out;
}

absl::StatusOr<CreateResult> Client::Create(Handle dir, absl::string_view name,
                                            int flags, uint32_t mode,
                                            std::optional<Owner> owner) {
  pb::CreateRequest req;
  req.set_dir(dir);
  req.set_name(name.data(), name.size());
  req.set_flags(static_cast<uint32_t>(flags));
  req.set_mode(mode);
  if (owner) SetOwner(owner, req.mutable_owner());
  pb::CreateResponse resp;
  CreateResult out;
  RETURN_IF_ERROR(Call(pb::CREATE, req, &resp, &out.fd));
  out.entry = FromProto(resp.entry());
  if (!out.fd.valid()) {
    (void)Close(out.entry.handle);
    return TransportError("gofer: create reply without a descriptor");
  }
  return out;
}

absl::StatusOr<HandleStat> Client::Mkdir(Handle dir, absl::string_view name,
                                         uint32_t mode,
                                         std::optional<Owner> owner) {
  pb::MkdirRequest req;
  req.set_dir(dir);
  req.set_name(name.data(), name.size());
  req.set_mode(mode);
  if (owner) SetOwner(owner, req.mutable_owner());
  pb::NewEntryResponse resp;
  RETURN_IF_ERROR(Call(pb::MKDIR, req, &resp));
  return FromProto(resp.entry());
}

absl::StatusOr<HandleStat> Client::Mknod(Handle dir, absl::string_view name,
                                         uint32_t mode, uint64_t rdev,
                                         std::optional<Owner> owner) {
  pb::MknodRequest req;
  req.set_dir(dir);
  req.set_name(name.data(), name.size());
  req.set_mode(mode);
  req.set_rdev(rdev);
  if (owner) SetOwner(owner, req.mutable_owner());
  pb::NewEntryResponse resp;
  RETURN_IF_ERROR(Call(pb::MKNOD, req, &resp));
  return FromProto(resp.entry());
}

absl::StatusOr<HandleStat> Client::Symlink(Handle dir, absl::string_view name,
                                           absl::string_view target,
                                           std::optional<Owner> owner) {
  pb::SymlinkRequest req;
  req.set_dir(dir);
  req.set_name(name.data(), name.size());
  req.set_target(target.data(), target.size());
  if (owner) SetOwner(owner, req.mutable_owner());
  pb::NewEntryResponse resp;
  RETURN_IF_ERROR(Call(pb::SYMLINK, req, &resp));
  return FromProto(resp.entry());
}

absl::StatusOr<HandleStat> Client::Link(Handle dir, absl::string_view name,
                                        Handle target) {
  pb::LinkRequest req;
  req.set_dir(dir);
  req.set_name(name.data(), name.size());
  req.set_target(target);
  pb::NewEntryResponse resp;
  RETURN_IF_ERROR(Call(pb::LINK, req, &resp));
  return FromProto(resp.entry());
}

absl::StatusOr<std::string> Client::Readlink(Handle h) {
  pb::ReadlinkRequest req;
  req.set_handle(h);
  pb::ReadlinkResponse resp;
  RETURN_IF_ERROR(Call(pb::READLINK, req, &resp));
  return std::move(*resp.mutable_target());
}

absl::Status Client::Unlink(Handle dir, absl::string_view name, int flags) {
  pb::UnlinkRequest req;
  req.set_dir(dir);
  req.set_name(name.data(), name.size());
  req.set_flags(static_cast<uint32_t>(flags));
  pb::EmptyResponse resp;
  return Call(pb::UNLINK, req, &resp);
}

absl::Status Client::Rename(Handle old_dir, absl::string_view old_name,
                            Handle new_dir, absl::string_view new_name,
                            unsigned flags) {
  pb::RenameRequest req;
  req.set_old_dir(old_dir);
  req.set_old_name(old_name.data(), old_name.size());
  req.set_new_dir(new_dir);
  req.set_new_name(new_name.data(), new_name.size());
  req.set_flags(flags);
  pb::EmptyResponse resp;
  return Call(pb::RENAME, req, &resp);
}

absl::StatusOr<Stat> Client::SetAttributes(Handle h, const SetAttr& attr) {
  pb::SetAttrRequest req;
  req.set_handle(h);
  if (attr.mode) req.set_mode(*attr.mode);
  if (attr.uid) req.set_uid(*attr.uid);
  if (attr.gid) req.set_gid(*attr.gid);
  if (attr.size) req.set_size(*attr.size);
  if (attr.atime) {
    req.mutable_atime()->set_sec(attr.atime->sec);
    req.mutable_atime()->set_nsec(attr.atime->nsec);
  }
  if (attr.mtime) {
    req.mutable_mtime()->set_sec(attr.mtime->sec);
    req.mutable_mtime()->set_nsec(attr.mtime->nsec);
  }
  pb::SetAttrResponse resp;
  RETURN_IF_ERROR(Call(pb::SETATTR, req, &resp));
  return FromProto(resp.stat());
}

absl::StatusOr<DirentBatch> Client::Getdents(Handle dir, int64_t offset,
                                             uint32_t max_bytes) {
  pb::GetdentsRequest req;
  req.set_handle(dir);
  req.set_offset(offset);
  req.set_max_bytes(max_bytes);
  pb::GetdentsResponse resp;
  RETURN_IF_ERROR(Call(pb::GETDENTS, req, &resp));
  DirentBatch out;
  out.eof = resp.eof();
  out.entries.reserve(resp.entries_size());
  for (auto& e : *resp.mutable_entries()) {
    out.entries.push_back(Dirent{std::move(*e.mutable_name()), e.ino(),
                                 static_cast<uint8_t>(e.type()),
                                 e.next_offset()});
  }
  return out;
}

absl::StatusOr<StatFs> Client::Statfs(Handle h) {
  pb::StatfsRequest req;
  req.set_handle(h);
  pb::StatfsResponse r;
  RETURN_IF_ERROR(Call(pb::STATFS, req, &r));
  return StatFs{r.type(),  r.bsize(), r.blocks(),  r.bfree(),  r.bavail(),
                r.files(), r.ffree(), r.namelen(), r.frsize(), r.flags()};
}

absl::StatusOr<std::string> Client::GetXattr(Handle h, absl::string_view name,
                                             uint32_t size) {
  pb::GetXattrRequest req;
  req.set_handle(h);
  req.set_name(name.data(), name.size());
  req.set_size(size);
  pb::GetXattrResponse resp;
  RETURN_IF_ERROR(Call(pb::GETXATTR, req, &resp));
  if (size == 0) return std::string(resp.size(), '\0');
  return std::move(*resp.mutable_value());
}

absl::Status Client::SetXattr(Handle h, absl::string_view name,
                              absl::string_view value, int flags) {
  pb::SetXattrRequest req;
  req.set_handle(h);
  req.set_name(name.data(), name.size());
  req.set_value(value.data(), value.size());
  req.set_flags(static_cast<uint32_t>(flags));
  pb::EmptyResponse resp;
  return Call(pb::SETXATTR, req, &resp);
}

absl::StatusOr<std::vector<std::string>> Client::ListXattr(Handle h,
                                                           uint32_t size) {
  pb::ListXattrRequest req;
  req.set_handle(h);
  req.set_size(size);
  pb::ListXattrResponse resp;
  RETURN_IF_ERROR(Call(pb::LISTXATTR, req, &resp));
  return std::vector<std::string>(resp.names().begin(), resp.names().end());
}

absl::Status Client::RemoveXattr(Handle h, absl::string_view name) {
  pb::RemoveXattrRequest req;
  req.set_handle(h);
  req.set_name(name.data(), name.size());
  pb::EmptyResponse resp;
  return Call(pb::REMOVEXATTR, req, &resp);
}

absl::Status Client::Fsync(Handle h, bool data_only) {
  pb::FsyncRequest req;
  req.set_handle(h);
  req.set_data_only(data_only);
  pb::EmptyResponse resp;
  return Call(pb::FSYNC, req, &resp);
}

absl::Status Client::Close(absl::Span<const Handle> handles) {
  // Sent in batches the gofer accepts.
  while (!handles.empty()) {
    size_t n = std::min(handles.size(), kMaxCloseBatch);
    pb::CloseRequest req;
    for (size_t i = 0; i < n; ++i) req.add_handles(handles[i]);
    pb::EmptyResponse resp;
    RETURN_IF_ERROR(Call(pb::CLOSE, req, &resp));
    handles.remove_prefix(n);
  }
  return absl::OkStatus();
}

}  // namespace gofer
