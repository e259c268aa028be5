// The json-file log: the writer (line cutting, 16 KiB partials, escaping,
// rotation, failures), the reader (--tail, --since, --until, -t,
// --details, following a rotating log), and docker's --since/--until times.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/units.h"
#include "engine/container_log.h"
#include "engine/log_reader.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::TempDir;

namespace {

struct timespec at(time_t secs, long nanos = 0) {
  return timespec{secs, nanos};
}

// The JSON lines of a log file.
std::vector<Json> entries_of(const std::string& path) {
  std::vector<Json> out;
  auto text = read_file(path);
  REQUIRE(text.ok());
  size_t start = 0;
  while (start < text->size()) {
    size_t nl = text->find('\n', start);
    REQUIRE(nl != std::string::npos);
    auto json = parse_json(text->substr(start, nl - start), "log line");
    REQUIRE(json.ok());
    out.push_back(*json);
    start = nl + 1;
  }
  return out;
}

std::vector<std::string> texts_of(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& e : entries_of(path)) out.push_back(e["log"].get<std::string>());
  return out;
}

LogWriter open_writer(const TempDir& dir, LogConfig config = {}) {
  auto w = LogWriter::open(dir.path, config);
  REQUIRE(w.ok());
  return std::move(*w);
}

// What read_log_files gives, per stream, for a log that no longer grows.
struct Read {
  std::string out, err, both;
};

Read read_all(const TempDir& dir, LogReadOptions options = {}) {
  Read r;
  LogSink sink = [&](LogStream s, std::string_view text) {
    (s == LogStream::kStdout ? r.out : r.err).append(text);
    r.both.append(text);
    return true;
  };
  REQUIRE_OK(read_log_files(
      dir.path, options, [] { return false; }, sink));
  return r;
}

// What a monitor does after writing: replace state.json, which wakes a follower.
void touch_state(const TempDir& dir) { REQUIRE_OK(write_file_quickly(dir / "state.json", "{}")); }

}  // namespace

TEST_CASE("the writer writes one entry per line, in docker's json-file shape", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir);
  w.append(LogStream::kStdout, "one\ntwo\n", at(1700000000, 123456789));
  w.append(LogStream::kStderr, "oops\n", at(1700000001));
  auto text = read_file(dir / "ctr.log");
  REQUIRE(text.ok());
  CHECK(*text ==
        "{\"log\":\"one\\n\",\"stream\":\"stdout\",\"time\":\"2023-11-14T22:13:20.123456789Z\"}\n"
        "{\"log\":\"two\\n\",\"stream\":\"stdout\",\"time\":\"2023-11-14T22:13:20.123456789Z\"}\n"
        "{\"log\":\"oops\\n\",\"stream\":\"stderr\",\"time\":\"2023-11-14T22:13:21Z\"}\n");
  struct stat st;
  REQUIRE(::stat((dir / "ctr.log").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("log times drop trailing zeros as Go's RFC3339Nano, or keep nine digits", "[log]") {
  CHECK(log_time_text(at(0), false) == "1970-01-01T00:00:00Z");
  CHECK(log_time_text(at(1700000000, 500000000), false) == "2023-11-14T22:13:20.5Z");
  CHECK(log_time_text(at(1700000000, 1000), false) == "2023-11-14T22:13:20.000001Z");
  CHECK(log_time_text(at(1700000000, 500000000), true) == "2023-11-14T22:13:20.500000000Z");
  CHECK(log_time_text(at(1700000000), true) == "2023-11-14T22:13:20.000000000Z");
}

TEST_CASE("the writer keeps a partial line until its newline comes", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir);
  w.append(LogStream::kStdout, "par", at(1));
  w.append(LogStream::kStderr, "e", at(1));
  CHECK(texts_of(dir / "ctr.log").empty());
  w.append(LogStream::kStdout, "tial\nnext", at(2));
  CHECK(texts_of(dir / "ctr.log") == std::vector<std::string>{"partial\n"});
  // The end of the streams writes what is pending, without a newline.
  w.finish(at(3));
  auto entries = entries_of(dir / "ctr.log");
  REQUIRE(entries.size() == 3);
  CHECK(entries[1]["log"] == "next");
  CHECK(entries[1]["stream"] == "stdout");
  CHECK(entries[2]["log"] == "e");
  CHECK(entries[2]["stream"] == "stderr");
  w.finish(at(4));  // nothing left: nothing written
  CHECK(entries_of(dir / "ctr.log").size() == 3);
}

TEST_CASE("a partial line reaching 16 KiB is written as its own entry", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir);
  w.append(LogStream::kStdout, std::string(10000, 'a'), at(1));
  CHECK(texts_of(dir / "ctr.log").empty());
  w.append(LogStream::kStdout, std::string(10000, 'a'), at(1));
  auto texts = texts_of(dir / "ctr.log");
  REQUIRE(texts.size() == 1);
  CHECK(texts[0] == std::string(16384, 'a'));
  w.append(LogStream::kStdout, "b\n", at(1));
  texts = texts_of(dir / "ctr.log");
  REQUIRE(texts.size() == 2);
  CHECK(texts[1] == std::string(20000 - 16384, 'a') + "b\n");
}

TEST_CASE("a long line in one read is cut the same way as one read in pieces", "[log]") {
  TempDir a, b;
  LogWriter whole = open_writer(a), pieces = open_writer(b);
  std::string line = std::string(16384 * 2 + 5, 'x') + "\n" + std::string(16384, 'y') + "\n";
  whole.append(LogStream::kStdout, line, at(1));
  for (size_t i = 0; i < line.size(); i += 1000)
    pieces.append(LogStream::kStdout, line.substr(i, 1000), at(1));
  auto texts = texts_of(a / "ctr.log");
  CHECK(texts == texts_of(b / "ctr.log"));
  REQUIRE(texts.size() == 5);
  CHECK(texts[0] == std::string(16384, 'x'));
  CHECK(texts[1] == std::string(16384, 'x'));
  CHECK(texts[2] == "xxxxx\n");
  CHECK(texts[3] == std::string(16384, 'y'));  // exactly 16 KiB: its newline follows alone
  CHECK(texts[4] == "\n");
}

TEST_CASE("a 16 KiB cut never splits a UTF-8 character", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir);
  w.append(LogStream::kStdout, std::string(16383, 'a') + "\xc3\xa9" + "z\n", at(1));
  auto texts = texts_of(dir / "ctr.log");
  REQUIRE(texts.size() == 2);
  CHECK(texts[0] == std::string(16383, 'a'));
  CHECK(texts[1] == "\xc3\xa9z\n");
}

TEST_CASE("control characters are escaped and invalid UTF-8 replaced: every line is JSON", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir);
  std::string controls = std::string("\x01\x1b[0m\t\"\\\r", 9) + std::string(1, '\0') + "\x7f" + "\n";
  w.append(LogStream::kStdout, controls, at(1));
  w.append(LogStream::kStdout, "bad \xff\xfe end\n", at(1));
  w.append(LogStream::kStdout, "cut \xe2\x82\n", at(1));
  auto raw = read_file(dir / "ctr.log");
  REQUIRE(raw.ok());
  CHECK(raw->find('\x01') == std::string::npos);
  CHECK(raw->find('\x1b') == std::string::npos);
  CHECK(std::count(raw->begin(), raw->end(), '\n') == 3);
  auto texts = texts_of(dir / "ctr.log");  // parses each line
  REQUIRE(texts.size() == 3);
  CHECK(texts[0] == controls);
  CHECK(texts[1].starts_with("bad "));
  CHECK(texts[1].find("\xef\xbf\xbd") != std::string::npos);
  CHECK(texts[1].ends_with(" end\n"));
  CHECK(texts[2].starts_with("cut \xef\xbf\xbd"));
}

TEST_CASE("max-size and max-file rotate: ctr.log, ctr.log.1, ... keeping max-file in all", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir, {.max_size = 1024, .max_file = 3});
  for (int i = 0; i < 200; ++i) w.append(LogStream::kStdout, fmt::format("line {:04d}\n", i), at(1000 + i));
  CHECK(path_exists(dir / "ctr.log"));
  CHECK(path_exists(dir / "ctr.log.1"));
  CHECK(path_exists(dir / "ctr.log.2"));
  CHECK(!path_exists(dir / "ctr.log.3"));
  // Each file stops at the first entry that makes it reach max-size.
  for (const char* name : {"ctr.log.1", "ctr.log.2"}) {
    struct stat st;
    REQUIRE(::stat((dir / name).c_str(), &st) == 0);
    CHECK(st.st_size >= 1024);
    CHECK(st.st_size < 1024 + 100);
  }
  // Oldest first, the files hold a run of consecutive lines ending with the last.
  std::vector<std::string> all;
  for (const char* name : {"ctr.log.2", "ctr.log.1", "ctr.log"})
    for (auto& t : texts_of(dir / name)) all.push_back(t);
  REQUIRE(!all.empty());
  CHECK(all.back() == "line 0199\n");
  int first = std::stoi(all.front().substr(5));
  for (size_t i = 0; i < all.size(); ++i) CHECK(all[i] == fmt::format("line {:04d}\n", first + int(i)));
  // A reader sees the same, over the three files.
  CHECK(read_all(dir).out.starts_with(all.front()));
  CHECK(read_all(dir).out.ends_with("line 0199\n"));
}

TEST_CASE("with max-file=1 a full log is replaced", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir, {.max_size = 512, .max_file = 1});
  for (int i = 0; i < 100; ++i) w.append(LogStream::kStdout, fmt::format("line {:04d}\n", i), at(1));
  CHECK(!path_exists(dir / "ctr.log.1"));
  struct stat st;
  REQUIRE(::stat((dir / "ctr.log").c_str(), &st) == 0);
  CHECK(st.st_size < 512 + 100);
  CHECK(texts_of(dir / "ctr.log").back() == "line 0099\n");
}

TEST_CASE("a writer appends to the log of an earlier start, counting its size", "[log]") {
  TempDir dir;
  {
    LogWriter w = open_writer(dir, {.max_size = 1024, .max_file = 2});
    w.append(LogStream::kStdout, std::string(900, 'a') + "\n", at(1));  // 961 bytes
  }
  LogWriter w = open_writer(dir, {.max_size = 1024, .max_file = 2});
  w.append(LogStream::kStdout, "second\n", at(2));  // 1028 bytes now
  CHECK(texts_of(dir / "ctr.log").size() == 2);
  w.append(LogStream::kStdout, "third\n", at(3));  // the file reached 1 KiB: rotated first
  CHECK(texts_of(dir / "ctr.log") == std::vector<std::string>{"third\n"});
  CHECK(texts_of(dir / "ctr.log.1").size() == 2);
}

TEST_CASE("a symlink planted as ctr.log is neither written through nor read", "[log]") {
  TempDir dir, elsewhere;
  REQUIRE_OK(write_file_quickly(
      elsewhere / "target",
      "{\"log\":\"secret\\n\",\"stream\":\"stdout\",\"time\":\"2023-01-01T00:00:00Z\"}\n"));
  REQUIRE(::symlink((elsewhere / "target").c_str(), (dir / "ctr.log").c_str()) == 0);
  CHECK(!LogWriter::open(dir.path, {}).ok());
  CHECK(read_all(dir).out.empty());
  auto target = read_file(elsewhere / "target");
  REQUIRE(target.ok());
  CHECK(target->find("secret") != std::string::npos);
}

TEST_CASE("a failing write is reported once and never throws; later writes go on", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir);
  w.append(LogStream::kStdout, "before\n", at(1));
  // A file size limit makes write(2) fail with EFBIG, as a full disk fails it.
  struct rlimit old_limit;
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 200;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  w.append(LogStream::kStdout, std::string(300, 'x') + "\n", at(2));
  w.append(LogStream::kStdout, std::string(300, 'y') + "\n", at(3));
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  std::signal(SIGXFSZ, old_handler);
  REQUIRE(w.failure().has_value());
  CHECK(w.failure()->errnum() == EFBIG);
  CHECK(w.failure()->text().find("ctr.log") != std::string::npos);
  // The torn entry stays on a line of its own; readers skip it.
  w.append(LogStream::kStdout, "after\n", at(4));
  CHECK(read_all(dir).out == "before\nafter\n");
}

TEST_CASE("rotating in a removed folder is a reported failure, not a crash", "[log]") {
  TempDir dir;
  std::string sub = dir / "c";
  REQUIRE_OK(make_directories(sub));
  auto w = LogWriter::open(sub, {.max_size = 100, .max_file = 2});
  REQUIRE(w.ok());
  REQUIRE_OK(remove_tree(sub));
  for (int i = 0; i < 20; ++i) w->append(LogStream::kStdout, "some text on a line\n", at(i));
  w->finish(at(30));
  CHECK(w->failure().has_value());
}

TEST_CASE("log options: driver and options checked, recorded as docker's LogConfig", "[log]") {
  auto json = make_log_config_json("json-file", {"max-size=1k", "max-file=3"});
  REQUIRE_OK(json);
  CHECK(to_compact_json(*json) == R"({"Type":"json-file","Config":{"max-file":"3","max-size":"1k"}})");
  CHECK(to_compact_json(*make_log_config_json("", {})) == R"({"Type":"json-file","Config":{}})");
  CHECK(to_compact_json(*make_log_config_json("none", {})) == R"({"Type":"none","Config":{}})");

  auto bad = [](std::string driver, std::vector<std::string> opts) {
    auto r = make_log_config_json(driver, opts);
    REQUIRE(!r.ok());
    return r.error().text();
  };
  CHECK(bad("journald", {}) == "invalid --log-driver `journald`: skiff supports json-file and none");
  CHECK(bad("k8s-file", {}).find("json-file and none") != std::string::npos);
  CHECK(bad("json-file", {"compress=true"}).find("takes max-size and max-file") != std::string::npos);
  CHECK(bad("json-file", {"max-size"}).find("KEY=VALUE") != std::string::npos);
  CHECK(bad("json-file", {"max-size=0"}).find("positive size") != std::string::npos);
  CHECK(bad("json-file", {"max-size=10x"}).find("positive size") != std::string::npos);
  CHECK(bad("json-file", {"max-size=-1"}).find("positive size") != std::string::npos);
  CHECK(bad("json-file", {"max-size=1k", "max-file=0"}).find("1 or more") != std::string::npos);
  CHECK(bad("json-file", {"max-file=3"}).find("needs max-size") != std::string::npos);
  CHECK(bad("none", {"max-size=1k"}).find("none log driver takes no options") != std::string::npos);

  Json config = {{"HostConfig", {{"LogConfig", *json}}}};
  auto parsed = container_log_config(config);
  REQUIRE_OK(parsed);
  CHECK(parsed->type == "json-file");
  CHECK(parsed->max_size == 1024);
  CHECK(parsed->max_file == 3);
  config["HostConfig"]["LogConfig"]["Config"]["max-size"] = "1.5MiB";
  CHECK(container_log_config(config)->max_size == 1572864);
  config["HostConfig"]["LogConfig"]["Config"]["max-size"] = "2g";
  CHECK(container_log_config(config)->max_size == 2147483648ull);
  config["HostConfig"]["LogConfig"]["Config"]["max-size"] = 5;
  CHECK(!container_log_config(config).ok());
  // A record from before LogConfig: json-file, no limit.
  CHECK(container_log_config(Json::object())->type == "json-file");
  CHECK(container_log_config(Json::object())->max_size == 0);
}

TEST_CASE("only json-file containers without --rm keep a log", "[log]") {
  CHECK(keeps_log("json-file", false));
  CHECK(!keeps_log("json-file", true));
  CHECK(!keeps_log("none", false));
  CHECK(container_keeps_log(Json::object()));
  CHECK(!container_keeps_log(Json{{"HostConfig", {{"AutoRemove", true}}}}));
  CHECK(!container_keeps_log(Json{{"HostConfig", {{"LogConfig", {{"Type", "none"}}}}}}));
}

TEST_CASE("parse_log_entry reads a json-file line and refuses fragments", "[log]") {
  auto e = parse_log_entry(R"({"log":"hi\n","stream":"stderr","time":"2023-11-14T22:13:20.5Z"})");
  REQUIRE(e.has_value());
  CHECK(e->text == "hi\n");
  CHECK(e->stream == LogStream::kStderr);
  CHECK(e->time.tv_sec == 1700000000);
  CHECK(e->time.tv_nsec == 500000000);
  auto escaped = parse_log_entry(R"({"log":"a\\n","stream":"stdout","time":"2023-11-14T22:13:20Z"})");
  REQUIRE(escaped.has_value());
  CHECK(escaped->text == "a\\n");  // a backslash and an n, no newline
  auto quoted = parse_log_entry(R"({"log":"\"q\"\n","stream":"stdout","time":"2023-11-14T22:13:20Z"})");
  REQUIRE(quoted.has_value());
  CHECK(quoted->text == "\"q\"\n");
  // Another key order (another writer) still reads.
  auto reordered = parse_log_entry(R"({"stream":"stdout","time":"2023-11-14T22:13:20Z","log":"r\n"})");
  REQUIRE(reordered.has_value());
  CHECK(reordered->text == "r\n");
  CHECK(!parse_log_entry(R"({"log":"hi\n","stream":"stdout","ti)"));
  CHECK(!parse_log_entry(R"({"log":"hi\n","stream":"stdout","time":"2023-11-14T22:13:20Z")"));
  CHECK(!parse_log_entry(R"({"log":"hi\n","stream":"stdin","time":"2023-11-14T22:13:20Z"})"));
  CHECK(!parse_log_entry(R"({"log":1,"stream":"stdout","time":"2023-11-14T22:13:20Z"})"));
  CHECK(!parse_log_entry(R"({"log":"x","stream":"stdout","time":"yesterday"})"));
  CHECK(!parse_log_entry(""));
  CHECK(!parse_log_entry("[1]"));
}

TEST_CASE("what the writer wrote reads back the same, plain or escaped", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir);
  std::vector<std::string> texts = {"plain\n",
                                    "no newline",
                                    "\n",
                                    "a\\n literal\n",
                                    "ends in a backslash\\\n",
                                    "say \"hi\"\n",
                                    "tab\there\n",
                                    "caf\xc3\xa9 \xe2\x82\xac\n",
                                    "\x1b[1mbold\x1b[0m\n",
                                    "x\\",
                                    "{\"log\":\"nested\"}\n"};
  std::string expected;
  for (const auto& t : texts) {
    w.append(LogStream::kStderr, t, at(5, 5));
    if (t.back() != '\n') w.finish(at(5, 5));
    expected += t;
  }
  CHECK(read_all(dir).err == expected);
  // The lines a plain text makes are exactly what the JSON encoder makes.
  for (const auto& e : entries_of(dir / "ctr.log")) {
    auto line = to_compact_json(e);
    auto parsed = parse_log_entry(line);
    REQUIRE(parsed.has_value());
    CHECK(parsed->text == e["log"].get<std::string>());
  }
  auto raw = read_file(dir / "ctr.log");
  REQUIRE(raw.ok());
  CHECK(raw->starts_with(R"({"log":"plain\n","stream":"stderr","time":"1970-01-01T00:00:05.000000005Z"})"
                         "\n"));
}

TEST_CASE("the reader splits the streams and keeps their order", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir);
  w.append(LogStream::kStdout, "out 1\n", at(1));
  w.append(LogStream::kStderr, "err 1\n", at(2));
  w.append(LogStream::kStdout, "out 2\n", at(3));
  Read r = read_all(dir);
  CHECK(r.out == "out 1\nout 2\n");
  CHECK(r.err == "err 1\n");
  CHECK(r.both == "out 1\nerr 1\nout 2\n");
}

TEST_CASE("the reader: --tail counts lines over all files, newest last", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir, {.max_size = 300, .max_file = 5});
  for (int i = 0; i < 40; ++i) w.append(LogStream::kStdout, fmt::format("l{:02d}\n", i), at(100 + i));
  REQUIRE(path_exists(dir / "ctr.log.2"));
  CHECK(read_all(dir, {.tail = 3}).out == "l37\nl38\nl39\n");
  CHECK(read_all(dir, {.tail = 0}).out.empty());
  // Across files: the rotated files hold few lines each.
  std::string twelve;
  for (int i = 28; i < 40; ++i) twelve += fmt::format("l{:02d}\n", i);
  CHECK(read_all(dir, {.tail = 12}).out == twelve);
  // More than there are: everything the files still hold.
  std::string all = read_all(dir).out;
  CHECK(read_all(dir, {.tail = 1000}).out == all);
  CHECK(all.ends_with("l39\n"));
}

TEST_CASE("the reader: --since and --until select by time, inclusive", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir);
  for (int i = 0; i < 10; ++i) w.append(LogStream::kStdout, fmt::format("t{}\n", i), at(1000 + i, 500));
  CHECK(read_all(dir, {.since = at(1007)}).out == "t7\nt8\nt9\n");
  CHECK(read_all(dir, {.since = at(1007, 500)}).out == "t7\nt8\nt9\n");
  CHECK(read_all(dir, {.since = at(1007, 501)}).out == "t8\nt9\n");
  CHECK(read_all(dir, {.until = at(1002, 500)}).out == "t0\nt1\nt2\n");
  CHECK(read_all(dir, {.since = at(1003), .until = at(1005, 999)}).out == "t3\nt4\nt5\n");
  // --tail first, then the times, as docker.
  CHECK(read_all(dir, {.tail = 2, .since = at(1003)}).out == "t8\nt9\n");
  CHECK(read_all(dir, {.tail = 5, .until = at(1006, 500)}).out == "t5\nt6\n");
}

TEST_CASE("the reader: -t and --details prefix each line once", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir);
  w.append(LogStream::kStdout, "a\n", at(1700000000, 5));
  w.append(LogStream::kStdout, std::string(16384, 'x') + "y\n", at(1700000001));
  w.append(LogStream::kStderr, "e\n", at(1700000002));
  Read r = read_all(dir, {.timestamps = true});
  CHECK(r.out == "2023-11-14T22:13:20.000000005Z a\n2023-11-14T22:13:21.000000000Z " +
                     std::string(16384, 'x') + "y\n");
  CHECK(r.err == "2023-11-14T22:13:22.000000000Z e\n");
  CHECK(read_all(dir, {.details = true}).err == " e\n");
  CHECK(read_all(dir, {.timestamps = true, .details = true}).err == "2023-11-14T22:13:22.000000000Z  e\n");
}

TEST_CASE("the reader skips a torn line and waits for an unfinished last one", "[log]") {
  TempDir dir;
  REQUIRE_OK(write_file_quickly(dir / "ctr.log",
                                "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"2023-01-01T00:00:00Z\"}\n"
                                "{\"log\":\"torn\n"
                                "not json at all\n"
                                "{\"log\":\"b\\n\",\"stream\":\"stdout\",\"time\":\"2023-01-01T00:00:01Z\"}\n"
                                "{\"log\":\"c\\n\",\"stream\":\"stdout\",\"ti"));
  CHECK(read_all(dir).out == "a\nb\n");
  CHECK(read_all(dir, {.tail = 1}).out == "b\n");
}

TEST_CASE("a folder without a log reads as empty; a missing folder is an error", "[log]") {
  TempDir dir;
  CHECK(read_all(dir).out.empty());
  auto missing = read_log_files(
      dir / "nope", {}, [] { return false; }, [](LogStream, std::string_view) { return true; });
  REQUIRE(!missing.ok());
  CHECK(missing.error().text().find("nope") != std::string::npos);
}

TEST_CASE("following reads new entries and every rotated file once, in order", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir, {.max_size = 200, .max_file = 3});
  w.append(LogStream::kStdout, "first\n", at(1));
  // The reader asks whether the container runs before each catch-up: the
  // "container" writes between the reader's reads, rotating as it goes.
  int calls = 0;
  std::string expected = "first\n";
  auto running = [&] {
    ++calls;
    if (calls > 1 && calls <= 6) {
      for (int i = 0; i < 7; ++i) {
        std::string line = fmt::format("round {} line {}\n", calls, i);
        w.append(LogStream::kStdout, line, at(calls));
        expected += line;
      }
      touch_state(dir);
    }
    return calls <= 6;
  };
  std::string out;
  LogSink sink = [&](LogStream, std::string_view text) {
    out.append(text);
    return true;
  };
  REQUIRE_OK(read_log_files(dir.path, {.follow = true}, running, sink));
  CHECK(calls == 7);
  CHECK(out == expected);
}

TEST_CASE("following reads the state again on its change or once a second, not on each entry", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir);
  int calls = 0;
  auto started = std::chrono::steady_clock::now();
  auto running = [&] {
    ++calls;
    if (calls == 2) w.append(LogStream::kStdout, "late\n", at(2));  // only the log changes
    return calls < 3;
  };
  std::string out;
  REQUIRE_OK(read_log_files(dir.path, {.follow = true}, running, [&](LogStream, std::string_view text) {
    out.append(text);
    return true;
  }));
  CHECK(out == "late\n");
  CHECK(calls == 3);
  // The third look came from the one-second recheck, not the log's change.
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(900));
}

TEST_CASE("following with max-file=1 reads the replaced log from its start", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir, {.max_size = 100, .max_file = 1});
  int calls = 0;
  std::string expected;
  auto running = [&] {
    ++calls;
    if (calls == 2) {
      // Fewer lines than fill the log twice: nothing is dropped unread.
      for (int i = 0; i < 4; ++i) {
        std::string line = fmt::format("a fairly long line number {}\n", i);
        w.append(LogStream::kStdout, line, at(i));
        expected += line;
      }
      touch_state(dir);
    }
    return calls < 3;
  };
  std::string out;
  REQUIRE_OK(read_log_files(dir.path, {.follow = true}, running, [&](LogStream, std::string_view text) {
    out.append(text);
    return true;
  }));
  CHECK(out == expected);
}

TEST_CASE("following stops when the sink refuses more", "[log]") {
  TempDir dir;
  LogWriter w = open_writer(dir);
  w.append(LogStream::kStdout, "a\n", at(1));
  int sinks = 0;
  REQUIRE_OK(read_log_files(
      dir.path, {.follow = true}, [] { return true; },
      [&](LogStream, std::string_view) {
        ++sinks;
        return false;
      }));
  CHECK(sinks == 1);
}

TEST_CASE("parse_time_or_duration takes docker's --since/--until forms", "[units]") {
  struct timespec now = at(1700000000, 250000000);
  auto t = [&](std::string_view text) { return parse_time_or_duration(text, now); };
  // Durations before now.
  CHECK(t("10m")->tv_sec == 1700000000 - 600);
  CHECK(t("10m")->tv_nsec == 250000000);
  CHECK(t("1h30m")->tv_sec == 1700000000 - 5400);
  CHECK(t("1.5s")->tv_sec == 1699999998);
  CHECK(t("1.5s")->tv_nsec == 750000000);
  // RFC 3339, with and without a fraction or zone.
  CHECK(t("2023-11-14T22:13:20Z")->tv_sec == 1700000000);
  CHECK(t("2023-11-14T22:13:20.5Z")->tv_nsec == 500000000);
  CHECK(t("2023-11-14T23:13:20+01:00")->tv_sec == 1700000000);
  CHECK(t("2023-11-14T22:13Z")->tv_sec == 1700000000 - 20);
  CHECK(t("2023-11-14T22Z")->tv_sec == 1700000000 - 13 * 60 - 20);
  CHECK(t("2023-11-14Z")->tv_sec == 1699920000);
  // No zone: local time.
  struct tm local = {};
  local.tm_year = 2023 - 1900;
  local.tm_mon = 10;
  local.tm_mday = 14;
  local.tm_hour = 22;
  local.tm_min = 13;
  local.tm_sec = 20;
  local.tm_isdst = -1;
  CHECK(t("2023-11-14T22:13:20")->tv_sec == mktime(&local));
  CHECK(t("2023-11-14T22:13:20.000000001")->tv_nsec == 1);
  // Unix seconds, with a fraction; "0" is a time, not a duration.
  CHECK(t("1700000000")->tv_sec == 1700000000);
  CHECK(t("1700000000.25")->tv_nsec == 250000000);
  CHECK(t("0")->tv_sec == 0);
  // Refused.
  for (const char* bad : {"", "yesterday", "2023-13-01", "2023-11-14T25:00Z", "2023-11-14T22:13:20+0100",
                          "2023-11-14 22:13", "1700000000.", "17e8", "10 m", "2023-11-14T22:13:20Zjunk"}) {
    INFO(bad);
    CHECK_FALSE(t(bad).has_value());
  }
  CHECK(t("10")->tv_sec == 10);  // a bare number is Unix seconds, as for docker
}
