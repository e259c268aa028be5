// skiff rmi / skiff image rm
#include "base/output.h"
#include "cli/command.h"
#include "engine/images.h"

namespace skiff::cli {

namespace {
void define(CLI::App* cmd, Context& ctx) {
  if (!ctx.wants(cmd)) return;
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("image", *names, "Image names or IDs")->required();
  cmd->add_flag("-f,--force", *force, "Remove an image with several names; untag one a container uses");
  cmd->add_flag("--no-prune")->description("Accepted for docker compatibility (skiff keeps no parent images)");
  cmd->callback([=, &ctx] {
    ctx.action = [=, &ctx]() -> Result<int> {
      const Store* store = TRY(ctx.store());
      int rc = 0;
      for (const auto& name : *names) {
        auto outcome = remove_image(*store, name, *force);
        if (!outcome.ok()) {
          print_error(outcome.error());
          rc = kExitSkiffFailed;
          continue;
        }
        for (const auto& n : outcome->untagged) print_out("Untagged: " + n + "\n");
        for (const auto& id : outcome->deleted) print_out("Deleted: " + id + "\n");
      }
      return rc;
    };
  });
}
}  // namespace

void add_rmi_command(CLI::App& app, CLI::App& image, Context& ctx) {
  define(app.add_subcommand("rmi", "Remove images"), ctx);
  define(image.add_subcommand("rm", "Remove images")->alias("remove"), ctx);
}

}  // namespace skiff::cli
