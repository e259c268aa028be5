// Image configs: `--change` instructions as docker commit/import apply
// them, Dockerfile word splitting, platform names as docker's --platform
// takes them, and the `Config` object docker inspect shows.
#include <sys/utsname.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "image/image_config.h"
#include "test_support.h"

using namespace skiff;


namespace {

// Applies each change in order to an empty image and returns its "config".
Json config_after(std::initializer_list<std::string_view> changes) {
  Json image = Json::object();
  for (auto change : changes) {
    INFO(change);
    REQUIRE_OK(apply_change(image, change));
  }
  return image["config"];
}

// The error text of a change that must fail.
std::string change_error(std::string_view change, Json image = Json::object()) {
  INFO(change);
  Status status = apply_change(image, change);
  REQUIRE_FALSE(status.ok());
  return status.error().text();
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

using Words = std::vector<std::string>;

}  // namespace

TEST_CASE("CMD in shell form runs through /bin/sh -c", "[config]") {
  Json c = config_after({"CMD echo hello   world"});
  CHECK(c["Cmd"] == Json::array({"/bin/sh", "-c", "echo hello   world"}));
}

TEST_CASE("CMD in JSON form is kept as the array", "[config]") {
  Json c = config_after({R"(CMD ["nginx", "-g", "daemon off;"])"});
  CHECK(c["Cmd"] == Json::array({"nginx", "-g", "daemon off;"}));
  CHECK(config_after({"CMD []"})["Cmd"] == Json::array());
}

TEST_CASE("CMD with malformed JSON falls back to shell form, as docker does", "[config]") {
  CHECK(config_after({"CMD [echo"})["Cmd"] == Json::array({"/bin/sh", "-c", "[echo"}));
  CHECK(config_after({R"(CMD ["a", 1])"})["Cmd"] == Json::array({"/bin/sh", "-c", R"(["a", 1])"}));
}

TEST_CASE("ENTRYPOINT takes both forms and leaves CMD alone", "[config]") {
  Json c = config_after({R"(CMD ["--help"])", R"(ENTRYPOINT ["/bin/tool", "run"])"});
  CHECK(c["Entrypoint"] == Json::array({"/bin/tool", "run"}));
  CHECK(c["Cmd"] == Json::array({"--help"}));
  CHECK(config_after({"ENTRYPOINT exec tool"})["Entrypoint"] == Json::array({"/bin/sh", "-c", "exec tool"}));
}

TEST_CASE("ENV sets KEY=VALUE pairs, with quotes and escapes removed", "[config]") {
  Json c = config_after({R"(ENV A="b c" D=e F='g "h"' I=j\ k EMPTY=)"});
  CHECK(c["Env"] == Json::array({"A=b c", "D=e", "F=g \"h\"", "I=j k", "EMPTY="}));
}

TEST_CASE("ENV in the legacy `ENV KEY value` form takes the rest of the line", "[config]") {
  CHECK(config_after({"ENV GREETING hello big world"})["Env"] == Json::array({"GREETING=hello big world"}));
  CHECK(config_after({"ENV\tK\t v"})["Env"] == Json::array({"K=v"}));
}

TEST_CASE("ENV replaces an existing variable in place", "[config]") {
  Json image = {{"config", {{"Env", {"PATH=/usr/bin", "PATHEXT=x", "HOME=/root"}}}}};
  REQUIRE_OK(apply_change(image, "ENV PATH=/opt/bin:/usr/bin NEW=1"));
  REQUIRE_OK(apply_change(image, "ENV HOME /home/app"));
  CHECK(image["config"]["Env"] ==
        Json::array({"PATH=/opt/bin:/usr/bin", "PATHEXT=x", "HOME=/home/app", "NEW=1"}));
}

TEST_CASE("ENV without a value or a name is refused", "[config]") {
  CHECK(contains(change_error("ENV"), "ENV needs at least one argument"));
  CHECK(contains(change_error("ENV ONLYKEY"), "ENV needs KEY=VALUE"));
  CHECK(contains(change_error("ENV =value"), "is not KEY=VALUE"));
  CHECK(contains(change_error("ENV A=1 B"), "`B` is not KEY=VALUE"));
  CHECK(contains(change_error(R"(ENV A="unterminated)"), "unterminated quote"));
  CHECK(contains(change_error("ENV =value"), "--change `ENV =value`"));
}

TEST_CASE("LABEL sets labels, replacing earlier values", "[config]") {
  Json c = config_after({R"(LABEL "com.example.vendor"="ACME Inc" version=1.0)", "LABEL version=2.0 a.b=c"});
  CHECK(c["Labels"] == Json{{"com.example.vendor", "ACME Inc"}, {"version", "2.0"}, {"a.b", "c"}});
}

TEST_CASE("LABEL needs KEY=VALUE", "[config]") {
  CHECK(contains(change_error("LABEL"), "LABEL needs at least one argument"));
  CHECK(contains(change_error("LABEL justakey"), "LABEL needs KEY=VALUE"));
}

TEST_CASE("WORKDIR takes absolute paths as they are", "[config]") {
  CHECK(config_after({"WORKDIR /app"})["WorkingDir"] == "/app");
  CHECK(config_after({"WORKDIR /a", "WORKDIR /b"})["WorkingDir"] == "/b");
  CHECK(contains(change_error("WORKDIR"), "WORKDIR needs a path"));
}

TEST_CASE("a relative WORKDIR is relative to the earlier WORKDIR", "[config]") {
  CHECK(config_after({"WORKDIR /a", "WORKDIR b"})["WorkingDir"] == "/a/b");
  CHECK(config_after({"WORKDIR /a", "WORKDIR b", "WORKDIR c"})["WorkingDir"] == "/a/b/c");
  CHECK(config_after({"WORKDIR /a/", "WORKDIR b"})["WorkingDir"] == "/a/b");
  CHECK(config_after({"WORKDIR rel"})["WorkingDir"] == "/rel");
  Json image = {{"config", {{"WorkingDir", "/usr/src"}}}};
  REQUIRE_OK(apply_change(image, "WORKDIR app"));
  CHECK(image["config"]["WorkingDir"] == "/usr/src/app");
}

TEST_CASE("a relative WORKDIR is cleaned as docker's filepath.Join does", "[config]") {
  // docker: normaliseWorkdir joins with filepath.Join(current, requested),
  // which cleans "..", "." and trailing slashes.
  CHECK(config_after({"WORKDIR /a/b", "WORKDIR ../c"})["WorkingDir"] == "/a/c");
  CHECK(config_after({"WORKDIR /a", "WORKDIR ./b/"})["WorkingDir"] == "/a/b");
  CHECK(config_after({"WORKDIR /a", "WORKDIR b//c"})["WorkingDir"] == "/a/b/c");
}

TEST_CASE("USER sets the user as written", "[config]") {
  CHECK(config_after({"USER app"})["User"] == "app");
  CHECK(config_after({"USER 1000:1000"})["User"] == "1000:1000");
  CHECK(contains(change_error("USER"), "USER needs a user name or ID"));
}

TEST_CASE("EXPOSE adds ports with tcp as the default protocol", "[config]") {
  Json c = config_after({"EXPOSE 80 53/udp", "EXPOSE 443/tcp 132/sctp 65535"});
  CHECK(c["ExposedPorts"] == Json{{"80/tcp", Json::object()},
                                  {"53/udp", Json::object()},
                                  {"443/tcp", Json::object()},
                                  {"132/sctp", Json::object()},
                                  {"65535/tcp", Json::object()}});
}

TEST_CASE("EXPOSE refuses bad ports and protocols", "[config]") {
  for (const char* bad : {"EXPOSE 0", "EXPOSE 65536", "EXPOSE 99999999999", "EXPOSE http", "EXPOSE 80/xyz",
                          "EXPOSE -1", "EXPOSE 80/", "EXPOSE /tcp", "EXPOSE 80 abc"}) {
    std::string text = change_error(bad);
    CHECK(contains(text, "invalid port"));
  }
  CHECK(contains(change_error("EXPOSE"), "EXPOSE needs at least one port"));
  CHECK(contains(change_error("EXPOSE 80/xyz"), "invalid port `80/xyz`"));
}

TEST_CASE("VOLUME takes paths as words or a JSON array", "[config]") {
  Json c = config_after({"VOLUME /data /var/log", R"(VOLUME ["/cache", "/with space"])"});
  CHECK(c["Volumes"] == Json{{"/data", Json::object()},
                             {"/var/log", Json::object()},
                             {"/cache", Json::object()},
                             {"/with space", Json::object()}});
}

TEST_CASE("VOLUME refuses empty and malformed lists", "[config]") {
  CHECK(contains(change_error("VOLUME"), "VOLUME needs at least one path"));
  CHECK(contains(change_error("VOLUME []"), "VOLUME needs at least one path"));
  CHECK(contains(change_error(R"(VOLUME ["/a", 1])"), "VOLUME: empty path"));
  CHECK(contains(change_error(R"(VOLUME [""])"), "VOLUME: empty path"));
  CHECK(contains(change_error("VOLUME [/a"), "malformed JSON array"));
}

TEST_CASE("STOPSIGNAL and ONBUILD are kept as written", "[config]") {
  Json c = config_after({"STOPSIGNAL SIGQUIT", "ONBUILD RUN make", "ONBUILD COPY . /src"});
  CHECK(c["StopSignal"] == "SIGQUIT");
  CHECK(c["OnBuild"] == Json::array({"RUN make", "COPY . /src"}));
  CHECK(contains(change_error("STOPSIGNAL"), "STOPSIGNAL needs a signal"));
  CHECK(contains(change_error("ONBUILD"), "ONBUILD needs an instruction"));
}

TEST_CASE("instructions that can't change a config are refused by name", "[config]") {
  for (const char* change : {"RUN make", "FROM alpine", "COPY . /", "ADD x /", "ARG X=1", "SHELL [\"/bin/bash\"]",
                             "HEALTHCHECK NONE", "MAINTAINER me", "BOGUS x"}) {
    std::string text = change_error(change);
    std::string name(change, std::string_view(change).find(' '));
    CHECK(contains(text, "--change `" + std::string(change) + "`"));
    CHECK(contains(text, name + " can't be applied to an image"));
  }
  CHECK(contains(change_error(""), "an empty instruction can't be applied"));
  CHECK(contains(change_error("   "), "an empty instruction can't be applied"));
}

TEST_CASE("instruction names are case-insensitive and blanks around them ignored", "[config]") {
  Json c = config_after({"cmd echo hi", "Env A=b", "  workdir /w  ", "expose\t8080", "user nobody"});
  CHECK(c["Cmd"] == Json::array({"/bin/sh", "-c", "echo hi"}));
  CHECK(c["Env"] == Json::array({"A=b"}));
  CHECK(c["WorkingDir"] == "/w");
  CHECK(c["ExposedPorts"].contains("8080/tcp"));
  CHECK(c["User"] == "nobody");
}

TEST_CASE("apply_change makes a config object when there is none", "[config]") {
  Json image = {{"architecture", "amd64"}, {"config", nullptr}};
  REQUIRE_OK(apply_change(image, "USER app"));
  CHECK(image["config"] == Json{{"User", "app"}});
  CHECK(image["architecture"] == "amd64");
}

TEST_CASE("split_words splits on blanks", "[config]") {
  CHECK(split_words("").value().empty());
  CHECK(split_words("   \t ").value().empty());
  CHECK(split_words("a").value() == Words{"a"});
  CHECK(split_words("  a  b\tc \n d ").value() == Words{"a", "b", "c", "d"});
}

TEST_CASE("split_words groups quoted text and removes the quotes", "[config]") {
  CHECK(split_words(R"("a b" 'c d')").value() == Words{"a b", "c d"});
  CHECK(split_words(R"(x="a b"y 'p'q)").value() == Words{"x=a by", "pq"});
  CHECK(split_words(R"("" '')").value() == Words{"", ""});
  CHECK(split_words(R"('"' "'")").value() == Words{"\"", "'"});
}

TEST_CASE("split_words: a backslash escapes the next character, but not in single quotes", "[config]") {
  CHECK(split_words(R"(a\ b)").value() == Words{"a b"});
  CHECK(split_words(R"(\"x\")").value() == Words{"\"x\""});
  CHECK(split_words(R"("a \"b\" c")").value() == Words{"a \"b\" c"});
  CHECK(split_words(R"('a\nb')").value() == Words{"a\\nb"});
  CHECK(split_words(R"(a\\b)").value() == Words{"a\\b"});
}

TEST_CASE("split_words refuses an unterminated quote", "[config]") {
  for (const char* text : {"\"abc", "'abc", "a \"b c", "\"\\\""}) {
    INFO(text);
    auto r = split_words(text);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.error().text(), "unterminated quote"));
  }
}

TEST_CASE("parse_platform reads os/arch[/variant] and a bare arch", "[config]") {
  auto amd64 = parse_platform("linux/amd64");
  REQUIRE_OK(amd64);
  CHECK(amd64->os == "linux");
  CHECK(amd64->architecture == "amd64");
  CHECK(amd64->variant.empty());
  CHECK(amd64->string() == "linux/amd64");

  auto arm64 = parse_platform("arm64");
  REQUIRE_OK(arm64);
  CHECK(arm64->os == "linux");
  CHECK(arm64->architecture == "arm64");
  CHECK(arm64->string() == "linux/arm64");

  auto armv7 = parse_platform("linux/arm/v7");
  REQUIRE_OK(armv7);
  CHECK(armv7->architecture == "arm");
  CHECK(armv7->variant == "v7");
  CHECK(armv7->string() == "linux/arm/v7");

  CHECK(parse_platform("LINUX/AMD64").value().string() == "linux/amd64");
  CHECK(parse_platform("linux/s390x").value().architecture == "s390x");
}

TEST_CASE("parse_platform takes the kernel's names for amd64 and arm64", "[config]") {
  CHECK(parse_platform("x86_64").value().architecture == "amd64");
  CHECK(parse_platform("linux/x86_64").value().architecture == "amd64");
  CHECK(parse_platform("linux/x86-64").value().architecture == "amd64");
  CHECK(parse_platform("aarch64").value().architecture == "arm64");
  CHECK(parse_platform("linux/aarch64").value().architecture == "arm64");
}

TEST_CASE("parse_platform normalises arch and variant as containerd does", "[config]") {
  // docker's --platform goes through containerd's platforms.Normalize.
  CHECK(parse_platform("linux/i386").value().string() == "linux/386");
  CHECK(parse_platform("linux/armhf").value().string() == "linux/arm/v7");
  CHECK(parse_platform("linux/armel").value().string() == "linux/arm/v6");
  CHECK(parse_platform("linux/arm").value().string() == "linux/arm/v7");
  CHECK(parse_platform("linux/arm64/v8").value().string() == "linux/arm64");
}

TEST_CASE("parse_platform refuses other operating systems", "[config]") {
  for (const char* text : {"windows/amd64", "darwin/arm64", "freebsd/amd64/v2"}) {
    INFO(text);
    auto r = parse_platform(text);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.error().text(), "linux images only"));
    CHECK(contains(r.error().text(), text));
  }
}

TEST_CASE("parse_platform refuses garbage", "[config]") {
  for (const char* text : {"", "/", "linux/", "/amd64", "linux//v7", "linux/arm/v7/extra", "a/b/c/d"}) {
    INFO("`" << text << "`");
    auto r = parse_platform(text);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(r.error().text(), "invalid platform"));
  }
}

TEST_CASE("host_platform names this machine in docker's words", "[config]") {
  Platform p = host_platform();
  CHECK(p.os == "linux");
  CHECK_FALSE(p.architecture.empty());
  struct utsname u;
  REQUIRE(::uname(&u) == 0);
  std::string machine = u.machine;
  if (machine == "x86_64") CHECK(p.architecture == "amd64");
  if (machine == "aarch64") CHECK(p.architecture == "arm64");
  // What we name the host, we also accept.
  CHECK(parse_platform(p.string()).value().string() == p.string());
}

TEST_CASE("make_import_config describes a one-layer image", "[config]") {
  Platform p;
  p.architecture = "arm";
  p.variant = "v7";
  std::string diff = "sha256:" + std::string(64, 'a');
  Json c = make_import_config(diff, p, "Imported from -", "2024-01-02T03:04:05Z");
  CHECK(c["architecture"] == "arm");
  CHECK(c["variant"] == "v7");
  CHECK(c["os"] == "linux");
  CHECK(c["created"] == "2024-01-02T03:04:05Z");
  CHECK(c["config"] == Json::object());
  CHECK(c["rootfs"] == Json{{"type", "layers"}, {"diff_ids", {diff}}});
  REQUIRE(c["history"].size() == 1);
  CHECK(c["history"][0]["comment"] == "Imported from -");
  CHECK(c["history"][0]["created"] == "2024-01-02T03:04:05Z");
  Platform plain;
  plain.architecture = "amd64";
  CHECK_FALSE(make_import_config(diff, plain, "", "x").contains("variant"));
}

TEST_CASE("docker_config_view has every docker field for an empty config", "[config]") {
  Json v = docker_config_view(Json::object());
  for (const char* key : {"Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr", "Tty",
                          "OpenStdin", "StdinOnce", "Env", "Cmd", "Image", "Volumes", "WorkingDir", "Entrypoint",
                          "OnBuild", "Labels"}) {
    INFO(key);
    CHECK(v.contains(key));
  }
  CHECK(v["Hostname"] == "");
  CHECK(v["User"] == "");
  CHECK(v["AttachStdin"] == false);
  CHECK(v["Tty"] == false);
  CHECK(v["Env"].is_null());
  CHECK(v["Cmd"].is_null());
  CHECK(v["Volumes"].is_null());
  CHECK(v["WorkingDir"] == "");
  CHECK(v["Entrypoint"].is_null());
  CHECK(v["OnBuild"].is_null());
  CHECK(v["Labels"].is_null());
  // omitempty in docker's struct: absent when unset.
  CHECK_FALSE(v.contains("ExposedPorts"));
  CHECK_FALSE(v.contains("Healthcheck"));
  CHECK_FALSE(v.contains("StopSignal"));
}

TEST_CASE("docker_config_view copies what the config sets", "[config]") {
  Json config = {{"User", "app"},
                 {"ExposedPorts", {{"80/tcp", Json::object()}}},
                 {"Env", {"A=b"}},
                 {"Cmd", {"run"}},
                 {"Healthcheck", {{"Test", {"CMD", "true"}}}},
                 {"Volumes", {{"/data", Json::object()}}},
                 {"WorkingDir", "/w"},
                 {"Entrypoint", {"/bin/tool"}},
                 {"OnBuild", {"RUN x"}},
                 {"Labels", {{"k", "v"}}},
                 {"StopSignal", "SIGQUIT"}};
  Json v = docker_config_view(config);
  for (const auto& [key, value] : config.items()) {
    INFO(key);
    CHECK(v[key] == value);
  }
  CHECK(v["Image"] == "");
  CHECK(v["OpenStdin"] == false);
}

TEST_CASE("docker_config_view keeps Shell, ArgsEscaped and StopTimeout", "[config]") {
  // Fields of docker's container.Config (omitempty) that docker-built images
  // carry: `SHELL ["/bin/bash", "-c"]` sets Shell, BuildKit sets ArgsEscaped.
  Json config = {{"Shell", {"/bin/bash", "-c"}}, {"ArgsEscaped", true}, {"StopTimeout", 30}};
  Json v = docker_config_view(config);
  CHECK(v["Shell"] == Json::array({"/bin/bash", "-c"}));
  CHECK(v["ArgsEscaped"] == true);
  CHECK(v["StopTimeout"] == 30);
}
