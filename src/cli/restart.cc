// skiff restart / skiff container restart
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

void define(CLI::App* cmd, Context& ctx) {
  auto opts = std::make_shared<Options>();
  cmd->add_option("container", opts->containers, "Containers to restart")->required();
  cmd->add_option("-t,--time,--timeout", opts->timeout,
                  "Seconds to wait for the stop before killing the container (default: its --stop-timeout, else 10)");
  cmd->add_option("-s,--signal", opts->signal, "Signal to stop with (default: the container's stop signal, else SIGTERM)");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx]() -> Result<int> {
      StopOptions stop{.timeout = opts->timeout};
      if (!opts->signal.empty()) stop.signal = TRY(parse_signal(opts->signal));
      return for_each_container(ctx, opts->containers, [&](const Store& store, const Container& c) {
        return restart_container(store, c, stop);
      });
    };
  });
}

}  // namespace

void add_restart_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("restart", "Restart containers"), ctx);
  define(container.add_subcommand("restart", "Restart containers"), ctx);
}

}  // namespace skiff::cli
