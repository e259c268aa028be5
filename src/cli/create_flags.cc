#include "cli/create_flags.h"

namespace skiff::cli {

void add_create_flags(CLI::App* cmd, CreateOptions& o) {
  cmd->set_help_flag("--help", "Print this help and exit");
  cmd->add_option("image", o.image, "The image to run")->required();
  cmd->add_option("--name", o.name, "Assign a name to the container");
  cmd->add_flag("--rm", o.auto_remove, "Remove the container when it exits");
  cmd->add_option("-e,--env", o.env, "Set environment variables (NAME=value, or NAME to pass ours)");
  cmd->add_option("--env-file", o.env_files, "Read environment variables from a file");
  cmd->add_option("-w,--workdir", "Working directory inside the container");
  cmd->add_option("-u,--user", "User name or uid[:gid] (from the image's /etc/passwd and /etc/group)");
  cmd->add_option("--group-add", o.group_add, "Add supplementary groups");
  cmd->add_option("--entrypoint", "Overwrite the image's ENTRYPOINT (\"\" clears it)");
  cmd->add_option("-h,--hostname", "Container host name");
  cmd->add_option("-l,--label", o.labels, "Set metadata (KEY=value)");
  cmd->add_flag("--read-only", o.read_only, "Mount the container's root filesystem read-only");
  cmd->add_option("--tmpfs", o.tmpfs, "Mount a tmpfs (DEST[:OPTIONS])");
  cmd->add_option("-v,--volume", o.volumes,
                  "Bind mount a host folder or a volume (HOST|NAME:DEST[:ro|rw|nocopy], or DEST)");
  cmd->add_option("--mount", o.mounts, "Attach a mount (type=bind|volume|tmpfs,source=,target=,readonly)");
  cmd->add_flag("-i,--interactive", o.interactive, "Keep stdin open and pass it to the container");
  cmd->add_flag("-t,--tty", o.tty, "Allocate a pseudo-terminal");
  cmd->add_flag("--init", o.init, "Run an init as PID 1 that forwards signals and reaps processes");
  cmd->add_option("--network,--net", o.network,
                  "Network: slirp[:allow_host_loopback=true,enable_ipv6=false,mtu=N] (the default), none, host, "
                  "container:NAME, pasta, or a network's name (skiff network create)");
  cmd->add_option("--network-alias,--net-alias", o.network_aliases, "Another name for the container on its network");
  cmd->add_option("--ip", o.ip, "The container's IPv4 address on its network");
  cmd->add_option("--link", o.links, "Reach another container on its network as ALIAS (NAME[:ALIAS])");
  cmd->add_option("-p,--publish", o.publish, "Publish a container's port on the host ([IP:][HOST_PORT:]PORT[/tcp|udp], ranges A-B)");
  cmd->add_flag("-P,--publish-all", o.publish_all, "Publish every exposed port on a free host port");
  cmd->add_option("--expose", o.expose, "Expose a port or a range (PORT[/tcp|udp]) without publishing it");
  cmd->add_option("--dns", o.dns, "Name server for the container's /etc/resolv.conf");
  cmd->add_option("--dns-search", o.dns_search, "Search domain for the container's /etc/resolv.conf (\".\": none)");
  cmd->add_option("--dns-option", o.dns_options, "Resolver option for the container's /etc/resolv.conf");
  cmd->add_option("--add-host", o.add_hosts, "Add a line to the container's /etc/hosts (NAME:IP; IP may be host-gateway)");
  cmd->add_option("--mac-address", o.mac_address, "MAC address of the container's interface");
  cmd->add_option("--pull", o.pull, "Pull the image: missing, always or never (default missing)");
  cmd->add_option("--platform", o.platform, "Require the image's platform (os/arch[/variant])");
  cmd->add_option("--cap-add", o.cap_add, "Add Linux capabilities (or ALL)");
  cmd->add_option("--cap-drop", o.cap_drop, "Drop Linux capabilities (or ALL)");
  cmd->add_flag("--privileged", o.privileged, "Give the container every capability, no seccomp, no masked paths");
  cmd->add_option("--security-opt", o.security_opts, "seccomp=unconfined|PROFILE.json, no-new-privileges");
  cmd->add_option("--restart", o.restart, "Restart policy: no, on-failure[:N], always or unless-stopped");
  cmd->add_option("--stop-signal", o.stop_signal, "Signal that stops the container (default: the image's, else SIGTERM)");
  cmd->add_option("--stop-timeout", o.stop_timeout, "Seconds to wait for the container to stop before killing it (default 10)");
  cmd->add_option("--log-driver", o.log_driver, "Logging driver: json-file (the default) or none");
  cmd->add_option("--log-opt", o.log_opts, "Log driver option: max-size=N[k|m|g], max-file=N");
  cmd->add_option("-m,--memory", o.limits.memory, "Memory limit (e.g. 512m, 2g; needs a delegated cgroup v2 subtree)");
  cmd->add_option("--memory-swap", o.limits.memory_swap, "Memory plus swap limit (-1: unlimited swap)");
  cmd->add_option("--cpus", o.limits.cpus, "Number of CPUs the container may use (e.g. 1.5)");
  cmd->add_option("-c,--cpu-shares", o.limits.cpu_shares, "CPU shares (relative weight)");
  cmd->add_option("--pids-limit", o.limits.pids_limit, "Maximum number of processes (-1: unlimited)");
  cmd->add_option("--health-cmd", o.health.cmd, "Command that checks the container's health (run by its shell)");
  cmd->add_option("--health-interval", o.health.interval, "Time between health checks (e.g. 30s, 1m; default 30s)");
  cmd->add_option("--health-timeout", o.health.timeout, "Time a health check may take (default 30s)");
  cmd->add_option("--health-start-period", o.health.start_period, "Time to start up before failed checks count (default 0s)");
  cmd->add_option("--health-retries", o.health.retries, "Failed checks in a row that make it unhealthy (default 3)");
  cmd->add_flag("--no-healthcheck", o.health.none, "Run no health check, not even the image's");
  // Everything after IMAGE is the container's command (main.cc cuts argv there).
}

void finish_create_options(const CLI::App* cmd, CreateOptions& o, const std::vector<std::string>& trailing) {
  auto optional = [&](const char* name) -> std::optional<std::string> {
    const CLI::Option* opt = cmd->get_option(name);
    if (opt->count() == 0) return std::nullopt;
    return opt->results().back();
  };
  o.workdir = optional("--workdir");
  o.user = optional("--user");
  o.entrypoint = optional("--entrypoint");
  o.hostname = optional("--hostname");
  o.command = trailing;
}

}  // namespace skiff::cli
