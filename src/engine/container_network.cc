#include "engine/container_network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fs.h"
#include "linux/probe.h"
#include "linux/process_info.h"

namespace skiff {

std::optional<TapConfig> container_tap_config(const NetworkMode& mode, const std::string& mac) {
  if (!mode.slirp_tap()) return std::nullopt;
  TapConfig tap;
  tap.mtu = mode.slirp.mtu;
  ::inet_pton(AF_INET, SlirpAddresses::kContainer, &tap.address);
  tap.prefix = SlirpAddresses::kPrefix;
  ::inet_pton(AF_INET, SlirpAddresses::kGateway, &tap.gateway);
  tap.ipv6 = mode.slirp.enable_ipv6;
  ::inet_pton(AF_INET6, SlirpAddresses::kContainer6, &tap.address6);
  tap.prefix6 = SlirpAddresses::kPrefix6;
  ::inet_pton(AF_INET6, SlirpAddresses::kGateway6, &tap.gateway6);
  if (!mac.empty()) tap.mac = parse_mac_address(mac);
  return tap;
}

Result<std::unique_ptr<ContainerNetwork>> ContainerNetwork::prepare(const Json& config,
                                                                    std::function<void(const std::string&)> warn) {
  const Json& host = config["HostConfig"];
  auto network = std::make_unique<ContainerNetwork>();
  network->mode_ = TRY(parse_network_mode(host.value("NetworkMode", "")));
  network->warn_ = std::move(warn);
  if (!network->warn_ && network->mode_.slirp_tap()) TRY(slirp_library());
  // Ports reach a namespace of the container's own; with the host's (or
  // another container's) they are discarded, as docker does.
  if (!network->mode_.own_namespace() || network->mode_.kind == NetworkMode::Kind::kNone) return network;
  std::vector<PortBinding> bindings = port_bindings_from_json(host.contains("PortBindings") ? host["PortBindings"] : Json());
  if (host.value("PublishAllPorts", false)) {
    std::vector<std::string> exposed;
    const Json& cc = config["Config"];
    if (cc.contains("ExposedPorts") && cc["ExposedPorts"].is_object())
      for (auto it = cc["ExposedPorts"].begin(); it != cc["ExposedPorts"].end(); ++it) exposed.push_back(it.key());
    for (auto& b : publish_all(exposed, bindings)) bindings.push_back(std::move(b));
  }
  if (!bindings.empty()) {
    // A listener and, per connection, two sockets and two pipes: a range
    // of ports soon passes the usual soft limit of 1024 descriptors. Up to
    // the hard limit, as podman does (the container inherits it).
    struct rlimit files;
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
      files.rlim_cur = files.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &files);
    }
    network->ports_ = TRY(PortForwarder::bind(bindings));
  }
  return network;
}

namespace {

// Runs `args` to its end; its stderr becomes the error when it fails.
Status run_program(const std::vector<std::string>& args) {
  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) return errno_error("create a pipe");
  UniqueFd err_read(err[0]), err_write(err[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // Nothing of our signal handling reaches it: no blocked signals, every
  // disposition the default (we ignore SIGPIPE).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  err_write.reset();
  if (rc != 0) return Error(rc, fmt::format("run `{}`", args[0]));
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(err_read.get(), buf, sizeof buf)) > 0;) text.append(buf, size_t(n));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return make_error("`{}` {}{}{}", args[0], describe_wait_status(status), text.empty() ? "" : ": ", text);
}

}  // namespace

Status ContainerNetwork::set_up(pid_t pid, const std::string& pid_file) {
  // The namespaces are opened while the child surely lives (it waits for
  // us): once its command runs, it may end before we look.
  if (ports_) sockets_ = std::make_unique<NetnsSockets>(TRY(NetnsSockets::open(pid)));
  if (mode_.kind != NetworkMode::Kind::kPasta) return {};
  std::string pasta = find_program("pasta");
  if (pasta.empty()) return make_error("start pasta: it is not installed (the passt package)");
  // pasta configures the namespace's interface as a copy of the host's
  // and goes to the background once it serves it; published ports are
  // ours (-t/-u none), so that every network publishes them the same way.
  std::vector<std::string> args = {pasta, "--config-net", "--quiet", "-t", "none", "-u", "none", "--pid", pid_file};
  args.insert(args.end(), mode_.pasta_args.begin(), mode_.pasta_args.end());
  args.push_back(std::to_string(pid));
  ::unlink(pid_file.c_str());
  TRY(run_program(args));
  auto text = read_file(pid_file, 64);
  pid_t daemon = text.ok() ? pid_t(std::atoi(text->c_str())) : 0;
  if (daemon <= 0) return make_error("start pasta: it wrote no PID to `{}`", pid_file);
  pasta_ = TRY(open_process(daemon, process_start_time(daemon)));
  return {};
}

void stop_leftover_pasta(const std::string& pid_file, const std::string& named_file) {
  auto text = read_file(pid_file, 64);
  pid_t pid = text.ok() ? pid_t(std::atoi(text->c_str())) : 0;
  if (pid <= 0) return;
  auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline", 1 << 16);
  if (!cmdline.ok() || cmdline->find(std::string(1, '\0') + named_file + '\0') == std::string::npos) return;
  ::kill(pid, SIGTERM);
}

Status ContainerNetwork::attach(LaunchedContainer& launched) {
  if (launched.tap) slirp_ = std::make_unique<SlirpNetwork>(std::move(launched.tap), mode_.slirp, warn_);
  if (ports_ && sockets_) {
    // docker connects to the container's address (a service bound to its
    // 127.0.0.1 alone is not published); pasta's namespace has the host's
    // addresses, so there, loopback.
    sockaddr_in target = {};
    target.sin_family = AF_INET;
    ::inet_pton(AF_INET, mode_.slirp_tap() ? SlirpAddresses::kContainer : "127.0.0.1", &target.sin_addr);
    NetnsSockets* sockets = sockets_.get();
    ports_->attach([sockets](int family, int type) { return sockets->make_socket(family, type); }, target);
  }
  return {};
}

void ContainerNetwork::detach() {
  if (pasta_) {
    ::syscall(SYS_pidfd_send_signal, pasta_.get(), SIGTERM, nullptr, 0);
    pasta_.reset();
  }
  if (ports_) ports_->detach();
  sockets_.reset();
  slirp_.reset();
}

void ContainerNetwork::add_to(PollSet& set) {
  if (slirp_) slirp_->add_to(set);
  if (ports_) ports_->add_to(set);
}

void ContainerNetwork::handle(const PollSet& set) {
  if (slirp_) slirp_->handle(set);
  if (ports_) ports_->handle(set);
}

}  // namespace skiff
