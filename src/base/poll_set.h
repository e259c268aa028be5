// One poll(2) round shared by several owners of descriptors: each adds its
// fds and remembers the indexes it got back, poll() runs once, then each
// reads its revents by index. The wait ends at the earliest deadline any
// owner set.
#pragma once

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

namespace skiff {

class PollSet {
 public:
  using Clock = std::chrono::steady_clock;

  /// Watches `fd` for `events` this round; returns its index.
  size_t add(int fd, short events) {
    fds_.push_back({fd, events, 0});
    return fds_.size() - 1;
  }
  /// What poll() reported for index `i` (0 before poll()).
  short revents(size_t i) const { return i < fds_.size() ? fds_[i].revents : short(0); }
  /// Wakes at `when` at the latest.
  void wake_by(Clock::time_point when) {
    if (!deadline_ || when < *deadline_) deadline_ = when;
  }
  /// poll() once; `max_wait` bounds the wait (negative: none besides the
  /// deadlines). Returns poll's result (-1 with errno on failure).
  int poll(int max_wait_ms = -1) {
    int timeout = max_wait_ms;
    if (deadline_) {
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(*deadline_ - Clock::now()).count();
      int until = int(std::clamp<int64_t>(ms, 0, 3600 * 1000));
      timeout = timeout < 0 ? until : std::min(timeout, until);
    }
    return ::poll(fds_.data(), nfds_t(fds_.size()), timeout);
  }
  /// Empties the set for the next round.
  void clear() {
    fds_.clear();
    deadline_.reset();
  }

 private:
  std::vector<pollfd> fds_;
  std::optional<Clock::time_point> deadline_;
};

/// Something a process's event loop serves besides its own descriptors (a
/// container's network, its health check): it adds what it waits for, and
/// handle() runs after every poll() round.
class PollClient {
 public:
  virtual ~PollClient() = default;
  virtual void add_to(PollSet& set) = 0;
  virtual void handle(const PollSet& set) = 0;
};

}  // namespace skiff
