#include "gofer/server.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/errors.h"
#include "base/logging.h"
#include "gofer/proto/gofer.pb.h"
#include "gofer/wire.h"

namespace gofer {

namespace pb = ::runsc::gofer;

// One handle: an O_PATH descriptor of a file in a served mount.
struct Connection::Node {
  base::UniqueFd fd;       // O_PATH|O_NOFOLLOW
  uint32_t type = 0;       // S_IFMT bits; fixed for the inode's life
  bool read_only = false;  // inherited from the mount it was reached from
  base::UniqueFd dir;      // O_RDONLY|O_DIRECTORY, opened on first getdents
};

namespace {

// Retries a host call while it fails with EINTR.
template <typename F>
auto NoIntr(F f) {
  for (;;) {
    auto r = f();
    if (r != -1 || errno != EINTR) return r;
  }
}

void FillStat(const struct stat& st, pb::Stat* out) {
  out->set_mode(st.st_mode);
  out->set_ino(st.st_ino);
  out->set_dev(st.st_dev);
  out->set_nlink(static_cast<uint32_t>(st.st_nlink));
  out->set_uid(st.st_uid);
  out->set_gid(st.st_gid);
  out->set_size(static_cast<uint64_t>(st.st_size));
  out->set_blocks(static_cast<uint64_t>(st.st_blocks));
  out->set_blksize(static_cast<uint32_t>(st.st_blksize));
  auto ns = [](const struct timespec& t) {
    return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
  };
  out->set_atime_ns(ns(st.st_atim));
  out->set_mtime_ns(ns(st.st_mtim));
  out->set_ctime_ns(ns(st.st_ctim));
  out->set_rdev(st.st_rdev);
}

// fstat of an O_PATH descriptor (the inode itself, even for a symlink).
int StatFd(int fd, struct stat* st) {
  if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
    return errno;
  }
  return 0;
}

// A single path component: 1..255 bytes, no '/', no NUL, not "." or "..".
int CheckName(const std::string& name) {
  if (name.empty()) return ENOENT;
  if (name.size() > kMaxNameLength) return ENAMETOOLONG;
  if (name == "." || name == "..") return EINVAL;
  if (name.find('/') != std::string::npos) return EINVAL;
  if (name.find('\0') != std::string::npos) return EINVAL;
  return 0;
}

int CheckXattrName(const std::string& name) {
  if (name.empty()) return ERANGE;
  if (name.size() > kMaxXattrName) return ERANGE;
  if (name.find('\0') != std::string::npos) return EINVAL;
  return 0;
}

// Open flags the sentry may ask for; everything else is refused.
constexpr int kAllowedOpenFlags =
    O_ACCMODE | O_TRUNC | O_APPEND | O_SYNC | O_DSYNC | O_DIRECT | O_NOATIME |
    O_LARGEFILE | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_DIRECTORY;

bool WantsWrite(int flags) {
  return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0;
}

}  // namespace

absl::StatusOr<ServedMount> OpenServedMount(const std::string& path,
                                            bool read_only) {
  int fd = open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoStatus(errno, absl::StrCat("open ", path));
  return ServedMount{base::UniqueFd(fd), read_only};
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(
    std::vector<ServedMount> mounts, Options options) {
  // The constructor is private: make_unique cannot reach it.
  std::unique_ptr<Server> s(new Server());  // NOLINT
  s->mounts_ = std::move(mounts);
  s->options_ = options;
  for (const ServedMount& m : s->mounts_) {
    if (!m.root.valid()) {
      return base::ErrnoStatus(EBADF, "gofer: mount without a root");
    }
  }
  int proc = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) return base::ErrnoStatus(errno, "open /proc/self/fd");
  s->proc_fd_dir_.reset(proc);
  if (options.use_openat2 && !s->mounts_.empty()) {
    struct open_how how = {};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    int fd = static_cast<int>(
        syscall(SYS_openat2, s->mounts_[0].root.get(), ".", &how, sizeof(how)));
    if (fd >= 0) {
      close(fd);
      s->openat2_ = true;
    }
  }
  return s;
}

std::vector<int> Server::HeldDescriptors() const {
  std::vector<int> fds;
  for (const ServedMount& m : mounts_) fds.push_back(m.root.get());
  fds.push_back(proc_fd_dir_.get());
  return fds;
}

absl::Status Server::Serve(base::UniqueFd sock) const {
  Connection conn(*this);
  auto buf = std::make_unique_for_overwrite<char[]>(kMaxMessageSize);
  for (;;) {
    absl::StatusOr<size_t> n =
        RecvDatagram(sock.get(), buf.get(), kMaxMessageSize, nullptr);
    std::string reply;
    base::UniqueFd donate;
    if (!n.ok()) {
      if (base::ErrnoFromStatus(n.status()) != EMSGSIZE) return n.status();
      reply = EncodeMessage(MessageHeader{0, 0, EMSGSIZE}, "");
    } else if (*n == 0) {
      return absl::OkStatus();  // the peer closed the connection
    } else {
      reply = conn.HandleDatagram(absl::string_view(buf.get(), *n), &donate);
    }
    absl::Status st = SendDatagram(sock.get(), reply, donate.get());
    if (!st.ok()) {
      int err = base::ErrnoFromStatus(st);
      if (err == EPIPE || err == ECONNRESET) return absl::OkStatus();
      return st;
    }
  }
}

absl::Status Server::ServeAll(std::vector<base::UniqueFd> socks) const {
  std::vector<absl::Status> results(socks.size());
  std::vector<std::thread> threads;
  threads.reserve(socks.size());
  for (size_t i = 0; i < socks.size(); ++i) {
    threads.emplace_back(
        [this, &results, i, s = std::move(socks[i])]() mutable {
          results[i] = Serve(std::move(s));
        });
  }
  for (std::thread& t : threads) t.join();
  for (absl::Status& st : results) {
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

// The operations. Each returns 0 or a positive errno and fills its response.
class Connection::Ops {
 public:
  explicit Ops(Connection& c) : c_(c), s_(c.server_) {}

  Node* Find(uint64_t h) {
    auto it = c_.handles_.find(h);
    return it == c_.handles_.end() ? nullptr : it->second.get();
  }

  // Adds a node for `fd` (type from `st`) and fills `out`.
  int AddNode(base::UniqueFd fd, const struct stat& st, bool read_only,
              pb::HandleStat* out) {
    if (c_.handles_.size() >= s_.options_.max_handles) return EMFILE;
    auto node = std::make_unique<Node>();
    node->fd = std::move(fd);
    node->type = st.st_mode & S_IFMT;
    node->read_only = read_only;
    uint64_t h = c_.next_handle_++;
    c_.handles_.emplace(h, std::move(node));
    out->set_handle(h);
    FillStat(st, out->mutable_stat());
    return 0;
  }

  bool Full() const { return c_.handles_.size() >= s_.options_.max_handles; }

  // Opens one validated component under `dir` without following symlinks.
  int OpenChild(int dir, const std::string& name, int extra_flags,
                base::UniqueFd* out) {
    int fd;
    if (s_.openat2_) {
      struct open_how how = {};
      how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | extra_flags;
      how.resolve =
          RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
      fd = static_cast<int>(NoIntr([&] {
        return syscall(SYS_openat2, dir, name.c_str(), &how, sizeof(how));
      }));
    } else {
      fd = NoIntr([&] {
        return openat(dir, name.c_str(),
                      O_PATH | O_NOFOLLOW | O_CLOEXEC | extra_flags);
      });
    }
    if (fd < 0) return errno;
    out->reset(fd);
    return 0;
  }

  // The /proc/self/fd name of a descriptor.
  static std::string ProcName(int fd) { return absl::StrCat(fd); }

  // Reopens the inode held by `n` with real access `flags`.
  int Reopen(const Node& n, int flags, base::UniqueFd* out) {
    int fd;
    if (n.type == S_IFDIR) {
      fd = NoIntr([&] {
        return openat(n.fd.get(), ".", flags | O_DIRECTORY | O_CLOEXEC);
      });
    } else {
      fd = NoIntr([&] {
        return openat(s_.proc_fd_dir_.get(), ProcName(n.fd.get()).c_str(),
                      flags | O_CLOEXEC | O_NOCTTY);
      });
    }
    if (fd < 0) return errno;
    out->reset(fd);
    return 0;
  }

  // Finishes a create-like operation: opens `name` under `dir`, applies the
  // owner and reports the new entry.
  int NewEntry(Node& dir, const std::string& name, bool has_owner,
               const pb::Owner& owner, pb::HandleStat* out) {
    base::UniqueFd fd;
    if (int err = OpenChild(dir.fd.get(), name, 0, &fd)) return err;
    if (has_owner && fchownat(fd.get(), "", owner.uid(), owner.gid(),
                              AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
      int err = errno;
      unlinkat(dir.fd.get(), name.c_str(), 0);
      return err;
    }
    struct stat st;
    if (int err = StatFd(fd.get(), &st)) return err;
    return AddNode(std::move(fd), st, dir.read_only, out);
  }

  int Attach(const pb::AttachRequest& req, pb::AttachResponse* resp) {
    if (req.mount_index() >= s_.mounts_.size()) return EINVAL;
    const ServedMount& m = s_.mounts_[req.mount_index()];
    if (Full()) return EMFILE;
    int fd = fcntl(m.root.get(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return errno;
    base::UniqueFd root(fd);
    struct stat st;
    if (int err = StatFd(root.get(), &st)) return err;
    resp->set_read_only(m.read_only);
    return AddNode(std::move(root), st, m.read_only, resp->mutable_root());
  }

  int Walk(const pb::WalkRequest& req, pb::WalkResponse* resp) {
    Node* n = Find(req.handle());
    if (n == nullptr) return EBADF;
    if (req.names_size() > static_cast<int>(kMaxWalkComponents)) {
      return E2BIG;
    }
    for (const std::string& name : req.names()) {
      if (int err = CheckName(name)) return err;
    }
    int parent = n->fd.get();
    bool ro = n->read_only;
    uint32_t type = n->type;
    for (const std::string& name : req.names()) {
      if (type != S_IFDIR) {
        resp->set_error(ENOTDIR);
        return 0;
      }
      if (Full()) {
        resp->set_error(EMFILE);
        return 0;
      }
      base::UniqueFd fd;
      struct stat st;
      int err = OpenChild(parent, name, 0, &fd);
      if (err == 0) err = StatFd(fd.get(), &st);
      if (err != 0) {
        resp->set_error(err);
        return 0;
      }
      parent = fd.get();
      type = st.st_mode & S_IFMT;
      if (int e = AddNode(std::move(fd), st, ro, resp->add_entries())) {
        resp->mutable_entries()->RemoveLast();
        resp->set_error(e);
        return 0;
      }
      if (type == S_IFLNK) break;  // the sentry resolves it
    }
    return 0;
  }

  int Stat(const pb::StatRequest& req, pb::StatResponse* resp) {
    Node* n = Find(req.handle());
    if (n == nullptr) return EBADF;
    struct stat st;
    if (int err = StatFd(n->fd.get(), &st)) return err;
    FillStat(st, resp->mutable_stat());
    return 0;
  }

  int Open(const pb::OpenRequest& req, pb::OpenResponse* resp,
           base::UniqueFd* fd_out) {
    Node* n = Find(req.handle());
    if (n == nullptr) return EBADF;
    int flags = static_cast<int>(req.flags());
    if ((flags & ~kAllowedOpenFlags) != 0) return EINVAL;
    if ((flags & O_ACCMODE) == O_ACCMODE) return EINVAL;
    flags &= ~(O_CLOEXEC | O_NOFOLLOW);
    if (n->read_only && WantsWrite(flags)) return EROFS;
    switch (n->type) {
      case S_IFDIR: {
        if (WantsWrite(flags)) return EISDIR;
        if (Full()) return EMFILE;
        base::UniqueFd dir;
        if (int err = Reopen(*n, O_RDONLY, &dir)) return err;
        int dup = fcntl(n->fd.get(), F_DUPFD_CLOEXEC, 0);
        if (dup < 0) return errno;
        auto node = std::make_unique<Node>();
        node->fd.reset(dup);
        node->type = S_IFDIR;
        node->read_only = n->read_only;
        node->dir = std::move(dir);
        uint64_t h = c_.next_handle_++;
        c_.handles_.emplace(h, std::move(node));
        resp->set_dir_handle(h);
        return 0;
      }
      case S_IFREG:
        break;
      case S_IFIFO:
        flags |= O_NONBLOCK;  // never block the server on a FIFO
        break;
      case S_IFLNK:
        return ELOOP;
      case S_IFSOCK:
        return ENXIO;
      default:
        return EPERM;  // device nodes are the sentry's own business
    }
    if (flags & O_DIRECTORY) return ENOTDIR;
    if (int err = Reopen(*n, flags, fd_out)) return err;
    resp->set_has_fd(true);
    return 0;
  }

  int Create(const pb::CreateRequest& req, pb::CreateResponse* resp,
             base::UniqueFd* fd_out) {
    Node* dir = Find(req.dir());
    if (dir == nullptr) return EBADF;
    if (int err = CheckName(req.name())) return err;
    if (dir->type != S_IFDIR) return ENOTDIR;
    int flags = static_cast<int>(req.flags());
    if ((flags & ~kAllowedOpenFlags) != 0 || (flags & O_DIRECTORY) != 0) {
      return EINVAL;
    }
    if ((flags & O_ACCMODE) == O_ACCMODE) return EINVAL;
    if (dir->read_only) return EROFS;
    if (Full()) return EMFILE;
    flags &= ~(O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    int fd = NoIntr([&] {
      return openat(
          dir->fd.get(), req.name().c_str(),
          flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
          req.mode() & 07777);
    });
    if (fd < 0) return errno;
    base::UniqueFd file(fd);
    auto undo = [&](int err) {
      unlinkat(dir->fd.get(), req.name().c_str(), 0);
      return err;
    };
    if (req.has_owner() &&
        fchown(file.get(), req.owner().uid(), req.owner().gid()) != 0) {
      return undo(errno);
    }
    // The handle names the inode just created, through its own descriptor.
    int path_fd = openat(s_.proc_fd_dir_.get(), ProcName(file.get()).c_str(),
                         O_PATH | O_CLOEXEC);
    if (path_fd < 0) return undo(errno);
    base::UniqueFd path(path_fd);
    struct stat st;
    if (int err = StatFd(path.get(), &st)) return undo(err);
    if (int err = AddNode(std::move(path), st, false, resp->mutable_entry())) {
      return undo(err);
    }
    *fd_out = std::move(file);
    return 0;
  }

  int Mkdir(const pb::MkdirRequest& req, pb::NewEntryResponse* resp) {
    Node* dir = Find(req.dir());
    if (dir == nullptr) return EBADF;
    if (int err = CheckName(req.name())) return err;
    if (dir->type != S_IFDIR) return ENOTDIR;
    if (dir->read_only) return EROFS;
    if (Full()) return EMFILE;
    if (mkdirat(dir->fd.get(), req.name().c_str(), req.mode() & 07777) != 0) {
      return errno;
    }
    int err = NewEntry(*dir, req.name(), req.has_owner(), req.owner(),
                       resp->mutable_entry());
    if (err != 0) unlinkat(dir->fd.get(), req.name().c_str(), AT_REMOVEDIR);
    return err;
  }

  int Mknod(const pb::MknodRequest& req, pb::NewEntryResponse* resp) {
    Node* dir = Find(req.dir());
    if (dir == nullptr) return EBADF;
    if (int err = CheckName(req.name())) return err;
    if (dir->type != S_IFDIR) return ENOTDIR;
    uint32_t type = req.mode() & S_IFMT;
    if (type == 0) type = S_IFREG;  // as mknod(2)
    if (type == S_IFCHR || type == S_IFBLK) return EPERM;
    if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK) return EINVAL;
    if (dir->read_only) return EROFS;
    if (Full()) return EMFILE;
    if (mknodat(dir->fd.get(), req.name().c_str(), type | (req.mode() & 07777),
                0) != 0) {
      return errno;
    }
    int err = NewEntry(*dir, req.name(), req.has_owner(), req.owner(),
                       resp->mutable_entry());
    if (err != 0) unlinkat(dir->fd.get(), req.name().c_str(), 0);
    return err;
  }

  int Symlink(const pb::SymlinkRequest& req, pb::NewEntryResponse* resp) {
    Node* dir = Find(req.dir());
    if (dir == nullptr) return EBADF;
    if (int err = CheckName(req.name())) return err;
    const std::string& target = req.target();
    if (target.empty()) return ENOENT;
    if (target.size() > kMaxSymlinkTarget) return ENAMETOOLONG;
    if (target.find('\0') != std::string::npos) return EINVAL;
    if (dir->type != S_IFDIR) return ENOTDIR;
    if (dir->read_only) return EROFS;
    if (Full()) return EMFILE;
    if (symlinkat(target.c_str(), dir->fd.get(), req.name().c_str()) != 0) {
      return errno;
    }
    int err = NewEntry(*dir, req.name(), req.has_owner(), req.owner(),
                       resp->mutable_entry());
    if (err != 0) unlinkat(dir->fd.get(), req.name().c_str(), 0);
    return err;
  }

  int Link(const pb::LinkRequest& req, pb::NewEntryResponse* resp) {
    Node* dir = Find(req.dir());
    Node* target = Find(req.target());
    if (dir == nullptr || target == nullptr) return EBADF;
    if (int err = CheckName(req.name())) return err;
    if (dir->type != S_IFDIR) return ENOTDIR;
    if (target->type == S_IFDIR) return EPERM;
    if (dir->read_only || target->read_only) return EROFS;
    if (Full()) return EMFILE;
    // The magic link resolves to the handle's inode itself; the kernel
    // refuses links across mounts (EXDEV).
    if (linkat(s_.proc_fd_dir_.get(), ProcName(target->fd.get()).c_str(),
               dir->fd.get(), req.name().c_str(), AT_SYMLINK_FOLLOW) != 0) {
      return errno;
    }
    pb::Owner none;
    int err = NewEntry(*dir, req.name(), false, none, resp->mutable_entry());
    if (err != 0) unlinkat(dir->fd.get(), req.name().c_str(), 0);
    return err;
  }

  int Readlink(const pb::ReadlinkRequest& req, pb::ReadlinkResponse* resp) {
    Node* n = Find(req.handle());
    if (n == nullptr) return EBADF;
    if (n->type != S_IFLNK) return EINVAL;
    char buf[kMaxSymlinkTarget + 1];
    ssize_t len = readlinkat(n->fd.get(), "", buf, sizeof(buf));
    if (len < 0) return errno;
    resp->set_target(buf, static_cast<size_t>(len));
    return 0;
  }

  int Unlink(const pb::UnlinkRequest& req) {
    Node* dir = Find(req.dir());
    if (dir == nullptr) return EBADF;
    if (int err = CheckName(req.name())) return err;
    if (req.flags() != 0 && req.flags() != AT_REMOVEDIR) return EINVAL;
    if (dir->type != S_IFDIR) return ENOTDIR;
    if (dir->read_only) return EROFS;
    if (unlinkat(dir->fd.get(), req.name().c_str(),
                 static_cast<int>(req.flags())) != 0) {
      return errno;
    }
    return 0;
  }

  int Rename(const pb::RenameRequest& req) {
    Node* od = Find(req.old_dir());
    Node* nd = Find(req.new_dir());
    if (od == nullptr || nd == nullptr) return EBADF;
    if (int err = CheckName(req.old_name())) return err;
    if (int err = CheckName(req.new_name())) return err;
    // RENAME_WHITEOUT is refused: the sentry's overlay keeps its own.
    if ((req.flags() & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0) {
      return EINVAL;
    }
    if (od->type != S_IFDIR || nd->type != S_IFDIR) return ENOTDIR;
    if (od->read_only || nd->read_only) return EROFS;
    if (renameat2(od->fd.get(), req.old_name().c_str(), nd->fd.get(),
                  req.new_name().c_str(), req.flags()) != 0) {
      return errno;
    }
    return 0;
  }

  int SetAttr(const pb::SetAttrRequest& req, pb::SetAttrResponse* resp) {
    Node* n = Find(req.handle());
    if (n == nullptr) return EBADF;
    bool any = req.has_mode() || req.has_uid() || req.has_gid() ||
               req.has_size() || req.has_atime() || req.has_mtime();
    if (any && n->read_only) return EROFS;
    if (req.has_size()) {
      if (n->type == S_IFDIR) return EISDIR;
      if (n->type != S_IFREG) return EINVAL;
      if (req.size() > static_cast<uint64_t>(INT64_MAX)) return EINVAL;
    }
    auto valid_time = [](const pb::Timespec& t) {
      return t.nsec() == UTIME_NOW || t.nsec() == UTIME_OMIT ||
             (t.nsec() >= 0 && t.nsec() < 1000000000);
    };
    if ((req.has_atime() && !valid_time(req.atime())) ||
        (req.has_mtime() && !valid_time(req.mtime()))) {
      return EINVAL;
    }
    const std::string proc = ProcName(n->fd.get());
    if (req.has_mode()) {
      // Linux cannot change a symlink's mode either (lchmod: EOPNOTSUPP).
      if (n->type == S_IFLNK) return EOPNOTSUPP;
      if (fchmodat(s_.proc_fd_dir_.get(), proc.c_str(), req.mode() & 07777,
                   0) != 0) {
        return errno;
      }
    }
    if (req.has_uid() || req.has_gid()) {
      uid_t uid = req.has_uid() ? req.uid() : static_cast<uid_t>(-1);
      gid_t gid = req.has_gid() ? req.gid() : static_cast<gid_t>(-1);
      if (fchownat(n->fd.get(), "", uid, gid,
                   AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
        return errno;
      }
    }
    if (req.has_size()) {
      base::UniqueFd f;
      if (int err = Reopen(*n, O_WRONLY | O_NONBLOCK, &f)) return err;
      if (NoIntr([&] {
            return ftruncate(f.get(), static_cast<off_t>(req.size()));
          }) != 0) {
        return errno;
      }
    }
    if (req.has_atime() || req.has_mtime()) {
      struct timespec ts[2];
      ts[0] = {0, UTIME_OMIT};
      ts[1] = {0, UTIME_OMIT};
      if (req.has_atime()) ts[0] = {req.atime().sec(), req.atime().nsec()};
      if (req.has_mtime()) ts[1] = {req.mtime().sec(), req.mtime().nsec()};
      int rc;
      if (n->type == S_IFLNK) {
        rc =
            utimensat(n->fd.get(), "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
      } else {
        rc = utimensat(s_.proc_fd_dir_.get(), proc.c_str(), ts, 0);
      }
      if (rc != 0) return errno;
    }
    struct stat st;
    if (int err = StatFd(n->fd.get(), &st)) return err;
    FillStat(st, resp->mutable_stat());
    return 0;
  }

  int Getdents(const pb::GetdentsRequest& req, pb::GetdentsResponse* resp) {
    Node* n = Find(req.handle());
    if (n == nullptr) return EBADF;
    if (n->type != S_IFDIR) return ENOTDIR;
    if (req.offset() < 0) return EINVAL;
    if (!n->dir.valid()) {
      if (int err = Reopen(*n, O_RDONLY, &n->dir)) return err;
    }
    size_t cap = std::clamp<uint32_t>(req.max_bytes(), 1024, kMaxGetdentsBytes);
    auto buf = std::make_unique_for_overwrite<char[]>(cap);
    if (lseek(n->dir.get(), req.offset(), SEEK_SET) < 0) return errno;
    // Loops only while a batch held nothing but "." and "..".
    while (resp->entries_size() == 0) {
      long got = NoIntr([&] {
        return syscall(SYS_getdents64, n->dir.get(), buf.get(), cap);
      });
      if (got < 0) return errno;
      if (got == 0) {
        resp->set_eof(true);
        return 0;
      }
      for (long pos = 0; pos < got;) {
        struct dirent64* d =
            reinterpret_cast<struct dirent64*>(buf.get() + pos);
        pos += d->d_reclen;
        absl::string_view name(d->d_name);
        if (name == "." || name == "..") continue;
        pb::Dirent* e = resp->add_entries();
        e->set_name(name.data(), name.size());
        e->set_ino(d->d_ino);
        e->set_type(d->d_type);
        e->set_next_offset(d->d_off);
      }
    }
    return 0;
  }

  int Statfs(const pb::StatfsRequest& req, pb::StatfsResponse* resp) {
    Node* n = Find(req.handle());
    if (n == nullptr) return EBADF;
    struct statfs sf;
    if (fstatfs(n->fd.get(), &sf) != 0) return errno;
    resp->set_type(static_cast<uint64_t>(sf.f_type));
    resp->set_bsize(static_cast<uint64_t>(sf.f_bsize));
    resp->set_blocks(sf.f_blocks);
    resp->set_bfree(sf.f_bfree);
    resp->set_bavail(sf.f_bavail);
    resp->set_files(sf.f_files);
    resp->set_ffree(sf.f_ffree);
    resp->set_namelen(static_cast<uint64_t>(sf.f_namelen));
    resp->set_frsize(static_cast<uint64_t>(sf.f_frsize));
    resp->set_flags(static_cast<uint64_t>(sf.f_flags));
    return 0;
  }

  // A real descriptor for xattr calls: regular files and directories only.
  int XattrFd(const Node& n, base::UniqueFd* out) {
    if (n.type != S_IFREG && n.type != S_IFDIR) return EPERM;
    return Reopen(n, O_RDONLY | O_NONBLOCK, out);
  }

  int GetXattr(const pb::GetXattrRequest& req, pb::GetXattrResponse* resp) {
    Node* n = Find(req.handle());
    if (n == nullptr) return EBADF;
    if (int err = CheckXattrName(req.name())) return err;
    size_t size = std::min<size_t>(req.size(), kMaxXattrValue);
    base::UniqueFd f;
    if (int err = XattrFd(*n, &f)) return err;
    std::string value(size, '\0');
    ssize_t got = fgetxattr(f.get(), req.name().c_str(),
                            size ? value.data() : nullptr, size);
    if (got < 0) return errno;
    if (size != 0)
      value.resize(static_cast<size_t>(got));
    else
      value.clear();
    resp->set_value(std::move(value));
    resp->set_size(static_cast<uint32_t>(got));
    return 0;
  }

  int SetXattr(const pb::SetXattrRequest& req) {
    Node* n = Find(req.handle());
    if (n == nullptr) return EBADF;
    if (int err = CheckXattrName(req.name())) return err;
    if (req.value().size() > kMaxXattrValue) return E2BIG;
    if ((req.flags() & ~(XATTR_CREATE | XATTR_REPLACE)) != 0) return EINVAL;
    if (n->read_only) return EROFS;
    base::UniqueFd f;
    if (int err = XattrFd(*n, &f)) return err;
    if (fsetxattr(f.get(), req.name().c_str(), req.value().data(),
                  req.value().size(), static_cast<int>(req.flags())) != 0) {
      return errno;
    }
    return 0;
  }

  int ListXattr(const pb::ListXattrRequest& req, pb::ListXattrResponse* resp) {
    Node* n = Find(req.handle());
    if (n == nullptr) return EBADF;
    size_t size = req.size() == 0 ? kMaxXattrList
                                  : std::min<size_t>(req.size(), kMaxXattrList);
    base::UniqueFd f;
    if (int err = XattrFd(*n, &f)) return err;
    std::string buf(size, '\0');
    ssize_t got = flistxattr(f.get(), buf.data(), size);
    if (got < 0) return errno;
    absl::string_view rest(buf.data(), static_cast<size_t>(got));
    while (!rest.empty()) {
      size_t end = rest.find('\0');
      if (end == absl::string_view::npos) end = rest.size();
      if (end > 0) resp->add_names(rest.data(), end);
      rest.remove_prefix(std::min(rest.size(), end + 1));
    }
    resp->set_size(static_cast<uint32_t>(got));
    return 0;
  }

  int RemoveXattr(const pb::RemoveXattrRequest& req) {
    Node* n = Find(req.handle());
    if (n == nullptr) return EBADF;
    if (int err = CheckXattrName(req.name())) return err;
    if (n->read_only) return EROFS;
    base::UniqueFd f;
    if (int err = XattrFd(*n, &f)) return err;
    if (fremovexattr(f.get(), req.name().c_str()) != 0) return errno;
    return 0;
  }

  int Fsync(const pb::FsyncRequest& req) {
    Node* n = Find(req.handle());
    if (n == nullptr) return EBADF;
    if (n->type != S_IFREG && n->type != S_IFDIR) return EINVAL;
    base::UniqueFd f;
    if (int err = Reopen(*n, O_RDONLY | O_NONBLOCK, &f)) return err;
    int rc = req.data_only() ? fdatasync(f.get()) : fsync(f.get());
    return rc != 0 ? errno : 0;
  }

  int Close(const pb::CloseRequest& req) {
    if (static_cast<size_t>(req.handles_size()) > kMaxCloseBatch) {
      return E2BIG;
    }
    for (uint64_t h : req.handles()) c_.handles_.erase(h);
    return 0;
  }

 private:
  Connection& c_;
  const Server& s_;
};

Connection::Connection(const Server& server) : server_(server) {}
Connection::~Connection() = default;

size_t Connection::handle_count() const { return handles_.size(); }

namespace {

// Parses the request body as Req, runs `op`, serializes the response.
template <typename Req, typename Resp, typename F>
int Run(absl::string_view body, std::string* out, F op) {
  Req req;
  if (!req.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return EINVAL;
  }
  Resp resp;
  int err = op(req, &resp);
  if (err != 0) return err;
  if (!resp.SerializeToString(out)) return EIO;
  if (out->size() + kHeaderSize > kMaxMessageSize) {
    out->clear();
    return EOVERFLOW;  // cannot happen within the bounds above
  }
  return 0;
}

}  // namespace

std::string Connection::HandleDatagram(absl::string_view datagram,
                                       base::UniqueFd* fd_out) {
  MessageHeader header;
  absl::string_view body;
  if (!DecodeHeader(datagram, &header, &body)) {
    return EncodeMessage(MessageHeader{0, 0, EINVAL}, "");
  }
  Ops ops(*this);
  std::string out;
  int err;
  using E = pb::EmptyResponse;
  switch (header.type) {
    case pb::ATTACH:
      err = Run<pb::AttachRequest, pb::AttachResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.Attach(q, r); });
      break;
    case pb::WALK:
      err = Run<pb::WalkRequest, pb::WalkResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.Walk(q, r); });
      break;
    case pb::STAT:
      err = Run<pb::StatRequest, pb::StatResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.Stat(q, r); });
      break;
    case pb::OPEN:
      err = Run<pb::OpenRequest, pb::OpenResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.Open(q, r, fd_out); });
      break;
    case pb::CREATE:
      err = Run<pb::CreateRequest, pb::CreateResponse>(
          body, &out,
          [&](auto& q, auto* r) { return ops.Create(q, r, fd_out); });
      break;
    case pb::MKDIR:
      err = Run<pb::MkdirRequest, pb::NewEntryResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.Mkdir(q, r); });
      break;
    case pb::MKNOD:
      err = Run<pb::MknodRequest, pb::NewEntryResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.Mknod(q, r); });
      break;
    case pb::SYMLINK:
      err = Run<pb::SymlinkRequest, pb::NewEntryResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.Symlink(q, r); });
      break;
    case pb::LINK:
      err = Run<pb::LinkRequest, pb::NewEntryResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.Link(q, r); });
      break;
    case pb::READLINK:
      err = Run<pb::ReadlinkRequest, pb::ReadlinkResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.Readlink(q, r); });
      break;
    case pb::UNLINK:
      err = Run<pb::UnlinkRequest, E>(
          body, &out, [&](auto& q, auto*) { return ops.Unlink(q); });
      break;
    case pb::RENAME:
      err = Run<pb::RenameRequest, E>(
          body, &out, [&](auto& q, auto*) { return ops.Rename(q); });
      break;
    case pb::SETATTR:
      err = Run<pb::SetAttrRequest, pb::SetAttrResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.SetAttr(q, r); });
      break;
    case pb::GETDENTS:
      err = Run<pb::GetdentsRequest, pb::GetdentsResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.Getdents(q, r); });
      break;
    case pb::STATFS:
      err = Run<pb::StatfsRequest, pb::StatfsResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.Statfs(q, r); });
      break;
    case pb::GETXATTR:
      err = Run<pb::GetXattrRequest, pb::GetXattrResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.GetXattr(q, r); });
      break;
    case pb::SETXATTR:
      err = Run<pb::SetXattrRequest, E>(
          body, &out, [&](auto& q, auto*) { return ops.SetXattr(q); });
      break;
    case pb::LISTXATTR:
      err = Run<pb::ListXattrRequest, pb::ListXattrResponse>(
          body, &out, [&](auto& q, auto* r) { return ops.ListXattr(q, r); });
      break;
    case pb::REMOVEXATTR:
      err = Run<pb::RemoveXattrRequest, E>(
          body, &out, [&](auto& q, auto*) { return ops.RemoveXattr(q); });
      break;
    case pb::FSYNC:
      err = Run<pb::FsyncRequest, E>(
          body, &out, [&](auto& q, auto*) { return ops.Fsync(q); });
      break;
    case pb::CLOSE:
      err = Run<pb::CloseRequest, E>(
          body, &out, [&](auto& q, auto*) { return ops.Close(q); });
      break;
    default:
      err = ENOSYS;
      break;
  }
  if (err != 0) {
    // An error reply never donates a descriptor, and any handle the failed
    // operation made is already accounted for by the operation itself.
    fd_out->reset();
    out.clear();
  }
  return EncodeMessage(MessageHeader{header.id, header.type, err}, out);
}

}  // namespace gofer
