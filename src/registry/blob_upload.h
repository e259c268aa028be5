// One blob up to a registry as its bytes are made (push), never held whole:
// in chunks (a PATCH with its Content-Range each), the last bytes with the
// PUT that names the digest. A blob no larger than one chunk goes up as one
// PUT: a monolithic upload.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/sha256.h"
#include "image/stream.h"
#include "registry/registry_client.h"

namespace skiff {

/// The chunk size of uploads: $SKIFF_PUSH_CHUNK_SIZE bytes when set (at
/// least 1024), else 16 MiB.
size_t upload_chunk_size();

class BlobUploadSink : public ByteSink {
 public:
  BlobUploadSink(RegistryClient& client, std::string repo, size_t chunk_size);
  /// Cancels an upload that did not finish.
  ~BlobUploadSink() override;
  BlobUploadSink(const BlobUploadSink&) = delete;
  BlobUploadSink& operator=(const BlobUploadSink&) = delete;

  Status write(std::span<const uint8_t> data) override;
  /// Completes the upload: the blob is in the repository under digest().
  Status finish() override;

  /// "sha256:<hex>" of everything written; after finish().
  const std::string& digest() const { return digest_; }
  uint64_t size() const { return size_; }

  /// Why the upload failed, when it did: a transfer that broke (start
  /// again: a registry can't be trusted to resume it), or a registry that
  /// refuses chunks (some take a blob only whole: upload_whole_blob).
  enum class Failure { kNone, kOther, kTransient, kChunksRefused };
  Failure failure() const { return failure_; }

 private:
  /// POSTs the upload unless it has started.
  Status start();
  Status send_chunk();
  Status fail(Failure why, Error error);
  RegistryClient& client_;
  std::string repo_;
  size_t chunk_size_;
  std::vector<uint8_t> buffer_;
  std::string location_;  // "" until the upload started
  uint64_t offset_ = 0;   // bytes the registry has
  Sha256 hash_;
  uint64_t size_ = 0;
  std::string digest_;
  bool finished_ = false;
  Failure failure_ = Failure::kNone;
};

/// Uploads `data`, whose digest is `digest`, with one POST and one PUT.
Status upload_whole_blob(RegistryClient& client, const std::string& repo, const std::string& digest,
                         std::span<const uint8_t> data);

}  // namespace skiff
