// skiff attach / skiff container attach
#include <cstdio>

#include "cli/command.h"
#include "engine/attach.h"

namespace skiff::cli {

namespace {

struct Options {
  std::string container;
  bool no_stdin = false;
  bool sig_proxy = true;
  std::string detach_keys;
};

void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<Options>();
  cmd->add_option("container", opts->container, "The container to attach to")->required();
  cmd->add_flag("--no-stdin", opts->no_stdin, "Do not attach stdin");
  cmd->add_option("--sig-proxy", opts->sig_proxy,
                  "Pass received signals to the container (default true; not with a tty)");
  cmd->add_option("--detach-keys", opts->detach_keys,
                  "Keys that detach and leave the container running (default ctrl-p,ctrl-q)");
  cmd->callback([opts, &ctx] {
    ctx.action = [opts, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      AttachOptions options{.stdin = !opts->no_stdin, .sig_proxy = opts->sig_proxy, .detach_keys = ""};
      if (!opts->detach_keys.empty()) options.detach_keys = TRY(parse_detach_keys(opts->detach_keys));
      Container c = TRY(find_container(*store, opts->container));
      AttachResult result = TRY(attach_container(*store, c, options));
      if (result.detached) {
        // docker's words and code for leaving a container running.
        std::fputs("\r\nread escape sequence\r\n", stderr);
        return 1;
      }
      return result.exit_code;
    };
  });
}

}  // namespace

void add_attach_command(CLI::App& app, CLI::App& container, Context& ctx) {
  define(app.add_subcommand("attach", "Attach to a running container's input and output"), ctx);
  define(container.add_subcommand("attach", "Attach to a running container's input and output"), ctx);
}

}  // namespace skiff::cli
