// skiff rm / skiff container rm|remove
#include "base/output.h"
#include "cli/command.h"
#include "engine/containers.h"

namespace skiff::cli {

namespace {

struct Options {
  std::vector<std::string> names;
  bool force = false;
  bool all = false;
  bool volumes = false;
};

// docker's loop: each argument on its own; a removed one is printed as
// given, a failed one reported; with --force a missing one is only reported.
Result<int> remove(Context& ctx, const Options& opts, const std::string& path) {
  if (opts.all && !opts.names.empty())
    return make_error("\"{}\" takes no container names with --all (see `{} --help`)", path, path);
  if (!opts.all && opts.names.empty())
    return make_error("\"{}\" requires at least 1 argument (see `{} --help`)", path, path);
  const Store* store = TRY(ctx.store());
  std::vector<std::string> targets = opts.names;
  if (opts.all)
    for (const auto& c : list_containers(*store)) targets.push_back(c.id);
  int rc = 0;
  for (const auto& name : targets) {
    std::string key = name;
    while (key.starts_with("/")) key.erase(0, 1);
    while (key.ends_with("/")) key.pop_back();
    Status removed = key.empty() ? Status(make_error("Container name cannot be empty")) : Status();
    bool missing = false;
    if (removed.ok()) {
      auto container = find_container(*store, key);
      if (container.ok()) {
        removed = remove_container(*store, *container, opts.force, opts.volumes);
      } else {
        missing = container.error().text().starts_with("No such container");
        removed = std::move(container).error();
      }
    }
    if (!removed.ok()) {
      print_error(removed.error());
      if (!(opts.force && missing)) rc = kExitSkiffFailed;
      continue;
    }
    print_out(name + "\n");
  }
  return rc;
}

void define(CLI::App* cmd, Context& ctx, const std::string& path) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("container", opts->names, "Container names or IDs");
  cmd->add_flag("-f,--force", opts->force, "Force the removal of a running container (uses SIGKILL)");
  cmd->add_flag("-a,--all", opts->all, "Remove all containers");
  cmd->add_flag("-v,--volumes", opts->volumes, "Remove the anonymous volumes of the container too");
  cmd->callback([opts, &ctx, path] { ctx.action = [opts, &ctx, path] { return remove(ctx, *opts, path); }; });
}

}  // namespace

void add_rm_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("rm", "Remove containers"), ctx, "skiff rm");
  define(container.add_subcommand("rm", "Remove containers")->alias("remove"), ctx, "skiff container rm");
}

}  // namespace skiff::cli
