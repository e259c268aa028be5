// A user-defined network's ethernet: the taps of the containers on it
// (each one's eth0, handed over by its monitor) and one libslirp stack, the
// way out, joined by a switch. Each container's MAC and address are known
// (the network gave them); a frame from a container with any other source
// is dropped, so that no container can take another's traffic, or the way
// out's. Frames
// between containers go from one tap to the other; DNS queries to the
// network's resolver address for a container's name are answered here,
// others go on to libslirp.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/poll_set.h"
#include "base/unique_fd.h"
#include "net/slirp_network.h"

namespace skiff {

/// One container's port on the switch.
struct SwitchPort {
  UniqueFd tap;  ///< non-blocking
  std::array<uint8_t, 6> mac{};  ///< its eth0's, the only source taken from it
  uint32_t address = 0;  ///< its IPv4 address (host order)
  /// The names that resolve to it for every container on the network
  /// (lower case): its name, short ID, hostname and aliases.
  std::vector<std::string> names;
  /// Names that resolve only for this container (--link ALIAS → NAME).
  std::map<std::string, std::string> links;
};

class NetworkSwitch : public PollClient {
 public:
  /// `subnet.dns` is where the switch answers names.
  NetworkSwitch(SlirpSubnet subnet, SlirpOptions options, std::function<void(const std::string&)> warn);
  NetworkSwitch(const NetworkSwitch&) = delete;
  NetworkSwitch& operator=(const NetworkSwitch&) = delete;

  /// Plugs a port in (its MAC must be no other port's); returns its key
  /// for remove().
  int add(SwitchPort port);
  /// Unplugs a port (its tap closes).
  void remove(int key);

  void add_to(PollSet& set) override;
  void handle(const PollSet& set) override;

  /// The addresses `name` resolves to for the container on port `from`.
  std::vector<uint32_t> resolve(const std::string& name, int from) const;

 private:
  static constexpr int kStack = -1;  ///< libslirp's side, as a port key
  void read_port(int key);
  void deliver(const uint8_t* frame, size_t len, int from);
  void send_to(int key, const uint8_t* frame, size_t len);
  bool answer_dns(const uint8_t* frame, size_t len, int from);
  /// Whether a frame from `port` comes from its own MAC and address.
  static bool genuine(const uint8_t* frame, size_t len, const SwitchPort& port);

  SlirpSubnet subnet_;
  std::map<int, SwitchPort> ports_;
  std::map<int, size_t> poll_index_;  ///< this round's
  std::unordered_map<uint64_t, int> macs_;  ///< a MAC's port: the ports' own, and the stack's, learnt
  int next_key_ = 0;
  std::unique_ptr<char[]> frame_;
  std::unique_ptr<SlirpNetwork> stack_;
};

}  // namespace skiff
