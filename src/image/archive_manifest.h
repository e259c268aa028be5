// The metadata of image archives, without I/O: docker save's manifest.json
// and an OCI image layout's index.json, parsed and checked for `load`, and
// made for `save`. Paths inside an archive ("members") are normalised here
// once, so the reader compares plain strings and never sees `..`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "image/manifest.h"

namespace skiff {

/// OCI's media types for what save writes.
inline constexpr std::string_view kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndexType = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfigType = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayerType = "application/vnd.oci.image.layer.v1.tar";
/// The annotations that name an image in an OCI layout's index.json: OCI's
/// own (often a bare tag) and containerd's (a full reference).
inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";
inline constexpr const char* kContainerdNameAnnotation = "io.containerd.image.name";

/// A member path as the archive wrote it, normalised: "./a//b/" -> "a/b".
/// nullopt for a path with a `..` component, or nothing left.
/// A leading "/" is dropped, as tar does when extracting.
std::optional<std::string> normalize_member(std::string_view path);

/// A path that metadata names (manifest.json's Config and Layers):
/// normalised, and an error for an absolute path or a `..` component,
/// which docker never writes and would lead outside the archive.
Result<std::string> named_member(std::string_view path);

/// The member a link entry at `link` leads to: a symbolic link's target is
/// relative to the link's folder, a hard link's to the archive's top.
/// nullopt when it leads outside the archive (absolute, or too many `..`).
std::optional<std::string> link_target_member(std::string_view link, std::string_view target, bool symbolic);

/// "blobs/sha256/<hex>" for "sha256:<hex>".
std::string blob_member(const std::string& digest);

/// One image of a docker-archive's manifest.json.
struct DockerArchiveImage {
  std::string config;               ///< member path
  std::vector<std::string> names;   ///< canonical ("docker.io/library/busybox:latest")
  std::vector<std::string> layers;  ///< member paths, bottom first
};

/// Parses manifest.json (at most kMaxManifestSize bytes): a non-empty
/// array of {Config, RepoTags, Layers}. RepoTags must be valid names
/// without a digest; paths are checked with named_member.
Result<std::vector<DockerArchiveImage>> parse_docker_archive_manifest(std::string_view text);

/// One entry of an OCI layout's index.json.
struct OciLayoutEntry {
  Descriptor descriptor;  ///< an image manifest or an index
  std::string name;       ///< canonical, "" when the entry names no usable reference
};

/// Parses index.json (at most kMaxManifestSize bytes). An entry's name is
/// containerd's annotation when there is one, else OCI's ref.name when it
/// reads as a reference (has a `/` or `:`); a bare word is only a tag, and
/// gives no name.
Result<std::vector<OciLayoutEntry>> parse_oci_layout_index(std::string_view text);

/// What save writes for one image.
struct ArchiveImage {
  std::string config_digest;
  uint64_t config_size = 0;
  std::vector<std::string> names;  ///< canonical, each once
  struct Layer {
    std::string digest;  ///< the uncompressed tar's: its diff ID
    uint64_t size = 0;
  };
  std::vector<Layer> layers;  ///< bottom first
};

/// docker's manifest.json for these images, members under blobs/sha256/
/// (as docker 25 writes them); RepoTags in docker's short form.
std::string make_docker_archive_manifest(const std::vector<ArchiveImage>& images);

/// docker's legacy `repositories` file: short name -> tag -> the top
/// layer's hex. "{}" when no image has a name.
std::string make_repositories(const std::vector<ArchiveImage>& images);

/// The OCI image manifest of one image: its config and uncompressed layers.
std::string make_oci_manifest(const ArchiveImage& image);

/// An OCI layout's index.json: one entry per name of each image (an image
/// without a name gets one entry without annotations). `manifests` are the
/// digests and sizes of make_oci_manifest's output, in `images`' order.
std::string make_oci_layout_index(const std::vector<ArchiveImage>& images,
                                  const std::vector<std::pair<std::string, uint64_t>>& manifests);

/// The `oci-layout` file.
std::string make_oci_layout_file();

}  // namespace skiff
