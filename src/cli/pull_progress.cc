#include "cli/pull_progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/output.h"
#include "base/units.h"
#include "image/reference.h"
#include "registry/registry_client.h"

namespace skiff::cli {

namespace {

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a display is best effort: never fail the pull for it
    text.remove_prefix(size_t(n));
  }
}

size_t terminal_width(int fd) {
  struct winsize size {};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 20) return size.ws_col;
  return 80;
}

// "[=========>          ]", `width` wide inside the brackets.
std::string bar(uint64_t done, uint64_t total, size_t width) {
  size_t filled = total == 0 ? 0 : size_t(double(std::min(done, total)) / double(total) * double(width));
  std::string out = "[";
  for (size_t i = 0; i < width; ++i) out += i + 1 < filled ? '=' : i + 1 == filled ? '>' : ' ';
  return out + "]";
}

}  // namespace

PullProgressDisplay::PullProgressDisplay(int fd, std::string reference) : fd_(fd), reference_(std::move(reference)) {}

std::unique_ptr<PullProgressDisplay> PullProgressDisplay::on_terminal(int fd, const std::string& reference,
                                                                       bool quiet) {
  if (quiet || !is_terminal(fd)) return nullptr;
  return std::make_unique<PullProgressDisplay>(fd, reference);
}

void PullProgressDisplay::layers(const std::vector<std::string>& digests, const std::vector<uint64_t>& sizes,
                                 const std::vector<bool>& present) {
  std::lock_guard lock(mu_);
  // docker's header: the tag (or digest) and the repository, as the user wrote them.
  std::string header;
  auto ref = ImageReference::parse(reference_);
  if (ref.ok()) {
    if (ref->tag.empty() && ref->digest.empty()) header += "Using default tag: latest\n";
    std::string which = !ref->digest.empty() ? ref->digest : ref->tag.empty() ? "latest" : ref->tag;
    header += fmt::format("{}: Pulling from {}\n", which, ref->path);
  }
  write_all(fd_, header);
  auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < digests.size(); ++i) {
    std::string hex = digests[i].substr(digests[i].find(':') + 1);
    rows_.push_back({hex.substr(0, 12), sizes[i], 0, present[i] ? "Already exists" : "Waiting", now});
  }
  draw(true);
}

void PullProgressDisplay::downloaded(size_t index, uint64_t bytes) {
  std::lock_guard lock(mu_);
  Row& row = rows_.at(index);
  if (row.state != "Downloading") {
    row.state = "Downloading";
    if (row.bytes == 0) row.started = std::chrono::steady_clock::now();
  }
  row.bytes = bytes;
  draw(false);
}

void PullProgressDisplay::retrying(size_t index, const Error& why, int attempt) {
  std::lock_guard lock(mu_);
  rows_.at(index).state = fmt::format("Retrying (attempt {} of {})", attempt, RegistryClient::kBlobAttempts);
  (void)why;  // the final error, if any, says it; the display stays one line a layer
  draw(true);
}

void PullProgressDisplay::done(size_t index) {
  std::lock_guard lock(mu_);
  rows_.at(index).state = "Pull complete";
  draw(true);
}

void PullProgressDisplay::finished(const PullResult& result) {
  std::lock_guard lock(mu_);
  draw(true);
  write_all(fd_, fmt::format("Digest: {}\nStatus: {} for {}\n", result.digest,
                             result.layers_fetched > 0 || !result.already_present ? "Downloaded newer image"
                                                                                  : "Image is up to date",
                             result.name));
}

std::string PullProgressDisplay::line(const Row& row, size_t width) const {
  std::string text = row.id + ": " + row.state;
  if (row.state == "Downloading") {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - row.started).count();
    double speed = seconds > 0.2 ? double(row.bytes) / seconds : 0;
    std::string figures = human_size(double(row.bytes)) + "/" + human_size(double(row.size));
    if (speed > 0) {
      figures += "  " + human_size(speed) + "/s";
      if (row.size > row.bytes) figures += fmt::format("  {}s", uint64_t(double(row.size - row.bytes) / speed) + 1);
    }
    // The bar takes what the line leaves, up to docker's 50 columns:
    // "<id>: Downloading [<bar>]  <figures>", one column spare.
    size_t used = text.size() + 5 + figures.size() + 1;
    if (width > used + 10) text += " " + bar(row.bytes, row.size, std::min<size_t>(50, width - used)) + "  ";
    else text += "  ";
    text += figures;
  }
  if (text.size() >= width) text.resize(width - 1);
  return text;
}

void PullProgressDisplay::draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  size_t width = terminal_width(fd_);
  // Back to the first row, then every row again, each line cleared first.
  std::string out = drawn_ > 0 ? fmt::format("\x1b[{}A", drawn_) : "";
  for (const Row& row : rows_) out += "\x1b[2K" + line(row, width) + "\n";
  drawn_ = rows_.size();
  write_all(fd_, out);
}

}  // namespace skiff::cli
