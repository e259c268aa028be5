// skiff info / skiff system info
#include "cli/command.h"
#include "engine/info.h"
#include "template/go_template.h"

namespace skiff::cli {

namespace {
void define(CLI::App* cmd, Context& ctx) {
  auto format = std::make_shared<std::string>();
  cmd->add_option("-f,--format", *format, "Format output with a Go template, or json");
  cmd->callback([format, &ctx] {
    ctx.action = [format, &ctx]() -> Result<int> {
      Json info = gather_info(*TRY(ctx.store()));
      if (format->empty() || *format == "json") print_out(to_pretty_json(info) + "\n");
      else print_out(TRY(format_each(*format, {info})));
      return 0;
    };
  });
}
}  // namespace

void add_info_command(CLI::App& app, CLI::App& system, Context& ctx) {
  define(app.add_subcommand("info", "Show what this host offers skiff"), ctx);
  define(system.add_subcommand("info", "Show what this host offers skiff"), ctx);
}

}  // namespace skiff::cli
