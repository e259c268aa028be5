// skiff pause, skiff unpause (and their `container` twins)
#include "cli/command.h"
#include "engine/container_pause.h"

namespace skiff::cli {

namespace {

void define(CLI::App* cmd, Context& ctx, bool pause) {
  if (!ctx.wants(cmd)) return;
  auto names = std::make_shared<std::vector<std::string>>();
  cmd->add_option("container", *names, pause ? "Containers to pause" : "Containers to unpause")->required();
  cmd->callback([names, &ctx, pause] {
    ctx.action = [names, &ctx, pause]() -> Result<int> {
      return for_each_container(ctx, *names, [&](const Store& store, const Container& c) {
        if (pause) return std::move(pause_container(store, c)).wrap("Cannot pause container: {}", c.name());
        return std::move(unpause_container(store, c)).wrap("Cannot unpause container: {}", c.name());
      });
    };
  });
}

}  // namespace

void add_pause_commands(CLI::App& app, CLI::App& container, Context& ctx) {
  const char* pause = "Pause all processes within containers";
  const char* unpause = "Unpause all processes within containers";
  define(app.add_subcommand("pause", pause), ctx, true);
  define(container.add_subcommand("pause", pause), ctx, true);
  define(app.add_subcommand("unpause", unpause), ctx, false);
  define(container.add_subcommand("unpause", unpause), ctx, false);
}

}  // namespace skiff::cli
