// Per-registry certificates in podman's and docker's certs.d layout, in a
// folder named after the registry ("host:port"): every `*.crt` is a CA that
// registry's certificate may chain to, trusted besides the system's; a
// `*.cert` with the `*.key` of the same name is a client certificate shown
// to a registry that asks for one. A rootless user can't write /etc, so
// the folder under ~/.config counts too.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace skiff {

/// The folders looked in for `domain`, in order:
/// ${XDG_CONFIG_HOME:-~/.config}/containers/certs.d/DOMAIN,
/// /etc/containers/certs.d/DOMAIN, /etc/docker/certs.d/DOMAIN.
std::vector<std::string> certs_d_folders(std::string_view domain);

/// The `*.crt` files of those folders, concatenated (PEM), in name order;
/// "" when there are none. Unreadable files are skipped.
std::string registry_ca_certificates(std::string_view domain);

struct ClientCertificate {
  std::string certificate;  ///< PEM
  std::string key;          ///< PEM
};

/// The first `*.cert` of those folders (folder order, then name order) and
/// its `*.key`; nullopt when there is none. A `.cert` without its `.key`
/// (or unreadable) is an error, as in docker.
Result<std::optional<ClientCertificate>> registry_client_certificate(std::string_view domain);

}  // namespace skiff
