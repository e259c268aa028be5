// Per-registry CA certificates in podman's and docker's certs.d layout:
// every `*.crt` in a folder named after the registry ("host:port") is a CA
// that registry's certificate may chain to, trusted besides the system's.
// A rootless user can't write /etc, so the folder under ~/.config counts too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace skiff {

/// The folders looked in for `domain`, in order:
/// ${XDG_CONFIG_HOME:-~/.config}/containers/certs.d/DOMAIN,
/// /etc/containers/certs.d/DOMAIN, /etc/docker/certs.d/DOMAIN.
std::vector<std::string> certs_d_folders(std::string_view domain);

/// The `*.crt` files of those folders, concatenated (PEM), in name order;
/// "" when there are none. Unreadable files are skipped.
std::string registry_ca_certificates(std::string_view domain);

}  // namespace skiff
