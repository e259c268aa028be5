#include "engine/container_start.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <optional>

#include "base/fs.h"
#include "base/output.h"
#include "base/trace.h"
#include "engine/container_log.h"
#include "engine/container_network.h"
#include "engine/container_options.h"
#include "engine/container_process.h"
#include "engine/container_rootfs.h"
#include "engine/container_security.h"
#include "engine/foreground.h"
#include "engine/health_check.h"
#include "engine/resource_limits.h"
#include "image/image_store.h"
#include "linux/caps.h"
#include "linux/container_launch.h"
#include "linux/init_binary.h"
#include "linux/namespace_join.h"
#include "linux/probe.h"
#include "linux/process_info.h"
#include "linux/userns.h"

namespace skiff {

namespace {

bool has_env(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& e : env)
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=') return true;
  return false;
}

// Without a subordinate range, say once per store what that costs.
void warn_single_id_mapping(const Store& store, const IdMapping& mapping) {
  if (mapping.has_subids()) return;
  std::string marker = store.root() + "/.warned-single-id";
  if (path_exists(marker)) return;
  warn("no subordinate ID range for this user in /etc/subuid and /etc/subgid (or newuidmap is missing): "
       "containers get only uid and gid 0, so `-u` with another user, supplementary groups and files "
       "owned by other IDs won't work; ask an administrator for a range (see `skiff info`)");
  (void)write_file_atomically(marker, "", 0600);
}

// A foreground container's health check, served by the relay loop: each
// outcome saved as the monitor saves it.
class HealthTask : public PollClient {
 public:
  HealthTask(const Store& store, Container& c, HealthConfig config)
      : store_(store), c_(c), monitor_(std::move(config)) {}
  void begin() { monitor_.run_started(c_.state, std::chrono::steady_clock::now()); }
  void end() { monitor_.run_ended(); }
  void add_to(PollSet& set) override {
    for (int fd : monitor_.fds()) set.add(fd, POLLIN);
    if (auto due = monitor_.deadline()) set.wake_by(*due);
  }
  void handle(const PollSet&) override {
    if (monitor_.step(store_, c_, c_.state, std::chrono::steady_clock::now()))
      (void)save_container_state(c_, false);
  }

 private:
  const Store& store_;
  Container& c_;
  HealthMonitor monitor_;
};

// --network container:NAME: this process joins NAME's user and network
// namespaces, so that the container it clones next shares them. Nothing
// to do for other networks.
Status join_container_network(const Store& store, const NetworkMode& mode) {
  if (mode.kind != NetworkMode::Kind::kContainer) return {};
  Container other = TRY(find_container(store, mode.container));
  if (other.status() != "running")
    return make_error("cannot join the network of container {}: it is not running", other.name());
  pid_t pid = other.state.value("Pid", 0);
  UniqueFd pidfd = TRY(std::move(open_process(pid, other.state.value("PidStartTime", uint64_t(0))))
                           .wrap("cannot join the network of container {}", other.name()));
  return std::move(join_network_namespace(pidfd.get(), pid)).wrap("cannot join the network of container {}", other.name());
}

}  // namespace

Result<LaunchSpec> make_launch_spec(const Store& store, const Container& c, const std::string& lease) {
  const Json& config = c.config;
  const Json& cc = config["Config"];
  const Json& host = config["HostConfig"];
  ContainerSpec spec;
  spec.rootfs = TRY(container_rootfs(store, c));
  spec.volumes = config_volumes(config);
  spec.network = host.value("NetworkMode", "");
  spec.read_only_rootfs = host.value("ReadonlyRootfs", false);
  spec.privileged = host.value("Privileged", false);
  spec.hosts_file = c.dir + "/hosts";
  spec.hostname_file = c.dir + "/hostname";
  spec.resolv_conf_file = c.dir + "/resolv.conf";

  const IdMapping& mapping = current_id_mapping();
  warn_single_id_mapping(store, mapping);
  LaunchSpec launch;
  launch.plan = TRY(make_plan(spec, mapping));
  launch.rootfs = spec.rootfs;
  launch.argv.push_back(config.value("Path", ""));
  for (const auto& a : json_strings(config["Args"])) launch.argv.push_back(a);
  launch.env = json_strings(cc["Env"]);
  launch.hostname = cc.value("Hostname", "");
  if (!has_env(launch.env, "HOSTNAME")) launch.env.insert(launch.env.begin() + std::min<size_t>(1, launch.env.size()), "HOSTNAME=" + launch.hostname);
  if (cc.value("Tty", false) && !has_env(launch.env, "TERM")) launch.env.push_back("TERM=xterm");
  std::string workdir = cc.value("WorkingDir", "");
  launch.cwd = workdir.empty() ? "/" : workdir;
  launch.user = cc.value("User", "");
  launch.group_add = json_strings(host["GroupAdd"]);
  ContainerSecurity security = TRY(container_security(store, c));
  launch.capabilities = std::move(security.capabilities);
  launch.seccomp = std::move(security.seccomp);
  launch.no_new_privileges = security.no_new_privileges;
  launch.init = host.value("Init", false);
  launch.tty = cc.value("Tty", false);
  NetworkMode network = TRY(parse_network_mode(spec.network));
  launch.tap = container_tap_config(network, cc.value("MacAddress", ""), lease);
  if (spec.rootfs.driver == RootfsDriver::kFuseOverlayfs) launch.fuse_overlayfs = find_program("fuse-overlayfs");
  return launch;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitSkiffFailed;
}

namespace {

// What the parent sends its cloned child: the container's ID, then on a
// user-defined network the run's lease (the child reads the rest from the
// records).
std::string launch_payload(const std::string& id, const std::string& lease) {
  return lease.empty() ? id : id + "\n" + lease;
}

std::pair<std::string, std::string> split_launch_payload(const std::string& payload) {
  size_t newline = payload.find('\n');
  if (newline == std::string::npos) return {payload, ""};
  return {payload.substr(0, newline), payload.substr(newline + 1)};
}

}  // namespace

Result<LaunchedContainer> launch_container(const Store& store, const Container& c, const ContainerStdio& stdio,
                                           ContainerNetwork& net) {
  UniqueFd init = TRY(open_init_binary());
  bool tty = c.config["Config"].value("Tty", false);
  // Child: its spec from the container's records, as run_in_foreground's.
  SpecMaker make_spec = [&](const std::string& payload) -> Result<LaunchSpec> {
    auto [id, lease] = split_launch_payload(payload);
    Container child_view = TRY(load_container(store, id));
    LaunchSpec spec = TRY(make_launch_spec(store, child_view, lease));
    spec.init_fd = init.get();
    for (int i = 0; i < 3; ++i) spec.stdio[i] = stdio.fds[i];
    if (spec.tty) spec.window = stdio.window;
    return spec;
  };
  const IdMapping& mapping = current_id_mapping();
  std::string network = c.config["HostConfig"].value("NetworkMode", "");
  NetworkMode mode = TRY(parse_network_mode(network));
  TRY(join_container_network(store, mode));
  ScopedCgroup cgroup = TRY(
      make_container_cgroup(container_cgroup_name(c.id), recorded_resource_limits(c.config["HostConfig"])));
  ContainerLaunch launch = TRY(ContainerLaunch::begin(container_clone_flags(network, mapping), mapping,
                                                      {.tty = tty, .tap = mode.has_tap()}, make_spec, &cgroup));
  std::string lease = TRY(net.join());
  LaunchedContainer launched = TRY(launch.finish(
      launch_payload(c.id, lease), [&](pid_t pid) { return net.set_up(pid, c.dir + "/" + kPastaPidFile); }));
  launched.cgroup = std::move(cgroup);
  return launched;
}

namespace {

// What the parent knows of a container before it exists: enough to clone
// its child and set up the terminal.
struct Prelude {
  bool tty = false;
  std::string network;
  bool logged = false;  ///< its output goes to ctr.log (engine/container_log.h)
  ResourceLimits limits;
  std::string id;  ///< the container's, or the one create will give it
};

// The foreground life of a container: `known`, or the one `create` makes
// while the child's ID maps are written (run).
Result<int> run_in_foreground(const Store& store, const Prelude& prelude, Container* known,
                              const std::function<Result<Container>()>& create, const StartOptions& options) {
  std::optional<Container> created;
  auto record = [&](Error error) -> Error {
    if (!known) return error;
    known->state["Error"] = error.text();
    known->state["ExitCode"] = error.exit_code();
    if (!known->config["HostConfig"].value("AutoRemove", false)) (void)save_container_state(*known, true);
    return error;
  };

  trace("start");
  ForegroundSession session;
  Status prepared = session.prepare({.tty = prelude.tty,
                                     .interactive = options.interactive,
                                     .attach = options.attach,
                                     .log_output = prelude.logged});
  if (!prepared.ok()) return record(std::move(prepared).error());
  UniqueFd init = TRY(open_init_binary());
  // Child: makes its spec from the container's records, read once the
  // parent says which container it is (the records may be larger than a
  // sync socket frame).
  SpecMaker make_spec = [&](const std::string& payload) -> Result<LaunchSpec> {
    auto [id, lease] = split_launch_payload(payload);
    Container c = TRY(load_container(store, id));
    LaunchSpec spec = TRY(make_launch_spec(store, c, lease));
    spec.init_fd = init.get();
    for (int i = 0; i < 3; ++i) spec.stdio[i] = session.container_stdio()[i];
    if (spec.tty) spec.window = session.window();
    return spec;
  };
  const IdMapping& mapping = current_id_mapping();
  // The cgroup is named by the container's ID and needed before the
  // clone: run chooses the ID create will use.
  auto cgroup = make_container_cgroup(container_cgroup_name(prelude.id), prelude.limits);
  if (!cgroup.ok()) return record(std::move(cgroup).error());
  auto mode = parse_network_mode(prelude.network);
  if (!mode.ok()) return record(std::move(mode).error());
  Status joined = join_container_network(store, *mode);
  if (!joined.ok()) return record(std::move(joined).error());
  auto launch = ContainerLaunch::begin(container_clone_flags(prelude.network, mapping), mapping,
                                       {.tty = prelude.tty, .tap = mode->has_tap()}, make_spec, &*cgroup);
  if (!launch.ok()) return record(std::move(launch).error());

  if (!known) {
    created = TRY(create());
    trace("created");
  }
  Container& c = known ? *known : *created;
  known = &c;
  // This process is the container's monitor: its lock says the container
  // runs for as long as we live (engine/container_process.h).
  auto lock = MonitorLock::try_acquire(c.dir);
  if (!lock.ok()) return record(std::move(lock).error());
  if (!lock->held()) return make_error("container {} is already running", c.name());
  bool auto_remove = c.config["HostConfig"].value("AutoRemove", false);
  // --rm removes the container however this ends.
  struct Remover {
    const Store& store;
    Container& c;
    bool on;
    ~Remover() {
      if (!on) return;
      // Never refused as "running": it is over. (Removed meanwhile by
      // `rm -f`, the rename in remove_container finds nothing: fine.)
      c.state["Status"] = "exited";
      Status removed = remove_container(store, c, true);
      if (!removed.ok()) print_error(removed.error());
      trace("removed");
    }
  } remover{store, c, auto_remove};
  std::optional<LogWriter> log;
  if (prelude.logged) {
    auto opened = open_container_log(c.dir, c.config);
    if (!opened.ok()) return record(std::move(opened).error());
    log = std::move(*opened);
  }

  // Published ports are bound before the command runs: a port in use
  // fails the start, and the container's child is killed with `launch`.
  auto network = ContainerNetwork::prepare(store, c.config, [](const std::string& why) { warn("{}", why); });
  if (!network.ok()) return record(std::move(network).error());
  auto lease = (*network)->join();
  if (!lease.ok()) return record(std::move(lease).error());

  auto launched = launch->finish(launch_payload(c.id, *lease),
                                 [&](pid_t child) { return (*network)->set_up(child, c.dir + "/" + kPastaPidFile); });
  trace("exec'd");
  if (!launched.ok()) return record(std::move(launched).error());
  Status attached = (*network)->attach(*launched);
  if (!attached.ok()) return record(std::move(attached).error());

  pid_t pid = launched->process.pid();
  record_running(c, pid);
  record_cgroup(c, cgroup->path());
  record_ports(c, (*network)->ports());
  record_networks(c, (*network)->endpoints());
  std::optional<HealthTask> health;
  if (auto config = health_config(c.config)) {
    health.emplace(store, c, std::move(*config));
    health->begin();
  }
  // "running" is moot after a crash (the monitor's lock sees through it): no
  // fsync. A --rm container's state is never read, unless for its health.
  if (!auto_remove || health || c.state.contains("Ports") || c.state.contains("Networks"))
    TRY(save_container_state(c, false));

  trace("state saved");
  std::vector<PollClient*> clients;
  if (health) clients.push_back(&*health);
  if (!(*network)->empty()) clients.push_back(network->get());
  int status = TRY(session.relay(pid, std::move(launched->pty_master), log ? &*log : nullptr, clients));
  trace("exited");
  launched->process.release();  // reaped by relay()
  if (health) health->end();
  (*network)->detach();
  int code = exit_code_of(status);
  record_exited(c, code);
  if (!auto_remove) {
    Status saved = save_container_state(c, true);
    // Removed meanwhile (rm -f): nothing to record.
    if (!saved.ok() && path_exists(c.dir)) return std::move(saved).error();
  }
  return code;
}

}  // namespace

Result<int> start_container(const Store& store, Container& c, const StartOptions& options) {
  if (is_live_status(c.status())) return make_error("container {} is already running", c.name());
  Prelude prelude{c.config["Config"].value("Tty", false), c.config["HostConfig"].value("NetworkMode", ""),
                  container_keeps_log(c.config), recorded_resource_limits(c.config["HostConfig"]), c.id};
  return run_in_foreground(store, prelude, &c, nullptr, options);
}

Result<int> run_container(const Store& store, const CreateOptions& create, const StartOptions& options) {
  // Limits that don't parse are create's error to report.
  auto limits = parse_resource_limits(create.limits, ::sysconf(_SC_NPROCESSORS_ONLN));
  CreateOptions with_id = create;
  if (with_id.id.empty()) with_id.id = random_hex(64);
  // Sharing another container's network, this process joins its
  // namespaces before the clone: the container is created first, so that
  // an image pull still goes through the host's network.
  auto mode = parse_network_mode(create.network);
  if (mode.ok() && mode->kind == NetworkMode::Kind::kContainer) {
    Container c = TRY(create_container(store, with_id));
    auto code = start_container(store, c, options);
    // A start that failed before its monitor took over (the other container
    // doesn't run): --rm still removes what create made.
    if (!code.ok() && create.auto_remove && path_exists(c.dir)) (void)remove_container(store, c, true);
    return code;
  }
  Prelude prelude{create.tty, create.network, keeps_log(create.log_driver, create.auto_remove),
                  limits.ok() ? *limits : ResourceLimits{}, with_id.id};
  return run_in_foreground(store, prelude, nullptr, [&] { return create_container(store, with_id); }, options);
}

}  // namespace skiff
