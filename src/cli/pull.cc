// skiff pull [-q] [--platform P] [--tls-verify=false] NAME[:TAG|@DIGEST]
#include <unistd.h>

#include "cli/command.h"
#include "cli/pull_progress.h"
#include "engine/pull.h"

namespace skiff::cli {

namespace {
void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto opts = std::make_shared<PullOptions>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("name", opts->reference, "The image: NAME[:TAG|@DIGEST]")->required();
  cmd->add_flag("-q,--quiet", *quiet, "Print only the image's name");
  cmd->add_option("--platform", opts->platform, "The platform to pull from a multi-platform image, os/arch[/variant]");
  cmd->add_flag("--tls-verify", opts->verify_tls,
                "Verify the registry's TLS certificate (--tls-verify=false also allows plain HTTP)");
  // The callback owns what the options write into: they live as long as it.
  cmd->callback([opts, quiet, &ctx] {
    ctx.action = [opts, quiet, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      auto display = PullProgressDisplay::on_terminal(STDOUT_FILENO, opts->reference, *quiet);
      opts->observer = display.get();
      PullResult pulled = TRY(pull_image(*store, *opts));
      print_out(pulled.name + "\n");
      return 0;
    };
  });
}
}  // namespace

void add_pull_command(CLI::App& app, CLI::App& image, Context& ctx) {
  define(app.add_subcommand("pull", "Download an image from a registry"), ctx);
  define(image.add_subcommand("pull", "Download an image from a registry"), ctx);
}

}  // namespace skiff::cli
