// skiff diff / skiff container diff: CONTAINER's file system changes.
#include "cli/command.h"
#include "engine/container_diff.h"

namespace skiff::cli {

namespace {

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto name = std::make_shared<std::string>();
  cmd->add_option("container", *name, "The container")->required();
  cmd->callback([name, &ctx] {
    ctx.action = [name, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      Container c = TRY(find_container(*store, *name));
      std::string out;
      for (const auto& change : TRY(container_changes(*store, c)))
        out += std::string(1, change.kind) + " " + change.path + "\n";
      print_out(out);
      return 0;
    };
  });
}

}  // namespace

void add_diff_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("diff", "Inspect changes to files or folders on a container's file system"), ctx);
  define(container.add_subcommand("diff", "Inspect changes to files or folders on a container's file system"),
         ctx);
}

}  // namespace skiff::cli
