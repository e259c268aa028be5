#include "engine/container_network.h"

#include <arpa/inet.h>

namespace skiff {

std::optional<TapConfig> container_tap_config(const NetworkMode& mode, const std::string& mac) {
  if (!mode.slirp_tap()) return std::nullopt;
  TapConfig tap;
  tap.mtu = mode.slirp.mtu;
  ::inet_pton(AF_INET, SlirpAddresses::kContainer, &tap.address);
  tap.prefix = SlirpAddresses::kPrefix;
  ::inet_pton(AF_INET, SlirpAddresses::kGateway, &tap.gateway);
  tap.ipv6 = mode.slirp.enable_ipv6;
  ::inet_pton(AF_INET6, SlirpAddresses::kContainer6, &tap.address6);
  tap.prefix6 = SlirpAddresses::kPrefix6;
  ::inet_pton(AF_INET6, SlirpAddresses::kGateway6, &tap.gateway6);
  if (!mac.empty()) tap.mac = parse_mac_address(mac);
  return tap;
}

Result<std::unique_ptr<ContainerNetwork>> ContainerNetwork::prepare(const Json& config,
                                                                    std::function<void(const std::string&)> warn) {
  const Json& host = config["HostConfig"];
  auto network = std::make_unique<ContainerNetwork>();
  network->mode_ = TRY(parse_network_mode(host.value("NetworkMode", "")));
  network->warn_ = std::move(warn);
  // Ports reach a namespace of the container's own; with the host's (or
  // another container's) they are discarded, as docker does.
  if (!network->mode_.own_namespace() || network->mode_.kind == NetworkMode::Kind::kNone) return network;
  std::vector<PortBinding> bindings = port_bindings_from_json(host.contains("PortBindings") ? host["PortBindings"] : Json());
  if (host.value("PublishAllPorts", false)) {
    std::vector<std::string> exposed;
    const Json& cc = config["Config"];
    if (cc.contains("ExposedPorts") && cc["ExposedPorts"].is_object())
      for (auto it = cc["ExposedPorts"].begin(); it != cc["ExposedPorts"].end(); ++it) exposed.push_back(it.key());
    for (auto& b : publish_all(exposed, bindings)) bindings.push_back(std::move(b));
  }
  if (!bindings.empty()) network->ports_ = TRY(PortForwarder::bind(bindings));
  return network;
}

Status ContainerNetwork::attach(LaunchedContainer& launched) {
  if (launched.tap) slirp_ = std::make_unique<SlirpNetwork>(std::move(launched.tap), mode_.slirp, warn_);
  if (ports_) {
    sockets_ = std::make_unique<NetnsSockets>(TRY(NetnsSockets::open(launched.process.pid())));
    // docker connects to the container's address (a service bound to its
    // 127.0.0.1 alone is not published); pasta's namespace has the host's
    // addresses, so there, loopback.
    sockaddr_in target = {};
    target.sin_family = AF_INET;
    ::inet_pton(AF_INET, mode_.slirp_tap() ? SlirpAddresses::kContainer : "127.0.0.1", &target.sin_addr);
    NetnsSockets* sockets = sockets_.get();
    ports_->attach([sockets](int family, int type) { return sockets->make_socket(family, type); }, target);
  }
  return {};
}

void ContainerNetwork::detach() {
  if (ports_) ports_->detach();
  sockets_.reset();
  slirp_.reset();
}

void ContainerNetwork::add_to(PollSet& set) {
  if (slirp_) slirp_->add_to(set);
  if (ports_) ports_->add_to(set);
}

void ContainerNetwork::handle(const PollSet& set) {
  if (slirp_) slirp_->handle(set);
  if (ports_) ports_->handle(set);
}

}  // namespace skiff
