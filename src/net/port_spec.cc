#include "net/port_spec.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace skiff {

namespace {

struct PortRange {
  uint16_t first = 0, last = 0;
  size_t size() const { return size_t(last - first) + 1; }
};

Result<uint16_t> parse_port_number(std::string_view text, std::string_view spec) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535)
    return make_error("invalid port `{}` in `{}`: ports are numbers from 1 to 65535", text, spec);
  if (value == 0) return make_error("invalid port `{}` in `{}`: ports are numbers from 1 to 65535", text, spec);
  return uint16_t(value);
}

Result<PortRange> parse_port_range(std::string_view text, std::string_view spec) {
  size_t dash = text.find('-');
  PortRange range;
  range.first = TRY(parse_port_number(text.substr(0, dash), spec));
  range.last = dash == std::string_view::npos ? range.first : TRY(parse_port_number(text.substr(dash + 1), spec));
  if (range.last < range.first) return make_error("invalid port range `{}` in `{}`: it ends before it starts", text, spec);
  return range;
}

Result<std::string> parse_protocol(std::string_view text, std::string_view spec) {
  if (text == "tcp" || text == "udp") return std::string(text);
  if (text == "sctp") return make_error("invalid protocol in `{}`: skiff publishes tcp and udp, not sctp", spec);
  return make_error("invalid protocol `{}` in `{}`: use tcp or udp", text, spec);
}

// Splits "IP:HOST:CTR" from the right: an IPv6 address is bracketed.
struct PublishParts {
  std::string_view ip, host, container;
  bool has_host = false;
};

Result<PublishParts> split_publish(std::string_view text) {
  PublishParts parts;
  size_t last = text.rfind(':');
  if (last == std::string_view::npos) {
    parts.container = text;
    return parts;
  }
  parts.container = text.substr(last + 1);
  std::string_view front = text.substr(0, last);
  parts.has_host = true;
  size_t second = front.rfind(':');
  if (front.starts_with('[')) {
    size_t close = front.find(']');
    if (close == std::string_view::npos || (close + 1 < front.size() && front[close + 1] != ':'))
      return make_error("invalid -p `{}`: an IPv6 address goes in brackets, as [::1]:8080:80", text);
    parts.ip = front.substr(1, close - 1);
    parts.host = close + 1 < front.size() ? front.substr(close + 2) : std::string_view();
    return parts;
  }
  if (second == std::string_view::npos) {
    parts.host = front;
  } else {
    parts.ip = front.substr(0, second);
    parts.host = front.substr(second + 1);
  }
  return parts;
}

}  // namespace

Result<std::vector<PortBinding>> parse_publish(std::string_view text) {
  std::string_view body = text;
  std::string protocol = "tcp";
  if (size_t slash = text.rfind('/'); slash != std::string_view::npos) {
    protocol = TRY(parse_protocol(text.substr(slash + 1), text));
    body = text.substr(0, slash);
  }
  PublishParts parts = TRY(split_publish(body));
  std::string ip(parts.ip);
  if (!ip.empty()) {
    unsigned char buf[16];
    if (::inet_pton(AF_INET, ip.c_str(), buf) != 1 && ::inet_pton(AF_INET6, ip.c_str(), buf) != 1)
      return make_error("invalid -p `{}`: `{}` is not an IP address", text, ip);
  }
  PortRange container = TRY(parse_port_range(parts.container, text));
  PortRange host{0, 0};
  bool any_host = parts.host.empty();
  if (!any_host) host = TRY(parse_port_range(parts.host, text));
  if (!any_host && container.size() > 1 && host.size() != container.size())
    return make_error("invalid -p `{}`: the host and container port ranges must be as long", text);

  std::vector<PortBinding> out;
  for (size_t i = 0; i < container.size(); ++i) {
    PortBinding b;
    b.container_port = uint16_t(container.first + i);
    b.protocol = protocol;
    b.host_ip = ip;
    if (!any_host) {
      if (container.size() > 1) {
        b.host_port_first = b.host_port_last = uint16_t(host.first + i);
      } else {
        b.host_port_first = host.first;
        b.host_port_last = host.last;
      }
    }
    out.push_back(std::move(b));
  }
  return out;
}

Result<std::vector<std::string>> parse_expose(std::string_view text) {
  std::string_view body = text;
  std::string protocol = "tcp";
  if (size_t slash = text.rfind('/'); slash != std::string_view::npos) {
    protocol = TRY(parse_protocol(text.substr(slash + 1), text));
    body = text.substr(0, slash);
  }
  PortRange range = TRY(parse_port_range(body, text));
  std::vector<std::string> out;
  for (unsigned p = range.first; p <= range.last; ++p) out.push_back(std::to_string(p) + "/" + protocol);
  return out;
}

Json port_bindings_json(const std::vector<PortBinding>& bindings) {
  if (bindings.empty()) return Json();
  Json out = Json::object();
  for (const auto& b : bindings) {
    std::string host_port;
    if (b.host_port_first != 0) {
      host_port = std::to_string(b.host_port_first);
      if (b.host_port_last != b.host_port_first) host_port += "-" + std::to_string(b.host_port_last);
    }
    out[b.key()].push_back({{"HostIp", b.host_ip}, {"HostPort", host_port}});
  }
  return out;
}

std::vector<PortBinding> port_bindings_from_json(const Json& port_bindings) {
  std::vector<PortBinding> out;
  if (!port_bindings.is_object()) return out;
  for (auto it = port_bindings.begin(); it != port_bindings.end(); ++it) {
    auto keys = parse_expose(it.key());
    if (!keys.ok() || keys->size() != 1 || !it->is_array()) continue;
    const std::string& key = keys->front();
    size_t slash = key.find('/');
    for (const auto& entry : *it) {
      if (!entry.is_object()) continue;
      PortBinding b;
      b.container_port = uint16_t(std::stoi(key.substr(0, slash)));
      b.protocol = key.substr(slash + 1);
      b.host_ip = entry.value("HostIp", "");
      std::string host_port = entry.value("HostPort", "");
      if (!host_port.empty()) {
        auto range = parse_port_range(host_port, host_port);
        if (!range.ok()) continue;
        b.host_port_first = range->first;
        b.host_port_last = range->last;
      }
      out.push_back(std::move(b));
    }
  }
  return out;
}

std::vector<PortBinding> publish_all(const std::vector<std::string>& exposed,
                                     const std::vector<PortBinding>& bound) {
  std::vector<PortBinding> out;
  for (const auto& key : exposed) {
    bool taken = std::any_of(bound.begin(), bound.end(), [&](const PortBinding& b) { return b.key() == key; });
    auto parsed = parse_expose(key);
    if (taken || !parsed.ok() || parsed->size() != 1) continue;
    size_t slash = key.find('/');
    PortBinding b;
    b.container_port = uint16_t(std::stoi(key.substr(0, slash)));
    b.protocol = key.substr(slash + 1);
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace skiff
