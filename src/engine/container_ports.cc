#include "engine/container_ports.h"

#include <algorithm>
#include <charconv>

namespace skiff {

namespace {

// net.JoinHostPort: IPv6 addresses in brackets; no address is every IPv4 one.
std::string host_port(const Json& binding) {
  std::string ip = binding.is_object() ? binding.value("HostIp", "") : "";
  std::string port = binding.is_object() ? binding.value("HostPort", "") : "";
  if (ip.empty()) ip = "0.0.0.0";
  if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
  return ip + ":" + port;
}

void sort_naturally(std::vector<std::string>& lines) {
  std::sort(lines.begin(), lines.end(),
            [](const std::string& a, const std::string& b) { return natural_less(a, b); });
}

}  // namespace

bool natural_less(std::string_view a, std::string_view b) {
  auto is_digit = [](char ch) { return ch >= '0' && ch <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      size_t i_end = i, j_end = j;
      while (i_end < a.size() && is_digit(a[i_end])) ++i_end;
      while (j_end < b.size() && is_digit(b[j_end])) ++j_end;
      // Compared as numbers without converting: leading zeros off, then
      // the longer run is the larger number, then digit by digit.
      std::string_view x = a.substr(i, i_end - i), y = b.substr(j, j_end - j);
      while (x.size() > 1 && x[0] == '0') x.remove_prefix(1);
      while (y.size() > 1 && y[0] == '0') y.remove_prefix(1);
      if (x.size() != y.size()) return x.size() < y.size();
      if (x != y) return x < y;
      i = i_end;
      j = j_end;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

std::vector<std::string> published_ports(const Json& port_bindings) {
  std::vector<std::string> out;
  if (!port_bindings.is_object()) return out;
  for (const auto& [port, bindings] : port_bindings.items()) {
    if (!bindings.is_array()) continue;
    for (const auto& binding : bindings) out.push_back(port + " -> " + host_port(binding));
  }
  sort_naturally(out);
  return out;
}

std::string display_ports(const Json& ports, const Json& exposed) {
  std::vector<std::string> items;
  if (ports.is_object())
    for (const auto& [port, bindings] : ports.items()) {
      if (!bindings.is_array()) continue;
      for (const auto& b : bindings) {
        if (!b.is_object()) continue;
        items.push_back(b.value("HostIp", "") + ":" + b.value("HostPort", "") + "->" + port);
      }
    }
  if (exposed.is_object())
    for (const auto& [port, unused] : exposed.items())
      if (!ports.is_object() || !ports.contains(port)) items.push_back(port);
  sort_naturally(items);
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

Result<std::vector<std::string>> published_addresses(const Json& port_bindings, std::string_view private_port,
                                                     std::string_view container_name) {
  std::string_view number = private_port.substr(0, private_port.find('/'));
  std::string_view proto = private_port.find('/') == std::string_view::npos
                               ? "tcp"
                               : private_port.substr(private_port.find('/') + 1);
  uint16_t value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size())
    return make_error("invalid port ({})", number);
  std::string key = std::string(number) + "/" + std::string(proto.empty() ? "tcp" : proto);
  std::vector<std::string> out;
  if (port_bindings.is_object() && port_bindings.contains(key) && port_bindings[key].is_array())
    for (const auto& binding : port_bindings[key]) out.push_back(host_port(binding));
  if (out.empty()) return make_error("No public port '{}' published for {}", private_port, container_name);
  sort_naturally(out);
  return out;
}

}  // namespace skiff
