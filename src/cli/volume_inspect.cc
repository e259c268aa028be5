// skiff volume inspect
#include "base/output.h"
#include "cli/command.h"
#include "engine/volumes.h"
#include "template/go_template.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  std::string format;
};

// docker's loop: every volume found is shown, each missing one reported.
Result<int> inspect(Context& ctx, const Options& opts) {
  const Store* store = TRY(ctx.store());
  std::vector<Json> items;
  std::vector<Error> missing;
  for (const auto& name : opts.names) {
    auto volume = load_volume(*store, name);
    if (!volume.ok()) {
      missing.push_back(std::move(volume).error());
      continue;
    }
    items.push_back(inspect_volume(*volume));
  }
  if (opts.format.empty() || opts.format == "json")
    print_out(to_pretty_json(Json(items)) + "\n");
  else
    print_out(TRY(format_each(opts.format, items)));
  for (const auto& e : missing) print_error(e);
  return missing.empty() ? 0 : kExitSkiffFailed;
}

}  // namespace

void add_volume_inspect_command(CLI::App& volume, Context& ctx) {
  CLI::App* cmd = volume.add_subcommand("inspect", "Show low-level information on volumes");
  auto opts = std::make_shared<Options>();
  cmd->add_option("name", opts->names, "Volume names")->required();
  cmd->add_option("-f,--format", opts->format, "Format output with a Go template, or json");
  cmd->callback([opts, &ctx] { ctx.action = [opts, &ctx] { return inspect(ctx, *opts); }; });
}

}  // namespace skiff::cli
