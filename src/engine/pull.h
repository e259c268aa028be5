// skiff pull: an image from a registry into the store. Nothing becomes
// visible before every blob's digest and every layer's diff ID is checked:
// layers are extracted under layers/.tmp-* and renamed when complete, the
// image record is written last, under the store lock.
#pragma once

#include <string>

#include "base/error.h"
#include "image/store.h"

namespace skiff {

struct PullOptions {
  std::string reference;  ///< as the user wrote it ("busybox", "localhost:5000/a:1", "x@sha256:..")
  std::string platform;   ///< "" for this machine's
  bool verify_tls = true;
};

struct PullResult {
  std::string id;    ///< the image ID (its config's digest)
  std::string name;  ///< canonical name[:tag][@digest], as docker's last line prints it
  int layers_fetched = 0;
};

/// Pulls `options.reference`: a manifest, or a manifest list / index from
/// which the platform's entry is chosen; its config; the layers the store
/// lacks. Layers already present (same chain ID) are not fetched again.
Result<PullResult> pull_image(const Store& store, const PullOptions& options);

}  // namespace skiff
