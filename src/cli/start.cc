// skiff start / skiff container start
#include "cli/command.h"
#include "engine/container_start.h"
#include "engine/containers.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> containers;
  bool attach = false;
  bool interactive = false;
};

Result<int> start(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  if (!opts.attach)
    return make_error("start: starting in the background is not supported yet; use `skiff start -a`");
  if (opts.containers.size() > 1) return make_error("start: you cannot start and attach multiple containers at once");
  Container container = TRY(find_container(*store, opts.containers.front()));
  return start_container(*store, container, {.attach = true, .interactive = opts.interactive});
}

void define(CLI::App* cmd, Context& ctx) {
  auto opts = std::make_shared<Options>();
  cmd->add_option("container", opts->containers, "Containers to start")->required();
  cmd->add_flag("-a,--attach", opts->attach, "Attach stdout and stderr and wait for the container's end");
  cmd->add_flag("-i,--interactive", opts->interactive, "Attach the container's stdin");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return start(ctx, *opts); }; });
}

}  // namespace

void add_start_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("start", "Start a created or stopped container"), ctx);
  define(container.add_subcommand("start", "Start a created or stopped container"), ctx);
}

}  // namespace skiff::cli
