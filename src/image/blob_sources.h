// Where a layer's compressed blobs are known to be, so a push can skip or
// mount them instead of compressing the layer again: layers/<chain>/
// blob-sources.json, newest first. A cache: a missing or unreadable file
// means nothing is known, and a failed write only costs a later push time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image/store.h"

namespace skiff {

struct BlobSource {
  std::string digest;      ///< the compressed blob's
  std::string media_type;  ///< as a manifest named it
  int64_t size = 0;
  std::string registry;    ///< "localhost:5000"
  std::string repository;  ///< "library/busybox"
};

/// What is known for layer `chain_id`, newest first.
std::vector<BlobSource> read_blob_sources(const Store& store, const std::string& chain_id);

/// Adds `sources` (newest first) to what layer `chain_id` knows, keeping
/// the 16 newest distinct entries. Best effort: failures are ignored.
void remember_blob_sources(const Store& store, const std::string& chain_id,
                           const std::vector<BlobSource>& sources);

}  // namespace skiff
