#include "net/ipv4_subnet.h"

#include <charconv>

namespace skiff {

namespace {

// A decimal number of at most `max`, without sign or leading zeros.
std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 3 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

}  // namespace

std::string Ipv4Subnet::text() const { return ipv4_address_text(network) + "/" + std::to_string(prefix); }

std::optional<uint32_t> parse_ipv4_address(std::string_view text) {
  uint32_t address = 0;
  for (int part = 0; part < 4; ++part) {
    size_t dot = text.find('.');
    if ((part < 3) != (dot != std::string_view::npos)) return std::nullopt;
    auto octet = parse_decimal(text.substr(0, dot), 255);
    if (!octet) return std::nullopt;
    address = (address << 8) | *octet;
    text = part < 3 ? text.substr(dot + 1) : std::string_view();
  }
  return address;
}

std::string ipv4_address_text(uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

Result<Ipv4Subnet> parse_ipv4_subnet(std::string_view cidr) {
  size_t slash = cidr.find('/');
  auto address = parse_ipv4_address(cidr.substr(0, slash));
  auto prefix = slash == std::string_view::npos ? std::nullopt : parse_decimal(cidr.substr(slash + 1), 32);
  if (!address || !prefix)
    return make_error("invalid subnet \"{}\": expected an IPv4 address and prefix length, like 10.89.5.0/24",
                      cidr);
  Ipv4Subnet subnet{*address, int(*prefix)};
  subnet.network &= subnet.mask();
  if (subnet.network != *address)
    return make_error("invalid subnet \"{}\": it should be {}", cidr, subnet.text());
  return subnet;
}

}  // namespace skiff
