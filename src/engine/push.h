// skiff push: an image from the store to a registry.
//
// Each layer goes up as the tar it was extracted from (its recipe replays
// it: image/layer_tar.h), compressed on the way and uploaded as it is made
// (registry/blob_upload.h), three layers at a time. Before compressing, a
// layer's known blobs (the manifest it was pulled with, and what earlier
// pushes left in layers/<chain>/blob-sources.json) are looked for: a blob
// the repository has is skipped, one another repository of the registry
// has is mounted. The config follows, the manifest last, so a registry
// never names an image whose blobs it lacks. When every blob is the one
// the image was pulled with, the pulled manifest goes up unchanged and the
// image keeps its digest.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/manifest.h"
#include "image/store.h"
#include "image/stream.h"

namespace skiff {

struct PushResult {
  std::string name;  ///< canonical destination, name:tag
  std::string tag;
  std::string digest;  ///< the manifest's
  size_t manifest_size = 0;
};

/// Hears what a push does, for a progress display. Layer calls come from
/// the upload threads, several at once: an observer serialises itself.
class PushObserver {
 public:
  enum class Outcome { kPushed, kExists, kMounted };
  virtual ~PushObserver() = default;
  /// The destination repository ("localhost:5000/app"), then the layers
  /// (diff IDs and tar sizes, bottom first); once, before any upload.
  virtual void layers(const std::string& repository, const std::vector<std::string>& diff_ids,
                      const std::vector<uint64_t>& sizes) {}
  /// Layer `index` is being compressed and sent: `bytes` of its tar so far.
  virtual void pushing(size_t index, uint64_t bytes) {}
  /// Layer `index`'s upload broke (`why`) and starts attempt `attempt`.
  virtual void retrying(size_t index, const Error& why, int attempt) {}
  /// Layer `index` is in the repository; `from` names the repository a
  /// mounted blob came from.
  virtual void done(size_t index, Outcome how, const std::string& from) {}
  virtual void finished(const PushResult& result) {}
};

struct PushOptions {
  std::string image;                       ///< a local name, ID or ID prefix
  std::string destination;                 ///< where to ("" for the image's own name); "docker://" allowed
  std::optional<ManifestFormat> format;    ///< unset: the pulled manifest's, else OCI
  std::optional<Compression> compression;  ///< unset: gzip, known blobs of any compression reused
  int compression_level = -1;              ///< -1: the compression's default
  bool force_compression = false;          ///< compress every layer, reuse no known blob
  bool verify_tls = true;
  std::string auth_file;             ///< "" for the usual credential files
  PushObserver* observer = nullptr;  ///< optional
};

/// Pushes `options.image` to `options.destination` and remembers the
/// pushed digest in the image's record (skiff image inspect's RepoDigests).
Result<PushResult> push_image(const Store& store, const PushOptions& options);

}  // namespace skiff
