// The slirp loop of one container run: the frames of its tap0 go through a
// libslirp stack, which turns the container's TCP, UDP and ICMP into sockets
// of ours on the host (and answers DNS at 10.0.2.3 from the host's
// resolvers). It runs in whichever event loop serves the container: the
// monitor's, or the foreground `skiff run`'s; no thread, no other process.
// A user-defined network's switch (net/network_switch.h) runs one too, fed
// frame by frame, on the network's subnet.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <netinet/in.h>

#include "base/poll_set.h"
#include "base/unique_fd.h"
#include "net/network_mode.h"
#include "net/slirp_library.h"

namespace skiff {

/// The IPv4 side of a stack: slirp's 10.0.2.0/24 unless a network says.
struct SlirpSubnet {
  in_addr network{};
  int prefix = 24;
  in_addr gateway{};  ///< the host, as the stack presents it
  in_addr dns{};      ///< forwarded to the host's resolvers
  bool restricted = false;  ///< no way out: only the gateway's forwards
  static SlirpSubnet standard();
};

class SlirpNetwork : public PollClient {
 public:
  using FrameSink = std::function<void(const void* frame, size_t len)>;

  /// Serves `tap` (non-blocking). libslirp is loaded, and its stack made,
  /// when the first frame arrives: a container that never sends one costs
  /// nothing. A failure then is reported to `warn` once and the frames are
  /// dropped.
  SlirpNetwork(UniqueFd tap, SlirpOptions options, std::function<void(const std::string&)> warn);
  /// A stack with no tap: frames come in through input() and go out to
  /// `sink`.
  SlirpNetwork(FrameSink sink, SlirpOptions options, SlirpSubnet subnet, std::function<void(const std::string&)> warn);
  /// One frame from the network (the stack is made at the first).
  void input(const void* frame, size_t len);
  /// Whether the stack was made (a first frame came).
  bool started() const { return slirp_ != nullptr; }
  ~SlirpNetwork() override;
  SlirpNetwork(const SlirpNetwork&) = delete;
  SlirpNetwork& operator=(const SlirpNetwork&) = delete;

  void add_to(PollSet& set) override;
  void handle(const PollSet& set) override;

  // libslirp's callbacks, public only for the C trampolines.
  struct Timer {
    SlirpTimerId id;
    void* cb_opaque;
    int64_t expire_ms = -1;  ///< on CLOCK_MONOTONIC; -1: not armed
  };
  void send_frame(const void* buf, size_t len);
  Timer* new_timer(SlirpTimerId id, void* cb_opaque);
  void free_timer(Timer* timer);
  int add_slirp_fd(int fd, int events);
  int slirp_revents(int index) const;

 private:
  bool start_stack();
  void read_frames();
  void poll_stack(const PollSet& set);
  void run_timers();

  UniqueFd tap_;
  FrameSink sink_;
  SlirpOptions options_;
  SlirpSubnet subnet_ = SlirpSubnet::standard();
  std::function<void(const std::string&)> warn_;
  const SlirpLibrary* lib_ = nullptr;
  Slirp* slirp_ = nullptr;
  bool failed_ = false;
  std::vector<std::unique_ptr<Timer>> timers_;
  PollSet* filling_ = nullptr;      ///< during add_to
  const PollSet* polled_ = nullptr; ///< during handle
  bool filled_ = false;             ///< slirp_pollfds_fill ran this round
  size_t tap_index_ = 0;
  std::unique_ptr<char[]> frame_;  ///< not zeroed: a page is touched only by a frame that long
};

}  // namespace skiff
