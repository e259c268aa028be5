#include "engine/network_daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <set>

#include "base/fs.h"
#include "base/lock.h"
#include "base/poll_set.h"
#include "base/unix_socket.h"
#include "linux/daemon.h"
#include "linux/tap_device.h"
#include "net/ipv4_subnet.h"
#include "net/network_switch.h"
#include "net/slirp_library.h"

namespace skiff {

namespace {

// A network process nobody joins (its starter died first) ends after this.
constexpr auto kUnjoinedLife = std::chrono::seconds(10);
// How long a joiner waits for the network process's answer.
constexpr int kAnswerWaitSeconds = 10;

std::string network_base_path(const Store& store, const std::string& id) {
  return store.runroot() + "/networks/" + id;
}

std::string mac_address_text(const std::array<uint8_t, 6>& mac) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

std::string lower(std::string text) {
  for (char& c : text) c = char(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The network's side of the protocol (see the header).
class NetworkProcess {
 public:
  NetworkProcess(const Store& store, const NetworkRecord& network, Ipv4Subnet subnet, uint32_t gateway,
                 UniqueFd listener)
      : network_(network),
        base_path_(network_base_path(store, network.id)),
        subnet_(subnet),
        gateway_(gateway),
        dns_(network_dns_address(subnet, gateway)),
        mtu_(network_mtu(network)),
        listener_(std::move(listener)),
        switch_(slirp_subnet(), SlirpOptions{.allow_host_loopback = false, .enable_ipv6 = false, .mtu = mtu_},
                nullptr) {}

  void run() {
    auto started = PollSet::Clock::now();
    bool joined_once = false;
    PollSet set;
    for (;;) {
      if (members_.empty() && (joined_once || PollSet::Clock::now() >= started + kUnjoinedLife) && try_end()) return;
      set.clear();
      size_t listen_index = set.add(listener_.get(), POLLIN);
      size_t polled = members_.size();
      for (const auto& m : members_) set.add(m.conn.get(), POLLIN);
      switch_.add_to(set);
      if (members_.empty()) set.wake_by(started + kUnjoinedLife);
      if (set.poll() < 0 && errno != EINTR) return;
      for (size_t i = 0; i < polled; ++i)
        if (set.revents(listen_index + 1 + i) && !serve(members_[i])) members_[i].gone = true;
      for (auto& m : members_)
        if (m.gone && m.port >= 0) switch_.remove(m.port);
      std::erase_if(members_, [](const Member& m) { return m.gone; });
      if (set.revents(listen_index) & POLLIN) accept_all();
      joined_once = joined_once || !members_.empty();
      switch_.handle(set);
    }
  }

 private:
  struct Member {
    UniqueFd conn;
    uint32_t ip = 0;  ///< 0 until joined
    std::array<uint8_t, 6> mac{};
    int port = -1;    ///< its switch port, once plugged
    EndpointRequest request;
    bool gone = false;
  };

  SlirpSubnet slirp_subnet() const {
    SlirpSubnet s;
    s.network = ipv4_in_addr(subnet_.network);
    s.prefix = subnet_.prefix;
    s.gateway = ipv4_in_addr(gateway_);
    s.dns = ipv4_in_addr(dns_);
    s.restricted = network_.internal;
    return s;
  }

  // Ends the process unless a joiner is on its way: under the joiners'
  // lock, with nobody waiting to be accepted, the socket goes.
  bool try_end() {
    auto lock = FileLock::acquire(base_path_ + ".lock");
    if (!lock.ok()) return true;
    pollfd waiting{listener_.get(), POLLIN, 0};
    if (::poll(&waiting, 1, 0) > 0) return false;
    ::unlink((base_path_ + ".sock").c_str());
    return true;  // the lock goes with the process
  }

  void accept_all() {
    for (;;) {
      UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn) return;
      members_.emplace_back().conn = std::move(conn);
    }
  }

  // One message from a member; false when it left.
  bool serve(Member& m) {
    char type = 0;
    std::string payload;
    UniqueFd passed;
    auto got = receive_message(m.conn.get(), type, payload, &passed);
    if (!got.ok() || !*got) return false;
    if (type == 'j' && m.ip == 0) {
      auto lease = join(m, payload);
      if (!lease.ok()) {
        (void)send_message(m.conn.get(), 'x', lease.error().text(), false);
        return false;
      }
      return send_message(m.conn.get(), 'l', lease->dump(), false).ok();
    }
    if (type == 't' && m.ip != 0 && m.port < 0 && passed) {
      SwitchPort port{std::move(passed), m.mac, m.ip, m.request.names, {}};
      for (const auto& [alias, name] : m.request.links) port.links[alias] = name;
      m.port = switch_.add(std::move(port));
    }
    return true;
  }

  Result<Json> join(Member& m, const std::string& payload) {
    // The way out: a network without it fails its joiners, saying why.
    TRY(slirp_library());
    Json request = Json::parse(payload, nullptr, false);
    if (!request.is_object()) return make_error("a malformed request");
    m.request.container = request.value("container", "");
    m.request.mac = request.value("mac", "");
    for (const auto& n : request.value("names", Json::array()))
      if (n.is_string()) m.request.names.push_back(lower(n.get<std::string>()));
    Json links = request.value("links", Json::object());
    for (const auto& [alias, name] : links.items())
      if (name.is_string()) m.request.links[lower(alias)] = lower(name.get<std::string>());
    std::set<uint32_t> taken = {subnet_.network, subnet_.broadcast(), gateway_, dns_};
    for (const auto& other : members_)
      if (other.ip) taken.insert(other.ip);
    std::string wanted = request.value("ip", "");
    if (!wanted.empty()) {
      auto ip = parse_ipv4_address(wanted);
      if (!ip || !subnet_.contains(*ip))
        return make_error("address {} is not in network {}'s subnet {}", wanted, network_.name, subnet_.text());
      if (taken.count(*ip)) return make_error("address {} is already in use on network {}", wanted, network_.name);
      m.ip = *ip;
    } else {
      for (uint32_t ip = subnet_.network + 1; ip < subnet_.broadcast(); ++ip)
        if (!taken.count(ip)) {
          m.ip = ip;
          break;
        }
      if (m.ip == 0) return make_error("network {} has no free address left in {}", network_.name, subnet_.text());
    }
    if (m.request.mac.empty()) {
      // docker's: 02:42 and the address's four bytes.
      m.mac = {0x02, 0x42, uint8_t(m.ip >> 24), uint8_t(m.ip >> 16), uint8_t(m.ip >> 8), uint8_t(m.ip)};
    } else if (auto mac = parse_mac_address(m.request.mac)) {
      m.mac = *mac;
    } else {
      return make_error("invalid MAC address `{}`", m.request.mac);
    }
    for (const auto& other : members_)
      if (&other != &m && other.ip && other.mac == m.mac)
        return make_error("MAC address {} is already in use on network {}", mac_address_text(m.mac), network_.name);
    return Json{{"ip", ipv4_address_text(m.ip)},
                {"mac", mac_address_text(m.mac)},
                {"prefix", subnet_.prefix},
                {"gateway", ipv4_address_text(gateway_)},
                {"dns", ipv4_address_text(dns_)},
                {"mtu", mtu_}};
  }

  NetworkRecord network_;
  std::string base_path_;
  Ipv4Subnet subnet_;
  uint32_t gateway_, dns_;
  int mtu_;
  UniqueFd listener_;
  std::vector<Member> members_;
  NetworkSwitch switch_;
};

}  // namespace

int network_mtu(const NetworkRecord& network) {
  const Json& options = network.record.contains("Options") ? network.record["Options"] : Json();
  if (options.is_object() && options.contains("com.docker.network.driver.mtu")) {
    int mtu = std::atoi(options["com.docker.network.driver.mtu"].get<std::string>().c_str());
    if (mtu >= 68 && mtu <= 65520) return mtu;
  }
  return 65520;
}

void network_process_main(int argc, char** argv) {
  if (argc != 6) ::_exit(kExitSkiffFailed);
  // A member gone mid-write is an error return, not the end of the network.
  ::signal(SIGPIPE, SIG_IGN);
  UniqueFd listener(std::atoi(argv[5]));
  auto store = Store::open(argv[2], argv[3]);
  if (!store.ok()) ::_exit(kExitSkiffFailed);
  auto network = find_network(*store, argv[4]);
  if (!network.ok()) ::_exit(kExitSkiffFailed);
  auto subnet = parse_ipv4_subnet(network->subnet);
  auto gateway = parse_ipv4_address(network->gateway);
  if (!subnet.ok() || !gateway) ::_exit(kExitSkiffFailed);
  ::fcntl(listener.get(), F_SETFD, FD_CLOEXEC);
  NetworkProcess(*store, *network, *subnet, *gateway, std::move(listener)).run();
  ::_exit(0);
}

Result<NetworkEndpoint> NetworkEndpoint::join(const Store& store, const NetworkRecord& network,
                                              const EndpointRequest& request) {
  TRY(make_directories(store.runroot() + "/networks", 0700));
  std::string base = network_base_path(store, network.id);
  UniqueFd conn;
  {
    FileLock lock = TRY(FileLock::acquire(base + ".lock"));
    auto reached = connect_unix(base + ".sock");
    if (reached.ok()) {
      conn = std::move(*reached);
    } else {
      // Nobody serves the network: start its process on a socket made
      // here, so that the connect below queues at once.
      UniqueFd listener = TRY(listen_unix(base + ".sock"));
      TRY(spawn_daemon({"skiff", kNetworkCommand, store.root(), store.runroot(), network.id,
                        std::to_string(listener.get())},
                       listener.get()));
      conn = TRY(connect_unix(base + ".sock"));
    }
  }
  timeval wait{kAnswerWaitSeconds, 0};
  ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  Json links = Json::object();
  for (const auto& [alias, name] : request.links) links[alias] = name;
  Json message = {{"container", request.container}, {"names", request.names}, {"links", links}, {"ip", request.ip},
                  {"mac", request.mac}};
  TRY(send_message(conn.get(), 'j', message.dump()));
  char type = 0;
  std::string payload;
  auto got = receive_message(conn.get(), type, payload);
  if (!got.ok() || !*got) return make_error("join network {}: its process did not answer", network.name);
  if (type == 'x') return make_error("join network {}: {}", network.name, payload);
  Json answer = Json::parse(payload, nullptr, false);
  if (type != 'l' || !answer.is_object()) return make_error("join network {}: a malformed answer", network.name);
  Lease lease{answer.value("ip", ""), answer.value("mac", ""), answer.value("prefix", 24), answer.value("gateway", ""), answer.value("dns", ""),
              answer.value("mtu", 65520)};
  return NetworkEndpoint(std::move(conn), std::move(lease));
}

Status NetworkEndpoint::plug(int tap) { return send_message_with_fd(conn_.get(), 't', "", tap); }

}  // namespace skiff
