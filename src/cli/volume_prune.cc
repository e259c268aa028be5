// skiff volume prune
#include "base/units.h"
#include "cli/command.h"
#include "engine/volumes.h"

namespace skiff::cli {

void add_volume_prune_command(CLI::App& volume, Context& ctx) {
  CLI::App* cmd = volume.add_subcommand("prune", "Remove unused volumes");
  if (!ctx.wants(cmd)) return;
  auto all = std::make_shared<bool>(false);
  auto filters = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("-a,--all", *all, "Remove all unused volumes, not just anonymous ones");
  cmd->add_option("--filter", *filters, "Filter: label=KEY[=VALUE], label!=..., all=true")
      ->allow_extra_args(false);
  cmd->add_flag("-f,--force")->description("Do not prompt (skiff never prompts)");
  cmd->callback([=, &ctx] {
    ctx.action = [=, &ctx]() -> Result<int> {
      VolumePruneOutcome outcome = TRY(prune_volumes(*TRY(ctx.store()), *all, *filters));
      if (!outcome.deleted.empty()) {
        print_out("Deleted Volumes:\n");
        for (const auto& name : outcome.deleted) print_out(name + "\n");
        print_out("\n");
      }
      print_out("Total reclaimed space: " + human_size(double(outcome.reclaimed)) + "\n");
      return 0;
    };
  });
}

}  // namespace skiff::cli
