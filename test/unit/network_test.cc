// The network's pure parts (--network, -p, --expose, resolv.conf, hosts,
// ps's PORTS) and, on the real kernel, the port forwarder's TCP and UDP
// paths over loopback and tap0's set-up in a fresh network namespace.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <atomic>
#include <thread>

#include "base/poll_set.h"
#include "engine/container_ports.h"
#include "linux/child_process.h"
#include "linux/tap_device.h"
#include "net/dns_message.h"
#include "net/ipv4_subnet.h"
#include "net/name_files.h"
#include "net/network_mode.h"
#include "net/port_forwarder.h"
#include "net/port_spec.h"

using namespace skiff;

namespace {

std::string error_of(const Status& s) { return s.ok() ? "" : s.error().text(); }
template <typename T>
std::string error_of(const Result<T>& r) {
  return r.ok() ? "" : r.error().text();
}

}  // namespace

TEST_CASE("network modes as --network gives them") {
  auto slirp = parse_network_mode("");
  REQUIRE(slirp.ok());
  CHECK(slirp->kind == NetworkMode::Kind::kSlirp);
  CHECK(slirp->slirp.mtu == 65520);
  CHECK_FALSE(slirp->slirp.allow_host_loopback);
  CHECK(slirp->slirp.enable_ipv6);
  CHECK(slirp->own_namespace());
  CHECK(slirp->network_name() == "slirp");
  for (const char* alias : {"slirp", "default", "bridge", "slirp4netns"})
    CHECK(parse_network_mode(alias)->kind == NetworkMode::Kind::kSlirp);

  auto opts = parse_network_mode("slirp:allow_host_loopback=true,enable_ipv6=false,mtu=1500");
  REQUIRE(opts.ok());
  CHECK(opts->slirp.allow_host_loopback);
  CHECK_FALSE(opts->slirp.enable_ipv6);
  CHECK(opts->slirp.mtu == 1500);

  CHECK(parse_network_mode("none")->kind == NetworkMode::Kind::kNone);
  CHECK(parse_network_mode("none")->own_namespace());
  CHECK_FALSE(parse_network_mode("none")->slirp_tap());
  CHECK_FALSE(parse_network_mode("host")->own_namespace());
  auto other = parse_network_mode("container:web");
  REQUIRE(other.ok());
  CHECK(other->container == "web");
  CHECK_FALSE(other->own_namespace());
  CHECK(other->network_name() == "container:web");
  auto pasta = parse_network_mode("pasta:-T,8080");
  REQUIRE(pasta.ok());
  CHECK(pasta->pasta_args == std::vector<std::string>{"-T", "8080"});

  CHECK(error_of(parse_network_mode("bo/gus")).find("skiff knows slirp") != std::string::npos);
  CHECK(error_of(parse_network_mode("apps:x")).find("skiff knows slirp") != std::string::npos);
  auto user = parse_network_mode("apps-1.b_c");
  REQUIRE(user.ok());
  CHECK(user->kind == NetworkMode::Kind::kNetwork);
  CHECK(user->network_name() == "apps-1.b_c");
  CHECK(user->has_tap());
  CHECK_FALSE(user->slirp_tap());
  CHECK(user->own_namespace());
  CHECK(error_of(parse_network_mode("slirp:mtu=100")).find("1280 to 65520") != std::string::npos);
  CHECK(error_of(parse_network_mode("slirp:mtu=x")).find("mtu=x") != std::string::npos);
  CHECK(error_of(parse_network_mode("slirp:allow_host_loopback=yes")).find("true or false") != std::string::npos);
  CHECK(error_of(parse_network_mode("slirp:port_handler=x")).find("slirp knows") != std::string::npos);
  CHECK(error_of(parse_network_mode("none:x")).find("takes no options") != std::string::npos);
  CHECK(error_of(parse_network_mode("container:")).find("container:NAME") != std::string::npos);
}

TEST_CASE("publish values as docker parses them") {
  auto simple = parse_publish("8080:80");
  REQUIRE(simple.ok());
  REQUIRE(simple->size() == 1);
  CHECK((*simple)[0].container_port == 80);
  CHECK((*simple)[0].host_port_first == 8080);
  CHECK((*simple)[0].host_port_last == 8080);
  CHECK((*simple)[0].host_ip.empty());
  CHECK((*simple)[0].key() == "80/tcp");

  auto any = parse_publish("53/udp");
  REQUIRE(any.ok());
  CHECK((*any)[0].host_port_first == 0);
  CHECK((*any)[0].key() == "53/udp");

  auto ip = parse_publish("127.0.0.1::80");
  REQUIRE(ip.ok());
  CHECK((*ip)[0].host_ip == "127.0.0.1");
  CHECK((*ip)[0].host_port_first == 0);

  auto v6 = parse_publish("[::1]:8080:80/tcp");
  REQUIRE(v6.ok());
  CHECK((*v6)[0].host_ip == "::1");
  CHECK((*v6)[0].host_port_first == 8080);

  auto ranges = parse_publish("8000-8002:80-82");
  REQUIRE(ranges.ok());
  REQUIRE(ranges->size() == 3);
  CHECK((*ranges)[2].container_port == 82);
  CHECK((*ranges)[2].host_port_first == 8002);

  auto choose = parse_publish("9000-9010:80");
  REQUIRE(choose.ok());
  REQUIRE(choose->size() == 1);
  CHECK((*choose)[0].host_port_first == 9000);
  CHECK((*choose)[0].host_port_last == 9010);

  CHECK(error_of(parse_publish("abc")).find("invalid port `abc`") != std::string::npos);
  CHECK(error_of(parse_publish("70000")).find("1 to 65535") != std::string::npos);
  CHECK(error_of(parse_publish("0")).find("1 to 65535") != std::string::npos);
  CHECK(error_of(parse_publish("1-2:3-5")).find("as long") != std::string::npos);
  CHECK(error_of(parse_publish("80/sctp")).find("not sctp") != std::string::npos);
  CHECK(error_of(parse_publish("80/icmp")).find("tcp or udp") != std::string::npos);
  CHECK(error_of(parse_publish("5-3")).find("ends before it starts") != std::string::npos);
  CHECK(error_of(parse_publish("300.1.1.1:80:80")).find("not an IP address") != std::string::npos);
  CHECK(error_of(parse_publish("[::1:80:80")).find("brackets") != std::string::npos);

  auto expose = parse_expose("7000-7001/udp");
  REQUIRE(expose.ok());
  CHECK(*expose == std::vector<std::string>{"7000/udp", "7001/udp"});
  CHECK(error_of(parse_expose("x")).find("invalid port") != std::string::npos);
}

TEST_CASE("PortBindings round trip and publish all") {
  std::vector<PortBinding> bindings;
  for (const char* spec : {"8080:80", "127.0.0.1::53/udp", "9000-9010:81"}) {
    auto parsed = parse_publish(spec);
    REQUIRE(parsed.ok());
    for (auto& b : *parsed) bindings.push_back(b);
  }
  Json json = port_bindings_json(bindings);
  CHECK(json["80/tcp"][0]["HostPort"] == "8080");
  CHECK(json["53/udp"][0]["HostIp"] == "127.0.0.1");
  CHECK(json["53/udp"][0]["HostPort"] == "");
  CHECK(json["81/tcp"][0]["HostPort"] == "9000-9010");
  auto back = port_bindings_from_json(json);
  REQUIRE(back.size() == 3);
  for (const auto& b : back) {
    if (b.key() == "81/tcp") CHECK((b.host_port_first == 9000 && b.host_port_last == 9010));
    if (b.key() == "53/udp") CHECK(b.host_ip == "127.0.0.1");
  }
  CHECK(port_bindings_json({}).is_null());
  CHECK(port_bindings_from_json(Json()).empty());
  CHECK(port_bindings_from_json(Json{{"bad", Json::array({{{"HostPort", "1"}}})}}).empty());

  auto all = publish_all({"80/tcp", "443/tcp", "53/udp"}, bindings);
  REQUIRE(all.size() == 1);  // 80/tcp and 53/udp are bound already
  CHECK(all[0].key() == "443/tcp");
  CHECK(all[0].host_port_first == 0);
}

TEST_CASE("resolv.conf and hosts for each network") {
  std::string host_resolv =
      "# generated\nsearch example.org corp\nnameserver 127.0.0.53\nnameserver 192.0.2.1\noptions ndots:2\n";
  NetworkMode slirp = *parse_network_mode("slirp");
  CHECK(container_resolv_conf(slirp, {}, host_resolv) ==
        "search example.org corp\nnameserver 10.0.2.3\noptions ndots:2\n");
  NetworkMode none = *parse_network_mode("none");
  CHECK(container_resolv_conf(none, {}, host_resolv) == "search example.org corp\nnameserver 192.0.2.1\noptions ndots:2\n");
  NetworkMode host = *parse_network_mode("host");
  CHECK(container_resolv_conf(host, {}, host_resolv).find("nameserver 127.0.0.53\n") != std::string::npos);
  DnsSettings dns{{"192.0.2.9", "2001:db8::1"}, {"a.test"}, {"timeout:1", "rotate"}};
  CHECK(container_resolv_conf(slirp, dns, host_resolv) ==
        "search a.test\nnameserver 192.0.2.9\nnameserver 2001:db8::1\noptions timeout:1 rotate\n");
  CHECK(container_resolv_conf(slirp, DnsSettings{{}, {"."}, {}}, host_resolv).find("search") == std::string::npos);

  CHECK(error_of(check_dns_settings({{"dns.example"}, {}, {}})).find("must be an IP address") != std::string::npos);
  CHECK(error_of(check_dns_settings({{}, {"a b"}, {}})).find("no blanks") != std::string::npos);
  CHECK(check_dns_settings(dns).ok());

  CHECK(*parse_add_host("db:192.0.2.7", slirp) == "192.0.2.7\tdb");
  CHECK(*parse_add_host("db=2001:db8::7", slirp) == "2001:db8::7\tdb");
  CHECK(*parse_add_host("v6:[2001:db8::8]", slirp) == "2001:db8::8\tv6");
  CHECK(*parse_add_host("gw:host-gateway", slirp) == "10.0.2.2\tgw");
  CHECK(*parse_add_host("gw:host-gateway", host) == "127.0.0.1\tgw");
  CHECK(error_of(parse_add_host("gw:host-gateway", none)).find("host-gateway") != std::string::npos);
  CHECK(error_of(parse_add_host("nohost", slirp)).find("NAME:IP") != std::string::npos);
  CHECK(error_of(parse_add_host("db:not-an-ip", slirp)).find("not an IP address") != std::string::npos);

  std::string hosts = container_hosts_file(slirp, "box", {"192.0.2.7\tdb"}, "");
  CHECK(hosts.starts_with("127.0.0.1\tlocalhost\n"));
  CHECK(hosts.find("192.0.2.7\tdb\n") != std::string::npos);
  CHECK(hosts.ends_with("10.0.2.100\tbox\n"));
  CHECK(container_hosts_file(none, "box", {}, "").find("box") == std::string::npos);
  CHECK(container_hosts_file(host, "box", {}, "1.2.3.4 h") == "1.2.3.4 h\n");

  // A user-defined network: its resolver first, then --dns; not the
  // host's search domains; host-gateway is its gateway.
  NetworkMode user = *parse_network_mode("apps");
  CHECK(container_resolv_conf(user, {}, host_resolv, "10.89.0.254") == "nameserver 10.89.0.254\noptions ndots:2\n");
  CHECK(container_resolv_conf(user, DnsSettings{{"192.0.2.9"}, {"a.test"}, {}}, host_resolv, "10.89.0.254") ==
        "search a.test\nnameserver 10.89.0.254\nnameserver 192.0.2.9\noptions ndots:2\n");
  CHECK(*parse_add_host("gw:host-gateway", user, "10.89.0.1") == "10.89.0.1\tgw");
  CHECK(container_hosts_file(user, "box", {}, "").find("box") == std::string::npos);
}

TEST_CASE("a network's resolver address") {
  auto subnet = parse_ipv4_subnet("10.89.3.0/24");
  REQUIRE(subnet.ok());
  CHECK(ipv4_address_text(network_dns_address(*subnet, *parse_ipv4_address("10.89.3.1"))) == "10.89.3.254");
  CHECK(ipv4_address_text(network_dns_address(*subnet, *parse_ipv4_address("10.89.3.254"))) == "10.89.3.253");
  CHECK(ipv4_in_addr(*parse_ipv4_address("10.89.3.1")).s_addr == htonl(0x0a590301));
}

namespace {

// A standard query for NAME of TYPE, with ID 0xbeef and recursion desired.
std::vector<uint8_t> dns_query(const std::string& name, uint16_t type) {
  std::vector<uint8_t> m = {0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  for (size_t dot; start <= name.size(); start = dot + 1) {
    dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    m.push_back(uint8_t(dot - start));
    m.insert(m.end(), name.begin() + long(start), name.begin() + long(dot));
  }
  m.push_back(0);
  m.insert(m.end(), {uint8_t(type >> 8), uint8_t(type), 0, 1});
  return m;
}

}  // namespace

TEST_CASE("DNS: the switch reads one question and answers A records") {
  auto query = dns_query("Web.Apps", kDnsTypeA);
  auto q = parse_dns_query(query);
  REQUIRE(q);
  CHECK(q->name == "web.apps");
  CHECK(q->type == kDnsTypeA);
  CHECK(q->end == query.size());
  auto answer = dns_answer(query, *q, {0x0a590002, 0x0a590003}, 10);
  CHECK(answer[0] == 0xbe);
  CHECK(answer[1] == 0xef);
  CHECK((answer[2] & 0x80) != 0);  // a response
  CHECK((answer[2] & 0x04) != 0);  // authoritative
  CHECK((answer[2] & 0x01) != 0);  // recursion desired, echoed
  CHECK((answer[3] & 0x0f) == 0);  // no error
  CHECK(answer[7] == 2);
  REQUIRE(answer.size() == query.size() + 2 * 16);
  const uint8_t* first = answer.data() + query.size();
  CHECK(first[0] == 0xc0);
  CHECK(first[1] == 12);
  CHECK(first[11] == 4);
  CHECK(std::vector<uint8_t>(first + 12, first + 16) == std::vector<uint8_t>{10, 89, 0, 2});
  // AAAA for a known name: an answer with no records.
  auto aaaa = dns_query("web", 28);
  auto none = dns_answer(aaaa, *parse_dns_query(aaaa), {0x0a590002}, 10);
  CHECK(none.size() == aaaa.size());
  CHECK(none[7] == 0);

  // What it won't read: a response, two questions, a pointer, a cut name.
  auto response = query;
  response[2] |= 0x80;
  CHECK_FALSE(parse_dns_query(response));
  auto two = query;
  two[5] = 2;
  CHECK_FALSE(parse_dns_query(two));
  std::vector<uint8_t> pointer = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1};
  CHECK_FALSE(parse_dns_query(pointer));
  CHECK_FALSE(parse_dns_query(std::span<const uint8_t>(query.data(), query.size() - 3)));
  CHECK_FALSE(parse_dns_query(std::span<const uint8_t>(query.data(), 5)));
}

TEST_CASE("ps PORTS text") {
  Json ports = {{"8080/tcp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "18080"}}, {{"HostIp", "::"}, {"HostPort", "18080"}}}},
                {"53/udp", {{{"HostIp", "127.0.0.1"}, {"HostPort", "5353"}}}}};
  Json exposed = {{"8080/tcp", Json::object()}, {"443/tcp", Json::object()}};
  CHECK(display_ports(ports, exposed) ==
        "0.0.0.0:18080->8080/tcp, 127.0.0.1:5353->53/udp, 443/tcp, :::18080->8080/tcp");
  CHECK(display_ports(Json(), Json()).empty());

  // docker groups consecutive ports: 8000-8001->80-81, and exposed 90-92.
  Json ranged = {{"80/tcp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "8000"}}}},
                 {"81/tcp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "8001"}}}},
                 {"82/tcp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "9000"}}}},
                 {"83/udp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "9001"}}}}};
  Json exposed_range = {{"90/tcp", Json::object()}, {"91/tcp", Json::object()}, {"92/tcp", Json::object()},
                        {"80/tcp", Json::object()}};
  CHECK(display_ports(ranged, exposed_range) ==
        "0.0.0.0:8000-8001->80-81/tcp, 0.0.0.0:9000->82/tcp, 0.0.0.0:9001->83/udp, 90-92/tcp");
}

TEST_CASE("MAC addresses") {
  auto mac = parse_mac_address("92:d0:c6:0a:29:33");
  REQUIRE(mac);
  CHECK((*mac)[0] == 0x92);
  CHECK((*mac)[5] == 0x33);
  CHECK(parse_mac_address("92-D0-C6-0A-29-33"));
  CHECK_FALSE(parse_mac_address("92:d0:c6:0a:29"));
  CHECK_FALSE(parse_mac_address("zz:d0:c6:0a:29:33"));
  CHECK_FALSE(parse_mac_address("01:00:5e:00:00:01"));  // multicast
}

namespace {

// A loopback listener of `type` on a free port; its port in `port`.
UniqueFd loopback_listener(int type, uint16_t& port) {
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in sa = {};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  if (type == SOCK_STREAM) REQUIRE(::listen(fd.get(), 8) == 0);
  socklen_t len = sizeof sa;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  port = ntohs(sa.sin_port);
  return fd;
}

uint16_t bound_port(const PortForwarder& f, const std::string& key) {
  return uint16_t(std::stoi(f.ports_json()[key][0]["HostPort"].get<std::string>()));
}

// Serves `f` on this thread until `done` says stop.
void serve(PortForwarder& f, const std::function<bool()>& done) {
  PollSet set;
  for (int round = 0; round < 20000 && !done(); ++round) {
    set.clear();
    f.add_to(set);
    set.poll(5);
    f.handle(set);
  }
}

SocketMaker plain_sockets() {
  return [](int family, int type) -> Result<UniqueFd> {
    UniqueFd fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return errno_error("socket");
    return fd;
  };
}

}  // namespace

TEST_CASE("published TCP moves bytes both ways and passes a half close") {
  uint16_t target_port = 0;
  UniqueFd server = loopback_listener(SOCK_STREAM, target_port);
  std::vector<PortBinding> bindings = *parse_publish("127.0.0.1::" + std::to_string(target_port));
  auto forwarder = PortForwarder::bind(bindings);
  REQUIRE(forwarder.ok());
  uint16_t host_port = bound_port(**forwarder, std::to_string(target_port) + "/tcp");
  CHECK(host_port != 0);
  sockaddr_in target = {};
  target.sin_family = AF_INET;
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (*forwarder)->attach(plain_sockets(), target);

  // The server echoes 1 MiB back upper-cased after the client's half close.
  std::string payload(1 << 20, 'a');
  std::string echoed;
  std::thread peer([&] {
    UniqueFd c(::accept(server.get(), nullptr, nullptr));
    std::string got;
    char buf[65536];
    for (ssize_t n; (n = ::read(c.get(), buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
    for (auto& ch : got) ch = char(std::toupper(ch));
    for (size_t off = 0; off < got.size();) off += size_t(::write(c.get(), got.data() + off, got.size() - off));
  });
  std::atomic<bool> finished{false};
  std::thread client([&] {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in to = target;
    to.sin_port = htons(host_port);
    REQUIRE(::connect(s.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    for (size_t off = 0; off < payload.size();) off += size_t(::write(s.get(), payload.data() + off, payload.size() - off));
    ::shutdown(s.get(), SHUT_WR);
    char buf[65536];
    for (ssize_t n; (n = ::read(s.get(), buf, sizeof buf)) > 0;) echoed.append(buf, size_t(n));
    finished = true;
  });
  serve(**forwarder, [&] { return finished.load(); });
  client.join();
  peer.join();
  CHECK(echoed.size() == payload.size());
  CHECK(echoed == std::string(1 << 20, 'A'));

  // A connection to a port nothing listens on is reset, not left hanging.
  forwarder->reset();
  auto refused = PortForwarder::bind(*parse_publish("127.0.0.1::1"));
  REQUIRE(refused.ok());
  uint16_t refused_port = bound_port(**refused, "1/tcp");
  (*refused)->attach(plain_sockets(), target);
  std::atomic<bool> reset_seen{false};
  std::thread prober([&] {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in to = target;
    to.sin_port = htons(refused_port);
    REQUIRE(::connect(s.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    char c;
    ssize_t n = ::read(s.get(), &c, 1);
    reset_seen = n <= 0;
  });
  serve(**refused, [&] { return reset_seen.load(); });
  prober.join();
  CHECK(reset_seen);

  // The port is free again once the forwarder is gone.
  refused->reset();
  UniqueFd again(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa = target;
  sa.sin_port = htons(host_port);
  CHECK(::bind(again.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
}

TEST_CASE("published UDP keeps a flow per client") {
  uint16_t target_port = 0;
  UniqueFd echo = loopback_listener(SOCK_DGRAM, target_port);
  auto forwarder = PortForwarder::bind(*parse_publish("127.0.0.1::" + std::to_string(target_port) + "/udp"));
  REQUIRE(forwarder.ok());
  uint16_t host_port = bound_port(**forwarder, std::to_string(target_port) + "/udp");
  sockaddr_in target = {};
  target.sin_family = AF_INET;
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (*forwarder)->attach(plain_sockets(), target);

  std::thread echoer([&] {
    char buf[2048];
    for (int i = 0; i < 2; ++i) {
      sockaddr_in from = {};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(echo.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n > 0) ::sendto(echo.get(), buf, size_t(n), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  });
  std::string replies[2];
  std::atomic<int> done{0};
  std::thread clients([&] {
    UniqueFd a(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)), b(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in to = target;
    to.sin_port = htons(host_port);
    struct timeval tv = {5, 0};
    int i = 0;
    for (int fd : {a.get(), b.get()}) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string msg = "client" + std::to_string(i);
      ::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      char buf[64];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) replies[i].assign(buf, size_t(n));
      ++i;
    }
    done = 1;
  });
  serve(**forwarder, [&] { return done == 1; });
  clients.join();
  echoer.join();
  CHECK(replies[0] == "client0");
  CHECK(replies[1] == "client1");
}

TEST_CASE("a port in use or privileged fails with why") {
  uint16_t busy = 0;
  UniqueFd holder = loopback_listener(SOCK_STREAM, busy);
  std::string in_use = error_of(PortForwarder::bind(*parse_publish("127.0.0.1:" + std::to_string(busy) + ":80")));
  CHECK(in_use.find("already in use") != std::string::npos);
  CHECK(in_use.find("127.0.0.1:" + std::to_string(busy)) != std::string::npos);
  if (::geteuid() != 0 && unprivileged_port_start() > 80) {
    std::string privileged = error_of(PortForwarder::bind(*parse_publish("80:80")));
    CHECK(privileged.find("net.ipv4.ip_unprivileged_port_start") != std::string::npos);
  }
  CHECK(error_of(PortForwarder::bind(*parse_publish("192.0.2.123:18000:80"))).find("not an address of this host") !=
        std::string::npos);
}

TEST_CASE("tap0 in a fresh network namespace") {
  if (::geteuid() != 0) {
    WARN("needs root for a network namespace of its own");
    return;
  }
  auto child = ChildProcess::fork([] {
    if (::unshare(CLONE_NEWNET) != 0) return 2;
    auto tun = open_tun_device();
    if (!tun.ok()) return 3;
    TapConfig config;
    ::inet_pton(AF_INET, "10.0.2.100", &config.address);
    ::inet_pton(AF_INET, "10.0.2.2", &config.gateway);
    config.ipv6 = true;
    ::inet_pton(AF_INET6, "fd00::100", &config.address6);
    ::inet_pton(AF_INET6, "fd00::2", &config.gateway6);
    config.mac = parse_mac_address("92:d0:c6:0a:29:33");
    if (!configure_tap(tun->get(), config).ok()) return 4;
    // The address is usable at once (no DAD): a socket binds to it.
    UniqueFd s(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in6 sa = {};
    sa.sin6_family = AF_INET6;
    ::inet_pton(AF_INET6, "fd00::100", &sa.sin6_addr);
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return 5;
    UniqueFd s4(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in to = {};
    to.sin_family = AF_INET;
    to.sin_port = htons(53);
    ::inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);
    // The default route leads out through tap0 from 10.0.2.100.
    if (::connect(s4.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return 6;
    sockaddr_in local = {};
    socklen_t len = sizeof local;
    ::getsockname(s4.get(), reinterpret_cast<sockaddr*>(&local), &len);
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &local.sin_addr, text, sizeof text);
    if (std::string(text) != "10.0.2.100") return 7;
    return if_nametoindex("tap0") != 0 ? 0 : 8;
  });
  REQUIRE(child.ok());
  auto status = child->wait();
  REQUIRE(status.ok());
  CHECK(describe_wait_status(*status) == "exited with code 0");
}
