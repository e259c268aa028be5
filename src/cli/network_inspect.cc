// skiff network inspect
#include "base/output.h"
#include "cli/command.h"
#include "engine/networks.h"
#include "template/go_template.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  std::string format;
};

// As volume inspect: every network found is shown, each missing one reported.
Result<int> inspect(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  std::vector<Json> items;
  std::vector<Error> missing;
  for (const auto& name : opts.names) {
    auto network = find_builtin_network(name);
    if (!network) {
      auto found = find_network(*store, name);
      if (!found.ok()) {
        missing.push_back(std::move(found).error());
        continue;
      }
      network = std::move(*found);
    }
    items.push_back(inspect_network(*store, *network));
  }
  if (opts.format.empty() || opts.format == "json")
    print_out(to_pretty_json(Json(items)) + "\n");
  else
    print_out(TRY(format_each(opts.format, items)));
  for (const auto& e : missing) print_error(e);
  return missing.empty() ? 0 : kExitSkiffFailed;
}

}  // namespace

void add_network_inspect_command(CLI::App& network, Context& ctx) {
  CLI::App* cmd = network.add_subcommand("inspect", "Show low-level information on networks");
  auto opts = std::make_shared<Options>();
  cmd->add_option("network", opts->names, "Network names or IDs")->required();
  cmd->add_option("-f,--format", opts->format, "Format output with a Go template, or json");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return inspect(ctx, *opts); }; });
}

}  // namespace skiff::cli
