// skiff volume inspect
#include "cli/command.h"
#include "engine/volumes.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  std::string format;
};

// docker's loop: every volume found is shown, each missing one reported.
Result<int> inspect(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  return inspect_each(opts.names, opts.format, [&](const std::string& name) -> Result<Json> {
    return inspect_volume(TRY(load_volume(*store, name)));
  });
}

}  // namespace

void add_volume_inspect_command(CLI::App& volume, Context& ctx) {
  CLI::App* cmd = volume.add_subcommand("inspect", "Show low-level information on volumes");
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("name", opts->names, "Volume names")->required();
  cmd->add_option("-f,--format", opts->format, "Format output with a Go template, or json");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return inspect(ctx, *opts); }; });
}

}  // namespace skiff::cli
