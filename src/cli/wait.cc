// skiff wait / skiff container wait: each container's exit code, a line each.
#include <cstdio>

#include "base/output.h"
#include "cli/command.h"
#include "engine/container_control.h"

namespace skiff::cli {

namespace {

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto containers = std::make_shared<std::vector<std::string>>();
  cmd->add_option("container", *containers, "Containers to wait for")->required();
  cmd->callback([containers, &ctx] {
    ctx.action = [containers, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      int rc = 0;
      for (const auto& name : *containers) {
        auto code = [&]() -> Result<int> {
          Container c = TRY(find_container(*store, name));
          return wait_container(*store, c.id);
        }();
        if (!code.ok()) {
          print_error(code.error());
          rc = kExitSkiffFailed;
          continue;
        }
        print_out(std::to_string(*code) + "\n");
        std::fflush(stdout);
      }
      return rc;
    };
  });
}

}  // namespace

void add_wait_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("wait", "Block until containers stop, then print their exit codes"), ctx);
  define(container.add_subcommand("wait", "Block until containers stop, then print their exit codes"), ctx);
}

}  // namespace skiff::cli
