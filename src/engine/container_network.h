// A container's network as the process that runs it (its monitor, or the
// foreground `skiff run`) serves it: the published ports, bound once before
// the first start and kept across restarts, and for each run the slirp loop
// over that run's tap0 and the forwarding into its network namespace.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/json.h"
#include "base/poll_set.h"
#include "engine/network_daemon.h"
#include "image/store.h"
#include "linux/container_launch.h"
#include "linux/netns_sockets.h"
#include "net/network_mode.h"
#include "net/port_forwarder.h"
#include "net/slirp_network.h"

namespace skiff {

class ContainerNetwork : public PollClient {
 public:
  /// Reads the container's network from its config and binds its published
  /// ports (HostConfig.PortBindings, and the exposed ports with
  /// PublishAllPorts). `warn` reports what goes wrong later, while running;
  /// without it (a detached container's monitor, whose stderr nobody
  /// reads) libslirp is loaded now, so that a missing library fails the start.
  /// A user-defined network must exist.
  static Result<std::unique_ptr<ContainerNetwork>> prepare(const Store& store, const Json& config,
                                                           std::function<void(const std::string&)> warn);

  /// Before a run's child makes its interfaces: on a user-defined network,
  /// joins it for this run and returns the lease as the child's launch
  /// payload needs it (see launch_payload); "" otherwise. Should the
  /// network's process end while the run lasts (killed), the poll loop
  /// joins the next one with the same address and plugs eth0 in again.
  Result<std::string> join();

  /// Before a run's command starts (`pid` is its cloned child, waiting):
  /// opens its network namespace for the published ports, and pasta
  /// attaches to it, writing its PID to `pid_file`.
  Status set_up(pid_t pid, const std::string& pid_file);

  /// A run started: serves `launched`'s tap (taken from it) and forwards
  /// the published ports into its namespace.
  Status attach(LaunchedContainer& launched);
  /// The run ended: its slirp stack and connections go; the ports stay bound.
  void detach();
  /// docker's NetworkSettings.Ports of what is bound; null when nothing is.
  Json ports() const { return ports_ ? ports_->ports_json() : Json(); }
  /// state "Networks" while a run lasts: {NAME: {NetworkID, IPAddress,
  /// IPPrefixLen, Gateway, MacAddress, Aliases}} on a user-defined network;
  /// null otherwise.
  Json endpoints() const;
  /// Whether there is anything to serve at all.
  bool empty() const { return !ports_ && !mode_.slirp_tap() && !endpoint_; }
  /// Whether this run's slirp stack was made (its first frame came).
  bool stack_started() const;

  void add_to(PollSet& set) override;
  void handle(const PollSet& set) override;

 private:
  NetworkMode mode_;
  const Store* store_ = nullptr;
  std::optional<NetworkRecord> network_;  ///< a user-defined network's
  EndpointRequest request_;
  std::optional<NetworkEndpoint> endpoint_;  ///< this run's place on it
  UniqueFd tap_;             ///< this run's eth0, to plug in again (rejoin)
  size_t endpoint_index_ = 0;  ///< this poll round's
  bool endpoint_polled_ = false;
  void rejoin();
  std::function<void(const std::string&)> warn_;
  std::unique_ptr<PortForwarder> ports_;
  std::unique_ptr<SlirpNetwork> slirp_;
  std::unique_ptr<NetnsSockets> sockets_;
  UniqueFd pasta_;  ///< pidfd of this run's pasta, killed when the run ends
};

/// The file a container's pasta writes its PID to (ContainerNetwork::set_up).
inline constexpr const char* kPastaPidFile = "pasta.pid";

/// Stops a pasta that a killed monitor left running (pasta outlives the
/// processes of the namespace it serves): the one whose PID `pid_file`
/// holds, if its command line still names `named_file` (so never a process
/// that got the PID since).
void stop_leftover_pasta(const std::string& pid_file, const std::string& named_file);

/// What a container's cloned child configures on its tap0, for `mode`
/// (nullopt without one); `mac` from --mac-address ("" for the kernel's).
/// On a user-defined network, eth0 from `lease` (ContainerNetwork::join's,
/// whose MAC is --mac-address's or made from the address).
std::optional<TapConfig> container_tap_config(const NetworkMode& mode, const std::string& mac,
                                              const std::string& lease = "");

}  // namespace skiff
