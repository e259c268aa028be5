#include "base/units.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace skiff {

namespace {

// go-units' CustomSize: divide by `base` while a larger unit exists, then
// print with `digits` significant digits.
std::string scaled_size(double bytes, double base, const char* const (&units)[9], int digits) {
  int unit = 0;
  while (bytes >= base && unit < 8) {
    bytes /= base;
    unit++;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g%s", digits, bytes, units[unit]);
  return buf;
}

}  // namespace

std::string human_size(double bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  return scaled_size(bytes, 1000.0, kUnits, 3);
}

std::string binary_size(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  return scaled_size(bytes, 1024.0, kUnits, 4);
}

std::string human_duration(double seconds) {
  if (seconds < 1) return "Less than a second";
  if (std::lround(std::floor(seconds)) == 1) return "1 second";
  if (seconds < 60) return fmt::format("{} seconds", int(seconds));
  int minutes = int(seconds / 60);
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return fmt::format("{} minutes", minutes);
  int hours = int(std::lround(seconds / 3600));
  if (hours == 1) return "About an hour";
  if (hours < 48) return fmt::format("{} hours", hours);
  if (hours < 24 * 7 * 2) return fmt::format("{} days", hours / 24);
  if (hours < 24 * 30 * 2) return fmt::format("{} weeks", hours / 24 / 7);
  if (hours < 24 * 365 * 2) return fmt::format("{} months", hours / 24 / 30);
  return fmt::format("{} years", int(seconds / 3600 / 24 / 365));
}

namespace {

// A calendar date and time as Unix time, in UTC or (local) our time zone;
// nullopt for a day or time that doesn't exist.
std::optional<time_t> civil_time(int y, int mo, int d, int h, int mi, int s, bool local) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] + (mo == 2 && leap) || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || s < 0 || s > 59)
    return std::nullopt;
  struct tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  tm.tm_isdst = -1;
  return local ? mktime(&tm) : timegm(&tm);
}

// Takes exactly `count` digits from the front of `text`.
std::optional<int> take_digits(std::string_view& text, size_t count) {
  if (text.size() < count) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  text.remove_prefix(count);
  return value;
}

bool take_char(std::string_view& text, char c) {
  if (text.empty() || text[0] != c) return false;
  text.remove_prefix(1);
  return true;
}

// The digits after a decimal point as nanoseconds (beyond nine ignored).
std::optional<long> take_fraction(std::string_view& text) {
  long nanos = 0;
  int digits = 0;
  while (!text.empty() && text[0] >= '0' && text[0] <= '9') {
    if (digits < 9) nanos = nanos * 10 + (text[0] - '0');
    ++digits;
    text.remove_prefix(1);
  }
  if (digits == 0) return std::nullopt;
  for (int i = digits; i < 9; ++i) nanos *= 10;
  return nanos;
}

// YYYY-MM-DD[THH[:MM[:SS[.frac]]]][Z|±HH:MM], local time without a zone.
std::optional<struct timespec> parse_partial_rfc3339(std::string_view text) {
  int h = 0, mi = 0, s = 0;
  long nanos = 0;
  auto y = take_digits(text, 4);
  if (!y || !take_char(text, '-')) return std::nullopt;
  auto mo = take_digits(text, 2);
  if (!mo || !take_char(text, '-')) return std::nullopt;
  auto d = take_digits(text, 2);
  if (!d) return std::nullopt;
  if (take_char(text, 'T')) {
    auto hour = take_digits(text, 2);
    if (!hour) return std::nullopt;
    h = *hour;
    if (take_char(text, ':')) {
      auto minute = take_digits(text, 2);
      if (!minute) return std::nullopt;
      mi = *minute;
      if (take_char(text, ':')) {
        auto second = take_digits(text, 2);
        if (!second) return std::nullopt;
        s = *second;
        if (take_char(text, '.')) {
          auto fraction = take_fraction(text);
          if (!fraction) return std::nullopt;
          nanos = *fraction;
        }
      }
    }
  }
  bool local = text.empty();
  long offset = 0;
  if (text == "Z" || text == "z") {
  } else if (!local) {
    char sign = text[0];
    text.remove_prefix(1);
    auto oh = take_digits(text, 2);
    if ((sign != '+' && sign != '-') || !oh || !take_char(text, ':')) return std::nullopt;
    auto om = take_digits(text, 2);
    if (!om || !text.empty()) return std::nullopt;
    offset = (*oh * 3600 + *om * 60) * (sign == '+' ? 1 : -1);
  }
  auto secs = civil_time(*y, *mo, *d, h, mi, s, local);
  if (!secs) return std::nullopt;
  return timespec{*secs - offset, nanos};
}

}  // namespace

std::optional<struct timespec> parse_rfc3339(std::string_view text) {
  int y, mo, d, h, mi, s, consumed = 0;
  // The layout every writer uses, digits where sscanf would read them, is
  // read directly (`ps` parses a time per container); anything else goes
  // through sscanf.
  static constexpr std::string_view kLayout = "dddd-dd-ddTdd:dd:dd";
  bool plain = text.size() >= kLayout.size();
  for (size_t i = 0; plain && i < kLayout.size(); ++i)
    plain = kLayout[i] == 'd' ? text[i] >= '0' && text[i] <= '9' : text[i] == kLayout[i];
  if (plain) {
    auto number = [&](size_t at, size_t digits) {
      int n = 0;
      for (size_t i = at; i < at + digits; ++i) n = n * 10 + (text[i] - '0');
      return n;
    };
    y = number(0, 4);
    mo = number(5, 2);
    d = number(8, 2);
    h = number(11, 2);
    mi = number(14, 2);
    s = number(17, 2);
    consumed = int(kLayout.size());
  } else {
    std::string str(text);
    if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) != 6)
      return std::nullopt;
  }
  std::string_view rest = text.substr(consumed);
  long nanos = 0;
  if (!rest.empty() && rest[0] == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest[0] >= '0' && rest[0] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (rest[0] - '0'), digits++;
      rest.remove_prefix(1);
    }
    while (digits++ < 9) nanos *= 10;
  }
  long offset = 0;
  if (rest == "Z" || rest == "z") {
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh = std::atoi(std::string(rest.substr(1, 2)).c_str());
    int om = std::atoi(std::string(rest.substr(4, 2)).c_str());
    offset = (oh * 3600 + om * 60) * (rest[0] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  auto secs = civil_time(y, mo, d, h, mi, s, false);
  if (!secs) return std::nullopt;
  return timespec{*secs - offset, nanos};
}

std::string go_time_string(time_t t) {
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[96];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  return buf;
}

std::optional<double> parse_duration(std::string_view text) {
  // Go's time.ParseDuration: [+-] then one or more <decimal><unit>, units
  // ns us µs ms s m h; a bare "0" is allowed. Nothing else (no spaces,
  // exponents, hex, inf or nan).
  std::string_view s = text;
  double sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  if (s == "0") return 0.0;
  if (s.empty()) return std::nullopt;
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    double value = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') value = value * 10 + (s[i++] - '0'), digits = true;
    if (i < s.size() && s[i] == '.') {
      i++;
      double scale = 0.1;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') value += (s[i++] - '0') * scale, scale /= 10, digits = true;
    }
    if (!digits) return std::nullopt;
    s.remove_prefix(i);
    static const std::pair<std::string_view, double> kUnits[] = {
        {"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
    bool matched = false;
    for (const auto& [unit, seconds] : kUnits) {
      std::string_view u = unit;  // longer units first: "ms" before "m"
      if (s.substr(0, u.size()) == u) {
        total += value * seconds;
        s.remove_prefix(u.size());
        matched = true;
        break;
      }
    }
    if (!matched) return std::nullopt;
  }
  return sign * total;
}

std::optional<struct timespec> parse_time_or_duration(std::string_view text, const struct timespec& now) {
  // A duration; "0" alone is a Unix time, as with docker.
  if (text != "0") {
    if (auto d = parse_duration(text)) {
      double whole = std::floor(*d);
      long nanos = std::lround((*d - whole) * 1e9);
      struct timespec t = {now.tv_sec - time_t(whole), now.tv_nsec - nanos};
      if (t.tv_nsec < 0) t.tv_nsec += 1000000000, t.tv_sec -= 1;
      if (t.tv_nsec >= 1000000000) t.tv_nsec -= 1000000000, t.tv_sec += 1;
      return t;
    }
  }
  if (text.find_first_of("-T") != std::string_view::npos) return parse_partial_rfc3339(text);
  // Unix seconds, with an optional decimal fraction.
  std::string_view rest = text;
  time_t secs = 0;
  if (rest.empty() || rest[0] < '0' || rest[0] > '9') return std::nullopt;
  while (!rest.empty() && rest[0] >= '0' && rest[0] <= '9') {
    if (secs > (time_t(1) << 40)) return std::nullopt;
    secs = secs * 10 + (rest[0] - '0');
    rest.remove_prefix(1);
  }
  long nanos = 0;
  if (take_char(rest, '.')) {
    auto fraction = take_fraction(rest);
    if (!fraction) return std::nullopt;
    nanos = *fraction;
  }
  if (!rest.empty()) return std::nullopt;
  return timespec{secs, nanos};
}

}  // namespace skiff
