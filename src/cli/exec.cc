// skiff exec / skiff container exec: a command in a running container.
#include "cli/command.h"
#include "engine/container_exec.h"

namespace skiff::cli {

namespace {

// docker's --detach-keys: comma-separated keys, each a single character or
// ctrl-<letter, @, [, \, ], ^ or _>.
Status check_detach_keys(const std::string& keys) {
  size_t start = 0;
  while (start <= keys.size()) {
    size_t end = keys.find(',', start);
    if (end == std::string::npos) end = keys.size();
    std::string key = keys.substr(start, end - start);
    bool ok = key.size() == 1;
    if (key.starts_with("ctrl-") && key.size() == 6) {
      char c = key[5];
      ok = (c >= 'a' && c <= 'z') || std::string_view("@[\\]^_").find(c) != std::string_view::npos;
    }
    if (!ok)
      return make_error("invalid --detach-keys `{}`: `{}` is not a key (use a character or ctrl-<value>)",
                        keys, key);
    start = end + 1;
  }
  return {};
}

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto request = std::make_shared<ExecRequest>();
  auto detach_keys = std::make_shared<std::string>();
  cmd->add_option("container", request->container, "The running container")->required();
  cmd->add_flag("-i,--interactive", request->interactive, "Keep stdin open and pass it to the command");
  cmd->add_flag("-t,--tty", request->options.tty, "Allocate a pseudo-terminal");
  cmd->add_flag("-d,--detach", request->detach, "Run the command in the background");
  cmd->add_option("-e,--env", request->env, "Set environment variables (NAME=value, or NAME to pass ours)");
  cmd->add_option("--env-file", request->env_files, "Read environment variables from a file");
  cmd->add_option("-w,--workdir", "Working directory inside the container (default: the container's)");
  cmd->add_option("-u,--user", "User name or uid[:gid] (default: the container's)");
  cmd->add_flag("--privileged", request->options.privileged, "Give the command every capability");
  cmd->add_option("--detach-keys", *detach_keys, "Accepted for compatibility: skiff doesn't detach yet");
  // Everything after CONTAINER is the command (main.cc cuts argv there).
  cmd->callback([request, detach_keys, cmd, &ctx] {
    auto optional = [&](const char* name) -> std::optional<std::string> {
      const CLI::Option* opt = cmd->get_option(name);
      if (opt->count() == 0) return std::nullopt;
      return opt->results().back();
    };
    request->options.workdir = optional("--workdir");
    request->options.user = optional("--user");
    request->options.command = ctx.trailing_args;
    ctx.action = [request, detach_keys, &ctx]() -> Result<int> {
      if (request->options.command.empty())
        return make_error("\"skiff exec\" requires at least 2 arguments: CONTAINER COMMAND [ARG...]");
      if (!detach_keys->empty()) TRY(check_detach_keys(*detach_keys));
      const Store* store = TRY(ctx.store());
      return exec_in_container(*store, *request);
    };
  });
}

}  // namespace

void add_exec_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("exec", "Run a command in a running container"), ctx);
  define(container.add_subcommand("exec", "Run a command in a running container"), ctx);
}

}  // namespace skiff::cli
