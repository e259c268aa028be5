#include "cli/layer_progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/units.h"

namespace skiff::cli {

namespace {

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

void write_all_to(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(size_t(n));
  }
}

void LayerProgress::add_row(const std::string& digest, uint64_t size, std::string state) {
  std::lock_guard lock(mu_);
  std::string hex = digest.substr(digest.find(':') + 1);
  rows_.push_back({hex.substr(0, 12), size, 0, std::move(state), false, std::chrono::steady_clock::now()});
  draw(true);
}

void LayerProgress::set_state(size_t index, std::string state) {
  std::lock_guard lock(mu_);
  Row& row = rows_.at(index);
  row.state = std::move(state);
  row.transferring = false;
  draw(true);
}

void LayerProgress::set_bytes(size_t index, const std::string& state, uint64_t bytes) {
  std::lock_guard lock(mu_);
  Row& row = rows_.at(index);
  if (!row.transferring || row.state != state) {
    row.state = state;
    row.transferring = true;
    if (row.bytes == 0) row.started = std::chrono::steady_clock::now();
  }
  row.bytes = bytes;
  draw(false);
}

void LayerProgress::finish(std::string_view text) {
  std::lock_guard lock(mu_);
  draw(true);
  write_all_to(fd_, text);
}

std::string LayerProgress::line(const Row& row, size_t width) const {
  std::string text = row.id + ": " + row.state;
  if (row.transferring) {
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - row.started).count();
    double speed = seconds > 0.2 ? double(row.bytes) / seconds : 0;
    std::string figures = human_size(double(row.bytes)) + "/" + human_size(double(row.size));
    if (speed > 0) {
      figures += "  " + human_size(speed) + "/s";
      if (row.size > row.bytes)
        figures += fmt::format("  {}s", uint64_t(double(row.size - row.bytes) / speed) + 1);
    }
    // The bar takes what the line leaves, up to docker's 50 columns:
    // "<id>: <state> [<bar>]  <figures>", one column spare.
    size_t used = text.size() + 5 + figures.size() + 1;
    if (width > used + 10)
      text += " " + bar(row.bytes, row.size, std::min<size_t>(50, width - used)) + "  ";
    else
      text += "  ";
    text += figures;
  }
  if (text.size() >= width) text.resize(width - 1);
  return text;
}

void LayerProgress::draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  size_t width = terminal_width(fd_);
  // Back to the first row, then every row again, each line cleared first.
  std::string out = drawn_ > 0 ? fmt::format("\x1b[{}A", drawn_) : "";
  for (const Row& row : rows_) out += "\x1b[2K" + line(row, width) + "\n";
  drawn_ = rows_.size();
  write_all_to(fd_, out);
}

}  // namespace skiff::cli
