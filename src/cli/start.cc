// skiff start / skiff container start
#include "base/output.h"
#include "cli/command.h"
#include "engine/container_start.h"
#include "engine/containers.h"
#include "engine/monitor.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> containers;
  bool attach = false;
  bool interactive = false;
};

Result<int> start(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  if (!opts.attach) {
    // docker: each container started in the background, its name echoed.
    int rc = 0;
    for (const auto& name : opts.containers) {
      auto container = find_container(*store, name);
      Status started = container.ok() ? start_container_detached(*store, *container) : Status(container.error());
      if (!started.ok()) {
        print_error(started.error());
        rc = kExitSkiffFailed;
        continue;
      }
      print_out(name + "\n");
    }
    return rc;
  }
  if (opts.containers.size() > 1) return make_error("start: you cannot start and attach multiple containers at once");
  Container container = TRY(find_container(*store, opts.containers.front()));
  return start_container(*store, container, {.attach = true, .interactive = opts.interactive});
}

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("container", opts->containers, "Containers to start")->required();
  cmd->add_flag("-a,--attach", opts->attach, "Attach stdout and stderr and wait for the container's end (without it: start in the background)");
  cmd->add_flag("-i,--interactive", opts->interactive, "Attach the container's stdin");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return start(ctx, *opts); }; });
}

}  // namespace

void add_start_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("start", "Start a created or stopped container"), ctx);
  define(container.add_subcommand("start", "Start a created or stopped container"), ctx);
}

}  // namespace skiff::cli
