// argv -> command -> exit code. The only place that prints an Error and exits.
#include <fcntl.h>

#include <clocale>
#include <csignal>
#include <cstdio>

#include "base/error.h"
#include "base/output.h"
#include "base/trace.h"
#include "cli/command.h"
#include "cli/suggest.h"
#include "engine/monitor.h"
#include "engine/network_daemon.h"
#include "version.h"

namespace {

using namespace skiff;

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
    for (const auto& alias : sub->get_aliases()) names.push_back(alias);
  }
  return names;
}

std::vector<std::string> flag_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options())
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
  return names;
}

// The innermost subcommand the user chose (for flag suggestions).
const CLI::App* chosen_command(const CLI::App& app) {
  const CLI::App* current = &app;
  for (;;) {
    auto chosen = current->get_subcommands();
    if (chosen.empty()) return current;
    current = chosen.front();
  }
}

// An unknown word where a command belongs: "unknown command `x`" + a guess.
std::optional<Error> check_command_word(const CLI::App& app, int argc, char** argv) {
  const CLI::App* scope = &app;
  for (int i = 1; i < argc; i++) {
    std::string_view arg = argv[i];
    if (arg == "--") return std::nullopt;
    if (arg.starts_with("-")) {
      // Global options that take a separate value.
      if (scope == &app && cli::global_option_takes_value(arg)) i++;
      continue;
    }
    std::vector<std::string> names = command_names(*scope);
    if (names.empty()) return std::nullopt;
    if (std::find(names.begin(), names.end(), arg) == names.end()) {
      std::string guess = cli::closest_match(arg, names);
      std::string where = scope == &app ? "skiff" : "skiff " + scope->get_name();
      return make_error("unknown command `{}` for `{}`{}", arg, where,
                        guess.empty() ? fmt::format(" (see `{} --help`)", where) : fmt::format("; did you mean `{}`?", guess));
    }
    for (const CLI::App* candidate : scope->get_subcommands([](const CLI::App*) { return true; }))
      if (candidate->check_name(std::string(arg))) scope = candidate;
  }
  return std::nullopt;
}

// Where the container's own command starts in argv for `run` / `create`:
// after the first positional (IMAGE), skipping option values as docker's
// flag parser does (interspersed flags off). argc when there is none.
int container_command_start(const CLI::App& app, int argc, char** argv) {
  const CLI::App* scope = &app;
  for (int i = 1; i < argc; i++) {
    std::string_view arg = argv[i];
    if (arg == "--") return scope != &app && cli::stops_at_first_positional(*scope) ? i + 2 : argc;
    if (arg.starts_with("--")) {
      if (arg.find('=') != std::string_view::npos) continue;
      const CLI::Option* opt = scope->get_option_no_throw(std::string(arg));
      if (opt && opt->get_expected_min() > 0) i++;
      continue;
    }
    if (arg.starts_with("-") && arg.size() > 1) {
      // A group of short flags ("-it"); one taking a value ends the group,
      // with the value attached ("-eA=1") or in the next argument.
      for (size_t k = 1; k < arg.size(); ++k) {
        const CLI::Option* opt = scope->get_option_no_throw(std::string("-") + arg[k]);
        if (opt && opt->get_expected_min() > 0) {
          if (k + 1 == arg.size()) i++;
          break;
        }
      }
      continue;
    }
    if (scope != &app && cli::stops_at_first_positional(*scope)) return i + 1;
    const CLI::App* next = nullptr;
    for (const CLI::App* candidate : scope->get_subcommands([](const CLI::App*) { return true; }))
      if (candidate->check_name(std::string(arg))) next = candidate;
    if (!next) return argc;
    scope = next;
  }
  return argc;
}

// "skiff image prune": the chosen command's full name.
std::string command_path(const CLI::App* cmd) {
  std::string path;
  for (; cmd && cmd->get_parent(); cmd = cmd->get_parent()) path = cmd->get_name() + (path.empty() ? "" : " ") + path;
  return path.empty() ? "skiff" : "skiff " + path;
}

// CLI11's parse errors in docker's words.
std::string parse_error_text(const CLI::ParseError& e, const CLI::App* cmd) {
  std::string what = e.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    for (const auto& extra : cmd->remaining()) {
      if (!extra.starts_with("-")) continue;
      std::string flag = extra.substr(0, extra.find('='));
      std::string guess = cli::closest_match(flag, flag_names(*cmd));
      return fmt::format("unknown flag: {}{}", flag, guess.empty() ? "" : fmt::format("; did you mean {}?", guess));
    }
    return fmt::format("\"{}\" got unexpected arguments: {}", command_path(cmd), what.substr(what.find(':') + 2));
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e)) {
    // "image is required" / "--format: 1 required TEXT missing"
    auto pos = what.find(" is required");
    if (pos != std::string::npos && !what.starts_with("-"))
      return fmt::format("\"{}\" requires an argument: {}", command_path(cmd), what.substr(0, pos));
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && what.starts_with("-")) {
    if (what.find(": At Most ") != std::string::npos)
      return fmt::format("flag given more than once: {}", what.substr(0, what.find(':')));
    return fmt::format("flag needs an argument: {}", what.substr(0, what.find(':')));
  }
  return what;
}

// Parses the command line and runs the chosen verb's action: its exit code.
// `every_verb` defines every verb's options, not only those of the verb the
// command line names.
int run_command_line(int argc, char** argv, bool every_verb) {
  CLI::App app{"skiff: rootless containers without a daemon", "skiff"};
  app.set_version_flag("-v,--version", fmt::format("skiff version {}, build {}", SKIFF_VERSION, SKIFF_GIT_COMMIT));
  app.get_formatter()->column_width(32);
  cli::Context ctx;
  if (!every_verb) ctx.verb_words = cli::verb_words(argc, argv);
  app.add_option("--root", ctx.root,
                 "Store location (default $SKIFF_ROOT, else $XDG_DATA_HOME/skiff, else ~/.local/share/skiff)");
  app.add_option("--runroot", ctx.runroot,
                 "Runtime state location (default $SKIFF_RUNROOT, else $XDG_RUNTIME_DIR/skiff, else /tmp/skiff-UID)");
  app.add_option("--storage-driver", ctx.storage_driver,
                 "Root filesystem driver for new containers: native, fuse-overlayfs or vfs (default: the first that works)");
  cli::add_all_commands(app, ctx);

  if (auto unknown = check_command_word(app, argc, argv)) {
    print_error(*unknown);
    return kExitSkiffFailed;
  }
  // `run IMAGE CMD -x`: `-x` is the container's, never ours.
  int command_start = container_command_start(app, argc, argv);
  for (int i = command_start; i < argc; i++) ctx.trailing_args.push_back(argv[i]);
  try {
    app.parse(std::min(argc, command_start), argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const CLI::App* cmd = chosen_command(app);
    if (!every_verb && !ctx.wants(cmd)) return run_command_line(argc, argv, true);
    print_error(make_error("{} (see `{} --help`)", parse_error_text(e, cmd), command_path(cmd)));
    return kExitSkiffFailed;
  }
  if (!ctx.action) {  // `skiff`, `skiff image`: help, as docker does
    const CLI::App* cmd = chosen_command(app);
    // A verb the first words did not name (never expected): again, with
    // every verb defined.
    if (!every_verb && !ctx.wants(cmd)) return run_command_line(argc, argv, true);
    std::fputs(cmd->help().c_str(), stdout);
    return 0;
  }
  trace("parsed");
  try {
    Result<int> result = ctx.action();
    if (!result.ok()) {
      print_error(result.error());
      return result.error().exit_code();
    }
    return *result;
  } catch (const std::exception& e) {
    // A bug, but never raw text the user can't place.
    print_error(make_error("internal error: {}", e.what()));
    return kExitSkiffFailed;
  }
}

}  // namespace

int main(int argc, char** argv) {
  trace("main");
  // Started with stdin, stdout or stderr closed, the next descriptor we open
  // would take its number and be clobbered where a container's stdio is set
  // up (the init's memfd as fd 0 became /dev/null): hold them with /dev/null.
  for (int fd = 0; fd < 3; ++fd)
    if (::fcntl(fd, F_GETFD) < 0 && ::open("/dev/null", O_RDWR) < 0) return kExitSkiffFailed;
  // A closed pipe is an error value (EPIPE), not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  // Character classes only (column widths): loading every category costs a
  // dozen file lookups on each run.
  std::setlocale(LC_CTYPE, "C.UTF-8");
  // A detached container's monitor, exec'd by skiff itself: no command line to parse.
  if (argc > 1 && std::string_view(argv[1]) == kMonitorCommand) monitor_process_main(argc, argv);
  if (argc > 1 && std::string_view(argv[1]) == kNetworkCommand) network_process_main(argc, argv);

  return run_command_line(argc, argv, false);
}
