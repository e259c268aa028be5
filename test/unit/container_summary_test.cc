// What `ps` reads of a container's records: the SAX readers of config.json
// and state.json, the listing summary config.json opens with (and how a
// stale one is caught), and listing a store with damaged records in it.
#include <fcntl.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/json.h"
#include "engine/container_list.h"
#include "engine/container_summary.h"
#include "image/store.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::TempDir;

namespace {

// A config.json as create writes it (the parts ps reads, and some it doesn't).
Json record(const std::string& name = "web") {
  return Json{
      {"image", "busybox"},
      {"image_id", "sha256:0b9b95619133e14d52792ced34e6035e2bd9557956d698b1ccbe9b317816b299"},
      {"layers", {"sha256:1111111111111111111111111111111111111111111111111111111111111111"}},
      {"storage_driver", "native"},
      {"seccomp", "default"},
      {"Path", "sh"},
      {"Args", {"-c", "echo hi"}},
      {"Config", {{"Hostname", "abc"}, {"Env", {"A=1"}}, {"Labels", {{"tier", "front"}, {"team", "web"}}}}},
      {"HostConfig", {{"NetworkMode", "none"}, {"RestartPolicy", {{"Name", "no"}}}}},
      {"Mounts", Json::array({{{"Type", "volume"},
                               {"Name", "data"},
                               {"Source", "/v/data"},
                               {"Destination", "/data"},
                               {"RW", true}}})},
      {"id", "a1b2"},
      {"name", name},
      {"created", "2024-01-02T03:04:05.000000001Z"}};
}

ContainerSummary config_summary(std::string_view text) {
  ContainerSummary s;
  Status parsed = parse_summary_config(text, s);
  INFO(text);
  REQUIRE(parsed.ok());
  return s;
}

std::string config_problem(std::string_view text) {
  ContainerSummary s;
  Status parsed = parse_summary_config(text, s);
  REQUIRE(!parsed.ok());
  return parsed.error().text();
}

std::string state_problem(std::string_view text) {
  ContainerSummary s;
  Status parsed = parse_summary_state(text, s);
  REQUIRE(!parsed.ok());
  return parsed.error().text();
}

void check_fields(const ContainerSummary& s, const std::string& name = "web") {
  CHECK(s.name == name);
  CHECK(s.image == "busybox");
  CHECK(s.image_id == "sha256:0b9b95619133e14d52792ced34e6035e2bd9557956d698b1ccbe9b317816b299");
  CHECK(s.created == "2024-01-02T03:04:05.000000001Z");
  CHECK(s.path == "sh");
  CHECK(s.args == std::vector<std::string>{"-c", "echo hi"});
  CHECK(s.labels == std::vector<std::pair<std::string, std::string>>{{"tier", "front"}, {"team", "web"}});
  CHECK(s.network == "none");
  CHECK(s.storage_driver == "native");
  REQUIRE(s.mounts.size() == 1);
  CHECK(s.mounts[0].type == "volume");
  CHECK(s.mounts[0].name == "data");
  CHECK(s.mounts[0].source == "/v/data");
  CHECK(s.mounts[0].destination == "/data");
}

// Writes a container's folder by hand: `config` and `state` as given (null: no file).
void write_container(const Store& store, const std::string& id, const std::string* config,
                     const std::string* state) {
  std::string dir = store.containers_dir() + "/" + id;
  REQUIRE(make_directories(dir, 0700).ok());
  if (config) REQUIRE(write_file_quickly(dir + "/config.json", *config).ok());
  if (state) REQUIRE(write_file_quickly(dir + "/state.json", *state).ok());
}

}  // namespace

TEST_CASE("a record without a summary is read in full", "[ps]") {
  check_fields(config_summary(to_compact_json(record())));
}

TEST_CASE("container_config_text opens with a summary that reads the same as the record", "[ps]") {
  std::string text = container_config_text(record());
  CHECK(text.starts_with("{\"listing_sum\":\""));
  CHECK(text.ends_with("}\n"));
  check_fields(config_summary(text));
  // It is the record all the same: parsed in full, nothing is lost.
  auto parsed = parse_json(text, "config");
  REQUIRE(parsed.ok());
  drop_config_listing(*parsed);
  CHECK(*parsed == record());
}

TEST_CASE("a summary leaves out what is empty and still reads the same", "[ps]") {
  Json r = record();
  r["Args"] = Json::array();
  r["Config"]["Labels"] = Json::object();
  r["Mounts"] = Json::array();
  std::string text = container_config_text(r);
  std::string summary = text.substr(0, text.find("},\"image\":"));  // where the record goes on
  CHECK(summary.find("\"HostConfig\":{\"NetworkMode\":\"none\"}") != std::string::npos);
  CHECK(summary.find("\"Args\"") == std::string::npos);
  CHECK(summary.find("\"Config\"") == std::string::npos);
  CHECK(summary.find("\"Mounts\"") == std::string::npos);
  ContainerSummary s = config_summary(text);
  CHECK(s.args.empty());
  CHECK(s.labels.empty());
  CHECK(s.mounts.empty());
  CHECK(s.name == "web");
  CHECK(s.network == "none");
}

TEST_CASE("a summary the record no longer matches is ignored", "[ps]") {
  std::string text = container_config_text(record("web"));
  // A writer that knew nothing of the summary renamed the container (an
  // older skiff, jq): the summary still says "web", the record "db".
  std::string renamed = text;
  size_t at = renamed.rfind("\"name\":\"web\"");
  REQUIRE(at != std::string::npos);
  REQUIRE(at > renamed.find("\"listing\":"));
  renamed.replace(at, 12, "\"name\":\"db\"");
  CHECK(config_summary(renamed).name == "db");
  // The summary itself edited: ignored too.
  std::string edited = text;
  at = edited.find("\"name\":\"web\"");
  edited.replace(at, 12, "\"name\":\"xx\"");
  CHECK(config_summary(edited).name == "web");
  // A sum that isn't hex, or is cut short.
  std::string bad_sum = text;
  bad_sum[16] = 'g';
  CHECK(config_summary(bad_sum).name == "web");
  CHECK(config_summary(std::string(text).erase(20, 1)).name == "web");
}

TEST_CASE("container_config_text replaces a summary the record already has", "[ps]") {
  auto stale = parse_json(container_config_text(record("web")), "config");
  REQUIRE(stale.ok());
  (*stale)["name"] = "db";  // the summary inside still says "web"
  std::string text = container_config_text(*stale);
  CHECK(config_summary(text).name == "db");
  CHECK(text.find("\"listing_sum\"", 2) == std::string::npos);  // one summary, first
}

TEST_CASE("the readers keep what ps needs and skip the rest", "[ps]") {
  Json r = record();
  r["Args"] = Json::array({"a", 1, nullptr, Json::object(), "b"});  // as json_strings: strings only
  r["deep"] = Json::parse(std::string(500, '[') + std::string(500, ']'));
  ContainerSummary s = config_summary(to_compact_json(r));
  CHECK(s.args == std::vector<std::string>{"a", "b"});
  CHECK(s.name == "web");
  // nlohmann keeps one of repeated keys; written out by hand both reach the reader.
  ContainerSummary repeated = config_summary(R"({"Config":{"Labels":{"k":"1","j":"0","k":"2"}}})");
  CHECK(repeated.labels == std::vector<std::pair<std::string, std::string>>{{"k", "2"}, {"j", "0"}});
  // Absent, or docker's null maps and slices: empty.
  ContainerSummary empty =
      config_summary(R"({"Config":null,"HostConfig":{"NetworkMode":"host"},"Mounts":null,"Args":null})");
  CHECK(empty.name.empty());
  CHECK(empty.labels.empty());
  CHECK(empty.mounts.empty());
  CHECK(empty.network == "host");
  CHECK(config_summary(R"({"Config":{"Labels":null}})").labels.empty());

  ContainerSummary state;
  REQUIRE(
      parse_summary_state(
          R"({"Status":"exited","ExitCode":137,"Paused":false,"Dead":true,"StartedAt":"a","FinishedAt":"b",)"
          R"("Health":{"Status":"healthy","Log":[{"ExitCode":1}]},"Pid":0,"Error":""})",
          state)
          .ok());
  CHECK(state.status == "exited");
  CHECK(state.exit_code == 137);
  CHECK(state.dead);
  CHECK(!state.paused);
  CHECK(state.started_at == "a");
  CHECK(state.finished_at == "b");
  CHECK(state.health == "healthy");
  ContainerSummary fresh;
  REQUIRE(parse_summary_state("{}", fresh).ok());
  CHECK(fresh.status == "created");
}

TEST_CASE("damaged records are errors that say what is wrong", "[ps]") {
  std::string text = to_compact_json(record());
  CHECK(config_problem(text.substr(0, 300)).starts_with("parse error at line 1, column 301"));
  CHECK(config_problem("").starts_with("parse error at line 1, column 1"));
  CHECK(config_problem(text + "x").starts_with("parse error"));
  CHECK(config_problem("[]") == "not a JSON object");
  CHECK(config_problem("5") == "not a JSON object");
  CHECK(config_problem(R"({"name":5})") == "`name` is not a string");
  CHECK(config_problem(R"({"name":null})") == "`name` is not a string");
  CHECK(config_problem(R"({"created":{}})") == "`created` is not a string");
  CHECK(config_problem(R"({"Args":"sh"})") == "`Args` is not an array");
  CHECK(config_problem(R"({"Config":"x"})") == "`Config` is not an object");
  CHECK(config_problem(R"({"Config":{"Labels":[]}})") == "`Config.Labels` is not an object");
  CHECK(config_problem(R"({"Config":{"Labels":{"a":1}}})") == "`Config.Labels.a` is not a string");
  CHECK(config_problem(R"({"Config":{"Labels":{"a":{"b":"c"}}}})") == "`Config.Labels.a` is not a string");
  CHECK(config_problem(R"({"HostConfig":{"NetworkMode":false}})") ==
        "`HostConfig.NetworkMode` is not a string");
  CHECK(config_problem(R"({"Mounts":{}})") == "`Mounts` is not an array");
  CHECK(config_problem(R"({"Mounts":[5]})") == "`Mounts[]` is not an object");
  CHECK(config_problem(R"({"Mounts":[null]})") == "`Mounts[]` is not an object");
  CHECK(config_problem(R"({"Mounts":[{"Source":7}]})") == "`Mounts[].Source` is not a string");

  CHECK(state_problem(R"({"Status":7})") == "`Status` is not a string");
  CHECK(state_problem(R"({"ExitCode":"0"})") == "`ExitCode` is not an integer");
  CHECK(state_problem(R"({"ExitCode":1.5})") == "`ExitCode` is not an integer");
  CHECK(state_problem(R"({"ExitCode":4294967296})") == "`ExitCode` is not an integer");
  CHECK(state_problem(R"({"Paused":"yes"})") == "`Paused` is not true or false");
  CHECK(state_problem(R"({"Health":"ok"})") == "`Health` is not an object");
  CHECK(state_problem(R"({"Status":"running")").starts_with("parse error"));

  // A summary that checks out but says something of the wrong type (a
  // writer bug) is refused the same way, naming where.
  Json bad = record();
  bad["name"] = 5;
  CHECK(config_problem(container_config_text(bad)) == "`listing.name` is not a string");
}

TEST_CASE("read_file_at reads whole files into a reused buffer", "[ps]") {
  TempDir tmp;
  UniqueFd dir(::open(tmp.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(dir);
  std::string buffer;
  std::string big(40000, 'x');
  REQUIRE(write_file_quickly(tmp / "big", big).ok());
  REQUIRE(write_file_quickly(tmp / "small", "abc").ok());
  REQUIRE(write_file_quickly(tmp / "empty", "").ok());
  auto text = read_file_at(dir.get(), tmp.path, "big", buffer, 1 << 20);
  REQUIRE(text.ok());
  CHECK(*text == big);
  text = read_file_at(dir.get(), tmp.path, "small", buffer, 1 << 20);
  REQUIRE(text.ok());
  CHECK(*text == "abc");
  text = read_file_at(dir.get(), tmp.path, "empty", buffer, 1 << 20);
  REQUIRE(text.ok());
  CHECK(text->empty());
  CHECK(read_file_at(dir.get(), tmp.path, "small", buffer, 3).ok());  // exactly the limit
  auto over = read_file_at(dir.get(), tmp.path, "big", buffer, 39999);
  REQUIRE(!over.ok());
  CHECK(over.error().text() == "read `" + tmp.path + "/big`: larger than 39999 bytes");
  auto missing = read_file_at(dir.get(), tmp.path, "nope", buffer, 100);
  REQUIRE(!missing.ok());
  CHECK(missing.error().text() == "open `" + tmp.path + "/nope`: No such file or directory");
}

TEST_CASE("listing a store leaves out what can't be read and keeps the rest", "[ps]") {
  TempDir tmp;
  auto store = Store::open(tmp / "root", tmp / "run");
  REQUIRE(store.ok());
  std::string state = R"({"Status":"created","ExitCode":0,"StartedAt":"0001-01-01T00:00:00Z"})";
  std::string good = container_config_text(record("good"));
  std::string old = to_compact_json(record("old"));  // from before summaries
  std::string newer = container_config_text(record("newer"));
  newer.replace(newer.rfind("2024-01-02T03:04:05"), 19,
                "2024-01-02T03:04:06");  // stale summary: read in full
  std::string truncated = good.substr(0, 100);
  std::string wrong_type = container_config_text(record("x"));
  wrong_type.replace(wrong_type.rfind("\"name\":\"x\""), 10, "\"name\":[1]");
  std::string bad_state = R"({"Status":7})";
  write_container(*store, std::string(64, 'a'), &good, &state);
  write_container(*store, std::string(64, 'b'), &old, &state);
  write_container(*store, std::string(64, 'c'), &newer, &state);
  write_container(*store, std::string(64, 'd'), &truncated, &state);
  write_container(*store, std::string(64, 'e'), &wrong_type, &state);
  write_container(*store, std::string(64, 'f'), nullptr, &state);
  write_container(*store, std::string(64, '1'), &good, nullptr);
  write_container(*store, std::string(64, '2'), &good, &bad_state);
  write_container(*store, ".tmp-" + std::string(64, '3'), &good, &state);  // being created: not yet there

  std::vector<ContainerSummary> listed = list_container_summaries(*store);
  std::vector<std::string> names;
  for (const auto& c : listed) names.push_back(c.name);
  CHECK(names == std::vector<std::string>{"newer", "old", "good"});  // newest first, then by ID
  CHECK(listed[0].id == std::string(64, 'c'));
  CHECK(listed[0].status == "created");

  auto only_old = list_container_summaries(*store, [](const ContainerSummary& c) { return c.name == "old"; });
  REQUIRE(only_old.size() == 1);
  CHECK(only_old[0].id == std::string(64, 'b'));
}

TEST_CASE("a live container whose monitor is gone is listed as exited", "[ps]") {
  TempDir tmp;
  auto store = Store::open(tmp / "root", tmp / "run");
  REQUIRE(store.ok());
  std::string config = container_config_text(record("orphan"));
  std::string state =
      R"({"Status":"running","Running":true,"Pid":999999,"ExitCode":0,"StartedAt":"2024-01-02T03:04:05Z",)"
      R"("FinishedAt":"0001-01-01T00:00:00Z"})";
  std::string id(64, 'a');
  write_container(*store, id, &config, &state);
  std::vector<ContainerSummary> listed = list_container_summaries(*store);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].status == "exited");
  CHECK(listed[0].exit_code == 255);
  CHECK(listed[0].name == "orphan");
  // Recorded, as every reader records it: the file says so now.
  auto saved = read_json_file(store->containers_dir() + "/" + id + "/state.json");
  REQUIRE(saved.ok());
  CHECK((*saved)["Status"] == "exited");
  CHECK((*saved)["ExitCode"] == 255);
}

TEST_CASE("a large store is read on two threads with the same result", "[ps]") {
  TempDir tmp;
  auto store = Store::open(tmp / "root", tmp / "run");
  REQUIRE(store.ok());
  std::string state = R"({"Status":"created"})";
  std::string running = R"({"Status":"running","StartedAt":"2024-01-02T03:04:05Z"})";
  std::string broken = "{";
  // 150 containers, created a second apart in ID order; every tenth damaged,
  // two (one for each reader) running without a monitor.
  for (int i = 0; i < 150; ++i) {
    Json r = record(fmt::format("c{:03}", i));
    r["created"] = fmt::format("2024-01-02T03:{:02}:{:02}Z", i / 60, i % 60);
    std::string config = container_config_text(r);
    write_container(*store, fmt::format("{:064x}", i), i % 10 == 5 ? &broken : &config,
                    i == 17 || i == 117 ? &running : &state);
  }
  std::vector<ContainerSummary> listed = list_container_summaries(*store);
  REQUIRE(listed.size() == 135);
  for (size_t k = 0, i = 150; k < listed.size(); ++k) {
    do --i;
    while (i % 10 == 5);
    CHECK(listed[k].name == fmt::format("c{:03}", i));
    CHECK(listed[k].id == fmt::format("{:064x}", i));
    CHECK(listed[k].status == (i == 17 || i == 117 ? "exited" : "created"));
    CHECK(listed[k].exit_code == (i == 17 || i == 117 ? 255 : 0));
  }
}
