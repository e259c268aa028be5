// `-p`/`--publish` and `--expose` as docker parses them, and the records
// docker keeps of them: Config.ExposedPorts {"80/tcp": {}} and
// HostConfig.PortBindings {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}.
//
//   -p [IP:][HOST_PORT:]CONTAINER_PORT[/tcp|/udp]
//   IP is IPv4 or [IPv6]; HOST_PORT may be empty (any free port); either
//   port may be a range A-B. Ranges on both sides must be as long; a host
//   range with one container port takes the first free port of the range.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace skiff {

/// One published port: a container port and where the host listens for it.
struct PortBinding {
  uint16_t container_port = 0;
  std::string protocol = "tcp";  ///< tcp or udp
  std::string host_ip;           ///< "" for every address
  uint16_t host_port_first = 0;  ///< 0: any free port
  uint16_t host_port_last = 0;   ///< == first unless a range to choose from

  /// "80/tcp": the key docker files it under.
  std::string key() const { return std::to_string(container_port) + "/" + protocol; }
};

/// Parses one -p value into its bindings (one per container port of a range).
Result<std::vector<PortBinding>> parse_publish(std::string_view text);

/// Parses one --expose value (PORT[/PROTO] or a range) into "80/tcp" keys.
Result<std::vector<std::string>> parse_expose(std::string_view text);

/// docker's HostConfig.PortBindings for `bindings` (null when empty).
Json port_bindings_json(const std::vector<PortBinding>& bindings);

/// The bindings recorded in a HostConfig.PortBindings object; entries that
/// don't parse are skipped (create checked them).
std::vector<PortBinding> port_bindings_from_json(const Json& port_bindings);

/// -P: a binding to any free host port for each of `exposed` ("80/tcp")
/// not bound already.
std::vector<PortBinding> publish_all(const std::vector<std::string>& exposed,
                                     const std::vector<PortBinding>& bound);

}  // namespace skiff
