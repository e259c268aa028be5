// Container records and their life cycle without a running process: create,
// find, list, inspect, remove (DESIGN.md, "Storage").
//
//   containers/<id>/config.json   fixed at create: docker's Config, HostConfig,
//                                 Mounts, Path/Args, plus skiff's image and layers
//   containers/<id>/state.json    docker's State, plus the PID's start time
//   containers/<id>/upper work    the overlay's upper and work folders
//   containers/<id>/merged        where the root is assembled (in the container's
//                                 own mount namespace only)
//   containers/<id>/hosts hostname resolv.conf   bound into the container
//   containers/.names/<name>      a symlink to the ID: created with symlink(2), so
//                                 of two creators racing for a name exactly one wins
//
// A container is built in containers/.tmp-<id> and made visible by one rename.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "engine/health_config.h"
#include "engine/resource_limits.h"
#include "image/store.h"

namespace skiff {

class PullObserver;

/// `docker create`'s options that skiff knows, as the CLI parsed them.
struct CreateOptions {
  std::string image;
  std::vector<std::string> command;        ///< after IMAGE; replaces the image's Cmd
  std::optional<std::string> entrypoint;   ///< --entrypoint ("" clears the image's)
  std::string name;
  std::vector<std::string> env;            ///< -e NAME=value, or NAME (taken from our environment)
  std::vector<std::string> env_files;
  std::optional<std::string> workdir;
  std::optional<std::string> user;
  std::vector<std::string> group_add;
  std::optional<std::string> hostname;
  std::vector<std::string> labels;         ///< KEY=value
  std::vector<std::string> volumes;        ///< -v SRC:DST[:OPTS], -v NAME:DST[:OPTS], -v DST
  std::vector<std::string> mounts;         ///< --mount type=bind|volume|tmpfs,...
  std::vector<std::string> tmpfs;          ///< --tmpfs DST[:OPTS]
  std::vector<std::string> cap_add, cap_drop;
  std::vector<std::string> security_opts;
  std::string network;                     ///< --network ("": slirp; net/network_mode.h)
  std::vector<std::string> network_aliases;  ///< --network-alias
  std::string ip;                          ///< --ip
  std::vector<std::string> links;          ///< --link NAME[:ALIAS]
  std::vector<std::string> publish;        ///< -p [IP:][HOST:]CONTAINER[/PROTO]
  bool publish_all = false;                ///< -P: every exposed port on a free host port
  std::vector<std::string> expose;         ///< --expose PORT[/PROTO]
  std::vector<std::string> dns;            ///< --dns
  std::vector<std::string> dns_search;     ///< --dns-search
  std::vector<std::string> dns_options;    ///< --dns-option
  std::vector<std::string> add_hosts;      ///< --add-host NAME:IP
  std::string mac_address;                 ///< --mac-address
  std::string pull = "missing";
  std::string platform;
  std::string storage_driver;              ///< "" chooses
  std::string restart = "no";              ///< no | on-failure[:N] | always | unless-stopped
  std::string stop_signal;                 ///< "" keeps the image's STOPSIGNAL
  std::optional<int> stop_timeout;         ///< seconds `stop` waits before SIGKILL
  std::string log_driver = "json-file";    ///< --log-driver: json-file or none
  std::vector<std::string> log_opts;       ///< --log-opt KEY=VALUE
  bool privileged = false;
  bool read_only = false;
  bool auto_remove = false;                ///< --rm
  bool init = false;
  bool tty = false;
  bool interactive = false;
  bool attach = false;                     ///< run in the foreground (run without -d)
  PullObserver* pull_observer = nullptr;   ///< shows an implicit pull's progress
  ResourceLimitFlags limits;               ///< --memory, --memory-swap, --cpus, --cpu-shares, --pids-limit
  HealthFlags health;                      ///< --health-*, --no-healthcheck
  std::string id;                          ///< the new container's ID (64 hex); random when empty
};

/// A container's two records.
struct Container {
  std::string id;
  std::string dir;  ///< containers/<id>
  Json config;
  Json state;
  std::string name() const { return config.value("name", ""); }
  std::string status() const;  ///< created, running, exited
};

/// Writes a container's /etc/hosts and /etc/resolv.conf into `dir` from
/// its config (its network, --dns*, --add-host): at create, and again when
/// `network connect` or `disconnect` changes its network.
Status write_container_name_files(const Store& store, const Json& config, const std::string& dir);

/// Checks the options, resolves the image and writes the container's
/// records: nothing is left behind on failure. Returns the new container.
Result<Container> create_container(const Store& store, const CreateOptions& options);

/// Finds a container by full ID, name (with or without a leading "/") or a
/// unique ID prefix: "No such container: <text>" otherwise.
Result<Container> find_container(const Store& store, std::string_view name_or_id);

/// Reads one container's records; a live one whose monitor is gone reads
/// as exited (engine/container_process.h).
Result<Container> load_container(const Store& store, const std::string& id);

/// Every container, newest first; unreadable ones are skipped with a warning.
/// (`ps` reads only what it lists: engine/container_summary.h.)
std::vector<Container> list_containers(const Store& store);

/// Replaces state.json. `durable` adds the fsyncs (skip them for states a
/// crash makes moot anyway, like "running").
Status save_container_state(const Container& container, bool durable);

/// Removes a container's records and files. A running one is refused
/// unless `force`, which kills it first. With `remove_volumes` (rm -v) or
/// HostConfig.AutoRemove (--rm), its anonymous volumes go too.
Status remove_container(const Store& store, const Container& container, bool force,
                        bool remove_volumes = false);

/// docker rename: gives the container `new_name` (which must be free) and
/// frees its old one.
Status rename_container(const Store& store, const Container& container, std::string_view new_name);

/// docker's container inspect object.
Json inspect_container(const Store& store, const Container& container);

/// The time docker shows for "never": 0001-01-01T00:00:00Z.
inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

}  // namespace skiff
