#include "cli/pull_progress.h"

#include <fmt/format.h>

#include "base/output.h"
#include "image/reference.h"
#include "registry/registry_client.h"

namespace skiff::cli {

std::unique_ptr<PullProgressDisplay> PullProgressDisplay::on_terminal(int fd, const std::string& reference,
                                                                      bool quiet) {
  if (quiet || !is_terminal(fd)) return nullptr;
  return std::make_unique<PullProgressDisplay>(fd, reference);
}

void PullProgressDisplay::layers(const std::vector<std::string>& digests, const std::vector<uint64_t>& sizes,
                                 const std::vector<bool>& present) {
  // docker's header: the tag (or digest) and the repository, as the user wrote them.
  std::string header;
  auto ref = ImageReference::parse(reference_);
  if (ref.ok()) {
    if (ref->tag.empty() && ref->digest.empty()) header += "Using default tag: latest\n";
    std::string which = !ref->digest.empty() ? ref->digest : ref->tag.empty() ? "latest" : ref->tag;
    header += fmt::format("{}: Pulling from {}\n", which, ref->path);
  }
  rows_.print(header);
  for (size_t i = 0; i < digests.size(); ++i)
    rows_.add_row(digests[i], sizes[i], present[i] ? "Already exists" : "Waiting");
}

void PullProgressDisplay::downloaded(size_t index, uint64_t bytes) {
  rows_.set_bytes(index, "Downloading", bytes);
}

void PullProgressDisplay::retrying(size_t index, const Error& why, int attempt) {
  // The final error, if any, says why; the display stays one line a layer.
  (void)why;
  rows_.set_state(index, fmt::format("Retrying (attempt {} of {})", attempt, RegistryClient::kBlobAttempts));
}

void PullProgressDisplay::done(size_t index) { rows_.set_state(index, "Pull complete"); }

void PullProgressDisplay::finished(const PullResult& result) {
  rows_.finish(fmt::format(
      "Digest: {}\nStatus: {} for {}\n", result.digest,
      result.layers_fetched > 0 || !result.already_present ? "Downloaded newer image" : "Image is up to date",
      result.name));
}

}  // namespace skiff::cli
