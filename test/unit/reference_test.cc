// Image references: docker's grammar, normalisation, familiar forms and error
// messages (distribution/reference v0.6 and go-digest v1.0.0 behaviour).
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "image/reference.h"

using namespace skiff;
using namespace std::string_literals;

namespace {

const std::string kHex64 = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
const std::string kSha256 = "sha256:" + kHex64;
const std::string kSha384 = "sha384:" + std::string(96, 'e');
const std::string kSha512 = "sha512:" + std::string(128, 'f');

struct Valid {
  std::string input;
  std::string full;      // string()
  std::string familiar;  // familiar_string()
};

struct Invalid {
  std::string input;
  std::string message;
};

// Runs the parser, reporting the error text instead of failing on it.
std::string parse_error(std::string_view text) {
  Result<ImageReference> ref = ImageReference::parse(text);
  if (ref) return "parsed as " + ref->string();
  return ref.error().message();
}

const std::vector<Valid>& valid_references() {
  static const std::vector<Valid> table = {
      // Docker Hub official images: "library/" added, no tag added.
      {"ubuntu", "docker.io/library/ubuntu", "ubuntu"},
      {"ubuntu:14.04", "docker.io/library/ubuntu:14.04", "ubuntu:14.04"},
      {"library/ubuntu", "docker.io/library/ubuntu", "ubuntu"},
      {"docker.io/ubuntu", "docker.io/library/ubuntu", "ubuntu"},
      {"docker.io/library/ubuntu:latest", "docker.io/library/ubuntu:latest", "ubuntu:latest"},
      {"index.docker.io/ubuntu", "docker.io/library/ubuntu", "ubuntu"},
      {"index.docker.io/library/debian", "docker.io/library/debian", "debian"},
      {"ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "ubuntu-12.04-base"},
      // Docker Hub user images and nested paths.
      {"user/repo", "docker.io/user/repo", "user/repo"},
      {"index.docker.io/fooo/bar", "docker.io/fooo/bar", "fooo/bar"},
      {"other/library", "docker.io/other/library", "other/library"},
      {"library/foo/bar", "docker.io/library/foo/bar", "library/foo/bar"},
      {"store/foo/bar", "docker.io/store/foo/bar", "store/foo/bar"},
      {"test_com/foo", "docker.io/test_com/foo", "test_com/foo"},
      // Path component separators: '.', '_', '__', any run of '-'.
      {"docker-rules/docker", "docker.io/docker-rules/docker", "docker-rules/docker"},
      {"docker---rules/docker", "docker.io/docker---rules/docker", "docker---rules/docker"},
      {"dock__er/docker", "docker.io/dock__er/docker", "dock__er/docker"},
      {"d/docker", "docker.io/d/docker", "d/docker"},
      {"jess/t", "docker.io/jess/t", "jess/t"},
      {"a.b_c__d-e--f", "docker.io/library/a.b_c__d-e--f", "a.b_c__d-e--f"},
      // Other registries keep their domain, and get no "library/".
      {"quay.io/a/b", "quay.io/a/b", "quay.io/a/b"},
      {"quay.io/a/b:v1", "quay.io/a/b:v1", "quay.io/a/b:v1"},
      {"example.com/privatebase", "example.com/privatebase", "example.com/privatebase"},
      {"example.com:8000/private/moonbase", "example.com:8000/private/moonbase",
       "example.com:8000/private/moonbase"},
      {"127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker"},
      {"192.168.0.1:8/debian", "192.168.0.1:8/debian", "192.168.0.1:8/debian"},
      {"192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050"},
      {"test:5000/repo", "test:5000/repo", "test:5000/repo"},
      {"test-com:8080/foo", "test-com:8080/foo", "test-com:8080/foo"},
      {"xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo"},
      {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
       "sub-dom1.foo.com/bar/baz/quux:some-long-tag"},
      {"b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app:test.example.com",
       "b.gcr.io/test.example.com/my-app:test.example.com"},
      // localhost is a domain when a path follows it, with or without a port.
      {"localhost/foo", "localhost/foo", "localhost/foo"},
      {"localhost:5000/foo/bar:tag", "localhost:5000/foo/bar:tag", "localhost:5000/foo/bar:tag"},
      // A single component is always a Docker Hub name: these are name:tag.
      {"localhost", "docker.io/library/localhost", "localhost"},
      {"localhost:5000", "docker.io/library/localhost:5000", "localhost:5000"},
      {"192.168.0.1", "docker.io/library/192.168.0.1", "192.168.0.1"},
      {"192.168.0.1:80", "docker.io/library/192.168.0.1:80", "192.168.0.1:80"},
      {"test.com:5000", "docker.io/library/test.com:5000", "test.com:5000"},
      // IPv6 registries in brackets.
      {"[fc00::1]:5000/docker", "[fc00::1]:5000/docker", "[fc00::1]:5000/docker"},
      {"[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
       "[fc00:1:2:3:4:5:6:7]:5000/library/debian"},
      {"[2001:db8::1]/repo:tag", "[2001:db8::1]/repo:tag", "[2001:db8::1]/repo:tag"},
      {"[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo"},
      {"[::1]:5000/repo", "[::1]:5000/repo", "[::1]:5000/repo"},
      {"[::1]:5000/repo@" + kSha256, "[::1]:5000/repo@" + kSha256, "[::1]:5000/repo@" + kSha256},
      // A first component that is not all lowercase is taken as a domain.
      {"Docker/docker", "Docker/docker", "Docker/docker"},
      {"FOO/bar", "FOO/bar", "FOO/bar"},
      {"Foo/bar:Tag", "Foo/bar:Tag", "Foo/bar:Tag"},
      // Tags: uppercase allowed, up to 128 characters.
      {"lowercase:Uppercase", "docker.io/library/lowercase:Uppercase", "lowercase:Uppercase"},
      {"repo:_under.score-9", "docker.io/library/repo:_under.score-9", "repo:_under.score-9"},
      {"repo:" + std::string(128, 't'), "docker.io/library/repo:" + std::string(128, 't'),
       "repo:" + std::string(128, 't')},
      // Digests, with and without a tag; other well-formed algorithms.
      {"redis@" + kSha256, "docker.io/library/redis@" + kSha256, "redis@" + kSha256},
      {"busybox:latest@" + kSha256, "docker.io/library/busybox:latest@" + kSha256, "busybox:latest@" + kSha256},
      {"dmcgowan/myapp@" + kSha256, "docker.io/dmcgowan/myapp@" + kSha256, "dmcgowan/myapp@" + kSha256},
      {"test:5000/repo:tag@" + kSha256, "test:5000/repo:tag@" + kSha256, "test:5000/repo:tag@" + kSha256},
      {"xn--7o8h.com/myimage:xn--7o8h.com@" + kSha512, "xn--7o8h.com/myimage:xn--7o8h.com@" + kSha512,
       "xn--7o8h.com/myimage:xn--7o8h.com@" + kSha512},
      {"repo@" + kSha384, "docker.io/library/repo@" + kSha384, "repo@" + kSha384},
      // Hex names: 64 hex digits is an ID, but not with a domain or one digit short.
      {"docker.io/" + kHex64, "docker.io/library/" + kHex64, kHex64},
      {kHex64.substr(1), "docker.io/library/" + kHex64.substr(1), kHex64.substr(1)},
      {"dbcc1", "docker.io/library/dbcc1", "dbcc1"},
      {"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
       "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
       "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev"},
      // Repository paths up to 255 characters; the domain does not count.
      {"example.com/" + std::string(255, 'a') + ":tag", "example.com/" + std::string(255, 'a') + ":tag",
       "example.com/" + std::string(255, 'a') + ":tag"},
      {std::string(247, 'a'), "docker.io/library/" + std::string(247, 'a'), std::string(247, 'a')},
  };
  return table;
}

const std::vector<Invalid>& invalid_references() {
  static const std::string kLowercase = "invalid reference format: repository name ";
  static const std::vector<Invalid> table = {
      // Empty and structurally broken input.
      {"", "invalid reference format"},
      {":justtag", "invalid reference format"},
      {"@" + kSha256, "invalid reference format"},
      {"repo:", "invalid reference format"},
      {"repo@", "invalid reference format"},
      {"repo:a:b", "invalid reference format"},
      {"repo@" + kSha256 + "@" + kSha256, "invalid reference format"},
      {"https://github.com/docker/docker", "invalid reference format"},
      {"aa/asdf$$^/aa", "invalid reference format"},
      {"a b", "invalid reference format"},
      {"repo\0x"s, "invalid reference format"},
      {"über", "invalid reference format"},
      {"αθηνα/repo", "invalid reference format"},
      {"ΑΘΗΝΑ/repo", "invalid reference format"},  // uppercase first component: a (bad) domain
      {"日本", "invalid reference format"},
      // Path components.
      {"-docker", "invalid reference format"},
      {"-docker/docker", "invalid reference format"},
      {"docker-/docker", "invalid reference format"},
      {"-docker-/docker", "invalid reference format"},
      {"docker///docker", "invalid reference format"},
      {"docker.io/docker///docker", "invalid reference format"},
      {"docker/", "invalid reference format"},
      {"/docker", "invalid reference format"},
      {"____/____", "invalid reference format"},
      {"_docker/_docker", "invalid reference format"},
      {"dock..er/docker", "invalid reference format"},
      {"dock_.er/docker", "invalid reference format"},
      {"dock-.er/docker", "invalid reference format"},
      {"dock___er/docker", "invalid reference format"},
      // Domains and ports.
      {"-docker.io/docker/docker", "invalid reference format"},
      {"docker-.io/docker", "invalid reference format"},
      {"docker..io/docker", "invalid reference format"},
      {"localhost:/foo", "invalid reference format"},
      {"localhost:port/foo", "invalid reference format"},
      {"foo_bar.com:8080/foo", "invalid reference format"},
      // IPv6: brackets required, no zones, no embedded IPv4, a path required.
      {"[fc00::1]", "invalid reference format"},
      {"[fc00::1]:5000", "invalid reference format"},
      {"[2001:db8::1]:tag", "invalid reference format"},
      {"fc00::1:5000/debian", "invalid reference format"},
      {"[fe80::1%eth0]:5000/debian", "invalid reference format"},
      {"[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid reference format"},
      {"[]/repo", "invalid reference format"},
      {"[::1/repo", "invalid reference format"},
      // Tags.
      {"repo:.tag", "invalid reference format"},
      {"repo:-tag", "invalid reference format"},
      {"repo:ta+g", "invalid reference format"},
      {"repo:" + std::string(129, 't'), "invalid reference format"},
      // Digests: grammar first, then go-digest's checks.
      {"repo@sha256:" + std::string(31, 'f'), "invalid reference format"},
      {"repo@sha256", "invalid reference format"},
      {"repo@1sha:" + std::string(32, 'f'), "invalid reference format"},
      {"repo@sha256:" + std::string(34, 'f'), "invalid checksum digest length"},
      {"repo@sha256:" + std::string(65, 'f'), "invalid checksum digest length"},
      {"repo@sha512:" + std::string(64, 'f'), "invalid checksum digest length"},
      {"repo@sha256:" + std::string(64, 'F'), "invalid checksum digest format"},
      {"validname@invaliddigest:" + std::string(64, 'f'), "unsupported digest algorithm"},
      {"repo:tag@MD5:" + std::string(32, 'f'), "invalid checksum digest format"},
      // Uppercase in the repository path, reported with the normalised path.
      {"Ubuntu", kLowercase + "(library/Ubuntu) must be lowercase"},
      {"Uppercase:tag", kLowercase + "(library/Uppercase) must be lowercase"},
      {"docker/Docker", kLowercase + "(docker/Docker) must be lowercase"},
      {"docker.io/docker/Docker", kLowercase + "(docker/Docker) must be lowercase"},
      {"test:5000/Uppercase/lowercase:tag", kLowercase + "(Uppercase/lowercase) must be lowercase"},
      {"localhost/Foo", kLowercase + "(Foo) must be lowercase"},
      {"quay.io/a/B@" + kSha256, kLowercase + "(a/B@sha256) must be lowercase"},
      {"ÜBUNTU", kLowercase + "(library/ÜBUNTU) must be lowercase"},
      {"x/ΑΘΗΝΑ", kLowercase + "(x/ΑΘΗΝΑ) must be lowercase"},
      {"bad\xFFutf8", kLowercase + "(library/bad\xFFutf8) must be lowercase"},
      // Uppercase found elsewhere: the whole reference would parse lowercased.
      {"Ex_ample.com/x", "repository name must be lowercase"},
      {"repo:\xE2\x84\xAA", "repository name must be lowercase"},  // KELVIN SIGN
      // A full image ID is not a name.
      {kHex64, "invalid repository name (" + kHex64 + "), cannot specify 64-byte hexadecimal strings"},
      // Repository path length, counting "library/" but not the domain.
      {"example.com/" + std::string(256, 'a'), "repository name must not be more than 255 characters"},
      {std::string(248, 'a'), "repository name must not be more than 255 characters"},
      {"this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_"
       "because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_"
       "than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
       "repository name must not be more than 255 characters"},
  };
  return table;
}

}  // namespace

TEST_CASE("valid references normalise to docker's full and familiar forms", "[reference]") {
  for (const Valid& row : valid_references()) {
    INFO("input: " << row.input);
    Result<ImageReference> ref = ImageReference::parse(row.input);
    REQUIRE(ref.ok());
    CHECK(ref->string() == row.full);
    CHECK(ref->familiar_string() == row.familiar);
  }
}

TEST_CASE("invalid references fail with docker's messages", "[reference]") {
  for (const Invalid& row : invalid_references()) {
    INFO("input: " << row.input);
    CHECK(parse_error(row.input) == row.message);
  }
}

TEST_CASE("the canonical form parses back to the same reference", "[reference]") {
  for (const Valid& row : valid_references()) {
    INFO("input: " << row.input);
    ImageReference ref = ImageReference::parse(row.input).value();
    Result<ImageReference> again = ImageReference::parse(ref.string());
    REQUIRE(again.ok());
    CHECK(*again == ref);
  }
}

TEST_CASE("the familiar form parses back to the same reference", "[reference]") {
  for (const Valid& row : valid_references()) {
    // "docker.io/<64 hex>" shortens to a bare image ID, which docker refuses as a name.
    if (row.familiar == kHex64) continue;
    INFO("input: " << row.input);
    ImageReference ref = ImageReference::parse(row.input).value();
    Result<ImageReference> again = ImageReference::parse(ref.familiar_string());
    REQUIRE(again.ok());
    CHECK(*again == ref);
  }
}

TEST_CASE("references split into domain, path, tag and digest", "[reference]") {
  struct Row {
    std::string input;
    ImageReference expected;
  };
  const std::vector<Row> rows = {
      {"ubuntu", {"docker.io", "library/ubuntu", "", ""}},
      {"test.com/foo", {"test.com", "foo", "", ""}},
      {"docker/migrator", {"docker.io", "docker/migrator", "", ""}},
      {"test.com:8080/foo", {"test.com:8080", "foo", "", ""}},
      {"xn--n3h.com/foo", {"xn--n3h.com", "foo", "", ""}},
      {"docker.io/library/foo/bar", {"docker.io", "library/foo/bar", "", ""}},
      {"localhost:5000/a/b:tag@" + kSha256, {"localhost:5000", "a/b", "tag", kSha256}},
      {"[::1]:5000/repo:5050", {"[::1]:5000", "repo", "5050", ""}},
      {"FOO/bar", {"FOO", "bar", "", ""}},
  };
  for (const Row& row : rows) {
    INFO("input: " << row.input);
    Result<ImageReference> ref = ImageReference::parse(row.input);
    REQUIRE(ref.ok());
    CHECK(*ref == row.expected);
  }
}

TEST_CASE("name() is the domain and path without tag or digest", "[reference]") {
  ImageReference ref = ImageReference::parse("busybox:1@" + kSha256).value();
  CHECK(ref.name() == "docker.io/library/busybox");
  CHECK(ref.familiar_name() == "busybox");
  CHECK(ImageReference::parse("quay.io/a/b:c").value().familiar_name() == "quay.io/a/b");
  CHECK(ImageReference::parse("user/repo:c").value().familiar_name() == "user/repo");
}

TEST_CASE("a dotted first component that is no valid domain becomes part of the path", "[reference]") {
  // As docker: "a_b.com" looks like a domain to the normaliser, fails the domain
  // grammar, but is a valid path component, so the reference has no domain.
  ImageReference ref = ImageReference::parse("a_b.com/x:1").value();
  CHECK(ref.domain.empty());
  CHECK(ref.path == "a_b.com/x");
  CHECK(ref.string() == "a_b.com/x:1");
  CHECK(ref.familiar_string() == "a_b.com/x:1");
}

TEST_CASE("parse_with_default_tag adds latest only when there is no tag or digest", "[reference]") {
  CHECK(ImageReference::parse_with_default_tag("ubuntu").value().string() == "docker.io/library/ubuntu:latest");
  CHECK(ImageReference::parse_with_default_tag("ubuntu:20.04").value().string() ==
        "docker.io/library/ubuntu:20.04");
  CHECK(ImageReference::parse_with_default_tag("ubuntu@" + kSha256).value().string() ==
        "docker.io/library/ubuntu@" + kSha256);
  CHECK(ImageReference::parse_with_default_tag("ubuntu:1@" + kSha256).value().string() ==
        "docker.io/library/ubuntu:1@" + kSha256);
  CHECK(ImageReference::parse_with_default_tag("localhost:5000/x").value().familiar_string() ==
        "localhost:5000/x:latest");
  CHECK(ImageReference::parse_with_default_tag("Ubuntu").error().message() ==
        "invalid reference format: repository name (library/Ubuntu) must be lowercase");
}

TEST_CASE("parse_docker_ref keeps only the digest when there are both", "[reference]") {
  CHECK(ImageReference::parse_docker_ref("busybox:latest@" + kSha256).value().string() ==
        "docker.io/library/busybox@" + kSha256);
  CHECK(ImageReference::parse_docker_ref("busybox").value().string() == "docker.io/library/busybox:latest");
  CHECK(ImageReference::parse_docker_ref("busybox:1").value().string() == "docker.io/library/busybox:1");
  CHECK(ImageReference::parse_docker_ref("busybox@" + kSha256).value().string() ==
        "docker.io/library/busybox@" + kSha256);
}

TEST_CASE("with_tag checks the tag grammar and keeps the digest", "[reference]") {
  ImageReference ref = ImageReference::parse("busybox@" + kSha256).value();
  CHECK(ref.with_tag("TAG5").value().string() == "docker.io/library/busybox:TAG5@" + kSha256);
  for (std::string_view bad : {"", "-foo", ".foo", "a/b", "a:b", "a@b"}) {
    INFO("tag: " << bad);
    CHECK(ref.with_tag(bad).error().message() == "invalid tag format");
  }
  CHECK(ref.with_tag(std::string(129, 'x')).error().message() == "invalid tag format");
}

TEST_CASE("with_digest checks the digest and keeps the tag", "[reference]") {
  ImageReference ref = ImageReference::parse("busybox:1").value();
  CHECK(ref.with_digest(kSha256).value().string() == "docker.io/library/busybox:1@" + kSha256);
  CHECK(ref.with_digest(kSha512).value().digest == kSha512);
  for (const std::string& bad : {""s, "foo"s, "sha256:"s, "sha256:abc"s, ":" + std::string(64, 'a')}) {
    INFO("digest: " << bad);
    CHECK(ref.with_digest(bad).error().message() == "invalid digest format");
  }
  CHECK(ref.with_digest("sha256:" + std::string(40, 'a')).error().message() == "invalid checksum digest length");
  CHECK(ref.with_digest("md5:" + std::string(32, 'a')).error().message() == "unsupported digest algorithm");
}

TEST_CASE("looks_like_image_id accepts lowercase hex IDs and prefixes", "[reference]") {
  CHECK(looks_like_image_id(kHex64));
  CHECK(looks_like_image_id(kSha256));
  CHECK(looks_like_image_id("d"));
  CHECK(looks_like_image_id("sha256:dbcc1c"));
  CHECK(looks_like_image_id("0123456789abcdef"));
  CHECK_FALSE(looks_like_image_id(""));
  CHECK_FALSE(looks_like_image_id("sha256:"));
  CHECK_FALSE(looks_like_image_id(kHex64 + "0"));
  CHECK_FALSE(looks_like_image_id("DBCC1C"));
  CHECK_FALSE(looks_like_image_id("dbcc1g"));
  CHECK_FALSE(looks_like_image_id("ubuntu"));
  CHECK_FALSE(looks_like_image_id("sha512:dbcc1c"));
  CHECK_FALSE(looks_like_image_id("sha256:sha256:dbcc1c"));
}

TEST_CASE("huge and hostile input gets an error, not a crash", "[reference]") {
  const size_t kTenMegabytes = 10 * 1024 * 1024;
  CHECK(parse_error(std::string(kTenMegabytes, 'a')) == "repository name must not be more than 255 characters");
  CHECK(parse_error("repo:" + std::string(kTenMegabytes, 't')) == "invalid reference format");
  CHECK(parse_error("repo@sha256:" + std::string(kTenMegabytes, 'f')) == "invalid checksum digest length");
  CHECK(parse_error(std::string(kTenMegabytes, '/')) == "invalid reference format");
  CHECK(parse_error(std::string(kTenMegabytes, '-')) == "invalid reference format");
  CHECK(parse_error(std::string(kTenMegabytes, '\0')) == "invalid reference format");
  std::string slashes;
  while (slashes.size() < kTenMegabytes) slashes += "a/";
  CHECK(parse_error(slashes + "a") == "repository name must not be more than 255 characters");
  std::string upper(kTenMegabytes, 'A');
  CHECK(parse_error(upper).starts_with("invalid reference format: repository name (library/AAAA"));
  std::string accented;
  while (accented.size() < kTenMegabytes) accented += "\xC3\x89";  // É
  CHECK(parse_error(accented).starts_with("invalid reference format: repository name (library/\xC3\x89"));

  // Pseudo-random bytes, including NUL and every separator, never abort.
  uint32_t state = 12345;
  const std::string alphabet = "aZ09._-/:@[]%\0\xC3\xE2\xFF"s;
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    size_t length = state % 40;
    for (size_t i = 0; i < length; ++i) {
      state = state * 1664525 + 1013904223;
      text += alphabet[(state >> 16) % alphabet.size()];
    }
    state = state * 1664525 + 1013904223;
    Result<ImageReference> ref = ImageReference::parse(text);
    if (ref) CHECK(ImageReference::parse(ref->string()).value() == *ref);
  }
}
