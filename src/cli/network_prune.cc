// skiff network prune
#include "cli/command.h"
#include "engine/networks.h"

namespace skiff::cli {

void add_network_prune_command(CLI::App& network, Context& ctx) {
  add_prune_subcommand(network, ctx, "Remove all unused networks",
                       "Filter: until=<time|duration>, label=KEY[=VALUE], label!=...",
                       "all custom networks not used by at least one container",
                       [](const Store& store, const std::vector<std::string>& filters,
                          const std::function<Result<bool>()>& confirm) -> Result<int> {
                         std::vector<std::string> deleted = TRY(prune_networks(store, filters, confirm));
                         if (deleted.empty()) return 0;
                         print_out("Deleted Networks:\n");
                         for (const auto& name : deleted) print_out(name + "\n");
                         print_out("\n");
                         return 0;
                       });
}

}  // namespace skiff::cli
