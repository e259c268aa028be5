// Base layer: Result/Error, atomic files, locks under concurrent writers.
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "base/error.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/lock.h"
#include "base/sha256.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::TempDir;

namespace {


Result<int> half(int x) {
  if (x % 2) return make_error("{} is odd", x);
  return x / 2;
}

Result<int> quarter(int x) {
  int h = TRY(half(x));
  return TRY(std::move(half(h)).wrap("halve {}", h));
}

}  // namespace

TEST_CASE("errors carry context outward and errno last") {
  REQUIRE(quarter(8).value() == 2);
  auto r = quarter(6);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().text() == "halve 3: 3 is odd");
  Error e(ENOENT, "open `x`");
  CHECK(e.wrap("import").text() == "import: open `x`: No such file or directory");
  CHECK(e.exit_code() == 125);
}

TEST_CASE("atomic file replaces content and leaves no temporary behind") {
  TempDir dir;
  std::string path = dir.path + "/state.json";
  REQUIRE(write_file_atomically(path, "one").ok());
  REQUIRE(write_file_atomically(path, "two").ok());
  CHECK(read_file(path).value() == "two");
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  {
    auto file = AtomicFile::create(path);
    REQUIRE(file.ok());
    REQUIRE(file->write("three").ok());
    // destroyed uncommitted: the old content stays, the temp file goes
  }
  CHECK(read_file(path).value() == "two");
  CHECK(tree_disk_usage(dir.path) > 0);
  int entries = 0;
  DIR* d = opendir(dir.path.c_str());
  while (readdir(d)) entries++;
  closedir(d);
  CHECK(entries == 3);  // ., .., state.json
}

TEST_CASE("atomic write into a missing folder fails with the path") {
  auto r = write_file_atomically("/nonexistent-skiff/dir/file", "x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().errnum() == ENOENT);
  CHECK(r.error().text().find("/nonexistent-skiff/dir/") != std::string::npos);
}

TEST_CASE("concurrent writers under a lock never lose an update") {
  TempDir dir;
  std::string counter = dir.path + "/counter.json";
  std::string lock = dir.path + "/counter.lock";
  REQUIRE(write_json_atomically(counter, Json{{"n", 0}}).ok());
  constexpr int kWriters = 8, kIncrements = 50;
  for (int w = 0; w < kWriters; w++) {
    if (fork() == 0) {
      for (int i = 0; i < kIncrements; i++) {
        auto held = FileLock::acquire(lock);
        if (!held.ok()) _exit(1);
        auto doc = read_json_file(counter);
        if (!doc.ok()) _exit(2);
        (*doc)["n"] = (*doc)["n"].get<int>() + 1;
        if (!write_json_atomically(counter, *doc).ok()) _exit(3);
      }
      _exit(0);
    }
  }
  for (int w = 0; w < kWriters; w++) {
    int status = 0;
    wait(&status);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(read_json_file(counter).value()["n"] == kWriters * kIncrements);
}

TEST_CASE("readers never see a partial file while a writer replaces it") {
  TempDir dir;
  std::string path = dir.path + "/doc.json";
  std::string big(200000, 'x');
  REQUIRE(write_json_atomically(path, Json{{"v", big}}).ok());
  pid_t writer = fork();
  if (writer == 0) {
    for (int i = 0; i < 200; i++)
      if (!write_json_atomically(path, Json{{"v", big}, {"i", i}}).ok()) _exit(1);
    _exit(0);
  }
  int parsed = 0;
  for (int i = 0; i < 200; i++) {
    auto doc = read_json_file(path);
    REQUIRE(doc.ok());
    CHECK((*doc)["v"].get<std::string>().size() == big.size());
    parsed++;
  }
  int status = 0;
  waitpid(writer, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(parsed == 200);
}

TEST_CASE("try_acquire reports a lock held by another process") {
  TempDir dir;
  std::string lock = dir.path + "/l";
  auto held = FileLock::acquire(lock);
  REQUIRE(held.ok());
  pid_t child = fork();
  if (child == 0) {
    auto again = FileLock::try_acquire(lock);
    _exit(again.ok() && !again->held() ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);
  held->release();
  auto now = FileLock::try_acquire(lock);
  REQUIRE(now.ok());
  CHECK(now->held());
}

TEST_CASE("remove_tree removes read-only directories and does not follow symlinks") {
  TempDir dir;
  TempDir outside;
  REQUIRE(write_file_atomically(outside.path + "/keep", "k").ok());
  std::string tree = dir.path + "/t";
  REQUIRE(make_directories(tree + "/a/b").ok());
  REQUIRE(write_file_atomically(tree + "/a/b/f", "x").ok());
  REQUIRE(symlink(outside.path.c_str(), (tree + "/a/link").c_str()) == 0);
  REQUIRE(chmod((tree + "/a/b").c_str(), 0500) == 0);
  REQUIRE(chmod((tree + "/a").c_str(), 0500) == 0);
  REQUIRE(remove_tree(tree).ok());
  CHECK_FALSE(path_exists(tree));
  CHECK(path_exists(outside.path + "/keep"));
  CHECK(remove_tree(tree).ok());  // missing is fine
}

TEST_CASE("parse errors are values, not exceptions") {
  auto r = parse_json("{\"a\":", "image record `x`");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().text().rfind("parse image record `x`: ", 0) == 0);
  CHECK(r.error().text().find("json.exception") == std::string::npos);
}

TEST_CASE("sha256 digests") {
  CHECK(sha256_digest("") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(is_sha256_digest("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK_FALSE(is_sha256_digest("sha256:E3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK_FALSE(is_sha256_digest("sha256:abc"));
}
