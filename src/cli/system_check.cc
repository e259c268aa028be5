// skiff system check [--repair]
#include "engine/system_check.h"
#include "cli/command.h"

namespace skiff::cli {

void add_system_check_command(CLI::App& system, Context& ctx) {
  CLI::App* cmd = system.add_subcommand("check", "Find and repair inconsistencies in the store");
  if (!ctx.wants(cmd)) return;
  auto repair = std::make_shared<bool>(false);
  cmd->add_flag("-r,--repair", *repair, "Fix what can be fixed without losing anything that still works");
  cmd->callback([repair, &ctx] {
    ctx.action = [repair, &ctx]() -> Result<int> {
      auto problems = TRY(check_store(*TRY(ctx.store()), *repair));
      int left = 0;
      for (const auto& p : problems) {
        print_out(p.what + (p.repaired ? ": repaired\n" : "\n"));
        if (!p.repaired) ++left;
      }
      if (problems.empty())
        print_out("no problems found\n");
      else
        print_out(fmt::format("{} problem(s) found, {} repaired\n", problems.size(), problems.size() - left));
      return left == 0 ? 0 : 1;
    };
  });
}

}  // namespace skiff::cli
