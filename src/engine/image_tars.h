// An image's layers as the tars that go out (save, push). Each is replayed
// from its tar recipe, so its digest is still the diff ID its config names
// and the image keeps its ID. A layer extracted before skiff kept recipes is
// rebuilt from its files into a spool file first: its diff ID, and so the
// config and the image ID, change (a warning says so).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/image_store.h"
#include "image/spool_file.h"
#include "image/store.h"
#include "image/stream.h"

namespace skiff {

struct LayerTar {
  std::string chain;
  std::string diff_id;                 ///< the tar's digest (a new one when rebuilt)
  uint64_t size = 0;                   ///< the tar's bytes
  std::shared_ptr<SpoolFile> rebuilt;  ///< null when the recipe replays it

  /// Streams the tar into `sink` (then finish()).
  Status write(const Store& store, ByteSink& sink) const;
};

struct ImageTars {
  std::string config;            ///< the config's bytes, rewritten when a layer was rebuilt
  std::string config_digest;     ///< the image ID they give
  std::vector<LayerTar> layers;  ///< bottom first
};

/// Layers rebuilt so far in one command, by chain ID (each is rebuilt once).
using RebuiltLayers = std::map<std::string, LayerTar>;

/// The config and layer tars of `image` (`asked_as` names it in messages).
Result<ImageTars> image_tars(const Store& store, const ImageRecord& image, const std::string& asked_as,
                             RebuiltLayers& rebuilt);

}  // namespace skiff
