// docker's --filter KEY=VALUE lists for the commands that share their
// grammar (images, image prune, container prune): parsed once, then each
// command matches its objects.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace skiff {

/// One KEY=VALUE filter; `negated` for label!=.
struct Filter {
  std::string key, value;
  bool negated = false;
};

/// Parses KEY=VALUE filters whose KEY is one of `allowed`; only label may be
/// negated. Errors name the filters allowed.
Result<std::vector<Filter>> parse_filters(const std::vector<std::string>& specs,
                                          std::initializer_list<std::string_view> allowed);

/// label=KEY or label=KEY=VALUE (or label!=) against `labels` (an object
/// of strings; anything else has no labels).
bool labels_match(const Json& labels, const Filter& filter);

/// until=<RFC 3339 time, Unix seconds, or a duration before now> as Unix time.
Result<double> parse_until(const std::string& value);

}  // namespace skiff
