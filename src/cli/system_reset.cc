// skiff system reset
#include "cli/command.h"
#include "engine/system.h"

namespace skiff::cli {

void add_system_reset_command(CLI::App&, CLI::App& system, Context& ctx) {
  CLI::App* cmd = system.add_subcommand("reset", "Remove all images, containers, volumes and state");
  if (!ctx.wants(cmd)) return;
  cmd->add_flag("-f,--force")->description("Do not prompt (skiff never prompts)");
  cmd->callback([&ctx] {
    ctx.action = [&ctx]() -> Result<int> {
      TRY(reset_store(*TRY(ctx.store())));
      return 0;
    };
  });
}

}  // namespace skiff::cli
