// Images made from changes to a file system: `skiff commit` (a container's
// changes on top of its image) and, step by step, `skiff build`.
//
// A layer is made from an overlay upper folder: it is written as a tar
// (overlay whiteouts become OCI `.wh.` entries, skiff's mount point stubs
// are left out) and extracted into the store like a pulled layer, so its
// diff ID is the digest of that tar and push/save give the same bytes back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "engine/container_diff.h"
#include "image/image_store.h"
#include "image/layer_store.h"
#include "image/store.h"

namespace skiff {

/// The layer an upper folder makes on top of layer `parent_chain` ("" for
/// none): complete on disk, not yet visible (PendingLayer::commit).
Result<PendingLayer> layer_from_upper(const Store& store, const std::string& upper_dir,
                                      const std::string& parent_chain);

/// The layer a vfs container's copy (`copy_dir`) makes of its `changes`
/// (container_changes): added and changed entries as the copy has them
/// (write_changes_tar_at: xattrs and hard links kept), deleted ones as OCI
/// whiteouts. An entry gone since the changes were
/// listed (a running container) is left out.
Result<PendingLayer> layer_from_copy(const Store& store, const std::string& copy_dir,
                                     const std::vector<FsChange>& changes, const std::string& parent_chain);

/// One history entry of an image config.
struct HistoryEntry {
  std::string created_by;
  std::string comment;
  std::string author;
  bool empty_layer = false;  ///< the step changed no file (ENV, CMD, ...)
};

/// `base` (a parent image's config) with one more history entry, `diff_id`
/// appended to rootfs.diff_ids unless the entry is an empty layer, and
/// `created` as its time.
Json derive_image_config(Json base, const HistoryEntry& entry, const std::string& diff_id,
                         const std::string& created);

/// A config for an image FROM scratch: this host's platform, no layers.
Json scratch_image_config();

/// Stores an image: writes `config`'s blob, commits `layer` (if any) and
/// saves `record` (its layers, size, names, parent and build_step; the ID
/// and times are filled in) under the store lock. Returns the image ID.
Result<std::string> store_image(const Store& store, const Json& config, ImageRecord record, PendingLayer* layer);

struct CommitOptions {
  std::string container;             ///< name or ID
  std::string reference;             ///< "" for an untagged image
  std::vector<std::string> changes;  ///< --change: Dockerfile-style instructions
  std::string message;               ///< -m: the history comment
  std::string author;                ///< -a
  bool pause = true;                 ///< -p: freeze a running container while its layer is written
};

/// docker commit: the container's file system changes as a new layer on
/// its image, its config (command, environment, ...) as the new image's,
/// `changes` applied. Returns the new image's ID; on failure the store is
/// as it was.
Result<std::string> commit_container(const Store& store, const CommitOptions& options);

}  // namespace skiff
