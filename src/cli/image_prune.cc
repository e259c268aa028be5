// skiff image prune
#include "base/units.h"
#include "cli/command.h"
#include "engine/images.h"

namespace skiff::cli {

void add_image_prune_command(CLI::App&, CLI::App& image, Context& ctx) {
  CLI::App* cmd = image.add_subcommand("prune", "Remove unused images");
  if (!ctx.wants(cmd)) return;
  auto all = std::make_shared<bool>(false);
  auto filters = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("-a,--all", *all, "Remove all images no container uses, not just dangling ones");
  cmd->add_option("--filter", *filters, "Filter: until=<time|duration>, label=KEY[=VALUE], label!=...")
      ->allow_extra_args(false);
  cmd->add_flag("-f,--force")->description("Do not prompt (skiff never prompts)");
  cmd->callback([=, &ctx] {
    ctx.action = [=, &ctx]() -> Result<int> {
      PruneOutcome outcome = TRY(prune_images(*TRY(ctx.store()), *all, *filters));
      if (!outcome.deleted.empty()) {
        print_out("Deleted Images:\n");
        for (const auto& name : outcome.untagged) print_out("untagged: " + name + "\n");
        for (const auto& id : outcome.deleted) print_out("deleted: " + id + "\n");
        print_out("\n");
      }
      print_out("Total reclaimed space: " + human_size(double(outcome.reclaimed)) + "\n");
      return 0;
    };
  });
}

}  // namespace skiff::cli
