// skiff network inspect
#include "cli/command.h"
#include "engine/networks.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  std::string format;
};

// A built-in network by name or ID first, then the records.
Result<int> inspect(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  return inspect_each(opts.names, opts.format, [&](const std::string& name) -> Result<Json> {
    auto network = find_builtin_network(name);
    return inspect_network(*store, network ? *network : TRY(find_network(*store, name)));
  });
}

}  // namespace

void add_network_inspect_command(CLI::App& network, Context& ctx) {
  CLI::App* cmd = network.add_subcommand("inspect", "Show low-level information on networks");
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("network", opts->names, "Network names or IDs")->required();
  cmd->add_option("-f,--format", opts->format, "Format output with a Go template, or json");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return inspect(ctx, *opts); }; });
}

}  // namespace skiff::cli
