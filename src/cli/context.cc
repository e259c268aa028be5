#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "base/output.h"
#include "cli/command.h"
#include "template/go_template.h"

namespace skiff::cli {

Result<const Store*> Context::store() {
  if (!store_) {
    std::string r = root.empty() ? Store::default_root() : root;
    std::string rr = runroot.empty() ? Store::default_runroot() : runroot;
    store_ = TRY(Store::open(r, rr));
  }
  return &*store_;
}

bool Context::wants(const CLI::App* cmd) const {
  if (!verb_words) return true;
  std::vector<const CLI::App*> chain;
  for (; cmd && cmd->get_parent(); cmd = cmd->get_parent()) chain.insert(chain.begin(), cmd);
  if (chain.size() > verb_words->size()) return false;
  for (size_t i = 0; i < chain.size(); ++i)
    if (!chain[i]->check_name((*verb_words)[i])) return false;
  return true;
}

bool global_option_takes_value(std::string_view arg) {
  return arg == "--root" || arg == "--runroot" || arg == "--storage-driver";
}

std::vector<std::string> verb_words(int argc, char** argv) {
  std::vector<std::string> words;
  for (int i = 1; i < argc && words.size() < 2; i++) {
    std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg.starts_with("-")) {
      if (words.empty() && global_option_takes_value(arg)) i++;
      continue;
    }
    words.emplace_back(arg);
  }
  return words;
}

void print_out(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

Result<int> for_each_name(const std::vector<std::string>& names,
                          const std::function<Result<bool>(const std::string&)>& act) {
  int rc = 0;
  for (const auto& name : names) {
    auto done = act(name);
    if (!done.ok()) {
      print_error(done.error());
      rc = kExitSkiffFailed;
      continue;
    }
    if (!*done) continue;
    print_out(name + "\n");
    std::fflush(stdout);
  }
  return rc;
}

Result<int> for_each_container(Context& ctx, const std::vector<std::string>& names,
                               const std::function<Status(const Store&, const Container&)>& act) {
  const Store* store = TRY(ctx.store());
  return for_each_name(names, [&](const std::string& name) -> Result<bool> {
    Container container = TRY(find_container(*store, name));
    TRY(act(*store, container));
    return true;
  });
}

Result<int> inspect_each(const std::vector<std::string>& names, std::string_view format,
                         const std::function<Result<Json>(const std::string&)>& inspect,
                         const std::function<Json(Json)>& template_view) {
  std::vector<Json> items;
  std::vector<Error> missing;
  for (const auto& name : names) {
    auto item = inspect(name);
    if (item.ok())
      items.push_back(std::move(*item));
    else
      missing.push_back(std::move(item).error());
  }
  if (format.empty() || format == "json") {
    print_out(to_pretty_json(Json(items)) + "\n");
  } else {
    if (template_view)
      for (auto& item : items) item = template_view(std::move(item));
    print_out(TRY(format_each(format, items)));
  }
  for (const auto& e : missing) print_error(e);
  return missing.empty() ? 0 : kExitSkiffFailed;
}

Status print_rows(const std::vector<Json>& rows, bool quiet, std::string_view quiet_field,
                  std::string_view format, std::string_view table, const Json& header) {
  if (!quiet) {
    print_out(TRY(format_rows(format, table, header, rows)));
    return {};
  }
  for (const auto& row : rows) print_out(row[std::string(quiet_field)].get<std::string>() + "\n");
  return {};
}

Result<bool> confirm_prune(bool force, std::string_view command, std::string_view what) {
  if (force) return true;
  if (!is_terminal(STDIN_FILENO))
    return make_error(
        "{}: confirmation needed to remove {}, and stdin is not a terminal: use -f (--force) to remove them "
        "without asking",
        command, what);
  print_out(fmt::format("WARNING! This will remove {}.\nAre you sure you want to continue? [y/N] ", what));
  std::fflush(stdout);
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y";
}

void add_prune_subcommand(CLI::App& group, Context& ctx, std::string_view description,
                          std::string_view filter_help, std::string_view what, PruneAction prune) {
  CLI::App* cmd = group.add_subcommand("prune", std::string(description));
  if (!ctx.wants(cmd)) return;
  auto force = std::make_shared<bool>(false);
  auto filters = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--filter", *filters, std::string(filter_help))->allow_extra_args(false);
  cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation (needed when stdin is not a terminal)");
  std::string command = group.get_name() + " prune";
  cmd->callback([=, &ctx, what = std::string(what)] {
    ctx.action = [=, &ctx]() -> Result<int> {
      return prune(*TRY(ctx.store()), *filters, [&] { return confirm_prune(*force, command, what); });
    };
  });
}

void add_all_commands(CLI::App& app, Context& ctx) {
  CLI::App* image = app.add_subcommand("image", "Manage images");
  CLI::App* system = app.add_subcommand("system", "Manage skiff and its store");
  CLI::App* container = app.add_subcommand("container", "Manage containers");
  CLI::App* volume = app.add_subcommand("volume", "Manage volumes");
  CLI::App* network = app.add_subcommand("network", "Manage networks");
  CLI::App* builder = app.add_subcommand("builder", "Manage builds");
  // One verb per command line: after `rm`, `ps` is a container's name, not
  // another verb (CLI11 otherwise looks an optional positional up among
  // its parents' verbs first).
  for (CLI::App* group : {&app, image, system, container, volume, network, builder}) group->require_subcommand(0, 1);
  add_images_command(app, *image, ctx);
  add_import_command(app, *image, ctx);
  add_history_command(app, *image, ctx);
  add_build_command(app, *image, ctx);
  add_builder_prune_command(*builder, ctx);
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
  add_network_create_command(*network, ctx);
  add_network_ls_command(*network, ctx);
  add_network_inspect_command(*network, ctx);
  add_network_rm_command(*network, ctx);
  add_network_prune_command(*network, ctx);
  add_network_connect_commands(*network, ctx);
  add_top_command(app, *container, ctx);
  add_port_command(app, *container, ctx);
  add_stats_command(app, *container, ctx);
  add_diff_command(app, *container, ctx);
  add_commit_command(app, *container, ctx);
  add_pause_commands(app, *container, ctx);
  add_container_prune_command(*container, ctx);
}

bool stops_at_first_positional(const CLI::App& cmd) {
  return cmd.get_name() == "run" || cmd.get_name() == "create" || cmd.get_name() == "exec" ||
         cmd.get_name() == "top";
}

}  // namespace skiff::cli
