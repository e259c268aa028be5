#include "engine/container_options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/fs.h"
#include "base/output.h"
#include "engine/container_log.h"
#include "engine/container_names.h"
#include "engine/container_process.h"
#include "engine/images.h"
#include "engine/pull.h"
#include "engine/resource_limits.h"
#include "engine/storage_driver.h"
#include "engine/volumes.h"
#include "image/image_config.h"
#include "image/image_store.h"
#include "image/reference.h"
#include "linux/caps.h"
#include "linux/path_in_root.h"
#include "linux/probe.h"
#include "linux/seccomp_profile.h"
#include "linux/tap_device.h"
#include "net/name_files.h"
#include "engine/networks.h"
#include "net/network_mode.h"
#include "net/port_spec.h"
#include "registry/registries_conf.h"

namespace skiff {

namespace {

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Json json_list(const std::vector<std::string>& v) {
  if (v.empty()) return nullptr;
  return Json(v);
}

Status check_destination(const std::string& destination, std::string_view flag) {
  if (destination.empty() || destination[0] != '/')
    return make_error("invalid {} destination `{}`: it must be an absolute path", flag, destination);
  auto clean = clean_relative_path(destination);
  if (!clean.ok() || clean->empty())
    return make_error("invalid {} destination `{}`: it can't be the root or lead out of it", flag,
                      destination);
  return {};
}

// The platform the image was made for, as the store knows it.
std::string image_platform(const Json& image_config) {
  std::string os = image_config.value("os", "linux");
  std::string arch = image_config.value("architecture", "");
  std::string variant = image_config.value("variant", "");
  return os + "/" + arch + (variant.empty() ? "" : "/" + variant);
}

Json volume_json(const VolumeSpec& v) {
  return Json{{"type", v.type == VolumeSpec::Type::kBind ? "bind" : "tmpfs"},
              {"source", v.source},
              {"destination", v.destination},
              {"read_only", v.read_only},
              {"options", v.options},
              {"exec", v.exec},
              {"volume", v.volume},
              {"anonymous", v.anonymous},
              {"copy_up", v.copy_up}};
}

// docker's "Mounts" entry of inspect for a bind, tmpfs or volume mount.
Json mount_point_json(const VolumeSpec& v, const std::string& mode) {
  if (!v.volume.empty())
    return Json{{"Type", "volume"},  {"Name", v.volume}, {"Source", v.source}, {"Destination", v.destination},
                {"Driver", "local"}, {"Mode", mode},     {"RW", !v.read_only}, {"Propagation", ""}};
  return Json{{"Type", v.type == VolumeSpec::Type::kBind ? "bind" : "tmpfs"},
              {"Source", v.source},
              {"Destination", v.destination},
              {"Mode", mode},
              {"RW", !v.read_only},
              {"Propagation", v.type == VolumeSpec::Type::kBind ? "rprivate" : ""}};
}

}  // namespace

Result<MountFlag> parse_volume_flag(std::string_view text) {
  std::vector<std::string> parts = split(text, ':');
  if (parts.size() > 3) return make_error("invalid volume `{}`: too many colons", text);
  MountFlag flag;
  VolumeSpec& v = flag.spec;
  v.type = VolumeSpec::Type::kBind;
  if (parts.size() == 1) {
    // DST alone: an anonymous volume, filled from the image as docker does.
    v.destination = parts[0];
    v.anonymous = v.copy_up = true;
    TRY(check_destination(v.destination, "volume"));
    return flag;
  }
  v.source = parts[0];
  v.destination = parts[1];
  if (v.source.empty()) return make_error("invalid volume `{}`: the source is empty", text);
  if (v.source[0] != '/') {
    if (v.source.starts_with("."))
      return make_error("invalid volume `{}`: the host path must be absolute (try $PWD/{})", text, v.source);
    // Not a path: the name of a volume.
    TRY(std::move(check_volume_name(v.source)).wrap("invalid volume `{}`", text));
    v.volume = std::move(v.source);
    v.source.clear();
    v.copy_up = true;
  }
  TRY(check_destination(v.destination, "volume"));
  if (parts.size() == 3) {
    for (const auto& opt : split(parts[2], ',')) {
      if (opt == "ro" || opt == "readonly")
        v.read_only = true;
      else if (opt == "rw")
        v.read_only = false;
      else if (opt == "nocopy")
        v.copy_up = false;
      else if (opt == "z" || opt == "Z" || opt == "private" || opt == "rprivate" || opt == "slave" ||
               opt == "rslave" || opt == "shared" || opt == "rshared" || opt == "consistent" ||
               opt == "cached" || opt == "delegated")
        continue;
      else
        return make_error("invalid volume `{}`: unknown option `{}`", text, opt);
    }
    flag.mode = parts[2];
  } else if (!v.volume.empty()) {
    flag.mode = "z";  // docker's default label mode for a volume given with -v
  }
  return flag;
}

Result<MountFlag> parse_mount_flag(std::string_view text) {
  MountFlag flag;
  VolumeSpec& v = flag.spec;
  std::string type = "volume";
  std::vector<std::string> tmpfs_opts, volume_opts, volume_labels;
  std::string driver;
  bool nocopy = false, volume_fields = false;
  auto flag_value = [](bool has_value, const std::string& value) {
    return !has_value || value == "true" || value == "1";
  };
  for (const auto& field : split(text, ',')) {
    size_t eq = field.find('=');
    std::string key = field.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
    bool has_value = eq != std::string::npos;
    if (key == "type") {
      type = value;
    } else if (key == "source" || key == "src") {
      v.source = value;
    } else if (key == "target" || key == "destination" || key == "dst") {
      v.destination = value;
    } else if (key == "readonly" || key == "ro") {
      v.read_only = flag_value(has_value, value);
    } else if (key == "tmpfs-size") {
      tmpfs_opts.push_back("size=" + value);
    } else if (key == "tmpfs-mode") {
      tmpfs_opts.push_back("mode=" + value);
    } else if (key == "volume-nocopy" || key == "volume-label" || key == "volume-opt" ||
               key == "volume-driver") {
      volume_fields = true;
      if (key == "volume-nocopy") nocopy = flag_value(has_value, value);
      if (key == "volume-label") volume_labels.push_back(value);
      if (key == "volume-opt") volume_opts.push_back(value);
      if (key == "volume-driver") driver = value;
    } else if (key == "bind-propagation" || key == "consistency" || key == "bind-nonrecursive") {
      continue;
    } else {
      return make_error("invalid --mount `{}`: unknown field `{}`", text, key);
    }
  }
  if (type == "bind") {
    v.type = VolumeSpec::Type::kBind;
    if (v.source.empty()) return make_error("invalid --mount `{}`: a bind mount needs source=", text);
    if (v.source[0] != '/')
      return make_error("invalid --mount `{}`: the source must be an absolute path", text);
    if (!path_exists(v.source))
      return make_error("invalid --mount `{}`: bind source path does not exist: {}", text, v.source);
  } else if (type == "tmpfs") {
    v.type = VolumeSpec::Type::kTmpfs;
    if (!v.source.empty()) return make_error("invalid --mount `{}`: a tmpfs mount takes no source", text);
    for (size_t i = 0; i < tmpfs_opts.size(); ++i) v.options += (i ? "," : "") + tmpfs_opts[i];
  } else if (type == "volume") {
    // A volume is bound like a host folder once it is made; no source is an anonymous one.
    v.type = VolumeSpec::Type::kBind;
    if (!v.source.empty()) TRY(std::move(check_volume_name(v.source)).wrap("invalid --mount `{}`", text));
    v.volume = std::move(v.source);
    v.source.clear();
    v.anonymous = v.volume.empty();
    v.copy_up = !nocopy;
    TRY(std::move(check_volume_driver_options(driver, volume_opts)).wrap("invalid --mount `{}`", text));
    flag.volume_labels = TRY(std::move(parse_label_flags(volume_labels)).wrap("invalid --mount `{}`", text));
  } else {
    return make_error("invalid --mount `{}`: unknown type `{}` (use bind, volume or tmpfs)", text, type);
  }
  if (!tmpfs_opts.empty() && type != "tmpfs")
    return make_error("invalid --mount `{}`: tmpfs options on a {} mount", text, type);
  if (volume_fields && type != "volume")
    return make_error("invalid --mount `{}`: volume options on a {} mount", text, type);
  if (v.destination.empty()) return make_error("invalid --mount `{}`: target= is required", text);
  TRY(check_destination(v.destination, "--mount"));
  return flag;
}

Result<VolumeSpec> parse_tmpfs_flag(std::string_view text) {
  VolumeSpec v;
  v.type = VolumeSpec::Type::kTmpfs;
  size_t colon = text.find(':');
  v.destination = std::string(text.substr(0, colon));
  TRY(check_destination(v.destination, "--tmpfs"));
  if (colon == std::string_view::npos) return v;
  std::string data;
  for (const auto& opt : split(text.substr(colon + 1), ',')) {
    if (opt == "ro")
      v.read_only = true;
    else if (opt == "rw")
      v.read_only = false;
    else if (opt == "exec")
      v.exec = true;
    else if (opt == "noexec")
      v.exec = false;
    else if (opt == "nosuid" || opt == "nodev" || opt.empty())
      continue;
    else if (opt.starts_with("size=") || opt.starts_with("mode=") || opt.starts_with("uid=") ||
             opt.starts_with("gid=") || opt.starts_with("nr_inodes=") || opt.starts_with("nr_blocks="))
      data += (data.empty() ? "" : ",") + opt;
    else
      return make_error("invalid --tmpfs `{}`: unknown option `{}`", text, opt);
  }
  v.options = data;
  return v;
}

Result<std::optional<std::string>> parse_env_entry(std::string_view entry, const EnvLookup& lookup) {
  size_t eq = entry.find('=');
  if (entry.empty() || eq == 0)
    return make_error("invalid environment variable `{}`: it needs a name", entry);
  if (eq != std::string_view::npos) return std::optional<std::string>(std::string(entry));
  std::string name(entry);
  if (name.find_first_of(" \t") != std::string::npos)
    return make_error("invalid environment variable `{}`: a name can't hold whitespace", entry);
  auto value = lookup(name);
  if (!value) return std::optional<std::string>();
  return std::optional<std::string>(name + "=" + *value);
}

Result<std::vector<std::string>> parse_env_file(std::string_view text, const EnvLookup& lookup) {
  std::vector<std::string> out;
  int line_no = 0;
  for (auto line : split(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    auto entry = parse_env_entry(line, lookup);
    if (!entry.ok()) return std::move(entry).error().wrap("line {}", line_no);
    if (*entry) out.push_back(**entry);
  }
  return out;
}

std::vector<std::string> merge_env(std::vector<std::string> base, const std::vector<std::string>& overrides) {
  for (const auto& entry : overrides) {
    std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (auto& e : base) {
      if (e.substr(0, e.find('=')) == name) {
        e = entry;
        replaced = true;
        break;
      }
    }
    if (!replaced) base.push_back(entry);
  }
  return base;
}

std::vector<VolumeSpec> config_volumes(const Json& config) {
  std::vector<VolumeSpec> out;
  if (!config.contains("volume_specs")) return out;
  for (const auto& j : config["volume_specs"]) {
    VolumeSpec v;
    v.type = j.value("type", "bind") == "tmpfs" ? VolumeSpec::Type::kTmpfs : VolumeSpec::Type::kBind;
    v.source = j.value("source", "");
    v.destination = j.value("destination", "");
    v.read_only = j.value("read_only", false);
    v.options = j.value("options", "");
    v.exec = j.value("exec", false);
    v.volume = j.value("volume", "");
    v.anonymous = j.value("anonymous", false);
    v.copy_up = j.value("copy_up", false);
    out.push_back(std::move(v));
  }
  return out;
}

Result<Json> parse_restart_policy(std::string_view text) {
  std::string name(text.substr(0, text.find(':')));
  int retries = 0;
  if (size_t colon = text.find(':'); colon != std::string_view::npos) {
    std::string count(text.substr(colon + 1));
    if (name != "on-failure")
      return make_error("invalid restart policy `{}`: only on-failure takes a maximum retry count", text);
    if (count.empty() || count.size() > 9 || count.find_first_not_of("0123456789") != std::string::npos)
      return make_error("invalid restart policy `{}`: the maximum retry count must be a number", text);
    retries = std::stoi(count);
  }
  if (name.empty()) name = "no";
  if (name != "no" && name != "on-failure" && name != "always" && name != "unless-stopped")
    return make_error("invalid restart policy `{}`: use no, on-failure[:N], always or unless-stopped", text);
  return Json{{"Name", name}, {"MaximumRetryCount", retries}};
}

Result<ContainerDraft> make_container_draft(const Store& store, const CreateOptions& o) {
  // Resource limits first: a host that can't enforce them refuses before
  // anything else happens (an image pull).
  ResourceLimits limits = TRY(parse_resource_limits(o.limits, ::sysconf(_SC_NPROCESSORS_ONLN)));
  if (!limits_to_enforce(limits).empty())
    TRY(check_resource_limits(limits, read_cgroup_facts(), ::geteuid()));
  if (!o.name.empty()) TRY(check_container_name(o.name));
  NetworkMode network = TRY(parse_network_mode(o.network));
  // --link reaches a container on a user-defined network; with no
  // --network, the new container joins that one (docker's default bridge
  // is one network for every container; skiff's slirp is one per container).
  std::vector<std::string> links;
  for (const auto& link : o.links) {
    LinkSpec spec = TRY(parse_link(link));
    Container other = TRY(find_container(store, spec.target));
    auto theirs = parse_network_mode(other.config["HostConfig"].value("NetworkMode", ""));
    if (!theirs.ok() || theirs->kind != NetworkMode::Kind::kNetwork)
      return make_error(
          "--link {}: {} is not on a user-defined network (containers on slirp can't reach each other): "
          "make one with `skiff network create NET` and run both with --network NET",
          link, other.name());
    if (o.network.empty()) network = *theirs;
    if (network.kind != NetworkMode::Kind::kNetwork || network.network != theirs->network)
      return make_error("--link {}: {} is on network {}, not on this container's", link, other.name(), theirs->network);
    links.push_back(other.name() + ":" + spec.alias);
  }
  std::string network_mode = o.network.empty() ? "slirp" : o.network;
  std::optional<NetworkRecord> user_network;
  if (network.kind == NetworkMode::Kind::kNetwork) {
    user_network = TRY(find_network(store, network.network));
    network_mode = user_network->name;
    network.network = user_network->name;
    TRY(check_endpoint_address(*user_network, o.ip));
    for (const auto& alias : o.network_aliases)
      if (!is_network_name(alias)) return make_error("invalid --network-alias `{}`: use letters, digits, _ . -", alias);
  } else {
    if (!o.network_aliases.empty())
      return make_error("--network-alias needs a user-defined network (skiff network create)");
    if (!o.ip.empty()) return make_error("--ip needs a user-defined network (skiff network create)");
  }
  if (network.kind == NetworkMode::Kind::kContainer) {
    // Recorded by ID, as docker does: a rename doesn't break it.
    Container other = TRY(find_container(store, network.container));
    network_mode = "container:" + other.id;
    if (!o.publish.empty() || o.publish_all)
      return make_error("conflicting options: port publishing and the container type network mode");
    if (!o.dns.empty() || !o.dns_search.empty() || !o.dns_options.empty() || !o.add_hosts.empty() ||
        !o.mac_address.empty() || o.hostname)
      return make_error(
          "conflicting options: --dns, --dns-search, --dns-option, --add-host, --mac-address and --hostname "
          "can't be used with the container type network mode");
  }
  if (network.kind == NetworkMode::Kind::kPasta && find_program("pasta").empty())
    return make_error("invalid --network `{}`: pasta is not installed (the passt package)", o.network);
  std::vector<PortBinding> published;
  for (const auto& p : o.publish)
    for (auto& b : TRY(parse_publish(p))) published.push_back(std::move(b));
  std::vector<std::string> exposed;
  for (const auto& e : o.expose)
    for (auto& key : TRY(parse_expose(e))) exposed.push_back(std::move(key));
  if ((!published.empty() || o.publish_all) &&
      (network.kind == NetworkMode::Kind::kHost || network.kind == NetworkMode::Kind::kNone))
    warn("Published ports are discarded when using {} network mode", network.network_name());
  DnsSettings dns{o.dns, o.dns_search, o.dns_options};
  TRY(check_dns_settings(dns));
  std::vector<std::string> extra_hosts;
  for (const auto& h : o.add_hosts) {
    TRY(parse_add_host(h, network, user_network ? user_network->gateway : ""));
    extra_hosts.push_back(h);
  }
  if (!o.mac_address.empty()) {
    if (!parse_mac_address(o.mac_address))
      return make_error("invalid --mac-address `{}`: use six hex pairs, as 92:d0:c6:0a:29:33", o.mac_address);
    if (!network.has_tap())
      return make_error("--mac-address needs the slirp or a user-defined network: the {} network has no interface of the container's own",
                        network.network_name());
  }
  if (o.pull != "missing" && o.pull != "always" && o.pull != "never")
    return make_error("invalid --pull `{}`: use missing, always or never", o.pull);
  Json log_config = TRY(make_log_config_json(o.log_driver, o.log_opts));

  // The image: from the store, pulled when missing (or always), as docker does.
  auto image =
      o.pull == "always" ? Result<ImageRecord>(make_error("pull always")) : find_local_image(store, o.image);
  if (!image.ok()) {
    if (o.pull == "never") return std::move(image).error();
    bool local_id = looks_like_image_id(o.image) && o.image.size() >= 12;
    if (local_id) return std::move(image).error();
    // docker's words, on stderr: stdout stays the container's.
    if (o.pull == "missing") std::fprintf(stderr, "Unable to find image '%s' locally\n", o.image.c_str());
    PullResult pulled = TRY(pull_image(
        store,
        {.reference = o.image, .platform = o.platform, .verify_tls = true, .observer = o.pull_observer}));
    image = load_image(store, pulled.id);
    if (!image.ok()) return std::move(image).error();
  }
  Json image_config = TRY(load_image_config(store, *image));
  if (!o.platform.empty()) {
    Platform wanted = TRY(parse_platform(o.platform));
    std::string have = image_platform(image_config);
    if (!have.starts_with(wanted.os + "/" + wanted.architecture) ||
        (!wanted.variant.empty() && have != wanted.string()))
      return make_error("image `{}` is {}, not the requested platform {}", o.image, have, wanted.string());
  }
  const Json empty = Json::object();
  const Json& ic =
      image_config.contains("config") && image_config["config"].is_object() ? image_config["config"] : empty;

  // The command: docker's rules for --entrypoint and the arguments.
  std::vector<std::string> entrypoint = json_strings(ic.value("Entrypoint", Json()));
  std::vector<std::string> cmd = json_strings(ic.value("Cmd", Json()));
  if (o.entrypoint) {
    entrypoint = o.entrypoint->empty() ? std::vector<std::string>{} : std::vector<std::string>{*o.entrypoint};
    cmd.clear();
  }
  if (!o.command.empty()) cmd = o.command;
  std::vector<std::string> argv = entrypoint;
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  if (argv.empty()) return make_error("No command specified");

  // Environment: the image's, then --env-file, then -e, as docker.
  EnvLookup lookup = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  std::vector<std::string> env = json_strings(ic.value("Env", Json()));
  if (env.empty()) env.push_back(kDefaultPath);
  for (const auto& file : o.env_files) {
    std::string text = TRY(std::move(read_file(file, 1 << 20)).wrap("read env file `{}`", file));
    env = merge_env(env, TRY(std::move(parse_env_file(text, lookup)).wrap("env file `{}`", file)));
  }
  for (const auto& e : o.env) {
    auto entry = TRY(parse_env_entry(e, lookup));
    if (entry) env = merge_env(env, {*entry});
  }

  // Mounts: -v, --mount, --tmpfs, then the image's VOLUMEs none of them
  // covers (anonymous volumes, as docker); one destination once.
  std::vector<MountFlag> mounts;
  std::vector<std::string> binds, anonymous_destinations;
  Json tmpfs_map = Json::object();
  for (const auto& v : o.volumes) {
    MountFlag flag = TRY(parse_volume_flag(v));
    const VolumeSpec& spec = flag.spec;
    // docker creates a missing host folder for -v (not for --mount).
    if (spec.volume.empty() && !spec.anonymous && !path_exists(spec.source))
      TRY(std::move(make_directories(spec.source, 0755)).wrap("create bind mount source `{}`", spec.source));
    if (spec.anonymous)
      anonymous_destinations.push_back(spec.destination);
    else
      binds.push_back(v);
    mounts.push_back(std::move(flag));
  }
  for (const auto& m : o.mounts) mounts.push_back(TRY(parse_mount_flag(m)));
  for (const auto& t : o.tmpfs) {
    VolumeSpec spec = TRY(parse_tmpfs_flag(t));
    size_t colon = t.find(':');
    tmpfs_map[spec.destination] = colon == std::string::npos ? "" : t.substr(colon + 1);
    mounts.push_back(MountFlag{.spec = std::move(spec)});
  }
  std::vector<std::string> destinations;
  for (const auto& m : mounts) {
    std::string clean = TRY(clean_relative_path(m.spec.destination));
    if (std::find(destinations.begin(), destinations.end(), clean) != destinations.end())
      return make_error("Duplicate mount point: {}", m.spec.destination);
    destinations.push_back(std::move(clean));
  }
  if (ic.contains("Volumes") && ic["Volumes"].is_object()) {
    for (auto it = ic["Volumes"].begin(); it != ic["Volumes"].end(); ++it) {
      TRY(std::move(check_destination(it.key(), "volume")).wrap("the image's VOLUME `{}`", it.key()));
      std::string clean = TRY(clean_relative_path(it.key()));
      if (std::find(destinations.begin(), destinations.end(), clean) != destinations.end()) continue;
      destinations.push_back(std::move(clean));
      MountFlag flag;
      flag.spec.destination = it.key();
      flag.spec.anonymous = flag.spec.copy_up = true;
      mounts.push_back(std::move(flag));
    }
  }

  // Security: checked now so a bad flag fails create, not start.
  TRY(resolve_capabilities(o.cap_add, o.cap_drop, o.privileged));
  Json seccomp = o.privileged ? Json("unconfined") : Json("default");
  bool no_new_privileges = false;
  for (const auto& opt : o.security_opts) {
    size_t sep = opt.find_first_of("=:");
    std::string key = opt.substr(0, sep);
    std::string value = sep == std::string::npos ? "" : opt.substr(sep + 1);
    if (key == "seccomp") {
      if (value == "unconfined") {
        seccomp = "unconfined";
      } else if (!value.empty()) {
        SeccompProfile profile = TRY(load_seccomp_profile(value));
        seccomp = profile.json;
      } else {
        return make_error("invalid --security-opt `{}`: seccomp needs unconfined or a profile file", opt);
      }
    } else if (key == "no-new-privileges") {
      if (value.empty() || value == "true")
        no_new_privileges = true;
      else if (value == "false")
        no_new_privileges = false;
      else
        return make_error("invalid --security-opt `{}`: use no-new-privileges[=true|false]", opt);
    } else if (key == "label" || key == "apparmor") {
      continue;  // no LSM is managed by skiff; accepted as podman does without one
    } else {
      return make_error(
          "invalid --security-opt `{}`: skiff knows seccomp=, no-new-privileges, label= and apparmor=", opt);
    }
  }
  Json labels = TRY(parse_label_flags(o.labels));
  Json label_json = ic.contains("Labels") && ic["Labels"].is_object() ? ic["Labels"] : Json::object();
  for (auto it = labels.begin(); it != labels.end(); ++it) label_json[it.key()] = *it;

  RootfsDriver driver = TRY(choose_storage_driver(store, o.storage_driver));
  Json restart = TRY(parse_restart_policy(o.restart));
  if (o.auto_remove && restart["Name"] != "no") return make_error("Conflicting options: --restart and --rm");
  if (!o.stop_signal.empty()) TRY(parse_signal(o.stop_signal));

  Json config = docker_config_view(ic);
  config["Hostname"] = o.hostname.value_or("");
  config["User"] = o.user.value_or(ic.value("User", ""));
  config["AttachStdin"] = o.attach && o.interactive;
  config["AttachStdout"] = o.attach;
  config["AttachStderr"] = o.attach;
  config["Tty"] = o.tty;
  config["OpenStdin"] = o.interactive;
  config["StdinOnce"] = o.attach && o.interactive;
  config["Env"] = env;
  config["Cmd"] = json_list(cmd);
  config["Image"] = o.image;
  config["WorkingDir"] = o.workdir.value_or(ic.value("WorkingDir", ""));
  config["Entrypoint"] = json_list(entrypoint);
  config["Labels"] = label_json;
  // The image's EXPOSE, --expose and every published port, as docker lists them.
  Json exposed_json = config.contains("ExposedPorts") && config["ExposedPorts"].is_object() ? config["ExposedPorts"] : Json::object();
  for (const auto& key : exposed) exposed_json[key] = Json::object();
  for (const auto& b : published) exposed_json[b.key()] = Json::object();
  if (!exposed_json.empty()) config["ExposedPorts"] = exposed_json;
  if (!o.mac_address.empty()) config["MacAddress"] = o.mac_address;
  if (!o.stop_signal.empty()) config["StopSignal"] = o.stop_signal;
  Json healthcheck = TRY(merge_healthcheck(config.contains("Healthcheck") ? config["Healthcheck"] : Json(), o.health));
  if (!healthcheck.is_null()) config["Healthcheck"] = healthcheck;
  if (o.stop_timeout) config["StopTimeout"] = *o.stop_timeout;
  if (!config["WorkingDir"].get<std::string>().empty() && config["WorkingDir"].get<std::string>()[0] != '/')
    return make_error("the working directory `{}` is invalid: it needs to be an absolute path",
                      config["WorkingDir"].get<std::string>());

  for (const auto& destination : anonymous_destinations) {
    if (!config["Volumes"].is_object()) config["Volumes"] = Json::object();
    config["Volumes"][destination] = Json::object();
  }

  // Volumes last, once nothing else can fail: found or made under the
  // volumes lock, which the draft holds until the container exists.
  std::optional<VolumeClaim> claim;
  for (auto& m : mounts) {
    VolumeSpec& v = m.spec;
    if (v.volume.empty() && !v.anonymous) continue;
    if (!claim) claim.emplace(TRY(VolumeClaim::begin(store)));
    VolumeRecord volume = TRY(claim->take(v.volume, m.volume_labels));
    v.volume = volume.name;
    v.source = volume.data_dir();
  }

  Json host = {
      {"Binds", json_list(binds)},
      {"NetworkMode", network_mode},
      {"PortBindings", port_bindings_json(published)},
      {"PublishAllPorts", o.publish_all},
      {"Dns", o.dns},
      {"DnsSearch", o.dns_search},
      {"DnsOptions", o.dns_options},
      {"ExtraHosts", extra_hosts.empty() ? Json() : Json(extra_hosts)},
      {"Links", links.empty() ? Json() : Json(links)},
      {"AutoRemove", o.auto_remove},
      {"CapAdd", json_list(o.cap_add)},
      {"CapDrop", json_list(o.cap_drop)},
      {"GroupAdd", json_list(o.group_add)},
      {"Privileged", o.privileged},
      {"ReadonlyRootfs", o.read_only},
      {"SecurityOpt", json_list(o.security_opts)},
      {"Tmpfs", tmpfs_map.empty() ? Json() : tmpfs_map},
      {"Init", o.init},
      {"RestartPolicy", restart},
      {"LogConfig", log_config},
  };
  record_resource_limits(host, limits);
  Json mount_points = Json::array();
  Json volume_specs = Json::array();
  for (const auto& m : mounts) {
    volume_specs.push_back(volume_json(m.spec));
    if (m.spec.type == VolumeSpec::Type::kBind || !tmpfs_map.contains(m.spec.destination))
      mount_points.push_back(mount_point_json(m.spec, m.mode));
  }

  ContainerDraft draft;
  draft.config = {
      {"image", o.image},
      {"image_id", image->id},
      {"image_name", image->names.empty() ? "" : image->names.front()},
      {"layers", image->layers},
      {"storage_driver", rootfs_driver_name(driver)},
      {"seccomp", seccomp},
      {"no_new_privileges", no_new_privileges},
      {"volume_specs", volume_specs},
      {"Path", argv.front()},
      {"Args", std::vector<std::string>(argv.begin() + 1, argv.end())},
      {"Config", config},
      {"HostConfig", host},
      {"Mounts", mount_points},
  };
  if (user_network)
    draft.config["EndpointConfig"] = {{"Aliases", o.network_aliases}, {"IPv4Address", o.ip}};
  if (claim) draft.volumes.emplace(std::move(*claim));
  if (user_network) {
    // Checked again under the lock (not held through a pull): from here
    // until the record exists, nobody removes the network.
    draft.network_lock = TRY(lock_networks(store, FileLock::Mode::kShared));
    TRY(find_network(store, user_network->id));
  }
  return draft;
}

}  // namespace skiff
