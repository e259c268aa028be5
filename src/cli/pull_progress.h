// The progress display of a pull on a terminal, shaped like docker's: a
// line per layer ("Already exists", "Downloading [==>  ] 1.2MB/4.5MB
// 3.1MB/s 1s", "Retrying", "Pull complete"), redrawn in place at most ten
// times a second, then the digest and a status line.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/pull.h"

namespace skiff::cli {

class PullProgressDisplay : public PullObserver {
 public:
  /// Draws on `fd` (a terminal). `reference` is what the user asked for.
  PullProgressDisplay(int fd, std::string reference);

  /// A display on `fd` when it is a terminal and `quiet` is off, else null
  /// (scripts and -q see only the result).
  static std::unique_ptr<PullProgressDisplay> on_terminal(int fd, const std::string& reference, bool quiet);

  void layers(const std::vector<std::string>& digests, const std::vector<uint64_t>& sizes,
              const std::vector<bool>& present) override;
  void downloaded(size_t index, uint64_t bytes) override;
  void retrying(size_t index, const Error& why, int attempt) override;
  void done(size_t index) override;

  /// Docker's closing lines: "Digest: ..." and "Status: ...".
  void finished(const PullResult& result) override;

 private:
  struct Row {
    std::string id;  // the digest's first 12 hex digits
    uint64_t size = 0, bytes = 0;
    std::string state;  // "Waiting", "Downloading", "Retrying ...", "Pull complete", "Already exists"
    std::chrono::steady_clock::time_point started;
  };
  /// Redraws every row (the caller holds mu_); unless `force`, not more
  /// often than every 100 ms.
  void draw(bool force);
  std::string line(const Row& row, size_t width) const;

  int fd_;
  std::string reference_;
  std::mutex mu_;
  std::vector<Row> rows_;
  size_t drawn_ = 0;  // rows on the screen below the header
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace skiff::cli
