// Compression for layers on their way out (push): gzip through ISA-L's
// igzip (levels 0-3; Debian ships no faster deflate), zstd through libzstd.
// Push-shaped like image/stream.h: the compressed bytes go to the next sink
// as they come.
#pragma once

#include <memory>

#include "base/error.h"
#include "image/stream.h"

namespace skiff {

/// The levels each compression takes, and its default.
struct CompressionLevels {
  int min, max, fallback;
};
CompressionLevels compression_levels(Compression c);

/// Compresses what is written to it into `next` (then finish()es it). The
/// same input at the same level gives the same bytes, however it is cut
/// into writes: gzip input goes to ISA-L in whole 1 MiB blocks (its output
/// depends on where its input stops), and its header has no name and no
/// time. So one layer pushed twice, from anywhere, is one blob.
class CompressingSink : public ByteSink {
 public:
  /// `compression` is gzip or zstd; `level` within compression_levels().
  static Result<std::unique_ptr<CompressingSink>> create(Compression compression, int level, ByteSink& next);
  ~CompressingSink() override;
  Status write(std::span<const uint8_t> data) override;
  Status finish() override;

 private:
  struct State;
  CompressingSink(std::unique_ptr<State> state, ByteSink& next);
  Status pump(std::span<const uint8_t> data, bool end);
  std::unique_ptr<State> state_;
  ByteSink& next_;
};

}  // namespace skiff
