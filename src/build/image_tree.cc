#include "build/image_tree.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/fs.h"
#include "image/layer_extract.h"

namespace skiff {

namespace {

constexpr int kMaxSymlinks = 40;

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string c = path.substr(i, j - i);
    if (c == "..") {
      if (!out.empty()) out.pop_back();  // never above the root
    } else if (!c.empty() && c != ".") {
      out.push_back(std::move(c));
    }
    i = j + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

}  // namespace

Result<ImageTree> ImageTree::open(const std::vector<std::string>& diff_dirs) {
  ImageTree tree;
  for (auto it = diff_dirs.rbegin(); it != diff_dirs.rend(); ++it)
    tree.layers_.push_back(TRY(open_directory(*it)));
  return tree;
}

Result<ImageTree::Look> ImageTree::look(const std::string& rel, size_t l) const {
  Look out;
  int dir = layers_[l].get();
  if (rel.empty()) {
    if (::fstat(dir, &out.st) != 0) return errno_error("stat a layer's root");
    out.found = true;
    return out;
  }
  if (::fstatat(dir, rel.c_str(), &out.st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (is_whiteout(out.st)) out.hidden = true;
    else out.found = true;
    return out;
  }
  if (errno != ENOENT && errno != ENOTDIR) return errno_error("stat `{}` in a layer", rel);
  // Absent here: a whiteout, a non-folder or an opaque folder above it
  // hides the layers below.
  std::vector<std::string> parts = components(rel);
  for (size_t k = parts.size() - 1; k > 0; --k) {
    std::string above = join(parts, k);
    struct stat a;
    if (::fstatat(dir, above.c_str(), &a, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (is_whiteout(a) || !S_ISDIR(a.st_mode)) {
      out.hidden = true;
    } else {
      UniqueFd sub(::openat(dir, above.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      out.hidden = sub && is_opaque_directory(sub.get());
    }
    break;  // the nearest folder above that this layer has decides
  }
  return out;
}

Result<std::optional<struct stat>> ImageTree::lstat_resolved(const std::string& rel, int* layer_index) const {
  for (size_t l = 0; l < layers_.size(); ++l) {
    Look here = TRY(look(rel, l));
    if (here.found) {
      if (layer_index) *layer_index = int(l);
      return std::optional<struct stat>(here.st);
    }
    if (here.hidden) break;
  }
  if (rel.empty()) {  // an image without layers: an empty root
    struct stat st = {};
    st.st_mode = S_IFDIR | 0755;
    return std::optional<struct stat>(st);
  }
  return std::optional<struct stat>();
}

Result<std::string> ImageTree::resolve(const std::string& path) const {
  std::vector<std::string> todo = components(path);
  std::vector<std::string> done;
  int links = 0;
  size_t i = 0;
  while (i < todo.size()) {
    std::string rel = done.empty() ? todo[i] : join(done, done.size()) + "/" + todo[i];
    int layer = 0;
    auto st = TRY(lstat_resolved(rel, &layer));
    if (!st || !S_ISLNK(st->st_mode)) {
      done.push_back(todo[i++]);
      continue;
    }
    if (++links > kMaxSymlinks) return make_error("too many levels of symbolic links in `{}`", path);
    std::string target(size_t(st->st_size) + 1, '\0');
    ssize_t n = ::readlinkat(layers_[size_t(layer)].get(), rel.c_str(), target.data(), target.size());
    if (n < 0) return errno_error("read link `{}`", rel);
    target.resize(size_t(n));
    // The link's text replaces it; what followed it comes after.
    std::string rest = join(std::vector<std::string>(todo.begin() + long(i) + 1, todo.end()), todo.size() - i - 1);
    std::string base = target.starts_with("/") ? "" : join(done, done.size());
    todo = components(base + "/" + target + "/" + rest);
    done.clear();
    i = 0;
  }
  return join(done, done.size());
}

Result<std::optional<struct stat>> ImageTree::lstat(const std::string& path) const {
  std::vector<std::string> parts = components(path);
  if (parts.empty()) return lstat_resolved("", nullptr);
  std::string last = parts.back();
  parts.pop_back();
  std::string parent = TRY(resolve(join(parts, parts.size())));
  return lstat_resolved(parent.empty() ? last : parent + "/" + last, nullptr);
}

Result<std::string> ImageTree::read_file(const std::string& path, size_t max_size) const {
  std::string rel = TRY(resolve(path));
  int layer = 0;
  auto st = TRY(lstat_resolved(rel, &layer));
  if (!st) return std::string();
  if (!S_ISREG(st->st_mode)) return make_error("`/{}` in the image is not a file", rel);
  if (size_t(st->st_size) > max_size) return make_error("`/{}` in the image is too large", rel);
  UniqueFd fd(::openat(layers_[size_t(layer)].get(), rel.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno_error("open `/{}` in the image", rel);
  std::string out(size_t(st->st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += size_t(n);
  }
  out.resize(got);
  return out;
}

Result<std::vector<std::string>> ImageTree::list(const std::string& rel) const {
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (size_t l = 0; l < layers_.size(); ++l) {
    Look here = TRY(look(rel, l));
    if (here.hidden || (here.found && !S_ISDIR(here.st.st_mode))) break;
    if (!here.found) continue;
    UniqueFd dir(rel.empty() ? ::fcntl(layers_[l].get(), F_DUPFD_CLOEXEC, 0)
                             : ::openat(layers_[l].get(), rel.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) return errno_error("open `/{}` in a layer", rel);
    std::vector<std::string> names = TRY(list_directory(dir.get()));
    for (const auto& name : names) {
      if (!seen.insert(name).second) continue;
      struct stat st;
      if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (!is_whiteout(st)) out.push_back(name);
    }
    if (!rel.empty() && is_opaque_directory(dir.get())) break;
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> ImageTree::read_link(const std::string& rel) const {
  int layer = 0;
  auto st = TRY(lstat_resolved(rel, &layer));
  if (!st || !S_ISLNK(st->st_mode)) return make_error("`/{}` in the image is not a symlink", rel);
  std::string target(size_t(st->st_size) + 1, '\0');
  ssize_t n = ::readlinkat(layers_[size_t(layer)].get(), rel.c_str(), target.data(), target.size());
  if (n < 0) return errno_error("read link `/{}`", rel);
  target.resize(size_t(n));
  return target;
}

Result<UniqueFd> ImageTree::open_file(const std::string& rel) const {
  int layer = 0;
  auto st = TRY(lstat_resolved(rel, &layer));
  if (!st || !S_ISREG(st->st_mode)) return make_error("`/{}` in the image is not a file", rel);
  UniqueFd fd(::openat(layers_[size_t(layer)].get(), rel.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return errno_error("open `/{}` in the image", rel);
  return fd;
}

}  // namespace skiff
