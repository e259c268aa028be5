#include <cstdio>

#include "base/output.h"
#include "cli/command.h"

namespace skiff::cli {

Result<const Store*> Context::store() {
  if (!store_) {
    std::string r = root.empty() ? Store::default_root() : root;
    std::string rr = runroot.empty() ? Store::default_runroot() : runroot;
    store_ = TRY(Store::open(r, rr));
  }
  return &*store_;
}

void print_out(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

Result<int> for_each_container(Context& ctx, const std::vector<std::string>& names,
                               const std::function<Status(const Store&, const Container&)>& act) {
  const Store* store = TRY(ctx.store());
  int rc = 0;
  for (const auto& name : names) {
    auto container = find_container(*store, name);
    Status done = container.ok() ? act(*store, *container) : Status(container.error());
    if (!done.ok()) {
      print_error(done.error());
      rc = kExitSkiffFailed;
      continue;
    }
    print_out(name + "\n");
    std::fflush(stdout);
  }
  return rc;
}

void add_all_commands(CLI::App& app, Context& ctx) {
  CLI::App* image = app.add_subcommand("image", "Manage images");
  CLI::App* system = app.add_subcommand("system", "Manage skiff and its store");
  CLI::App* container = app.add_subcommand("container", "Manage containers");
  CLI::App* volume = app.add_subcommand("volume", "Manage volumes");
  // One verb per command line: after `rm`, `ps` is a container's name, not
  // another verb (CLI11 otherwise looks an optional positional up among
  // its parents' verbs first).
  for (CLI::App* group : {&app, image, system, container, volume}) group->require_subcommand(0, 1);
  add_images_command(app, *image, ctx);
  add_import_command(app, *image, ctx);
  add_pull_command(app, *image, ctx);
  add_push_command(app, *image, ctx);
  add_image_inspect_command(app, *image, ctx);
  add_tag_command(app, *image, ctx);
  add_rmi_command(app, *image, ctx);
  add_image_prune_command(app, *image, ctx);
  add_save_command(app, *image, ctx);
  add_load_command(app, *image, ctx);
  add_info_command(app, *system, ctx);
  add_system_reset_command(app, *system, ctx);
  add_version_command(app, ctx);
  add_run_command(app, *container, ctx);
  add_create_command(app, *container, ctx);
  add_start_command(app, *container, ctx);
  add_ps_command(app, *container, ctx);
  add_rm_command(app, *container, ctx);
  add_container_inspect_command(*container, ctx);
  add_export_command(app, *container, ctx);
  add_logs_command(app, *container, ctx);
  add_exec_command(app, *container, ctx);
  add_cp_command(app, *container, ctx);
  add_login_commands(app, ctx);
  add_search_command(app, ctx);
  add_stop_command(app, *container, ctx);
  add_kill_command(app, *container, ctx);
  add_restart_command(app, *container, ctx);
  add_wait_command(app, *container, ctx);
  add_rename_command(app, *container, ctx);
  add_attach_command(app, *container, ctx);
  add_system_check_command(*system, ctx);
  add_volume_create_command(*volume, ctx);
  add_volume_ls_command(*volume, ctx);
  add_volume_inspect_command(*volume, ctx);
  add_volume_rm_command(*volume, ctx);
  add_volume_prune_command(*volume, ctx);
  add_top_command(app, *container, ctx);
  add_port_command(app, *container, ctx);
  add_stats_command(app, *container, ctx);
  add_diff_command(app, *container, ctx);
  add_pause_commands(app, *container, ctx);
  add_container_prune_command(*container, ctx);
}

bool stops_at_first_positional(const CLI::App& cmd) {
  return cmd.get_name() == "run" || cmd.get_name() == "create" || cmd.get_name() == "exec" ||
         cmd.get_name() == "top";
}

}  // namespace skiff::cli
