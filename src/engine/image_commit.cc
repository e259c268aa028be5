#include "engine/image_commit.h"

#include "base/fs.h"
#include "base/lock.h"
#include "engine/container_diff.h"
#include "engine/container_pause.h"
#include "engine/containers.h"
#include "engine/images.h"
#include "image/image_config.h"
#include "image/layer_tar.h"
#include "image/reference.h"
#include "linux/container_plan.h"
#include "linux/path_in_root.h"

namespace skiff {

namespace {

// The container config fields an image config carries (OCI's, and docker's
// Healthcheck, OnBuild and Shell), in the container record's spelling.
constexpr const char* kImageConfigFields[] = {"User",    "ExposedPorts", "Env",        "Entrypoint",
                                              "Cmd",     "Volumes",      "WorkingDir", "Labels",
                                              "StopSignal", "OnBuild",   "Healthcheck", "Shell"};

// docker's "created_by" of a commit: what the container ran.
std::string command_line(const Json& container_config) {
  std::string out;
  if (container_config.contains("Path") && container_config["Path"].is_string()) out = container_config["Path"];
  if (container_config.contains("Args") && container_config["Args"].is_array())
    for (const auto& a : container_config["Args"])
      if (a.is_string()) out += (out.empty() ? "" : " ") + a.get<std::string>();
  return out;
}

// Pauses a running container for the length of a commit, when its cgroup can
// be frozen; otherwise the layer is written from the live container, as
// podman does by default.
class PauseForCommit {
 public:
  PauseForCommit(const Store& store, const Container& c) : store_(store), container_(c) {
    paused_ = c.status() == "running" && pause_container(store, c).ok();
  }
  ~PauseForCommit() {
    if (!paused_) return;
    // unpause reads the state pause wrote: the record as it is now.
    if (auto now = load_container(store_, container_.id); now.ok()) (void)unpause_container(store_, *now);
  }
  PauseForCommit(const PauseForCommit&) = delete;
  PauseForCommit& operator=(const PauseForCommit&) = delete;

 private:
  const Store& store_;
  const Container& container_;
  bool paused_ = false;
};

}  // namespace

Result<PendingLayer> layer_from_upper(const Store& store, const std::string& upper_dir,
                                      const std::string& parent_chain) {
  TreeTarOptions tar_options;
  tar_options.oci_whiteouts = true;
  tar_options.skip = [](const std::string& rel, const struct stat& st) { return is_mount_point_stub(rel, st); };
  LayerFeed feed = [&](ByteSink& sink) { return write_tree_tar(upper_dir, tar_options, sink); };
  return PendingLayer::extract(store, parent_chain, feed);
}

Result<PendingLayer> layer_from_copy(const Store& store, const std::string& copy_dir,
                                     const std::vector<FsChange>& changes, const std::string& parent_chain) {
  std::vector<TreeChange> entries;
  for (const auto& change : changes)
    if (std::string rel = clean_clamped_path(change.path); !rel.empty()) entries.push_back({rel, change.kind == 'D'});
  LayerFeed feed = user_namespace_feed([&](int out_fd) -> Status {
    // Child: root of the containers' user namespace, where the copy's files
    // have the owners the image gives them.
    UniqueFd root = TRY(open_directory(copy_dir));
    return write_changes_tar_at(root.get(), entries, out_fd);
  });
  return PendingLayer::extract(store, parent_chain, feed);
}

Json derive_image_config(Json base, const HistoryEntry& entry, const std::string& diff_id,
                         const std::string& created) {
  base["created"] = created;
  if (!entry.author.empty()) base["author"] = entry.author;
  Json history = {{"created", created}};
  if (!entry.created_by.empty()) history["created_by"] = entry.created_by;
  if (!entry.author.empty()) history["author"] = entry.author;
  if (!entry.comment.empty()) history["comment"] = entry.comment;
  if (entry.empty_layer) history["empty_layer"] = true;
  if (!base.contains("history") || !base["history"].is_array()) base["history"] = Json::array();
  base["history"].push_back(std::move(history));
  if (!base.contains("rootfs") || !base["rootfs"].is_object())
    base["rootfs"] = {{"type", "layers"}, {"diff_ids", Json::array()}};
  if (!entry.empty_layer) base["rootfs"]["diff_ids"].push_back(diff_id);
  if (!base.contains("config") || !base["config"].is_object()) base["config"] = Json::object();
  return base;
}

Json scratch_image_config() {
  Platform platform = host_platform();
  Json config = {{"architecture", platform.architecture}, {"os", platform.os}};
  if (!platform.variant.empty()) config["variant"] = platform.variant;
  config["config"] = Json::object();
  config["rootfs"] = {{"type", "layers"}, {"diff_ids", Json::array()}};
  config["history"] = Json::array();
  return config;
}

Result<std::string> store_image(const Store& store, const Json& config, ImageRecord record, PendingLayer* layer) {
  record.id = TRY(store.write_blob(to_compact_json(config)));
  record.created = config.value("created", "");
  record.last_tag_time = record.names.empty() ? "" : now_rfc3339();
  FileLock lock = TRY(store.lock());
  if (layer) TRY(layer->commit());
  TRY(save_image_keeping_names(store, record));
  return record.id;
}

Result<std::string> commit_container(const Store& store, const CommitOptions& options) {
  Container c = TRY(find_container(store, options.container));
  auto fail = [&](const Error& e) { return e.wrap("commit container {}", c.name()); };

  std::vector<std::string> names;
  if (!options.reference.empty()) {
    auto named = image_name_for(options.reference);
    if (!named.ok()) return fail(named.error());
    names.push_back(*named);
  }
  auto driver = parse_rootfs_driver(c.config.value("storage_driver", "native"));
  if (!driver.ok()) return fail(driver.error());

  ImageRecord image = TRY(std::move(load_image(store, c.config.value("image_id", "")))
                              .wrap("commit container {}: its image is gone from the store", c.name()));
  Json config = TRY(std::move(load_image_config(store, image)).wrap("commit container {}", c.name()));

  // The container's settings become the image's; --change applies on top.
  Json& image_settings = config["config"];
  if (!image_settings.is_object()) image_settings = Json::object();
  const Json& settings = c.config["Config"];
  for (const char* key : kImageConfigFields)
    if (settings.contains(key)) image_settings[key] = settings[key];
  for (const auto& change : options.changes)
    if (auto applied = apply_change(config, change); !applied.ok()) return fail(applied.error());

  std::string upper = c.dir + "/upper";
  std::string parent = image.layers.empty() ? "" : image.layers.back();
  std::optional<PendingLayer> layer;
  {
    std::optional<PauseForCommit> pause;
    if (options.pause) pause.emplace(store, c);
    if (*driver == RootfsDriver::kVfs) {
      // A copy: its differences from the image are the layer.
      auto changes = container_changes(store, c);
      if (!changes.ok()) return fail(changes.error().wrap("find its changes"));
      if (!changes->empty()) {
        auto made = layer_from_copy(store, c.dir + "/rootfs", *changes, parent);
        if (!made.ok()) return fail(made.error().wrap("write its changes as a layer"));
        layer.emplace(std::move(*made));
      }
    } else if (path_exists(upper)) {
      auto made = layer_from_upper(store, upper, parent);
      if (!made.ok()) return fail(made.error().wrap("write its changes as a layer"));
      layer.emplace(std::move(*made));
    }
  }
  // A container never started (or unchanged) has no changes: an empty
  // layer, as docker commits one.
  if (!layer) {
    LayerFeed empty = [](ByteSink& sink) -> Status {
      static const uint8_t end[1024] = {};
      TRY(sink.write(std::span<const uint8_t>(end, sizeof end)));
      return sink.finish();
    };
    auto made = PendingLayer::extract(store, parent, empty);
    if (!made.ok()) return fail(made.error().wrap("write its changes as a layer"));
    layer.emplace(std::move(*made));
  }
  report_extraction(layer->report());

  HistoryEntry entry{.created_by = command_line(c.config), .comment = options.message, .author = options.author};
  Json derived = derive_image_config(std::move(config), entry, layer->record().diff_id, now_rfc3339());
  std::vector<std::string> layers = image.layers;
  layers.push_back(layer->record().chain_id);
  ImageRecord record;
  record.layers = std::move(layers);
  record.size = image.size + layer->record().size;
  record.names = names;
  auto id = store_image(store, derived, std::move(record), &*layer);
  if (!id.ok()) return fail(id.error());
  return *id;
}

}  // namespace skiff
