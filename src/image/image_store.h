// Image records: images/<id>.json, one per image, holding its names, its
// layer chain and where its config and manifest blobs are. A name belongs to
// at most one image; giving it to another (tag, import, pull) takes it from
// the first under the store lock, leaving that one dangling if it was its last.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "image/store.h"

namespace skiff {

struct ImageRecord {
  std::string id;                    ///< "sha256:<hex>": the config's digest
  std::vector<std::string> names;    ///< canonical "docker.io/library/busybox:latest"
  std::vector<std::string> digests;  ///< canonical "docker.io/library/busybox@sha256:..."
  std::string manifest_digest;       ///< "" for images made here and never pushed
  std::vector<std::string> layers;   ///< chain IDs, bottom first
  uint64_t size = 0;                 ///< uncompressed size of all layers
  std::string created;               ///< the config's "created" (RFC 3339)
  std::string last_tag_time;         ///< when a name was last given (RFC 3339)
  std::string parent;                ///< the image a build step started from ("" when none)
  bool build_step = false;           ///< a step of a build kept as its cache: listed by `images -a` only

  Json to_json() const;
  static Result<ImageRecord> from_json(const Json& json);
};

/// Every image record, newest first. Unreadable records are skipped with a
/// warning, never hidden silently.
Result<std::vector<ImageRecord>> list_images(const Store& store);

/// The record for an image ID ("sha256:<hex>").
Result<ImageRecord> load_image(const Store& store, const std::string& id);

/// Finds an image as docker does: by name (":latest" implied), by
/// name@digest, by full ID or by a unique ID prefix. "No such image: <text>"
/// when nothing matches; an ambiguous prefix is an error too.
Result<ImageRecord> find_image(const Store& store, std::string_view name_or_id);

/// Writes `record`, first taking each of its names away from any other image.
/// The caller holds the store lock.
Status save_image(const Store& store, const ImageRecord& record);

/// Deletes the record file. The caller holds the store lock.
Status delete_image_record(const Store& store, const std::string& id);

/// The image's config JSON (from its blob, digest-checked).
Result<Json> load_image_config(const Store& store, const ImageRecord& record);

/// The current time as docker prints it in JSON: RFC 3339 with nanoseconds, UTC.
std::string now_rfc3339();

}  // namespace skiff
