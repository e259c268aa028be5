// skiff save and skiff load: images out of the store into one tar archive,
// and back in. Two layouts, both readable by docker, podman and skopeo:
//
//   docker-archive  manifest.json (Config, RepoTags, Layers), repositories,
//                   blobs/sha256/<hex> for configs and uncompressed layers
//                   (the layout docker 25 writes);
//   oci-archive     an OCI image layout: oci-layout, index.json (one entry
//                   per name), blobs/sha256/<hex> for manifests, configs and
//                   uncompressed layers.
//
// save writes the metadata first and every layer after it, so a load that
// reads a pipe streams each layer straight into its extractor. load takes
// any order: what comes before the metadata is kept in memory when it is a
// small JSON document and otherwise read again later (a file) or spooled to
// disk (a pipe). Nothing loaded is visible before every layer's digest has
// been checked against its config; a failure leaves the store as it was.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "image/store.h"
#include "image/stream.h"

namespace skiff {

enum class ArchiveFormat { kDockerArchive, kOciArchive };

/// "docker-archive" or "oci-archive" (podman's names).
Result<ArchiveFormat> parse_archive_format(std::string_view text);

struct SaveOptions {
  std::vector<std::string> images;  ///< names, IDs or ID prefixes; a name without a tag means every tag of it
  ArchiveFormat format = ArchiveFormat::kDockerArchive;
};

/// Writes the images named in `options` into `out` as one archive (then
/// finish()): each image, config and layer once, each name once. A layer
/// extracted before skiff kept tar recipes is written from its files; its
/// diff ID then changes, so does the saved image's ID, and a warning says so.
Status save_images(const Store& store, const SaveOptions& options, ByteSink& out);

/// save_images into the file `output`, written under a temporary name
/// beside it and renamed when complete, so a failure leaves no file; ""
/// for standard output.
Status save_images_to(const Store& store, const SaveOptions& options, const std::string& output);

struct LoadedImage {
  std::string id;                  ///< "sha256:<hex>"
  std::vector<std::string> names;  ///< canonical, as the archive named them
  /// Names another image had until this load: (name, that image's ID).
  std::vector<std::pair<std::string, std::string>> taken;
};

/// Reads a docker-archive or an OCI layout tar from `fd` (a file or a
/// pipe, the tar plain, gzip or zstd; `source` names it in errors) and
/// stores its images with their names. Layers may be plain, gzip or zstd
/// tars. Returns the images in the archive's order.
Result<std::vector<LoadedImage>> load_images(const Store& store, int fd, const std::string& source);

}  // namespace skiff
