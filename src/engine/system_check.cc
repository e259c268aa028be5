#include "engine/system_check.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <map>
#include <set>

#include "base/fs.h"
#include "engine/container_process.h"
#include "engine/containers.h"
#include "engine/monitor.h"
#include "image/image_store.h"
#include "image/layer_store.h"

namespace skiff {

namespace {

std::vector<std::string> entries_of(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  ::closedir(d);
  return out;
}

std::string short_id(std::string_view id) {
  if (id.starts_with("sha256:")) id.remove_prefix(7);
  return std::string(id.substr(0, 12));
}

// A name link younger than this may belong to a create in progress (the
// name is claimed before the container's folder appears).
constexpr time_t kNameGraceSeconds = 60;

class Checker {
 public:
  Checker(const Store& store, bool repair) : store_(store), repair_(repair) {}

  Result<std::vector<StoreProblem>> run() {
    check_containers();
    TRY(check_images_and_layers());
    check_names();
    TRY(check_leftovers());
    return std::move(problems_);
  }

 private:
  void report(std::string what, bool repaired) { problems_.push_back({std::move(what), repaired}); }

  Status check_images_and_layers() {
    FileLock lock = TRY(store_.lock());
    std::set<std::string> used = container_layers_;
    for (const auto& file : entries_of(store_.images_dir())) {
      if (!file.ends_with(".json") || file.starts_with(".")) continue;
      std::string id = "sha256:" + file.substr(0, file.size() - 5);
      auto image = load_image(store_, id);
      if (!image.ok()) {
        bool fixed = repair_ && delete_image_record(store_, id).ok();
        report(fmt::format("image {}: unreadable record: {}", short_id(id), image.error().text()), fixed);
        continue;
      }
      std::string missing;
      for (const auto& chain : image->layers)
        if (!load_layer(store_, chain).ok() && missing.empty())
          missing = "layer " + short_id(chain) + " is missing";
      if (missing.empty() && !load_image_config(store_, *image).ok())
        missing = "its config blob is missing or damaged";
      if (!missing.empty()) {
        bool fixed = repair_ && delete_image_record(store_, image->id).ok();
        report(fmt::format("image {}: {}", short_id(image->id), missing), fixed);
        continue;
      }
      used.insert(image->layers.begin(), image->layers.end());
    }
    std::vector<std::string> unused;
    for (const auto& name : entries_of(store_.layers_dir())) {
      if (name.starts_with(".")) continue;
      if (!used.contains("sha256:" + name)) unused.push_back("sha256:" + name);
    }
    if (unused.empty()) return {};
    std::vector<std::string> trash;
    if (repair_) {
      auto moved = trash_layers(store_, unused);
      if (moved.ok()) trash = std::move(*moved);
    }
    for (const auto& chain : unused)
      report(fmt::format("layer {}: no image or container uses it", short_id(chain)), !trash.empty());
    lock.release();
    if (!trash.empty()) return remove_layer_trees(trash);
    return {};
  }

  void check_containers() {
    for (const auto& id : entries_of(store_.containers_dir())) {
      if (id.starts_with(".")) continue;
      std::string dir = store_.containers_dir() + "/" + id;
      // Read the raw state first: load_container records a dead monitor.
      auto raw_state = read_json_file(dir + "/state.json", 1 << 20);
      bool was_live =
          raw_state.ok() && raw_state->is_object() && is_live_status(raw_state->value("Status", ""));
      auto c = load_container(store_, id);
      if (!c.ok()) {
        bool fixed = false;
        if (repair_ && !monitor_alive(dir)) {
          Container broken{id, dir, Json::object(), Json::object()};
          fixed = remove_container(store_, broken, false).ok();
        }
        report(fmt::format("container {}: unreadable record: {}", short_id(id), c.error().text()), fixed);
        continue;
      }
      // Layers of a container whose image is gone still serve the container.
      for (const auto& chain : json_strings(c->config["layers"])) container_layers_.insert(chain);
      if (was_live && !is_live_status(c->status()) && c->state.value("ExitCode", 0) == 255)
        report(fmt::format("container {}: its monitor had died; recorded as exited", short_id(id)), true);
      if (!is_live_status(c->status()) && c->config["HostConfig"].value("AutoRemove", false) &&
          c->status() == "exited") {
        bool fixed = repair_ && remove_container(store_, *c, false).ok();
        report(fmt::format("container {}: a --rm container its monitor left behind", short_id(id)), fixed);
        continue;
      }
      for (const auto& chain : json_strings(c->config["layers"])) {
        if (!path_exists(store_.layer_dir(chain) + "/diff")) {
          report(fmt::format("container {}: layer {} of its image is missing; it can't start (skiff rm it)",
                             short_id(id), short_id(chain)),
                 false);
          break;
        }
      }
      names_.emplace(c->name(), id);
    }
  }

  void check_names() {
    std::string names_dir = store_.containers_dir() + "/.names";
    std::set<std::string> linked;
    time_t now = ::time(nullptr);
    for (const auto& name : entries_of(names_dir)) {
      std::string link = names_dir + "/" + name;
      char target[128];
      ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
      std::string id = n > 0 ? std::string(target, size_t(n)) : "";
      auto owner = names_.find(name);
      if (owner != names_.end() && owner->second == id) {
        linked.insert(name);
        continue;
      }
      struct stat st;
      if (::lstat(link.c_str(), &st) == 0 && st.st_mtime + kNameGraceSeconds > now)
        continue;  // being created
      bool fixed = repair_ && ::unlink(link.c_str()) == 0;
      report(fmt::format("name `{}`: points to no container that has it", name), fixed);
    }
    for (const auto& [name, id] : names_) {
      if (linked.contains(name)) continue;
      bool fixed = repair_ && ::symlink(id.c_str(), (names_dir + "/" + name).c_str()) == 0;
      report(fmt::format("container {}: its name `{}` is not registered", short_id(id), name), fixed);
    }
  }

  Status check_leftovers() {
    time_t now = ::time(nullptr);
    int leftovers = 0;
    for (const auto& dir : {store_.layers_dir(), store_.containers_dir()})
      for (const auto& name : entries_of(dir)) {
        struct stat st;
        if ((name.starts_with(".tmp-") || name.starts_with(".trash-")) &&
            ::lstat((dir + "/" + name).c_str(), &st) == 0 && st.st_mtime + 600 < now)
          ++leftovers;
      }
    if (leftovers > 0) {
      bool fixed = repair_ && store_.collect_garbage().ok();
      report(fmt::format("{} folder(s) left by interrupted commands", leftovers), fixed);
    }
    std::string sockets = store_.runroot() + "/containers";
    for (const auto& name : entries_of(sockets)) {
      if (!name.ends_with(".sock")) continue;
      std::string id = name.substr(0, name.size() - 5);
      if (monitor_alive(store_.containers_dir() + "/" + id)) continue;
      bool fixed = repair_ && ::unlink((sockets + "/" + name).c_str()) == 0;
      report(fmt::format("socket {}: its container no longer runs", short_id(id)), fixed);
    }
    return {};
  }

  const Store& store_;
  bool repair_;
  std::vector<StoreProblem> problems_;
  std::map<std::string, std::string> names_;  ///< name -> container ID, from the records
  std::set<std::string> container_layers_;    ///< chain IDs the containers use
};

}  // namespace

Result<std::vector<StoreProblem>> check_store(const Store& store, bool repair) {
  return Checker(store, repair).run();
}

}  // namespace skiff
