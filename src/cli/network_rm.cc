// skiff network rm
#include "cli/command.h"
#include "engine/networks.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  bool force = false;
};

// A missing network is skipped silently with -f, as docker does.
Result<int> remove(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  return for_each_name(opts.names, [&](const std::string& name) -> Result<bool> {
    Status removed = remove_network(*store, name);
    if (!removed.ok() && opts.force && is_network_not_found(removed.error())) return false;
    TRY(removed);
    return true;
  });
}

}  // namespace

void add_network_rm_command(CLI::App& network, Context& ctx) {
  CLI::App* cmd = network.add_subcommand("rm", "Remove networks")->alias("remove");
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("network", opts->names, "Network names or IDs")->required();
  cmd->add_flag("-f,--force", opts->force, "Don't report networks that don't exist");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return remove(ctx, *opts); }; });
}

}  // namespace skiff::cli
