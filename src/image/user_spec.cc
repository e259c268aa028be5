// Resolving `-u` follows moby/sys/user's GetExecUser and GetAdditionalGroups
// rule for rule, so a container runs with the IDs docker would give it; the
// few places where skiff is stricter are marked "Unlike runc".
//
// The two files come from an image someone else built, so they are reached
// through descriptors only: the directory with open_directory_in_root (every
// symlink resolved as if the image root were "/"), the file itself with
// O_NOFOLLOW, and a symlinked file re-resolved by hand inside the root. An
// absolute link such as etc/passwd -> /etc/passwd therefore reads the image's
// file, never the host's.
#include "image/user_spec.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <limits>

#include "base/unique_fd.h"
#include "linux/path_in_root.h"

namespace skiff {

namespace {

constexpr int kMaxSymlinks = 40;  // as the kernel's MAXSYMLINKS

Error range_error() {
  return make_error("uids and gids must be in range 0-{}", kMaxExecId);
}

// ---------------------------------------------------------------- numbers

enum class IdKind { kNotNumeric, kOutOfRange, kNumeric };

struct ParsedId {
  IdKind kind = IdKind::kNotNumeric;
  uint32_t id = 0;
};

// strconv.Atoi's grammar (optional sign, decimal digits), then docker's range.
// As Atoi, an overflow of int64 is a range error even if junk follows it.
ParsedId parse_id(std::string_view s) {
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return {};
  constexpr uint64_t kInt64Max = uint64_t(std::numeric_limits<int64_t>::max());
  uint64_t value = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return {};
    uint64_t digit = uint64_t(s[i] - '0');
    if (value > (kInt64Max - digit) / 10) return {IdKind::kOutOfRange, 0};
    value = value * 10 + digit;
  }
  if ((negative && value != 0) || value > kMaxExecId) return {IdKind::kOutOfRange, 0};
  return {IdKind::kNumeric, uint32_t(value)};
}

// One side of the spec, or one --group-add item: a name or a number.
struct IdArg {
  std::string_view text;  // empty: not given
  bool numeric = false;
  uint32_t id = 0;
  bool given() const { return !text.empty(); }
};

Result<IdArg> parse_arg(std::string_view text) {
  IdArg arg{.text = text};
  if (text.empty()) return arg;
  ParsedId p = parse_id(text);
  if (p.kind == IdKind::kOutOfRange) return range_error();
  arg.numeric = p.kind == IdKind::kNumeric;
  arg.id = p.id;
  return arg;
}

// ---------------------------------------------------------------- parsing

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t at = s.find(separator);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// Calls `f` with the fields of each line that is neither blank nor a comment.
// Lines are trimmed first, as Go's bytes.TrimSpace does in runc.
template <typename F>
void for_each_record(std::string_view text, F&& f) {
  for (std::string_view line : split(text, '\n')) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    f(split(line, ':'));
  }
}

struct PasswdEntry {
  std::string_view name;
  uint32_t uid = 0, gid = 0;
  std::string_view home;
};

struct GroupEntry {
  std::string_view name;
  uint32_t gid = 0;
  std::vector<std::string_view> members;
};

// name:password:UID:GID:GECOS:directory:shell; GECOS, directory and shell may
// be missing. Unlike runc, which reads a bad number as 0 (so "+::::::" or a
// truncated line became root), a line without a name or with a bad ID is skipped.
std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for_each_record(text, [&](const std::vector<std::string_view>& f) {
    if (f.size() < 4 || f[0].empty()) return;
    ParsedId uid = parse_id(f[2]), gid = parse_id(f[3]);
    if (uid.kind != IdKind::kNumeric || gid.kind != IdKind::kNumeric) return;
    out.push_back({.name = f[0], .uid = uid.id, .gid = gid.id, .home = f.size() > 5 ? f[5] : ""});
  });
  return out;
}

// group_name:password:GID:user_list, the list comma-separated and optional.
// Unlike runc, blanks around a member are dropped ("root, alice" lists alice),
// as glibc drops the leading ones; empty members are ignored.
std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for_each_record(text, [&](const std::vector<std::string_view>& f) {
    if (f.size() < 3 || f[0].empty()) return;
    ParsedId gid = parse_id(f[2]);
    if (gid.kind != IdKind::kNumeric) return;
    GroupEntry g{.name = f[0], .gid = gid.id, .members = {}};
    if (f.size() > 3) {
      for (std::string_view m : split(f[3], ',')) {
        m = trim(m);
        if (!m.empty()) g.members.push_back(m);
      }
    }
    out.push_back(std::move(g));
  });
  return out;
}

bool matches(const IdArg& arg, const GroupEntry& g) {
  return arg.numeric ? g.gid == arg.id : g.name == arg.text;
}

Error no_group(std::string_view name) {
  return make_error("unable to find group {}: no matching entries in group file", name);
}

// ---------------------------------------------------------------- files

bool is_missing(int errnum) { return errnum == ENOENT || errnum == ENOTDIR; }

// Reads the regular file `rel` ("etc/passwd") inside `root_fd`; "" when it
// does not exist. A symlink at the last component is followed by hand: its
// target is looked up again from the root (absolute) or from the link's
// directory (relative), and open_directory_in_root keeps ".." inside the root.
Result<std::string> read_file_in_root(int root_fd, std::string_view rel) {
  std::string path(rel);
  UniqueFd file;
  for (int links = 0;; ++links) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base.empty() || base == "." || base == "..")
      return Error(EISDIR, fmt::format("read `{}`: not a regular file", rel));
    auto dir_fd = open_directory_in_root(root_fd, dir);
    if (!dir_fd) {
      if (is_missing(dir_fd.error().errnum())) return std::string();
      return std::move(dir_fd).error().wrap("read `{}`", rel);
    }
    // Look before opening so a FIFO or a device is never opened.
    struct stat st;
    if (::fstatat(dir_fd->get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (is_missing(errno)) return std::string();
      return errno_error("read `{}`", rel);
    }
    if (S_ISLNK(st.st_mode)) {
      if (links >= kMaxSymlinks) return Error(ELOOP, fmt::format("read `{}`", rel));
      char target[4096];
      ssize_t n = ::readlinkat(dir_fd->get(), base.c_str(), target, sizeof target);
      if (n < 0) return errno_error("read link `{}`", rel);
      if (size_t(n) == sizeof target) return Error(ENAMETOOLONG, fmt::format("read link `{}`", rel));
      std::string_view link(target, size_t(n));
      if (link.empty()) return std::string();  // the kernel resolves "" to nothing
      if (link[0] == '/') {
        while (!link.empty() && link[0] == '/') link.remove_prefix(1);
        path = std::string(link);  // from the image root, not the host's
      } else {
        path = dir.empty() ? std::string(link) : dir + "/" + std::string(link);
      }
      continue;
    }
    if (!S_ISREG(st.st_mode)) return Error(EINVAL, fmt::format("read `{}`: not a regular file", rel));
    int fd = ::openat(dir_fd->get(), base.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return errno_error("open `{}`", rel);
    file.reset(fd);
    // The entry may have been swapped since fstatat; check what was opened.
    if (::fstat(file.get(), &st) != 0) return errno_error("stat `{}`", rel);
    if (!S_ISREG(st.st_mode)) return Error(EINVAL, fmt::format("read `{}`: not a regular file", rel));
    break;
  }

  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(file.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read `{}`", rel);
    }
    if (n == 0) return out;
    if (out.size() + size_t(n) > kMaxUserFileSize)
      return Error(EFBIG, fmt::format("read `{}`: larger than {} bytes", rel, kMaxUserFileSize));
    out.append(buf, size_t(n));
  }
}

}  // namespace

Result<ExecUser> resolve_exec_user(std::string_view spec, std::string_view passwd,
                                   std::string_view group,
                                   const std::vector<std::string>& extra_groups) {
  // "user[:group]", cut at the first colon: "a:b:c" asks for group "b:c".
  size_t colon = spec.find(':');
  IdArg user_arg = TRY(parse_arg(spec.substr(0, colon)));
  IdArg group_arg = TRY(parse_arg(colon == std::string_view::npos ? "" : spec.substr(colon + 1)));

  ExecUser out;
  const std::vector<PasswdEntry> users = parse_passwd(passwd);
  const PasswdEntry* found = nullptr;
  for (const PasswdEntry& u : users) {
    bool hit = !user_arg.given()   ? u.uid == 0  // docker's default user is uid 0
               : user_arg.numeric ? u.uid == user_arg.id
                                  : u.name == user_arg.text;
    if (hit) {
      found = &u;  // the first match wins, as in runc
      break;
    }
  }
  if (found) {
    out.uid = found->uid;
    out.gid = found->gid;
    out.name = std::string(found->name);
    if (!found->home.empty()) out.home = std::string(found->home);
  } else if (user_arg.given()) {
    if (!user_arg.numeric)
      return make_error("unable to find user {}: no matching entries in passwd file", user_arg.text);
    out.uid = user_arg.id;
  }

  const std::vector<GroupEntry> groups = parse_group(group);
  std::vector<uint32_t> additional;
  if (group_arg.given()) {
    // An explicit group replaces the primary one; as in runc, the user's
    // memberships are then not added.
    auto g = std::find_if(groups.begin(), groups.end(),
                          [&](const GroupEntry& e) { return matches(group_arg, e); });
    if (g != groups.end()) {
      out.gid = g->gid;
    } else if (group_arg.numeric) {
      out.gid = group_arg.id;
    } else {
      return no_group(group_arg.text);
    }
  } else if (found) {
    for (const GroupEntry& g : groups) {
      if (std::find(g.members.begin(), g.members.end(), found->name) != g.members.end())
        additional.push_back(g.gid);
    }
  }

  // --group-add, as GetAdditionalGroups: every range check first, then each
  // item by gid (numbers) or by name; an unlisted number is used as it is.
  std::vector<IdArg> extra;
  for (const std::string& item : extra_groups) extra.push_back(TRY(parse_arg(item)));
  for (const IdArg& arg : extra) {
    auto g = std::find_if(groups.begin(), groups.end(),
                          [&](const GroupEntry& e) { return matches(arg, e); });
    if (g != groups.end()) {
      additional.push_back(g->gid);
    } else if (arg.numeric) {
      additional.push_back(arg.id);
    } else {
      return no_group(arg.text);
    }
  }

  std::sort(additional.begin(), additional.end());
  additional.erase(std::unique(additional.begin(), additional.end()), additional.end());
  std::erase(additional, out.gid);
  out.additional_gids = std::move(additional);
  return out;
}

Result<ExecUser> resolve_exec_user_in_root(int root_fd, std::string_view spec,
                                           const std::vector<std::string>& extra_groups) {
  std::string passwd = TRY(read_file_in_root(root_fd, "etc/passwd"));
  std::string group = TRY(read_file_in_root(root_fd, "etc/group"));
  return resolve_exec_user(spec, passwd, group, extra_groups);
}

}  // namespace skiff
