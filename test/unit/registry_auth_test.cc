// Registry credentials (auth files, base64, where credentials may go) and
// search's parsers.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "base/base64.h"
#include "base/json.h"
#include "registry/auth_store.h"
#include "registry/certs_d.h"
#include "registry/login.h"
#include "registry/registry_client.h"
#include "registry/search.h"
#include "test_support.h"

using namespace skiff;

namespace {

// Sets (or unsets, for nullptr) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Every variable the auth files depend on, pointed into `dir`.
struct AuthEnv {
  explicit AuthEnv(const test::TempDir& dir)
      : home("HOME", (dir / "home").c_str()),
        runtime("XDG_RUNTIME_DIR", (dir / "run").c_str()),
        config("XDG_CONFIG_HOME", nullptr),
        docker("DOCKER_CONFIG", nullptr),
        auth_file("REGISTRY_AUTH_FILE", nullptr) {}
  ScopedEnv home, runtime, config, docker, auth_file;
};

std::string auth_of(const std::string& user_password) { return base64_encode(user_password); }

void write(const std::string& path, const std::string& text) {
  REQUIRE_OK(make_directories(parent_path(path)));
  REQUIRE_OK(write_file_atomically(path, text));
}

}  // namespace

TEST_CASE("base64 round trips and refuses what is not base64", "[auth]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("user:pa:ss\xff") == "dXNlcjpwYTpzc/8=");
  CHECK(base64_decode("dXNlcjpwYTpzc/8=").value() == "user:pa:ss\xff");
  CHECK(base64_decode("Zm8").value() == "fo");
  CHECK_FALSE(base64_decode("Zm9v\n").has_value());
  CHECK_FALSE(base64_decode("Z").has_value());
  CHECK_FALSE(base64_decode("Zm-v").has_value());
}

TEST_CASE("auth keys normalise like docker's and podman's", "[auth]") {
  CHECK(normalize_auth_key("https://index.docker.io/v1/") == "docker.io");
  CHECK(normalize_auth_key("index.docker.io") == "docker.io");
  CHECK(normalize_auth_key("registry-1.docker.io") == "docker.io");
  CHECK(normalize_auth_key("http://localhost:5000/v2/") == "localhost:5000");
  CHECK(normalize_auth_key("quay.io/team/") == "quay.io/team");
  CHECK(normalize_auth_key(" quay.io ") == "quay.io");
  CHECK(normalize_auth_key("https://") == "");
  CHECK(login_target("").value().key == "docker.io");
  CHECK(login_target("quay.io/team").value().domain == "quay.io");
  CHECK_FALSE(login_target("a b").ok());
}

TEST_CASE("credential files are read in podman's order, then docker's", "[auth]") {
  test::TempDir dir;
  AuthEnv env(dir);
  std::string podman = dir / "run/containers/auth.json";
  std::string config = dir / "home/.config/containers/auth.json";
  std::string docker = dir / "home/.docker/config.json";
  CHECK(credential_files() == std::vector<std::string>{podman, config, docker});
  CHECK(default_auth_file() == podman);

  CHECK_FALSE(find_credentials("localhost:5000").value().has_value());
  write(docker, R"({"auths":{"https://index.docker.io/v1/":{"auth":")" + auth_of("dock:er") +
                    R"("},"localhost:5000":{"auth":")" + auth_of("old:one") + R"("}}})");
  auto hub = find_credentials("docker.io", "library/busybox").value();
  REQUIRE(hub.has_value());
  CHECK(hub->credentials.username == "dock");
  CHECK(hub->credentials.password == "er");
  CHECK(hub->file == docker);

  write(podman, R"({"auths":{"localhost:5000":{"auth":")" + auth_of("new:pass:with:colons") + R"("}}})");
  auto local = find_credentials("localhost:5000").value();
  REQUIRE(local.has_value());
  CHECK(local->credentials.username == "new");
  CHECK(local->credentials.password == "pass:with:colons");
  CHECK(local->file == podman);

  SECTION("a repository key wins over the registry's") {
    write(config, R"({"auths":{"quay.io":{"auth":")" + auth_of("a:1") + R"("},"quay.io/team":{"auth":")" +
                      auth_of("b:2") + R"("}}})");
    CHECK(find_credentials("quay.io", "team/app").value()->credentials.username == "b");
    CHECK(find_credentials("quay.io", "other/app").value()->credentials.username == "a");
  }
  SECTION("REGISTRY_AUTH_FILE comes first, and only_file reads one file") {
    std::string mine = dir / "mine.json";
    write(mine, R"({"auths":{"localhost:5000":{"auth":")" + auth_of("env:x") + R"("}}})");
    ScopedEnv override_file("REGISTRY_AUTH_FILE", mine.c_str());
    CHECK(find_credentials("localhost:5000").value()->credentials.username == "env");
    CHECK(default_auth_file() == mine);
    CHECK(find_credentials("localhost:5000", "", docker).value()->credentials.username == "old");
  }
  SECTION("malformed files and entries are errors") {
    write(podman, "{not json");
    CHECK_FALSE(find_credentials("localhost:5000").ok());
    write(podman, R"({"auths":{"localhost:5000":{"auth":"bm9jb2xvbg=="}}})");  // "nocolon"
    auto bad = find_credentials("localhost:5000");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().text().find("not base64 of \"user:password\"") != std::string::npos);
  }
  SECTION("a credential helper's entry holds no credentials") {
    write(podman, R"({"auths":{"ghcr.io":{}},"credsStore":"desktop"})");
    CHECK_FALSE(find_credentials("ghcr.io").value().has_value());
  }
}

TEST_CASE("storing credentials keeps other entries and keys, mode 0600 in a 0700 folder", "[auth]") {
  test::TempDir dir;
  AuthEnv env(dir);
  std::string file = dir / "run/containers/auth.json";
  REQUIRE_OK(store_credentials(file, "localhost:5000", {"me", "secret"}));
  struct stat st;
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  REQUIRE(::stat((dir / "run/containers").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);

  write(file, R"({"auths":{"http://localhost:5000/":{"auth":"eDp5"},"quay.io":{"auth":"cTpx","email":"k"}},)"
              R"("credHelpers":{"gcr.io":"gcloud"}})");
  REQUIRE_OK(store_credentials(file, "localhost:5000", {"me", "secret"}));
  REQUIRE_OK(store_credentials(file, "quay.io", {"q", "new"}));
  Json doc = read_json_file(file).value();
  CHECK(doc["auths"].size() == 2);
  CHECK(doc["auths"]["localhost:5000"]["auth"] == base64_encode("me:secret"));
  CHECK(doc["auths"]["quay.io"]["auth"] == base64_encode("q:new"));
  CHECK(doc["auths"]["quay.io"]["email"] == "k");
  CHECK(doc["credHelpers"]["gcr.io"] == "gcloud");

  CHECK(remove_credentials(file, "localhost:5000").value());
  CHECK_FALSE(remove_credentials(file, "localhost:5000").value());
  doc = read_json_file(file).value();
  CHECK(doc["auths"].size() == 1);
  CHECK(doc.contains("credHelpers"));
  REQUIRE_OK(remove_all_credentials(file));
  doc = read_json_file(file).value();
  CHECK(doc["auths"].empty());
  CHECK(doc.contains("credHelpers"));
  CHECK_FALSE(remove_credentials(dir / "missing.json", "quay.io").value());
}

TEST_CASE("without XDG_RUNTIME_DIR, podman's config-home file is written", "[auth]") {
  test::TempDir dir;
  AuthEnv env(dir);
  ScopedEnv no_runtime("XDG_RUNTIME_DIR", nullptr);
  CHECK(default_auth_file() == dir / "home/.config/containers/auth.json");
  ScopedEnv config("XDG_CONFIG_HOME", (dir / "cfg").c_str());
  CHECK(default_auth_file() == dir / "cfg/containers/auth.json");
  CHECK(certs_d_folders("localhost:5000").front() == dir / "cfg/containers/certs.d/localhost:5000");
  CHECK(certs_d_folders("../x").empty());
}

TEST_CASE("certs.d folders give their .crt files, in name order", "[auth]") {
  test::TempDir dir;
  AuthEnv env(dir);
  std::string folder = dir / "home/.config/containers/certs.d/127.0.0.1:5000";
  write(folder + "/b.crt", "B\n");
  write(folder + "/a.crt", "A");
  write(folder + "/client.key", "KEY");
  CHECK(registry_ca_certificates("127.0.0.1:5000") == "A\nB\n");
  CHECK(registry_ca_certificates("127.0.0.1:5001") == "");
}

TEST_CASE("credentials travel over HTTPS, or plain HTTP to loopback only", "[auth]") {
  CHECK(may_carry_credentials("https://quay.io/v2/"));
  CHECK(may_carry_credentials("http://localhost:5000/v2/"));
  CHECK(may_carry_credentials("http://127.0.0.1:5000/token?scope=x"));
  CHECK(may_carry_credentials("http://[::1]:5000/v2/"));
  CHECK_FALSE(may_carry_credentials("http://quay.io/v2/"));
  CHECK_FALSE(may_carry_credentials("http://10.0.0.1:5000/v2/"));
  CHECK_FALSE(may_carry_credentials("http://127.0.0.1.evil.com/v2/"));
  CHECK_FALSE(may_carry_credentials("http://localhost.evil.com/"));
  CHECK_FALSE(may_carry_credentials("http://localhost@evil.com/"));
  CHECK_FALSE(may_carry_credentials("ftp://localhost/"));
  CHECK(challenge_scheme(R"(Basic realm="Registry")") == "basic");
  CHECK(challenge_scheme(R"(Bearer realm="x")") == "bearer");
  CHECK(challenge_scheme("") == "");
}

TEST_CASE("search terms name Docker Hub or a registry", "[search]") {
  auto t = split_search_term("busybox");
  CHECK(t.domain == "docker.io");
  CHECK(t.term == "busybox");
  CHECK(split_search_term("library/busybox").term == "busybox");
  CHECK(split_search_term("docker.io/library/busybox").term == "busybox");
  CHECK(split_search_term("index.docker.io/user/app").domain == "docker.io");
  CHECK(split_search_term("user/app").domain == "docker.io");
  t = split_search_term("localhost:5000/app");
  CHECK(t.domain == "localhost:5000");
  CHECK(t.term == "app");
  CHECK(split_search_term("quay.io/").term == "");
}

TEST_CASE("Docker Hub's search answer", "[search]") {
  // The shape index.docker.io/v1/search returns.
  auto results = parse_hub_search(R"({"num_pages":1,"num_results":2,"page_size":25,"query":"busybox","page":1,
    "results":[{"name":"busybox","description":"Busybox base image.","star_count":3000,"is_official":true,
                "is_automated":false},
               {"name":"someone/busybox-tools","description":null,"star_count":3,"is_official":false,
                "is_automated":true},
               {"description":"no name: skipped"}]})");
  REQUIRE_OK(results);
  REQUIRE(results->size() == 2);
  CHECK((*results)[0].name == "busybox");
  CHECK((*results)[0].stars == 3000);
  CHECK((*results)[0].official);
  CHECK((*results)[1].description == "");
  CHECK((*results)[1].automated);
  CHECK_FALSE(parse_hub_search("[]").ok());
  CHECK_FALSE(parse_hub_search("<html>").ok());

  SearchResults found{.from_hub = true, .results = *results};
  found.results[0].description = std::string(50, 'x') + "\nmore";
  std::vector<Json> rows = search_rows(found, false);
  CHECK(rows[0]["Description"] == std::string(44, 'x') + "…");
  CHECK(rows[0]["StarCount"] == "3000");
  CHECK(rows[0]["IsOfficial"] == "[OK]");
  CHECK(rows[1]["IsOfficial"] == "");
  CHECK(rows[1]["IsAutomated"] == "[OK]");
  CHECK(search_rows(found, true)[0]["Description"] == std::string(50, 'x') + " more");
}

TEST_CASE("search filters", "[search]") {
  SearchResult official{.name = "a", .description = "", .stars = 10, .official = true};
  SearchResult plain{.name = "b", .description = "", .stars = 2};
  auto filter = parse_search_filters({"stars=5"}).value();
  CHECK(filter.accepts(official));
  CHECK_FALSE(filter.accepts(plain));
  filter = parse_search_filters({"is-official=false"}).value();
  CHECK_FALSE(filter.accepts(official));
  CHECK(filter.accepts(plain));
  CHECK(parse_search_filters({"bogus=1"}).error().text() == "invalid filter 'bogus'");
  CHECK_FALSE(parse_search_filters({"stars=x"}).ok());
  CHECK_FALSE(parse_search_filters({"is-automated=maybe"}).ok());
}

TEST_CASE("catalog pages and their Link headers", "[search]") {
  CHECK(parse_catalog(R"({"repositories":["a","b/c"]})").value() == std::vector<std::string>{"a", "b/c"});
  CHECK(parse_catalog(R"({"repositories":null})").value().empty());
  CHECK_FALSE(parse_catalog(R"({"errors":[]})").ok());
  CHECK(link_next_path(R"(</v2/_catalog?last=b&n=100>; rel="next")") == "/v2/_catalog?last=b&n=100");
  CHECK(link_next_path(R"(<https://elsewhere.example/v2/_catalog?last=b>; rel="next")") ==
        "/v2/_catalog?last=b");
  CHECK(link_next_path(R"(</v2/_catalog?last=b>; rel="prev")") == "");
  CHECK(link_next_path("") == "");
}
