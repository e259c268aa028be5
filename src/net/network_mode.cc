#include "net/network_mode.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace skiff {

namespace {

Result<bool> parse_bool_option(std::string_view key, std::string_view value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return make_error("invalid --network option `{}={}`: use true or false", key, value);
}

Status parse_slirp_options(std::string_view text, SlirpOptions& out) {
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    if (key == "allow_host_loopback") {
      out.allow_host_loopback = TRY(parse_bool_option(key, value));
    } else if (key == "enable_ipv6") {
      out.enable_ipv6 = TRY(parse_bool_option(key, value));
    } else if (key == "mtu") {
      int mtu = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), mtu);
      if (ec != std::errc() || end != value.data() + value.size() || mtu < 1280 || mtu > 65520)
        return make_error("invalid --network option `mtu={}`: use a number from 1280 to 65520", value);
      out.mtu = mtu;
    } else {
      return make_error("invalid --network option `{}`: slirp knows allow_host_loopback, enable_ipv6 and mtu",
                        item);
    }
  }
  return {};
}

}  // namespace

bool is_network_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

std::string NetworkMode::network_name() const {
  switch (kind) {
    case Kind::kSlirp:
      return "slirp";
    case Kind::kNone:
      return "none";
    case Kind::kHost:
      return "host";
    case Kind::kContainer:
      return "container:" + container;
    case Kind::kPasta:
      return "pasta";
    case Kind::kNetwork:
      return network;
  }
  return "";
}

Result<NetworkMode> parse_network_mode(std::string_view text) {
  NetworkMode mode;
  size_t colon = text.find(':');
  std::string_view name = text.substr(0, colon);
  std::string_view rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  bool has_rest = colon != std::string_view::npos;
  if (name.empty() || name == "slirp" || name == "default" || name == "bridge" || name == "slirp4netns") {
    mode.kind = NetworkMode::Kind::kSlirp;
    TRY(parse_slirp_options(rest, mode.slirp));
  } else if (name == "none" || name == "host") {
    if (has_rest) return make_error("invalid --network `{}`: {} takes no options", text, name);
    mode.kind = name == "none" ? NetworkMode::Kind::kNone : NetworkMode::Kind::kHost;
  } else if (name == "container") {
    if (rest.empty()) return make_error("invalid --network `{}`: name the container, as container:NAME", text);
    mode.kind = NetworkMode::Kind::kContainer;
    mode.container = std::string(rest);
  } else if (name == "pasta") {
    mode.kind = NetworkMode::Kind::kPasta;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      if (comma != 0) mode.pasta_args.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  } else if (!has_rest && is_network_name(name)) {
    mode.kind = NetworkMode::Kind::kNetwork;
    mode.network = std::string(name);
  } else {
    return make_error(
        "invalid --network `{}`: skiff knows slirp (the default), none, host, container:NAME, pasta and the "
        "names of networks (skiff network ls)",
        text);
  }
  return mode;
}

}  // namespace skiff
