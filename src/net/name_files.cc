#include "net/name_files.h"

#include <arpa/inet.h>

namespace skiff {

namespace {

const char kLocalHosts[] =
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, text.c_str(), buf) == 1 || ::inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool is_loopback_server(std::string_view address) {
  return address.starts_with("127.") || address == "::1";
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t end = text.find('\n');
    out.push_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  return out;
}

// The first word after `keyword` on a resolv.conf line, or "".
std::string_view value_after(std::string_view line, std::string_view keyword) {
  if (!line.starts_with(keyword) || line.size() == keyword.size() ||
      (line[keyword.size()] != ' ' && line[keyword.size()] != '\t'))
    return {};
  std::string_view rest = line.substr(keyword.size());
  size_t start = rest.find_first_not_of(" \t");
  return start == std::string_view::npos ? std::string_view() : rest.substr(start);
}

}  // namespace

Status check_dns_settings(const DnsSettings& dns) {
  for (const auto& server : dns.servers)
    if (!is_ip_address(server)) return make_error("invalid --dns `{}`: it must be an IP address", server);
  for (const auto& domain : dns.search)
    if (domain.empty() || domain.find_first_of(" \t\n") != std::string::npos)
      return make_error("invalid --dns-search `{}`: a domain name has no blanks", domain);
  for (const auto& option : dns.options)
    if (option.empty() || option.find_first_of(" \t\n") != std::string::npos)
      return make_error("invalid --dns-option `{}`: an option has no blanks", option);
  return {};
}

std::string container_resolv_conf(const NetworkMode& mode, const DnsSettings& dns, std::string_view host_resolv,
                                  std::string_view network_dns) {
  bool host_net = mode.kind == NetworkMode::Kind::kHost;
  std::string out;
  std::string host_search, host_options;
  std::vector<std::string> host_servers;
  for (std::string_view line : lines_of(host_resolv)) {
    if (auto v = value_after(line, "nameserver"); !v.empty()) {
      std::string server(v.substr(0, v.find_first_of(" \t")));
      // A loopback resolver is the host's own: unreachable from another namespace.
      if (host_net || !is_loopback_server(server)) host_servers.push_back(server);
    } else if (!value_after(line, "search").empty() || !value_after(line, "domain").empty()) {
      host_search = std::string(line);
    } else if (!value_after(line, "options").empty()) {
      host_options = std::string(line);
    }
  }
  std::vector<std::string> servers = dns.servers;
  if (mode.kind == NetworkMode::Kind::kNetwork) {
    servers.insert(servers.begin(), std::string(network_dns));
  } else if (servers.empty()) {
    if (mode.slirp_tap())
      servers.push_back(SlirpAddresses::kDns);
    else
      servers = host_servers;
  }
  if (!dns.search.empty()) {
    if (!(dns.search.size() == 1 && dns.search[0] == ".")) {
      out += "search";
      for (const auto& d : dns.search) out += " " + d;
      out += "\n";
    }
  } else if (!host_search.empty() && mode.kind != NetworkMode::Kind::kNetwork) {
    // (Not on a user-defined network: a container's name would be looked
    // up under the host's domains first, which may take the host's
    // resolvers' time to fail.)
    out += host_search + "\n";
  }
  for (const auto& s : servers) out += "nameserver " + s + "\n";
  if (!dns.options.empty()) {
    out += "options";
    for (const auto& o : dns.options) out += " " + o;
    out += "\n";
  } else if (!host_options.empty()) {
    out += host_options + "\n";
  }
  return out;
}

Result<std::string> parse_add_host(std::string_view text, const NetworkMode& mode, std::string_view gateway) {
  // docker: NAME:IP, where IP may hold colons (IPv6); also NAME=IP.
  size_t sep = text.find('=');
  if (sep == std::string_view::npos) sep = text.find(':');
  if (sep == std::string_view::npos || sep == 0 || sep + 1 == text.size())
    return make_error("invalid --add-host `{}`: use NAME:IP", text);
  std::string name(text.substr(0, sep));
  std::string ip(text.substr(sep + 1));
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (ip == "host-gateway") {
    if (mode.kind == NetworkMode::Kind::kHost)
      ip = "127.0.0.1";
    else if (mode.slirp_tap())
      ip = SlirpAddresses::kGateway;
    else if (mode.kind == NetworkMode::Kind::kNetwork)
      ip = std::string(gateway);
    else
      return make_error("invalid --add-host `{}`: host-gateway needs the slirp or host network", text);
  }
  if (!is_ip_address(ip)) return make_error("invalid --add-host `{}`: `{}` is not an IP address", text, ip);
  if (name.find_first_of(" \t\n") != std::string::npos)
    return make_error("invalid --add-host `{}`: a host name has no blanks", text);
  return ip + "\t" + name;
}

std::string container_hosts_file(const NetworkMode& mode, std::string_view hostname,
                                 const std::vector<std::string>& extra, std::string_view host_hosts) {
  std::string out;
  if (mode.kind == NetworkMode::Kind::kHost) {
    out = std::string(host_hosts);
    if (!out.empty() && out.back() != '\n') out += '\n';
  } else {
    out = kLocalHosts;
  }
  for (const auto& line : extra) out += line + "\n";
  if (mode.slirp_tap() && !hostname.empty()) out += std::string(SlirpAddresses::kContainer) + "\t" + std::string(hostname) + "\n";
  return out;
}

}  // namespace skiff
