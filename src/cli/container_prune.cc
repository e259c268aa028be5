// skiff container prune
#include "base/units.h"
#include "cli/command.h"
#include "engine/container_prune.h"

namespace skiff::cli {

void add_container_prune_command(CLI::App& container, Context& ctx) {
  add_prune_subcommand(container, ctx, "Remove all stopped containers",
                       "Filter: until=<time|duration>, label=KEY[=VALUE], label!=...",
                       "all stopped containers",
                       [](const Store& store, const std::vector<std::string>& filters,
                          const std::function<Result<bool>()>& confirm) -> Result<int> {
                         ContainerPruneOutcome outcome = TRY(prune_containers(store, filters, confirm));
                         if (!outcome.deleted.empty()) {
                           print_out("Deleted Containers:\n");
                           for (const auto& id : outcome.deleted) print_out(id + "\n");
                           print_out("\n");
                         }
                         print_out("Total reclaimed space: " + human_size(double(outcome.reclaimed)) + "\n");
                         return 0;
                       });
}

}  // namespace skiff::cli
