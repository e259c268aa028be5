// `run -u/--user` and `--group-add`, resolved the way docker does (runc's
// libcontainer/user, now moby/sys/user): against the image's own /etc/passwd
// and /etc/group, read as text through descriptors. Never NSS: getpwnam()
// would read the host's database, or load modules named by the image.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace skiff {

/// Largest uid or gid accepted, as docker: 2^31-1 (32-bit `int` safety).
inline constexpr uint32_t kMaxExecId = 0x7fffffff;
/// Largest /etc/passwd or /etc/group read from an image.
inline constexpr size_t kMaxUserFileSize = 1 << 20;

/// Who the container's process runs as.
struct ExecUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;  // supplementary groups, sorted, unique, without gid
  std::string home = "/";                 // from passwd, "/" when unknown or empty
  std::string name;                       // "" when the user has no passwd entry

  bool operator==(const ExecUser&) const = default;
};

/// Pure. Resolves `spec` ("", "user", "uid", "user:group", "uid:gid",
/// "user:gid", "uid:group") against passwd(5) and group(5) text:
/// - "" is uid 0, looked up like a numeric user;
/// - a numeric user is matched by uid only, a name by name only; the first
///   matching line wins; a numeric user without a line is allowed (gid 0
///   unless given, home "/"), a name without one is an error
///   "unable to find user NAME: no matching entries in passwd file";
/// - an explicit group likewise ("unable to find group NAME: no matching
///   entries in group file") and then no membership groups are added;
///   without one, every group listing the user's name is supplementary;
/// - `extra_groups` (--group-add: names or numbers) are always added;
/// - an ID above 2^31-1 or negative: "uids and gids must be in range 0-2147483647".
/// Blank lines, `#` comments and malformed lines (no name, too few fields, an
/// ID that is not a number in range) are skipped.
Result<ExecUser> resolve_exec_user(std::string_view spec, std::string_view passwd,
                                   std::string_view group,
                                   const std::vector<std::string>& extra_groups = {});

/// Reads etc/passwd and etc/group of the image root open at `root_fd`
/// (every symlink resolved inside the root; a missing file reads as empty;
/// one that is not a regular file or is larger than kMaxUserFileSize is an
/// error), then resolve_exec_user.
Result<ExecUser> resolve_exec_user_in_root(int root_fd, std::string_view spec,
                                           const std::vector<std::string>& extra_groups = {});

}  // namespace skiff
