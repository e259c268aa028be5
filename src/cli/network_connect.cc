// skiff network connect / skiff network disconnect
#include "cli/command.h"
#include "engine/networks.h"

namespace skiff::cli {

namespace {

struct Options {
  std::string network, container;
  EndpointSettings endpoint;
  bool force = false;
};

void add_positionals(CLI::App* cmd, Options& opts) {
  cmd->add_option("network", opts.network, "The network's name or ID")->required();
  cmd->add_option("container", opts.container, "The container's name or ID")->required();
}

void define_connect(CLI::App* connect, Context& ctx) {
  if (!ctx.wants(connect)) return;
  auto c = std::make_shared<Options>();
  add_positionals(connect, *c);
  connect->add_option("--alias", c->endpoint.aliases, "Another name the container has on the network")
      ->allow_extra_args(false);
  connect->add_option("--ip", c->endpoint.ip, "The container's IPv4 address on the network");
  connect->add_option("--link", c->endpoint.links, "Add a link to another container (NAME[:ALIAS])")
      ->allow_extra_args(false);
  connect->callback([c, &ctx] {
    ctx.action = [c, &ctx]() -> Result<int> {
      TRY(connect_container(*TRY(ctx.store()), c->network, c->container, c->endpoint));
      return 0;
    };
  });
}

void define_disconnect(CLI::App* disconnect, Context& ctx) {
  if (!ctx.wants(disconnect)) return;
  auto d = std::make_shared<Options>();
  add_positionals(disconnect, *d);
  disconnect->add_flag("-f,--force", d->force, "No error when the container is not on the network");
  disconnect->callback([d, &ctx] {
    ctx.action = [d, &ctx]() -> Result<int> {
      TRY(disconnect_container(*TRY(ctx.store()), d->network, d->container, d->force));
      return 0;
    };
  });
}

}  // namespace

void add_network_connect_commands(CLI::App& network, Context& ctx) {
  define_connect(network.add_subcommand("connect", "Connect a stopped container to a network"), ctx);
  define_disconnect(network.add_subcommand("disconnect", "Disconnect a stopped container from a network"), ctx);
}

}  // namespace skiff::cli
