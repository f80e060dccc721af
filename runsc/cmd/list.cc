// runsc list: every container under --root, as a table (like runc's), as
// JSON (an array of OCI state documents), or IDs only (-q).
#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "runsc/cmd/commands.h"
#include "runsc/cmd/common.h"

namespace runsc::cmd {
namespace {

// runc shows the user owning the container's state directory.
std::string OwnerOf(const container::Store& store,
                    const container::Metadata& md) {
  if (!md.owner.empty()) return md.owner;
  struct stat st;
  if (::stat(store.ContainerDir(md.id).c_str(), &st) != 0) return "";
  struct passwd pw;
  struct passwd* result = nullptr;
  char buf[1024];
  if (::getpwuid_r(st.st_uid, &pw, buf, sizeof(buf), &result) == 0 &&
      result != nullptr) {
    return pw.pw_name;
  }
  return absl::StrCat("#", st.st_uid);
}

// Like Go's tabwriter with minwidth 12 and padding 3, as runc uses.
void PrintTable(std::ostream& out,
                const std::vector<std::array<std::string, 6>>& rows) {
  constexpr size_t kMinWidth = 12;
  constexpr size_t kPadding = 3;
  std::array<size_t, 6> width{};
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max({width[i], kMinWidth, row[i].size() + kPadding});
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size(), ' ');
    }
    out << line << "\n";
  }
}

}  // namespace

absl::StatusOr<int> List(const Context& ctx) {
  const cli::ListOptions& o = ctx.inv.list;
  container::Store store = OpenStore(ctx.inv.global);
  ASSIGN_OR_RETURN(std::vector<container::Metadata> all, store.List());
  for (container::Metadata& md : all) {
    md = container::RefreshStatus(std::move(md));
  }
  if (o.quiet) {
    for (const container::Metadata& md : all) ctx.out << md.id << "\n";
    return 0;
  }
  if (o.format == "json") {
    nlohmann::json arr = nlohmann::json::array();
    for (const container::Metadata& md : all) {
      nlohmann::json state = container::OciState(md);
      state["owner"] = OwnerOf(store, md);
      arr.push_back(std::move(state));
    }
    ctx.out << arr.dump() << "\n";
    return 0;
  }
  std::vector<std::array<std::string, 6>> rows;
  rows.push_back({"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"});
  for (const container::Metadata& md : all) {
    nlohmann::json state = container::OciState(md);
    rows.push_back({md.id, absl::StrCat(state.value("pid", 0)),
                    std::string(container::StatusName(md.status)), md.bundle,
                    container::FormatRfc3339Nano(md.created),
                    OwnerOf(store, md)});
  }
  PrintTable(ctx.out, rows);
  return 0;
}

}  // namespace runsc::cmd
