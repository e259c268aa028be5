// skiff volume create
#include "cli/command.h"
#include "engine/volumes.h"

namespace skiff::cli {

void add_volume_create_command(CLI::App& volume, Context& ctx) {
  CLI::App* cmd = volume.add_subcommand("create", "Create a volume");
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<VolumeCreateOptions>();
  cmd->add_option("name", opts->name, "The volume's name (default: a random one)");
  cmd->add_option("-d,--driver", opts->driver, "Volume driver (only local)");
  cmd->add_option("--label", opts->labels, "Set metadata (KEY=value)")->allow_extra_args(false);
  cmd->add_option("-o,--opt", opts->options, "Driver options (the local driver's need root: refused)")
      ->allow_extra_args(false);
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx]() -> Result<int> {
      VolumeRecord volume = TRY(create_volume(*TRY(ctx.store()), *opts));
      print_out(volume.name + "\n");
      return 0;
    };
  });
}

}  // namespace skiff::cli
