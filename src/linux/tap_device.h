// tap0, the container's end of the slirp network: made and configured in
// the container's network namespace by its cloned child (which holds
// CAP_NET_ADMIN there), then handed to the monitor, whose slirp loop reads
// and writes the ethernet frames.
#pragma once

#include <netinet/in.h>

#include <array>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace skiff {

struct TapConfig {
  std::string name = "tap0";
  int mtu = 65520;
  in_addr address{};  ///< with its prefix length
  int prefix = 24;
  in_addr gateway{};  ///< the default route
  bool ipv6 = false;
  in6_addr address6{};
  int prefix6 = 64;
  in6_addr gateway6{};
  std::optional<std::array<uint8_t, 6>> mac;  ///< --mac-address; else the kernel's random one
};

/// Opens /dev/net/tun. Call before pivot_root (the container's /dev has no
/// tun device); the tap itself is made by configure_tap.
Result<UniqueFd> open_tun_device();

/// Makes `config.name` on `tun` in this process's network namespace (it
/// needs CAP_NET_ADMIN there), sets its MTU and MAC, brings it up, adds its
/// addresses (IPv6 without duplicate address detection, so it is usable at
/// once) and the default routes. `tun` becomes the tap's frame queue,
/// non-blocking.
Status configure_tap(int tun, const TapConfig& config);

/// "02:42:ac:11:00:02" as six bytes; nullopt when malformed.
std::optional<std::array<uint8_t, 6>> parse_mac_address(std::string_view text);

}  // namespace skiff
