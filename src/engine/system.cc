#include "engine/system.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/fs.h"
#include "base/output.h"
#include "engine/container_control.h"
#include "engine/container_process.h"
#include "linux/userns.h"

namespace skiff {

namespace {

// What skiff keeps in its folders. Reset removes these and nothing else:
// --root or SKIFF_ROOT may name a folder that also holds the user's files
// (a mistyped variable can make it $HOME), and those are never skiff's to
// delete.
bool is_store_entry(std::string_view name) {
  for (std::string_view known : {"images", "containers", "layers", "volumes", "networks", "blobs", "store.lock",
                                 "storage-driver", ".warned-single-id"})
    if (name == known) return true;
  return name.starts_with(".tmp-");
}

bool is_runtime_entry(std::string_view name) {
  return name.starts_with("seccomp-") || name.starts_with(".tmp-") || name == "containers" || name == "networks";
}

std::vector<std::string> entries(const std::string& dir, bool (*ours)(std::string_view)) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != ".." && ours(name)) out.push_back(dir + "/" + std::string(name));
  }
  ::closedir(d);
  return out;
}

// Removes `dir` when skiff's entries were all it held; says so otherwise.
void remove_if_empty(const std::string& dir) {
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
  if (errno == ENOTEMPTY || errno == EEXIST)
    warn("left `{}` in place: it holds files that are not skiff's", dir);
}

}  // namespace

Status reset_store(const Store& store) {
  // Running containers first: their monitors would otherwise go on writing
  // into what is being removed.
  for (const auto& c : list_containers(store))
    if (is_live_status(c.status())) TRY(stop_container(store, c, {.timeout = 0, .signal = SIGKILL}));
  std::vector<std::string> doomed = entries(store.root(), is_store_entry);
  {
    FileLock lock = TRY(store.lock());
    // Layer and container trees hold files of subordinate IDs: removed from
    // inside the user namespace. The lock file goes last, after unlocking.
    auto removed = run_in_user_namespace(current_id_mapping(), [&](SyncSocket&) -> Status {
      for (const auto& path : doomed)
        if (!path.ends_with("/store.lock")) TRY(remove_tree(path));
      return {};
    });
    if (!removed.ok()) return std::move(removed).error().wrap("reset store `{}`", store.root());
  }
  (void)::unlink((store.root() + "/store.lock").c_str());
  for (const auto& path : entries(store.runroot(), is_runtime_entry))
    TRY(std::move(remove_tree(path)).wrap("reset store"));
  remove_if_empty(store.runroot());
  remove_if_empty(store.root());
  return {};
}

}  // namespace skiff
