// The command line defines only the options of the verb it names
// (cli/command.h): which words name it, and which verbs are wanted.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cli/command.h"

using namespace skiff;

namespace {

std::vector<std::string> words_of(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return cli::verb_words(int(argv.size()), argv.data());
}

// Every verb's option count once add_all_commands has run with `ctx`.
std::vector<std::pair<std::string, size_t>> defined(cli::Context& ctx, CLI::App& app) {
  cli::add_all_commands(app, ctx);
  std::vector<std::pair<std::string, size_t>> out;
  auto all = [](const CLI::App*) { return true; };
  for (const CLI::App* group : app.get_subcommands(all)) {
    auto verbs = group->get_subcommands(all);
    if (verbs.empty()) out.emplace_back(group->get_name(), group->get_options().size());
    for (const CLI::App* verb : verbs)
      out.emplace_back(group->get_name() + " " + verb->get_name(), verb->get_options().size());
  }
  return out;
}

}  // namespace

TEST_CASE("verb_words skips options and the global options' values") {
  CHECK(words_of({"skiff", "run", "--rm", "busybox", "true"}) == std::vector<std::string>{"run", "busybox"});
  CHECK(words_of({"skiff", "--root", "/x", "container", "run", "-it"}) ==
        std::vector<std::string>{"container", "run"});
  CHECK(words_of({"skiff", "--root=/x", "--storage-driver", "vfs", "ps"}) == std::vector<std::string>{"ps"});
  CHECK(words_of({"skiff", "--", "run"}).empty());
  CHECK(words_of({"skiff", "--help"}).empty());
}

TEST_CASE("only the named verb's options are defined, aliases included") {
  auto count = [](std::vector<std::string> words, const std::string& verb) {
    CLI::App app;
    cli::Context ctx;
    ctx.verb_words = std::move(words);
    size_t wanted = 0, others = 0;
    for (const auto& [name, options] : defined(ctx, app)) {
      // A verb's own --help is its one option before its define runs.
      if (name == verb) wanted = options;
      else if (options > 1) others++;
    }
    return std::pair(wanted, others);
  };
  auto [run, run_others] = count({"run", "busybox"}, "run");
  CHECK(run > 40);
  CHECK(run_others == 0);
  auto [ls, ls_others] = count({"container", "list"}, "container ls");
  CHECK(ls > 5);
  CHECK(ls_others == 0);
  // An image named like a group: `run container`, never `container ...`.
  auto [ctr_run, ctr_others] = count({"run", "container"}, "container run");
  CHECK(ctr_run <= 1);
  CHECK(ctr_others == 1);  // `run` itself
}

TEST_CASE("without verb words every verb is defined") {
  CLI::App app;
  cli::Context ctx;
  size_t bare = 0;
  for (const auto& [name, options] : defined(ctx, app))
    if (options <= 1) bare++;
  CHECK(bare == 0);
}
