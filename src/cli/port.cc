// skiff port / skiff container port: CONTAINER [PRIVATE_PORT[/PROTO]]
#include "cli/command.h"
#include "engine/container_ports.h"

namespace skiff::cli {

namespace {

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto name = std::make_shared<std::string>();
  auto port = std::make_shared<std::string>();
  cmd->add_option("container", *name, "The container")->required();
  cmd->add_option("private_port", *port, "Only this port of the container (PORT or PORT/PROTO)");
  cmd->callback([=, &ctx] {
    ctx.action = [=, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      Container c = TRY(find_container(*store, *name));
      // What is bound while it runs, as docker (nothing once it stopped).
      const Json& bindings = c.state.value("Ports", Json());
      std::vector<std::string> lines =
          port->empty() ? published_ports(bindings) : TRY(published_addresses(bindings, *port, *name));
      for (const auto& line : lines) print_out(line + "\n");
      return 0;
    };
  });
}

}  // namespace

void add_port_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("port", "List the published ports of a container"), ctx);
  define(container.add_subcommand("port", "List the published ports of a container"), ctx);
}

}  // namespace skiff::cli
