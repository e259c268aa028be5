// `ps`: the pure pieces. The expected strings are what docker's CLI
// formatter and daemon print for the same container.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "engine/container_list.h"

using namespace skiff;

namespace {

// A state.json as the engine writes it. Times are RFC 3339, UTC.
Json state(const std::string& status, const std::string& started, const std::string& finished,
           int exit_code = 0) {
  return Json{{"Status", status},      {"Running", status == "running"},
              {"Paused", false},       {"Restarting", false},
              {"Dead", false},         {"Pid", 0},
              {"ExitCode", exit_code}, {"StartedAt", started},
              {"FinishedAt", finished}};
}

// What ps reads of such a state.
ContainerSummary summary_of(const Json& state) {
  ContainerSummary s;
  REQUIRE(parse_summary_state(to_compact_json(state), s).ok());
  return s;
}

// 2024-01-02T03:04:05Z as Unix time.
constexpr double kT0 = 1704164645;

// A container's records as create writes them, summarized as ps reads them.
ContainerSummary container(const std::string& id, const std::string& name,
                           const std::string& status = "running") {
  Container c;
  c.id = id;
  c.dir = "/nonexistent/" + id;
  c.config = {
      {"id", id},
      {"name", name},
      {"image", "busybox"},
      {"image_id", "sha256:0b9b95619133e14d52792ced34e6035e2bd9557956d698b1ccbe9b317816b299"},
      {"created", "2024-01-02T03:04:05.000000001Z"},
      {"Path", "sh"},
      {"Args", {"-c", "echo hi"}},
      {"Config", {{"Labels", {{"team", "web"}, {"tier", "front"}}}}},
      {"HostConfig", {{"NetworkMode", "none"}}},
      {"Mounts", Json::array({{{"Type", "bind"}, {"Source", "/srv/data"}, {"Destination", "/data"}}})}};
  c.state = state(status, "2024-01-02T03:04:06Z", status == "exited" ? "2024-01-02T03:04:07Z" : kZeroTime);
  auto summary = summarize_container(c);
  REQUIRE(summary.ok());
  return *summary;
}

std::vector<ContainerFilter> filters(const std::vector<std::string>& specs) {
  auto parsed = parse_container_filters(specs);
  REQUIRE(parsed.ok());
  return *parsed;
}

bool matches(const std::vector<std::string>& specs, const ContainerSummary& c) {
  return container_matches(filters(specs), c);
}

}  // namespace

TEST_CASE("container_command quotes arguments holding a space, as the daemon does", "[ps]") {
  CHECK(container_command("sh", {"-c", "echo hi"}) == "sh -c 'echo hi'");
  CHECK(container_command("/bin/true", {}) == "/bin/true");
  CHECK(container_command("echo", {"a", "b"}) == "echo a b");
  CHECK(container_command("echo", {"it's", "x y"}) == "echo it's 'x y'");
}

TEST_CASE("command_column quotes like strconv.Quote and cuts at 20 columns", "[ps]") {
  CHECK(command_column("sh -c 'echo hi'", false) == "\"sh -c 'echo hi'\"");
  CHECK(command_column("/bin/sh -c 'while true; do sleep 1; done'", false) ==
        "\"/bin/sh -c 'while t\xE2\x80\xA6\"");
  CHECK(command_column("/bin/sh -c 'while true; do sleep 1; done'", true) ==
        "\"/bin/sh -c 'while true; do sleep 1; done'\"");
  CHECK(command_column("12345678901234567890", false) == "\"12345678901234567890\"");
  CHECK(command_column("echo \"a\\b\"", true) == "\"echo \\\"a\\\\b\\\"\"");
  CHECK(command_column("printf 'a\nb\t'", true) == "\"printf 'a\\nb\\t'\"");
  CHECK(command_column("echo \x01\x7f", true) == "\"echo \\x01\\x7f\"");
  CHECK(command_column("echo caf\xC3\xA9", true) == "\"echo caf\xC3\xA9\"");
  CHECK(command_column("echo \xff", true) == "\"echo \\xff\"");
}

TEST_CASE("ellipsis counts runes, not bytes", "[ps]") {
  CHECK(ellipsis("abc", 3) == "abc");
  CHECK(ellipsis("abcd", 3) == "ab\xE2\x80\xA6");
  CHECK(ellipsis("\xC3\xA9\xC3\xA9\xC3\xA9", 3) == "\xC3\xA9\xC3\xA9\xC3\xA9");
  CHECK(ellipsis("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 3) == "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
  CHECK(ellipsis("abc", 1) == "a");
  CHECK(ellipsis("abc", 0) == "");
}

TEST_CASE("container_status_text reads like docker's State.String()", "[ps]") {
  CHECK(container_status_text(summary_of(state("created", kZeroTime, kZeroTime)), kT0) == "Created");
  CHECK(container_status_text(summary_of(state("running", "2024-01-02T03:04:00Z", kZeroTime)), kT0) ==
        "Up 5 seconds");
  CHECK(container_status_text(summary_of(state("running", "2024-01-02T03:03:00Z", kZeroTime)), kT0) ==
        "Up About a minute");
  CHECK(container_status_text(summary_of(state("running", "2024-01-02T01:04:05Z", kZeroTime)), kT0) ==
        "Up 2 hours");
  CHECK(container_status_text(summary_of(state("exited", "2024-01-02T03:03:00Z", "2024-01-02T03:04:02Z")),
                              kT0) == "Exited (0) 3 seconds ago");
  CHECK(container_status_text(
            summary_of(state("exited", "2024-01-02T03:03:00Z", "2024-01-02T03:04:04Z", 137)), kT0) ==
        "Exited (137) 1 second ago");
  // A start that failed before the process ran: never started, so Created.
  CHECK(container_status_text(summary_of(state("exited", kZeroTime, "2024-01-02T03:04:04Z", 127)), kT0) ==
        "Created");
  Json paused = state("paused", "2024-01-02T03:04:00Z", kZeroTime);
  paused["Paused"] = true;
  CHECK(container_status_text(summary_of(paused), kT0) == "Up 5 seconds (Paused)");
  CHECK(container_status_text(summary_of(state("dead", "2024-01-02T03:04:00Z", kZeroTime)), kT0) == "Dead");
}

TEST_CASE("a health check's status follows Up, and health= filters on it", "[ps]") {
  Json checked = state("running", "2024-01-02T03:04:00Z", kZeroTime);
  checked["Health"] = {{"Status", "healthy"}, {"FailingStreak", 0}, {"Log", Json::array()}};
  CHECK(container_status_text(summary_of(checked), kT0) == "Up 5 seconds (healthy)");
  checked["Health"]["Status"] = "starting";
  CHECK(container_status_text(summary_of(checked), kT0) == "Up 5 seconds (health: starting)");
  ContainerSummary c = summary_of(checked);
  CHECK(matches({"health=starting"}, c));
  CHECK(!matches({"health=none"}, c));
  CHECK(matches({"health=none"}, container("a1", "plain")));
}

TEST_CASE("container_size_text shows the virtual size when there is one", "[ps]") {
  CHECK(container_size_text(0, 0) == "0B");
  CHECK(container_size_text(0, 2130000) == "0B (virtual 2.13MB)");
  CHECK(container_size_text(12345, 2142345) == "12.3kB (virtual 2.14MB)");
}

TEST_CASE("parse_container_filters accepts docker's keys and refuses the rest", "[ps]") {
  auto ok = parse_container_filters(
      {"name=web", "label=a=b", "status=exited", "exited=0", "id=abc", "ancestor=busybox"});
  REQUIRE(ok.ok());
  CHECK(ok->size() == 6);
  CHECK((*ok)[1].key == "label");
  CHECK((*ok)[1].value == "a=b");

  auto unknown = parse_container_filters({"foo=bar"});
  REQUIRE(!unknown.ok());
  CHECK(unknown.error().text().starts_with("invalid filter `foo`: the filters here are ancestor, before"));

  auto no_value = parse_container_filters({"name"});
  REQUIRE(!no_value.ok());
  CHECK(no_value.error().text() == "invalid filter `name`: expected KEY=VALUE");

  auto bad_status = parse_container_filters({"status=sleeping"});
  REQUIRE(!bad_status.ok());
  CHECK(bad_status.error().text() ==
        "invalid filter `status=sleeping`: the states are created, restarting, running, removing, paused, "
        "exited and "
        "dead");

  auto bad_exit = parse_container_filters({"exited=zero"});
  REQUIRE(!bad_exit.ok());
  CHECK(bad_exit.error().text() == "invalid filter `exited=zero`: expected an exit code (an integer)");
  CHECK(!parse_container_filters({"exited=1x"}).ok());
  CHECK(!parse_container_filters({"exited="}).ok());
}

TEST_CASE("filters_imply_all when a status is asked for", "[ps]") {
  CHECK(filters_imply_all(filters({"status=exited"})));
  CHECK(!filters_imply_all(filters({"name=web"})));
  CHECK(!filters_imply_all({}));
}

TEST_CASE("name= matches part of the name, or a regular expression", "[ps]") {
  ContainerSummary c = container("a1b2c3", "web-1");
  CHECK(matches({"name=web"}, c));
  CHECK(matches({"name=b-1"}, c));
  CHECK(matches({"name=/web-1"}, c));
  CHECK(matches({"name=^web"}, c));
  CHECK(matches({"name=^/web-1$"}, c));
  CHECK(matches({"name=^web-[0-9]$"}, c));
  CHECK(!matches({"name=db"}, c));
  CHECK(!matches({"name=^eb"}, c));
  CHECK(!matches({"name=[unclosed"}, c));  // an invalid expression matches nothing, as docker
}

TEST_CASE("id= matches an ID prefix", "[ps]") {
  ContainerSummary c = container("a1b2c3d4", "web");
  CHECK(matches({"id=a1b2"}, c));
  CHECK(matches({"id=a1b2c3d4"}, c));
  CHECK(!matches({"id=b2c3"}, c));
}

TEST_CASE("status= and exited= look at the state", "[ps]") {
  ContainerSummary running = container("a1", "r");
  ContainerSummary exited = container("b2", "e", "exited");
  exited.exit_code = 3;
  CHECK(matches({"status=running"}, running));
  CHECK(!matches({"status=running"}, exited));
  CHECK(matches({"exited=3"}, exited));
  CHECK(!matches({"exited=0"}, exited));
  CHECK(!matches({"exited=0"}, running));
}

TEST_CASE("label= needs the key, and the value when given; all label filters must match", "[ps]") {
  ContainerSummary c = container("a1", "web");
  CHECK(matches({"label=team"}, c));
  CHECK(matches({"label=team=web"}, c));
  CHECK(!matches({"label=team=db"}, c));
  CHECK(!matches({"label=owner"}, c));
  CHECK(matches({"label=team", "label=tier=front"}, c));
  CHECK(!matches({"label=team", "label=owner"}, c));  // docker's MatchKVList: all of them
}

TEST_CASE("ancestor= matches the image the filter resolved to, or the name typed at create", "[ps]") {
  ContainerSummary c = container("a1", "web");
  CHECK(matches({"ancestor=busybox"}, c));  // as typed
  auto by_id = filters({"ancestor=0b9b"});
  CHECK(!container_matches(by_id, c));  // unresolved: select_listed_containers fills image_id
  by_id[0].image_id = c.image_id;
  CHECK(container_matches(by_id, c));
  auto other = filters({"ancestor=alpine"});
  other[0].image_id = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  CHECK(!container_matches(other, c));
}

TEST_CASE("one key's values OR together, different keys AND", "[ps]") {
  ContainerSummary web = container("a1", "web");
  ContainerSummary db = container("b2", "db", "exited");
  CHECK(matches({"name=web", "name=db"}, web));
  CHECK(matches({"name=web", "name=db"}, db));
  CHECK(matches({"status=running", "status=exited"}, db));
  CHECK(matches({"name=web", "status=running"}, web));
  CHECK(!matches({"name=web", "status=exited"}, web));
  CHECK(!matches({"name=db", "status=running"}, db));
}

TEST_CASE("before= and since= compare creation times with the container named", "[ps]") {
  ContainerSummary c = container("a1", "web");
  auto before = filters({"before=x"});
  before[0].created = "2024-01-02T03:04:06Z";
  CHECK(container_matches(before, c));
  auto since = filters({"since=x"});
  since[0].created = "2024-01-02T03:04:06Z";
  CHECK(!container_matches(since, c));
  since[0].created = "2024-01-02T03:04:04Z";
  CHECK(container_matches(since, c));
}

TEST_CASE("network= and volume= look at the host config and the mounts", "[ps]") {
  ContainerSummary c = container("a1", "web");
  CHECK(matches({"network=none"}, c));
  CHECK(!matches({"network=host"}, c));
  CHECK(matches({"volume=/data"}, c));
  CHECK(matches({"volume=/srv/data"}, c));
  CHECK(!matches({"volume=/other"}, c));
}

TEST_CASE("container_template_view adds docker's optional Config fields", "[ps]") {
  Json view = container_template_view(Json{{"Id", "x"}, {"Config", {{"Env", {"A=1"}}}}});
  CHECK(view["Config"]["ExposedPorts"] == Json::object());
  CHECK(view["Config"]["StopSignal"] == "");
  CHECK(view["Config"]["Healthcheck"].is_null());
  CHECK(view["Config"]["Env"] == Json{"A=1"});
}

TEST_CASE("with_inspect_sizes puts SizeRw and SizeRootFs after GraphDriver", "[ps]") {
  Json inspect = {{"Id", "x"}, {"GraphDriver", Json::object()}, {"Mounts", Json::array()}};
  Json out = with_inspect_sizes(inspect, ContainerSize{12, 34});
  std::vector<std::string> keys;
  for (auto it = out.begin(); it != out.end(); ++it) keys.push_back(it.key());
  CHECK(keys == std::vector<std::string>{"Id", "GraphDriver", "SizeRw", "SizeRootFs", "Mounts"});
  CHECK(out["SizeRw"] == 12);
  CHECK(out["SizeRootFs"] == 34);
}
