// Registry manifests: docker's schema 2 manifest and manifest list, and OCI's
// image manifest and index, parsed and checked before anything they name is
// fetched.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "image/image_config.h"
#include "image/stream.h"

namespace skiff {

/// The Accept header for a manifest request: every type skiff reads.
extern const char* const kManifestAccept;

/// The largest manifest or index skiff reads (docker's limit is 4 MiB too).
inline constexpr size_t kMaxManifestSize = 4 << 20;
/// The largest image config skiff reads.
inline constexpr size_t kMaxConfigSize = 8 << 20;

struct Descriptor {
  std::string media_type;
  std::string digest;  ///< "sha256:<64 hex>": checked
  int64_t size = 0;    ///< bytes; checked non-negative
  Platform platform;   ///< index entries only
};

struct ImageManifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;  ///< bottom first; only tar layers (plain, gzip, zstd)
};

/// A manifest's kind, from its media type ("" when the type is unknown).
enum class ManifestKind { kUnknown, kImage, kIndex };

/// Parses one descriptor: a sha256 digest, a non-negative size, the media
/// type when there is one. `where` names it in errors ("layer 2").
Result<Descriptor> parse_descriptor(const Json& json, const std::string& where);

/// The kind of a manifest body: its mediaType field, else `content_type`
/// (the response's Content-Type), else the shape (a "manifests" array is an
/// index). docker's schema 1 is refused with a message saying so.
Result<ManifestKind> manifest_kind(std::string_view body, std::string_view content_type);

/// Parses an image manifest. Errors name what is wrong (a missing config, a
/// bad digest, a layer type skiff can't read such as a foreign layer).
Result<ImageManifest> parse_image_manifest(std::string_view body);

/// Parses an index (manifest list) and picks the entry for `want`: same os
/// and architecture, and the variant when `want` has one (arm64's "v8" and
/// an empty variant are the same). The error lists what the index offers.
Result<Descriptor> choose_from_index(std::string_view body, const Platform& want);

/// The two image manifest formats a registry takes (push).
enum class ManifestFormat { kOci, kDocker };

/// "oci", or "v2s2"/"docker" for docker's schema 2 (podman's names).
Result<ManifestFormat> parse_manifest_format(std::string_view text);

/// The format a manifest media type belongs to.
ManifestFormat manifest_format_of(std::string_view media_type);

/// The manifest media type of a format.
std::string_view manifest_media_type(ManifestFormat format);

/// A layer blob's media type in `format`; an error for zstd in docker's,
/// which has no such type.
Result<std::string> layer_media_type(ManifestFormat format, Compression compression);

/// The compression a layer media type names.
Compression layer_compression(std::string_view media_type);

/// An image manifest in `format`, naming `config` (its media type set
/// here) and `layers` (with theirs), as compact JSON.
std::string make_image_manifest(ManifestFormat format, const Descriptor& config,
                                const std::vector<Descriptor>& layers);

}  // namespace skiff
