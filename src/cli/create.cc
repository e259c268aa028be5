// skiff create / skiff container create: a container record, not started.
#include <unistd.h>

#include "cli/command.h"
#include "cli/create_flags.h"
#include "cli/pull_progress.h"
#include "engine/containers.h"

namespace skiff::cli {

namespace {

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<CreateOptions>();
  add_create_flags(cmd, *opts);
  cmd->callback([opts, cmd, &ctx] {
    finish_create_options(cmd, *opts, ctx.trailing_args);
    ctx.action = [opts, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      CreateOptions options = *opts;
      options.storage_driver = ctx.storage_driver;
      // As docker: an implicit pull shows its progress on stderr.
      auto display = PullProgressDisplay::on_terminal(STDERR_FILENO, options.image, false);
      options.pull_observer = display.get();
      Container container = TRY(create_container(*store, options));
      print_out(container.id + "\n");
      return 0;
    };
  });
}

}  // namespace

void add_create_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("create", "Create a new container"), ctx);
  define(container.add_subcommand("create", "Create a new container"), ctx);
}

}  // namespace skiff::cli
