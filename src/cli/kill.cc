// skiff kill / skiff container kill
#include <signal.h>

#include "cli/command.h"
#include "engine/container_control.h"
#include "engine/container_process.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> containers;
  std::string signal = "KILL";
};

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("container", opts->containers, "Containers to signal")->required();
  cmd->add_option("-s,--signal", opts->signal, "Signal to send (name or number, default KILL)");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx]() -> Result<int> {
      int signal = TRY(parse_signal(opts->signal));
      return for_each_container(ctx, opts->containers, [&](const Store& store, const Container& c) {
        return std::move(kill_container(store, c, signal)).wrap("Cannot kill container: {}", c.name());
      });
    };
  });
}

}  // namespace

void add_kill_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("kill", "Send a signal to running containers"), ctx);
  define(container.add_subcommand("kill", "Send a signal to running containers"), ctx);
}

}  // namespace skiff::cli
