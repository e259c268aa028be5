// Published ports (-p): the host side listens in the container's monitor;
// each TCP connection it accepts is matched by a socket made inside the
// container's network namespace (linux/netns_sockets.h), connected to the
// container's address, and bytes move between the two with splice(2)
// through a pipe: no copy through user space, no user-mode TCP stack. UDP
// gets a connected socket in the container per client address.
//
// The listeners are bound before the container starts, so a port in use or
// a privileged port fails the start with why; they live as long as the
// monitor (across restarts) and close with it.
#pragma once

#include <netinet/in.h>

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "base/poll_set.h"
#include "base/unique_fd.h"
#include "net/port_spec.h"

namespace skiff {

/// Makes a non-blocking socket in the container's network namespace.
using SocketMaker = std::function<Result<UniqueFd>(int family, int type)>;

class PortForwarder : public PollClient {
 public:
  /// Binds every binding: "" as host IP means 0.0.0.0 and, where the host
  /// has IPv6, [::] on the same port; port 0 (or a range) takes a free
  /// one. A failure names the port and why (in use, privileged, no such
  /// address) and leaves nothing bound.
  static Result<std::unique_ptr<PortForwarder>> bind(const std::vector<PortBinding>& bindings);
  ~PortForwarder() override;

  /// docker's NetworkSettings.Ports: {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}]},
  /// what was bound (null when nothing).
  Json ports_json() const;

  /// A run began: connections go to `target` (the container's address, as
  /// a sockaddr_in) through sockets from `make`.
  void attach(SocketMaker make, sockaddr_in target);
  /// The run ended: every connection and UDP flow closes; the listeners stay.
  void detach();

  void add_to(PollSet& set) override;
  void handle(const PollSet& set) override;

  struct Listener;
  struct Connection;
  struct UdpFlow;

 private:
  PortForwarder() = default;
  void accept_connections(Listener& l);
  void receive_datagrams(Listener& l);
  void pump(Connection& c);
  void close_connection(Connection& c, bool reset);

  std::vector<std::unique_ptr<Listener>> listeners_;
  std::list<std::unique_ptr<Connection>> connections_;
  SocketMaker make_;
  sockaddr_in target_{};
  bool attached_ = false;
};

/// The host's lowest unprivileged port (net.ipv4.ip_unprivileged_port_start).
int unprivileged_port_start();

}  // namespace skiff
