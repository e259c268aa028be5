// skiff port and ps's PORTS: a running container's published ports in
// docker's words. They come from its state's Ports, docker's
// NetworkSettings.Ports ({"80/tcp": [{"HostIp": "0.0.0.0", "HostPort":
// "8080"}]}), which the process running it records once they are bound.
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

/// ps's PORTS for a running container: "0.0.0.0:8080->80/tcp, :::8080->80/tcp"
/// for each bound port, and "443/tcp" for an exposed one (`exposed`,
/// Config.ExposedPorts) that is not; sorted as docker sorts them.
std::string display_ports(const Json& ports, const Json& exposed);

/// sortorder.NaturalLess as the docker CLI sorts with it: runs of digits
/// compare by value, everything else byte by byte.
bool natural_less(std::string_view a, std::string_view b);

}  // namespace skiff
