// skiff stop and skiff restart (and their `skiff container` twins): they
// share their options, restart being a stop and then a start.
#include "cli/command.h"
#include "engine/container_control.h"
#include "engine/container_process.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> containers;
  std::optional<int> timeout;
  std::string signal;
};

using Act = Status (*)(const Store&, const Container&, const StopOptions&);

void define(CLI::App* cmd, Context& ctx, Act act) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("container", opts->containers, "Containers")->required();
  cmd->add_option("-t,--time,--timeout", opts->timeout,
                  "Seconds to wait before killing the container (default: its --stop-timeout, else 10; -1 waits forever)");
  cmd->add_option("-s,--signal", opts->signal, "Signal to stop with (default: the container's stop signal, else SIGTERM)");
  cmd->callback([opts, &ctx, act] {
    ctx.action = [opts, &ctx, act]() -> Result<int> {
      StopOptions stop{.timeout = opts->timeout, .signal = std::nullopt};
      if (!opts->signal.empty()) stop.signal = TRY(parse_signal(opts->signal));
      return for_each_container(ctx, opts->containers,
                                [&](const Store& store, const Container& c) { return act(store, c, stop); });
    };
  });
}

}  // namespace

void add_stop_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("stop", "Stop running containers"), ctx, stop_container);
  define(container.add_subcommand("stop", "Stop running containers"), ctx, stop_container);
}

void add_restart_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("restart", "Restart containers"), ctx, restart_container);
  define(container.add_subcommand("restart", "Restart containers"), ctx, restart_container);
}

}  // namespace skiff::cli
