// The --filter KEY=VALUE arguments of list and prune commands (images,
// image prune, volume ls, volume prune, container prune), parsed and
// matched the way docker's daemon does: values of one key OR together,
// different keys AND.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace skiff {

struct ListFilter {
  std::string key, value;
  bool negated = false;  ///< KEY!=VALUE (label only)
};

/// Parses KEY=VALUE (and label!=VALUE) filters; a key outside `allowed` is
/// an error naming the allowed ones.
Result<std::vector<ListFilter>> parse_list_filters(const std::vector<std::string>& specs,
                                                   std::initializer_list<std::string_view> allowed);

/// Whether an object passes `filters` as docker's daemon combines them: for
/// each key one of its values matches (for label=, every one), `matches`
/// telling whether one filter does.
bool filters_accept(const std::vector<ListFilter>& filters,
                    const std::function<bool(const ListFilter&)>& matches);

/// A true/false filter's value (dangling=, all=): true, 1, false or 0.
Result<bool> parse_bool_filter(const ListFilter& filter);

/// label=KEY or label=KEY=VALUE against `labels` (an object; null has none),
/// inverted for label!=.
bool labels_match(const Json& labels, const ListFilter& filter);

/// The LABELS column of list commands: KEY=VALUE pairs, sorted, joined by commas.
std::string labels_column(const Json& labels);

/// docker's filters.Match: `text` equals `pattern`, or the POSIX extended
/// regular expression `pattern` is found in it (an invalid one matches nothing).
bool pattern_matches(const std::string& pattern, const std::string& text);

/// until=<RFC 3339 time, Unix seconds, or a duration before now>, as Unix
/// seconds; an error names the filter.
Result<double> parse_until(const std::string& value);

/// The filters of prune commands, as docker's: until=TIME (created before
/// it) and label=KEY[=VALUE] / label!=KEY[=VALUE], all of which must match.
class PruneFilters {
 public:
  /// Parses the filters; another key, or a time that isn't one, is an error.
  static Result<PruneFilters> parse(const std::vector<std::string>& specs);
  /// Whether an object created at `created` (Unix seconds) with `labels`
  /// (an object, or null) passes them.
  bool match(double created, const Json& labels) const;

 private:
  std::vector<ListFilter> labels_;
  std::vector<double> untils_;
};

}  // namespace skiff
