// skiff tag SOURCE TARGET
#include "cli/command.h"
#include "engine/images.h"

namespace skiff::cli {

namespace {
void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto source = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  cmd->add_option("source", *source, "An image name or ID")->required();
  cmd->add_option("target", *target, "The new name, e.g. registry:5000/app:1.0")->required();
  cmd->callback([=, &ctx] {
    ctx.action = [=, &ctx]() -> Result<int> {
      TRY(tag_image(*TRY(ctx.store()), *source, *target));
      return 0;
    };
  });
}
}  // namespace

void add_tag_command(CLI::App& app, CLI::App& image, Context& ctx) {
  define(app.add_subcommand("tag", "Give an image another name"), ctx);
  define(image.add_subcommand("tag", "Give an image another name"), ctx);
}

}  // namespace skiff::cli
