// registries.conf: parsing, prefix matching, mirrors and short names.
#include <catch2/catch.hpp>

#include "registry/registries_conf.h"

using namespace skiff;

namespace {

RegistriesConf parse(const std::string& text) {
  RegistriesConf conf;
  Status parsed = parse_registries_conf(text, "test.conf", conf);
  INFO((parsed.ok() ? std::string() : parsed.error().text()));
  REQUIRE(parsed.ok());
  return conf;
}

ImageReference reference(const std::string& text) { return ImageReference::parse_docker_ref(text).value(); }

std::string describe(const std::vector<PullSource>& sources) {
  std::string out;
  for (const auto& s : sources) out += s.domain + "/" + s.path + (s.insecure ? "(insecure)" : "") + " ";
  return out;
}

}  // namespace

TEST_CASE("registries.conf: search registries, entries, mirrors", "[registries-conf]") {
  RegistriesConf conf = parse(R"(
unqualified-search-registries = ["quay.io", "docker.io"]

[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "mirror.example.com/hub"
[[registry.mirror]]
location = "digests.example.com"
pull-from-mirror = "digest-only"
insecure = true

[[registry]]
location = "plain.example.com:5000"
insecure = true

[[registry]]
prefix = "example.com/foo"
location = "internal.example.com/bar"

[[registry]]
prefix = "*.blocked.example"
blocked = true
)");
  CHECK(conf.unqualified_search == std::vector<std::string>{"quay.io", "docker.io"});
  REQUIRE(conf.registries.size() == 4);

  // Mirrors first (a digest-only one only for digests), then the registry.
  CHECK(describe(pull_sources(conf, reference("busybox")).value()) ==
        "mirror.example.com/hub/library/busybox docker.io/library/busybox ");
  CHECK(describe(pull_sources(conf, reference("busybox@sha256:" + std::string(64, 'a'))).value()) ==
        "mirror.example.com/hub/library/busybox digests.example.com/library/busybox(insecure) "
        "docker.io/library/busybox ");
  // A location rewrites the prefix; what follows it carries over.
  CHECK(describe(pull_sources(conf, reference("example.com/foo/app:1")).value()) == "internal.example.com/bar/app ");
  CHECK(describe(pull_sources(conf, reference("example.com/foobar/app")).value()) == "example.com/foobar/app ");
  CHECK(describe(pull_sources(conf, reference("plain.example.com:5000/a/b")).value()) ==
        "plain.example.com:5000/a/b(insecure) ");
  // Not named: fetched from where the reference says.
  CHECK(describe(pull_sources(conf, reference("ghcr.io/x/y")).value()) == "ghcr.io/x/y ");
  auto blocked = pull_sources(conf, reference("r.blocked.example/x"));
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.error().text().find("blocked") != std::string::npos);
}

TEST_CASE("registries.conf: a later file overrides, version 1 and bad values are errors", "[registries-conf]") {
  RegistriesConf conf = parse(R"(unqualified-search-registries = ["a.example"]
[[registry]]
prefix = "x.example"
insecure = true
)");
  REQUIRE(parse_registries_conf(R"(unqualified-search-registries = ["b.example"]
[[registry]]
prefix = "x.example"
blocked = true
)",
                                "drop-in.conf", conf)
              .ok());
  CHECK(conf.unqualified_search == std::vector<std::string>{"b.example"});
  REQUIRE(conf.registries.size() == 1);
  CHECK(conf.registries[0].blocked);
  CHECK_FALSE(conf.registries[0].insecure);

  RegistriesConf other;
  auto v1 = parse_registries_conf("[registries.search]\nregistries = ['docker.io']\n", "old.conf", other);
  REQUIRE_FALSE(v1.ok());
  CHECK(v1.error().text().find("version 1") != std::string::npos);
  auto bad_toml = parse_registries_conf("unqualified-search-registries = [\n", "broken.conf", other);
  REQUIRE_FALSE(bad_toml.ok());
  CHECK(bad_toml.error().text().starts_with("broken.conf:"));
  auto bad_value = parse_registries_conf("[[registry]]\nprefix = \"a\"\ninsecure = \"yes\"\n", "v.conf", other);
  REQUIRE_FALSE(bad_value.ok());
  CHECK(bad_value.error().text().find("`insecure` must be true or false") != std::string::npos);
}

TEST_CASE("short names: which are short, and what they may mean", "[registries-conf]") {
  CHECK(is_short_name("busybox"));
  CHECK(is_short_name("user/app:1"));
  CHECK_FALSE(is_short_name("docker.io/library/busybox"));
  CHECK_FALSE(is_short_name("localhost/app"));
  CHECK_FALSE(is_short_name("127.0.0.1:5000/app"));

  RegistriesConf none;
  auto only_hub = short_name_candidates(none, reference("busybox"));
  REQUIRE(only_hub.size() == 1);
  CHECK(only_hub[0].string() == "docker.io/library/busybox:latest");

  RegistriesConf conf = parse(R"(unqualified-search-registries = ["quay.io", "docker.io"])");
  auto both = short_name_candidates(conf, reference("busybox:1"));
  REQUIRE(both.size() == 2);
  CHECK(both[0].string() == "quay.io/busybox:1");
  CHECK(both[1].string() == "docker.io/library/busybox:1");
  CHECK(short_name_candidates(conf, reference("user/app"))[0].string() == "quay.io/user/app:latest");
}
