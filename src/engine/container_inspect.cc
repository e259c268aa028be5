// docker's container inspect object, made from a container's two records.
#include "base/fs.h"
#include "engine/container_log.h"
#include "engine/containers.h"
#include "engine/networks.h"
#include "net/network_mode.h"

namespace skiff {

Json inspect_container(const Store& store, const Container& c) {
  const Json& config = c.config;
  auto get = [&](const char* key, Json fallback) { return config.contains(key) ? config[key] : fallback; };
  Json state = Json::object();
  for (const char* key : {"Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead", "Pid", "ExitCode",
                          "Error", "StartedAt", "FinishedAt"})
    state[key] = c.state.contains(key) ? c.state[key] : Json();
  // docker shows Health only for a container with a health check.
  if (c.state.contains("Health")) state["Health"] = c.state["Health"];

  Json host = get("HostConfig", Json::object());
  for (auto [key, value] : {std::pair<const char*, Json>{"Binds", nullptr},
                            {"CapAdd", nullptr},
                            {"CapDrop", nullptr},
                            {"GroupAdd", nullptr},
                            {"Links", nullptr},
                            {"SecurityOpt", nullptr},
                            {"Tmpfs", nullptr}})
    if (!host.contains(key)) host[key] = value;
  // Records from before LogConfig existed: their containers log to json-file.
  if (!host.contains("LogConfig")) host["LogConfig"] = {{"Type", "json-file"}, {"Config", Json::object()}};
  if (!host.contains("RestartPolicy")) host["RestartPolicy"] = {{"Name", "no"}, {"MaximumRetryCount", 0}};
  if (!host.contains("PortBindings") || host["PortBindings"].is_null()) host["PortBindings"] = Json::object();

  std::vector<std::string> lowers;
  if (config.contains("layers"))
    for (auto it = config["layers"].rbegin(); it != config["layers"].rend(); ++it)
      lowers.push_back(store.layer_dir(it->get<std::string>()) + "/diff");
  std::string lower_dir;
  for (const auto& l : lowers) lower_dir += (lower_dir.empty() ? "" : ":") + l;

  bool vfs = config.value("storage_driver", "native") == "vfs";
  // Addresses while it runs, as docker shows them: the slirp network's.
  auto mode = parse_network_mode(host.value("NetworkMode", ""));
  std::string network = mode.ok() ? mode->network_name() : host.value("NetworkMode", "");
  bool addressed = mode.ok() && mode->slirp_tap() && c.status() == "running";
  bool ipv6 = addressed && mode->slirp.enable_ipv6;
  auto when = [](bool on, const char* text) { return std::string(on ? text : ""); };
  std::string mac = addressed ? get("Config", Json::object()).value("MacAddress", "") : "";
  Json addresses = {{"Gateway", when(addressed, SlirpAddresses::kGateway)},
                    {"IPAddress", when(addressed, SlirpAddresses::kContainer)},
                    {"IPPrefixLen", addressed ? SlirpAddresses::kPrefix : 0},
                    {"IPv6Gateway", when(ipv6, SlirpAddresses::kGateway6)},
                    {"GlobalIPv6Address", when(ipv6, SlirpAddresses::kContainer6)},
                    {"GlobalIPv6PrefixLen", ipv6 ? SlirpAddresses::kPrefix6 : 0},
                    {"MacAddress", mac}};
  Json networks = Json::object();
  networks[network] = {{"IPAMConfig", nullptr}, {"Links", nullptr}, {"Aliases", nullptr},
                       {"NetworkID", ""},      {"EndpointID", ""}};
  networks[network].update(addresses);
  // On a user-defined network: its record's ID, the aliases and the
  // address of this run (engine/container_network.h).
  if (mode.ok() && mode->kind == NetworkMode::Kind::kNetwork) {
    const Json& endpoint = config.contains("EndpointConfig") ? config["EndpointConfig"] : Json();
    Json& shown = networks[network];
    if (endpoint.is_object()) {
      shown["Aliases"] = endpoint.value("Aliases", Json());
      if (!endpoint.value("IPv4Address", "").empty())
        shown["IPAMConfig"] = {{"IPv4Address", endpoint.value("IPv4Address", "")}};
    }
    shown["Links"] = host.contains("Links") ? host["Links"] : Json();
    // Stopped, it is still on the network, as docker shows it: the ID is
    // the record's (gone when the network was removed under it).
    if (auto record = find_network(store, network); record.ok()) shown["NetworkID"] = record->id;
    const Json* run = c.status() == "running" && c.state.contains("Networks") && c.state["Networks"].contains(network)
                          ? &c.state["Networks"][network]
                          : nullptr;
    if (run) {
      for (const char* key : {"NetworkID", "IPAddress", "IPPrefixLen", "Gateway", "MacAddress"})
        if (run->contains(key)) shown[key] = (*run)[key];
      for (const char* key : {"IPAddress", "IPPrefixLen", "Gateway", "MacAddress"})
        if (run->contains(key)) addresses[key] = (*run)[key];
    }
  }
  Json settings = {{"Bridge", ""},
                   {"SandboxID", ""},
                   {"SandboxKey", ""},
                   {"Ports", c.state.contains("Ports") ? c.state["Ports"] : Json::object()},
                   {"Networks", networks}};
  settings.update(addresses);

  Json out = {
      {"Id", c.id},
      {"Created", get("created", "")},
      {"Path", get("Path", "")},
      {"Args", get("Args", Json::array())},
      {"State", state},
      {"Image", get("image_id", "")},
      {"ResolvConfPath", c.dir + "/resolv.conf"},
      {"HostnamePath", c.dir + "/hostname"},
      {"HostsPath", c.dir + "/hosts"},
      {"LogPath", container_keeps_log(config) ? c.dir + "/" + kLogFileName : ""},
      {"Name", "/" + c.name()},
      {"RestartCount", c.state.value("RestartCount", 0)},
      {"Driver", vfs ? "vfs" : "overlay"},
      {"Platform", "linux"},
      {"MountLabel", ""},
      {"ProcessLabel", ""},
      {"AppArmorProfile", ""},
      {"ExecIDs", nullptr},
      {"HostConfig", host},
      {"GraphDriver",
       {{"Data", vfs ? Json{{"Dir", c.dir + "/rootfs"}}
                     : Json{{"LowerDir", lower_dir},
                            {"MergedDir", c.dir + "/merged"},
                            {"UpperDir", c.dir + "/upper"},
                            {"WorkDir", c.dir + "/work"}}},
        {"Name", vfs ? "vfs" : "overlay"}}},
      {"Mounts", get("Mounts", Json::array())},
      {"Config", get("Config", Json::object())},
      {"NetworkSettings", settings},
  };
  return out;
}

}  // namespace skiff
