// skiff search: Docker Hub's search API for docker.io, and for any other
// registry its /v2/_catalog (every repository, page by page), kept to the
// names that contain the term, as podman does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace skiff {

struct SearchOptions {
  std::string term;  ///< "busybox", "docker.io/busybox", "localhost:5000/app"
  int limit = 25;
  bool verify_tls = true;
  std::vector<std::string> filters;  ///< "stars=N", "is-official=BOOL", "is-automated=BOOL"
};

struct SearchResult {
  std::string name;  ///< Hub: "busybox", "user/repo"; catalogs: "host:port/repo"
  std::string description;
  int64_t stars = 0;
  bool official = false;
  bool automated = false;
};

struct SearchResults {
  bool from_hub = false;  ///< Hub results have stars and marks; a catalog's only names
  std::vector<SearchResult> results;
};

/// Searches as `options` say. The Hub's answer is at most `limit` (1..100)
/// results; a catalog is read until `limit` names matched or it ends.
Result<SearchResults> search_images(const SearchOptions& options);

/// Where a term searches: "host[:port]/rest" names a registry (its first
/// component has a '.' or ':' or is "localhost"); anything else is Docker
/// Hub ("docker.io"), with a "library/" prefix dropped as docker does.
struct SearchTarget {
  std::string domain;
  std::string term;
};
SearchTarget split_search_term(std::string_view text);

/// The "results" of a Hub search answer
/// ({"results":[{"name","description","star_count","is_official","is_automated"}]}).
Result<std::vector<SearchResult>> parse_hub_search(std::string_view json);

/// The "repositories" of a /v2/_catalog answer.
Result<std::vector<std::string>> parse_catalog(std::string_view json);

/// The path and query of a `Link: </v2/_catalog?last=x&n=100>; rel="next"`
/// header ("" when there is no next page). An absolute URL gives its path
/// only: the next page is asked of the same registry.
std::string link_next_path(std::string_view header);

/// docker's search filters, parsed.
struct SearchFilter {
  int64_t min_stars = 0;
  std::optional<bool> official, automated;
  bool accepts(const SearchResult& result) const;
};
Result<SearchFilter> parse_search_filters(const std::vector<std::string>& filters);

/// The rows `--format` sees, with docker's field names: Name, Description
/// (newlines as spaces, cut to 45 columns with "…" unless `no_trunc`),
/// StarCount, IsOfficial and IsAutomated ("[OK]" or "").
std::vector<Json> search_rows(const SearchResults& results, bool no_trunc);

}  // namespace skiff
