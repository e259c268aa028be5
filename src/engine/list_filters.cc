#include "engine/list_filters.h"

#include <regex.h>
#include <time.h>

#include <algorithm>
#include <map>

#include "base/units.h"

namespace skiff {

Result<std::vector<ListFilter>> parse_list_filters(const std::vector<std::string>& specs,
                                                   std::initializer_list<std::string_view> allowed) {
  std::vector<ListFilter> out;
  for (const auto& spec : specs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error("invalid filter `{}`: expected KEY=VALUE", spec);
    ListFilter f{spec.substr(0, eq), spec.substr(eq + 1)};
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

bool filters_accept(const std::vector<ListFilter>& filters,
                    const std::function<bool(const ListFilter&)>& matches) {
  std::map<std::string_view, bool> by_key;  // key -> whether it lets the object through
  for (const auto& f : filters) {
    bool match = matches(f);
    auto [it, fresh] = by_key.try_emplace(f.key, match);
    if (!fresh) it->second = f.key == "label" ? it->second && match : it->second || match;
  }
  return std::all_of(by_key.begin(), by_key.end(), [](const auto& entry) { return entry.second; });
}

Result<bool> parse_bool_filter(const ListFilter& f) {
  if (f.value == "true" || f.value == "1") return true;
  if (f.value == "false" || f.value == "0") return false;
  return make_error("invalid filter `{}={}`: use true or false", f.key, f.value);
}

bool labels_match(const Json& labels, const ListFilter& f) {
  auto eq = f.value.find('=');
  std::string key = f.value.substr(0, eq);
  bool found = labels.is_object() && labels.contains(key);
  if (found && eq != std::string::npos)
    found = labels[key].is_string() && labels[key].get<std::string>() == f.value.substr(eq + 1);
  return found != f.negated;
}

std::string labels_column(const Json& labels) {
  std::vector<std::string> list;
  if (labels.is_object())
    for (auto it = labels.begin(); it != labels.end(); ++it)
      list.push_back(it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump()));
  std::sort(list.begin(), list.end());
  std::string out;
  for (const auto& l : list) out += (out.empty() ? "" : ",") + l;
  return out;
}

bool pattern_matches(const std::string& pattern, const std::string& text) {
  if (pattern == text) return true;
  regex_t re;
  if (::regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0) return false;
  bool found = ::regexec(&re, text.c_str(), 0, nullptr, 0) == 0;
  ::regfree(&re);
  return found;
}

Result<double> parse_until(const std::string& value) {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  if (auto t = parse_time_or_duration(value, now)) return double(t->tv_sec) + t->tv_nsec / 1e9;
  return make_error("invalid filter value `until={}`: expected a time or a duration like 24h", value);
}

Result<PruneFilters> PruneFilters::parse(const std::vector<std::string>& specs) {
  PruneFilters out;
  for (auto& f : TRY(parse_list_filters(specs, {"until", "label"}))) {
    if (f.key == "until")
      out.untils_.push_back(TRY(parse_until(f.value)));
    else
      out.labels_.push_back(std::move(f));
  }
  return out;
}

bool PruneFilters::match(double created, const Json& labels) const {
  return std::all_of(untils_.begin(), untils_.end(), [&](double until) { return created < until; }) &&
         std::all_of(labels_.begin(), labels_.end(),
                     [&](const ListFilter& f) { return labels_match(labels, f); });
}

}  // namespace skiff
