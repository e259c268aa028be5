#include "net/slirp_network.h"

#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

namespace skiff {

namespace {

int64_t monotonic_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

SlirpNetwork* self(void* opaque) { return static_cast<SlirpNetwork*>(opaque); }

const SlirpCb kCallbacks = {
    .send_packet = [](const void* buf, size_t len, void* opaque) -> ssize_t {
      self(opaque)->send_frame(buf, len);
      return ssize_t(len);
    },
    .guest_error = [](const char*, void*) {},
    .clock_get_ns = [](void*) -> int64_t { return monotonic_ns(); },
    .timer_new = nullptr,
    .timer_free = [](void* timer, void* opaque) { self(opaque)->free_timer(static_cast<SlirpNetwork::Timer*>(timer)); },
    .timer_mod = [](void* timer, int64_t expire_ms, void*) { static_cast<SlirpNetwork::Timer*>(timer)->expire_ms = expire_ms; },
    .register_poll_fd = [](int, void*) {},
    .unregister_poll_fd = [](int, void*) {},
    // Every round of the loop polls libslirp's sockets anew: nothing to kick.
    .notify = [](void*) {},
    .init_completed = nullptr,
    .timer_new_opaque = [](SlirpTimerId id, void* cb_opaque, void* opaque) -> void* {
      return self(opaque)->new_timer(id, cb_opaque);
    },
};

// The largest frame: the MTU plus an ethernet header (with a VLAN tag).
constexpr size_t kFrameRoom = 65536 + 18;
// Frames taken from the tap per round before libslirp's sockets get a turn.
constexpr int kFramesPerRound = 64;

}  // namespace

SlirpSubnet SlirpSubnet::standard() {
  SlirpSubnet subnet;
  ::inet_pton(AF_INET, SlirpAddresses::kNetwork, &subnet.network);
  subnet.prefix = SlirpAddresses::kPrefix;
  ::inet_pton(AF_INET, SlirpAddresses::kGateway, &subnet.gateway);
  ::inet_pton(AF_INET, SlirpAddresses::kDns, &subnet.dns);
  return subnet;
}

SlirpNetwork::SlirpNetwork(UniqueFd tap, SlirpOptions options, std::function<void(const std::string&)> warn)
    : tap_(std::move(tap)), options_(options), warn_(std::move(warn)) {}

SlirpNetwork::SlirpNetwork(FrameSink sink, SlirpOptions options, SlirpSubnet subnet,
                           std::function<void(const std::string&)> warn)
    : sink_(std::move(sink)), options_(options), subnet_(subnet), warn_(std::move(warn)) {}

void SlirpNetwork::input(const void* frame, size_t len) {
  if (!slirp_ && !failed_) start_stack();
  if (slirp_) lib_->input(slirp_, static_cast<const uint8_t*>(frame), int(len));
}

SlirpNetwork::~SlirpNetwork() {
  if (slirp_) lib_->cleanup(slirp_);
}

bool SlirpNetwork::start_stack() {
  auto lib = slirp_library();
  if (!lib.ok()) {
    failed_ = true;
    if (warn_) warn_(lib.error().text());
    return false;
  }
  lib_ = *lib;
  SlirpConfig config = {};
  config.version = 4;
  config.restricted = subnet_.restricted;
  config.in_enabled = true;
  config.vnetwork = subnet_.network;
  config.vnetmask.s_addr = htonl(~uint32_t(0) << (32 - subnet_.prefix));
  config.vhost = subnet_.gateway;
  config.vnameserver = subnet_.dns;
  // Unused (no DHCP), but libslirp wants one inside the network.
  config.vdhcp_start.s_addr = htonl(ntohl(subnet_.network.s_addr) + 15);
  config.in6_enabled = options_.enable_ipv6;
  ::inet_pton(AF_INET6, SlirpAddresses::kNetwork6, &config.vprefix_addr6);
  config.vprefix_len = SlirpAddresses::kPrefix6;
  ::inet_pton(AF_INET6, SlirpAddresses::kGateway6, &config.vhost6);
  ::inet_pton(AF_INET6, SlirpAddresses::kDns6, &config.vnameserver6);
  config.if_mtu = size_t(options_.mtu);
  config.if_mru = size_t(options_.mtu);
  // 10.0.2.2 is the host's loopback only when asked for: services bound to
  // the host's 127.0.0.1 trust that nobody from outside reaches them.
  config.disable_host_loopback = !options_.allow_host_loopback;
  config.enable_emu = false;
  config.disable_dhcp = true;  // tap0 is configured before the command runs
  slirp_ = lib_->make(&config, &kCallbacks, this);
  if (!slirp_) {
    failed_ = true;
    if (warn_) warn_("start the container's network: libslirp refused its configuration");
    return false;
  }
  if (tap_) frame_.reset(new char[kFrameRoom]);
  // libslirp's clock moves only in slirp_pollfds_poll: run it once now, or
  // the first UDP socket (the first DNS query) gets an expiry computed from
  // a clock of 0 and is dropped as expired before its answer comes back.
  lib_->pollfds_poll(slirp_, 1, [](int, void*) { return 0; }, this);
  return true;
}

void SlirpNetwork::send_frame(const void* buf, size_t len) {
  if (sink_) return sink_(buf, len);
  // A full queue drops the frame, as a busy link would: TCP resends it.
  (void)!::write(tap_.get(), buf, len);
}

SlirpNetwork::Timer* SlirpNetwork::new_timer(SlirpTimerId id, void* cb_opaque) {
  timers_.push_back(std::make_unique<Timer>(Timer{id, cb_opaque}));
  return timers_.back().get();
}

void SlirpNetwork::free_timer(Timer* timer) {
  std::erase_if(timers_, [&](const auto& t) { return t.get() == timer; });
}

int SlirpNetwork::add_slirp_fd(int fd, int events) {
  short want = 0;
  if (events & SLIRP_POLL_IN) want |= POLLIN;
  if (events & SLIRP_POLL_OUT) want |= POLLOUT;
  if (events & SLIRP_POLL_PRI) want |= POLLPRI;
  return int(filling_->add(fd, want));
}

int SlirpNetwork::slirp_revents(int index) const {
  short got = polled_->revents(size_t(index));
  int out = 0;
  if (got & POLLIN) out |= SLIRP_POLL_IN;
  if (got & POLLOUT) out |= SLIRP_POLL_OUT;
  if (got & POLLPRI) out |= SLIRP_POLL_PRI;
  if (got & POLLERR) out |= SLIRP_POLL_ERR;
  if (got & POLLHUP) out |= SLIRP_POLL_HUP;
  return out;
}

void SlirpNetwork::add_to(PollSet& set) {
  filled_ = false;
  if (!tap_ && !sink_) return;
  if (tap_) tap_index_ = set.add(tap_.get(), POLLIN);
  if (!slirp_) return;
  uint32_t timeout_ms = UINT32_MAX;
  filling_ = &set;
  lib_->pollfds_fill(
      slirp_, &timeout_ms,
      [](int fd, int events, void* opaque) { return self(opaque)->add_slirp_fd(fd, events); }, this);
  filling_ = nullptr;
  filled_ = true;
  auto now = PollSet::Clock::now();
  if (timeout_ms != UINT32_MAX) set.wake_by(now + std::chrono::milliseconds(timeout_ms));
  int64_t now_ms = monotonic_ns() / 1000000;
  for (const auto& t : timers_)
    if (t->expire_ms >= 0) set.wake_by(now + std::chrono::milliseconds(std::max<int64_t>(0, t->expire_ms - now_ms)));
}

void SlirpNetwork::read_frames() {
  for (int i = 0; i < kFramesPerRound; ++i) {
    ssize_t n = ::read(tap_.get(), frame_.get(), kFrameRoom);
    if (n <= 0) return;  // EAGAIN: the queue is empty
    lib_->input(slirp_, reinterpret_cast<const uint8_t*>(frame_.get()), int(n));
  }
}

void SlirpNetwork::run_timers() {
  int64_t now_ms = monotonic_ns() / 1000000;
  // A timer's callback may re-arm or free timers: fire one at a time.
  for (bool fired = true; fired;) {
    fired = false;
    for (const auto& t : timers_) {
      if (t->expire_ms < 0 || t->expire_ms > now_ms) continue;
      t->expire_ms = -1;
      lib_->handle_timer(slirp_, t->id, t->cb_opaque);
      fired = true;
      break;
    }
  }
}

void SlirpNetwork::handle(const PollSet& set) {
  if (sink_) return poll_stack(set);
  if (!tap_) return;
  short revents = set.revents(tap_index_);
  if ((revents & (POLLERR | POLLHUP | POLLNVAL)) && !(revents & POLLIN)) {
    tap_.reset();  // the container's namespace is gone
    return;
  }
  bool frames = revents & POLLIN;
  if (!slirp_ && frames && !failed_) start_stack();
  if (!slirp_) {
    // No stack (libslirp failed to load): the frames go nowhere.
    char sink[2048];
    if (frames)
      while (::read(tap_.get(), sink, sizeof sink) >= 0) {
      }
    return;
  }
  if (frames) read_frames();
  poll_stack(set);
}

void SlirpNetwork::poll_stack(const PollSet& set) {
  if (!slirp_) return;
  if (filled_) {
    polled_ = &set;
    lib_->pollfds_poll(
        slirp_, 0, [](int index, void* opaque) { return self(opaque)->slirp_revents(index); }, this);
    polled_ = nullptr;
    filled_ = false;
  }
  run_timers();
}

}  // namespace skiff
