#include "linux/cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

#include <fmt/ranges.h>

#include "base/fs.h"

namespace skiff {
namespace {

constexpr std::string_view kLeaf = "leaf";

// Writes `value` to the cgroup file `name` in the folder open at `dir_fd`
// (`dir` names it in errors). One write: the kernel takes a cgroup file's
// value whole or refuses it.
Status write_cgroup_file(int dir_fd, const std::string& dir, const std::string& name, std::string_view value) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT)
      return make_error("`{}/{}` does not exist: its controller is not enabled for `{}`", dir, name, dir);
    return errno_error("open `{}/{}`", dir, name);
  }
  if (::write(fd.get(), value.data(), value.size()) != ssize_t(value.size()))
    return errno_error("write `{}` to `{}/{}`", value, dir, name);
  return {};
}

Status write_cgroup_file(const std::string& dir, const std::string& name, std::string_view value) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return errno_error("open `{}`", dir);
  return write_cgroup_file(fd.get(), dir, name, value);
}

// Moves every process in `base` into `base`/leaf, so that controllers can
// be enabled for `base`'s children. Processes forked meanwhile are moved by
// the caller's next round.
Status move_processes_to_leaf(const std::string& base) {
  std::string leaf = base + "/" + std::string(kLeaf);
  if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) return errno_error("create cgroup `{}`", leaf);
  std::string procs = TRY(read_file(base + "/cgroup.procs", 16 << 20));
  for (const std::string& pid : kernel_file_words(procs)) {
    Status moved = write_cgroup_file(leaf, "cgroup.procs", pid);
    // A process that ended meanwhile has nothing to move.
    if (!moved.ok() && moved.error().errnum() != ESRCH)
      return std::move(moved).error().wrap("move process {} out of `{}` so that it can hold containers' cgroups",
                                           pid, base);
  }
  return {};
}

// Enables `controllers` for the children of `base`.
Status enable_controllers(const std::string& base, const std::vector<std::string>& controllers) {
  std::vector<std::string> enabled = kernel_file_words(TRY(read_file(base + "/cgroup.subtree_control", 1 << 16)));
  std::string request;
  for (const auto& c : controllers)
    if (std::find(enabled.begin(), enabled.end(), c) == enabled.end()) request += (request.empty() ? "+" : " +") + c;
  if (request.empty()) return {};
  std::vector<std::string> available = kernel_file_words(TRY(read_file(base + "/cgroup.controllers", 1 << 16)));
  for (const auto& c : controllers)
    if (std::find(available.begin(), available.end(), c) == available.end())
      return make_error("the {} controller is not delegated to cgroup `{}` (it has: {})", c, base,
                        available.empty() ? "none" : fmt::format("{}", fmt::join(available, " ")));
  // EBUSY: processes in `base` itself. Moving them takes rounds while
  // they fork.
  for (int round = 0;; ++round) {
    Status written = write_cgroup_file(base, "cgroup.subtree_control", request);
    if (written.ok()) return {};
    if (written.error().errnum() != EBUSY || round == 10) return written;
    TRY(move_processes_to_leaf(base));
  }
}

}  // namespace

std::string cgroup_base(const CgroupFacts& facts) {
  if (facts.v2_dir.empty() || !facts.v2_dir_exists) return "";
  std::string base = facts.v2_dir;
  if (base.size() > facts.v2_mount.size() && base.ends_with("/" + std::string(kLeaf))) base = parent_path(base);
  if (::access(base.c_str(), W_OK | X_OK) != 0 || ::access((base + "/cgroup.procs").c_str(), W_OK) != 0) return "";
  return base;
}

std::string container_cgroup_name(std::string_view container_id) { return "skiff-" + std::string(container_id); }

Result<ScopedCgroup> ScopedCgroup::make(const std::string& base, const std::string& name,
                                        const CgroupSettings& settings) {
  TRY(enable_controllers(base, settings.controllers));
  ScopedCgroup cgroup;
  std::string path = base + "/" + name;
  if (::mkdir(path.c_str(), 0755) != 0) {
    if (errno != EEXIST) return errno_error("create cgroup `{}`", path);
    // Left by a monitor that was killed: reused when nothing runs in it.
    std::string procs = TRY(read_file(path + "/cgroup.procs", 1 << 20));
    if (!procs.empty()) return make_error("cgroup `{}` still holds processes of an earlier run", path);
  }
  cgroup.path_ = path;
  cgroup.fd_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup.fd_) return errno_error("open cgroup `{}`", path);
  for (const auto& [file, value] : settings.files) TRY(write_cgroup_file(cgroup.fd(), path, file, value));
  cgroup.limited_ = !settings.files.empty();
  return cgroup;
}

ScopedCgroup& ScopedCgroup::operator=(ScopedCgroup&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
    fd_ = std::move(other.fd_);
    limited_ = other.limited_;
  }
  return *this;
}

Status ScopedCgroup::rename(const std::string& name) {
  std::string to = parent_path(path_) + "/" + name;
  if (::rename(path_.c_str(), to.c_str()) != 0) return errno_error("rename cgroup `{}` to `{}`", path_, name);
  path_ = to;
  return {};
}

void ScopedCgroup::remove() {
  if (path_.empty()) return;
  fd_.reset();
  // The last processes may still be leaving (an exec'd process whose
  // parent hasn't reaped it): a short wait, then it is left for the next
  // start to reuse.
  for (int i = 0; i < 50 && ::rmdir(path_.c_str()) != 0 && errno == EBUSY; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(4));
  path_.clear();
}

std::string container_cgroup_of(pid_t pid, std::string_view container_id) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/cgroup", 1 << 20);
  if (!text.ok()) return "";
  std::optional<std::string> path = unified_cgroup_path(parse_proc_cgroup(*text));
  if (!path || !path->ends_with("/" + container_cgroup_name(container_id))) return "";
  std::string mount = find_cgroup_v2_mount();
  return mount.empty() ? "" : mount + *path;
}

Status enter_cgroup(const std::string& path) { return write_cgroup_file(path, "cgroup.procs", "0"); }

}  // namespace skiff
