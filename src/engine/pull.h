// skiff pull: an image from a registry into the store. Nothing becomes
// visible before every blob's digest and every layer's diff ID is checked:
// layers are extracted under layers/.tmp-* and renamed when complete, the
// image record is written last, under the store lock.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "image/store.h"

namespace skiff {

struct PullResult {
  std::string id;    ///< the image ID (its config's digest)
  std::string name;  ///< canonical name[:tag][@digest], as docker's last line prints it
  std::string digest;  ///< the manifest's digest (of the list, when the name led to one)
  int layers_fetched = 0;
  bool already_present = false;  ///< the store had this image (maybe by another name)
};

/// Hears what a pull does, for a progress display. Layer calls come from
/// the download threads, several at once: an observer serialises itself.
class PullObserver {
 public:
  virtual ~PullObserver() = default;
  /// The image's layers, bottom first (short digests, compressed sizes),
  /// and which of them the store has already; once, before any download.
  virtual void layers(const std::vector<std::string>& digests, const std::vector<uint64_t>& sizes,
                      const std::vector<bool>& present) {}
  /// Layer `index` has `bytes` of its blob so far.
  virtual void downloaded(size_t index, uint64_t bytes) {}
  /// Layer `index`'s transfer broke (`why`) and starts attempt `attempt`.
  virtual void retrying(size_t index, const Error& why, int attempt) {}
  /// Layer `index` is downloaded, extracted and checked.
  virtual void done(size_t index) {}
  /// The image is in the store.
  virtual void finished(const PullResult& result) {}
};

struct PullOptions {
  std::string reference;  ///< as the user wrote it ("busybox", "localhost:5000/a:1", "x@sha256:..")
  std::string platform;   ///< "" for this machine's
  bool verify_tls = true;
  PullObserver* observer = nullptr;  ///< optional
};


/// Pulls `options.reference`: a manifest, or a manifest list / index from
/// which the platform's entry is chosen; its config; the layers the store
/// lacks. Layers already present (same chain ID) are not fetched again.
Result<PullResult> pull_image(const Store& store, const PullOptions& options);

}  // namespace skiff
