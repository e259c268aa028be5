#include "engine/health_config.h"

#include <cmath>

#include "base/units.h"

namespace skiff {

namespace {

constexpr int64_t kNanosPerMilli = 1000000;

// A --health-* duration in nanoseconds; docker refuses negative ones, and
// its daemon non-zero ones under a millisecond.
Result<int64_t> parse_health_duration(const std::string& flag, const std::string& text) {
  auto seconds = parse_duration(text);
  if (!seconds) return make_error("invalid argument `{}` for --{}: expected a duration like 30s or 1m30s", text, flag);
  if (*seconds < 0) return make_error("--{} cannot be negative", flag);
  int64_t nanos = int64_t(std::llround(*seconds * 1e9));
  if (nanos != 0 && nanos < kNanosPerMilli) return make_error("--{} cannot be less than 1ms", flag);
  return nanos;
}

std::chrono::milliseconds millis_of(const Json& healthcheck, const char* key, std::chrono::milliseconds fallback) {
  int64_t nanos = healthcheck.is_object() && healthcheck.contains(key) && healthcheck[key].is_number_integer()
                      ? healthcheck[key].get<int64_t>()
                      : 0;
  return nanos > 0 ? std::chrono::milliseconds(nanos / kNanosPerMilli) : fallback;
}

}  // namespace

Result<Json> merge_healthcheck(const Json& image, const HealthFlags& flags) {
  bool any_flag = flags.cmd || flags.interval || flags.timeout || flags.start_period || flags.retries;
  if (flags.none && any_flag) return make_error("--no-healthcheck conflicts with --health-* options");
  if (flags.none) return Json{{"Test", {"NONE"}}};
  Json merged = image.is_object() ? image : Json::object();
  if (flags.cmd) merged["Test"] = {"CMD-SHELL", *flags.cmd};
  if (flags.interval) merged["Interval"] = TRY(parse_health_duration("health-interval", *flags.interval));
  if (flags.timeout) merged["Timeout"] = TRY(parse_health_duration("health-timeout", *flags.timeout));
  if (flags.start_period)
    merged["StartPeriod"] = TRY(parse_health_duration("health-start-period", *flags.start_period));
  if (flags.retries) {
    if (*flags.retries < 0) return make_error("--health-retries cannot be negative");
    merged["Retries"] = *flags.retries;
  }
  if (merged.empty()) return Json();
  // docker's field order (its HealthConfig struct), whatever the image's was.
  Json out = Json::object();
  for (const char* key : {"Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"})
    if (merged.contains(key)) out[key] = merged[key];
  return out;
}

std::optional<HealthConfig> health_config(const Json& config) {
  const Json& cc = config.contains("Config") ? config["Config"] : Json();
  if (!cc.is_object() || !cc.contains("Healthcheck")) return std::nullopt;
  const Json& hc = cc["Healthcheck"];
  if (!hc.is_object() || !hc.contains("Test") || !hc["Test"].is_array() || hc["Test"].empty()) return std::nullopt;
  std::vector<std::string> test = json_strings(hc["Test"]);
  if (test.empty() || test[0] == "NONE") return std::nullopt;
  HealthConfig out;
  if (test[0] == "CMD") {
    out.argv.assign(test.begin() + 1, test.end());
  } else if (test[0] == "CMD-SHELL" && test.size() == 2) {
    // The container's SHELL, as docker: /bin/sh -c unless the image set one.
    out.argv = cc.contains("Shell") && cc["Shell"].is_array() && !cc["Shell"].empty()
                   ? json_strings(cc["Shell"])
                   : std::vector<std::string>{"/bin/sh", "-c"};
    out.argv.push_back(test[1]);
  } else {
    return std::nullopt;  // refused at create; an image's odd one runs nothing
  }
  if (out.argv.empty()) return std::nullopt;
  out.interval = millis_of(hc, "Interval", out.interval);
  out.timeout = millis_of(hc, "Timeout", out.timeout);
  out.start_period = millis_of(hc, "StartPeriod", out.start_period);
  if (hc.contains("Retries") && hc["Retries"].is_number_integer() && hc["Retries"].get<int>() > 0)
    out.retries = hc["Retries"].get<int>();
  return out;
}

}  // namespace skiff
