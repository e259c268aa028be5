// skiff network prune
#include "cli/command.h"
#include "engine/networks.h"

namespace skiff::cli {

void add_network_prune_command(CLI::App& network, Context& ctx) {
  CLI::App* cmd = network.add_subcommand("prune", "Remove all unused networks");
  auto force = std::make_shared<bool>(false);
  auto filters = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--filter", *filters, "Filter: until=<time|duration>, label=KEY[=VALUE], label!=...")
      ->allow_extra_args(false);
  cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation (needed when stdin is not a terminal)");
  cmd->callback([=, &ctx] {
    ctx.action = [=, &ctx]() -> Result<int> {
      auto confirm = [&] {
        return confirm_prune(*force, "network prune",
                             "all custom networks not used by at least one container");
      };
      std::vector<std::string> deleted = TRY(prune_networks(*TRY(ctx.store()), *filters, confirm));
      if (deleted.empty()) return 0;
      print_out("Deleted Networks:\n");
      for (const auto& name : deleted) print_out(name + "\n");
      print_out("\n");
      return 0;
    };
  });
}

}  // namespace skiff::cli
