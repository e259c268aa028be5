#include "net/ipv4_subnet.h"

#include <arpa/inet.h>

#include <charconv>

namespace skiff {

std::optional<uint32_t> parse_ipv4(std::string_view text) {
  in_addr address;
  if (text.size() > 15 || ::inet_pton(AF_INET, std::string(text).c_str(), &address) != 1) return std::nullopt;
  return ntohl(address.s_addr);
}

std::string ipv4_text(uint32_t address) {
  char out[INET_ADDRSTRLEN];
  in_addr a = ipv4_in_addr(address);
  ::inet_ntop(AF_INET, &a, out, sizeof out);
  return out;
}

in_addr ipv4_in_addr(uint32_t address) {
  in_addr a;
  a.s_addr = htonl(address);
  return a;
}

Result<Ipv4Subnet> Ipv4Subnet::parse(std::string_view text) {
  size_t slash = text.find('/');
  auto address = parse_ipv4(text.substr(0, slash));
  int prefix = -1;
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc() || end != digits.data() + digits.size()) prefix = -1;
  }
  if (!address || prefix < 0 || prefix > 32)
    return make_error("invalid subnet `{}`: use an IPv4 network as A.B.C.D/N", text);
  Ipv4Subnet subnet{*address, prefix};
  if ((*address & subnet.mask()) != *address)
    return make_error("invalid subnet `{}`: its network address is {}", text, ipv4_text(*address & subnet.mask()));
  return subnet;
}

uint32_t network_dns_address(const Ipv4Subnet& subnet, uint32_t gateway) {
  uint32_t dns = subnet.broadcast() - 1;
  return dns == gateway ? dns - 1 : dns;
}

}  // namespace skiff
