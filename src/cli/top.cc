// skiff top / skiff container top: CONTAINER [ps OPTIONS]. Everything after
// CONTAINER is ps's (main.cc cuts argv there, as for run's command).
#include "cli/command.h"
#include "engine/container_top.h"
#include "template/go_template.h"

namespace skiff::cli {

namespace {

// docker top's table: tab-separated cells aligned by a writer whose columns
// are at least 20 wide.
std::string render(const TopTable& table) {
  auto line = [](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? "\t" : "") + cells[i];
    return out + "\n";
  };
  std::string text = line(table.titles);
  for (const auto& row : table.processes) text += line(row);
  return align_columns(text, 20);
}

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto name = std::make_shared<std::string>();
  cmd->add_option("container", *name, "The container (ps options may follow it)")->required();
  cmd->callback([name, &ctx] {
    ctx.action = [name, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      Container c = TRY(find_container(*store, *name));
      print_out(render(TRY(container_top(c, ctx.trailing_args))));
      return 0;
    };
  });
}

}  // namespace

void add_top_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("top", "Display the running processes of a container"), ctx);
  define(container.add_subcommand("top", "Display the running processes of a container"), ctx);
}

}  // namespace skiff::cli
