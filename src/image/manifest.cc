#include "image/manifest.h"

#include "base/json.h"
#include "base/sha256.h"

namespace skiff {

const char* const kManifestAccept =
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

namespace {

constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";

// The tar layer types: docker's gzip layer, OCI's plain, gzip and zstd ones
// (and their "nondistributable" twins, which a registry may still serve).
bool is_layer_type(std::string_view t) {
  return t == "application/vnd.docker.image.rootfs.diff.tar.gzip" ||
         t == "application/vnd.oci.image.layer.v1.tar" ||
         t == "application/vnd.oci.image.layer.v1.tar+gzip" ||
         t == "application/vnd.oci.image.layer.v1.tar+zstd" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
}

Result<Json> parse_body(std::string_view body, const char* what) {
  if (body.size() > kMaxManifestSize)
    return make_error("the {} is larger than {} bytes", what, kMaxManifestSize);
  Json json = TRY(parse_json(body, what));
  if (!json.is_object()) return make_error("the {} is not a JSON object", what);
  return json;
}

}  // namespace

Result<Descriptor> parse_descriptor(const Json& j, const std::string& where) {
  if (!j.is_object()) return make_error("{}: not an object", where);
  Descriptor d;
  if (!j.contains("digest") || !j["digest"].is_string()) return make_error("{}: no digest", where);
  d.digest = j["digest"].get<std::string>();
  if (!is_sha256_digest(d.digest)) return make_error("{}: unsupported digest `{}`", where, d.digest);
  if (j.contains("size")) {
    if (!j["size"].is_number_integer() || j["size"].get<int64_t>() < 0)
      return make_error("{}: bad size", where);
    d.size = j["size"].get<int64_t>();
  }
  if (j.contains("mediaType") && j["mediaType"].is_string()) d.media_type = j["mediaType"].get<std::string>();
  return d;
}

Result<ManifestKind> manifest_kind(std::string_view body, std::string_view content_type) {
  auto parsed = parse_body(body, "manifest");
  if (!parsed.ok() && !content_type.empty())
    return make_error("the registry answered with `{}`, not a manifest",
                      content_type.substr(0, content_type.find(';')));
  Json json = TRY(std::move(parsed));
  std::string type = json.contains("mediaType") && json["mediaType"].is_string()
                         ? json["mediaType"].get<std::string>()
                         : std::string(content_type.substr(0, content_type.find(';')));
  if (json.value("schemaVersion", 0) == 1 ||
      type.starts_with("application/vnd.docker.distribution.manifest.v1"))
    return make_error(
        "the image has a schema 1 manifest, which docker stopped reading in 2020: push it again");
  if (type == kDockerList || type == kOciIndex) return ManifestKind::kIndex;
  if (type == kDockerManifest || type == kOciManifest) return ManifestKind::kImage;
  if (json.contains("manifests")) return ManifestKind::kIndex;
  if (json.contains("config") && json.contains("layers")) return ManifestKind::kImage;
  return make_error("unsupported manifest type `{}`", type);
}

Result<ImageManifest> parse_image_manifest(std::string_view body) {
  Json json = TRY(parse_body(body, "manifest"));
  ImageManifest m;
  m.media_type = json.value("mediaType", std::string(kOciManifest));
  if (!json.contains("config")) return make_error("the manifest names no config");
  m.config = TRY(parse_descriptor(json["config"], "the manifest's config"));
  if (m.config.size > int64_t(kMaxConfigSize))
    return make_error("the image config is larger than {} bytes", kMaxConfigSize);
  if (!json.contains("layers") || !json["layers"].is_array())
    return make_error("the manifest has no layer list");
  for (size_t i = 0; i < json["layers"].size(); ++i) {
    Descriptor layer = TRY(parse_descriptor(json["layers"][i], fmt::format("layer {}", i + 1)));
    if (layer.media_type.find("foreign") != std::string::npos)
      return make_error("layer {} is a foreign layer (`{}`), which is fetched from elsewhere: not supported",
                        i + 1, layer.media_type);
    if (!is_layer_type(layer.media_type))
      return make_error("layer {} has media type `{}`, which is not a tar layer", i + 1, layer.media_type);
    m.layers.push_back(std::move(layer));
  }
  return m;
}

Result<Descriptor> choose_from_index(std::string_view body, const Platform& want) {
  Json json = TRY(parse_body(body, "manifest list"));
  if (!json.contains("manifests") || !json["manifests"].is_array())
    return make_error("the manifest list is empty");
  std::vector<std::string> offered;
  auto same_variant = [](const std::string& a, const std::string& b, const std::string& arch) {
    if (a == b) return true;
    return arch == "arm64" && ((a.empty() && b == "v8") || (a == "v8" && b.empty()));
  };
  for (size_t i = 0; i < json["manifests"].size(); ++i) {
    const Json& entry = json["manifests"][i];
    Descriptor d = TRY(parse_descriptor(entry, fmt::format("manifest list entry {}", i + 1)));
    if (entry.contains("platform") && entry["platform"].is_object()) {
      const Json& p = entry["platform"];
      d.platform.os = p.value("os", "");
      d.platform.architecture = p.value("architecture", "");
      d.platform.variant = p.value("variant", "");
    }
    if (d.platform.os == "unknown") continue;  // attestations (buildkit)
    offered.push_back(d.platform.string());
    if (d.platform.os == want.os && d.platform.architecture == want.architecture &&
        (want.variant.empty() || same_variant(d.platform.variant, want.variant, want.architecture)))
      return d;
  }
  std::string list;
  for (const auto& o : offered) list += (list.empty() ? "" : ", ") + o;
  return make_error("no image for {} in the manifest list (it has: {})", want.string(),
                    list.empty() ? "none" : list);
}

Result<ManifestFormat> parse_manifest_format(std::string_view text) {
  if (text == "oci") return ManifestFormat::kOci;
  if (text == "v2s2" || text == "docker") return ManifestFormat::kDocker;
  return make_error("unknown manifest format `{}`: it is oci or v2s2", text);
}

ManifestFormat manifest_format_of(std::string_view media_type) {
  return media_type.starts_with("application/vnd.docker.") ? ManifestFormat::kDocker : ManifestFormat::kOci;
}

std::string_view manifest_media_type(ManifestFormat format) {
  return format == ManifestFormat::kDocker ? kDockerManifest : kOciManifest;
}

Result<std::string> layer_media_type(ManifestFormat format, Compression compression) {
  if (compression == Compression::kXz || compression == Compression::kBzip2)
    return make_error("a layer can't be {}-compressed: use gzip, zstd or none", compression_name(compression));
  if (format == ManifestFormat::kDocker) {
    if (compression == Compression::kZstd)
      return make_error("docker's manifest format (v2s2) has no zstd layers: use --format oci");
    return std::string(compression == Compression::kGzip ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
                                                         : "application/vnd.docker.image.rootfs.diff.tar");
  }
  switch (compression) {
    case Compression::kGzip:
      return std::string("application/vnd.oci.image.layer.v1.tar+gzip");
    case Compression::kZstd:
      return std::string("application/vnd.oci.image.layer.v1.tar+zstd");
    case Compression::kNone:
    case Compression::kXz:  // refused above
    case Compression::kBzip2:
      break;
  }
  return std::string("application/vnd.oci.image.layer.v1.tar");
}

Compression layer_compression(std::string_view media_type) {
  if (media_type.ends_with("gzip")) return Compression::kGzip;
  if (media_type.ends_with("zstd")) return Compression::kZstd;
  return Compression::kNone;
}

std::string make_image_manifest(ManifestFormat format, const Descriptor& config,
                                const std::vector<Descriptor>& layers) {
  auto descriptor = [](std::string_view type, const Descriptor& d) {
    return Json{{"mediaType", type}, {"size", d.size}, {"digest", d.digest}};
  };
  Json list = Json::array();
  for (const auto& l : layers) list.push_back(descriptor(l.media_type, l));
  std::string_view config_type = format == ManifestFormat::kDocker
                                     ? "application/vnd.docker.container.image.v1+json"
                                     : "application/vnd.oci.image.config.v1+json";
  return to_compact_json(Json{{"schemaVersion", 2},
                              {"mediaType", manifest_media_type(format)},
                              {"config", descriptor(config_type, config)},
                              {"layers", list}});
}

}  // namespace skiff
