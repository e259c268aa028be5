// skiff network create
#include "cli/command.h"
#include "engine/networks.h"

namespace skiff::cli {

void add_network_create_command(CLI::App& network, Context& ctx) {
  CLI::App* cmd = network.add_subcommand("create", "Create a network");
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<NetworkCreateOptions>();
  cmd->add_option("name", opts->name, "The network's name")->required();
  cmd->add_option("-d,--driver", opts->driver, "Network driver (only bridge)");
  cmd->add_option("--subnet", opts->subnet, "Subnet in CIDR form (default: the lowest free 10.89.N.0/24)");
  cmd->add_option("--gateway", opts->gateway, "Gateway address in the subnet (default: its first host)");
  cmd->add_flag("--internal", opts->internal, "Give the network no way out");
  cmd->add_flag("--attachable")->description("Accepted for docker's sake: every network is attachable");
  cmd->add_flag("--ignore", opts->ignore_existing, "Print the existing network's ID if the name is taken");
  cmd->add_option("--label", opts->labels, "Set metadata (KEY=value)")->allow_extra_args(false);
  cmd->add_option("-o,--opt", opts->options, "Driver options (only com.docker.network.driver.mtu)")
      ->allow_extra_args(false);
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx]() -> Result<int> {
      NetworkRecord network = TRY(create_network(*TRY(ctx.store()), *opts));
      print_out(network.id + "\n");
      return 0;
    };
  });
}

}  // namespace skiff::cli
