// IPv4 addresses and subnets as user-defined networks use them: parsed
// strictly (dotted quads, CIDR prefixes), compared and printed. Addresses
// are host-order integers, so a subnet's range is plain arithmetic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace skiff {

struct Ipv4Subnet {
  uint32_t network = 0;  ///< the first address, host order
  int prefix = 0;        ///< 0..32

  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t(0) << (32 - prefix); }
  uint32_t broadcast() const { return network | ~mask(); }
  bool contains(uint32_t address) const { return (address & mask()) == network; }
  /// Whether the two share any address (one holds the other's first one).
  bool overlaps(const Ipv4Subnet& other) const { return contains(other.network) || other.contains(network); }
  /// "10.89.0.0/24".
  std::string text() const;
};

/// A dotted quad ("10.89.0.1"), nothing else: no shorthand, no leading
/// zeros, no IPv6.
std::optional<uint32_t> parse_ipv4_address(std::string_view text);

/// "10.89.0.1" for a host-order address.
std::string ipv4_address_text(uint32_t address);

/// "A.B.C.D/N": an IPv4 address and a prefix of 0 to 32 bits whose host
/// bits are all zero. The errors name what is wrong ("it should be
/// 10.1.2.0/24" for an address inside the subnet).
Result<Ipv4Subnet> parse_ipv4_subnet(std::string_view cidr);

}  // namespace skiff
