// The on-disk store: folders and their modes, content-addressed blobs,
// image records and how names move between them, chain IDs, layers built
// under .tmp- and committed, and garbage collection that spares what
// another process still holds. Layer extraction runs in the containers' user
// namespace (identity as root, the /etc/subuid range otherwise).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/json.h"
#include "base/sha256.h"
#include "image/image_store.h"
#include "image/layer_store.h"
#include "image/store.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::entries;
using skiff::test::run_filter;
using skiff::test::TempDir;

namespace {

// A store in a fresh temp dir: <tmp>/root and <tmp>/run.
struct TestStore {
  TempDir tmp;
  Store store = open();

  Store open() {
    auto s = Store::open(tmp / "root", tmp / "run");
    REQUIRE_OK(s);
    return std::move(*s);
  }
};

std::vector<std::string> temp_layers(const Store& store) {
  std::vector<std::string> out;
  for (const auto& name : entries(store.layers_dir()))
    if (name.rfind(".tmp-", 0) == 0 || name.rfind(".trash-", 0) == 0) out.push_back(name);
  return out;
}

std::string hex_id(std::string_view prefix, char fill = '0') {
  return std::string(prefix) + std::string(64 - prefix.size(), fill);
}

ImageRecord record(const std::string& hex, std::vector<std::string> names,
                   std::string created = "2024-01-01T00:00:00Z") {
  ImageRecord r;
  r.id = "sha256:" + hex;
  r.names = std::move(names);
  r.created = std::move(created);
  r.layers = {"sha256:" + hex_id("1")};
  r.size = 1234;
  return r;
}

std::string sha256sum(std::string_view input) {
  return "sha256:" + run_filter("sha256sum", input).substr(0, 64);
}

// A small tar: a directory and files owned by root, as most layers are.
std::string make_tar(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string tar;
  struct archive* a = skiff::test::tar_writer_into(tar, archive_write_set_format_pax_restricted);
  for (const auto& [name, data] : files) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    bool dir = !name.empty() && name.back() == '/';
    archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, dir ? 0755 : 0644);
    archive_entry_set_size(e, dir ? 0 : int64_t(data.size()));
    archive_entry_set_mtime(e, 1600000000, 0);
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    if (!dir && !data.empty())
      REQUIRE(archive_write_data(a, data.data(), data.size()) == ssize_t(data.size()));
    archive_entry_free(e);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
  return tar;
}

LayerFeed feed_of(std::string bytes, size_t chunk = 65536) {
  return [bytes = std::move(bytes), chunk](ByteSink& sink) -> Status {
    for (size_t at = 0; at < bytes.size(); at += chunk) {
      std::string_view part = std::string_view(bytes).substr(at, chunk);
      TRY(sink.write({reinterpret_cast<const uint8_t*>(part.data()), part.size()}));
    }
    return sink.finish();
  };
}

// Everything written to stderr while alive.
class StderrCapture {
 public:
  StderrCapture() : file_(::memfd_create("stderr", MFD_CLOEXEC)), saved_(::dup(2)) {
    std::fflush(stderr);
    ::dup2(file_.get(), 2);
  }
  ~StderrCapture() { restore(); }
  std::string text() {
    restore();
    std::string out;
    char buf[4096];
    ssize_t n;
    ::lseek(file_.get(), 0, SEEK_SET);
    while ((n = ::read(file_.get(), buf, sizeof buf)) > 0) out.append(buf, n);
    return out;
  }

 private:
  void restore() {
    if (!saved_) return;
    std::fflush(stderr);
    ::dup2(saved_.get(), 2);
    saved_.reset();
  }
  UniqueFd file_;
  UniqueFd saved_;
};

}  // namespace

TEST_CASE("Store::open creates its folders 0700", "[store]") {
  TempDir tmp;
  auto store = Store::open(tmp / "deep/root", tmp / "run");
  REQUIRE_OK(store);
  CHECK(store->root() == tmp / "deep/root");
  CHECK(store->runroot() == tmp / "run");
  for (const std::string& dir :
       {store->root(), store->root() + "/blobs", store->blobs_dir(), store->layers_dir(), store->images_dir(),
        store->containers_dir(), store->volumes_dir(), store->runroot()}) {
    INFO(dir);
    struct stat st;
    REQUIRE(::lstat(dir.c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0700);
  }
  CHECK(store->blobs_dir() == store->root() + "/blobs/sha256");
  // Opening again is fine.
  CHECK(Store::open(tmp / "deep/root", tmp / "run").ok());
}

TEST_CASE("Store::open refuses a relative or empty root", "[store]") {
  for (const char* root : {"relative-skiff-store", "./x", ""}) {
    INFO("`" << root << "`");
    auto store = Store::open(root, "/nonexistent-skiff-run");
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().text().find("must be an absolute path") != std::string::npos);
  }
  CHECK_FALSE(path_exists("relative-skiff-store"));
  CHECK_FALSE(path_exists("/nonexistent-skiff-run"));
}

TEST_CASE("Store::open makes an existing runtime folder private", "[store]") {
  TempDir tmp;
  REQUIRE(::mkdir((tmp / "run").c_str(), 0755) == 0);
  REQUIRE_OK(Store::open(tmp / "root", tmp / "run"));
  struct stat st;
  REQUIRE(::lstat((tmp / "run").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
}

TEST_CASE("Store::open refuses a runtime folder that is a symlink", "[store]") {
  TempDir tmp;
  REQUIRE(::mkdir((tmp / "real").c_str(), 0700) == 0);
  REQUIRE(::symlink((tmp / "real").c_str(), (tmp / "run").c_str()) == 0);
  auto store = Store::open(tmp / "root", tmp / "run");
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().text().find("is not a directory owned by uid") != std::string::npos);
}

TEST_CASE("default_root and default_runroot follow the environment", "[store]") {
  struct SavedEnv {
    std::vector<std::pair<std::string, std::optional<std::string>>> saved;
    void set(const char* name, const char* value) {
      const char* old = std::getenv(name);
      saved.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      if (value)
        ::setenv(name, value, 1);
      else
        ::unsetenv(name);
    }
    ~SavedEnv() {
      for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
        if (it->second)
          ::setenv(it->first.c_str(), it->second->c_str(), 1);
        else
          ::unsetenv(it->first.c_str());
      }
    }
  } env;
  env.set("SKIFF_ROOT", "/custom/root");
  env.set("SKIFF_RUNROOT", "/custom/run");
  CHECK(Store::default_root() == "/custom/root");
  CHECK(Store::default_runroot() == "/custom/run");
  env.set("SKIFF_ROOT", nullptr);
  env.set("SKIFF_RUNROOT", nullptr);
  env.set("XDG_DATA_HOME", "/xdg/data");
  env.set("XDG_RUNTIME_DIR", "/run/user/1234");
  CHECK(Store::default_root() == "/xdg/data/skiff");
  CHECK(Store::default_runroot() == "/run/user/1234/skiff");
  env.set("XDG_DATA_HOME", nullptr);
  env.set("XDG_RUNTIME_DIR", nullptr);
  env.set("HOME", "/home/someone");
  CHECK(Store::default_root() == "/home/someone/.local/share/skiff");
  CHECK(Store::default_runroot() == "/tmp/skiff-" + std::to_string(::geteuid()));
}

TEST_CASE("blobs round-trip and are stored under their digest", "[store]") {
  TestStore t;
  std::string data = "{\"architecture\":\"amd64\"}";
  auto digest = t.store.write_blob(data);
  REQUIRE_OK(digest);
  CHECK(*digest == sha256sum(data));
  CHECK(t.store.blob_path(*digest) == t.store.blobs_dir() + "/" + digest->substr(7));
  struct stat st;
  REQUIRE(::lstat(t.store.blob_path(*digest).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(t.store.write_blob(data).value() == *digest);  // idempotent
  CHECK(t.store.read_blob(*digest).value() == data);
  CHECK(entries(t.store.blobs_dir()) == std::vector<std::string>{digest->substr(7)});
}

TEST_CASE("a tampered blob is detected on read", "[store]") {
  TestStore t;
  std::string digest = t.store.write_blob("original").value();
  REQUIRE(::chmod(t.store.blob_path(digest).c_str(), 0600) == 0);
  REQUIRE_OK(write_file_atomically(t.store.blob_path(digest), "tampered"));
  auto r = t.store.read_blob(digest);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().text().find("is corrupt") != std::string::npos);
  CHECK(r.error().text().find(digest) != std::string::npos);
}

TEST_CASE("reading a missing or malformed blob digest fails", "[store]") {
  TestStore t;
  auto missing = t.store.read_blob("sha256:" + hex_id("ab"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().errnum() == ENOENT);
  for (const char* bad : {"sha256:xyz", "md5:abc", "", "sha256:../../../etc/passwd"}) {
    INFO(bad);
    auto r = t.store.read_blob(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().text().find("invalid blob digest") != std::string::npos);
  }
}

TEST_CASE("remove_blob removes, and a missing blob is fine", "[store]") {
  TestStore t;
  std::string digest = t.store.write_blob("x").value();
  REQUIRE_OK(t.store.remove_blob(digest));
  CHECK_FALSE(path_exists(t.store.blob_path(digest)));
  CHECK(t.store.remove_blob(digest).ok());
}

TEST_CASE("digest_hex strips the algorithm", "[store]") {
  CHECK(digest_hex("sha256:abc") == "abc");
  CHECK(digest_hex("abc") == "abc");
}

TEST_CASE("chain_id_of matches the OCI definition", "[store]") {
  std::string a = "sha256:" + hex_id("a1", 'a');
  std::string b = "sha256:" + hex_id("b2", 'b');
  std::string c = "sha256:" + hex_id("c3", 'c');
  CHECK(chain_id_of("", a) == a);
  std::string ab = chain_id_of(a, b);
  CHECK(ab == sha256sum(a + " " + b));
  CHECK(chain_id_of(ab, c) == sha256sum(ab + " " + c));
  CHECK(chain_id_of(ab, c) != chain_id_of(a, c));
}

TEST_CASE("find_image finds by name as docker does", "[store]") {
  TestStore t;
  std::string hex = hex_id("5d");
  ImageRecord r = record(hex, {"docker.io/library/busybox:latest", "quay.io/org/tool:1.2"});
  r.digests = {"docker.io/library/busybox@sha256:" + hex_id("d1", 'e')};
  REQUIRE_OK(save_image(t.store, r));
  REQUIRE_OK(save_image(t.store, record(hex_id("99"), {"docker.io/library/other:latest"})));
  for (const std::string& name : std::vector<std::string>{
           "busybox", "busybox:latest", "docker.io/library/busybox:latest", "library/busybox",
           "docker.io/busybox", "quay.io/org/tool:1.2", "busybox@sha256:" + hex_id("d1", 'e')}) {
    INFO(name);
    auto found = find_image(t.store, name);
    REQUIRE_OK(found);
    CHECK(found->id == r.id);
  }
  auto missing_tag = find_image(t.store, "quay.io/org/tool");  // :latest is implied, and absent
  REQUIRE_FALSE(missing_tag.ok());
  CHECK(missing_tag.error().text() == "No such image: quay.io/org/tool");
}

TEST_CASE("find_image finds by full ID and by unique prefix", "[store]") {
  TestStore t;
  std::string a = hex_id("ab1"), b = hex_id("ab2"), c = hex_id("cd");
  for (const auto& hex : {a, b, c}) REQUIRE_OK(save_image(t.store, record(hex, {})));
  CHECK(find_image(t.store, "sha256:" + a).value().id == "sha256:" + a);
  CHECK(find_image(t.store, a).value().id == "sha256:" + a);
  CHECK(find_image(t.store, "ab1").value().id == "sha256:" + a);
  CHECK(find_image(t.store, "sha256:ab2").value().id == "sha256:" + b);
  CHECK(find_image(t.store, "c").value().id == "sha256:" + c);
}

TEST_CASE("an ambiguous ID prefix is an error", "[store]") {
  TestStore t;
  REQUIRE_OK(save_image(t.store, record(hex_id("ab1"), {})));
  REQUIRE_OK(save_image(t.store, record(hex_id("ab2"), {})));
  auto r = find_image(t.store, "ab");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().text().find("ambiguous") != std::string::npos);
  CHECK(r.error().text().find("`ab`") != std::string::npos);
}

TEST_CASE("a name wins over an ID prefix that looks the same", "[store]") {
  TestStore t;
  REQUIRE_OK(save_image(t.store, record(hex_id("abc"), {})));
  REQUIRE_OK(save_image(t.store, record(hex_id("de"), {"docker.io/library/abc:latest"})));
  CHECK(find_image(t.store, "abc").value().id == "sha256:" + hex_id("de"));
}

TEST_CASE("find_image says \"No such image\" when nothing matches", "[store]") {
  TestStore t;
  for (const char* text : {"x", "nope:1.0", "ffff",
                           "sha256:"
                           "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                           "Not A Reference!"}) {
    INFO(text);
    auto r = find_image(t.store, text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().text() == std::string("No such image: ") + text);
    CHECK(r.error().errnum() == 0);
  }
}

TEST_CASE("save_image takes a name away from the image that had it", "[store]") {
  TestStore t;
  std::string a = hex_id("aa"), b = hex_id("bb");
  REQUIRE_OK(save_image(t.store, record(a, {"docker.io/library/x:latest", "docker.io/library/x:1"})));
  REQUIRE_OK(save_image(t.store, record(b, {"docker.io/library/x:latest"})));
  CHECK(load_image(t.store, "sha256:" + a).value().names ==
        std::vector<std::string>{"docker.io/library/x:1"});
  CHECK(load_image(t.store, "sha256:" + b).value().names ==
        std::vector<std::string>{"docker.io/library/x:latest"});
  CHECK(find_image(t.store, "x").value().id == "sha256:" + b);
  CHECK(find_image(t.store, "x:1").value().id == "sha256:" + a);
  // Its last name taken, an image stays, dangling.
  REQUIRE_OK(save_image(t.store, record(b, {"docker.io/library/x:latest", "docker.io/library/x:1"})));
  auto dangling = load_image(t.store, "sha256:" + a);
  REQUIRE_OK(dangling);
  CHECK(dangling->names.empty());
}

TEST_CASE("image records round-trip every field", "[store]") {
  TestStore t;
  ImageRecord r = record(hex_id("12"), {"docker.io/library/a:latest"}, "2024-05-06T07:08:09.123456789Z");
  r.digests = {"docker.io/library/a@sha256:" + hex_id("34")};
  r.manifest_digest = "sha256:" + hex_id("34");
  r.layers = {"sha256:" + hex_id("56"), "sha256:" + hex_id("78")};
  r.size = 987654321;
  r.last_tag_time = "2024-06-01T00:00:00Z";
  REQUIRE_OK(save_image(t.store, r));
  ImageRecord back = load_image(t.store, r.id).value();
  CHECK(back.to_json() == r.to_json());
  struct stat st;
  REQUIRE(::lstat(t.store.image_path(r.id).c_str(), &st) == 0);
  CHECK(t.store.image_path(r.id) == t.store.images_dir() + "/" + hex_id("12") + ".json");
}

TEST_CASE("malformed image records are refused", "[store]") {
  CHECK_FALSE(ImageRecord::from_json(Json{{"names", Json::array()}}).ok());
  CHECK_FALSE(ImageRecord::from_json(Json{{"id", "sha256:short"}}).ok());
  CHECK_FALSE(ImageRecord::from_json(Json{{"id", 5}}).ok());
  CHECK_FALSE(ImageRecord::from_json(Json{{"id", "sha256:" + hex_id("1")}, {"size", "big"}}).ok());
  CHECK(ImageRecord::from_json(Json{{"id", "sha256:" + hex_id("1")}}).ok());
}

TEST_CASE("list_images lists newest first", "[store]") {
  TestStore t;
  REQUIRE_OK(save_image(t.store, record(hex_id("01"), {}, "2023-01-01T00:00:00Z")));
  REQUIRE_OK(save_image(t.store, record(hex_id("02"), {}, "2024-01-01T00:00:00Z")));
  REQUIRE_OK(save_image(t.store, record(hex_id("03"), {}, "2022-01-01T00:00:00Z")));
  auto images = list_images(t.store);
  REQUIRE_OK(images);
  REQUIRE(images->size() == 3);
  CHECK((*images)[0].id == "sha256:" + hex_id("02"));
  CHECK((*images)[1].id == "sha256:" + hex_id("01"));
  CHECK((*images)[2].id == "sha256:" + hex_id("03"));
}

TEST_CASE("list_images skips a corrupt record with a warning", "[store]") {
  TestStore t;
  REQUIRE_OK(save_image(t.store, record(hex_id("01"), {"docker.io/library/good:latest"})));
  std::string bad = hex_id("0b");
  REQUIRE_OK(write_file_atomically(t.store.images_dir() + "/" + bad + ".json", "{\"id\": "));
  REQUIRE_OK(write_file_atomically(t.store.images_dir() + "/notes.txt", "not a record"));
  StderrCapture capture;
  auto images = list_images(t.store);
  bool found = find_image(t.store, "good").ok();  // works around it too
  std::string warnings = capture.text();
  REQUIRE_OK(images);
  REQUIRE(images->size() == 1);
  CHECK((*images)[0].id == "sha256:" + hex_id("01"));
  CHECK(warnings.find("skiff: warning: skipping image record `" + bad + ".json`") != std::string::npos);
  CHECK(warnings.find("notes.txt") == std::string::npos);
  CHECK(found);
}

TEST_CASE("delete_image_record removes the record, and a missing one is fine", "[store]") {
  TestStore t;
  ImageRecord r = record(hex_id("de"), {"docker.io/library/gone:latest"});
  REQUIRE_OK(save_image(t.store, r));
  REQUIRE_OK(delete_image_record(t.store, r.id));
  CHECK_FALSE(path_exists(t.store.image_path(r.id)));
  CHECK_FALSE(find_image(t.store, "gone").ok());
  CHECK(delete_image_record(t.store, r.id).ok());
}

TEST_CASE("load_image_config reads the config blob and checks it", "[store]") {
  TestStore t;
  std::string config = R"({"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]}})";
  std::string id = t.store.write_blob(config).value();
  ImageRecord r = record(digest_hex(id), {});
  auto json = load_image_config(t.store, r);
  REQUIRE_OK(json);
  CHECK((*json)["config"]["Cmd"] == Json::array({"sh"}));
  REQUIRE_OK(write_file_atomically(t.store.blob_path(id), R"({"architecture":"arm64"})"));
  auto tampered = load_image_config(t.store, r);
  REQUIRE_FALSE(tampered.ok());
  CHECK(tampered.error().text().find("is corrupt") != std::string::npos);
}

TEST_CASE("now_rfc3339 is UTC with nanoseconds", "[store]") {
  std::string now = now_rfc3339();
  REQUIRE(now.size() == 30);  // 2024-01-02T03:04:05.123456789Z
  CHECK(now[4] == '-');
  CHECK(now[10] == 'T');
  CHECK(now[19] == '.');
  CHECK(now.back() == 'Z');
}

TEST_CASE("a pending layer is extracted, then made visible by commit", "[store]") {
  TestStore t;
  std::string tar = make_tar({{"etc/", ""}, {"etc/hostname", "box\n"}, {"bin/sh", "#!"}});
  std::string gz = run_filter("gzip -c -n", tar);
  auto pending = PendingLayer::extract(t.store, "", feed_of(gz, 1000));
  REQUIRE_OK(pending);
  const LayerRecord& rec = pending->record();
  CHECK(rec.diff_id == sha256sum(tar));
  CHECK(rec.chain_id == rec.diff_id);
  CHECK(rec.parent.empty());
  CHECK(rec.size == tar.size());
  CHECK(rec.complete);
  CHECK(pending->compression() == Compression::kGzip);
  CHECK(pending->compressed_digest() == sha256sum(gz));
  CHECK(pending->report().entries == 3);
  // Not visible before commit: only a .tmp- folder.
  CHECK_FALSE(path_exists(t.store.layer_dir(rec.chain_id)));
  REQUIRE(temp_layers(t.store).size() == 1);
  CHECK(temp_layers(t.store)[0].rfind(".tmp-", 0) == 0);
  CHECK_FALSE(load_layer(t.store, rec.chain_id).ok());
  {
    auto lock = t.store.lock();
    REQUIRE_OK(lock);
    REQUIRE_OK(pending->commit());
  }
  std::string dir = t.store.layer_dir(rec.chain_id);
  CHECK(dir == t.store.layers_dir() + "/" + digest_hex(rec.chain_id));
  Json json = read_json_file(dir + "/layer.json").value();
  CHECK(json["complete"] == true);
  CHECK(json["chain_id"] == rec.chain_id);
  CHECK(json["diff_id"] == rec.diff_id);
  CHECK(read_file(dir + "/diff/etc/hostname").value() == "box\n");
  auto loaded = load_layer(t.store, rec.chain_id);
  REQUIRE_OK(loaded);
  CHECK(loaded->size == tar.size());
  CHECK(temp_layers(t.store).empty());
  CHECK(layers_size(t.store, {rec.chain_id, "sha256:" + hex_id("f")}) == tar.size());
}

TEST_CASE("a layer on a parent gets the parent's chain in its ID", "[store]") {
  TestStore t;
  std::string parent = "sha256:" + hex_id("aa");
  std::string tar = make_tar({{"a", "1"}});
  auto pending = PendingLayer::extract(t.store, parent, feed_of(tar));
  REQUIRE_OK(pending);
  CHECK(pending->compression() == Compression::kNone);
  CHECK(pending->compressed_digest() == pending->record().diff_id);
  CHECK(pending->record().parent == parent);
  CHECK(pending->record().chain_id == sha256sum(parent + " " + sha256sum(tar)));
}

TEST_CASE("a pending layer destroyed uncommitted leaves no .tmp- folder", "[store]") {
  TestStore t;
  {
    auto pending = PendingLayer::extract(t.store, "", feed_of(make_tar({{"d/", ""}, {"d/f", "f"}})));
    REQUIRE_OK(pending);
    CHECK(temp_layers(t.store).size() == 1);
  }
  CHECK(temp_layers(t.store).empty());
  CHECK(entries(t.store.layers_dir()).empty());
}

TEST_CASE("a failed extraction leaves no .tmp- folder", "[store]") {
  TestStore t;
  SECTION("the feed fails") {
    LayerFeed feed = [](ByteSink& sink) -> Status {
      std::string part(1000, 'x');
      TRY(sink.write({reinterpret_cast<const uint8_t*>(part.data()), part.size()}));
      return make_error("connection reset");
    };
    auto pending = PendingLayer::extract(t.store, "", feed);
    REQUIRE_FALSE(pending.ok());
    CHECK(pending.error().text().find("connection reset") != std::string::npos);
  }
  SECTION("the tar leads outside") {
    auto pending =
        PendingLayer::extract(t.store, "", feed_of(make_tar({{"ok", "1"}, {"../../escape", "x"}})));
    REQUIRE_FALSE(pending.ok());
    CHECK(pending.error().text().find("leads outside the root") != std::string::npos);
    CHECK_FALSE(path_exists(t.store.layers_dir() + "/escape"));
    CHECK_FALSE(path_exists(t.store.root() + "/escape"));
  }
  SECTION("the gzip is truncated") {
    std::string gz = run_filter("gzip -c -n", make_tar({{"big", std::string(300000, 'q')}}));
    auto pending = PendingLayer::extract(t.store, "", feed_of(gz.substr(0, gz.size() / 2)));
    REQUIRE_FALSE(pending.ok());
  }
  CHECK(temp_layers(t.store).empty());
}

TEST_CASE("committing a layer that is already there keeps the first", "[store]") {
  TestStore t;
  std::string tar = make_tar({{"f", "same"}});
  auto first = PendingLayer::extract(t.store, "", feed_of(tar));
  REQUIRE_OK(first);
  REQUIRE_OK(first->commit());
  std::string dir = t.store.layer_dir(first->record().chain_id);
  struct stat before;
  REQUIRE(::lstat(dir.c_str(), &before) == 0);
  {
    auto second = PendingLayer::extract(t.store, "", feed_of(tar));
    REQUIRE_OK(second);
    CHECK(second->record().chain_id == first->record().chain_id);
    REQUIRE_OK(second->commit());
  }
  struct stat after;
  REQUIRE(::lstat(dir.c_str(), &after) == 0);
  CHECK(before.st_ino == after.st_ino);
  CHECK(temp_layers(t.store).empty());
  CHECK(load_layer(t.store, first->record().chain_id).ok());
}

TEST_CASE("load_layer refuses missing, incomplete and mislabelled layers", "[store]") {
  TestStore t;
  std::string chain = "sha256:" + hex_id("c0");
  CHECK_FALSE(load_layer(t.store, chain).ok());
  CHECK(load_layer(t.store, "not-a-digest").error().text().find("invalid layer ID") != std::string::npos);
  REQUIRE_OK(make_directories(t.store.layer_dir(chain)));
  LayerRecord r;
  r.chain_id = chain;
  r.diff_id = chain;
  r.complete = false;
  REQUIRE_OK(write_json_atomically(t.store.layer_dir(chain) + "/layer.json", r.to_json()));
  auto incomplete = load_layer(t.store, chain);
  REQUIRE_FALSE(incomplete.ok());
  CHECK(incomplete.error().text().find("incomplete") != std::string::npos);
  r.complete = true;
  r.chain_id = "sha256:" + hex_id("c1");
  REQUIRE_OK(write_json_atomically(t.store.layer_dir(chain) + "/layer.json", r.to_json()));
  CHECK_FALSE(load_layer(t.store, chain).ok());
  r.chain_id = chain;
  REQUIRE_OK(write_json_atomically(t.store.layer_dir(chain) + "/layer.json", r.to_json()));
  CHECK(load_layer(t.store, chain).ok());
}

TEST_CASE("trash_layers moves layers aside and remove_layer_trees deletes them", "[store]") {
  TestStore t;
  auto pending = PendingLayer::extract(t.store, "", feed_of(make_tar({{"d/", ""}, {"d/f", "f"}})));
  REQUIRE_OK(pending);
  REQUIRE_OK(pending->commit());
  std::string chain = pending->record().chain_id;
  auto trashed = trash_layers(t.store, {chain, "sha256:" + hex_id("77")});
  REQUIRE_OK(trashed);
  REQUIRE(trashed->size() == 1);  // the missing one is skipped
  CHECK((*trashed)[0].rfind(t.store.layers_dir() + "/.trash-", 0) == 0);
  CHECK_FALSE(path_exists(t.store.layer_dir(chain)));
  CHECK(layers_size(t.store, {chain}) == 0);
  REQUIRE_OK(remove_layer_trees(*trashed));
  CHECK(entries(t.store.layers_dir()).empty());
}

TEST_CASE("collect_garbage removes abandoned layers but not one another process holds", "[store]") {
  TestStore t;
  std::string dead = t.store.layers_dir() + "/.tmp-dead";
  std::string trash = t.store.layers_dir() + "/.trash-old";
  std::string live = t.store.layers_dir() + "/.tmp-live";
  for (const std::string& dir : {dead + "/diff/etc", trash + "/diff", live + "/diff"})
    REQUIRE_OK(make_directories(dir, 0755));
  REQUIRE_OK(write_file_atomically(dead + "/diff/etc/f", "x"));
  REQUIRE_OK(write_file_atomically(live + "/diff/g", "y"));

  // A child holds the flock on .tmp-live until we close its pipe.
  int ready[2], release[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(release, O_CLOEXEC) == 0);
  pid_t holder = ::fork();
  REQUIRE(holder >= 0);
  if (holder == 0) {
    ::close(ready[0]);
    ::close(release[1]);
    int fd = ::open(live.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) ::_exit(1);
    if (::write(ready[1], "l", 1) != 1) ::_exit(2);
    char c;
    while (::read(release[0], &c, 1) > 0) {
    }
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(release[0]);
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  ::close(ready[0]);

  Status collected = t.store.collect_garbage();
  std::vector<std::string> left = entries(t.store.layers_dir());
  ::close(release[1]);
  int status = 0;
  ::waitpid(holder, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  REQUIRE_OK(collected);
  CHECK(left == std::vector<std::string>{".tmp-live"});
  CHECK(read_file(live + "/diff/g").value() == "y");
  // Once released, the next collection takes it too.
  REQUIRE_OK(t.store.collect_garbage());
  CHECK(entries(t.store.layers_dir()).empty());
}

TEST_CASE("collect_garbage removes stale temporary files only", "[store]") {
  TestStore t;
  std::string stale = t.store.blobs_dir() + "/.tmp-blob-1234";
  std::string fresh = t.store.images_dir() + "/.tmp-record-5678";
  std::string old_image = t.store.images_dir() + "/.tmp-record-0000";
  REQUIRE_OK(write_file_atomically(stale, "s"));
  REQUIRE_OK(write_file_atomically(fresh, "f"));
  REQUIRE_OK(write_file_atomically(old_image, "o"));
  struct timespec hour_ago[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
  REQUIRE(::utimensat(AT_FDCWD, stale.c_str(), hour_ago, 0) == 0);
  REQUIRE(::utimensat(AT_FDCWD, old_image.c_str(), hour_ago, 0) == 0);
  std::string blob = t.store.write_blob("kept").value();
  REQUIRE(::utimensat(AT_FDCWD, t.store.blob_path(blob).c_str(), hour_ago, 0) == 0);
  REQUIRE_OK(t.store.collect_garbage());
  CHECK_FALSE(path_exists(stale));
  CHECK_FALSE(path_exists(old_image));
  CHECK(path_exists(fresh));
  CHECK(t.store.read_blob(blob).ok());
}

TEST_CASE("layer records round-trip through JSON", "[store]") {
  LayerRecord r;
  r.chain_id = "sha256:" + hex_id("c");
  r.diff_id = "sha256:" + hex_id("d");
  r.parent = "sha256:" + hex_id("e");
  r.size = 42;
  r.complete = true;
  LayerRecord back = LayerRecord::from_json(r.to_json()).value();
  CHECK(back.to_json() == r.to_json());
  CHECK_FALSE(LayerRecord::from_json(Json{{"diff_id", "x"}}).ok());
}
