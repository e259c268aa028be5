// Per-layer progress rows on a terminal, as docker draws them for pull and
// push: "<id>: <state>", and for a transfer under way a bar, bytes, speed
// and time left ("Downloading [==>   ] 1.2MB/4.5MB  3.1MB/s  1s"). Rows
// are redrawn in place, at most ten times a second unless forced; every
// call may come from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::cli {

/// Writes all of `text` to `fd`, best effort (a display never fails a command).
void write_all_to(int fd, std::string_view text);

class LayerProgress {
 public:
  explicit LayerProgress(int fd) : fd_(fd) {}

  /// Text printed before the rows (a header); before any add_row().
  void print(std::string_view text) { write_all_to(fd_, text); }
  /// A row for a layer: the digest's first 12 hex digits, its size.
  void add_row(const std::string& digest, uint64_t size, std::string state);
  /// Row `index` reads `state` (redrawn at once).
  void set_state(size_t index, std::string state);
  /// Row `index` is transferring (`state`, e.g. "Downloading"): `bytes` of its size.
  void set_bytes(size_t index, const std::string& state, uint64_t bytes);
  /// Draws every row now, then `text` below them.
  void finish(std::string_view text);

 private:
  struct Row {
    std::string id;
    uint64_t size = 0, bytes = 0;
    std::string state;
    bool transferring = false;
    std::chrono::steady_clock::time_point started;
  };
  void draw(bool force);  // the caller holds mu_
  std::string line(const Row& row, size_t width) const;

  int fd_;
  std::mutex mu_;
  std::vector<Row> rows_;
  size_t drawn_ = 0;  // rows on the screen below the header
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace skiff::cli
