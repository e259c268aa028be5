// Layers: extracted, content-addressed overlay lower directories.
//
// A layer is built under layers/.tmp-<random>/ (its maker holds a flock on
// that folder; layer.json says complete=false), extracted inside the user
// namespace containers use, marked complete, and only then renamed to
// layers/<chain-id>. Whatever a crash leaves is a .tmp- folder that no one
// has locked, which Store::collect_garbage removes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "base/lock.h"
#include "image/layer_extract.h"
#include "image/store.h"
#include "image/stream.h"

namespace skiff {

struct LayerRecord {
  std::string chain_id;  ///< "sha256:..": names the folder
  std::string diff_id;   ///< digest of the uncompressed tar
  std::string parent;    ///< chain ID of the layer below, "" for the bottom one
  uint64_t size = 0;     ///< bytes of the uncompressed tar
  bool complete = false;

  Json to_json() const;
  static Result<LayerRecord> from_json(const Json& json);
};

/// The OCI chain ID: diff_id for the bottom layer, else
/// sha256(parent_chain + " " + diff_id).
std::string chain_id_of(const std::string& parent_chain, const std::string& diff_id);

/// Reads layers/<chain>/layer.json; a missing or incomplete layer is an error.
Result<LayerRecord> load_layer(const Store& store, const std::string& chain_id);

/// What feeds a layer's bytes into the pipeline (a file, stdin, an HTTP body).
using LayerFeed = std::function<Status(ByteSink&)>;

/// A feed whose tar `write_tar` writes to the descriptor it is given, in a
/// child that is root of the containers' user namespace (where files of
/// every mapped owner can be read, with their owners as the image has them).
LayerFeed user_namespace_feed(std::function<Status(int out_fd)> write_tar);

/// A layer being extracted under layers/.tmp-*; removed when destroyed
/// uncommitted.
class PendingLayer {
 public:
  /// Creates the temporary folder and extracts `feed` into it inside the
  /// user namespace. On success the digests are known and the layer is
  /// complete on disk, but not visible until commit().
  static Result<PendingLayer> extract(const Store& store, const std::string& parent_chain,
                                      const LayerFeed& feed);

  PendingLayer(PendingLayer&&) = default;
  ~PendingLayer();

  const LayerRecord& record() const { return record_; }
  const ExtractReport& report() const { return report_; }
  Compression compression() const { return compression_; }
  const std::string& compressed_digest() const { return compressed_digest_; }

  /// Makes the layer visible as layers/<chain-id>; if an equal layer is
  /// there already, this copy is dropped. The caller holds the store lock.
  Status commit();

 private:
  friend class LayerExtraction;
  PendingLayer(const Store& store, std::string dir, FileLock lock)
      : store_(&store), dir_(std::move(dir)), lock_(std::move(lock)) {}
  const Store* store_;
  std::string dir_;
  FileLock lock_;
  bool committed_ = false;
  LayerRecord record_;
  ExtractReport report_;
  Compression compression_ = Compression::kNone;
  std::string compressed_digest_;
};

/// An extraction in progress, for callers that feed several layers at once
/// (pull): start() makes the folder and the extractor (a child in the user
/// namespace, reading a pipe); input() takes the layer's bytes, from any one
/// thread; finish() waits for the extractor. Start every extraction before
/// feeding any from other threads: start() forks.
class LayerExtraction {
 public:
  static Result<LayerExtraction> start(const Store& store, const std::string& parent_chain);
  LayerExtraction(LayerExtraction&&) noexcept;
  ~LayerExtraction();

  /// source -> compressed digest -> inflate -> diff digest -> extractor.
  ByteSink& input();
  /// Ends the stream and waits for the extractor; `fed` is how feeding
  /// went (its error wins). The layer is complete on disk, not yet visible.
  Result<PendingLayer> finish(Status fed);

 private:
  struct State;
  explicit LayerExtraction(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// Removes whole layer trees (files owned by mapped IDs) from inside the
/// user namespace.
Status remove_layer_trees(const std::vector<std::string>& paths);

/// Moves layers/<chain> folders aside to .trash-* (the caller holds the store
/// lock) and returns their new paths, for remove_layer_trees after unlocking.
Result<std::vector<std::string>> trash_layers(const Store& store, const std::vector<std::string>& chain_ids);

/// Sums the sizes of the given layers (missing ones count 0).
uint64_t layers_size(const Store& store, const std::vector<std::string>& chain_ids);

}  // namespace skiff
