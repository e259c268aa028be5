// skiff run / skiff container run: create + start in the foreground.
#include <unistd.h>

#include "cli/command.h"
#include "cli/create_flags.h"
#include "cli/pull_progress.h"
#include "engine/container_start.h"
#include "engine/containers.h"
#include "engine/monitor.h"

namespace skiff::cli {

namespace {

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<CreateOptions>();
  add_create_flags(cmd, *opts);
  cmd->add_flag("-d,--detach")->description("Run in the background and print the container's ID");
  cmd->add_option("--detach-keys")->description("Keys that detach from the container (see `skiff attach`)");
  cmd->callback([opts, cmd, &ctx] {
    finish_create_options(cmd, *opts, ctx.trailing_args);
    bool detach = cmd->get_option("--detach")->count() > 0;
    ctx.action = [opts, detach, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      CreateOptions options = *opts;
      options.attach = !detach;
      options.storage_driver = ctx.storage_driver;
      // As docker: an implicit pull shows its progress on stderr.
      auto display = PullProgressDisplay::on_terminal(STDERR_FILENO, options.image, false);
      options.pull_observer = display.get();
      if (!detach) return run_container(*store, options, {.attach = true, .interactive = options.interactive});
      Container c = TRY(create_container(*store, options));
      TRY(start_container_detached(*store, c));
      print_out(c.id + "\n");
      return 0;
    };
  });
}

}  // namespace

void add_run_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("run", "Create and run a new container from an image"), ctx);
  define(container.add_subcommand("run", "Create and run a new container from an image"), ctx);
}

}  // namespace skiff::cli
