// The on-disk store (DESIGN.md, "Storage"): where things live, the store-wide
// lock, content-addressed blobs, and collection of what a crash left behind.
//
//   <root>/blobs/sha256/<hex>     manifests and configs
//   <root>/layers/<hex>/          diff/ + layer.json, <hex> the chain ID
//   <root>/layers/.tmp-*          layers being extracted (flock'd by their maker)
//   <root>/layers/.trash-*        layers being removed
//   <root>/images/<hex>.json      image records, <hex> the image ID
//   <root>/containers/<id>/       container records
//   <root>/volumes/<name>/        named volumes
//   <root>/store.lock             guards names, image records and layer references
//   <runroot>/                    runtime-only files (0700)
#pragma once

#include <string>

#include "base/error.h"
#include "base/lock.h"

namespace skiff {

class Store {
 public:
  /// $SKIFF_ROOT, else $XDG_DATA_HOME/skiff, else ~/.local/share/skiff.
  static std::string default_root();
  /// $SKIFF_RUNROOT, else $XDG_RUNTIME_DIR/skiff, else /tmp/skiff-<uid>.
  static std::string default_runroot();

  /// Opens the store, creating its folders (0700) on first use. The runtime
  /// folder must be ours and not reachable by others.
  static Result<Store> open(const std::string& root, const std::string& runroot);

  const std::string& root() const { return root_; }
  const std::string& runroot() const { return runroot_; }
  std::string blobs_dir() const { return root_ + "/blobs/sha256"; }
  std::string layers_dir() const { return root_ + "/layers"; }
  std::string images_dir() const { return root_ + "/images"; }
  std::string containers_dir() const { return root_ + "/containers"; }
  std::string volumes_dir() const { return root_ + "/volumes"; }
  /// `digest` is "sha256:<hex>".
  std::string blob_path(const std::string& digest) const;
  std::string layer_dir(const std::string& chain_id) const;
  std::string image_path(const std::string& image_id) const;

  /// The store-wide exclusive lock. Never hold it across a network transfer
  /// or a long extraction.
  Result<FileLock> lock() const;

  /// Stores `data` as a blob (idempotent) and returns its digest.
  Result<std::string> write_blob(std::string_view data) const;
  /// Reads a blob and checks it still matches its digest.
  Result<std::string> read_blob(const std::string& digest, size_t max_size = 16 << 20) const;
  Status remove_blob(const std::string& digest) const;

  /// Removes what interrupted commands left: unlocked .tmp-* and .trash-*
  /// layers, containers/.tmp-* and .trash-* untouched for ten minutes, and
  /// temporary files older than ten minutes. Cheap when there is
  /// nothing to do.
  Status collect_garbage() const;

 private:
  Store(std::string root, std::string runroot) : root_(std::move(root)), runroot_(std::move(runroot)) {}
  std::string root_;
  std::string runroot_;
};

/// "sha256:abc" -> "abc"; anything without the prefix is returned as is.
std::string digest_hex(const std::string& digest);

}  // namespace skiff
