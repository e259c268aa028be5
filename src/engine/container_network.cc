#include "engine/container_network.h"

#include <arpa/inet.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fs.h"
#include "linux/helper_program.h"
#include "linux/probe.h"
#include "linux/process_info.h"
#include "net/ipv4_subnet.h"

namespace skiff {

namespace {

EndpointRequest endpoint_request(const Json& config) {
  EndpointRequest r;
  r.container = config.value("id", "");
  auto add = [&](const std::string& name) {
    if (!name.empty() && std::find(r.names.begin(), r.names.end(), name) == r.names.end()) r.names.push_back(name);
  };
  add(config.value("name", ""));
  add(r.container.substr(0, 12));
  add(config["Config"].value("Hostname", ""));
  const Json& endpoint = config.contains("EndpointConfig") ? config["EndpointConfig"] : Json();
  if (endpoint.is_object()) {
    for (const auto& alias : json_strings(endpoint.value("Aliases", Json()))) add(alias);
    r.ip = endpoint.value("IPv4Address", "");
  }
  // HostConfig.Links: NAME:ALIAS (the linked container's name, and what
  // this container calls it).
  for (const auto& link : json_strings(config["HostConfig"].value("Links", Json()))) {
    size_t colon = link.find(':');
    std::string name = link.substr(0, colon);
    r.links[colon == std::string::npos ? name : link.substr(colon + 1)] = name;
  }
  return r;
}

}  // namespace

std::optional<TapConfig> container_tap_config(const NetworkMode& mode, const std::string& mac,
                                              const std::string& lease) {
  if (mode.kind == NetworkMode::Kind::kNetwork) {
    Json l = Json::parse(lease, nullptr, false);
    if (!l.is_object()) return std::nullopt;
    TapConfig tap;
    tap.name = "eth0";
    tap.mtu = l.value("mtu", 65520);
    tap.address = ipv4_in_addr(parse_ipv4_address(l.value("ip", "")).value_or(0));
    tap.prefix = l.value("prefix", 24);
    tap.gateway = ipv4_in_addr(parse_ipv4_address(l.value("gateway", "")).value_or(0));
    tap.mac = parse_mac_address(l.value("mac", ""));
    return tap;
  }
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

Result<std::unique_ptr<ContainerNetwork>> ContainerNetwork::prepare(const Store& store, const Json& config,
                                                                    std::function<void(const std::string&)> warn) {
  const Json& host = config["HostConfig"];
  auto network = std::make_unique<ContainerNetwork>();
  network->mode_ = TRY(parse_network_mode(host.value("NetworkMode", "")));
  network->warn_ = std::move(warn);
  if (network->mode_.kind == NetworkMode::Kind::kNetwork) {
    network->store_ = &store;
    network->network_ = TRY(find_network(store, network->mode_.network));
    network->request_ = endpoint_request(config);
    network->request_.mac = config["Config"].value("MacAddress", "");
  }
  if (!network->warn_ && network->mode_.slirp_tap()) TRY(slirp_library());
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
  if (!bindings.empty()) {
    // A listener and, per connection, two sockets and two pipes: a range
    // of ports soon passes the usual soft limit of 1024 descriptors. Up to
    // the hard limit, as podman does (the container inherits it).
    struct rlimit files;
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
      files.rlim_cur = files.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &files);
    }
    network->ports_ = TRY(PortForwarder::bind(bindings));
  }
  return network;
}

namespace {

// The PID a pid file holds; 0 when it holds none.
pid_t pid_in_file(const std::string& path) {
  auto text = read_file(path, 64);
  return text.ok() ? pid_t(std::atoi(text->c_str())) : 0;
}

}  // namespace

Result<std::string> ContainerNetwork::join() {
  if (!network_) return std::string();
  endpoint_.reset();
  endpoint_ = TRY(NetworkEndpoint::join(*store_, *network_, request_));
  const Lease& l = endpoint_->lease();
  return Json{{"ip", l.ip}, {"mac", l.mac}, {"prefix", l.prefix}, {"gateway", l.gateway}, {"mtu", l.mtu}}.dump();
}

Json ContainerNetwork::endpoints() const {
  if (!network_ || !endpoint_) return nullptr;
  const Lease& l = endpoint_->lease();
  Json endpoint = {{"NetworkID", network_->id},
                   {"IPAddress", l.ip},
                   {"IPPrefixLen", l.prefix},
                   {"Gateway", l.gateway},
                   {"MacAddress", l.ip.empty() ? "" : l.mac},
                   {"Aliases", request_.names}};
  return Json{{network_->name, endpoint}};
}

Status ContainerNetwork::set_up(pid_t pid, const std::string& pid_file) {
  // The namespaces are opened while the child surely lives (it waits for
  // us): once its command runs, it may end before we look.
  if (ports_) sockets_ = std::make_unique<NetnsSockets>(TRY(NetnsSockets::open(pid)));
  if (mode_.kind != NetworkMode::Kind::kPasta) return {};
  std::string pasta = find_program("pasta");
  if (pasta.empty()) return make_error("start pasta: it is not installed (the passt package)");
  // pasta configures the namespace's interface as a copy of the host's
  // and goes to the background once it serves it; published ports are
  // ours (-t/-u none), so that every network publishes them the same way.
  std::vector<std::string> args = {pasta, "--config-net", "--quiet", "-t", "none", "-u", "none", "--pid", pid_file};
  args.insert(args.end(), mode_.pasta_args.begin(), mode_.pasta_args.end());
  args.push_back(std::to_string(pid));
  ::unlink(pid_file.c_str());
  TRY(run_helper_program(args));
  pid_t daemon = pid_in_file(pid_file);
  if (daemon <= 0) return make_error("start pasta: it wrote no PID to `{}`", pid_file);
  pasta_ = TRY(open_process(daemon, process_start_time(daemon)));
  return {};
}

void stop_leftover_pasta(const std::string& pid_file, const std::string& named_file) {
  pid_t pid = pid_in_file(pid_file);
  if (pid <= 0) return;
  auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline", 1 << 16);
  if (!cmdline.ok() || cmdline->find(std::string(1, '\0') + named_file + '\0') == std::string::npos) return;
  ::kill(pid, SIGTERM);
}

Status ContainerNetwork::attach(LaunchedContainer& launched) {
  if (endpoint_ && launched.tap) {
    TRY(endpoint_->plug(launched.tap.get()));
    tap_ = std::move(launched.tap);  // the network's process serves it; kept for a rejoin
  }
  if (launched.tap) slirp_ = std::make_unique<SlirpNetwork>(std::move(launched.tap), mode_.slirp, warn_);
  if (ports_ && sockets_) {
    // docker connects to the container's address (a service bound to its
    // 127.0.0.1 alone is not published); pasta's namespace has the host's
    // addresses, so there, loopback.
    sockaddr_in target = {};
    target.sin_family = AF_INET;
    if (endpoint_)
      target.sin_addr = ipv4_in_addr(parse_ipv4_address(endpoint_->lease().ip).value_or(0));
    else
      ::inet_pton(AF_INET, mode_.slirp_tap() ? SlirpAddresses::kContainer : "127.0.0.1", &target.sin_addr);
    NetnsSockets* sockets = sockets_.get();
    ports_->attach([sockets](int family, int type) { return sockets->make_socket(family, type); }, target);
  }
  return {};
}

bool ContainerNetwork::stack_started() const { return slirp_ && slirp_->started(); }

void ContainerNetwork::detach() {
  if (pasta_) {
    ::syscall(SYS_pidfd_send_signal, pasta_.get(), SIGTERM, nullptr, 0);
    pasta_.reset();
  }
  if (ports_) ports_->detach();
  sockets_.reset();
  slirp_.reset();
  endpoint_.reset();  // leaves the network
  tap_.reset();
}

void ContainerNetwork::rejoin() {
  // The same address and MAC: eth0 has them, and the others know them.
  EndpointRequest again = request_;
  again.ip = endpoint_->lease().ip;
  again.mac = endpoint_->lease().mac;
  endpoint_.reset();
  auto joined = NetworkEndpoint::join(*store_, *network_, again);
  Status plugged = joined.ok() ? joined->plug(tap_.get()) : Status(joined.error());
  if (!plugged.ok()) {
    if (warn_) warn_(plugged.error().text());
    tap_.reset();  // off the network for the rest of this run
    return;
  }
  endpoint_ = std::move(*joined);
}

void ContainerNetwork::add_to(PollSet& set) {
  if (slirp_) slirp_->add_to(set);
  if (ports_) ports_->add_to(set);
  endpoint_polled_ = endpoint_ && tap_;
  if (endpoint_polled_) endpoint_index_ = set.add(endpoint_->fd(), POLLIN);
}

void ContainerNetwork::handle(const PollSet& set) {
  if (slirp_) slirp_->handle(set);
  if (ports_) ports_->handle(set);
  if (endpoint_polled_ && set.revents(endpoint_index_)) rejoin();
}

}  // namespace skiff
