#include "engine/containers.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/fs.h"
#include "base/output.h"
#include "base/trace.h"
#include "engine/container_control.h"
#include "engine/container_names.h"
#include "engine/container_network.h"
#include "engine/container_options.h"
#include "engine/container_process.h"
#include "engine/container_summary.h"
#include "engine/networks.h"
#include "engine/volumes.h"
#include "image/image_config.h"
#include "image/image_store.h"
#include "image/layer_store.h"
#include "image/reference.h"
#include "linux/cgroup.h"
#include "linux/process_info.h"
#include "net/name_files.h"
#include "net/ipv4_subnet.h"
#include "net/network_mode.h"

namespace skiff {

namespace {

std::string names_dir(const Store& store) { return store.containers_dir() + "/.names"; }

Json initial_state() {
  return Json{{"Status", "created"},
              {"Running", false},
              {"Paused", false},
              {"Restarting", false},
              {"OOMKilled", false},
              {"Dead", false},
              {"Pid", 0},
              {"ExitCode", 0},
              {"Error", ""},
              {"StartedAt", kZeroTime},
              {"FinishedAt", kZeroTime}};
}

// Claims `name` for `id`: exactly one of several racing creators succeeds.
Status claim_name(const Store& store, const std::string& name, const std::string& id) {
  std::string link = names_dir(store) + "/" + name;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::symlink(id.c_str(), link.c_str()) == 0) return {};
    if (errno != EEXIST) return errno_error("claim the name `{}`", name);
    char owner[128];
    ssize_t n = ::readlink(link.c_str(), owner, sizeof owner - 1);
    std::string owner_id = n > 0 ? std::string(owner, n) : "";
    // A name whose container never appeared (its creator crashed) is free
    // again after a minute; one being created right now is not.
    struct stat st;
    bool stale = !owner_id.empty() && !path_exists(store.containers_dir() + "/" + owner_id) &&
                 ::lstat(link.c_str(), &st) == 0 && st.st_mtime + 60 < ::time(nullptr);
    if (!stale)
      return make_error(
          "Conflict. The container name \"/{}\" is already in use by container \"{}\". You have to remove "
          "(or "
          "rename) that container to be able to reuse that name.",
          name, owner_id);
    ::unlink(link.c_str());
  }
  return make_error("claim the name `{}`: it keeps changing", name);
}

void release_name(const Store& store, const std::string& name, const std::string& id) {
  std::string link = names_dir(store) + "/" + name;
  char owner[128];
  ssize_t n = ::readlink(link.c_str(), owner, sizeof owner - 1);
  if (n > 0 && std::string(owner, n) == id) ::unlink(link.c_str());
}

// fsyncs the named files in `dir`, then `dir` itself.
Status sync_tree_files(const std::string& dir, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    UniqueFd fd(::open((dir + "/" + name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0) return errno_error("sync `{}/{}`", dir, name);
  }
  return sync_directory(dir);
}

// Removes a container folder: directly when everything in it is ours (the
// common case), else from inside the user namespace (files of subordinate IDs).
Status remove_container_tree(const std::string& path) {
  if (remove_tree(path).ok()) return {};
  return remove_layer_trees({path});
}

}  // namespace

std::string Container::status() const { return state.value("Status", "created"); }

Status write_container_name_files(const Store& store, const Json& config, const std::string& dir) {
  std::string hostname = config["Config"].value("Hostname", "");
  const Json& host = config["HostConfig"];
  NetworkMode mode = TRY(parse_network_mode(host.value("NetworkMode", "")));
  std::string gateway, network_dns;
  if (mode.kind == NetworkMode::Kind::kNetwork) {
    NetworkRecord network = TRY(find_network(store, mode.network));
    auto subnet = TRY(parse_ipv4_subnet(network.subnet));
    gateway = network.gateway;
    network_dns = ipv4_address_text(network_dns_address(subnet, parse_ipv4_address(gateway).value_or(0)));
  }
  std::vector<std::string> extra_hosts;
  for (const auto& h : json_strings(host.value("ExtraHosts", Json())))
    extra_hosts.push_back(TRY(parse_add_host(h, mode, gateway)));
  auto host_file = [](const char* path) {
    auto text = read_file(path, 1 << 20);
    return text.ok() ? *text : std::string();
  };
  std::string hosts, resolv;
  if (mode.kind == NetworkMode::Kind::kContainer) {
    // Sharing another container's network: its names too, as docker.
    std::string other = store.containers_dir() + "/" + mode.container;
    hosts = host_file((other + "/hosts").c_str());
    resolv = host_file((other + "/resolv.conf").c_str());
  } else {
    std::string host_hosts = mode.kind == NetworkMode::Kind::kHost ? host_file("/etc/hosts") : "";
    hosts = container_hosts_file(mode, hostname, extra_hosts, host_hosts);
    DnsSettings dns{json_strings(host.value("Dns", Json())), json_strings(host.value("DnsSearch", Json())),
                    json_strings(host.value("DnsOptions", Json()))};
    resolv = container_resolv_conf(mode, dns, host_file("/etc/resolv.conf"), network_dns);
  }
  TRY(write_file_quickly(dir + "/hosts", hosts, 0644));
  return write_file_quickly(dir + "/resolv.conf", resolv, 0644);
}

Result<Container> create_container(const Store& store, const CreateOptions& options) {
  ContainerDraft draft = TRY(make_container_draft(store, options));
  trace("drafted");
  TRY(make_directories(names_dir(store), 0700));

  std::string id = options.id.empty() ? random_hex(64) : options.id;
  std::string name = options.name;
  if (name.empty()) {
    for (int attempt = 0;; ++attempt) {
      name = random_container_name(attempt > 4);
      if (claim_name(store, name, id).ok()) break;
      if (attempt > 20) return make_error("no free container name found");
    }
  } else {
    TRY(claim_name(store, name, id));
  }

  Container c{id, store.containers_dir() + "/" + id, std::move(draft.config), initial_state()};
  c.config["id"] = id;
  c.config["name"] = name;
  c.config["created"] = now_rfc3339();
  if (c.config["Config"]["Hostname"].get<std::string>().empty())
    c.config["Config"]["Hostname"] = id.substr(0, 12);

  // Built under a temporary name, made visible by one rename.
  std::string tmp = store.containers_dir() + "/.tmp-" + id;
  auto build = [&]() -> Status {
    TRY(make_directories(tmp, 0700));
    for (const char* sub : {"upper", "work", "merged"}) TRY(make_directories(tmp + "/" + sub, 0755));
    std::string hostname = c.config["Config"]["Hostname"].get<std::string>();
    // Files are written without fsync; the folder is made durable once,
    // before the rename that makes it visible. A --rm container is gone
    // when it ends, so it skips even that: a crash leaves only garbage.
    TRY(write_container_name_files(store, c.config, tmp));
    TRY(write_file_quickly(tmp + "/hostname", hostname + "\n", 0644));
    TRY(write_file_quickly(tmp + "/config.json", container_config_text(c.config)));
    TRY(write_json_quickly(tmp + "/state.json", c.state));
    if (!options.auto_remove) TRY(sync_tree_files(tmp, {"config.json", "state.json"}));
    if (::rename(tmp.c_str(), c.dir.c_str()) != 0) return errno_error("make container `{}` visible", id);
    return options.auto_remove ? Status() : sync_directory(store.containers_dir());
  };
  Status built = build();
  if (!built.ok()) {
    (void)remove_tree(tmp);
    release_name(store, name, id);
    return std::move(built).error().wrap("create container");
  }
  draft.keep_volumes();
  return c;
}

Result<Container> load_container(const Store& store, const std::string& id) {
  Container c;
  c.id = id;
  c.dir = store.containers_dir() + "/" + id;
  c.config = TRY(read_json_file(c.dir + "/config.json", 4 << 20));
  drop_config_listing(c.config);
  c.state = TRY(read_json_file(c.dir + "/state.json", 1 << 20));
  if (!c.config.is_object() || !c.state.is_object())
    return make_error("container `{}`: malformed record", id);
  // A live state without its monitor is a monitor that died (kill -9, a
  // reboot): the container went with it (its init dies with its parent).
  // The first to notice records it, holding the monitor's lock so that no
  // monitor starts meanwhile; FinishedAt is then.
  if (is_live_status(c.status()) && !monitor_alive(c.dir)) {
    auto lock = MonitorLock::try_acquire(c.dir);
    if (lock.ok() && lock->held()) {
      auto state = read_json_file(c.dir + "/state.json", 1 << 20);
      if (state.ok() && state->is_object()) c.state = std::move(*state);
    }
    if (is_live_status(c.status())) {
      record_exited(c, 255);
      c.state["Error"] = "the container's monitor ended without recording its exit";
      if (lock.ok() && lock->held()) (void)save_container_state(c, true);
    }
  }
  return c;
}

std::vector<Container> list_containers(const Store& store) {
  std::vector<Container> out;
  DIR* dir = ::opendir(store.containers_dir().c_str());
  if (!dir) return out;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    auto c = load_container(store, e->d_name);
    if (!c.ok()) {
      if (path_exists(store.containers_dir() + "/" + e->d_name))
        warn("skipping container `{}`: {}", e->d_name, c.error().text());
      continue;
    }
    out.push_back(std::move(*c));
  }
  ::closedir(dir);
  // Newest first, each creation time read once.
  std::vector<std::pair<std::string, size_t>> order;
  order.reserve(out.size());
  for (size_t i = 0; i < out.size(); ++i) order.emplace_back(out[i].config.value("created", ""), i);
  std::sort(order.begin(), order.end(), std::greater<>());
  std::vector<Container> sorted;
  sorted.reserve(out.size());
  for (const auto& [created, i] : order) sorted.push_back(std::move(out[i]));
  return sorted;
}

Result<Container> find_container(const Store& store, std::string_view name_or_id) {
  std::string key(name_or_id);
  if (key.starts_with("/")) key = key.substr(1);
  auto no_such = [&] { return make_error("No such container: {}", name_or_id); };
  if (key.empty() || key.find('/') != std::string::npos || key.starts_with(".")) return no_such();
  // Full ID, then name, then ID prefix, as docker.
  if (key.size() == 64 && path_exists(store.containers_dir() + "/" + key + "/config.json"))
    return load_container(store, key);
  char target[128];
  ssize_t n = ::readlink((names_dir(store) + "/" + key).c_str(), target, sizeof target - 1);
  if (n > 0 && path_exists(store.containers_dir() + "/" + std::string(target, n) + "/config.json"))
    return load_container(store, std::string(target, n));
  if (key.find_first_not_of("0123456789abcdef") != std::string::npos) return no_such();
  std::vector<std::string> matches;
  DIR* dir = ::opendir(store.containers_dir().c_str());
  if (dir) {
    while (struct dirent* e = ::readdir(dir))
      if (e->d_name[0] != '.' && std::string_view(e->d_name).starts_with(key)) matches.push_back(e->d_name);
    ::closedir(dir);
  }
  if (matches.empty()) return no_such();
  if (matches.size() > 1) return make_error("multiple containers found with provided prefix: {}", key);
  return load_container(store, matches.front());
}

Status save_container_state(const Container& container, bool durable) {
  if (durable) return write_json_atomically(container.dir + "/state.json", container.state);
  return write_json_quickly(container.dir + "/state.json", container.state);
}

Status remove_container(const Store& store, const Container& container, bool force, bool remove_volumes) {
  if (is_live_status(container.status())) {
    if (!force)
      return make_error(
          "cannot remove container \"/{}\": container is running: stop the container before removing or "
          "force remove",
          container.name());
    TRY(stop_container(store, container, {.timeout = 0, .signal = SIGKILL}));
  }
  std::string trash = store.containers_dir() + "/.trash-" + container.id;
  if (::rename(container.dir.c_str(), trash.c_str()) != 0) {
    if (errno == ENOENT) return {};  // removed meanwhile (--rm, another rm)
    return errno_error("remove container `{}`", container.id);
  }
  // A fresh mtime: garbage collection leaves a .trash- folder alone for ten minutes.
  ::utimensat(AT_FDCWD, trash.c_str(), nullptr, 0);
  // The name as recorded now: a rename may have changed it since `container` was read.
  auto config = read_json_file(trash + "/config.json", 4 << 20);
  release_name(
      store, config.ok() && config->is_object() ? config->value("name", container.name()) : container.name(),
      container.id);
  // A pasta a killed monitor left behind.
  stop_leftover_pasta(trash + "/" + kPastaPidFile, container.dir + "/" + kPastaPidFile);
  TRY(std::move(remove_container_tree(trash)).wrap("remove container `{}`", container.id));
  // The cgroup a killed monitor left, if any (linux/cgroup.h): the folder
  // its state names, only if it is this container's by name. Read from the
  // record, not the host's cgroup facts: `run --rm` comes through here.
  std::string cgroup = container.state.value("Cgroup", "");
  if (cgroup.ends_with("/" + container_cgroup_name(container.id))) ::rmdir(cgroup.c_str());
  // rm -v and --rm: its anonymous volumes go too, once it no longer uses them.
  if (remove_volumes || container.config.value("HostConfig", Json::object()).value("AutoRemove", false))
    TRY(std::move(remove_anonymous_volumes(store, container.config))
            .wrap("remove container `{}`", container.id));
  return {};
}

Status rename_container(const Store& store, const Container& container, std::string_view new_name) {
  std::string name = TRY(check_container_name(new_name));
  std::string old_name = container.name();
  if (name == old_name) return make_error("Renaming a container with the same name as its current name");
  // The new name first (of two racing renames, one gets it), then the
  // record, then the old name is given back.
  TRY(claim_name(store, name, container.id));
  Json config = container.config;
  config["name"] = name;
  Status saved = write_file_atomically(container.dir + "/config.json", container_config_text(config));
  if (!saved.ok()) {
    release_name(store, name, container.id);
    return std::move(saved).error().wrap("rename container {}", old_name);
  }
  release_name(store, old_name, container.id);
  return {};
}

}  // namespace skiff
