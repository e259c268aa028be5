// skiff volume rm
#include "base/output.h"
#include "cli/command.h"
#include "engine/volumes.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  bool force = false;
};

// docker's loop: each volume on its own; a removed one is printed as given,
// a failed one reported, and the exit code says whether any failed.
Result<int> remove(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  int rc = 0;
  for (const auto& name : opts.names) {
    Status removed = remove_volume(*store, name, opts.force);
    if (!removed.ok()) {
      print_error(removed.error());
      rc = kExitSkiffFailed;
      continue;
    }
    print_out(name + "\n");
  }
  return rc;
}

}  // namespace

void add_volume_rm_command(CLI::App& volume, Context& ctx) {
  CLI::App* cmd = volume.add_subcommand("rm", "Remove volumes")->alias("remove");
  auto opts = std::make_shared<Options>();
  cmd->add_option("name", opts->names, "Volume names")->required();
  cmd->add_flag("-f,--force", opts->force, "Don't report volumes that don't exist");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return remove(ctx, *opts); }; });
}

}  // namespace skiff::cli
