// skiff volume rm
#include "cli/command.h"
#include "engine/volumes.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  bool force = false;
};

Result<int> remove(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  return for_each_name(opts.names, [&](const std::string& name) -> Result<bool> {
    TRY(remove_volume(*store, name, opts.force));
    return true;
  });
}

}  // namespace

void add_volume_rm_command(CLI::App& volume, Context& ctx) {
  CLI::App* cmd = volume.add_subcommand("rm", "Remove volumes")->alias("remove");
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("name", opts->names, "Volume names")->required();
  cmd->add_flag("-f,--force", opts->force, "Don't report volumes that don't exist");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return remove(ctx, *opts); }; });
}

}  // namespace skiff::cli
