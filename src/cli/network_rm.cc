// skiff network rm
#include "base/output.h"
#include "cli/command.h"
#include "engine/networks.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  bool force = false;
};

// docker's loop: each network on its own, a removed one printed as given,
// a missing one skipped silently with -f.
Result<int> remove(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  int rc = 0;
  for (const auto& name : opts.names) {
    Status removed = remove_network(*store, name);
    if (!removed.ok()) {
      if (opts.force && is_network_not_found(removed.error())) continue;
      print_error(removed.error());
      rc = kExitSkiffFailed;
      continue;
    }
    print_out(name + "\n");
  }
  return rc;
}

}  // namespace

void add_network_rm_command(CLI::App& network, Context& ctx) {
  CLI::App* cmd = network.add_subcommand("rm", "Remove networks")->alias("remove");
  auto opts = std::make_shared<Options>();
  cmd->add_option("network", opts->names, "Network names or IDs")->required();
  cmd->add_flag("-f,--force", opts->force, "Don't report networks that don't exist");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return remove(ctx, *opts); }; });
}

}  // namespace skiff::cli
