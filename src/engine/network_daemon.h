// The process of a user-defined network (engine/networks.h) while
// containers are on it: `skiff __network ROOT RUNROOT ID LISTEN_FD`. It runs
// the network's switch and its one libslirp stack (net/network_switch.h),
// gives out addresses, and ends when its last container leaves: no daemon
// outlives its containers.
//
// The first container to join starts it, under <runroot>/networks/<id>.lock
// (which the process also takes to end, so that a joiner either reaches a
// live process or starts the next one). Its socket,
// <runroot>/networks/<id>.sock (SOCK_SEQPACKET, base/unix_socket.h):
//   client -> network  'j' JSON    join: {"container", "names", "links", "ip", "mac"}
//   network -> client  'l' JSON    the lease: {"ip", "mac", "prefix", "gateway", "dns", "mtu"}
//                      'x' TEXT    why not
//   client -> network  't'         the container's eth0 (SCM_RIGHTS)
// The connection is the membership: when it closes (the container ended,
// or its monitor died), the address is free again.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "base/unique_fd.h"
#include "engine/networks.h"
#include "image/store.h"

namespace skiff {

/// The network process's entry (main.cc hands it argv). Never returns.
[[noreturn]] void network_process_main(int argc, char** argv);
inline constexpr const char* kNetworkCommand = "__network";

/// What a container asks of a network when it joins.
struct EndpointRequest {
  std::string container;            ///< its ID
  std::vector<std::string> names;   ///< what resolves to it: name, short ID, hostname, aliases
  std::map<std::string, std::string> links;  ///< --link: alias → the linked container's name
  std::string ip;                   ///< requested (--ip), or "" for the next free one
  std::string mac;                  ///< requested (--mac-address), or "" for docker's 02:42 + the address
};

/// What it got.
struct Lease {
  std::string ip;
  std::string mac;  ///< the only source address the switch takes from the container
  int prefix = 24;
  std::string gateway;
  std::string dns;
  int mtu = 65520;
};

/// A container's membership of a network, for as long as this lives.
class NetworkEndpoint {
 public:
  /// Joins `network`, starting its process if none runs.
  static Result<NetworkEndpoint> join(const Store& store, const NetworkRecord& network, const EndpointRequest& request);
  const Lease& lease() const { return lease_; }
  /// Plugs the container's eth0 into the switch.
  Status plug(int tap);
  /// The connection: readable only when the network's process is gone.
  int fd() const { return conn_.get(); }

 private:
  NetworkEndpoint(UniqueFd conn, Lease lease) : conn_(std::move(conn)), lease_(std::move(lease)) {}
  UniqueFd conn_;
  Lease lease_;
};

/// The MTU a network's record asks for (its com.docker.network.driver.mtu
/// option), else 65520.
int network_mtu(const NetworkRecord& network);

}  // namespace skiff
