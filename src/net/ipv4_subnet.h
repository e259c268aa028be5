// An IPv4 subnet in host byte order ("10.89.0.0/24"), and the addresses a
// user-defined network gives out in it.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace skiff {

/// "10.89.0.7" in host byte order; nullopt unless a dotted quad.
std::optional<uint32_t> parse_ipv4(std::string_view text);
/// The dotted quad of a host-order address.
std::string ipv4_text(uint32_t address);
/// A host-order address as an in_addr.
in_addr ipv4_in_addr(uint32_t address);

struct Ipv4Subnet {
  uint32_t base = 0;  ///< the network address
  int prefix = 24;

  /// "A.B.C.D/N": an error unless N is 0..32 and A.B.C.D is the network
  /// address itself.
  static Result<Ipv4Subnet> parse(std::string_view text);
  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t(0) << (32 - prefix); }
  uint32_t broadcast() const { return base | ~mask(); }
  bool contains(uint32_t address) const { return (address & mask()) == base; }
  bool overlaps(const Ipv4Subnet& other) const {
    return contains(other.base) || other.contains(base);
  }
  std::string text() const { return ipv4_text(base) + "/" + std::to_string(prefix); }
};

/// Where a network's containers ask for names: its last address before
/// the broadcast one that is not the gateway. libslirp forwards what the
/// switch doesn't answer there to the host's resolvers.
uint32_t network_dns_address(const Ipv4Subnet& subnet, uint32_t gateway);

}  // namespace skiff
