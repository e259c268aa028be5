// Volume names, driver options, filters and the records in a store.
#include <thread>

#include "engine/list_filters.h"
#include "engine/volumes.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::TempDir;

TEST_CASE("volume names follow docker's rule", "[volumes]") {
  for (std::string_view good : {"ab", "A1", "db-data_1.x", "0x"}) CHECK(check_volume_name(good).ok());
  CHECK(check_volume_name(std::string(255, 'a')).ok());
  CHECK(check_volume_name("a").error().text() ==
        "volume name is too short, names should be at least two alphanumeric characters");
  for (std::string_view bad : {"", "-ab", ".ab", "_ab", "a/b", "a b", "../x", "a:b", "ä1"})
    CHECK(check_volume_name(bad).error().text().find("includes invalid characters for a local volume name") !=
          std::string::npos);
  CHECK(check_volume_name(std::string(256, 'a')).error().text() ==
        "volume name is too long, names can have at most 255 characters");
}

TEST_CASE("the local driver takes no options without root", "[volumes]") {
  CHECK(check_volume_driver_options("local", {}).ok());
  CHECK(check_volume_driver_options("", {}).ok());
  CHECK(check_volume_driver_options("nfs", {}).error().text() ==
        "volume driver \"nfs\" is not available: skiff has only the local driver");
  CHECK(check_volume_driver_options("local", {"colour=red"}).error().text() ==
        "invalid option key: \"colour\"");
  CHECK(check_volume_driver_options("local", {"o=size=1m", "colour=red"}).error().text() ==
        "invalid option key: \"colour\"");
  CHECK(check_volume_driver_options("local", {"novalue"}).error().text() ==
        "invalid driver option `novalue`: expected KEY=VALUE");
  for (std::string opt : {"type=tmpfs", "device=tmpfs", "o=size=1m", "size=1m"})
    CHECK(check_volume_driver_options("local", {opt})
              .error()
              .text()
              .find("can't use option \"" + opt.substr(0, opt.find('=')) + "\"") != std::string::npos);
}

TEST_CASE("label flags and label filters", "[volumes]") {
  auto labels = parse_label_flags({"a=1", "b", "c=x=y"});
  REQUIRE_OK(labels);
  CHECK(*labels == Json{{"a", "1"}, {"b", ""}, {"c", "x=y"}});
  CHECK_FALSE(parse_label_flags({"=1"}).ok());

  auto filters = parse_list_filters({"label=a", "label=a=1", "label!=b=2", "name=x"}, {"label", "name"});
  REQUIRE_OK(filters);
  REQUIRE(filters->size() == 4);
  CHECK(labels_match(*labels, (*filters)[0]));
  CHECK(labels_match(*labels, (*filters)[1]));
  CHECK(labels_match(*labels, (*filters)[2]));  // b is "", not "2"
  CHECK_FALSE(labels_match(Json(), (*filters)[0]));
  CHECK(parse_list_filters({"bogus=1"}, {"label", "name"}).error().text() ==
        "invalid filter `bogus`: the filters here are label, name");
  CHECK(parse_list_filters({"name!=x"}, {"label", "name"}).error().text() ==
        "invalid filter `name!=x`: only label may be negated");
  CHECK_FALSE(parse_list_filters({"label"}, {"label"}).ok());

  CHECK(pattern_matches("db", "my-db-1"));
  CHECK(pattern_matches("^my", "my-db-1"));
  CHECK_FALSE(pattern_matches("^db", "my-db-1"));
  CHECK_FALSE(pattern_matches("(", "a(b"));  // an invalid expression matches nothing but itself
  CHECK(pattern_matches("(", "("));
}

TEST_CASE("create, load, list and filter volumes in a store", "[volumes]") {
  TempDir tmp;
  auto store = Store::open(tmp / "root", tmp / "run");
  REQUIRE_OK(store);
  auto made = create_volume(*store, {.name = "data", .labels = {"team=a"}});
  REQUIRE_OK(made);
  CHECK(made->dir == store->volumes_dir() + "/data");
  CHECK(path_exists(made->data_dir()));
  CHECK_FALSE(made->anonymous);
  // The same name again: the same volume, labels and all (docker's rule).
  auto again = create_volume(*store, {.name = "data", .labels = {"team=b"}});
  REQUIRE_OK(again);
  CHECK(again->created == made->created);
  CHECK(again->labels == Json{{"team", "a"}});

  auto anonymous = create_volume(*store, {});
  REQUIRE_OK(anonymous);
  CHECK(anonymous->name.size() == 64);
  CHECK(anonymous->name.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(anonymous->anonymous);
  CHECK(anonymous->labels == Json{{kAnonymousVolumeLabel, ""}});

  Json inspected = inspect_volume(*made);
  CHECK(inspected["Name"] == "data");
  CHECK(inspected["Driver"] == "local");
  CHECK(inspected["Scope"] == "local");
  CHECK(inspected["Mountpoint"] == made->data_dir());
  CHECK(inspected["Options"] == Json::object());
  std::string created = inspected["CreatedAt"];
  CHECK(created.size() == 20);
  CHECK(created.back() == 'Z');

  auto rows = list_volume_rows(*store, {});
  REQUIRE_OK(rows);
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0]["Name"] == std::min(anonymous->name, std::string("data")));
  auto labelled = list_volume_rows(*store, {"label=team=a"});
  REQUIRE_OK(labelled);
  REQUIRE(labelled->size() == 1);
  CHECK((*labelled)[0]["Labels"] == "team=a");
  auto named = list_volume_rows(*store, {"name=^da", "name=nothing"});
  REQUIRE_OK(named);
  CHECK(named->size() == 1);
  auto dangling = list_volume_rows(*store, {"dangling=true", "driver=local"});
  REQUIRE_OK(dangling);
  CHECK(dangling->size() == 2);  // no container uses either
  CHECK(list_volume_rows(*store, {"dangling=maybe"}).error().text() ==
        "invalid filter `dangling=maybe`: use true or false");

  CHECK(load_volume(*store, "nope").error().text() == "No such volume: nope");
  CHECK(load_volume(*store, "../root").error().text() == "No such volume: ../root");
  CHECK(create_volume(*store, {.name = "x/y"})
            .error()
            .text()
            .starts_with("create x/y: \"x/y\" includes invalid"));
  CHECK(create_volume(*store, {.name = "opts", .options = {"type=tmpfs"}})
            .error()
            .text()
            .starts_with("create opts: the local driver can't use option \"type\""));
  CHECK_FALSE(path_exists(store->volumes_dir() + "/opts"));
}

TEST_CASE("creators racing for one name all get the one volume", "[volumes]") {
  TempDir tmp;
  auto store = Store::open(tmp / "root", tmp / "run");
  REQUIRE_OK(store);
  std::vector<std::string> created(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < created.size(); ++i)
    threads.emplace_back([&, i] {
      auto v = create_volume(*store, {.name = "shared"});
      created[i] = v.ok() ? v->created : "error: " + v.error().text();
    });
  for (auto& t : threads) t.join();
  for (const auto& c : created) CHECK(c == created.front());
  CHECK_FALSE(created.front().starts_with("error"));
  // Nothing but the volume and the lock is left.
  CHECK(test::entries(store->volumes_dir()) == std::vector<std::string>{".lock", "shared"});
}

TEST_CASE("a claim removes the anonymous volumes it made unless kept", "[volumes]") {
  TempDir tmp;
  auto store = Store::open(tmp / "root", tmp / "run");
  REQUIRE_OK(store);
  std::string dropped, kept;
  {
    auto claim = VolumeClaim::begin(*store);
    REQUIRE_OK(claim);
    auto v = claim->take("", Json());
    REQUIRE_OK(v);
    dropped = v->name;
    CHECK(v->anonymous);
    auto named = claim->take("named", Json{{"k", "v"}});
    REQUIRE_OK(named);
    CHECK(named->labels == Json{{"k", "v"}});
    CHECK_FALSE(claim->take("x", Json()).ok());
  }
  CHECK_FALSE(load_volume(*store, dropped).ok());
  CHECK(load_volume(*store, "named").ok());  // a named volume stays: another creator may use it
  {
    auto claim = VolumeClaim::begin(*store);
    REQUIRE_OK(claim);
    auto v = claim->take("", Json());
    REQUIRE_OK(v);
    kept = v->name;
    claim->keep();
  }
  CHECK(load_volume(*store, kept).ok());
}
