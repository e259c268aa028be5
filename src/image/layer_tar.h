// Layers back out as tar streams: for push, save and export.
//
// A layer's diff ID is the digest of the tar it was extracted from, and
// save, push and the image config all name layers by it, so a layer must
// come back out byte for byte. The extractor keeps a "tar recipe" beside
// each layer (layers/<chain>/tar-recipe): every byte of the stream that is
// not a regular file's content (headers, pax records, padding, the end
// blocks), and for each file's content where it lies in diff/. Replaying it
// reads the file contents from diff/ (in the user namespace: they may be
// owned by subordinate IDs) and checks the digest as it goes.
#pragma once

#include <string>

#include "base/error.h"
#include "image/store.h"
#include "image/stream.h"

namespace skiff {

/// Streams layer `chain_id`'s tar, identical to the one it was extracted
/// from (its digest is the layer's diff ID), into `out` (then finish()).
/// An error when the layer has no recipe or its files no longer match.
Status write_layer_tar(const Store& store, const std::string& chain_id, ByteSink& out);

struct TreeTarOptions {
  /// Overlay whiteouts (0/0 character devices, opaque xattrs) become OCI
  /// `.wh.` entries (a layer made from an upper directory); otherwise the
  /// tree is written as it is (a container's merged view, for export).
  bool oci_whiteouts = false;
};

/// Streams the directory tree at `dir` as a tar (sorted names, so the same
/// tree gives the same bytes), read inside the user namespace, into `out`
/// (then finish()).
Status write_tree_tar(const std::string& dir, const TreeTarOptions& options, ByteSink& out);

}  // namespace skiff
