// Health check settings: docker's merge of --health-* over the image's
// HEALTHCHECK, its validation messages, and what a monitor runs.
#include <catch2/catch.hpp>

#include "engine/health_config.h"

using namespace skiff;

namespace {

const Json kImageCheck = {{"Test", {"CMD", "/bin/true"}},
                          {"Interval", int64_t(5000000000)},
                          {"Retries", 2}};

std::string error_of(const Json& image, const HealthFlags& flags) {
  auto merged = merge_healthcheck(image, flags);
  REQUIRE_FALSE(merged.ok());
  return merged.error().text();
}

}  // namespace

TEST_CASE("health flags over the image's check") {
  SECTION("no flags keep the image's, or nothing") {
    CHECK(*merge_healthcheck(kImageCheck, {}) == kImageCheck);
    CHECK(merge_healthcheck(Json(), {})->is_null());
  }
  SECTION("a command replaces the test; unset settings stay the image's") {
    HealthFlags flags;
    flags.cmd = "curl -f localhost";
    flags.timeout = "1m30s";
    Json merged = *merge_healthcheck(kImageCheck, flags);
    CHECK(merged["Test"] == Json{"CMD-SHELL", "curl -f localhost"});
    CHECK(merged["Interval"] == int64_t(5000000000));
    CHECK(merged["Timeout"] == int64_t(90000000000));
    CHECK(merged["Retries"] == 2);
  }
  SECTION("flags without an image check make one") {
    HealthFlags flags;
    flags.cmd = "true";
    flags.interval = "500ms";
    flags.retries = 0;
    Json merged = *merge_healthcheck(Json(), flags);
    CHECK(merged == Json{{"Test", {"CMD-SHELL", "true"}}, {"Interval", int64_t(500000000)}, {"Retries", 0}});
  }
  SECTION("--no-healthcheck is NONE, and alone") {
    HealthFlags flags;
    flags.none = true;
    CHECK(*merge_healthcheck(kImageCheck, flags) == Json{{"Test", {"NONE"}}});
    flags.interval = "1s";
    CHECK(error_of(kImageCheck, flags) == "--no-healthcheck conflicts with --health-* options");
  }
  SECTION("docker's limits") {
    HealthFlags flags;
    flags.interval = "-1s";
    CHECK(error_of(Json(), flags) == "--health-interval cannot be negative");
    flags.interval = "10us";
    CHECK(error_of(Json(), flags) == "--health-interval cannot be less than 1ms");
    flags.interval = "soon";
    CHECK(error_of(Json(), flags).find("invalid argument `soon` for --health-interval") == 0);
    flags.interval = "0s";  // zero: the default
    CHECK(merge_healthcheck(Json(), flags).ok());
    HealthFlags retries;
    retries.retries = -1;
    CHECK(error_of(Json(), retries) == "--health-retries cannot be negative");
  }
}

TEST_CASE("what a monitor runs") {
  SECTION("CMD runs its words; defaults are docker's") {
    auto hc = health_config({{"Config", {{"Healthcheck", {{"Test", {"CMD", "/bin/check", "-v"}}}}}}});
    REQUIRE(hc);
    CHECK(hc->argv == std::vector<std::string>{"/bin/check", "-v"});
    CHECK(hc->interval == std::chrono::seconds(30));
    CHECK(hc->timeout == std::chrono::seconds(30));
    CHECK(hc->start_period == std::chrono::seconds(0));
    CHECK(hc->retries == 3);
  }
  SECTION("CMD-SHELL runs the container's shell") {
    auto hc = health_config({{"Config", {{"Healthcheck", {{"Test", {"CMD-SHELL", "exit 1"}}, {"Retries", 5}}}}}});
    REQUIRE(hc);
    CHECK(hc->argv == std::vector<std::string>{"/bin/sh", "-c", "exit 1"});
    CHECK(hc->retries == 5);
    auto shell = health_config({{"Config",
                                 {{"Shell", {"/bin/bash", "-ec"}},
                                  {"Healthcheck", {{"Test", {"CMD-SHELL", "true"}}, {"Interval", 2000000}}}}}});
    REQUIRE(shell);
    CHECK(shell->argv == std::vector<std::string>{"/bin/bash", "-ec", "true"});
    CHECK(shell->interval == std::chrono::milliseconds(2));
  }
  SECTION("none, NONE, empty and malformed tests run nothing") {
    CHECK_FALSE(health_config({{"Config", Json::object()}}));
    CHECK_FALSE(health_config({{"Config", {{"Healthcheck", {{"Test", {"NONE"}}}}}}}));
    CHECK_FALSE(health_config({{"Config", {{"Healthcheck", {{"Test", Json::array()}}}}}}));
    CHECK_FALSE(health_config({{"Config", {{"Healthcheck", {{"Test", {"CMD"}}}}}}}));
    CHECK_FALSE(health_config({{"Config", {{"Healthcheck", {{"Test", {"CMD-SHELL"}}}}}}}));
    CHECK_FALSE(health_config({{"Config", {{"Healthcheck", "curl"}}}}));
    CHECK_FALSE(health_config({{"Config", {{"Healthcheck", {{"Test", {"SOMETHING", "x"}}}}}}}));
  }
}
