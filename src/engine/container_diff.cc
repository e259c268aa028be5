#include "engine/container_diff.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

#include "base/fs.h"
#include "image/layer_extract.h"
#include "linux/container_plan.h"
#include "linux/userns.h"

namespace skiff {

namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// The image's layers, top first, as overlay merges them.
class LayerView {
 public:
  explicit LayerView(std::vector<UniqueFd> layers) : layers_(std::move(layers)) {}

  /// The entry at `components` as the merged layers show it, nullopt when
  /// they don't have it.
  std::optional<struct stat> lookup(const std::vector<std::string>& components) const {
    for (const auto& layer : layers_) {
      LayerWalk w = walk(layer.get(), components);
      if (w.result == Found::kYes) return w.st;
      if (w.result == Found::kHidden || w.opaque) return std::nullopt;
    }
    return std::nullopt;
  }

  /// The entries of the folder at `components` in the merged layers.
  std::map<std::string, struct stat> list(const std::vector<std::string>& components) const {
    std::map<std::string, struct stat> out;
    std::vector<std::string> seen;
    for (const auto& layer : layers_) {
      LayerWalk w = walk(layer.get(), components);
      if (w.result == Found::kHidden) break;
      if (w.result == Found::kNo) {
        if (w.opaque) break;
        continue;
      }
      if (!w.dir) break;  // a non-folder hides the folders below it
      auto names = list_directory(w.dir.get());
      if (names.ok()) {
        for (const auto& name : *names) {
          if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
          seen.push_back(name);
          struct stat st;
          if (::fstatat(w.dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !is_whiteout(st))
            out[name] = st;
        }
      }
      if (w.opaque) break;
    }
    return out;
  }

 private:
  enum class Found { kYes, kNo, kHidden };
  struct LayerWalk {
    Found result = Found::kNo;
    struct stat st {};
    UniqueFd dir;         ///< the entry, when it is a folder
    bool opaque = false;  ///< a folder on the way (or the entry) hides the layers below
  };

  // Follows `components` in one layer without following symlinks: a
  // whiteout or a non-folder on the way hides the entry.
  static LayerWalk walk(int root, const std::vector<std::string>& components) {
    LayerWalk w;
    UniqueFd current(::openat(root, ".", kDirFlags));
    if (!current) return w;
    if (components.empty()) {
      w.result = Found::kYes;
      ::fstat(current.get(), &w.st);
      w.dir = std::move(current);
      return w;
    }
    for (size_t i = 0; i < components.size(); ++i) {
      struct stat st;
      if (::fstatat(current.get(), components[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return w;
      if (is_whiteout(st)) {
        w.result = Found::kHidden;
        return w;
      }
      bool last = i + 1 == components.size();
      if (!S_ISDIR(st.st_mode)) {
        w.result = last ? Found::kYes : Found::kHidden;
        w.st = st;
        return w;
      }
      UniqueFd next(::openat(current.get(), components[i].c_str(), kDirFlags));
      if (!next) return w;
      w.opaque = w.opaque || is_opaque_directory(next.get());
      current = std::move(next);
      if (last) {
        w.result = Found::kYes;
        w.st = st;
        w.dir = std::move(current);
      }
    }
    return w;
  }

  std::vector<UniqueFd> layers_;
};

std::string join_path(const std::vector<std::string>& components) {
  std::string out;
  for (const auto& c : components) out += "/" + c;
  return out;
}

// docker's statDifferent: folders by type, permissions, owner and device
// only (their size and time say nothing).
bool stat_differs(const struct stat& a, const struct stat& b) {
  if (a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid || a.st_rdev != b.st_rdev)
    return true;
  if (S_ISDIR(a.st_mode)) return false;
  return a.st_size != b.st_size || a.st_mtim.tv_sec != b.st_mtim.tv_sec ||
         a.st_mtim.tv_nsec != b.st_mtim.tv_nsec;
}

// The upper folder of an overlay driver: each entry is a change.
Status walk_upper(int dir_fd, std::vector<std::string>& components, const LayerView& lower,
                  std::vector<FoundChange>& out) {
  std::vector<std::string> names =
      TRY(std::move(list_directory(dir_fd)).wrap("read `{}`", join_path(components)));
  for (const auto& name : names) {
    std::string parent = join_path(components);
    // fuse-overlayfs without the right to make device nodes marks whiteouts
    // and opaque folders with files.
    if (name == ".wh..wh..opq") continue;
    if (name.starts_with(".wh.")) {
      out.push_back({{'D', parent + "/" + name.substr(4)}});
      continue;
    }
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
    if (is_whiteout(st)) {
      out.push_back({{'D', parent + "/" + name}});
      continue;
    }
    components.push_back(name);
    std::optional<struct stat> before = lower.lookup(components);
    FoundChange found{{before ? 'C' : 'A', parent + "/" + name}, S_ISDIR(st.st_mode)};
    found.mount_point = is_mount_point_stub(found.change.path.substr(1), st);
    if (found.directory) {
      UniqueFd sub(::openat(dir_fd, name.c_str(), kDirFlags));
      if (!sub) return errno_error("open `{}`", found.change.path);
      bool opaque = is_opaque_directory(sub.get()) ||
                    ::faccessat(sub.get(), ".wh..wh..opq", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
      found.own_change = opaque || !before || !S_ISDIR(before->st_mode) || before->st_mode != st.st_mode ||
                         before->st_uid != st.st_uid || before->st_gid != st.st_gid;
      TRY(walk_upper(sub.get(), components, lower, out));
      // An opaque folder hides what the layers had in it: those are deleted.
      if (opaque && before && S_ISDIR(before->st_mode)) {
        auto kept = list_directory(sub.get());
        for (const auto& [old_name, old_st] : lower.list(components))
          if (kept.ok() && std::find(kept->begin(), kept->end(), old_name) == kept->end())
            out.push_back({{'D', found.change.path + "/" + old_name}});
      }
    }
    components.pop_back();
    out.push_back(std::move(found));
  }
  return {};
}

// A copy (vfs) against the layers, as docker compares two trees; true when
// something below changed. `compare` is false below a path the layers don't
// have as a folder: everything there is added.
Result<bool> compare_copy(int dir_fd, std::vector<std::string>& components, const LayerView& lower,
                          bool compare, std::vector<FoundChange>& out) {
  std::string parent = join_path(components);
  std::map<std::string, struct stat> before =
      compare ? lower.list(components) : std::map<std::string, struct stat>();
  std::vector<std::string> names =
      TRY(std::move(list_directory(dir_fd)).wrap("read `{}`", parent.empty() ? "/" : parent));
  bool changed = false;
  for (const auto& name : names) {
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    auto old = before.find(name);
    FoundChange found{{'C', parent + "/" + name}, S_ISDIR(st.st_mode)};
    found.mount_point = is_mount_point_stub(found.change.path.substr(1), st);
    bool added = old == before.end();
    if (added) found.change.kind = 'A';
    found.own_change = added || stat_differs(old->second, st);
    bool below = false;
    if (found.directory) {
      UniqueFd sub(::openat(dir_fd, name.c_str(), kDirFlags));
      if (!sub) return errno_error("open `{}`", found.change.path);
      components.push_back(name);
      below = TRY(compare_copy(sub.get(), components, lower, !added && S_ISDIR(old->second.st_mode), out));
      components.pop_back();
    }
    if (found.own_change || below) {
      out.push_back(std::move(found));
      changed = true;
    }
  }
  for (const auto& [name, st] : before) {
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    out.push_back({{'D', parent + "/" + name}});
    changed = true;
  }
  return changed;
}

// One record a change on the stream out of the user namespace:
// kind, directory, mount point, own change ('0'/'1'), the path, NUL.
std::string encode(const FoundChange& f) {
  std::string out(1, f.change.kind);
  for (bool b : {f.directory, f.mount_point, f.own_change}) out += b ? '1' : '0';
  return out + f.change.path + '\0';
}

std::vector<FoundChange> decode(std::string_view data) {
  std::vector<FoundChange> out;
  while (!data.empty()) {
    size_t end = data.find('\0');
    if (end == std::string_view::npos || end < 5) break;
    std::string_view record = data.substr(0, end);
    data.remove_prefix(end + 1);
    FoundChange f;
    f.change.kind = record[0];
    f.directory = record[1] == '1';
    f.mount_point = record[2] == '1';
    f.own_change = record[3] == '1';
    f.change.path = std::string(record.substr(4));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

bool is_skiff_mount_point(std::string_view rel) {
  for (std::string_view known : {"proc", "dev", "sys", "etc/hosts", "etc/hostname", "etc/resolv.conf"})
    if (rel == known) return true;
  return false;
}

bool is_mount_point_stub(std::string_view rel, const struct stat& st) {
  if (!is_skiff_mount_point(rel)) return false;
  return rel.starts_with("etc/") ? S_ISREG(st.st_mode) && st.st_size == 0 : S_ISDIR(st.st_mode);
}

bool walk_order_less(std::string_view a, std::string_view b) {
  // A folder's entries follow it before any sibling: '/' sorts first.
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    if (a[i] == '/') return true;
    if (b[i] == '/') return false;
    return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

std::vector<FsChange> changes_to_show(std::vector<FoundChange> found) {
  std::sort(found.begin(), found.end(), [](const FoundChange& a, const FoundChange& b) {
    return walk_order_less(a.change.path, b.change.path);
  });
  // Children before their folders: how many entries each folder holds and
  // how many of those show.
  struct Count {
    int entries = 0, shown = 0;
  };
  std::unordered_map<std::string, Count> counts;
  std::vector<bool> shown(found.size());
  for (size_t k = found.size(); k-- > 0;) {
    const FoundChange& f = found[k];
    Count c = counts[f.change.path];
    bool only_hidden_inside =
        f.directory && f.change.kind != 'D' && !f.own_change && c.entries > 0 && c.shown == 0;
    bool stub_folder = f.directory && f.change.kind == 'A' && c.entries > 0 && c.shown == 0;
    shown[k] = !f.mount_point && !only_hidden_inside && !stub_folder;
    std::string parent = f.change.path.substr(0, f.change.path.rfind('/'));
    Count& p = counts[parent];
    ++p.entries;
    if (shown[k]) ++p.shown;
  }
  std::vector<FsChange> out;
  for (size_t k = 0; k < found.size(); ++k)
    if (shown[k]) out.push_back(std::move(found[k].change));
  return out;
}

Result<std::vector<FsChange>> container_changes(const Store& store, const Container& c) {
  RootfsDriver driver = TRY(parse_rootfs_driver(c.config.value("storage_driver", "native")));
  std::string top = driver == RootfsDriver::kVfs ? c.dir + "/rootfs" : c.dir + "/upper";
  // vfs makes its copy on the first start: before that, nothing changed.
  if (!path_exists(top)) return std::vector<FsChange>{};
  std::vector<std::string> layer_dirs;
  std::vector<std::string> chain = json_strings(c.config.value("layers", Json::array()));
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    std::string diff = store.layer_dir(*it) + "/diff";
    if (!path_exists(diff))
      return make_error("layer `{}` of the container's image is missing from the store", *it);
    layer_dirs.push_back(diff);
  }
  std::string data;
  auto values = stream_from_user_namespace(
      current_id_mapping(),
      [&](int out_fd, SyncSocket&) -> Status {
        // Child: root of the containers' user namespace, where the files of
        // every mapped owner can be read.
        std::vector<UniqueFd> layers;
        for (const auto& dir : layer_dirs) layers.push_back(TRY(open_directory(dir)));
        LayerView lower(std::move(layers));
        UniqueFd root = TRY(open_directory(top));
        std::vector<FoundChange> found;
        std::vector<std::string> components;
        if (driver == RootfsDriver::kVfs)
          TRY(compare_copy(root.get(), components, lower, true, found));
        else
          TRY(walk_upper(root.get(), components, lower, found));
        std::string records;
        for (const auto& f : found) records += encode(f);
        return write_all(out_fd, records);
      },
      [&](std::span<const uint8_t> bytes) -> Status {
        data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        return {};
      });
  if (!values.ok()) return std::move(values).error().wrap("read the changes of container {}", c.name());
  return changes_to_show(decode(data));
}

}  // namespace skiff
