// skiff search [--limit N] [--format T] [--no-trunc] [-f FILTER] [--tls-verify=false] TERM
#include "registry/search.h"
#include "cli/command.h"
#include "template/go_template.h"

namespace skiff::cli {

namespace {

struct Flags {
  SearchOptions search;
  std::string format;
  bool no_trunc = false;
};

// docker's columns for the Hub; a catalog has names only (podman's columns).
constexpr std::string_view kHubTable =
    "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}\t{{.IsAutomated}}";
constexpr std::string_view kCatalogTable = "table {{.Name}}\t{{.Description}}";

Result<int> search(const Flags& flags) {
  SearchResults found = TRY(std::move(search_images(flags.search)).wrap("search `{}`", flags.search.term));
  Json header = {{"Name", "NAME"},
                 {"Description", "DESCRIPTION"},
                 {"StarCount", "STARS"},
                 {"IsOfficial", "OFFICIAL"},
                 {"IsAutomated", "AUTOMATED"}};
  print_out(TRY(format_rows(flags.format, found.from_hub ? kHubTable : kCatalogTable, header,
                            search_rows(found, flags.no_trunc))));
  return 0;
}

}  // namespace

void add_search_command(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand("search", "Search a registry for images");
  if (!ctx.wants(cmd)) return;
  auto flags = std::make_shared<Flags>();
  cmd->add_option("term", flags->search.term, "What to look for: TERM (Docker Hub) or REGISTRY/TERM")
      ->required();
  cmd->add_option("--limit", flags->search.limit, "At most this many results (default 25)");
  cmd->add_option("--format", flags->format, "Format output: table, json, or a Go template");
  cmd->add_flag("--no-trunc", flags->no_trunc, "Don't truncate descriptions");
  cmd->add_option("-f,--filter", flags->search.filters,
                  "Filter: stars=N, is-official=BOOL, is-automated=BOOL")
      ->allow_extra_args(false);
  cmd->add_flag("--tls-verify", flags->search.verify_tls,
                "Verify the registry's TLS certificate (--tls-verify=false also allows plain HTTP)");
  cmd->callback([flags, &ctx] { ctx.action = [flags] { return search(*flags); }; });
}

}  // namespace skiff::cli
