// What `--network` asks for, parsed once at create and again (from the
// record) at start. skiff's default is its built-in slirp: the container has
// its own network namespace with tap0, and the monitor moves its packets
// through libslirp (net/slirp_network.h).
//
//   slirp[:OPT=V,...]   (also "default", "bridge", "slirp4netns"): options
//                       allow_host_loopback=true|false (10.0.2.2 reaches the
//                       host's 127.0.0.1), enable_ipv6=true|false, mtu=N
//   none                only a loopback interface
//   host                the host's network namespace
//   container:NAME      another container's network namespace
//   pasta[:ARG,...]     passt's pasta, when installed, with its arguments
//   NAME                a user-defined network (engine/networks.h): eth0 on
//                       its switch, whose process serves every container on it
#pragma once

#include <netinet/in.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace skiff {

struct SlirpOptions {
  bool allow_host_loopback = false;
  bool enable_ipv6 = true;
  int mtu = 65520;
};

struct NetworkMode {
  enum class Kind { kSlirp, kNone, kHost, kContainer, kPasta, kNetwork };
  Kind kind = Kind::kSlirp;
  SlirpOptions slirp;
  std::string container;                ///< kContainer: the name or ID as given
  std::vector<std::string> pasta_args;  ///< kPasta: extra arguments
  std::string network;                  ///< kNetwork: the network's name as given

  /// Whether the container gets a network namespace of its own.
  bool own_namespace() const { return kind != Kind::kHost && kind != Kind::kContainer; }
  /// Whether it has tap0 and a slirp loop in its monitor.
  bool slirp_tap() const { return kind == Kind::kSlirp; }
  /// Whether its cloned child makes a tap device (tap0, or a network's eth0).
  bool has_tap() const { return kind == Kind::kSlirp || kind == Kind::kNetwork; }
  /// docker's name for it in NetworkSettings.Networks and `ps --filter network=`.
  std::string network_name() const;
};

/// Parses `--network` (see above); "" is the default. A bad option is an
/// error naming what skiff accepts; a name that could be a network's is
/// kNetwork (whether it exists is for the caller to find out).
Result<NetworkMode> parse_network_mode(std::string_view text);

/// docker's rule for network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool is_network_name(std::string_view name);

/// The slirp network's fixed addresses, as slirp4netns has them.
struct SlirpAddresses {
  static constexpr const char* kNetwork = "10.0.2.0";
  static constexpr int kPrefix = 24;
  static constexpr const char* kGateway = "10.0.2.2";  ///< the host, as libslirp presents it
  static constexpr const char* kDns = "10.0.2.3";      ///< forwarded to the host's resolvers
  static constexpr const char* kContainer = "10.0.2.100";
  static constexpr const char* kNetwork6 = "fd00::";
  static constexpr int kPrefix6 = 64;
  static constexpr const char* kGateway6 = "fd00::2";
  static constexpr const char* kDns6 = "fd00::3";
  static constexpr const char* kContainer6 = "fd00::100";
};

}  // namespace skiff
