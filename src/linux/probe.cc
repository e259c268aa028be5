// Host probes for `skiff info`. The rule throughout: ask the kernel by doing
// the real thing in a throw-away child (a user namespace, an overlay mount),
// because version numbers and sysctls lie: distributions patch user
// namespaces and overlayfs, and LSMs or a calling sandbox's seccomp filter
// can refuse what the kernel version promises.
#include "linux/probe.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "base/fs.h"
#include "linux/child_process.h"
#include "linux/userns.h"

namespace skiff {

namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      std::string_view digits = text.substr(i + 1, 3);
      bool octal = digits.size() == 3 &&
                   std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; });
      if (octal) {
        out.push_back(char((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

uint32_t read_le32(std::string_view bytes, size_t offset) {
  auto b = [&](size_t i) { return uint32_t(uint8_t(bytes[offset + i])); };
  return b(0) | b(1) << 8 | b(2) << 16 | b(3) << 24;
}

// The permitted set of a vfs_cap_data value, 64 bits (v1 has only 32), or
// nullopt when malformed or scoped to another user namespace (v3 rootid).
std::optional<uint64_t> permitted_caps(std::string_view xattr, bool* effective) {
  if (xattr.size() < 4) return std::nullopt;
  uint32_t magic = read_le32(xattr, 0);
  *effective = (magic & VFS_CAP_FLAGS_EFFECTIVE) != 0;
  switch (magic & VFS_CAP_REVISION_MASK) {
    case VFS_CAP_REVISION_1:
      if (xattr.size() != XATTR_CAPS_SZ_1) return std::nullopt;
      return uint64_t(read_le32(xattr, 4));
    case VFS_CAP_REVISION_2:
      if (xattr.size() != XATTR_CAPS_SZ_2) return std::nullopt;
      return uint64_t(read_le32(xattr, 4)) | uint64_t(read_le32(xattr, 12)) << 32;
    case VFS_CAP_REVISION_3:
      // A v3 value only applies in the user namespace whose root is rootid.
      if (xattr.size() != XATTR_CAPS_SZ_3 || read_le32(xattr, 20) != 0) return std::nullopt;
      return uint64_t(read_le32(xattr, 4)) | uint64_t(read_le32(xattr, 12)) << 32;
    default:
      return std::nullopt;
  }
}

bool is_filesystem(const char* path, long magic) {
  struct statfs st;
  return ::statfs(path, &st) == 0 && st.f_type == magic;
}

std::string error_text(int errnum, std::string_view hint) {
  std::string text = std::strerror(errnum);
  if (!hint.empty()) text += fmt::format(" ({})", hint);
  return text;
}

}  // namespace

std::vector<std::string> kernel_file_words(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

std::vector<ProcCgroupEntry> parse_proc_cgroup(std::string_view text) {
  std::vector<ProcCgroupEntry> out;
  for (std::string_view line : split(text, '\n')) {
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    size_t c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    ProcCgroupEntry entry;
    if (!parse_number(line.substr(0, c1), entry.hierarchy)) continue;
    std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    if (!controllers.empty())
      for (std::string_view c : split(controllers, ',')) entry.controllers.emplace_back(c);
    entry.path = line.substr(c2 + 1);  // a path may itself contain ':'
    if (entry.path.empty()) continue;
    out.push_back(std::move(entry));
  }
  return out;
}

std::optional<std::string> unified_cgroup_path(const std::vector<ProcCgroupEntry>& entries) {
  for (const auto& e : entries)
    if (e.hierarchy == 0 && e.controllers.empty()) return e.path;
  return std::nullopt;
}

std::vector<MountInfoEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountInfoEntry> out;
  for (std::string_view line : split(text, '\n')) {
    // id parent major:minor root mount-point options [optional...] - type source super-options
    std::vector<std::string_view> fields;
    for (std::string_view f : split(line, ' '))
      if (!f.empty()) fields.push_back(f);
    if (fields.size() < 10) continue;
    auto dash = std::find(fields.begin() + 6, fields.end(), std::string_view("-"));
    if (dash == fields.end() || fields.end() - dash < 3) continue;
    MountInfoEntry entry;
    entry.root = unescape_octal(fields[3]);
    entry.mount_point = unescape_octal(fields[4]);
    entry.options = fields[5];
    entry.fs_type = unescape_octal(dash[1]);
    entry.source = unescape_octal(dash[2]);
    out.push_back(std::move(entry));
  }
  return out;
}

const MountInfoEntry* mount_containing(const std::vector<MountInfoEntry>& entries, std::string_view path) {
  const MountInfoEntry* best = nullptr;
  for (const auto& e : entries) {
    std::string_view mp = e.mount_point;
    bool inside = mp == "/" ? !path.empty() && path[0] == '/'
                            : path.substr(0, mp.size()) == mp && (path.size() == mp.size() || path[mp.size()] == '/');
    if (inside && (!best || mp.size() >= best->mount_point.size())) best = &e;
  }
  return best;
}

std::optional<int64_t> parse_sysctl_int(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  int64_t value;
  if (!parse_number(text, value)) return std::nullopt;
  return value;
}

std::string os_release_value(std::string_view text, std::string_view key) {
  for (std::string_view line : split(text, '\n')) {
    if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != '=') continue;
    std::string_view value = line.substr(key.size() + 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.remove_suffix(1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
      std::string out;
      for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;  // shell-style escapes: \" \$ \\ \`
        out.push_back(value[i]);
      }
      return out;
    }
    return std::string(value);
  }
  return "";
}

bool file_caps_grant(std::string_view xattr, int cap) {
  bool effective = false;
  auto permitted = permitted_caps(xattr, &effective);
  return permitted && effective && cap >= 0 && cap < 64 && (*permitted >> cap & 1);
}

std::string describe_file_caps(std::string_view xattr) {
  bool effective = false;
  auto permitted = permitted_caps(xattr, &effective);
  if (!permitted || *permitted == 0) return "";
  std::string out;
  for (int cap = 0; cap < 64; ++cap) {
    if (!(*permitted >> cap & 1)) continue;
    if (!out.empty()) out += ',';
    if (cap == CAP_SETUID) out += "cap_setuid";
    else if (cap == CAP_SETGID) out += "cap_setgid";
    else if (cap == CAP_SYS_ADMIN) out += "cap_sys_admin";
    else out += std::to_string(cap);
  }
  return out + (effective ? "=ep" : "=p");
}

ProbeResult probe_user_namespace() {
  // Child: forked, single-threaded (unshare(CLONE_NEWUSER) refuses threaded
  // callers), in the host user namespace. Its exit code is the errno.
  auto child = ChildProcess::fork([] {
    if (::unshare(CLONE_NEWUSER) == 0) return 0;
    return errno > 0 && errno < 125 ? errno : 124;
  });
  if (!child.ok()) return {false, child.error().text()};
  auto status = child->wait();
  if (!status.ok()) return {false, status.error().text()};
  if (!WIFEXITED(*status)) return {false, "probe " + describe_wait_status(*status)};
  int code = WEXITSTATUS(*status);
  if (code == 0) return {true, ""};
  if (code >= 124) return {false, "probe " + describe_wait_status(*status)};
  return {false, fmt::format("unshare(CLONE_NEWUSER): {}: {}", std::strerror(code), explain_userns_errno(code))};
}

std::string explain_overlay_errno(int errnum) {
  switch (errnum) {
    case EPERM:
      return "this kernel does not allow overlay mounts in a user namespace: it needs Linux 5.11 or "
             "later, or a distribution patch";
    case EINVAL:
      return "the kernel does not know the userxattr option (Linux before 5.11), or the file system "
             "of the store cannot hold an overlay upper layer";
    case ENODEV:
      return "the overlay file system is not available: the overlay module is not loaded";
    case EOPNOTSUPP:
      return "the file system of the store does not support what overlayfs needs (user xattrs, "
             "whiteouts, or d_type)";
    default:
      return "";
  }
}

ProbeResult probe_native_overlay(const std::string& scratch_dir) {
  const char* kParts[] = {"lower", "upper", "work", "merged"};
  auto result = run_in_user_namespace(current_id_mapping(), [&](SyncSocket&) -> Status {
    // Child: uid 0 in the containers' user namespace, all caps there, none
    // on the host. A private mount namespace, so the test mount never
    // propagates to the host and vanishes with this process.
    if (::unshare(CLONE_NEWNS) != 0) return errno_error("create a mount namespace");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      return errno_error("make / private");
    // Relative option paths (resolved against the cwd) need no escaping of
    // `,` `:` `\`, whatever the store's path is.
    if (::chdir(scratch_dir.c_str()) != 0) return errno_error("enter `{}`", scratch_dir);
    auto attempt = [&]() -> Status {
      for (const char* part : kParts)
        if (::mkdir(part, 0700) != 0) return errno_error("create `{}/{}`", scratch_dir, part);
      {
        UniqueFd fd(::open("lower/file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (!fd || ::write(fd.get(), "lower\n", 6) != 6) return errno_error("write `{}/lower/file`", scratch_dir);
      }
      if (::mount("overlay", "merged", "overlay", 0, "lowerdir=lower,upperdir=upper,workdir=work,userxattr") != 0) {
        int saved = errno;
        return make_error("mount overlay on `{}/merged`: {}", scratch_dir,
                          error_text(saved, explain_overlay_errno(saved)));
      }
      // What a container does first: change a lower file (a copy-up) and
      // delete it (a whiteout, a 0/0 character device made in the userns).
      {
        UniqueFd fd(::open("merged/file", O_WRONLY | O_APPEND | O_CLOEXEC));
        if (!fd || ::write(fd.get(), "upper\n", 6) != 6) {
          int saved = errno;
          return make_error("overlay mounted, but copying a file up failed: {}",
                            error_text(saved, explain_overlay_errno(saved)));
        }
      }
      if (::unlink("merged/file") != 0) {
        int saved = errno;
        return make_error("overlay mounted, but deleting a lower file (a whiteout) failed: {}",
                          error_text(saved, explain_overlay_errno(saved)));
      }
      return {};
    };
    Status status = attempt();
    // Our files belong to mapped IDs: remove them here, as their owner.
    // `merged` stays mounted (an unmount waits ~10 ms for an RCU grace
    // period); the mount dies with this namespace and the caller removes
    // the empty folder.
    for (const char* part : {"lower", "upper", "work"}) (void)remove_tree(scratch_dir + "/" + part);
    return status;
  });
  if (result.ok()) return {true, ""};
  return {false, result.error().text()};
}

SetidProgram inspect_setid_program(const std::string& path, int cap) {
  SetidProgram out;
  if (path.empty()) return out;
  out.path = path;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return out;
  out.setuid_root = st.st_uid == 0 && (st.st_mode & S_ISUID) != 0;
  char buf[64];
  ssize_t n = ::getxattr(path.c_str(), "security.capability", buf, sizeof buf);
  std::string_view caps = n > 0 ? std::string_view(buf, size_t(n)) : std::string_view();
  out.file_caps = describe_file_caps(caps);
  out.usable = out.setuid_root || file_caps_grant(caps, cap);
  return out;
}

std::string find_program(std::string_view name) {
  const char* env = getenv("PATH");
  std::string path = env ? env : "";
  path += ":/usr/bin:/usr/sbin:/bin:/sbin";
  for (std::string_view dir : split(path, ':')) {
    if (dir.empty()) continue;
    std::string candidate = fmt::format("{}/{}", dir, name);
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "";
}

ProbeResult probe_device_read_write(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY));
  if (!fd) return {false, fmt::format("open `{}`: {}", path, std::strerror(errno))};
  return {true, ""};
}

std::string_view cgroup_layout_name(CgroupLayout layout) {
  switch (layout) {
    case CgroupLayout::kV1: return "v1";
    case CgroupLayout::kV2: return "v2";
    case CgroupLayout::kHybrid: return "hybrid";
    case CgroupLayout::kNone: break;
  }
  return "none";
}

std::string cgroup_v2_mount(const CgroupFiles& files) {
  if (files.root_is_cgroup2) return "/sys/fs/cgroup";
  if (files.unified_is_cgroup2) return "/sys/fs/cgroup/unified";
  return "";
}

CgroupFacts make_cgroup_facts(const CgroupFiles& files) {
  CgroupFacts facts;
  std::vector<ProcCgroupEntry> entries = parse_proc_cgroup(files.proc_self_cgroup);
  for (const auto& e : entries)
    for (const auto& c : e.controllers)
      if (c.rfind("name=", 0) != 0 && std::find(facts.v1_controllers.begin(), facts.v1_controllers.end(), c) ==
                                          facts.v1_controllers.end())
        facts.v1_controllers.push_back(c);
  std::sort(facts.v1_controllers.begin(), facts.v1_controllers.end());

  // cgroup2 at /sys/fs/cgroup: unified. A tmpfs there holds v1 hierarchies,
  // and systemd's hybrid mode adds a controller-less v2 at .../unified.
  facts.v2_mount = cgroup_v2_mount(files);
  if (files.root_is_cgroup2)
    facts.layout = CgroupLayout::kV2;
  else if (files.unified_is_cgroup2)
    facts.layout = CgroupLayout::kHybrid;
  else if (!facts.v1_controllers.empty() || files.root_is_cgroup1)
    facts.layout = CgroupLayout::kV1;
  if (facts.v2_mount.empty()) return facts;

  facts.own_path = unified_cgroup_path(entries).value_or("/");
  facts.v2_dir = facts.own_path == "/" ? facts.v2_mount : facts.v2_mount + facts.own_path;
  facts.v2_dir_exists = files.dir_exists;
  if (!facts.v2_dir_exists) return facts;
  facts.writable = files.dir_writable;
  facts.subtree_control_writable = files.subtree_control_writable;
  facts.controllers = kernel_file_words(files.controllers);
  facts.subtree_control = kernel_file_words(files.subtree_control);
  return facts;
}

namespace {

// The statfs facts cgroup_v2_mount goes by.
void read_cgroup_mounts(CgroupFiles& files) {
  files.root_is_cgroup2 = is_filesystem("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC);
  files.unified_is_cgroup2 =
      !files.root_is_cgroup2 && is_filesystem("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC);
}

}  // namespace

std::string find_cgroup_v2_mount() {
  CgroupFiles files;
  read_cgroup_mounts(files);
  return cgroup_v2_mount(files);
}

CgroupFacts read_cgroup_facts() {
  CgroupFiles files;
  if (auto text = read_file("/proc/self/cgroup", 1 << 20); text.ok())
    files.proc_self_cgroup = std::move(*text);
  read_cgroup_mounts(files);
  files.root_is_cgroup1 = is_filesystem("/sys/fs/cgroup", CGROUP_SUPER_MAGIC);
  std::string mount = cgroup_v2_mount(files);
  if (!mount.empty()) {
    std::string path = unified_cgroup_path(parse_proc_cgroup(files.proc_self_cgroup)).value_or("/");
    std::string dir = path == "/" ? mount : mount + path;
    struct stat st;
    files.dir_exists = ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    files.dir_writable = ::access(dir.c_str(), W_OK | X_OK) == 0;
    files.subtree_control_writable = ::access((dir + "/cgroup.subtree_control").c_str(), W_OK) == 0;
    if (auto text = read_file(dir + "/cgroup.controllers", 1 << 16); text.ok())
      files.controllers = std::move(*text);
    if (auto text = read_file(dir + "/cgroup.subtree_control", 1 << 16); text.ok())
      files.subtree_control = std::move(*text);
  }
  return make_cgroup_facts(files);
}

std::optional<int64_t> read_sysctl_int(const std::string& path) {
  auto text = read_file(path, 4096);
  if (!text.ok()) return std::nullopt;
  return parse_sysctl_int(*text);
}

std::string filesystem_type_of(const std::string& path) {
  auto text = read_file("/proc/self/mountinfo", 16 << 20);
  if (!text.ok()) return "";
  char* real = ::realpath(path.c_str(), nullptr);
  std::string resolved = real ? real : path;
  ::free(real);
  std::vector<MountInfoEntry> entries = parse_mountinfo(*text);
  const MountInfoEntry* mount = mount_containing(entries, resolved);
  return mount ? mount->fs_type : "";
}

}  // namespace skiff
