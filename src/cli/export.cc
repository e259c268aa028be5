// skiff export / skiff container export
#include "cli/command.h"
#include "engine/container_export.h"

namespace skiff::cli {

namespace {

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<ExportOptions>();
  cmd->add_option("container", opts->container, "The container whose file system to export")->required();
  cmd->add_option("-o,--output", opts->output, "Write to a file instead of stdout");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      TRY(export_container_to(*store, *opts));
      return 0;
    };
  });
}

}  // namespace

void add_export_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("export", "Export a container's file system as a tar archive"), ctx);
  define(container.add_subcommand("export", "Export a container's file system as a tar archive"), ctx);
}

}  // namespace skiff::cli
