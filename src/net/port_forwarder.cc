#include "net/port_forwarder.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "linux/probe.h"

namespace skiff {

namespace {

using Clock = PollSet::Clock;

// Each direction of a connection moves through a pipe this large (when the
// user's pipe allowance permits; pipes are counted by capacity).
constexpr int kPipeSize = 256 << 10;
constexpr size_t kMaxConnections = 4096;
constexpr size_t kMaxUdpFlows = 256;
constexpr auto kUdpIdle = std::chrono::seconds(60);

uint16_t port_of(const sockaddr_storage& sa) {
  return ntohs(sa.ss_family == AF_INET ? reinterpret_cast<const sockaddr_in&>(sa).sin_port
                                       : reinterpret_cast<const sockaddr_in6&>(sa).sin6_port);
}

// The address to bind for `ip` ("" handled by the caller) and `port`.
std::optional<sockaddr_storage> make_address(const std::string& ip, uint16_t port) {
  sockaddr_storage sa = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&sa);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&sa);
  if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return sa;
  }
  if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return sa;
  }
  return std::nullopt;
}

std::string shown(const std::string& ip, uint16_t port) {
  return ip.find(':') != std::string::npos ? fmt::format("[{}]:{}", ip, port) : fmt::format("{}:{}", ip, port);
}

void set_pipe_size(int fd) { (void)::fcntl(fd, F_SETPIPE_SZ, kPipeSize); }

}  // namespace

int unprivileged_port_start() {
  return int(read_sysctl_int("/proc/sys/net/ipv4/ip_unprivileged_port_start").value_or(1024));
}

struct PortForwarder::UdpFlow {
  UniqueFd sock;
  sockaddr_storage client{};
  socklen_t client_len = 0;
  Clock::time_point last;
  size_t index = 0;
};

struct PortForwarder::Listener {
  PortBinding binding;
  std::string host_ip;  ///< as bound: "0.0.0.0", "::" or the binding's
  uint16_t port = 0;
  bool udp = false;
  UniqueFd fd;
  size_t index = 0;
  std::map<std::string, UdpFlow> flows;  ///< by the client's address bytes
};

struct PortForwarder::Connection {
  struct Flow {  ///< one direction, through its pipe
    UniqueFd read_end, write_end;
    size_t queued = 0;
    bool eof = false;
    bool shut = false;
  };
  UniqueFd host, container;
  bool connecting = true;
  bool failed = false;
  Flow up, down;  ///< host -> container, container -> host
  size_t host_index = 0, container_index = 0;
};

namespace {

// Binds one listening socket; errors say what the user can do.
Result<UniqueFd> bind_listener(const PortBinding& b, const sockaddr_storage& address, bool v6only) {
  bool udp = b.protocol == "udp";
  UniqueFd fd(::socket(address.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return errno_error("open a socket");
  int on = 1;
  if (!udp) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (address.ss_family == AF_INET6 && v6only) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  socklen_t len = address.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), len) != 0) return errno_error("bind");
  if (!udp && ::listen(fd.get(), SOMAXCONN) != 0) return errno_error("listen");
  return fd;
}

Error explain_bind_failure(const PortBinding& b, const std::string& ip, uint16_t port, const Error& why) {
  std::string what = fmt::format("publish port {} on {}", b.key(), shown(ip, port));
  int start = unprivileged_port_start();
  if ((why.errnum() == EACCES || why.errnum() == EPERM) && port < start)
    return make_error(
        "{}: ports below {} are privileged on this host (net.ipv4.ip_unprivileged_port_start = {}); publish a "
        "host port of {} or more, or ask an administrator to lower that sysctl",
        what, start, start, start);
  if (why.errnum() == EADDRINUSE)
    return make_error("{}: the port is already in use (another program or container listens there)", what);
  if (why.errnum() == EADDRNOTAVAIL) return make_error("{}: {} is not an address of this host", what, ip);
  return Error(why.errnum(), what);
}

}  // namespace

Result<std::unique_ptr<PortForwarder>> PortForwarder::bind(const std::vector<PortBinding>& bindings) {
  std::unique_ptr<PortForwarder> out(new PortForwarder());
  for (const auto& b : bindings) {
    bool any = b.host_ip.empty();
    std::string ip = any ? "0.0.0.0" : b.host_ip;
    uint16_t first = b.host_port_first, last = b.host_port_first ? b.host_port_last : 0;
    std::optional<Error> failure;
    UniqueFd fd;
    uint16_t bound_port = 0;
    for (unsigned port = first; port <= last; ++port) {
      auto address = make_address(ip, uint16_t(port));
      if (!address) return make_error("publish port {}: `{}` is not an IP address", b.key(), ip);
      auto bound = bind_listener(b, *address, true);
      if (bound.ok()) {
        fd = std::move(*bound);
        failure.reset();
        break;
      }
      failure = explain_bind_failure(b, ip, uint16_t(port), bound.error());
      // In a range, a port in use only means: try the next.
      if (bound.error().errnum() != EADDRINUSE) break;
    }
    if (failure) return std::move(*failure);
    sockaddr_storage name = {};
    socklen_t len = sizeof name;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&name), &len);
    bound_port = port_of(name);
    auto add = [&](UniqueFd listener, std::string host_ip) {
      auto l = std::make_unique<Listener>();
      l->binding = b;
      l->host_ip = std::move(host_ip);
      l->port = bound_port;
      l->udp = b.protocol == "udp";
      l->fd = std::move(listener);
      out->listeners_.push_back(std::move(l));
    };
    add(std::move(fd), ip);
    if (any) {
      // The same port on IPv6, where the host has it; without, IPv4 is enough.
      auto v6 = bind_listener(b, *make_address("::", bound_port), true);
      if (v6.ok()) add(std::move(*v6), "::");
    }
  }
  return out;
}

PortForwarder::~PortForwarder() = default;

Json PortForwarder::ports_json() const {
  if (listeners_.empty()) return Json();
  Json out = Json::object();
  for (const auto& l : listeners_)
    out[l->binding.key()].push_back({{"HostIp", l->host_ip}, {"HostPort", std::to_string(l->port)}});
  return out;
}

void PortForwarder::attach(SocketMaker make, sockaddr_in target) {
  make_ = std::move(make);
  target_ = target;
  attached_ = true;
}

void PortForwarder::detach() {
  attached_ = false;
  make_ = nullptr;
  connections_.clear();
  for (auto& l : listeners_) l->flows.clear();
}

void PortForwarder::add_to(PollSet& set) {
  for (auto& l : listeners_) {
    l->index = set.add(l->fd.get(), POLLIN);
    for (auto& [key, flow] : l->flows) {
      flow.index = set.add(flow.sock.get(), POLLIN);
      set.wake_by(flow.last + kUdpIdle);
    }
  }
  for (auto& c : connections_) {
    if (c->connecting) {
      c->container_index = set.add(c->container.get(), POLLOUT);
      c->host_index = set.add(-1, 0);
      continue;
    }
    short host = 0, container = 0;
    if (!c->up.eof && c->up.queued < size_t(kPipeSize)) host |= POLLIN;
    if (c->down.queued > 0) host |= POLLOUT;
    if (!c->down.eof && c->down.queued < size_t(kPipeSize)) container |= POLLIN;
    if (c->up.queued > 0) container |= POLLOUT;
    c->host_index = set.add(c->host.get(), host);
    c->container_index = set.add(c->container.get(), container);
  }
}

void PortForwarder::handle(const PollSet& set) {
  for (auto& l : listeners_) {
    if (set.revents(l->index) & POLLIN) l->udp ? receive_datagrams(*l) : accept_connections(*l);
    if (!l->udp) continue;
    char buf[65536];
    auto now = Clock::now();
    for (auto it = l->flows.begin(); it != l->flows.end();) {
      UdpFlow& flow = it->second;
      if (set.revents(flow.index) & POLLIN) {
        for (int i = 0; i < 64; ++i) {
          ssize_t n = ::recv(flow.sock.get(), buf, sizeof buf, 0);
          if (n < 0) break;
          ::sendto(l->fd.get(), buf, size_t(n), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&flow.client),
                   flow.client_len);
          flow.last = now;
        }
      }
      if (now - flow.last >= kUdpIdle)
        it = l->flows.erase(it);
      else
        ++it;
    }
  }
  for (auto it = connections_.begin(); it != connections_.end();) {
    Connection& c = **it;
    // Connections accepted this round have no indexes yet.
    bool ready = c.host_index < size_t(-1) &&
                 (set.revents(c.host_index) || set.revents(c.container_index));
    if (ready) pump(c);
    if (c.failed || (c.up.shut && c.down.shut)) {
      close_connection(c, c.failed);
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void PortForwarder::accept_connections(Listener& l) {
  for (int i = 0; i < 64; ++i) {
    UniqueFd host(::accept4(l.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!host) return;
    // Between runs (a restart's wait), or too many at once: refused.
    if (!attached_ || connections_.size() >= kMaxConnections) continue;
    auto ctr = make_(target_.sin_family, SOCK_STREAM);
    if (!ctr.ok()) continue;
    sockaddr_in to = target_;
    to.sin_port = htons(l.binding.container_port);
    if (::connect(ctr->get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS) continue;
    auto c = std::make_unique<Connection>();
    c->host = std::move(host);
    c->container = std::move(*ctr);
    c->host_index = size_t(-1);  // not polled yet this round
    int on = 1;
    ::setsockopt(c->host.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    ::setsockopt(c->container.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    bool pipes_ok = true;
    for (Connection::Flow* f : {&c->up, &c->down}) {
      int fds[2];
      if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        pipes_ok = false;
        break;
      }
      f->read_end.reset(fds[0]);
      f->write_end.reset(fds[1]);
      set_pipe_size(fds[1]);
    }
    if (!pipes_ok) continue;
    connections_.push_back(std::move(c));
  }
}

void PortForwarder::receive_datagrams(Listener& l) {
  char buf[65536];
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage client = {};
    socklen_t len = sizeof client;
    ssize_t n = ::recvfrom(l.fd.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&client), &len);
    if (n < 0) return;
    if (!attached_) continue;
    std::string key(reinterpret_cast<const char*>(&client), len);
    auto it = l.flows.find(key);
    if (it == l.flows.end()) {
      if (l.flows.size() >= kMaxUdpFlows) {
        auto oldest = std::min_element(l.flows.begin(), l.flows.end(),
                                       [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
        l.flows.erase(oldest);
      }
      auto sock = make_(target_.sin_family, SOCK_DGRAM);
      if (!sock.ok()) continue;
      sockaddr_in to = target_;
      to.sin_port = htons(l.binding.container_port);
      if (::connect(sock->get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) continue;
      UdpFlow flow;
      flow.sock = std::move(*sock);
      flow.client = client;
      flow.client_len = len;
      // Polled from the next round on: its index is none this round.
      flow.index = size_t(-1);
      it = l.flows.emplace(std::move(key), std::move(flow)).first;
    }
    it->second.last = Clock::now();
    (void)::send(it->second.sock.get(), buf, size_t(n), MSG_DONTWAIT);
  }
}

namespace {

// Moves what `from` has into the pipe and what the pipe holds into `to`,
// as long as either makes progress. Returns false on an error that ends the
// connection.
bool pump_flow(PortForwarder::Connection::Flow& f, int from, int to) {
  for (int round = 0; round < 16; ++round) {
    bool progress = false;
    if (!f.eof && f.queued < size_t(kPipeSize)) {
      ssize_t n = ::splice(from, nullptr, f.write_end.get(), nullptr, size_t(kPipeSize) - f.queued,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        f.queued += size_t(n);
        progress = true;
      } else if (n == 0) {
        f.eof = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        return false;
      }
    }
    if (f.queued > 0) {
      ssize_t n = ::splice(f.read_end.get(), nullptr, to, nullptr, f.queued, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        f.queued -= size_t(n);
        progress = true;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return false;
      }
    }
    if (!progress) break;
  }
  // Everything sent: pass the end of the stream on (a half close).
  if (f.eof && f.queued == 0 && !f.shut) {
    ::shutdown(to, SHUT_WR);
    f.shut = true;
  }
  return true;
}

}  // namespace

void PortForwarder::pump(Connection& c) {
  if (c.connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(c.container.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == EINPROGRESS || err == EALREADY) return;
    if (err != 0) {
      c.failed = true;  // nothing listens in the container: the client's connection is reset
      return;
    }
    c.connecting = false;
  }
  if (!pump_flow(c.up, c.host.get(), c.container.get()) || !pump_flow(c.down, c.container.get(), c.host.get()))
    c.failed = true;
}

void PortForwarder::close_connection(Connection& c, bool reset) {
  if (reset) {
    // An abortive close: the peer sees a reset, as it would have from the
    // container's side.
    struct linger lg = {1, 0};
    ::setsockopt(c.host.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    ::setsockopt(c.container.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
}

}  // namespace skiff
