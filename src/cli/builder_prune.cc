// skiff builder prune
#include "base/units.h"
#include "cli/command.h"
#include "engine/images.h"

namespace skiff::cli {

void add_builder_prune_command(CLI::App& builder, Context& ctx) {
  CLI::App* cmd = builder.add_subcommand("prune", "Remove the build cache");
  if (!ctx.wants(cmd)) return;
  cmd->add_flag("-a,--all")->description("Remove all of the build cache (skiff's cache has no other part)");
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation (needed when stdin is not a terminal)");
  cmd->callback([=, &ctx] {
    ctx.action = [=, &ctx]() -> Result<int> {
      if (!TRY(confirm_prune(*force, "builder prune", "all build cache"))) return 0;
      PruneOutcome outcome = TRY(prune_build_cache(*TRY(ctx.store())));
      if (!outcome.deleted.empty()) {
        print_out("Deleted build cache objects:\n");
        for (const auto& id : outcome.deleted) print_out(id + "\n");
        print_out("\n");
      }
      print_out("Total reclaimed space: " + human_size(double(outcome.reclaimed)) + "\n");
      return 0;
    };
  });
}

}  // namespace skiff::cli
