// skiff port: a container's published ports in docker's words. They come
// from HostConfig.PortBindings ({"80/tcp": [{"HostIp": "", "HostPort":
// "8080"}]}), which `-p` will fill; until it does, every container has none.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace skiff {

/// docker port without a port: "80/tcp -> 0.0.0.0:8080" per binding, in
/// natural order (numbers compared as numbers); none when `port_bindings`
/// is null or empty.
std::vector<std::string> published_ports(const Json& port_bindings);

/// docker port CONTAINER PRIVATE_PORT[/PROTO] (tcp when no protocol is
/// given): "0.0.0.0:8080" per binding. "No public port '80' published for
/// NAME" (the port and NAME as given) when it has none, "invalid port (X)"
/// when PRIVATE_PORT is not a port number.
Result<std::vector<std::string>> published_addresses(const Json& port_bindings, std::string_view private_port,
                                                     std::string_view container_name);

/// sortorder.NaturalLess as the docker CLI sorts with it: runs of digits
/// compare by value, everything else byte by byte.
bool natural_less(std::string_view a, std::string_view b);

}  // namespace skiff
