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

// The fallback walk. `create` makes missing directories with `mode`.
Result<UniqueFd> walk(int root_fd, std::string_view rel, bool create, mode_t mode) {
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
    if (!S_ISLNK(st.st_mode)) return Error(ENOTDIR, fmt::format("open `{}`", name));
    if (++symlinks > kMaxSymlinks) return Error(ELOOP, fmt::format("open `{}`", name));
    char target[4096];
    ssize_t n = ::readlinkat(current(), name.c_str(), target, sizeof target - 1);
    if (n < 0) return errno_error("read link `{}`", name);
    std::string_view link(target, n);
    if (!link.empty() && link[0] == '/') stack.clear();  // absolute: from the root
    auto parts = split_components(link);
    todo.insert(todo.begin(), parts.begin(), parts.end());
  }
  int fd = ::openat(current(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

Result<UniqueFd> open_directory_in_root(int root_fd, std::string_view rel) {
  return open_in_root(root_fd, rel, false, 0);
}

Result<UniqueFd> make_directories_in_root(int root_fd, std::string_view rel, mode_t mode) {
  return open_in_root(root_fd, rel, true, mode);
}

void force_path_walk_fallback(bool on) { g_force_fallback = on; }

}  // namespace skiff
