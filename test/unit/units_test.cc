// Sizes, durations and times as docker prints and parses them. The expected
// strings are what docker's go-units (HumanSizeWithPrecision(x, 3),
// HumanDuration) and Go's time package give for the same input.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <string>

#include "base/units.h"

using namespace skiff;

namespace {

constexpr double kMinute = 60, kHour = 3600, kDay = 24 * kHour;

}  // namespace

TEST_CASE("human_size prints three significant digits in decimal units", "[units]") {
  CHECK(human_size(0) == "0B");
  CHECK(human_size(1) == "1B");
  CHECK(human_size(999) == "999B");
  CHECK(human_size(1000) == "1kB");
  CHECK(human_size(1234) == "1.23kB");
  CHECK(human_size(4261550) == "4.26MB");
  CHECK(human_size(72900000) == "72.9MB");
  CHECK(human_size(1e9) == "1GB");
  CHECK(human_size(1234567890) == "1.23GB");
  CHECK(human_size(1.5e12) == "1.5TB");
}

TEST_CASE("human_size rounds up to 1e+03 below the next unit, as go-units does", "[units]") {
  // go-units divides only while size >= 1000, then %.3g rounds 999.999 up.
  CHECK(human_size(999999) == "1e+03kB");
  CHECK(human_size(999499) == "999kB");
}

TEST_CASE("human_duration under a minute counts seconds", "[units]") {
  CHECK(human_duration(0) == "Less than a second");
  CHECK(human_duration(0.5) == "Less than a second");
  CHECK(human_duration(0.999) == "Less than a second");
  CHECK(human_duration(1) == "1 second");
  CHECK(human_duration(1.9) == "1 second");
  CHECK(human_duration(2) == "2 seconds");
  CHECK(human_duration(59) == "59 seconds");
  CHECK(human_duration(59.9) == "59 seconds");
}

TEST_CASE("human_duration under an hour counts minutes, truncating", "[units]") {
  CHECK(human_duration(60) == "About a minute");
  CHECK(human_duration(119) == "About a minute");
  CHECK(human_duration(120) == "2 minutes");
  CHECK(human_duration(45 * kMinute) == "45 minutes");
  CHECK(human_duration(59 * kMinute + 59) == "59 minutes");
}

TEST_CASE("human_duration counts hours rounded to the nearest", "[units]") {
  CHECK(human_duration(60 * kMinute) == "About an hour");
  CHECK(human_duration(89 * kMinute) == "About an hour");
  CHECK(human_duration(90 * kMinute) == "2 hours");  // int(1.5 + 0.5)
  CHECK(human_duration(3 * kHour) == "3 hours");
  CHECK(human_duration(47 * kHour) == "47 hours");
  CHECK(human_duration(47 * kHour + 29 * kMinute) == "47 hours");
}

TEST_CASE("human_duration switches to days at 48 hours and weeks at 14 days", "[units]") {
  CHECK(human_duration(47 * kHour + 30 * kMinute) == "2 days");  // rounds to 48 hours
  CHECK(human_duration(48 * kHour) == "2 days");
  CHECK(human_duration(13 * kDay) == "13 days");
  CHECK(human_duration(14 * kDay) == "2 weeks");
  CHECK(human_duration(59 * kDay) == "8 weeks");
}

TEST_CASE("human_duration switches to months at 60 days and years at 730 days", "[units]") {
  CHECK(human_duration(60 * kDay) == "2 months");
  CHECK(human_duration(400 * kDay) == "13 months");
  CHECK(human_duration(729 * kDay) == "24 months");
  CHECK(human_duration(730 * kDay) == "2 years");
  CHECK(human_duration(3650 * kDay) == "10 years");
}

TEST_CASE("parse_rfc3339 reads UTC times", "[units]") {
  auto t = parse_rfc3339("2024-01-02T03:04:05Z");
  REQUIRE(t.has_value());
  CHECK(t->tv_sec == 1704164645);
  CHECK(t->tv_nsec == 0);
  auto leap = parse_rfc3339("2000-02-29T23:59:59Z");
  REQUIRE(leap.has_value());
  CHECK(leap->tv_sec == 951868799);
  auto epoch = parse_rfc3339("1970-01-01T00:00:00Z");
  REQUIRE(epoch.has_value());
  CHECK(epoch->tv_sec == 0);
}

TEST_CASE("parse_rfc3339 reads short fields as sscanf's %2d does, and refuses the rest", "[units]") {
  // The usual layout is read without sscanf; others still are, the same way.
  auto short_fields = parse_rfc3339("2024-1-2T3:4:5Z");
  REQUIRE(short_fields.has_value());
  CHECK(short_fields->tv_sec == 1704164645);
  CHECK(!parse_rfc3339("2024-01-02T03:04:056Z").has_value());
  CHECK(!parse_rfc3339("2024-13-02T03:04:05Z").has_value());
  CHECK(!parse_rfc3339("2024-02-30T03:04:05Z").has_value());
  CHECK(!parse_rfc3339("2024-01-02 03:04:05Z").has_value());
  CHECK(!parse_rfc3339("2024-01-02T03:04:05").has_value());
  CHECK(!parse_rfc3339("").has_value());
}

TEST_CASE("parse_rfc3339 applies the zone offset", "[units]") {
  auto east = parse_rfc3339("2024-01-02T05:04:05+02:00");
  REQUIRE(east.has_value());
  CHECK(east->tv_sec == 1704164645);
  auto west = parse_rfc3339("2024-01-01T21:34:05-05:30");
  REQUIRE(west.has_value());
  CHECK(west->tv_sec == 1704164645);
  auto zero = parse_rfc3339("2024-01-02T03:04:05+00:00");
  REQUIRE(zero.has_value());
  CHECK(zero->tv_sec == 1704164645);
}

TEST_CASE("parse_rfc3339 keeps fractions as nanoseconds", "[units]") {
  auto ms = parse_rfc3339("2024-01-02T03:04:05.123Z");
  REQUIRE(ms.has_value());
  CHECK(ms->tv_sec == 1704164645);
  CHECK(ms->tv_nsec == 123000000);
  auto ns = parse_rfc3339("2024-01-02T03:04:05.123456789Z");
  REQUIRE(ns.has_value());
  CHECK(ns->tv_nsec == 123456789);
  auto tenth = parse_rfc3339("2024-01-02T03:04:05.5+01:00");
  REQUIRE(tenth.has_value());
  CHECK(tenth->tv_sec == 1704164645 - 3600);
  CHECK(tenth->tv_nsec == 500000000);
  // Docker writes up to nine digits; more are cut, not rounded into seconds.
  auto long_fraction = parse_rfc3339("2024-01-02T03:04:05.9999999999Z");
  REQUIRE(long_fraction.has_value());
  CHECK(long_fraction->tv_sec == 1704164645);
  CHECK(long_fraction->tv_nsec == 999999999);
}

TEST_CASE("parse_rfc3339 refuses garbage", "[units]") {
  CHECK_FALSE(parse_rfc3339("").has_value());
  CHECK_FALSE(parse_rfc3339("yesterday").has_value());
  CHECK_FALSE(parse_rfc3339("2024-01-02").has_value());
  CHECK_FALSE(parse_rfc3339("2024-01-02T03:04:05").has_value());        // no zone
  CHECK_FALSE(parse_rfc3339("2024-01-02 03:04:05Z").has_value());       // no T
  CHECK_FALSE(parse_rfc3339("2024-01-02T03:04:05+0200").has_value());   // offset without colon
  CHECK_FALSE(parse_rfc3339("2024-01-02T03:04:05ZZ").has_value());
  CHECK_FALSE(parse_rfc3339("2024-01-02T03:04:05.123").has_value());
  CHECK_FALSE(parse_rfc3339("2024-01-02T03:04:05Z trailing").has_value());
}

TEST_CASE("parse_rfc3339 refuses out-of-range fields as Go's time.Parse does", "[units]") {
  // Go: `parsing time "2024-13-02T03:04:05Z": month out of range`. timegm
  // would silently normalise these to another date.
  CHECK_FALSE(parse_rfc3339("2024-13-02T03:04:05Z").has_value());
  CHECK_FALSE(parse_rfc3339("2024-02-30T03:04:05Z").has_value());
  CHECK_FALSE(parse_rfc3339("2024-01-02T25:04:05Z").has_value());
  CHECK_FALSE(parse_rfc3339("2024-01-02T03:61:05Z").has_value());
}

TEST_CASE("go_time_string prints like Go's time.String()", "[units]") {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "UTC", 1);
  tzset();
  std::string text = go_time_string(1704164645);
  if (old) setenv("TZ", saved.c_str(), 1);
  else unsetenv("TZ");
  tzset();
  CHECK(text == "2024-01-02 03:04:05 +0000 UTC");
}

TEST_CASE("parse_duration reads Go durations in s, m and h", "[units]") {
  CHECK(parse_duration("10s") == 10.0);
  CHECK(parse_duration("10m") == 600.0);
  CHECK(parse_duration("24h") == 86400.0);
  CHECK(parse_duration("1h30m") == 5400.0);
  CHECK(parse_duration("1h30m15s") == 5415.0);
  CHECK(parse_duration("1.5h") == 5400.0);
  CHECK(parse_duration("500ms") == 0.5);
  CHECK(parse_duration("0s") == 0.0);
}

TEST_CASE("parse_duration refuses a number without a unit and unknown units", "[units]") {
  CHECK_FALSE(parse_duration("").has_value());
  CHECK_FALSE(parse_duration("10").has_value());
  CHECK_FALSE(parse_duration("10x").has_value());
  CHECK_FALSE(parse_duration("10d").has_value());
  CHECK_FALSE(parse_duration("h").has_value());
  CHECK_FALSE(parse_duration("1h30").has_value());
  CHECK_FALSE(parse_duration("abc").has_value());
}

TEST_CASE("parse_duration refuses what Go's ParseDuration refuses", "[units]") {
  // strtod accepts more than Go's grammar ([-+]?([0-9]*(\.[0-9]*)?[a-z]+)+):
  // hexadecimal, exponents, infinity, NaN and leading blanks.
  CHECK_FALSE(parse_duration("0x10s").has_value());
  CHECK_FALSE(parse_duration("1e3s").has_value());
  CHECK_FALSE(parse_duration("infh").has_value());
  CHECK_FALSE(parse_duration("nans").has_value());
  CHECK_FALSE(parse_duration(" 10m").has_value());
}

TEST_CASE("binary_size prints four significant digits in binary units, as docker's BytesSize", "[units]") {
  CHECK(binary_size(0) == "0B");
  CHECK(binary_size(1023) == "1023B");
  CHECK(binary_size(1024) == "1KiB");
  CHECK(binary_size(1536 * 1024) == "1.5MiB");
  CHECK(binary_size(8005316608.0) == "7.456GiB");
}
