#include "image/archive_manifest.h"

#include <algorithm>

#include "base/sha256.h"
#include "image/reference.h"
#include "image/store.h"

namespace skiff {

namespace {

// Splits on '/', dropping empty and "." parts; false on a ".." part.
bool split_member(std::string_view path, std::vector<std::string_view>& parts) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part == "..") return false;
    if (!part.empty() && part != ".") parts.push_back(part);
    start = end + 1;
  }
  return true;
}

std::string join_member(const std::vector<std::string_view>& parts) {
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

Result<Json> parse_document(std::string_view text, const char* what) {
  if (text.size() > kMaxManifestSize)
    return make_error("{} is larger than {} MiB", what, kMaxManifestSize >> 20);
  return parse_json(text, what);
}

std::string familiar_or_same(const std::string& canonical) {
  auto ref = ImageReference::parse(canonical);
  return ref.ok() ? ref->familiar_string() : canonical;
}

}  // namespace

std::optional<std::string> normalize_member(std::string_view path) {
  std::vector<std::string_view> parts;
  if (!split_member(path, parts) || parts.empty()) return std::nullopt;
  return join_member(parts);
}

Result<std::string> named_member(std::string_view path) {
  std::optional<std::string> normal;
  if (!path.starts_with('/')) normal = normalize_member(path);
  if (!normal) return make_error("the path `{}` leads outside the archive", path);
  return *normal;
}

std::optional<std::string> link_target_member(std::string_view link, std::string_view target, bool symbolic) {
  if (target.starts_with('/')) return std::nullopt;
  // Walk the target from the link's folder (a hard link's from the top),
  // letting `..` climb only as far as the archive's top.
  std::vector<std::string> parts;
  if (symbolic) {
    auto normal = normalize_member(link);
    if (!normal) return std::nullopt;
    std::string_view dir = *normal;
    size_t slash = dir.rfind('/');
    dir = slash == std::string_view::npos ? std::string_view() : dir.substr(0, slash);
    std::vector<std::string_view> dir_parts;
    split_member(dir, dir_parts);
    for (auto p : dir_parts) parts.emplace_back(p);
  }
  size_t start = 0;
  while (start <= target.size()) {
    size_t end = target.find('/', start);
    if (end == std::string_view::npos) end = target.size();
    std::string_view part = target.substr(start, end - start);
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.emplace_back(part);
    }
    start = end + 1;
  }
  if (parts.empty()) return std::nullopt;
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

std::string blob_member(const std::string& digest) { return "blobs/sha256/" + digest_hex(digest); }

Result<std::vector<DockerArchiveImage>> parse_docker_archive_manifest(std::string_view text) {
  Json json = TRY(parse_document(text, "manifest.json"));
  if (!json.is_array() || json.empty()) return make_error("manifest.json is not a list of images");
  std::vector<DockerArchiveImage> out;
  for (size_t i = 0; i < json.size(); ++i) {
    const Json& entry = json[i];
    auto where = [&] { return fmt::format("manifest.json, image {}", i + 1); };
    if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string())
      return make_error("{}: no Config", where());
    DockerArchiveImage image;
    image.config = TRY(std::move(named_member(entry["Config"].get<std::string>())).wrap("{}", where()));
    if (!entry.contains("Layers") || !entry["Layers"].is_array()) return make_error("{}: no Layers", where());
    for (const auto& layer : entry["Layers"]) {
      if (!layer.is_string()) return make_error("{}: a layer path is not a string", where());
      image.layers.push_back(TRY(std::move(named_member(layer.get<std::string>())).wrap("{}", where())));
    }
    if (entry.contains("RepoTags") && !entry["RepoTags"].is_null()) {
      if (!entry["RepoTags"].is_array()) return make_error("{}: RepoTags is not a list", where());
      for (const auto& tag : entry["RepoTags"]) {
        if (!tag.is_string()) return make_error("{}: a RepoTags entry is not a string", where());
        std::string text = tag.get<std::string>();
        auto ref = ImageReference::parse_with_default_tag(text);
        if (!ref.ok()) return ref.error().wrap("{}: invalid tag `{}`", where(), text);
        if (!ref->digest.empty()) return make_error("{}: the tag `{}` has a digest", where(), text);
        std::string name = ref->string();
        if (std::find(image.names.begin(), image.names.end(), name) == image.names.end())
          image.names.push_back(std::move(name));
      }
    }
    out.push_back(std::move(image));
  }
  return out;
}

Result<std::vector<OciLayoutEntry>> parse_oci_layout_index(std::string_view text) {
  Json json = TRY(parse_document(text, "index.json"));
  if (!json.is_object() || !json.contains("manifests") || !json["manifests"].is_array())
    return make_error("index.json has no list of manifests");
  if (json.value("schemaVersion", 2) != 2) return make_error("index.json has an unknown schemaVersion");
  std::vector<OciLayoutEntry> out;
  for (size_t i = 0; i < json["manifests"].size(); ++i) {
    const Json& entry = json["manifests"][i];
    OciLayoutEntry e{TRY(parse_descriptor(entry, fmt::format("index.json, entry {}", i + 1))), ""};
    if (entry.contains("annotations") && entry["annotations"].is_object()) {
      const Json& a = entry["annotations"];
      std::string name;
      if (a.contains(kContainerdNameAnnotation) && a[kContainerdNameAnnotation].is_string())
        name = a[kContainerdNameAnnotation].get<std::string>();
      else if (a.contains(kRefNameAnnotation) && a[kRefNameAnnotation].is_string())
        name = a[kRefNameAnnotation].get<std::string>();
      if (name.find_first_of("/:") != std::string::npos) {
        auto ref = ImageReference::parse_with_default_tag(name);
        if (ref.ok() && ref->digest.empty()) e.name = ref->string();
      }
    }
    out.push_back(std::move(e));
  }
  if (out.empty()) return make_error("index.json lists no image");
  return out;
}

std::string make_docker_archive_manifest(const std::vector<ArchiveImage>& images) {
  Json out = Json::array();
  for (const auto& image : images) {
    Json tags = image.names.empty() ? Json(nullptr) : Json::array();
    for (const auto& n : image.names) tags.push_back(familiar_or_same(n));
    Json layers = Json::array();
    for (const auto& l : image.layers) layers.push_back(blob_member(l.digest));
    out.push_back(Json{{"Config", blob_member(image.config_digest)}, {"RepoTags", tags}, {"Layers", layers}});
  }
  return to_compact_json(out) + "\n";
}

std::string make_repositories(const std::vector<ArchiveImage>& images) {
  Json out = Json::object();
  for (const auto& image : images) {
    if (image.layers.empty()) continue;
    for (const auto& n : image.names) {
      auto ref = ImageReference::parse(n);
      if (!ref.ok() || ref->tag.empty()) continue;
      out[ref->familiar_name()][ref->tag] = digest_hex(image.layers.back().digest);
    }
  }
  return to_compact_json(out) + "\n";
}

std::string make_oci_manifest(const ArchiveImage& image) {
  Json layers = Json::array();
  for (const auto& l : image.layers)
    layers.push_back(Json{{"mediaType", kOciLayerType}, {"digest", l.digest}, {"size", l.size}});
  return to_compact_json(Json{
      {"schemaVersion", 2},
      {"mediaType", kOciManifestType},
      {"config",
       Json{{"mediaType", kOciConfigType}, {"digest", image.config_digest}, {"size", image.config_size}}},
      {"layers", layers}});
}

std::string make_oci_layout_index(const std::vector<ArchiveImage>& images,
                                  const std::vector<std::pair<std::string, uint64_t>>& manifests) {
  Json entries = Json::array();
  for (size_t i = 0; i < images.size() && i < manifests.size(); ++i) {
    Json entry{
        {"mediaType", kOciManifestType}, {"digest", manifests[i].first}, {"size", manifests[i].second}};
    if (images[i].names.empty()) entries.push_back(entry);
    for (const auto& n : images[i].names) {
      entry["annotations"] = Json{{kContainerdNameAnnotation, n}, {kRefNameAnnotation, n}};
      entries.push_back(entry);
    }
  }
  return to_compact_json(Json{{"schemaVersion", 2}, {"mediaType", kOciIndexType}, {"manifests", entries}}) +
         "\n";
}

std::string make_oci_layout_file() { return "{\"imageLayoutVersion\":\"1.0.0\"}"; }

}  // namespace skiff
