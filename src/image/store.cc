#include "image/store.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <vector>

#include "base/fs.h"
#include "base/sha256.h"
#include "image/layer_store.h"

namespace skiff {

std::string digest_hex(const std::string& digest) {
  auto colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(colon + 1);
}

std::string Store::default_root() {
  if (const char* root = getenv("SKIFF_ROOT"); root && *root) return root;
  if (const char* data = getenv("XDG_DATA_HOME"); data && *data) return std::string(data) + "/skiff";
  const char* home = getenv("HOME");
  return std::string(home && *home ? home : "/") + "/.local/share/skiff";
}

std::string Store::default_runroot() {
  if (const char* run = getenv("SKIFF_RUNROOT"); run && *run) return run;
  if (const char* xdg = getenv("XDG_RUNTIME_DIR"); xdg && *xdg) return std::string(xdg) + "/skiff";
  return fmt::format("/tmp/skiff-{}", ::geteuid());
}

Result<Store> Store::open(const std::string& root, const std::string& runroot) {
  if (root.empty() || root[0] != '/') return make_error("store root `{}` must be an absolute path", root);
  Store store(root, runroot);
  for (const std::string& dir : {root, store.blobs_dir(), store.layers_dir(), store.images_dir(),
                                 store.containers_dir(), store.volumes_dir()})
    TRY(std::move(make_directories(dir, 0700)).wrap("open store"));
  TRY(std::move(make_directories(runroot, 0700)).wrap("open runtime directory"));
  // A runtime folder in /tmp could be planted by another user: insist on ours.
  struct stat st;
  if (::lstat(runroot.c_str(), &st) != 0) return errno_error("open runtime directory `{}`", runroot);
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
    return make_error("runtime directory `{}` is not a directory owned by uid {}", runroot, ::geteuid());
  if ((st.st_mode & 077) != 0 && ::chmod(runroot.c_str(), 0700) != 0)
    return errno_error("make runtime directory `{}` private", runroot);
  return store;
}

std::string Store::blob_path(const std::string& digest) const { return blobs_dir() + "/" + digest_hex(digest); }
std::string Store::layer_dir(const std::string& chain_id) const { return layers_dir() + "/" + digest_hex(chain_id); }
std::string Store::image_path(const std::string& image_id) const {
  return images_dir() + "/" + digest_hex(image_id) + ".json";
}

Result<FileLock> Store::lock() const { return FileLock::acquire(root_ + "/store.lock"); }

Result<std::string> Store::write_blob(std::string_view data) const {
  std::string digest = sha256_digest(data);
  std::string path = blob_path(digest);
  if (!path_exists(path)) TRY(write_file_atomically(path, data, 0600));
  return digest;
}

Result<std::string> Store::read_blob(const std::string& digest, size_t max_size) const {
  if (!is_sha256_digest(digest)) return make_error("invalid blob digest `{}`", digest);
  std::string data = TRY(read_file(blob_path(digest), max_size));
  if (sha256_digest(data) != digest) return make_error("blob {} is corrupt: its content does not match its digest", digest);
  return data;
}

Status Store::remove_blob(const std::string& digest) const {
  if (::unlink(blob_path(digest).c_str()) != 0 && errno != ENOENT)
    return errno_error("remove blob `{}`", digest);
  return {};
}

namespace {

// Names in `dir` starting with any of `prefixes`.
std::vector<std::string> list_prefixed(const std::string& dir, std::initializer_list<std::string_view> prefixes) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    for (auto p : prefixes)
      if (name.substr(0, p.size()) == p) {
        out.emplace_back(name);
        break;
      }
  }
  ::closedir(d);
  return out;
}

// Atomic-file temporaries (".tmp-<name>-<rand>") live for milliseconds; one
// older than this was left by a crash.
constexpr time_t kStaleTempSeconds = 600;

void remove_stale_temp_files(const std::string& dir) {
  time_t now = ::time(nullptr);
  for (const auto& name : list_prefixed(dir, {".tmp-"})) {
    std::string path = dir + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime > kStaleTempSeconds)
      ::unlink(path.c_str());
  }
}

}  // namespace

Status Store::collect_garbage() const {
  remove_stale_temp_files(blobs_dir());
  remove_stale_temp_files(images_dir());
  // Containers half made (create killed) or half removed (rm killed): no
  // lock guards them, so only those untouched for ten minutes go (rm
  // touches the folder it renames to .trash-, so its age starts then).
  std::vector<std::string> stale_containers;
  time_t now = ::time(nullptr);
  for (const auto& name : list_prefixed(containers_dir(), {".tmp-", ".trash-"})) {
    std::string path = containers_dir() + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && now - st.st_mtime > kStaleTempSeconds)
      stale_containers.push_back(path);
  }
  if (!stale_containers.empty()) TRY(remove_layer_trees(stale_containers));
  auto candidates = list_prefixed(layers_dir(), {".tmp-", ".trash-"});
  if (candidates.empty()) return {};
  std::vector<std::string> dead;
  std::vector<FileLock> held_locks;  // kept while we remove: no one else collects them
  {
    // Under the store lock, because makers create and lock their .tmp- dirs
    // under it too: an unlocked .tmp- dir seen here is truly abandoned.
    FileLock store_lock = TRY(lock());
    for (const auto& name : candidates) {
      std::string path = layers_dir() + "/" + name;
      auto fd = open_directory(path);
      if (!fd.ok()) continue;
      auto held = FileLock::try_acquire_fd(std::move(*fd), path);
      if (!held.ok() || !held->held()) continue;
      dead.push_back(path);
      held_locks.push_back(std::move(*held));
    }
  }
  if (dead.empty()) return {};
  return remove_layer_trees(dead);
}

}  // namespace skiff
