// skiff rename / skiff container rename
#include "cli/command.h"

namespace skiff::cli {

namespace {

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto names = std::make_shared<std::pair<std::string, std::string>>();
  cmd->add_option("container", names->first, "The container to rename")->required();
  cmd->add_option("new_name", names->second, "Its new name")->required();
  cmd->callback([names, &ctx] {
    ctx.action = [names, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      Container c = TRY(find_container(*store, names->first));
      TRY(rename_container(*store, c, names->second));
      return 0;
    };
  });
}

}  // namespace

void add_rename_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("rename", "Rename a container"), ctx);
  define(container.add_subcommand("rename", "Rename a container"), ctx);
}

}  // namespace skiff::cli
