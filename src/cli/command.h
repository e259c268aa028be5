// How verbs plug into the command line. Each file in src/cli/ registers one
// verb (or a verb and its `image ...` twin) on the CLI11 app: it fills an
// options struct, and its callback sets Context::action to a function that
// calls one engine function and prints the result. main.cc parses, runs the
// action, and is the only place that prints an Error.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "engine/containers.h"
#include "image/store.h"

namespace skiff::cli {

/// Global options and lazily opened shared state.
struct Context {
  std::string root;            ///< --root / SKIFF_ROOT
  std::string runroot;         ///< --runroot / SKIFF_RUNROOT
  std::string storage_driver;  ///< --storage-driver / SKIFF_STORAGE_DRIVER ("" chooses)
  /// What followed the first positional of a stops_at_first_positional command.
  std::vector<std::string> trailing_args;
  /// What the chosen verb does: returns the process exit code.
  std::function<Result<int>()> action;

  /// The words naming the verb on this command line (verb_words()); only
  /// that verb's options are defined. Unset: every verb's are (main.cc's
  /// second try, when a verb these words did not name was chosen).
  std::optional<std::vector<std::string>> verb_words;

  /// Whether `cmd`'s options are to be defined: true for the verb
  /// verb_words names (`container run` for "container", "run"), for every
  /// verb when verb_words is unset. Each verb's `define` returns at once
  /// when this is false: defining all 60 verbs' 500 options cost every run
  /// a millisecond.
  bool wants(const CLI::App* cmd) const;

  /// Opens the store on first use (commands like `version` never touch it).
  Result<const Store*> store();

 private:
  std::optional<Store> store_;
};

/// Registers every verb on `app`.
void add_all_commands(CLI::App& app, Context& ctx);

/// True for a global option whose value is the next argument (`--root DIR`).
bool global_option_takes_value(std::string_view arg);

/// The first two arguments that are neither options nor a global option's
/// value: what names the verb (`run`, or `container run`), and more.
std::vector<std::string> verb_words(int argc, char** argv);

// One per file in src/cli/.
void add_import_command(CLI::App& app, CLI::App& image, Context& ctx);
void add_pull_command(CLI::App& app, CLI::App& image, Context& ctx);
void add_push_command(CLI::App& app, CLI::App& image, Context& ctx);
void add_images_command(CLI::App& app, CLI::App& image, Context& ctx);
void add_history_command(CLI::App& app, CLI::App& image, Context& ctx);
void add_build_command(CLI::App& app, CLI::App& image, Context& ctx);
void add_builder_prune_command(CLI::App& builder, Context& ctx);
void add_commit_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_image_inspect_command(CLI::App& app, CLI::App& image, Context& ctx);
void add_tag_command(CLI::App& app, CLI::App& image, Context& ctx);
void add_rmi_command(CLI::App& app, CLI::App& image, Context& ctx);
void add_image_prune_command(CLI::App& app, CLI::App& image, Context& ctx);
void add_save_command(CLI::App& app, CLI::App& image, Context& ctx);
void add_load_command(CLI::App& app, CLI::App& image, Context& ctx);
void add_info_command(CLI::App& app, CLI::App& system, Context& ctx);
void add_system_reset_command(CLI::App& app, CLI::App& system, Context& ctx);
void add_version_command(CLI::App& app, Context& ctx);
void add_run_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_create_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_start_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_ps_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_rm_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_container_inspect_command(CLI::App& container, Context& ctx);
void add_export_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_logs_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_exec_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_cp_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_login_commands(CLI::App& app, Context& ctx);  // login and logout
void add_search_command(CLI::App& app, Context& ctx);
void add_stop_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_kill_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_restart_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_wait_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_rename_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_attach_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_system_check_command(CLI::App& system, Context& ctx);
void add_volume_create_command(CLI::App& volume, Context& ctx);
void add_volume_ls_command(CLI::App& volume, Context& ctx);
void add_volume_inspect_command(CLI::App& volume, Context& ctx);
void add_volume_rm_command(CLI::App& volume, Context& ctx);
void add_volume_prune_command(CLI::App& volume, Context& ctx);
void add_top_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_port_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_stats_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_diff_command(CLI::App& app, CLI::App& container, Context& ctx);
void add_pause_commands(CLI::App& app, CLI::App& container, Context& ctx);  // pause and unpause
void add_container_prune_command(CLI::App& container, Context& ctx);
void add_network_create_command(CLI::App& network, Context& ctx);
void add_network_ls_command(CLI::App& network, Context& ctx);
void add_network_inspect_command(CLI::App& network, Context& ctx);
void add_network_rm_command(CLI::App& network, Context& ctx);
void add_network_prune_command(CLI::App& network, Context& ctx);
void add_network_connect_commands(CLI::App& network, Context& ctx);  // connect and disconnect

/// Commands whose arguments after the first positional belong to someone
/// else, never to skiff: `run`, `create` (the container's command after
/// IMAGE), `exec` (after CONTAINER), `top` (ps's options after CONTAINER).
bool stops_at_first_positional(const CLI::App& cmd);

/// docker's loop over a command's arguments: `act` on each, the argument
/// printed as given when it returns true (false: done, nothing to say), its
/// error printed when it fails; 125 when any failed.
Result<int> for_each_name(const std::vector<std::string>& names,
                          const std::function<Result<bool>(const std::string&)>& act);

/// for_each_name over container arguments, each found first.
Result<int> for_each_container(Context& ctx, const std::vector<std::string>& names,
                               const std::function<Status(const Store&, const Container&)>& act);

/// docker's inspect loop: `inspect` makes each named object's JSON (an
/// error for one not found); the objects are printed as a JSON array, or
/// with `format` (a Go template) run on each (through `template_view`, when
/// given), then each error; 125 when any failed.
Result<int> inspect_each(const std::vector<std::string>& names, std::string_view format,
                         const std::function<Result<Json>(const std::string&)>& inspect,
                         const std::function<Json(Json)>& template_view = nullptr);

/// A list command's rows: with `quiet` only each row's `quiet_field`, one a
/// line; else as format_rows makes them of `format`, `table` and `header`.
Status print_rows(const std::vector<Json>& rows, bool quiet, std::string_view quiet_field,
                  std::string_view format, std::string_view table, const Json& header);

/// docker's question before a prune: true without asking when `force`;
/// else, on a terminal, "WARNING! This will remove <what>." and "Are you
/// sure you want to continue? [y/N]", true for y. Without a terminal an
/// error telling `command`'s user to pass -f: a script never waits for an
/// answer that can't come.
Result<bool> confirm_prune(bool force, std::string_view command, std::string_view what);

/// What a `prune` subcommand runs: the store, its --filter values and the
/// question to ask before removing anything.
using PruneAction = std::function<Result<int>(const Store&, const std::vector<std::string>& filters,
                                              const std::function<Result<bool>()>& confirm)>;

/// Registers `GROUP prune` with docker's --filter (described by
/// `filter_help`) and -f: `prune` runs with confirm_prune's question about
/// removing `what`.
void add_prune_subcommand(CLI::App& group, Context& ctx, std::string_view description,
                          std::string_view filter_help, std::string_view what, PruneAction prune);

/// Prints text to stdout exactly as given.
void print_out(std::string_view text);

}  // namespace skiff::cli
