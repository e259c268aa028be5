// User-defined networks: records of docker's `network create` kind. A
// container on one gets an address of the network's subnet on eth0, and
// reaches the other containers on it by name through a switch process that
// lives while any of them runs (engine/network_daemon.h); the records here
// are what outlives it.
//
//   networks/<id>.json   docker's `network inspect` object, without
//                        Containers (those come from the containers' states)
//   networks/.lock       exclusive while a network is made or removed, so
//                        that names and subnets stay unique
//
// The built-in networks (slirp, host, none) have no record: `ls` and
// `inspect` show them, nothing can make, remove or connect to them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "base/lock.h"
#include "image/store.h"
#include "net/ipv4_subnet.h"

namespace skiff {

struct NetworkRecord {
  std::string id;       ///< 64 hex
  std::string name;
  std::string subnet;   ///< "10.89.0.0/24"
  std::string gateway;  ///< "10.89.0.1": the switch's address, and the containers' DNS server
  bool internal = false;  ///< --internal: no way out (libslirp's restricted mode)
  Json record;            ///< the whole inspect object as stored
};

struct NetworkCreateOptions {
  std::string name{};
  std::string driver = "bridge";       ///< only bridge
  std::string subnet{};                ///< "" picks the lowest free 10.89.N.0/24
  std::string gateway{};               ///< "" is the subnet's first address
  bool internal = false;
  bool ignore_existing = false;        ///< --ignore (podman): an existing one is returned
  std::vector<std::string> labels{};   ///< KEY=VALUE or KEY
  std::vector<std::string> options{};  ///< -o KEY=VALUE: only com.docker.network.driver.mtu
};

/// networks/.lock: exclusive while a network is made or removed; shared
/// while a container's record comes to name one (create, connect), so that
/// the network can't go between the check and the record.
Result<FileLock> lock_networks(const Store& store, FileLock::Mode mode);

/// The names of the built-in networks, which no record may take: slirp
/// (and its aliases default, bridge, slirp4netns), host, none, pasta.
bool is_builtin_network(std::string_view name);

/// docker's rule for network names, [a-zA-Z0-9][a-zA-Z0-9_.-]*, and none
/// of a built-in's (nor "container", which --network container:NAME takes).
Status check_network_name(std::string_view name);

/// --subnet: an IPv4 CIDR with a prefix of 16 to 29 bits, its address the
/// subnet's first, sharing no address with slirp's 10.0.2.0/24 or with a
/// subnet in `taken` (NAME → CIDR of the existing networks).
Result<Ipv4Subnet> check_network_subnet(std::string_view cidr,
                                        const std::vector<std::pair<std::string, Ipv4Subnet>>& taken);

/// The subnet of a network made without --subnet: the lowest 10.89.N.0/24
/// (N = 0..255) that overlaps none in `taken`.
Result<Ipv4Subnet> pick_network_subnet(const std::vector<std::pair<std::string, Ipv4Subnet>>& taken);

/// --gateway: an address inside `subnet` that is neither its first
/// (network) nor its last (broadcast) one; "" is the subnet's first host.
Result<std::string> check_network_gateway(const Ipv4Subnet& subnet, std::string_view gateway);

/// -o KEY=VALUE as the network's Options object: only
/// com.docker.network.driver.mtu, a number from 68 to 65520.
Result<Json> check_network_options(const std::vector<std::string>& options);

/// `network create`: checks the name (docker's [a-zA-Z0-9][a-zA-Z0-9_.-]*,
/// not a built-in's), the subnet (IPv4, a prefix of 16 to 29 bits, not
/// overlapping another network's or slirp's 10.0.2.0/24) and the gateway
/// (inside the subnet), and writes the record. "network with name N
/// already exists" when the name is taken.
Result<NetworkRecord> create_network(const Store& store, const NetworkCreateOptions& options);

/// One network by name, full ID or unique ID prefix: "network N not found".
/// Built-ins are not found here (they have no record).
Result<NetworkRecord> find_network(const Store& store, std::string_view name_or_id);

/// Every network with a record, sorted by name.
std::vector<NetworkRecord> list_networks(const Store& store);

/// The built-in network `name_or_id` names (slirp or an alias of it, host,
/// none; or an ID or ID prefix of theirs), as a record of the same shape:
/// drivers slirp, host and null, IDs the SHA-256 of their names.
std::optional<NetworkRecord> find_builtin_network(std::string_view name_or_id);

/// Whether `error` is find_network's "network N not found" (rather than an
/// ambiguous ID prefix or an unreadable record).
bool is_network_not_found(const Error& error);

/// docker's `network inspect` object: the record, with Containers filled
/// from the running containers' states (state "Networks"[name]); built-ins
/// get an object of the same shape.
Json inspect_network(const Store& store, const NetworkRecord& network);

/// The IDs of the containers (in any state) whose HostConfig.NetworkMode is
/// the network.
std::vector<std::string> network_users(const Store& store, const NetworkRecord& network);

/// `network ls` rows, built-ins included, sorted by name, with docker's
/// --format fields (CreatedAt, Driver, ID, IPv6, Internal, Labels, Name,
/// Scope; and the method Label "KEY"), after the filters name= (a part of
/// the name), id= (an ID prefix), driver=, label=KEY[=VALUE],
/// type=builtin|custom and dangling=true|false (custom and used by no
/// container). An unknown filter or value is an error.
Result<std::vector<Json>> list_network_rows(const Store& store, const std::vector<std::string>& filters);

/// `network prune`: removes the networks no container uses that match the
/// filters label=, label!= and until=TIME (created before it), and returns
/// their names in name order. A bad filter fails before `confirm` is asked;
/// when it says no, "network prune has been cancelled".
Result<std::vector<std::string>> prune_networks(const Store& store, const std::vector<std::string>& filters,
                                                const std::function<Result<bool>()>& confirm);

/// `network rm`: refused while a container uses it, or for a built-in.
Status remove_network(const Store& store, std::string_view name_or_id);

/// --ip on a network (create and `network connect`): "" or a host address
/// of its subnet that isn't its gateway.
Status check_endpoint_address(const NetworkRecord& network, const std::string& ip);

/// --link NAME[:ALIAS] (create and `network connect`): the target's name
/// and the alias it gets (the name when none is given).
struct LinkSpec {
  std::string target;
  std::string alias;
};
Result<LinkSpec> parse_link(std::string_view text);

/// `network connect` / `disconnect` of a container that is not running:
/// its record's HostConfig.NetworkMode, EndpointConfig (Aliases,
/// IPv4Address) and HostConfig.Links. A container is on one network at a
/// time: connecting one already on another user-defined network is an
/// error; disconnecting leaves it on "none", as docker does.
struct EndpointSettings {
  std::vector<std::string> aliases{};
  std::string ip{};                  ///< "" for the next free address at each start
  std::vector<std::string> links{};  ///< NAME[:ALIAS]
};
Status connect_container(const Store& store, std::string_view network, std::string_view container,
                         const EndpointSettings& settings);
Status disconnect_container(const Store& store, std::string_view network, std::string_view container, bool force);

}  // namespace skiff
