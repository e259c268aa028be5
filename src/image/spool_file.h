// Bytes set aside on disk for a while: an unlinked file in the store (never
// /tmp, which may be small or in memory), gone when closed, so no crash
// leaves it behind. load spools what a pipe brings before the metadata
// that says what it is; save spools a layer tar it must measure first.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "base/error.h"
#include "base/unique_fd.h"
#include "image/store.h"
#include "image/stream.h"

namespace skiff {

class SpoolFile : public ByteSink {
 public:
  /// An empty spool file in the store's blob folder.
  static Result<SpoolFile> create(const Store& store);

  /// Appends.
  Status write(std::span<const uint8_t> data) override;
  Status finish() override { return {}; }
  uint64_t size() const { return size_; }

  /// Pushes the bytes at [offset, offset + size) into `sink` (no finish()).
  Status read_into(uint64_t offset, uint64_t size, ByteSink& sink) const;

  /// Every byte written so far, mapped read-only (unmapped when the
  /// mapping goes away; the spool file must outlive it).
  class Mapping {
   public:
    Mapping(Mapping&& other) noexcept : data_(std::exchange(other.data_, nullptr)), size_(other.size_) {}
    Mapping& operator=(Mapping&&) = delete;
    ~Mapping();
    std::span<const uint8_t> bytes() const { return {static_cast<const uint8_t*>(data_), size_}; }

   private:
    friend class SpoolFile;
    Mapping(void* data, size_t size) : data_(data), size_(size) {}
    void* data_;
    size_t size_;
  };
  Result<Mapping> map() const;

 private:
  explicit SpoolFile(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  uint64_t size_ = 0;
};

/// Writes everything to a file descriptor; unlike FdSink, a reader that
/// closed its end of a pipe is an error ("Broken pipe").
class FileSink : public ByteSink {
 public:
  FileSink(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
  Status write(std::span<const uint8_t> data) override;
  Status finish() override { return {}; }

 private:
  int fd_;
  std::string what_;
};

}  // namespace skiff
