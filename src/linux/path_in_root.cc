#include "linux/path_in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <deque>
#include <vector>

namespace skiff {

namespace {

bool g_force_fallback = false;
constexpr int kMaxSymlinks = 40;  // as the kernel's MAXSYMLINKS

std::deque<std::string> split_components(std::string_view path) {
  std::deque<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

int try_openat2(int root_fd, std::string_view rel) {
  struct open_how how = {
      .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
      .mode = 0,
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  std::string path = rel.empty() ? "." : std::string(rel);
  return int(::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how));
}

// The fallback walk. `create` makes missing directories with `mode`;
// `any_type` lets the last component be something other than a directory,
// and returns it as O_PATH.
Result<UniqueFd> walk(int root_fd, std::string_view rel, bool create, mode_t mode, bool any_type = false) {
  std::vector<UniqueFd> stack;  // directories below the root, innermost last
  auto current = [&] { return stack.empty() ? root_fd : stack.back().get(); };
  std::deque<std::string> todo = split_components(rel);
  int symlinks = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == ".") continue;
    if (name == "..") {
      if (!stack.empty()) stack.pop_back();  // ".." at the root stays at the root
      continue;
    }
    int fd = ::openat(current(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(current(), name.c_str(), mode) != 0 && errno != EEXIST)
        return errno_error("create directory `{}`", name);
      fd = ::openat(current(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) return errno_error("open `{}`", name);
    UniqueFd entry(fd);
    struct stat st;
    if (::fstat(entry.get(), &st) != 0) return errno_error("stat `{}`", name);
    if (S_ISDIR(st.st_mode)) {
      stack.push_back(std::move(entry));
      continue;
    }
    if (!S_ISLNK(st.st_mode)) {
      if (any_type && todo.empty()) return entry;
      return Error(ENOTDIR, fmt::format("open `{}`", name));
    }
    if (++symlinks > kMaxSymlinks) return Error(ELOOP, fmt::format("open `{}`", name));
    char target[4096];
    ssize_t n = ::readlinkat(current(), name.c_str(), target, sizeof target - 1);
    if (n < 0) return errno_error("read link `{}`", name);
    std::string_view link(target, n);
    if (!link.empty() && link[0] == '/') stack.clear();  // absolute: from the root
    auto parts = split_components(link);
    todo.insert(todo.begin(), parts.begin(), parts.end());
  }
  int fd = ::openat(current(), ".", (any_type ? O_PATH : O_RDONLY) | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open `{}`", rel);
  return UniqueFd(fd);
}

Result<UniqueFd> open_in_root(int root_fd, std::string_view rel, bool create, mode_t mode) {
  if (!g_force_fallback) {
    int fd = try_openat2(root_fd, rel);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOSYS && errno != EPERM && !(create && errno == ENOENT))
      return errno_error("open `{}`", rel);
  }
  return walk(root_fd, rel, create, mode);
}

}  // namespace

Result<std::string> clean_relative_path(std::string_view path) {
  std::vector<std::string> parts;
  for (auto& part : split_components(path)) {
    if (part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return make_error("path `{}` leads outside the root", path);
      parts.pop_back();
      continue;
    }
    parts.push_back(std::move(part));
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::string relative_parent(std::string_view rel) {
  size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? "" : std::string(rel.substr(0, slash));
}

std::string relative_base(std::string_view rel) {
  size_t slash = rel.rfind('/');
  return std::string(slash == std::string_view::npos ? rel : rel.substr(slash + 1));
}

std::string join_relative(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return std::string(a) + "/" + std::string(b);
}

std::string clean_clamped_path(std::string_view path) {
  std::vector<std::string> parts;
  for (auto& part : split_components(path)) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(std::move(part));
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

Result<UniqueFd> open_directory_in_root(int root_fd, std::string_view rel) {
  return open_in_root(root_fd, rel, false, 0);
}

Result<UniqueFd> make_directories_in_root(int root_fd, std::string_view rel, mode_t mode) {
  return open_in_root(root_fd, rel, true, mode);
}

Result<UniqueFd> resolve_in_root(int root_fd, std::string_view rel) {
  if (!g_force_fallback) {
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .mode = 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    std::string path = rel.empty() ? "." : std::string(rel);
    int fd = int(::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how));
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOSYS && errno != EPERM) return errno_error("open `{}`", rel);
  }
  return walk(root_fd, rel, false, 0, true);
}

namespace {

// The path of the directory open at `fd` relative to the root open at
// `root_fd`, read back from /proc: both are ours and already resolved.
Result<std::string> path_below_root(int root_fd, int fd) {
  auto link = [](int f) -> Result<std::string> {
    char buf[4096];
    ssize_t n = ::readlink(fmt::format("/proc/self/fd/{}", f).c_str(), buf, sizeof buf);
    if (n < 0 || size_t(n) == sizeof buf) return errno_error("read the path of descriptor {}", f);
    return std::string(buf, n);
  };
  std::string root = TRY(link(root_fd));
  std::string dir = TRY(link(fd));
  if (root == "/") return dir.substr(1);
  if (dir == root) return std::string();
  if (dir.compare(0, root.size() + 1, root + "/") != 0) return make_error("`{}` is outside the root", dir);
  return dir.substr(root.size() + 1);
}

bool is_directory(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Result<UniqueFd> open_mount_target_in_root(int root_fd, std::string_view rel_in, bool directory) {
  std::string rel(rel_in);
  for (int hops = 0; hops <= kMaxSymlinks; ++hops) {
    auto found = resolve_in_root(root_fd, rel);
    if (found.ok()) {
      if (is_directory(found->get()) != directory)
        return Error(directory ? ENOTDIR : EISDIR, fmt::format("mount target `/{}`", rel_in));
      return found;
    }
    if (found.error().errnum() != ENOENT) return std::move(found).error();
    // Missing: make its parents, then the target itself. Where the name is
    // taken by a dangling symlink, follow it inside the root and go again.
    std::string parent_rel = relative_parent(rel);
    std::string name = relative_base(rel);
    if (name.empty()) return Error(ENOENT, fmt::format("mount target `/{}`", rel_in));
    UniqueFd parent = TRY(make_directories_in_root(root_fd, parent_rel, 0755));
    int made = directory ? ::mkdirat(parent.get(), name.c_str(), 0755)
                         : ::openat(parent.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (made >= 0 || errno != EEXIST) {
      if (made < 0) return errno_error("create mount target `/{}`", rel_in);
      if (!directory) ::close(made);
      continue;
    }
    char target[4096];
    ssize_t n = ::readlinkat(parent.get(), name.c_str(), target, sizeof target - 1);
    if (n < 0) return errno_error("create mount target `/{}`", rel_in);
    std::string link(target, n);
    std::string base = link.starts_with("/") ? "" : TRY(path_below_root(root_fd, parent.get()));
    rel = clean_clamped_path(base + "/" + link);
  }
  return Error(ELOOP, fmt::format("mount target `/{}`", rel_in));
}

Result<std::string> real_path_in_root(int root_fd, std::string_view rel) {
  std::vector<std::string> names;  // resolved components
  std::vector<UniqueFd> dirs;      // the folder each one is, while they are folders
  std::deque<std::string> todo = split_components(rel);
  bool missing = false;
  bool leaf = false;  // the last resolved component is not a folder
  int symlinks = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.pop_front();
    if (name == ".") continue;
    if (leaf) return Error(ENOTDIR, fmt::format("resolve `{}`", rel));
    if (name == "..") {
      if (!names.empty()) names.pop_back();  // ".." at the root stays at the root
      while (dirs.size() > names.size()) dirs.pop_back();
      missing = names.size() > dirs.size();
      continue;
    }
    if (missing) {
      names.push_back(std::move(name));
      continue;
    }
    int current = dirs.empty() ? root_fd : dirs.back().get();
    struct stat st;
    if (::fstatat(current, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) return errno_error("resolve `{}`", rel);
      missing = true;
      names.push_back(std::move(name));
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      if (++symlinks > kMaxSymlinks) return Error(ELOOP, fmt::format("resolve `{}`", rel));
      char target[4096];
      ssize_t n = ::readlinkat(current, name.c_str(), target, sizeof target - 1);
      if (n < 0) return errno_error("read link `{}`", name);
      std::string_view link(target, size_t(n));
      if (!link.empty() && link[0] == '/') {  // absolute: from the root
        names.clear();
        dirs.clear();
      }
      auto parts = split_components(link);
      todo.insert(todo.begin(), parts.begin(), parts.end());
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      UniqueFd dir(::openat(current, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!dir) return errno_error("open `{}`", name);
      dirs.push_back(std::move(dir));
    } else {
      leaf = true;
    }
    names.push_back(std::move(name));
  }
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : "/") + n;
  return out;
}

void force_path_walk_fallback(bool on) { g_force_fallback = on; }

}  // namespace skiff
