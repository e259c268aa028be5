// skiff container prune
#include "base/output.h"
#include "base/units.h"
#include "cli/command.h"
#include "engine/container_prune.h"

namespace skiff::cli {

void add_container_prune_command(CLI::App& container, Context& ctx) {
  CLI::App* cmd = container.add_subcommand("prune", "Remove all stopped containers");
  auto force = std::make_shared<bool>(false);
  auto filters = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--filter", *filters, "Filter: until=<time|duration>, label=KEY[=VALUE], label!=...")
      ->allow_extra_args(false);
  cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation (needed when stdin is not a terminal)");
  cmd->callback([=, &ctx] {
    ctx.action = [=, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      ContainerPruneOutcome outcome = TRY(prune_containers(*store, *filters, [&] {
        return confirm_prune(*force, "container prune", "all stopped containers");
      }));
      if (!outcome.deleted.empty()) {
        print_out("Deleted Containers:\n");
        for (const auto& id : outcome.deleted) print_out(id + "\n");
        print_out("\n");
      }
      print_out("Total reclaimed space: " + human_size(double(outcome.reclaimed)) + "\n");
      return 0;
    };
  });
}

}  // namespace skiff::cli
