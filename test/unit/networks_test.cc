// User-defined networks: names, subnets, gateways and options as `network
// create` checks them, and the records in a store (create, find, list,
// filter, remove, prune), concurrent creators included.
#include <set>
#include <thread>

#include "base/sha256.h"
#include "engine/networks.h"
#include "net/ipv4_subnet.h"
#include "template/go_template.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::TempDir;

namespace {

std::string error_of(const Status& s) { return s.ok() ? "" : s.error().text(); }
template <typename T>
std::string error_of(const Result<T>& r) {
  return r.ok() ? "" : r.error().text();
}

using Taken = std::vector<std::pair<std::string, Ipv4Subnet>>;

Ipv4Subnet subnet(std::string_view cidr) { return *parse_ipv4_subnet(cidr); }

std::vector<std::string> names_of(const std::vector<Json>& rows) {
  std::vector<std::string> out;
  for (const auto& row : rows) out.push_back(row["Name"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("IPv4 addresses and subnets parse strictly", "[networks]") {
  CHECK(parse_ipv4_address("10.89.0.1") == 0x0a590001u);
  CHECK(parse_ipv4_address("255.255.255.255") == 0xffffffffu);
  for (std::string_view bad : {"", "10.89.0", "10.89.0.1.2", "10.89.0.256", "10.089.0.1", "10..0.1",
                               " 10.0.0.1", "10.0.0.1 ", "::1", "10.0.0.-1", "a.b.c.d"})
    CHECK_FALSE(parse_ipv4_address(bad));
  CHECK(ipv4_address_text(0x0a590001u) == "10.89.0.1");

  CHECK(subnet("10.89.0.0/24").text() == "10.89.0.0/24");
  CHECK(subnet("10.89.0.0/24").broadcast() == 0x0a5900ffu);
  CHECK(subnet("0.0.0.0/0").contains(0x01020304u));
  CHECK(error_of(parse_ipv4_subnet("10.1.2.3/24")) ==
        "invalid subnet \"10.1.2.3/24\": it should be 10.1.2.0/24");
  for (std::string_view bad :
       {"10.1.2.0", "10.1.2.0/", "10.1.2.0/33", "10.1.2.0/024", "fd00::/64", "10.1.2/24"})
    CHECK(error_of(parse_ipv4_subnet(bad)).find("expected an IPv4 address and prefix length") !=
          std::string::npos);

  CHECK(subnet("10.89.0.0/16").overlaps(subnet("10.89.5.0/24")));
  CHECK(subnet("10.89.5.0/24").overlaps(subnet("10.89.0.0/16")));
  CHECK_FALSE(subnet("10.89.0.0/24").overlaps(subnet("10.89.1.0/24")));
  CHECK_FALSE(subnet("10.89.0.0/25").overlaps(subnet("10.89.0.128/25")));
}

TEST_CASE("network names follow docker's rule and leave the built-ins alone", "[networks]") {
  for (std::string_view good : {"a", "A1", "web_net.1-x", "0", "my.net"})
    CHECK(check_network_name(good).ok());
  for (std::string_view bad : {"", "-a", ".a", "_a", "a/b", "a b", "a:b", "ä", "../x"})
    CHECK(error_of(check_network_name(bad)) ==
          fmt::format("invalid network name \"{}\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", bad));
  for (std::string_view builtin : {"slirp", "default", "bridge", "slirp4netns", "host", "none", "pasta"}) {
    CHECK(is_builtin_network(builtin));
    CHECK(error_of(check_network_name(builtin)) ==
          fmt::format("{} is a pre-defined network and cannot be created", builtin));
  }
  CHECK_FALSE(is_builtin_network("Host"));
  CHECK(error_of(check_network_name("container")).find("reserved") != std::string::npos);
}

TEST_CASE("subnets: prefix range, network address, no overlap, the lowest free default", "[networks]") {
  CHECK(check_network_subnet("10.90.0.0/16", {}).ok());
  CHECK(check_network_subnet("192.168.7.8/29", {}).ok());
  CHECK(error_of(check_network_subnet("10.0.0.0/8", {})) ==
        "invalid subnet \"10.0.0.0/8\": use a prefix length from 16 to 29");
  CHECK(error_of(check_network_subnet("10.90.0.0/30", {})) ==
        "invalid subnet \"10.90.0.0/30\": use a prefix length from 16 to 29");
  CHECK(error_of(check_network_subnet("10.90.0.1/24", {})) ==
        "invalid subnet \"10.90.0.1/24\": it should be 10.90.0.0/24");
  // slirp's 10.0.2.0/24, from inside and from around.
  CHECK(error_of(check_network_subnet("10.0.2.0/25", {})) ==
        "subnet 10.0.2.0/25 overlaps 10.0.2.0/24, the default (slirp) network's");
  CHECK_FALSE(check_network_subnet("10.0.0.0/16", {}).ok());
  CHECK(check_network_subnet("10.0.3.0/24", {}).ok());

  Taken taken = {{"one", subnet("10.89.0.0/24")}, {"two", subnet("10.89.2.0/23")}};
  CHECK(error_of(check_network_subnet("10.89.0.0/16", taken)) ==
        "subnet 10.89.0.0/16 overlaps 10.89.0.0/24 of network one");
  CHECK(error_of(check_network_subnet("10.89.3.0/24", taken)) ==
        "subnet 10.89.3.0/24 overlaps 10.89.2.0/23 of network two");
  CHECK(check_network_subnet("10.89.1.0/24", taken).ok());

  CHECK(pick_network_subnet({})->text() == "10.89.0.0/24");
  CHECK(pick_network_subnet(taken)->text() == "10.89.1.0/24");
  taken.emplace_back("three", subnet("10.89.1.0/24"));
  CHECK(pick_network_subnet(taken)->text() == "10.89.4.0/24");
  // One wide network takes them all.
  CHECK(error_of(pick_network_subnet({{"wide", subnet("10.89.0.0/16")}})) ==
        "no free subnet left in 10.89.0.0/16: give one with --subnet");
  CHECK(pick_network_subnet({{"half", subnet("10.89.0.0/17")}})->text() == "10.89.128.0/24");
}

TEST_CASE("gateways lie inside the subnet and are host addresses", "[networks]") {
  Ipv4Subnet s = subnet("10.89.3.0/24");
  CHECK(*check_network_gateway(s, "") == "10.89.3.1");
  CHECK(*check_network_gateway(s, "10.89.3.254") == "10.89.3.254");
  CHECK(error_of(check_network_gateway(s, "10.89.4.1")) == "gateway 10.89.4.1 is not in subnet 10.89.3.0/24");
  CHECK(error_of(check_network_gateway(s, "10.89.3.0")) ==
        "gateway 10.89.3.0 is the network address of subnet 10.89.3.0/24");
  CHECK(error_of(check_network_gateway(s, "10.89.3.255")) ==
        "gateway 10.89.3.255 is the broadcast address of subnet 10.89.3.0/24");
  CHECK(error_of(check_network_gateway(s, "10.89.3")) ==
        "invalid gateway \"10.89.3\": expected an IPv4 address");
}

TEST_CASE("driver options: only the MTU, within range", "[networks]") {
  CHECK(*check_network_options({}) == Json::object());
  CHECK(*check_network_options({"com.docker.network.driver.mtu=1400"}) ==
        Json{{"com.docker.network.driver.mtu", "1400"}});
  CHECK(check_network_options({"com.docker.network.driver.mtu=68"}).ok());
  CHECK(check_network_options({"com.docker.network.driver.mtu=65520"}).ok());
  for (std::string bad : {"67", "65521", "x", "", "1500x", "-1"})
    CHECK(error_of(check_network_options({"com.docker.network.driver.mtu=" + bad})) ==
          "invalid MTU \"" + bad + "\": use a number from 68 to 65520");
  CHECK(error_of(check_network_options({"com.docker.network.bridge.name=br0"})) ==
        "invalid option \"com.docker.network.bridge.name\": the bridge driver takes only -o "
        "com.docker.network.driver.mtu=MTU");
}

TEST_CASE("networks in a store: create, find, list, filter, remove, prune", "[networks]") {
  TempDir tmp;
  auto store = Store::open(tmp / "root", tmp / "run");
  REQUIRE_OK(store);
  auto a = create_network(*store, {.name = "alpha", .labels = {"team=db"}});
  REQUIRE_OK(a);
  CHECK(is_sha256_hex(a->id));
  CHECK(a->subnet == "10.89.0.0/24");
  CHECK(a->gateway == "10.89.0.1");
  CHECK(a->record["Driver"] == "bridge");
  CHECK(a->record["Labels"] == Json{{"team", "db"}});
  auto b = create_network(
      *store, {.name = "beta", .subnet = "10.89.1.0/24", .gateway = "10.89.1.9", .internal = true});
  REQUIRE_OK(b);
  CHECK(b->internal);
  auto c = create_network(*store, {.name = "gamma"});
  REQUIRE_OK(c);
  CHECK(c->subnet == "10.89.2.0/24");

  // Refusals leave the store as it was.
  auto before = list_networks(*store);
  CHECK(error_of(create_network(*store, {.name = "alpha"})) ==
        "network create alpha: network with name alpha already exists");
  CHECK(create_network(*store, {.name = "alpha", .ignore_existing = true})->id == a->id);
  CHECK(error_of(create_network(*store, {.name = "d1", .subnet = "10.89.0.0/16"})) ==
        "network create d1: subnet 10.89.0.0/16 overlaps 10.89.0.0/24 of network alpha");
  CHECK(error_of(create_network(*store, {.name = "d2", .driver = "macvlan"})) ==
        "network create d2: network driver \"macvlan\" is not available: skiff has only the bridge driver");
  CHECK(error_of(create_network(*store, {.name = "d3", .gateway = "10.89.9.1"})).find("needs --subnet") !=
        std::string::npos);
  CHECK(list_networks(*store).size() == before.size());

  CHECK(find_network(*store, "beta")->id == b->id);
  CHECK(find_network(*store, b->id)->name == "beta");
  CHECK(find_network(*store, b->id.substr(0, 12))->name == "beta");
  auto missing = find_network(*store, "nosuch");
  CHECK(error_of(missing) == "network nosuch not found");
  CHECK(is_network_not_found(missing.error()));
  CHECK_FALSE(find_network(*store, "slirp").ok());
  CHECK(find_builtin_network("bridge")->name == "slirp");
  CHECK(find_builtin_network("none")->record["Driver"] == "null");
  CHECK(find_builtin_network(find_builtin_network("host")->id)->name == "host");
  CHECK_FALSE(find_builtin_network("alpha"));

  auto all = list_network_rows(*store, {});
  REQUIRE_OK(all);
  CHECK(names_of(*all) == std::vector<std::string>{"alpha", "beta", "gamma", "host", "none", "slirp"});
  CHECK(names_of(*list_network_rows(*store, {"type=custom", "name=a"})) ==
        std::vector<std::string>{"alpha", "beta", "gamma"});
  CHECK(names_of(*list_network_rows(*store, {"type=builtin", "driver=null"})) ==
        std::vector<std::string>{"none"});
  CHECK(names_of(*list_network_rows(*store, {"label=team=db"})) == std::vector<std::string>{"alpha"});
  CHECK(names_of(*list_network_rows(*store, {"id=" + c->id.substr(0, 5)})) ==
        std::vector<std::string>{"gamma"});
  CHECK(names_of(*list_network_rows(*store, {"dangling=true"})) ==
        std::vector<std::string>{"alpha", "beta", "gamma"});
  CHECK(error_of(list_network_rows(*store, {"type=other"})) ==
        "invalid filter `type=other`: use builtin or custom");
  CHECK(error_of(list_network_rows(*store, {"colour=red"})).starts_with("invalid filter `colour`"));
  // The Label method reads the labels; json leaves it out.
  CHECK(*format_rows("{{.Name}}={{.Label \"team\"}}", "", Json(), {all->front()}) == "alpha=db\n");
  CHECK(format_rows("json", "", Json(), {all->front()})->find("Label()") == std::string::npos);

  CHECK(error_of(remove_network(*store, "host")) ==
        "network rm host: host is a pre-defined network and cannot be removed");
  CHECK(is_network_not_found(remove_network(*store, "nosuch").error()));
  REQUIRE_OK(remove_network(*store, "gamma"));
  CHECK_FALSE(find_network(*store, "gamma").ok());

  bool asked = false;
  auto no = [&]() -> Result<bool> {
    asked = true;
    return false;
  };
  CHECK(error_of(prune_networks(*store, {"until=bogus"}, no)).find("until=bogus") != std::string::npos);
  CHECK_FALSE(asked);
  CHECK(error_of(prune_networks(*store, {}, no)) == "network prune has been cancelled");
  auto yes = []() -> Result<bool> { return true; };
  CHECK(*prune_networks(*store, {"label!=team"}, yes) == std::vector<std::string>{"beta"});
  CHECK(*prune_networks(*store, {}, yes) == std::vector<std::string>{"alpha"});
  CHECK(list_networks(*store).empty());
}

TEST_CASE("concurrent creators: one network a name, distinct subnets", "[networks]") {
  TempDir tmp;
  auto store = Store::open(tmp / "root", tmp / "run");
  REQUIRE_OK(store);
  std::vector<std::thread> threads;
  std::vector<int> made(8, 0);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      made[i] = create_network(*store, {.name = i % 2 ? "same" : "n" + std::to_string(i)}).ok() ? 1 : 0;
    });
  for (auto& t : threads) t.join();
  CHECK(made[1] + made[3] + made[5] + made[7] == 1);
  auto networks = list_networks(*store);
  REQUIRE(networks.size() == 5);
  std::set<std::string> subnets;
  for (const auto& n : networks) subnets.insert(n.subnet);
  CHECK(subnets.size() == 5);
}
