#include "engine/volumes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/fs.h"
#include "base/output.h"
#include "engine/containers.h"
#include "engine/list_filters.h"
#include "image/image_store.h"
#include "linux/sync_socket.h"
#include "linux/userns.h"

namespace skiff {

namespace {

constexpr const char* kNameChars = "[a-zA-Z0-9][a-zA-Z0-9_.-]";

// The options docker's local driver knows; each mounts a file system.
constexpr std::string_view kLocalDriverOptions[] = {"type", "device", "o", "size"};

bool is_name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (!first && (c == '_' || c == '.' || c == '-'));
}

std::string volume_dir(const Store& store, const std::string& name) {
  return store.volumes_dir() + "/" + name;
}

Result<FileLock> lock_volumes(const Store& store, FileLock::Mode mode) {
  return std::move(FileLock::acquire(store.volumes_dir() + "/.lock", mode)).wrap("lock the volumes");
}

Result<VolumeRecord> volume_from_json(const Store& store, const std::string& name, const Json& j) {
  if (!j.is_object()) return make_error("volume `{}`: malformed record", name);
  VolumeRecord v;
  v.name = name;
  v.dir = volume_dir(store, name);
  v.created = j.value("created", "");
  v.labels = j.contains("labels") ? j["labels"] : Json();
  v.options = j.contains("options") ? j["options"] : Json();
  v.anonymous = j.value("anonymous", false);
  return v;
}

// Makes volume `name` unless it exists. The caller holds the volumes lock
// (shared): garbage collection, under the exclusive lock, then knows that
// every .tmp- folder it sees was left by a crash.
Result<VolumeRecord> make_volume(const Store& store, const std::string& name, const Json& labels,
                                 const Json& options, bool anonymous) {
  if (auto existing = load_volume(store, name); existing.ok()) return existing;
  std::string tmp = store.volumes_dir() + "/.tmp-" + random_hex(16);
  auto build = [&]() -> Status {
    TRY(make_directories(tmp, 0700));
    // _data is the container's folder: root's (ours) with docker's mode.
    TRY(make_directories(tmp + "/_data", 0755));
    Json record = {{"name", name},     {"created", now_rfc3339()}, {"driver", "local"},
                   {"labels", labels}, {"options", options},       {"anonymous", anonymous}};
    TRY(write_json_atomically(tmp + "/volume.json", record));
    if (::rename(tmp.c_str(), volume_dir(store, name).c_str()) == 0)
      return sync_directory(store.volumes_dir());
    // Another creator of the same name won: its volume is ours too.
    if (errno == EEXIST || errno == ENOTEMPTY) return remove_tree(tmp);
    return errno_error("make volume `{}` visible", name);
  };
  if (Status built = build(); !built.ok()) {
    (void)remove_tree(tmp);
    return std::move(built).error().wrap("create volume `{}`", name);
  }
  return load_volume(store, name);
}

// Moves a volume aside to .trash-<random> (the caller holds the exclusive
// volumes lock) and returns its new path with a flock on it, so garbage
// collection leaves it to us.
Result<std::pair<std::string, FileLock>> trash_volume(const Store& store, const VolumeRecord& volume) {
  UniqueFd fd = TRY(open_directory(volume.dir));
  FileLock held = TRY(FileLock::try_acquire_fd(std::move(fd), volume.dir));
  if (!held.held())
    return make_error("remove {}: the volume is busy (a container is filling it)", volume.name);
  std::string trash = store.volumes_dir() + "/.trash-" + random_hex(16);
  if (::rename(volume.dir.c_str(), trash.c_str()) != 0) return errno_error("remove volume `{}`", volume.name);
  return std::pair<std::string, FileLock>(trash, std::move(held));
}

// The bytes of the files under the directory open at `dir_fd`, each inode
// once, directories not counted: what docker reports a volume reclaims.
void add_content_size(int dir_fd, std::set<std::pair<dev_t, ino_t>>& seen, uint64_t& total) {
  auto names = list_directory(dir_fd);
  if (!names.ok()) return;
  for (const auto& name : *names) {
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (child) add_content_size(child.get(), seen, total);
    } else if (seen.insert({st.st_dev, st.st_ino}).second) {
      total += uint64_t(st.st_size);
    }
  }
}

// Removes whole volume folders from inside the user namespace (their content
// may belong to subordinate IDs); returns the size of their content.
Result<uint64_t> remove_volume_trees(const std::vector<std::string>& paths) {
  if (paths.empty()) return uint64_t(0);
  auto values = run_in_user_namespace(current_id_mapping(), [&](SyncSocket& sock) -> Status {
    uint64_t bytes = 0;
    std::set<std::pair<dev_t, ino_t>> seen;
    for (const auto& path : paths) {
      if (auto data = open_directory(path + "/_data"); data.ok()) add_content_size(data->get(), seen, bytes);
      TRY(remove_tree(path));
    }
    return sock.send(SyncSocket::Kind::kValue, std::to_string(bytes));
  });
  if (!values.ok()) return std::move(values).error().wrap("remove volumes");
  return values->empty() ? uint64_t(0) : std::stoull(values->front());
}

// Removes what interrupted volume commands left. The caller holds the
// exclusive volumes lock, so no .tmp- folder has a living maker; a .trash-
// folder does while its remover holds its flock.
void collect_volume_garbage(const Store& store) {
  DIR* dir = ::opendir(store.volumes_dir().c_str());
  if (!dir) return;
  std::vector<std::string> dead;
  std::vector<FileLock> held;
  while (struct dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    std::string path = store.volumes_dir() + "/" + name;
    if (name.starts_with(".tmp-")) {
      dead.push_back(path);
    } else if (name.starts_with(".trash-")) {
      auto fd = open_directory(path);
      if (!fd.ok()) continue;
      auto lock = FileLock::try_acquire_fd(std::move(*fd), path);
      if (!lock.ok() || !lock->held()) continue;
      dead.push_back(path);
      held.push_back(std::move(*lock));
    }
  }
  ::closedir(dir);
  if (auto removed = remove_volume_trees(dead); !removed.ok()) warn("{}", removed.error().text());
}

// The names of the volumes any container's record uses.
std::set<std::string> volumes_in_use(const Store& store) {
  std::set<std::string> out;
  for (const auto& c : list_containers(store))
    if (c.config.contains("volume_specs") && c.config["volume_specs"].is_array())
      for (const auto& spec : c.config["volume_specs"])
        if (std::string name = spec.value("volume", ""); !name.empty()) out.insert(name);
  return out;
}

bool is_anonymous(const VolumeRecord& v) {
  return v.anonymous || (v.labels.is_object() && v.labels.contains(kAnonymousVolumeLabel));
}

}  // namespace

Status check_volume_name(std::string_view name) {
  if (name.size() == 1)
    return make_error("volume name is too short, names should be at least two alphanumeric characters");
  bool valid = !name.empty();
  for (size_t i = 0; i < name.size() && valid; ++i) valid = is_name_char(name[i], i == 0);
  if (!valid)
    return make_error(
        "\"{}\" includes invalid characters for a local volume name, only \"{}\" are allowed. If you "
        "intended to "
        "pass a host directory, use absolute path",
        name, kNameChars);
  if (name.size() > 255) return make_error("volume name is too long, names can have at most 255 characters");
  return {};
}

Result<Json> check_volume_driver_options(std::string_view driver, const std::vector<std::string>& options) {
  if (!driver.empty() && driver != "local")
    return make_error("volume driver \"{}\" is not available: skiff has only the local driver", driver);
  for (const auto& opt : options) {
    size_t eq = opt.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error("invalid driver option `{}`: expected KEY=VALUE", opt);
    std::string key = opt.substr(0, eq);
    if (std::find(std::begin(kLocalDriverOptions), std::end(kLocalDriverOptions), key) ==
        std::end(kLocalDriverOptions))
      return make_error("invalid option key: \"{}\"", key);
  }
  if (!options.empty())
    return make_error(
        "the local driver can't use option \"{}\" without root: it mounts a file system on the host, and "
        "skiff's "
        "volumes are folders in its store (mount it yourself and bind it with -v HOST-PATH:PATH)",
        options.front().substr(0, options.front().find('=')));
  return Json::object();
}

Result<Json> parse_label_flags(const std::vector<std::string>& labels) {
  Json out = Json::object();
  for (const auto& l : labels) {
    size_t eq = l.find('=');
    if (l.empty() || eq == 0) return make_error("invalid label `{}`: a label needs a name", l);
    out[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  return out;
}

Result<VolumeRecord> create_volume(const Store& store, const VolumeCreateOptions& o) {
  std::string name = o.name.empty() ? random_hex(64) : o.name;
  TRY(std::move(check_volume_name(name)).wrap("create {}", name));
  Json labels = TRY(std::move(parse_label_flags(o.labels)).wrap("create {}", name));
  Json options = TRY(std::move(check_volume_driver_options(o.driver, o.options)).wrap("create {}", name));
  // A volume without a name is anonymous, as docker's (prune removes it).
  if (o.name.empty()) labels[kAnonymousVolumeLabel] = "";
  FileLock lock = TRY(lock_volumes(store, FileLock::Mode::kShared));
  return make_volume(store, name, labels, options, o.name.empty());
}

Result<VolumeRecord> load_volume(const Store& store, const std::string& name) {
  if (!check_volume_name(name).ok()) return make_error("No such volume: {}", name);
  auto json = read_json_file(volume_dir(store, name) + "/volume.json", 1 << 20);
  if (!json.ok()) {
    if (json.error().errnum() == ENOENT || json.error().errnum() == ENOTDIR)
      return make_error("No such volume: {}", name);
    return std::move(json).error().wrap("read volume `{}`", name);
  }
  return volume_from_json(store, name, *json);
}

std::vector<VolumeRecord> list_volumes(const Store& store) {
  std::vector<VolumeRecord> out;
  DIR* dir = ::opendir(store.volumes_dir().c_str());
  if (!dir) return out;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    auto v = load_volume(store, e->d_name);
    if (!v.ok()) {
      warn("skipping volume `{}`: {}", e->d_name, v.error().text());
      continue;
    }
    out.push_back(std::move(*v));
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::vector<std::string> volume_users(const Store& store, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& c : list_containers(store)) {
    if (!c.config.contains("volume_specs") || !c.config["volume_specs"].is_array()) continue;
    for (const auto& spec : c.config["volume_specs"])
      if (spec.value("volume", "") == name) {
        out.push_back(c.id);
        break;
      }
  }
  return out;
}

Json inspect_volume(const VolumeRecord& v) {
  // docker's CreatedAt has whole seconds.
  std::string created = v.created.size() >= 19 ? v.created.substr(0, 19) + "Z" : v.created;
  return Json{
      {"CreatedAt", created}, {"Driver", "local"},    {"Labels", v.labels}, {"Mountpoint", v.data_dir()},
      {"Name", v.name},       {"Options", v.options}, {"Scope", "local"}};
}

Result<std::vector<Json>> list_volume_rows(const Store& store, const std::vector<std::string>& filter_specs) {
  std::vector<ListFilter> filters =
      TRY(parse_list_filters(filter_specs, {"dangling", "driver", "label", "name"}));
  bool dangling_asked = false;
  for (const auto& f : filters) {
    if (f.key == "dangling") TRY(parse_bool_filter(f));
    dangling_asked = dangling_asked || f.key == "dangling";
  }
  std::set<std::string> used;
  if (dangling_asked) used = volumes_in_use(store);

  std::vector<Json> rows;
  for (const auto& v : list_volumes(store)) {
    bool keep = filters_accept(filters, [&](const ListFilter& f) {
      if (f.key == "dangling") return *parse_bool_filter(f) == !used.count(v.name);
      if (f.key == "driver") return f.value == "local";
      if (f.key == "name") return pattern_matches(f.value, v.name);
      return labels_match(v.labels, f);
    });
    if (!keep) continue;
    rows.push_back(Json{{"Availability", "N/A"},
                        {"Driver", "local"},
                        {"Group", "N/A"},
                        {"Labels", labels_column(v.labels)},
                        {"Links", "N/A"},
                        {"Mountpoint", v.data_dir()},
                        {"Name", v.name},
                        {"Scope", "local"},
                        {"Size", "N/A"},
                        {"Status", "N/A"}});
  }
  return rows;
}

Status remove_volume(const Store& store, const std::string& name, bool force) {
  std::pair<std::string, FileLock> trash;
  {
    FileLock lock = TRY(lock_volumes(store, FileLock::Mode::kExclusive));
    collect_volume_garbage(store);
    auto volume = load_volume(store, name);
    if (!volume.ok()) {
      bool missing = volume.error().text().starts_with("No such volume");
      if (force && missing) return {};
      return std::move(volume).error();
    }
    std::vector<std::string> users = volume_users(store, name);
    if (!users.empty()) {
      std::string ids;
      for (const auto& id : users) ids += (ids.empty() ? "" : ", ") + id;
      return make_error("remove {}: volume is in use - [{}]", name, ids);
    }
    trash = TRY(trash_volume(store, *volume));
  }
  TRY(std::move(remove_volume_trees({trash.first})).wrap("remove volume `{}`", name));
  return {};
}

Result<VolumePruneOutcome> prune_volumes(const Store& store, bool all,
                                         const std::vector<std::string>& filter_specs) {
  std::vector<ListFilter> filters = TRY(parse_list_filters(filter_specs, {"label", "all"}));
  for (const auto& f : filters)
    if (f.key == "all") all = all || TRY(parse_bool_filter(f));
  VolumePruneOutcome outcome;
  std::vector<std::string> paths;
  std::vector<FileLock> held;
  {
    FileLock lock = TRY(lock_volumes(store, FileLock::Mode::kExclusive));
    collect_volume_garbage(store);
    std::set<std::string> used = volumes_in_use(store);
    for (const auto& v : list_volumes(store)) {
      if (used.count(v.name) || (!all && !is_anonymous(v))) continue;
      bool keep = false;
      for (const auto& f : filters) keep = keep || (f.key == "label" && !labels_match(v.labels, f));
      if (keep) continue;
      auto trash = trash_volume(store, v);
      if (!trash.ok()) {
        warn("{}", trash.error().text());
        continue;
      }
      paths.push_back(trash->first);
      held.push_back(std::move(trash->second));
      outcome.deleted.push_back(v.name);
    }
  }
  outcome.reclaimed = TRY(remove_volume_trees(paths));
  return outcome;
}

Status remove_anonymous_volumes(const Store& store, const Json& config) {
  std::vector<std::string> names;
  if (config.contains("volume_specs") && config["volume_specs"].is_array())
    for (const auto& spec : config["volume_specs"])
      if (spec.value("anonymous", false) && !spec.value("volume", "").empty())
        names.push_back(spec.value("volume", ""));
  if (names.empty()) return {};
  std::vector<std::string> paths;
  std::vector<FileLock> held;
  {
    FileLock lock = TRY(lock_volumes(store, FileLock::Mode::kExclusive));
    std::set<std::string> used = volumes_in_use(store);
    for (const auto& name : names) {
      auto volume = load_volume(store, name);
      // Gone already, or named by another container too (as docker, kept).
      if (!volume.ok() || used.count(name)) continue;
      auto trash = TRY(trash_volume(store, *volume));
      paths.push_back(trash.first);
      held.push_back(std::move(trash.second));
    }
  }
  TRY(remove_volume_trees(paths));
  return {};
}

Result<VolumeClaim> VolumeClaim::begin(const Store& store) {
  return VolumeClaim(store, TRY(lock_volumes(store, FileLock::Mode::kShared)));
}

VolumeClaim::~VolumeClaim() {
  // Made here and never mounted: only our own files, no namespace needed.
  for (const auto& name : made_) (void)remove_tree(volume_dir(*store_, name));
}

Result<VolumeRecord> VolumeClaim::take(const std::string& name, const Json& labels) {
  if (!name.empty()) {
    TRY(std::move(check_volume_name(name)).wrap("create {}", name));
    return make_volume(*store_, name, labels.empty() ? Json() : labels, Json(), false);
  }
  std::string random = random_hex(64);
  Json anonymous_labels = labels.is_object() ? labels : Json::object();
  anonymous_labels[kAnonymousVolumeLabel] = "";
  VolumeRecord made = TRY(make_volume(*store_, random, anonymous_labels, Json(), true));
  made_.push_back(random);
  return made;
}

}  // namespace skiff
