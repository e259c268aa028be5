// A container's /etc/hosts and /etc/resolv.conf, written at create and bound
// into it: the same rules as docker's, with slirp's resolver at 10.0.2.3.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "net/network_mode.h"

namespace skiff {

struct DnsSettings {
  std::vector<std::string> servers;  ///< --dns (IPv4 or IPv6 addresses)
  std::vector<std::string> search;   ///< --dns-search ("." alone: no search domains)
  std::vector<std::string> options;  ///< --dns-option
};

/// Checks `--dns` values (addresses) and `--dns-search`/`--dns-option` (no blanks).
Status check_dns_settings(const DnsSettings& dns);

/// resolv.conf: `dns.servers`, else slirp's resolver for a slirp network,
/// else `host_resolv`'s name servers (its loopback ones only with the host's
/// network); search domains and options from `dns`, else from `host_resolv`.
/// On a user-defined network, its resolver `network_dns` (which answers the
/// names of its containers) comes first, then `dns.servers`.
std::string container_resolv_conf(const NetworkMode& mode, const DnsSettings& dns, std::string_view host_resolv,
                                  std::string_view network_dns = "");

/// One `--add-host NAME:IP` (or NAME=IP) as "IP\tNAME"; IP may be
/// `host-gateway` (the host as the container reaches it: slirp's gateway,
/// or a user-defined network's `gateway`).
Result<std::string> parse_add_host(std::string_view text, const NetworkMode& mode, std::string_view gateway = "");

/// /etc/hosts: the host's with the host's network; else localhost entries,
/// the container's own address with its hostname, then `extra` lines.
std::string container_hosts_file(const NetworkMode& mode, std::string_view hostname,
                                 const std::vector<std::string>& extra, std::string_view host_hosts);

}  // namespace skiff
