#include "engine/container_ports.h"

#include <algorithm>
#include <charconv>
#include <tuple>

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

namespace {

// One line of ps's PORTS before grouping: a container port, published on
// a host address and port or only exposed (host_port 0).
struct PortItem {
  std::string ip;
  int host_port = 0;
  int port = 0;
  std::string proto;
};

int port_number(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() ? value : -1;
}

std::string range_text(int first, int last) {
  return first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

}  // namespace

std::string display_ports(const Json& ports, const Json& exposed) {
  std::vector<PortItem> items;
  auto add = [&](std::string_view key, std::string ip, int host_port) {
    size_t slash = key.find('/');
    int port = port_number(key.substr(0, slash));
    if (port < 0) return;
    items.push_back({std::move(ip), host_port, port, std::string(slash == std::string_view::npos ? "tcp" : key.substr(slash + 1))});
  };
  if (ports.is_object())
    for (const auto& [port, bindings] : ports.items()) {
      if (!bindings.is_array()) continue;
      for (const auto& b : bindings)
        if (b.is_object()) add(port, b.value("HostIp", ""), std::max(0, port_number(b.value("HostPort", ""))));
    }
  if (exposed.is_object())
    for (const auto& [port, unused] : exposed.items())
      if (!ports.is_object() || !ports.contains(port)) add(port, "", 0);
  std::sort(items.begin(), items.end(), [](const PortItem& a, const PortItem& b) {
    return std::tie(a.ip, a.proto, a.port, a.host_port) < std::tie(b.ip, b.proto, b.port, b.host_port);
  });
  // docker's grouping: consecutive container ports on consecutive host
  // ports of one address (or all only exposed) make one range.
  std::vector<std::string> lines;
  for (size_t i = 0; i < items.size();) {
    size_t j = i + 1;
    while (j < items.size() && items[j].ip == items[i].ip && items[j].proto == items[i].proto &&
           items[j].port == items[j - 1].port + 1 && (items[i].host_port == 0) == (items[j].host_port == 0) &&
           (items[j].host_port == 0 || items[j].host_port == items[j - 1].host_port + 1))
      ++j;
    const PortItem& first = items[i];
    const PortItem& last = items[j - 1];
    std::string ports_text = range_text(first.port, last.port) + "/" + first.proto;
    if (first.host_port == 0)
      lines.push_back(ports_text);
    else
      lines.push_back(first.ip + ":" + range_text(first.host_port, last.host_port) + "->" + ports_text);
    i = j;
  }
  sort_naturally(lines);
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : ", ") + line;
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
