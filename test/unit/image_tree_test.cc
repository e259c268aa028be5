// build/image_tree: lookups through layers without mounting them.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/fs.h"
#include "build/image_tree.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::TempDir;

namespace {

void put(const std::string& path, const std::string& content) {
  REQUIRE(make_directories(path.substr(0, path.rfind('/')), 0755).ok());
  REQUIRE(write_file_quickly(path, content, 0644).ok());
}

}  // namespace

TEST_CASE("ImageTree reads the layers top down: whiteouts, opaque folders and symlinks inside the image") {
  TempDir dir;
  std::string bottom = dir.path + "/bottom", top = dir.path + "/top";
  put(bottom + "/a/file", "bottom file");
  put(bottom + "/a/kept", "kept");
  put(bottom + "/d/old", "old");
  put(bottom + "/usr/bin/tool", "tool");
  REQUIRE(::symlink("usr/bin", (bottom + "/bin").c_str()) == 0);
  REQUIRE(::symlink("../../../../etc", (bottom + "/escape").c_str()) == 0);
  put(top + "/a/new", "new");
  put(top + "/d/fresh", "fresh");
  REQUIRE(make_directories(top + "/a", 0755).ok());
  // A whiteout hides a/file; an opaque d hides d/old. Making 0/0 character
  // devices and user xattrs needs root, as the unit tests run.
  bool privileged = ::mknod((top + "/a/file").c_str(), S_IFCHR | 0644, makedev(0, 0)) == 0 &&
                    ::setxattr((top + "/d").c_str(), "user.overlay.opaque", "y", 1, 0) == 0;
  auto tree = ImageTree::open({bottom, top});
  REQUIRE(tree.ok());

  SECTION("lookups and listings") {
    CHECK(tree->read_file("a/kept", 100).value() == "kept");
    CHECK(tree->read_file("/a/new", 100).value() == "new");
    CHECK(tree->read_file("a/none", 100).value() == "");
    if (privileged) {
      CHECK_FALSE(tree->lstat("a/file").value().has_value());
      CHECK_FALSE(tree->lstat("d/old").value().has_value());
      CHECK(tree->list("a").value() == std::vector<std::string>{"kept", "new"});
      CHECK(tree->list("d").value() == std::vector<std::string>{"fresh"});
    }
    CHECK(tree->list("").value() == std::vector<std::string>{"a", "bin", "d", "escape", "usr"});
  }

  SECTION("symlinks resolve inside the image, never above its root") {
    CHECK(tree->resolve("bin/tool").value() == "usr/bin/tool");
    CHECK(tree->read_file("bin/tool", 100).value() == "tool");
    CHECK(tree->resolve("escape").value() == "etc");
    CHECK(tree->read_file("escape/passwd", 1 << 20).value() == "");  // the image's, which it lacks
    auto st = tree->lstat("bin");
    REQUIRE(st.value().has_value());
    CHECK(S_ISLNK(st.value()->st_mode));
    CHECK(tree->read_link("bin").value() == "usr/bin");
  }

  SECTION("a symlink loop is an error") {
    REQUIRE(::symlink("loop2", (top + "/loop1").c_str()) == 0);
    REQUIRE(::symlink("loop1", (top + "/loop2").c_str()) == 0);
    auto again = ImageTree::open({bottom, top});
    CHECK_FALSE(again->resolve("loop1/x").ok());
  }
}
