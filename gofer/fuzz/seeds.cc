#include "gofer/fuzz/seeds.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "gofer/proto/gofer.pb.h"
#include "gofer/wire.h"

namespace gofer::fuzz {
namespace {

namespace pb = ::runsc::gofer;

// Accumulates datagrams in the fuzzer's input format.
class Seq {
 public:
  Seq& Add(pb::MessageType type, const google::protobuf::Message& m) {
    std::string d = EncodeMessage({id_++, static_cast<uint32_t>(type), 0},
                                  m.SerializeAsString());
    out_.push_back(static_cast<char>(d.size() & 0xff));
    out_.push_back(static_cast<char>(d.size() >> 8));
    out_ += d;
    return *this;
  }
  std::string str() const { return out_; }

 private:
  std::string out_;
  uint64_t id_ = 1;
};

pb::AttachRequest Attach(uint32_t i) {
  pb::AttachRequest r;
  r.set_mount_index(i);
  return r;
}

pb::WalkRequest Walk(uint64_t h, std::vector<std::string> names) {
  pb::WalkRequest r;
  r.set_handle(h);
  for (auto& n : names) r.add_names(n);
  return r;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> Seeds() {
  std::vector<std::pair<std::string, std::string>> seeds;
  // Handles: attach -> 1; walk dir, inner -> 2, 3.
  {
    pb::OpenRequest open;
    open.set_handle(3);
    open.set_flags(O_RDWR);
    pb::StatRequest stat;
    stat.set_handle(2);
    pb::CloseRequest close;
    close.add_handles(2);
    close.add_handles(3);
    seeds.emplace_back("walk_open",
                       Seq()
                           .Add(pb::ATTACH, Attach(0))
                           .Add(pb::WALK, Walk(1, {"dir", "inner"}))
                           .Add(pb::OPEN, open)
                           .Add(pb::STAT, stat)
                           .Add(pb::CLOSE, close)
                           .str());
  }
  {
    pb::WalkRequest w = Walk(1, {"abs", "x"});
    pb::ReadlinkRequest rl;
    rl.set_handle(2);
    pb::GetdentsRequest gd;
    gd.set_handle(1);
    gd.set_max_bytes(1024);
    seeds.emplace_back("symlink_getdents", Seq()
                                               .Add(pb::ATTACH, Attach(0))
                                               .Add(pb::WALK, w)
                                               .Add(pb::READLINK, rl)
                                               .Add(pb::GETDENTS, gd)
                                               .str());
  }
  {
    pb::CreateRequest cr;
    cr.set_dir(1);
    cr.set_name("new");
    cr.set_flags(O_RDWR);
    cr.set_mode(0644);
    pb::SetAttrRequest sa;
    sa.set_handle(2);
    sa.set_mode(0600);
    sa.set_size(100);
    sa.mutable_mtime()->set_nsec(UTIME_NOW);
    pb::SetXattrRequest sx;
    sx.set_handle(2);
    sx.set_name("user.k");
    sx.set_value("v");
    pb::GetXattrRequest gx;
    gx.set_handle(2);
    gx.set_name("user.k");
    gx.set_size(64);
    pb::ListXattrRequest lx;
    lx.set_handle(2);
    pb::RenameRequest rn;
    rn.set_old_dir(1);
    rn.set_old_name("new");
    rn.set_new_dir(1);
    rn.set_new_name("newer");
    rn.set_flags(RENAME_NOREPLACE);
    pb::UnlinkRequest ul;
    ul.set_dir(1);
    ul.set_name("newer");
    seeds.emplace_back("create_setattr", Seq()
                                             .Add(pb::ATTACH, Attach(0))
                                             .Add(pb::CREATE, cr)
                                             .Add(pb::SETATTR, sa)
                                             .Add(pb::SETXATTR, sx)
                                             .Add(pb::GETXATTR, gx)
                                             .Add(pb::LISTXATTR, lx)
                                             .Add(pb::RENAME, rn)
                                             .Add(pb::UNLINK, ul)
                                             .str());
  }
  {
    pb::MkdirRequest md;
    md.set_dir(1);
    md.set_name("d");
    md.set_mode(0755);
    pb::MknodRequest mn;
    mn.set_dir(2);
    mn.set_name("p");
    mn.set_mode(S_IFIFO | 0644);
    pb::SymlinkRequest sl;
    sl.set_dir(2);
    sl.set_name("s");
    sl.set_target("../file");
    pb::LinkRequest ln;
    ln.set_dir(2);
    ln.set_name("l");
    ln.set_target(3);
    pb::UnlinkRequest rm;
    rm.set_dir(1);
    rm.set_name("d");
    rm.set_flags(AT_REMOVEDIR);
    pb::FsyncRequest fs;
    fs.set_handle(1);
    pb::StatfsRequest sf;
    sf.set_handle(1);
    seeds.emplace_back("mkdir_mknod_link", Seq()
                                               .Add(pb::ATTACH, Attach(0))
                                               .Add(pb::MKDIR, md)
                                               .Add(pb::MKNOD, mn)
                                               .Add(pb::SYMLINK, sl)
                                               .Add(pb::LINK, ln)
                                               .Add(pb::UNLINK, rm)
                                               .Add(pb::FSYNC, fs)
                                               .Add(pb::STATFS, sf)
                                               .str());
  }
  {
    pb::OpenRequest open;
    open.set_handle(2);
    open.set_flags(O_WRONLY);
    pb::RemoveXattrRequest rx;
    rx.set_handle(2);
    rx.set_name("user.k");
    seeds.emplace_back("read_only_mount", Seq()
                                              .Add(pb::ATTACH, Attach(1))
                                              .Add(pb::WALK, Walk(1, {"r"}))
                                              .Add(pb::OPEN, open)
                                              .Add(pb::REMOVEXATTR, rx)
                                              .str());
  }
  seeds.emplace_back("bad_names", Seq()
                                      .Add(pb::ATTACH, Attach(0))
                                      .Add(pb::WALK, Walk(1, {"..", "x"}))
                                      .Add(pb::WALK, Walk(1, {"a/b"}))
                                      .Add(pb::WALK, Walk(1, {"fifo"}))
                                      .str());
  return seeds;
}

}  // namespace gofer::fuzz
