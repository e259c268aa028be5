// A push pipeline for layer bytes: source -> [digest] -> inflate -> [digest]
// -> sink. Push-shaped so libcurl's write callback and a read() loop feed it
// alike, and each byte is touched once on its way to the extractor.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/error.h"
#include "base/sha256.h"

namespace skiff {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status write(std::span<const uint8_t> data) = 0;
  /// End of stream: flush, and fail if the stream was cut short.
  virtual Status finish() = 0;
};

/// Hashes and counts what passes through to `next`.
class DigestingSink : public ByteSink {
 public:
  explicit DigestingSink(ByteSink& next) : next_(next) {}
  Status write(std::span<const uint8_t> data) override;
  Status finish() override { return next_.finish(); }
  /// "sha256:<hex>" of everything written; call once, after finish().
  std::string digest() { return hash_.digest(); }
  uint64_t size() const { return size_; }

 private:
  ByteSink& next_;
  Sha256 hash_;
  uint64_t size_ = 0;
};

/// What a stream is compressed with. Layers skiff makes (push) are only
/// kNone, kGzip or kZstd; xz and bzip2 come from archives a user hands
/// over (import, load, build contexts and ADD), which docker reads too.
enum class Compression { kNone, kGzip, kZstd, kXz, kBzip2 };

/// "gzip", "zstd", "xz", "bzip2", "none".
const char* compression_name(Compression c);

/// Detects the compression from the first bytes it sees (their magic
/// numbers) and writes the inflated bytes to `next`, in pieces of at least
/// 1 MiB but the last. ISA-L's igzip inflates gzip, libzstd zstd, liblzma
/// xz and libbz2 bzip2 (concatenated streams as their tools read them);
/// anything else passes through.
class InflatingSink : public ByteSink {
 public:
  explicit InflatingSink(ByteSink& next);
  ~InflatingSink() override;
  Status write(std::span<const uint8_t> data) override;
  Status finish() override;
  Compression compression() const { return compression_; }

 private:
  struct State;
  Status detect_and_start();
  Status inflate(std::span<const uint8_t> data);
  /// One igzip call into the output buffer (passed on when full): the bytes produced.
  Result<size_t> gzip_step();
  /// Inflates `data` (empty at finish) with liblzma or libbz2.
  Status xz_inflate(std::span<const uint8_t> data, bool last);
  Status bzip2_inflate(std::span<const uint8_t> data, bool last);
  /// Passes on what the output buffer holds.
  Status flush_out();
  ByteSink& next_;
  std::unique_ptr<State> state_;
  Compression compression_ = Compression::kNone;
  bool detected_ = false;
  std::string head_;  // the first bytes, kept until the format is known
};

/// Writes everything to a file descriptor (a pipe to the extractor).
/// EPIPE is reported as "reader gone" so the caller asks the reader why.
class FdSink : public ByteSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  Status write(std::span<const uint8_t> data) override;
  Status finish() override { return {}; }
  bool reader_gone() const { return reader_gone_; }

 private:
  int fd_;
  bool reader_gone_ = false;
};

/// Reads `fd` to its end and pushes everything into `sink` (then finish()).
Status pump_fd(int fd, ByteSink& sink, const std::string& what);

}  // namespace skiff
