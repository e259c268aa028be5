#include "engine/images.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/fs.h"
#include "base/output.h"
#include "base/units.h"
#include "engine/list_filters.h"
#include "image/image_config.h"
#include "image/layer_store.h"
#include "image/reference.h"
#include "linux/userns.h"
#include "registry/http.h"
#include "registry/registries_conf.h"

namespace skiff {

Result<ImageRecord> find_local_image(const Store& store, const std::string& text) {
  auto image = find_image(store, text);
  if (image.ok() || !is_short_name(text)) return image;
  auto ref = ImageReference::parse_docker_ref(text);
  auto conf = load_registries_conf();
  if (!ref.ok() || !conf.ok()) return image;
  for (const auto& candidate : short_name_candidates(*conf, *ref))
    if (auto found = find_image(store, candidate.string()); found.ok()) return found;
  return image;
}

namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string short_id(const std::string& id) { return digest_hex(id).substr(0, 12); }

std::string familiar(const std::string& canonical) {
  auto ref = ImageReference::parse(canonical);
  return ref.ok() ? ref->familiar_string() : canonical;
}

// Layers of `removed` that no image in `remaining` uses.
std::vector<std::string> unshared_layers(const std::vector<ImageRecord>& removed,
                                         const std::vector<ImageRecord>& remaining) {
  std::set<std::string> kept;
  for (const auto& image : remaining) kept.insert(image.layers.begin(), image.layers.end());
  std::set<std::string> out;
  for (const auto& image : removed)
    for (const auto& layer : image.layers)
      if (!kept.count(layer)) out.insert(layer);
  return {out.begin(), out.end()};
}

// Deletes image records and the blobs and layers only they use. The caller
// holds the store lock; the returned trash is removed after unlocking.
Result<std::vector<std::string>> delete_images(const Store& store, const std::vector<ImageRecord>& doomed,
                                               uint64_t* reclaimed) {
  std::vector<ImageRecord> all = TRY(list_images(store));
  std::vector<ImageRecord> remaining;
  for (auto& image : all)
    if (std::none_of(doomed.begin(), doomed.end(), [&](const ImageRecord& d) { return d.id == image.id; }))
      remaining.push_back(std::move(image));
  std::vector<std::string> layers = unshared_layers(doomed, remaining);
  if (reclaimed) *reclaimed += layers_size(store, layers);
  for (const auto& image : doomed) {
    TRY(delete_image_record(store, image.id));
    TRY(store.remove_blob(image.id));
    if (!image.manifest_digest.empty()) TRY(store.remove_blob(image.manifest_digest));
  }
  return trash_layers(store, layers);
}

void remove_trash(const std::vector<std::string>& trash) {
  if (trash.empty()) return;
  // Failing here leaves .trash- folders that the next command collects.
  if (auto removed = remove_layer_trees(trash); !removed.ok()) warn("{}", removed.error().text());
}

// label=KEY or label=KEY=VALUE against an image's config labels.
bool image_labels_match(const Json& config, const ListFilter& f) {
  const Json& labels =
      config.contains("config") && config["config"].contains("Labels") ? config["config"]["Labels"] : Json();
  return labels_match(labels, f);
}

double created_seconds(const ImageRecord& image) {
  auto ts = parse_rfc3339(image.created);
  return ts ? double(ts->tv_sec) + ts->tv_nsec / 1e9 : 0;
}

}  // namespace

void report_extraction(const ExtractReport& report) {
  if (report.unmapped_owners > 0) {
    const IdMapping& mapping = current_id_mapping();
    warn(
        "{} file(s) in the image belong to users or groups this user namespace can't map (first: {}); "
        "they are owned by root in containers. {}",
        report.unmapped_owners, report.first_unmapped,
        mapping.has_subids() ? "The /etc/subuid or /etc/subgid range is too small for this image."
                             : "Add a range for this user to /etc/subuid and /etc/subgid "
                               "(usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER).");
  }
  if (report.skipped_devices > 0)
    warn("skipped {} device node(s) that an unprivileged user can't create (first: {})",
         report.skipped_devices, report.first_device);
}

void collect_garbage_or_warn(const Store& store) {
  if (auto gc = store.collect_garbage(); !gc.ok())
    warn("clean up after an interrupted command: {}", gc.error().text());
}

std::vector<ContainerUse> containers_using_image(const Store& store, const std::string& image_id) {
  std::vector<ContainerUse> out;
  DIR* dir = ::opendir(store.containers_dir().c_str());
  if (!dir) return out;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    auto config = read_json_file(store.containers_dir() + "/" + e->d_name + "/config.json");
    if (!config.ok() || !config->is_object()) continue;
    if (config->value("image_id", "") == image_id) out.push_back({e->d_name, config->value("name", "")});
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const ContainerUse& a, const ContainerUse& b) { return a.id < b.id; });
  return out;
}

Result<std::string> image_name_for(const std::string& reference) {
  auto ref = ImageReference::parse_with_default_tag(reference);
  if (!ref.ok()) return ref.error().wrap("invalid reference `{}`", reference);
  if (!ref->digest.empty())
    return make_error("invalid reference `{}`: a name with a digest can't be given to an image", reference);
  return ref->string();
}

Result<std::string> import_image(const Store& store, const ImportOptions& options) {
  const std::string& source = options.source;
  auto fail = [&](const Error& e) { return e.wrap("import `{}`", source); };

  // Everything that can be checked before reading the data is checked first.
  std::string name;
  if (!options.reference.empty()) {
    auto named = image_name_for(options.reference);
    if (!named.ok()) return fail(named.error());
    name = *named;
  }
  Platform platform = host_platform();
  if (!options.platform.empty()) {
    auto parsed = parse_platform(options.platform);
    if (!parsed.ok()) return fail(parsed.error());
    platform = *parsed;
  }
  std::string created = now_rfc3339();
  std::string comment = options.message.empty() ? "Imported from " + source : options.message;
  Json config = make_import_config("", platform, comment, created);
  for (const auto& change : options.changes)
    if (auto applied = apply_change(config, change); !applied.ok()) return fail(applied.error());

  LayerFeed feed;
  UniqueFd file;
  if (source == "-") {
    feed = [](ByteSink& sink) { return pump_fd(STDIN_FILENO, sink, "standard input"); };
  } else if (is_http_url(source)) {
    feed = [&](ByteSink& sink) { return http_get_to_sink(source, sink); };
  } else {
    file.reset(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file) return fail(errno_error("open"));
    struct stat st;
    if (::fstat(file.get(), &st) == 0 && S_ISDIR(st.st_mode))
      return fail(make_error("it is a directory: import takes a tar archive (plain, gzip or zstd)"));
    feed = [&](ByteSink& sink) { return pump_fd(file.get(), sink, "`" + source + "`"); };
  }

  collect_garbage_or_warn(store);
  auto layer = PendingLayer::extract(store, "", feed);
  if (!layer.ok()) return fail(layer.error());
  report_extraction(layer->report());

  config["rootfs"]["diff_ids"] = Json::array({layer->record().diff_id});
  std::string id = TRY(std::move(store.write_blob(to_compact_json(config))).wrap("import `{}`", source));

  ImageRecord record{.id = id,
                     .names = {},
                     .digests = {},
                     .manifest_digest = "",
                     .layers = {layer->record().chain_id},
                     .size = layer->record().size,
                     .created = created,
                     .last_tag_time = "", .parent = "", .build_step = false};
  if (!name.empty()) {
    record.names.push_back(name);
    record.last_tag_time = created;
  }
  FileLock lock = TRY(store.lock());
  TRY(std::move(layer->commit()).wrap("import `{}`", source));
  TRY(std::move(save_image_keeping_names(store, std::move(record))).wrap("import `{}`", source));
  return id;
}

Status save_image_keeping_names(const Store& store, ImageRecord record) {
  if (auto existing = load_image(store, record.id); existing.ok()) {
    for (const auto& n : existing->names)
      if (!contains(record.names, n)) record.names.push_back(n);
    for (const auto& d : existing->digests)
      if (!contains(record.digests, d)) record.digests.push_back(d);
    // An image a user has seen (pulled, imported, a build's result) stays
    // listed when a build meets it again as one of its steps.
    record.build_step = record.build_step && existing->build_step;
    if (record.parent.empty()) record.parent = existing->parent;
  }
  return save_image(store, record);
}

Result<std::vector<Json>> list_image_rows(const Store& store, const ImageListOptions& options) {
  std::vector<ListFilter> filters =
      TRY(parse_list_filters(options.filters, {"dangling", "reference", "label", "before", "since"}));
  if (!options.reference.empty()) filters.push_back({"reference", options.reference});
  std::vector<ImageRecord> images = TRY(list_images(store));

  // before= and since= name an image; compare creation times.
  double before = 1e300, since = -1;
  for (const auto& f : filters) {
    if (f.key != "before" && f.key != "since") continue;
    ImageRecord anchor = TRY(std::move(find_image(store, f.value)).wrap("filter {}", f.key));
    (f.key == "before" ? before : since) = created_seconds(anchor);
  }
  std::vector<Json> rows;
  time_t now = ::time(nullptr);
  for (const auto& image : images) {
    if (image.build_step && !options.all) continue;
    double created = created_seconds(image);
    if (created >= before || created <= since) continue;
    bool keep = true;
    std::optional<Json> config;
    for (const auto& f : filters) {
      if (f.key == "dangling") {
        if (f.value != "true" && f.value != "false" && f.value != "1" && f.value != "0")
          return make_error("invalid filter `dangling={}`: expected true or false", f.value);
        bool want = f.value == "true" || f.value == "1";
        keep = keep && (image.names.empty() == want);
      } else if (f.key == "label") {
        if (!config)
          config = load_image_config(store, image).ok() ? *load_image_config(store, image) : Json::object();
        keep = keep && image_labels_match(*config, f);
      }
    }
    if (!keep) continue;

    std::vector<std::pair<std::string, std::string>> repo_tags;  // familiar repository, tag
    for (const auto& n : image.names) {
      auto ref = ImageReference::parse(n);
      if (ref.ok())
        repo_tags.emplace_back(ref->familiar_name(), ref->tag.empty() ? "<none>" : ref->tag);
      else
        repo_tags.emplace_back(n, "<none>");
    }
    if (repo_tags.empty()) repo_tags.emplace_back("<none>", "<none>");
    for (size_t i = 0; i < repo_tags.size(); i++) {
      const auto& [repo, tag] = repo_tags[i];
      // Any reference filter may match (docker ORs them), against the short
      // or the full name, with or without the tag.
      bool any_reference = false, matches = false;
      for (const auto& f : filters) {
        if (f.key != "reference") continue;
        any_reference = true;
        if (repo == "<none>") continue;
        const std::string& canonical = image.names[i];
        std::string canonical_name = canonical.substr(0, canonical.rfind(':'));
        for (const std::string& candidate : {repo, repo + ":" + tag, canonical_name, canonical})
          matches = matches || ::fnmatch(f.value.c_str(), candidate.c_str(), 0) == 0;
      }
      if (any_reference && !matches) continue;
      std::string digest = "<none>";
      for (const auto& d : image.digests) {
        auto ref = ImageReference::parse(d);
        if (ref.ok() && ref->familiar_name() == repo) digest = ref->digest;
      }
      rows.push_back(Json{{"Containers", "N/A"},
                          {"CreatedAt", go_time_string(time_t(created))},
                          {"CreatedSince", human_duration(double(now) - created) + " ago"},
                          {"Digest", digest},
                          {"ID", options.no_trunc ? image.id : short_id(image.id)},
                          {"Repository", repo},
                          {"SharedSize", "N/A"},
                          {"Size", human_size(double(image.size))},
                          {"Tag", tag},
                          {"UniqueSize", "N/A"},
                          {"VirtualSize", human_size(double(image.size))}});
    }
  }
  return rows;
}

Result<std::vector<Json>> image_history_rows(const Store& store, const ImageRecord& image,
                                             const HistoryOptions& options) {
  Json config = TRY(load_image_config(store, image));
  Json history = config.contains("history") && config["history"].is_array() ? config["history"] : Json::array();
  // A non-empty entry is the next layer up; an image without history
  // shows one entry per layer, as docker does.
  if (history.empty())
    for (size_t i = 0; i < image.layers.size(); ++i) history.push_back(Json{{"created", config.value("created", "")}});
  time_t now = ::time(nullptr);
  std::vector<Json> rows;
  size_t layer = 0;
  for (size_t i = 0; i < history.size(); ++i) {
    const Json& entry = history[i];
    if (!entry.is_object()) return make_error("image {}: its config's history is malformed", short_id(image.id));
    uint64_t size = 0;
    if (!entry.value("empty_layer", false)) {
      if (layer < image.layers.size()) {
        auto record = load_layer(store, image.layers[layer]);
        if (record.ok()) size = record->size;
      }
      ++layer;
    }
    std::string created_text = entry.value("created", "");
    auto created = parse_rfc3339(created_text);
    std::string created_by = entry.value("created_by", "");
    if (!options.no_trunc && created_by.size() > 45) created_by = created_by.substr(0, 44) + "…";
    Json row = {{"ID", "<missing>"},
                {"CreatedBy", created_by},
                {"Comment", entry.value("comment", "")}};
    if (options.human) {
      row["CreatedSince"] = created ? human_duration(double(now - created->tv_sec)) + " ago" : "N/A";
      row["CreatedAt"] = created ? go_time_string(created->tv_sec) : "N/A";
      row["Size"] = human_size(double(size));
    } else {
      row["CreatedSince"] = created_text.empty() ? "N/A" : created_text;
      row["CreatedAt"] = row["CreatedSince"];
      row["Size"] = std::to_string(size);
    }
    rows.push_back(std::move(row));
  }
  std::reverse(rows.begin(), rows.end());
  if (!rows.empty()) rows.front()["ID"] = options.no_trunc ? image.id : short_id(image.id);
  return rows;
}

Result<Json> inspect_image(const Store& store, const ImageRecord& image) {
  Json config = TRY(load_image_config(store, image));
  Json repo_tags = Json::array(), repo_digests = Json::array();
  for (const auto& n : image.names) repo_tags.push_back(familiar(n));
  for (const auto& d : image.digests) repo_digests.push_back(familiar(d));
  Json diff_ids = Json::array();
  if (config.contains("rootfs") && config["rootfs"].contains("diff_ids"))
    diff_ids = config["rootfs"]["diff_ids"];
  std::string lower;
  for (size_t i = image.layers.size(); i-- > 1;)
    lower += (lower.empty() ? "" : ":") + store.layer_dir(image.layers[i - 1]) + "/diff";
  Json graph_data = Json::object();
  if (!lower.empty()) graph_data["LowerDir"] = lower;
  if (!image.layers.empty()) graph_data["UpperDir"] = store.layer_dir(image.layers.back()) + "/diff";

  Json out = {{"Id", image.id},
              {"RepoTags", repo_tags},
              {"RepoDigests", repo_digests},
              {"Parent", ""},
              {"Comment", config.value("comment", "")},
              {"Created", config.value("created", image.created)},
              {"DockerVersion", config.value("docker_version", "")},
              {"Author", config.value("author", "")},
              {"Config", docker_config_view(config.value("config", Json::object()))},
              {"Architecture", config.value("architecture", "")}};
  if (config.contains("variant")) out["Variant"] = config["variant"];
  out["Os"] = config.value("os", "linux");
  out["Size"] = image.size;
  out["VirtualSize"] = image.size;
  out["GraphDriver"] = {{"Data", graph_data}, {"Name", "overlay"}};
  out["RootFS"] = {{"Type", "layers"}, {"Layers", diff_ids}};
  out["Metadata"] = {
      {"LastTagTime", image.last_tag_time.empty() ? "0001-01-01T00:00:00Z" : image.last_tag_time}};
  return out;
}

Json image_template_view(Json inspect) {
  // Fields docker's structs always have, even where its JSON omits them, so
  // `{{.Variant}}` or `{{.Config.ExposedPorts}}` print an empty value, not an error.
  if (!inspect.contains("Variant")) inspect["Variant"] = "";
  Json& config = inspect["Config"];
  if (config.is_object()) {
    for (const char* key : {"ExposedPorts"})
      if (!config.contains(key)) config[key] = Json::object();
    for (const char* key : {"Healthcheck", "StopTimeout", "Shell"})
      if (!config.contains(key)) config[key] = nullptr;
    if (!config.contains("ArgsEscaped")) config["ArgsEscaped"] = false;
    if (!config.contains("StopSignal")) config["StopSignal"] = "";
  }
  return inspect;
}

Status tag_image(const Store& store, const std::string& source, const std::string& target) {
  auto ref = ImageReference::parse_with_default_tag(target);
  if (!ref.ok()) return ref.error().wrap("tag `{}`: invalid reference `{}`", source, target);
  if (!ref->digest.empty())
    return make_error("tag `{}`: refusing to create a tag with a digest reference `{}`", source, target);
  FileLock lock = TRY(store.lock());
  ImageRecord image = TRY(std::move(find_image(store, source)).wrap("tag `{}`", source));
  if (!contains(image.names, ref->string())) image.names.push_back(ref->string());
  image.last_tag_time = now_rfc3339();
  return std::move(save_image(store, image)).wrap("tag `{}`", source);
}

Result<RemoveOutcome> remove_image(const Store& store, const std::string& text, bool force) {
  collect_garbage_or_warn(store);
  RemoveOutcome outcome;
  std::vector<std::string> trash;
  {
    FileLock lock = TRY(store.lock());
    ImageRecord image = TRY(find_image(store, text));
    std::string by_name;  // the canonical name `text` means, when it is one of the image's names
    if (auto ref = ImageReference::parse_with_default_tag(text); ref.ok()) {
      if (contains(image.names, ref->string()))
        by_name = ref->string();
      else if (!ref->digest.empty() && contains(image.digests, ref->name() + "@" + ref->digest))
        by_name = ref->name() + "@" + ref->digest;
    }
    std::vector<ContainerUse> users = containers_using_image(store, image.id);
    auto in_use = [&] {
      const auto& c = users.front();
      return make_error(
          "conflict: unable to delete {} (must be forced) - image is being used by container {}{}",
          short_id(image.id), c.id.substr(0, 12), c.name.empty() ? "" : " (" + c.name + ")");
    };
    auto untag = [&](const std::string& name) {
      image.names.erase(std::remove(image.names.begin(), image.names.end(), name), image.names.end());
      image.digests.erase(std::remove(image.digests.begin(), image.digests.end(), name), image.digests.end());
      outcome.untagged.push_back(familiar(name));
    };

    if (!by_name.empty() && (image.names.size() + image.digests.size() > 1 || !users.empty())) {
      // Other names remain, or a container keeps the image: only untag.
      if (image.names.size() + image.digests.size() == 1 && !force) return in_use();
      untag(by_name);
      TRY(save_image(store, image));
      return outcome;
    }
    if (!users.empty()) {
      if (!force) return in_use();
      for (auto names = image.names; const auto& n : names) untag(n);
      TRY(save_image(store, image));
      return outcome;
    }
    if (by_name.empty() && image.names.size() > 1 && !force)
      return make_error(
          "conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
          short_id(image.id));
    for (auto names = image.names; const auto& n : names) untag(n);
    trash = TRY(delete_images(store, {image}, nullptr));
    outcome.deleted.push_back(image.id);
  }
  remove_trash(trash);
  return outcome;
}

Result<PruneOutcome> prune_images(const Store& store, bool all,
                                  const std::vector<std::string>& filter_specs) {
  std::vector<ListFilter> filters = TRY(parse_list_filters(filter_specs, {"until", "label"}));
  std::vector<double> untils;
  for (const auto& f : filters)
    if (f.key == "until") untils.push_back(TRY(parse_until(f.value)));
  collect_garbage_or_warn(store);
  PruneOutcome outcome;
  std::vector<std::string> trash;
  {
    FileLock lock = TRY(store.lock());
    std::vector<ImageRecord> doomed;
    for (const auto& image : TRY(list_images(store))) {
      if (!all && !image.names.empty()) continue;
      if (!containers_using_image(store, image.id).empty()) continue;
      bool keep = false;
      for (double until : untils) keep = keep || created_seconds(image) >= until;
      for (const auto& f : filters) {
        if (f.key != "label") continue;
        auto config = load_image_config(store, image);
        keep = keep || !image_labels_match(config.ok() ? *config : Json::object(), f);
      }
      if (!keep) doomed.push_back(image);
    }
    if (doomed.empty()) return outcome;
    trash = TRY(delete_images(store, doomed, &outcome.reclaimed));
    for (const auto& image : doomed) {
      for (const auto& n : image.names) outcome.untagged.push_back(familiar(n));
      outcome.deleted.push_back(image.id);
    }
  }
  remove_trash(trash);
  return outcome;
}

Result<PruneOutcome> prune_build_cache(const Store& store) {
  collect_garbage_or_warn(store);
  PruneOutcome outcome;
  std::vector<std::string> trash;
  {
    FileLock lock = TRY(store.lock());
    std::vector<ImageRecord> doomed;
    for (const auto& image : TRY(list_images(store)))
      if (image.build_step && image.names.empty() && containers_using_image(store, image.id).empty())
        doomed.push_back(image);
    if (!doomed.empty()) trash = TRY(delete_images(store, doomed, &outcome.reclaimed));
    for (const auto& image : doomed) outcome.deleted.push_back(image.id);
    // The index names steps that are gone now; the file digests go too.
    std::string cache = store.root() + "/build-cache";
    if (path_exists(cache)) TRY(std::move(remove_tree(cache)).wrap("remove `{}`", cache));
  }
  remove_trash(trash);
  return outcome;
}

}  // namespace skiff
