// User-defined network records (engine/networks.h). What keeps them
// consistent under concurrent commands: every change of the set of networks
// (create, rm, prune) holds networks/.lock exclusively, and connect holds it
// shared while it checks the network and writes the container's record, so
// a network is never removed between a container's check and its use of it.
// Names and subnets are checked against the records read under the lock.
#include "engine/networks.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "base/fs.h"
#include "base/lock.h"
#include "base/output.h"
#include "base/sha256.h"
#include "base/units.h"
#include "engine/container_process.h"
#include "engine/container_summary.h"
#include "engine/containers.h"
#include "engine/list_filters.h"
#include "engine/volumes.h"
#include "image/image_store.h"
#include "net/network_mode.h"

namespace skiff {

namespace {

constexpr std::string_view kMtuOption = "com.docker.network.driver.mtu";
constexpr const char* kDefaultPool = "10.89.0.0/16";
constexpr int kMinPrefix = 16, kMaxPrefix = 29;

constexpr std::string_view kAlphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view kNameCharacters =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

// The built-ins `ls` and `inspect` show, with their drivers.
struct BuiltinNetwork {
  const char* name;
  const char* driver;
};
constexpr BuiltinNetwork kBuiltins[] = {{"host", "host"}, {"none", "null"}, {"slirp", "slirp"}};

std::string networks_dir(const Store& store) { return store.root() + "/networks"; }

std::string record_path(const Store& store, const std::string& id) {
  return networks_dir(store) + "/" + id + ".json";
}

Ipv4Subnet slirp_subnet() { return {*parse_ipv4_address(SlirpAddresses::kNetwork), SlirpAddresses::kPrefix}; }

// docker's network inspect object without Containers, in docker's key order.
Json network_object(const std::string& name, const std::string& id, const std::string& created,
                    const std::string& driver, const Json& ipam_config, bool internal, const Json& options,
                    const Json& labels) {
  return Json{{"Name", name},
              {"Id", id},
              {"Created", created},
              {"Scope", "local"},
              {"Driver", driver},
              {"EnableIPv6", false},
              {"IPAM", {{"Driver", "default"}, {"Options", Json::object()}, {"Config", ipam_config}}},
              {"Internal", internal},
              {"Attachable", false},
              {"Ingress", false},
              {"ConfigFrom", {{"Network", ""}}},
              {"ConfigOnly", false},
              {"Options", options},
              {"Labels", labels}};
}

// A string member of a record ("" when missing or not a string): records
// are read without trusting their types.
std::string text(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<NetworkRecord> record_from_json(Json j, const std::string& what) {
  if (!j.is_object() || !j.contains("Name") || !j["Name"].is_string() || !j.contains("Id") ||
      !j["Id"].is_string())
    return make_error("network record `{}`: malformed", what);
  NetworkRecord n;
  n.id = text(j, "Id");
  n.name = text(j, "Name");
  n.internal = j.contains("Internal") && j["Internal"].is_boolean() && j["Internal"].get<bool>();
  const Json& ipam = j.contains("IPAM") ? j["IPAM"] : Json();
  const Json& config = ipam.is_object() && ipam.contains("Config") ? ipam["Config"] : Json();
  if (config.is_array() && !config.empty() && config[0].is_object()) {
    n.subnet = text(config[0], "Subnet");
    n.gateway = text(config[0], "Gateway");
  }
  n.record = std::move(j);
  return n;
}

NetworkRecord builtin_record(const BuiltinNetwork& b) {
  Json config = Json::array();
  if (std::string_view(b.name) == "slirp")
    config.push_back({{"Subnet", slirp_subnet().text()}, {"Gateway", SlirpAddresses::kGateway}});
  std::string id = digest_hex(sha256_digest(b.name));
  return *record_from_json(
      network_object(b.name, id, kZeroTime, b.driver, config, false, Json::object(), Json::object()), b.name);
}

bool is_builtin_record(const NetworkRecord& n) {
  return std::any_of(std::begin(kBuiltins), std::end(kBuiltins),
                     [&](const BuiltinNetwork& b) { return n.name == b.name; });
}

// The subnets of the networks with records, for overlap checks.
std::vector<std::pair<std::string, Ipv4Subnet>> taken_subnets(const std::vector<NetworkRecord>& networks) {
  std::vector<std::pair<std::string, Ipv4Subnet>> out;
  for (const auto& n : networks)
    if (auto subnet = parse_ipv4_subnet(n.subnet); subnet.ok()) out.emplace_back(n.name, *subnet);
  return out;
}

// Whether a container's HostConfig.NetworkMode names the network.
bool names_network(std::string_view mode, const NetworkRecord& n) { return mode == n.name || mode == n.id; }

// A network mode that is a user-defined network's name: none of the
// built-in modes (net/network_mode.h), options included.
bool is_user_defined_mode(std::string_view mode) {
  std::string_view name = mode.substr(0, mode.find(':'));
  return !mode.empty() && !is_builtin_network(name) && name != "container";
}

// `network create`'s checks that need no store: name, driver, options,
// labels, subnet syntax and gateway. Fills the record's parts.
struct CheckedCreate {
  std::optional<Ipv4Subnet> subnet;
  Json options, labels;
};
Result<CheckedCreate> check_create_options(const NetworkCreateOptions& o) {
  TRY(check_network_name(o.name));
  if (!o.driver.empty() && o.driver != "bridge")
    return make_error("network driver \"{}\" is not available: skiff has only the bridge driver", o.driver);
  CheckedCreate out;
  out.options = TRY(check_network_options(o.options));
  out.labels = TRY(parse_label_flags(o.labels));
  if (!o.subnet.empty()) out.subnet = TRY(check_network_subnet(o.subnet, {}));
  if (!o.gateway.empty() && !out.subnet)
    return make_error("--gateway {} needs --subnet: a gateway belongs to a subnet", o.gateway);
  if (out.subnet) TRY(check_network_gateway(*out.subnet, o.gateway));
  return out;
}

// docker's CreatedAt column: Go's time.String() of the creation time, its
// fraction of a second without trailing zeros.
std::string created_at_column(const std::string& created) {
  auto t = parse_rfc3339(created);
  if (!t) return created;
  std::string text = go_time_string(t->tv_sec);
  std::string fraction = fmt::format("{:09d}", t->tv_nsec);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (!fraction.empty() && text.size() > 19) text.insert(19, "." + fraction);
  return text;
}

// The names of the networks any container's record is on.
std::vector<std::string> modes_in_use(const Store& store) {
  std::vector<std::string> out;
  for (const auto& c : list_container_summaries(store)) out.push_back(c.network);
  return out;
}

bool is_used(const NetworkRecord& n, const std::vector<std::string>& modes) {
  return std::any_of(modes.begin(), modes.end(), [&](const std::string& m) { return names_network(m, n); });
}

// Removes a network's record; the caller holds the exclusive lock.
Status delete_record(const Store& store, const NetworkRecord& n) {
  if (::unlink(record_path(store, n.id).c_str()) != 0 && errno != ENOENT)
    return errno_error("remove network `{}`", n.name);
  return sync_directory(networks_dir(store));
}


// --link NAME[:ALIAS] as HostConfig.Links has it: "NAME:ALIAS".
Result<Json> link_entries(const std::vector<std::string>& links) {
  Json out = Json::array();
  for (const auto& link : links) {
    LinkSpec spec = TRY(parse_link(link));
    out.push_back(spec.target + ":" + spec.alias);
  }
  return out;
}

// A container that is not running, read again under its monitor's lock
// (which the returned lock holds), so that it can't start until its record
// is written. No monitor runs while the lock is ours, whatever the state
// says. Another command holding it a moment (a connect, a reader recording
// a dead monitor's end) is waited for, as monitor_main does.
Result<std::pair<Container, MonitorLock>> stopped_container(const Store& store, std::string_view name) {
  Container listed = TRY(find_container(store, name));
  MonitorLock lock = TRY(MonitorLock::try_acquire(listed.dir));
  for (int attempt = 0; attempt < 50 && !lock.held(); ++attempt) {
    ::usleep(2000);
    lock = TRY(MonitorLock::try_acquire(listed.dir));
  }
  if (!lock.held())
    return make_error(
        "container {} is running: skiff connects and disconnects stopped containers; stop it first",
        listed.name());
  Container c = TRY(load_container(store, listed.id));
  if (!c.config["HostConfig"].is_object()) c.config["HostConfig"] = Json::object();
  return std::pair<Container, MonitorLock>(std::move(c), std::move(lock));
}

Status save_container_config(const Container& c) {
  return write_file_atomically(c.dir + "/config.json", container_config_text(c.config));
}

// The user-defined network `name` for connect and disconnect.
Result<NetworkRecord> network_to_join(const Store& store, std::string_view name) {
  if (find_builtin_network(name))
    return make_error(
        "{} is a built-in network: skiff connects containers to user-defined networks only "
        "(give a built-in one to --network when the container is created)",
        name);
  return find_network(store, name);
}

}  // namespace

Result<LinkSpec> parse_link(std::string_view text) {
  size_t colon = text.find(':');
  LinkSpec spec{std::string(text.substr(0, colon)), ""};
  spec.alias = colon == std::string_view::npos ? spec.target : std::string(text.substr(colon + 1));
  if (spec.target.empty() || spec.alias.empty() || !is_network_name(spec.alias))
    return make_error("invalid --link `{}`: use NAME[:ALIAS]", text);
  return spec;
}

Status check_endpoint_address(const NetworkRecord& n, const std::string& ip) {
  if (ip.empty()) return {};
  auto address = parse_ipv4_address(ip);
  if (!address) return make_error("invalid --ip \"{}\": expected an IPv4 address", ip);
  Ipv4Subnet subnet = TRY(parse_ipv4_subnet(n.subnet));
  if (!subnet.contains(*address) || *address == subnet.network || *address == subnet.broadcast())
    return make_error("--ip {} is not a host address of network {}'s subnet {}", ip, n.name, n.subnet);
  if (ip == n.gateway) return make_error("--ip {} is network {}'s gateway", ip, n.name);
  return {};
}

Result<FileLock> lock_networks(const Store& store, FileLock::Mode mode) {
  TRY(std::move(make_directories(networks_dir(store), 0700)).wrap("lock the networks"));
  return std::move(FileLock::acquire(networks_dir(store) + "/.lock", mode)).wrap("lock the networks");
}


bool is_builtin_network(std::string_view name) {
  for (std::string_view builtin : {"slirp", "default", "bridge", "slirp4netns", "host", "none", "pasta"})
    if (name == builtin) return true;
  return false;
}

Status check_network_name(std::string_view name) {
  if (name.empty() || kAlphanumeric.find(name[0]) == std::string_view::npos ||
      name.find_first_not_of(kNameCharacters) != std::string_view::npos)
    return make_error("invalid network name \"{}\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
  if (is_builtin_network(name)) return make_error("{} is a pre-defined network and cannot be created", name);
  if (name == "container")
    return make_error("the name container is reserved: --network container:NAME joins another container");
  return {};
}

Result<Ipv4Subnet> check_network_subnet(std::string_view cidr,
                                        const std::vector<std::pair<std::string, Ipv4Subnet>>& taken) {
  Ipv4Subnet subnet = TRY(parse_ipv4_subnet(cidr));
  if (subnet.prefix < kMinPrefix || subnet.prefix > kMaxPrefix)
    return make_error("invalid subnet \"{}\": use a prefix length from {} to {}", cidr, kMinPrefix,
                      kMaxPrefix);
  if (subnet.overlaps(slirp_subnet()))
    return make_error("subnet {} overlaps {}, the default (slirp) network's", subnet.text(),
                      slirp_subnet().text());
  for (const auto& [name, other] : taken)
    if (subnet.overlaps(other))
      return make_error("subnet {} overlaps {} of network {}", subnet.text(), other.text(), name);
  return subnet;
}

Result<Ipv4Subnet> pick_network_subnet(const std::vector<std::pair<std::string, Ipv4Subnet>>& taken) {
  Ipv4Subnet pool = *parse_ipv4_subnet(kDefaultPool);
  for (uint32_t n = 0; n < 256; ++n) {
    Ipv4Subnet candidate{pool.network | (n << 8), 24};
    if (std::none_of(taken.begin(), taken.end(), [&](const auto& t) { return candidate.overlaps(t.second); }))
      return candidate;
  }
  return make_error("no free subnet left in {}: give one with --subnet", kDefaultPool);
}

Result<std::string> check_network_gateway(const Ipv4Subnet& subnet, std::string_view gateway) {
  if (gateway.empty()) return ipv4_address_text(subnet.network + 1);
  auto address = parse_ipv4_address(gateway);
  if (!address) return make_error("invalid gateway \"{}\": expected an IPv4 address", gateway);
  if (!subnet.contains(*address)) return make_error("gateway {} is not in subnet {}", gateway, subnet.text());
  if (*address == subnet.network || *address == subnet.broadcast())
    return make_error("gateway {} is the {} address of subnet {}", gateway,
                      *address == subnet.network ? "network" : "broadcast", subnet.text());
  return std::string(gateway);
}

Result<Json> check_network_options(const std::vector<std::string>& options) {
  Json out = Json::object();
  for (const auto& opt : options) {
    size_t eq = opt.find('=');
    std::string key = opt.substr(0, eq);
    if (key != kMtuOption)
      return make_error("invalid option \"{}\": the bridge driver takes only -o {}=MTU", key, kMtuOption);
    std::string value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    int mtu = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), mtu);
    if (ec != std::errc() || end != value.data() + value.size() || mtu < 68 || mtu > 65520)
      return make_error("invalid MTU \"{}\": use a number from 68 to 65520", value);
    out[key] = std::to_string(mtu);
  }
  return out;
}

Result<NetworkRecord> create_network(const Store& store, const NetworkCreateOptions& o) {
  auto fail = [&](Error e) { return e.wrap("network create {}", o.name); };
  auto checked = check_create_options(o);
  if (!checked.ok()) return fail(std::move(checked).error());

  FileLock lock = TRY(lock_networks(store, FileLock::Mode::kExclusive));
  std::vector<NetworkRecord> existing = list_networks(store);
  for (const auto& n : existing) {
    if (n.name != o.name) continue;
    if (o.ignore_existing) return n;
    return fail(make_error("network with name {} already exists", o.name));
  }
  auto taken = taken_subnets(existing);
  auto subnet =
      checked->subnet ? check_network_subnet(checked->subnet->text(), taken) : pick_network_subnet(taken);
  if (!subnet.ok()) return fail(std::move(subnet).error());
  std::string gateway = *check_network_gateway(*subnet, o.gateway);

  std::string id = random_hex(64);
  Json config = Json::array({{{"Subnet", subnet->text()}, {"Gateway", gateway}}});
  Json record = network_object(o.name, id, now_rfc3339(), "bridge", config, o.internal, checked->options,
                               checked->labels);
  Status written = write_json_atomically(record_path(store, id), record);
  if (!written.ok()) return fail(std::move(written).error());
  return record_from_json(std::move(record), id);
}

Result<NetworkRecord> find_network(const Store& store, std::string_view name_or_id) {
  std::vector<NetworkRecord> all = list_networks(store);
  for (auto& n : all)
    if (n.name == name_or_id || n.id == name_or_id) return std::move(n);
  std::vector<NetworkRecord*> prefixed;
  if (!name_or_id.empty())
    for (auto& n : all)
      if (n.id.starts_with(name_or_id)) prefixed.push_back(&n);
  if (prefixed.size() == 1) return std::move(*prefixed.front());
  if (prefixed.size() > 1)
    return make_error("network {} is ambiguous: {} networks have IDs starting with it", name_or_id,
                      prefixed.size());
  return make_error("network {} not found", name_or_id);
}

bool is_network_not_found(const Error& error) {
  return error.message().starts_with("network ") && error.message().ends_with(" not found");
}

std::optional<NetworkRecord> find_builtin_network(std::string_view name_or_id) {
  std::string_view name = name_or_id;
  if (name == "default" || name == "bridge" || name == "slirp4netns") name = "slirp";
  for (const auto& b : kBuiltins) {
    NetworkRecord n = builtin_record(b);
    if (name == b.name || (name_or_id.size() >= 12 && n.id.starts_with(name_or_id))) return n;
  }
  return std::nullopt;
}

std::vector<NetworkRecord> list_networks(const Store& store) {
  std::vector<NetworkRecord> out;
  DIR* dir = ::opendir(networks_dir(store).c_str());
  if (!dir) return out;
  while (struct dirent* e = ::readdir(dir)) {
    std::string file = e->d_name;
    if (file[0] == '.' || !file.ends_with(".json")) continue;
    auto json = read_json_file(networks_dir(store) + "/" + file, 1 << 20);
    auto n = json.ok() ? record_from_json(std::move(*json), file) : Result<NetworkRecord>(json.error());
    if (!n.ok()) {
      // Removed between readdir and read: not a problem.
      if (n.error().errnum() != ENOENT) warn("skipping network `{}`: {}", file, n.error().text());
      continue;
    }
    out.push_back(std::move(*n));
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Json inspect_network(const Store& store, const NetworkRecord& network) {
  Json containers = Json::object();
  for (const auto& c : list_containers(store)) {
    if (c.status() != "running" || !c.state.contains("Networks") || !c.state["Networks"].is_object())
      continue;
    const Json& endpoint = c.state["Networks"].value(network.name, Json());
    if (!endpoint.is_object()) continue;
    std::string ip = text(endpoint, "IPAddress");
    const Json& prefix = endpoint.contains("IPPrefixLen") ? endpoint["IPPrefixLen"] : Json(0);
    containers[c.id] = {{"Name", c.name()},
                        {"EndpointID", ""},
                        {"MacAddress", text(endpoint, "MacAddress")},
                        {"IPv4Address", ip.empty() ? "" : ip + "/" + prefix.dump()},
                        {"IPv6Address", ""}};
  }
  // docker's order: Containers after ConfigOnly.
  Json out = Json::object();
  for (auto it = network.record.begin(); it != network.record.end(); ++it) {
    if (it.key() == "Containers") continue;
    out[it.key()] = *it;
    if (it.key() == "ConfigOnly") out["Containers"] = containers;
  }
  if (!out.contains("Containers")) out["Containers"] = containers;
  return out;
}

std::vector<std::string> network_users(const Store& store, const NetworkRecord& network) {
  std::vector<std::string> out;
  for (const auto& c : list_container_summaries(store))
    if (names_network(c.network, network)) out.push_back(c.id);
  return out;
}

Result<std::vector<Json>> list_network_rows(const Store& store,
                                            const std::vector<std::string>& filter_specs) {
  std::vector<ListFilter> filters =
      TRY(parse_list_filters(filter_specs, {"dangling", "driver", "id", "label", "name", "type"}));
  bool dangling_asked = false;
  for (const auto& f : filters) {
    if (f.key == "dangling") TRY(parse_bool_filter(f));
    if (f.key == "type" && f.value != "builtin" && f.value != "custom")
      return make_error("invalid filter `type={}`: use builtin or custom", f.value);
    dangling_asked = dangling_asked || f.key == "dangling";
  }
  std::vector<std::string> modes;
  if (dangling_asked) modes = modes_in_use(store);

  std::vector<NetworkRecord> networks = list_networks(store);
  for (const auto& b : kBuiltins) networks.push_back(builtin_record(b));
  std::sort(networks.begin(), networks.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::vector<Json> rows;
  for (const auto& n : networks) {
    bool builtin = is_builtin_record(n);
    Json labels = n.record.value("Labels", Json::object());
    std::string driver = text(n.record, "Driver");
    bool keep = filters_accept(filters, [&](const ListFilter& f) {
      if (f.key == "dangling") return *parse_bool_filter(f) == (!builtin && !is_used(n, modes));
      if (f.key == "driver") return f.value == driver;
      if (f.key == "id") return n.id.starts_with(f.value);
      if (f.key == "name") return n.name.find(f.value) != std::string::npos;
      if (f.key == "type") return (f.value == "builtin") == builtin;
      return labels_match(labels, f);
    });
    if (!keep) continue;
    rows.push_back(Json{{"CreatedAt", created_at_column(text(n.record, "Created"))},
                        {"Driver", driver},
                        {"ID", n.id},
                        {"IPv6", "false"},
                        {"Internal", n.internal ? "true" : "false"},
                        {"Labels", labels_column(labels)},
                        {"Name", n.name},
                        {"Scope", "local"},
                        {"Label()", labels}});
  }
  return rows;
}

Status remove_network(const Store& store, std::string_view name_or_id) {
  auto fail = [&](Error e) { return e.wrap("network rm {}", name_or_id); };
  if (find_builtin_network(name_or_id))
    return fail(make_error("{} is a pre-defined network and cannot be removed", name_or_id));
  FileLock lock = TRY(lock_networks(store, FileLock::Mode::kExclusive));
  auto network = find_network(store, name_or_id);
  if (!network.ok()) return std::move(network).error();
  std::vector<std::string> users = network_users(store, *network);
  if (!users.empty()) {
    std::string ids;
    for (const auto& id : users) ids += (ids.empty() ? "" : ", ") + id.substr(0, 12);
    return fail(make_error("network is in use by container(s) {}", ids));
  }
  Status deleted = delete_record(store, *network);
  if (!deleted.ok()) return fail(std::move(deleted).error());
  return {};
}

Result<std::vector<std::string>> prune_networks(const Store& store,
                                                const std::vector<std::string>& filter_specs,
                                                const std::function<Result<bool>()>& confirm) {
  PruneFilters filters = TRY(PruneFilters::parse(filter_specs));
  if (!TRY(confirm())) return make_error("network prune has been cancelled");
  FileLock lock = TRY(lock_networks(store, FileLock::Mode::kExclusive));
  std::vector<std::string> modes = modes_in_use(store);
  std::vector<std::string> deleted;
  for (const auto& n : list_networks(store)) {
    if (is_used(n, modes)) continue;
    auto created = parse_rfc3339(text(n.record, "Created"));
    double created_at = created ? double(created->tv_sec) + created->tv_nsec / 1e9 : 0;
    if (!filters.match(created_at, n.record.value("Labels", Json()))) continue;
    if (Status removed = delete_record(store, n); !removed.ok()) {
      warn("{}", removed.error().text());
      continue;
    }
    deleted.push_back(n.name);
  }
  return deleted;
}

Status connect_container(const Store& store, std::string_view network, std::string_view container,
                         const EndpointSettings& settings) {
  auto connect = [&]() -> Status {
    // Shared: the network can't be removed until the container's record says it uses it.
    FileLock lock = TRY(lock_networks(store, FileLock::Mode::kShared));
    NetworkRecord n = TRY(network_to_join(store, network));
    auto [c, monitor_lock] = TRY(stopped_container(store, container));
    Json& host = c.config["HostConfig"];
    std::string mode = text(host, "NetworkMode");
    if (names_network(mode, n))
      return make_error("endpoint with name {} already exists in network {}", c.name(), n.name);
    if (is_user_defined_mode(mode))
      return make_error(
          "container {} is on network {}: skiff puts a container on one network at a time: disconnect it "
          "first",
          c.name(), mode);
    if (mode.starts_with("container:") || mode == "host")
      return make_error(
          "container {} shares the network of {}: such a container cannot be connected to any other network",
          c.name(), mode == "host" ? "the host" : mode.substr(10));
    TRY(check_endpoint_address(n, settings.ip));
    Json links = TRY(link_entries(settings.links));
    host["NetworkMode"] = n.name;
    host["Links"] = links;
    c.config["EndpointConfig"] = {{"Aliases", settings.aliases}, {"IPv4Address", settings.ip}};
    TRY(save_container_config(c));
    // Its resolver is the network's now.
    return write_container_name_files(store, c.config, c.dir);
  };
  return std::move(connect()).wrap("network connect");
}

Status disconnect_container(const Store& store, std::string_view network, std::string_view container,
                            bool force) {
  auto disconnect = [&]() -> Status {
    FileLock lock = TRY(lock_networks(store, FileLock::Mode::kShared));
    NetworkRecord n = TRY(network_to_join(store, network));
    auto [c, monitor_lock] = TRY(stopped_container(store, container));
    Json& host = c.config["HostConfig"];
    if (!names_network(text(host, "NetworkMode"), n)) {
      if (force) return {};
      return make_error("container {} is not connected to network {}", c.name(), n.name);
    }
    host["NetworkMode"] = "none";
    host.erase("Links");
    c.config.erase("EndpointConfig");
    TRY(save_container_config(c));
    return write_container_name_files(store, c.config, c.dir);
  };
  return std::move(disconnect()).wrap("network disconnect");
}

}  // namespace skiff
