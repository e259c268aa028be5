#include "registry/search.h"

#include <charconv>

#include "registry/auth_store.h"
#include "registry/registry_client.h"

namespace skiff {

namespace {

// A catalog of a million repositories is 10,000 pages: enough to stop a
// registry whose Link points back at itself.
constexpr int kMaxCatalogPages = 10000;
constexpr int kCatalogPageSize = 100;

Result<bool> parse_bool(std::string_view text, std::string_view filter) {
  if (text == "true" || text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "True")
    return true;
  if (text == "false" || text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "False")
    return false;
  return make_error("invalid filter '{}': `{}` is not a boolean", filter, text);
}

// Cuts `text` to `width` code points, the last being "…", as docker's Ellipsis.
std::string ellipsis(const std::string& text, size_t width) {
  size_t count = 0, cut = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) == 0x80) continue;  // a continuation byte
    if (count == width - 1) cut = i;
    if (++count > width) return text.substr(0, cut) + "…";
  }
  return text;
}

Result<SearchResults> search_hub(const std::string& term, const SearchOptions& options) {
  if (term.empty()) return make_error("the search term is empty");
  if (options.limit < 1 || options.limit > 100)
    return make_error("limit {} is outside the range of [1, 100]", options.limit);
  RegistryClient index("index.docker.io", options.verify_tls);
  std::string body =
      TRY(index.get_text(fmt::format("/v1/search?q={}&n={}", url_encode(term), options.limit), 16 << 20));
  SearchResults out{.from_hub = true, .results = TRY(parse_hub_search(body))};
  if (out.results.size() > size_t(options.limit)) out.results.resize(options.limit);
  return out;
}

Result<SearchResults> search_catalog(const SearchTarget& target, const SearchOptions& options) {
  if (options.limit < 1) return make_error("limit {} is not a positive number", options.limit);
  auto stored = TRY(find_credentials(target.domain));
  RegistryClient client(target.domain, options.verify_tls,
                        stored ? std::optional(stored->credentials) : std::nullopt);
  SearchResults out;
  std::string path = fmt::format("/v2/_catalog?n={}", kCatalogPageSize);
  for (int page = 0; page < kMaxCatalogPages && !path.empty(); ++page) {
    std::string link;
    std::string body = TRY(client.get_text(path, 16 << 20, &link));
    for (std::string& repo : TRY(parse_catalog(body))) {
      if (repo.find(target.term) == std::string::npos) continue;
      SearchResult result;
      result.name = target.domain + "/" + repo;
      out.results.push_back(std::move(result));
      if (out.results.size() == size_t(options.limit)) return out;
    }
    path = link_next_path(link);
  }
  return out;
}

}  // namespace

SearchTarget split_search_term(std::string_view text) {
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    std::string_view first = text.substr(0, slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost") {
      std::string domain(first);
      if (domain == "index.docker.io" || domain == "registry-1.docker.io") domain = "docker.io";
      SearchTarget target{domain, std::string(text.substr(slash + 1))};
      if (domain == "docker.io" && target.term.starts_with("library/")) target.term.erase(0, 8);
      return target;
    }
  }
  SearchTarget target{"docker.io", std::string(text)};
  if (target.term.starts_with("library/")) target.term.erase(0, 8);
  return target;
}

Result<std::vector<SearchResult>> parse_hub_search(std::string_view text) {
  Json json = TRY(parse_json(text, "the search answer"));
  if (!json.is_object() || !json.contains("results") || !json["results"].is_array())
    return make_error("the search answer has no \"results\" list");
  std::vector<SearchResult> out;
  for (const Json& r : json["results"]) {
    if (!r.is_object() || !r.contains("name") || !r["name"].is_string()) continue;
    SearchResult result;
    result.name = r["name"].get<std::string>();
    if (r.contains("description") && r["description"].is_string()) result.description = r["description"];
    if (r.contains("star_count") && r["star_count"].is_number_integer()) result.stars = r["star_count"];
    if (r.contains("is_official") && r["is_official"].is_boolean()) result.official = r["is_official"];
    if (r.contains("is_automated") && r["is_automated"].is_boolean()) result.automated = r["is_automated"];
    out.push_back(std::move(result));
  }
  return out;
}

Result<std::vector<std::string>> parse_catalog(std::string_view text) {
  Json json = TRY(parse_json(text, "the catalog"));
  if (!json.is_object() || !json.contains("repositories"))
    return make_error("the catalog answer has no \"repositories\" list");
  // docker-registry answers an empty catalog with "repositories": null.
  if (json["repositories"].is_null()) return std::vector<std::string>();
  if (!json["repositories"].is_array()) return make_error("the catalog answer has no \"repositories\" list");
  return json_strings(json["repositories"]);
}

std::string link_next_path(std::string_view header) {
  size_t open = header.find('<');
  size_t close = header.find('>', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) return "";
  std::string_view params = header.substr(close + 1);
  if (params.find("rel=\"next\"") == std::string_view::npos &&
      params.find("rel=next") == std::string_view::npos)
    return "";
  std::string_view target = header.substr(open + 1, close - open - 1);
  for (std::string_view scheme : {"https://", "http://"})
    if (target.starts_with(scheme)) {
      target.remove_prefix(scheme.size());
      size_t slash = target.find('/');
      target = slash == std::string_view::npos ? "" : target.substr(slash);
    }
  return target.starts_with("/") ? std::string(target) : "";
}

bool SearchFilter::accepts(const SearchResult& result) const {
  return result.stars >= min_stars && (!official || *official == result.official) &&
         (!automated || *automated == result.automated);
}

Result<SearchFilter> parse_search_filters(const std::vector<std::string>& filters) {
  SearchFilter out;
  for (const std::string& filter : filters) {
    size_t eq = filter.find('=');
    if (eq == std::string::npos) return make_error("bad format of filter (expected name=value)");
    std::string_view name = std::string_view(filter).substr(0, eq);
    std::string_view value = std::string_view(filter).substr(eq + 1);
    if (name == "stars") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out.min_stars);
      if (ec != std::errc() || end != value.data() + value.size() || out.min_stars < 0)
        return make_error("invalid filter 'stars={}'", value);
    } else if (name == "is-official") {
      out.official = TRY(parse_bool(value, filter));
    } else if (name == "is-automated") {
      out.automated = TRY(parse_bool(value, filter));
    } else {
      return make_error("invalid filter '{}'", name);
    }
  }
  return out;
}

Result<SearchResults> search_images(const SearchOptions& options) {
  SearchFilter filter = TRY(parse_search_filters(options.filters));
  SearchTarget target = split_search_term(options.term);
  SearchResults found = target.domain == "docker.io" ? TRY(search_hub(target.term, options))
                                                     : TRY(search_catalog(target, options));
  std::erase_if(found.results, [&](const SearchResult& r) { return !filter.accepts(r); });
  return found;
}

std::vector<Json> search_rows(const SearchResults& results, bool no_trunc) {
  std::vector<Json> rows;
  for (const SearchResult& r : results.results) {
    std::string description = r.description;
    for (char& c : description)
      if (c == '\n' || c == '\r') c = ' ';
    if (!no_trunc) description = ellipsis(description, 45);
    rows.push_back({{"Name", r.name},
                    {"Description", description},
                    {"StarCount", std::to_string(r.stars)},
                    {"IsOfficial", r.official ? "[OK]" : ""},
                    {"IsAutomated", r.automated ? "[OK]" : ""}});
  }
  return rows;
}

}  // namespace skiff
