// An image's file system as its layers make it, read without mounting:
// each layer's extracted folder from the top down, overlay whiteouts and
// opaque folders honoured, symlinks resolved inside the image. For a build
// step that needs to know what is already there (is COPY's destination a
// folder? what are the metadata of the folders above it? who is `app` in
// /etc/passwd?). Run it where the layers' owners are mapped: a child in the
// containers' user namespace.
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace skiff {

class ImageTree {
 public:
  /// The layers' diff folders, bottom first (an image record's order).
  static Result<ImageTree> open(const std::vector<std::string>& diff_dirs);

  /// lstat of `path` (absolute or relative to the image's root; every
  /// folder above it resolved through symlinks inside the image, the last
  /// component not followed); nullopt when it does not exist.
  Result<std::optional<struct stat>> lstat(const std::string& path) const;

  /// `path` with every symlink resolved inside the image (the last one too),
  /// relative and clean ("" for the root). Loops are an error.
  Result<std::string> resolve(const std::string& path) const;

  /// A regular file's content (symlinks followed inside the image); "" when
  /// it does not exist; an error when it is larger than `max_size`.
  Result<std::string> read_file(const std::string& path, size_t max_size) const;

  /// The names in folder `rel` (resolved, relative; "" for the root) as
  /// the layers together show it: sorted, whiteouts and what they hide
  /// left out, lower layers ignored below an opaque folder.
  Result<std::vector<std::string>> list(const std::string& rel) const;

  /// The target of symlink `rel` (resolved above it, relative).
  Result<std::string> read_link(const std::string& rel) const;

  /// Opens the regular file `rel` (resolved, relative) for reading, from
  /// the layer that holds it; never follows a symlink.
  Result<UniqueFd> open_file(const std::string& rel) const;

 private:
  /// What layer `l` says of a resolved path: it has it (`st`), or it hides
  /// it from the layers below (a whiteout, or a whiteout, file or opaque
  /// folder above it), or neither.
  struct Look {
    bool found = false;
    bool hidden = false;
    struct stat st = {};
  };
  Result<Look> look(const std::string& rel, size_t l) const;
  /// lstat of an already resolved relative path, through the layers.
  Result<std::optional<struct stat>> lstat_resolved(const std::string& rel, int* layer_index) const;
  std::vector<UniqueFd> layers_;  ///< top first
};

}  // namespace skiff
