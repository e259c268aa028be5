// Sizes and times printed the way docker prints them (docker/go-units).
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace skiff {

/// Decimal units, 3 significant digits: 4261550 -> "4.26MB", 0 -> "0B".
std::string human_size(double bytes);

/// Binary units, 4 significant digits, as docker's BytesSize (memory in
/// `stats`): 1572864 -> "1.5MiB", 0 -> "0B".
std::string binary_size(double bytes);

/// docker's HumanDuration: "Less than a second", "About a minute",
/// "3 hours", "2 weeks", ...
std::string human_duration(double seconds);

/// Parses RFC 3339 ("2024-01-02T03:04:05.123Z", "...+02:00") to Unix time.
std::optional<struct timespec> parse_rfc3339(std::string_view text);

/// Unix time as Go's time.String() in local time: "2024-01-02 03:04:05 +0000 UTC".
std::string go_time_string(time_t t);

/// Parses a duration like "10m", "1h30m", "24h", "1.5s", "300ms" as Go's
/// time.ParseDuration does (units ns, us, µs, ms, s, m, h) to seconds.
std::optional<double> parse_duration(std::string_view text);

/// A point in time as docker's --since/--until take it: a duration before
/// `now` ("10m", "1h30m"), an RFC 3339 time or a shorter form of one
/// ("2024-01-02", "2024-01-02T15:04", ".5Z"; local time without a zone), or
/// Unix seconds with an optional fraction ("1700000000.25").
std::optional<struct timespec> parse_time_or_duration(std::string_view text, const struct timespec& now);

}  // namespace skiff
