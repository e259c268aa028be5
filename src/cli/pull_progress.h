// The progress display of a pull on a terminal, shaped like docker's: a
// line per layer ("Already exists", "Downloading [==>  ] 1.2MB/4.5MB
// 3.1MB/s 1s", "Retrying", "Pull complete"), then the digest and a status
// line.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/layer_progress.h"
#include "engine/pull.h"

namespace skiff::cli {

class PullProgressDisplay : public PullObserver {
 public:
  /// Draws on `fd` (a terminal). `reference` is what the user asked for.
  PullProgressDisplay(int fd, std::string reference) : rows_(fd), reference_(std::move(reference)) {}

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
  LayerProgress rows_;
  std::string reference_;
};

}  // namespace skiff::cli
