// Image life cycle without a registry: import a rootfs, list, inspect, tag,
// remove and prune. Each function is what one CLI verb calls.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "image/image_store.h"
#include "image/layer_extract.h"
#include "image/store.h"

namespace skiff {

struct ImportOptions {
  std::string source;                ///< a file path, "-" for stdin, or an http(s) URL
  std::string reference;             ///< "" for an untagged image
  std::vector<std::string> changes;  ///< Dockerfile-style instructions
  std::string message;               ///< the history comment; default "Imported from <source>"
  std::string platform;              ///< "" for this host's
};

/// The canonical name `reference` gives an image (":latest" implied);
/// "invalid reference ..." for a malformed one or one with a digest.
Result<std::string> image_name_for(const std::string& reference);

/// Imports a rootfs tar (plain, gzip or zstd) as a one-layer image and
/// returns its ID. On any failure the store is left as it was.
Result<std::string> import_image(const Store& store, const ImportOptions& options);

/// find_image, and for a short name that docker.io doesn't explain, the
/// names registries.conf's search registries give it (what a pull of it
/// stored), as podman resolves short names.
Result<ImageRecord> find_local_image(const Store& store, const std::string& text);

/// save_image, keeping the names and digests that an already stored record
/// of the same image has (an import or pull of an image that is there only
/// adds names), and listing it if either record is listed (not a build
/// step). The caller holds the store lock.
Status save_image_keeping_names(const Store& store, ImageRecord record);

/// Warns about what extracting a layer had to change (unmappable owners,
/// skipped device nodes).
void report_extraction(const ExtractReport& report);

/// Store::collect_garbage, a failure only warned about.
void collect_garbage_or_warn(const Store& store);

struct ImageListOptions {
  std::string reference;             ///< docker images [REPOSITORY[:TAG]]
  std::vector<std::string> filters;  ///< dangling=, reference=, label=, before=, since=
  bool no_trunc = false;
  bool all = false;                  ///< build steps too (-a)
};

/// One row per image name (a nameless image gets one `<none>` row), newest
/// first, with docker's --format fields: ID, Repository, Tag, Digest,
/// CreatedSince, CreatedAt, Size, VirtualSize, SharedSize, UniqueSize, Containers.
Result<std::vector<Json>> list_image_rows(const Store& store, const ImageListOptions& options);

struct HistoryOptions {
  bool no_trunc = false;
  bool human = true;  ///< sizes and times for people (-H); false: bytes and RFC 3339
};

/// docker history: one row per history entry of the image's config, newest
/// first, with --format fields ID (the image's own ID on its newest entry,
/// `<missing>` below it), CreatedSince, CreatedAt, CreatedBy, Size, Comment.
Result<std::vector<Json>> image_history_rows(const Store& store, const ImageRecord& image,
                                             const HistoryOptions& options);

/// docker's image inspect object for one image.
Result<Json> inspect_image(const Store& store, const ImageRecord& image);

/// The inspect object as --format templates see it: docker's optional
/// struct fields present with empty values.
Json image_template_view(Json inspect);

/// Gives `target` (a name) to the image `source` names.
Status tag_image(const Store& store, const std::string& source, const std::string& target);

struct RemoveOutcome {
  std::vector<std::string> untagged;  ///< familiar names taken off
  std::vector<std::string> deleted;   ///< image IDs deleted
};

/// docker rmi for one argument: untags a name, deletes the image when it has
/// no name left. An image a container uses is refused; with `force` its
/// names go but the image stays for the container.
Result<RemoveOutcome> remove_image(const Store& store, const std::string& name_or_id, bool force);

struct PruneOutcome {
  std::vector<std::string> untagged;
  std::vector<std::string> deleted;
  uint64_t reclaimed = 0;
};

/// Removes dangling images (with `all`, every image no container uses)
/// matching the filters (until=, label=, label!=).
Result<PruneOutcome> prune_images(const Store& store, bool all, const std::vector<std::string>& filters);

/// skiff builder prune: removes the images `skiff build` keeps as its cache
/// (build steps no container uses) and the cache's index.
Result<PruneOutcome> prune_build_cache(const Store& store);

struct ContainerUse {
  std::string id;
  std::string name;
};

/// Containers whose record (containers/<id>/config.json, key "image_id")
/// names this image.
std::vector<ContainerUse> containers_using_image(const Store& store, const std::string& image_id);

}  // namespace skiff
