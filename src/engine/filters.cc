#include "engine/filters.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>

#include "base/units.h"

namespace skiff {

Result<std::vector<Filter>> parse_filters(const std::vector<std::string>& specs,
                                          std::initializer_list<std::string_view> allowed) {
  std::vector<Filter> out;
  for (const auto& spec : specs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error("invalid filter `{}`: expected KEY=VALUE", spec);
    Filter f{spec.substr(0, eq), spec.substr(eq + 1)};
    if (!f.key.empty() && f.key.back() == '!') {
      f.negated = true;
      f.key.pop_back();
      if (f.key != "label") return make_error("invalid filter `{}`: only label may be negated", spec);
    }
    if (std::find(allowed.begin(), allowed.end(), f.key) == allowed.end()) {
      std::string names;
      for (auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
      return make_error("invalid filter `{}`: the filters here are {}", f.key, names);
    }
    out.push_back(std::move(f));
  }
  return out;
}

bool labels_match(const Json& labels, const Filter& f) {
  auto eq = f.value.find('=');
  std::string key = f.value.substr(0, eq);
  bool found = labels.is_object() && labels.contains(key);
  if (found && eq != std::string::npos)
    found = labels[key].is_string() && labels[key].get<std::string>() == f.value.substr(eq + 1);
  return found != f.negated;
}

Result<double> parse_until(const std::string& value) {
  if (auto ts = parse_rfc3339(value)) return double(ts->tv_sec);
  if (auto d = parse_duration(value)) return double(::time(nullptr)) - *d;
  char* end;
  double unix_time = std::strtod(value.c_str(), &end);
  if (!value.empty() && *end == '\0') return unix_time;
  return make_error("invalid filter value `until={}`: expected a time or a duration like 24h", value);
}

}  // namespace skiff
