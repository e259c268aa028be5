// Paths inside a root someone else controls: whatever symlinks and ".." the
// tree holds, an opened or created directory is inside the root. Every walk
// case runs twice, with the kernel's openat2(RESOLVE_IN_ROOT) and with the
// fallback walk (GENERATE), and compares device and inode of what was opened
// with the directory expected inside the root.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <dirent.h>
#include <string>
#include <vector>

#include "base/fs.h"
#include "linux/path_in_root.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::TempDir;
using skiff::test::WalkMode;
using skiff::test::entries;


namespace {

// True when `fd` is the directory at `path` (same device and inode).
bool is_same_directory(int fd, const std::string& path) {
  struct stat a, b;
  if (::fstat(fd, &a) != 0 || ::lstat(path.c_str(), &b) != 0) return false;
  return S_ISDIR(a.st_mode) && S_ISDIR(b.st_mode) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}


// A root full of traps, and a directory next to it that must stay untouched:
//   root/dir/sub/            real directories
//   root/dir/up         -> ../../..
//   root/dir/sibling    -> sub
//   root/file                a regular file
//   root/to_file        -> file
//   root/abs_root       -> /
//   root/abs_dir        -> /dir
//   root/abs_out        -> <tmp>/outside     (absolute path of the neighbour)
//   root/rel_up         -> ../../../..
//   root/rel_out        -> ../outside
//   root/chain          -> dir/../abs_root/dir/sub
//   root/loop1 <-> root/loop2, root/self -> self
//   root/dangling       -> /made/here
//   <tmp>/outside/secret/
struct HostileRoot {
  TempDir tmp;
  std::string root = tmp / "root";
  std::string outside = tmp / "outside";
  UniqueFd fd;

  HostileRoot() {
    for (const std::string& d : {root, root + "/dir", root + "/dir/sub", outside, outside + "/secret"})
      REQUIRE(::mkdir(d.c_str(), 0755) == 0);
    REQUIRE_OK(write_file_atomically(root + "/file", "x"));
    link("../../..", "dir/up");
    link("sub", "dir/sibling");
    link("file", "to_file");
    link("/", "abs_root");
    link("/dir", "abs_dir");
    link(outside, "abs_out");
    link("../../../..", "rel_up");
    link("../outside", "rel_out");
    link("dir/../abs_root/dir/sub", "chain");
    link("loop2", "loop1");
    link("loop1", "loop2");
    link("self", "self");
    link("/made/here", "dangling");
    fd = UniqueFd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(fd);
  }

  void link(const std::string& target, const std::string& name) {
    REQUIRE(::symlink(target.c_str(), (root + "/" + name).c_str()) == 0);
  }

  // Opens `rel` and checks it is `expected` (relative to the root).
  void check_opens(std::string_view rel, const std::string& expected) {
    INFO("open `" << rel << "`, expecting root/" << expected);
    auto opened = open_directory_in_root(fd.get(), rel);
    REQUIRE_OK(opened);
    CHECK(is_same_directory(opened->get(), expected.empty() ? root : root + "/" + expected));
  }

  void check_fails(std::string_view rel, int errnum) {
    INFO("open `" << rel << "`");
    auto opened = open_directory_in_root(fd.get(), rel);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().errnum() == errnum);
  }

  // The neighbour holds only what it held before.
  void check_outside_untouched() {
    CHECK(entries(outside) == std::vector<std::string>{"secret"});
    CHECK(entries(outside + "/secret").empty());
    CHECK(entries(tmp.path) == std::vector<std::string>{"outside", "root"});
  }
};

}  // namespace

TEST_CASE("clean_relative_path drops leading slashes, dots and empty components", "[paths]") {
  CHECK(clean_relative_path("a/b").value() == "a/b");
  CHECK(clean_relative_path("/a/b").value() == "a/b");
  CHECK(clean_relative_path("./a/b").value() == "a/b");
  CHECK(clean_relative_path("a//b").value() == "a/b");
  CHECK(clean_relative_path("//a///b//").value() == "a/b");
  CHECK(clean_relative_path("a/b/").value() == "a/b");
  CHECK(clean_relative_path("a/./b/.").value() == "a/b");
  CHECK(clean_relative_path(".wh..wh..opq").value() == ".wh..wh..opq");
  CHECK(clean_relative_path("...").value() == "...");
}

TEST_CASE("clean_relative_path gives \"\" for the root itself", "[paths]") {
  CHECK(clean_relative_path("").value() == "");
  CHECK(clean_relative_path("/").value() == "");
  CHECK(clean_relative_path("./").value() == "");
  CHECK(clean_relative_path(".").value() == "");
  CHECK(clean_relative_path("a/..").value() == "");
}

TEST_CASE("clean_relative_path applies \"..\" inside the path", "[paths]") {
  CHECK(clean_relative_path("a/b/../c").value() == "a/c");
  CHECK(clean_relative_path("a/../b").value() == "b");
  CHECK(clean_relative_path("/a/b/../../c/").value() == "c");
}

TEST_CASE("clean_relative_path refuses paths that climb above the root", "[paths]") {
  for (const char* path : {"..", "../x", "/../x", "./../x", "a/../../x", "a/b/../../..", "../../../etc/passwd"}) {
    INFO(path);
    auto r = clean_relative_path(path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().text().find("leads outside the root") != std::string::npos);
    CHECK(r.error().text().find(path) != std::string::npos);
  }
}

TEST_CASE("open_directory_in_root opens plain directories and the root", "[paths]") {
  bool fallback = GENERATE(false, true);
  INFO("fallback walk: " << fallback);
  WalkMode mode(fallback);
  HostileRoot t;
  t.check_opens("", "");
  t.check_opens(".", "");
  t.check_opens("dir", "dir");
  t.check_opens("dir/sub", "dir/sub");
  t.check_opens("dir/./sub/", "dir/sub");
  t.check_opens("dir/sibling", "dir/sub");  // relative link: from the link's folder
  t.check_fails("dir/missing", ENOENT);
}

TEST_CASE("an absolute symlink to / leads to the root, not the host's /", "[paths]") {
  bool fallback = GENERATE(false, true);
  INFO("fallback walk: " << fallback);
  WalkMode mode(fallback);
  HostileRoot t;
  t.check_opens("abs_root", "");
  t.check_opens("abs_root/dir/sub", "dir/sub");
  t.check_opens("abs_dir/sub", "dir/sub");
  t.check_opens("abs_root/abs_root/abs_dir", "dir");
  // The host has /proc and /etc; the root does not.
  t.check_fails("abs_root/proc", ENOENT);
  t.check_fails("abs_root/etc", ENOENT);
}

TEST_CASE("an absolute symlink to an outside directory resolves inside the root", "[paths]") {
  bool fallback = GENERATE(false, true);
  INFO("fallback walk: " << fallback);
  WalkMode mode(fallback);
  HostileRoot t;
  t.check_fails("abs_out", ENOENT);
  t.check_fails("abs_out/secret", ENOENT);
  // Once the same path exists inside the root, that is what opens.
  std::string inner = t.root + t.outside;
  REQUIRE_OK(make_directories(inner + "/secret", 0755));
  t.check_opens("abs_out/secret", t.outside.substr(1) + "/secret");
  t.check_outside_untouched();
}

TEST_CASE("relative ../ symlinks stop at the root", "[paths]") {
  bool fallback = GENERATE(false, true);
  INFO("fallback walk: " << fallback);
  WalkMode mode(fallback);
  HostileRoot t;
  t.check_opens("rel_up", "");
  t.check_opens("rel_up/dir/sub", "dir/sub");
  t.check_opens("dir/up", "");
  t.check_opens("dir/up/dir", "dir");
  t.check_opens("dir/sub/../up/../dir/sub", "dir/sub");
  t.check_opens("chain", "dir/sub");
  // ../outside is the neighbour on the host, nothing inside the root.
  t.check_fails("rel_out", ENOENT);
  t.check_fails("dir/up/../outside", ENOENT);
  t.check_fails("rel_up/../outside/secret", ENOENT);
}

TEST_CASE("\"..\" at the root stays at the root", "[paths]") {
  bool fallback = GENERATE(false, true);
  INFO("fallback walk: " << fallback);
  WalkMode mode(fallback);
  HostileRoot t;
  t.check_opens("..", "");
  t.check_opens("../..", "");
  t.check_opens("../../dir", "dir");
  t.check_opens("dir/../../..", "");
  t.check_fails("../outside", ENOENT);
  t.check_fails("../../outside/secret", ENOENT);
}

TEST_CASE("symlink loops fail with ELOOP", "[paths]") {
  bool fallback = GENERATE(false, true);
  INFO("fallback walk: " << fallback);
  WalkMode mode(fallback);
  HostileRoot t;
  t.check_fails("loop1", ELOOP);
  t.check_fails("self", ELOOP);
  t.check_fails("dir/up/loop2/x", ELOOP);
  auto made = make_directories_in_root(t.fd.get(), "loop1/new", 0755);
  REQUIRE_FALSE(made.ok());
  CHECK(made.error().errnum() == ELOOP);
}

TEST_CASE("a file where a directory is wanted fails with ENOTDIR", "[paths]") {
  bool fallback = GENERATE(false, true);
  INFO("fallback walk: " << fallback);
  WalkMode mode(fallback);
  HostileRoot t;
  t.check_fails("file", ENOTDIR);
  t.check_fails("to_file", ENOTDIR);
  t.check_fails("file/x", ENOTDIR);
  t.check_fails("to_file/x", ENOTDIR);
  auto made = make_directories_in_root(t.fd.get(), "to_file/new", 0755);
  REQUIRE_FALSE(made.ok());
  CHECK(made.error().errnum() == ENOTDIR);
  struct stat st;
  REQUIRE(::lstat((t.root + "/file").c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
}

TEST_CASE("make_directories_in_root creates what is missing with the mode", "[paths]") {
  bool fallback = GENERATE(false, true);
  INFO("fallback walk: " << fallback);
  WalkMode mode(fallback);
  HostileRoot t;
  mode_t old_umask = ::umask(022);
  auto made = make_directories_in_root(t.fd.get(), "a/b/c", 0750);
  ::umask(old_umask);
  REQUIRE_OK(made);
  CHECK(is_same_directory(made->get(), t.root + "/a/b/c"));
  for (const char* d : {"/a", "/a/b", "/a/b/c"}) {
    INFO(d);
    struct stat st;
    REQUIRE(::lstat((t.root + d).c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0750);
  }
  // Existing directories are opened as they are.
  auto again = make_directories_in_root(t.fd.get(), "dir/sub", 0700);
  REQUIRE_OK(again);
  CHECK(is_same_directory(again->get(), t.root + "/dir/sub"));
  auto root = make_directories_in_root(t.fd.get(), "", 0700);
  REQUIRE_OK(root);
  CHECK(is_same_directory(root->get(), t.root));
}

TEST_CASE("make_directories_in_root through hostile symlinks creates inside the root", "[paths]") {
  bool fallback = GENERATE(false, true);
  INFO("fallback walk: " << fallback);
  WalkMode mode(fallback);
  HostileRoot t;
  struct Case {
    const char* rel;
    std::string expected;  // relative to the root
  };
  std::vector<Case> cases = {
      {"abs_root/n1", "n1"},
      {"rel_up/n2", "n2"},
      {"dir/up/n3", "n3"},
      {"../n4", "n4"},
      {"rel_out/n5", "outside/n5"},
      {"abs_out/secret/n6", t.outside.substr(1) + "/secret/n6"},
      {"dangling/x", "made/here/x"},
      {"abs_dir/n7", "dir/n7"},
  };
  for (const auto& c : cases) {
    INFO("create `" << c.rel << "`, expecting root/" << c.expected);
    auto made = make_directories_in_root(t.fd.get(), c.rel, 0755);
    REQUIRE_OK(made);
    CHECK(is_same_directory(made->get(), t.root + "/" + c.expected));
  }
  t.check_outside_untouched();
  // The symlinks are still symlinks: nothing was replaced on the way.
  struct stat st;
  REQUIRE(::lstat((t.root + "/dangling").c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
}

TEST_CASE("the fallback walk gives the same answers as openat2", "[paths]") {
  HostileRoot t;
  for (const char* rel : {"", "dir", "dir/sub", "abs_root/dir", "rel_up/dir/sub", "dir/up", "chain", "..",
                          "dir/sibling"}) {
    INFO(rel);
    ino_t inode[2] = {0, 0};
    for (bool fallback : {false, true}) {
      WalkMode mode(fallback);
      auto opened = open_directory_in_root(t.fd.get(), rel);
      REQUIRE_OK(opened);
      struct stat st;
      REQUIRE(::fstat(opened->get(), &st) == 0);
      inode[fallback] = st.st_ino;
    }
    CHECK(inode[0] == inode[1]);
  }
}

TEST_CASE("real_path_in_root expands every symlink inside the root", "[paths]") {
  HostileRoot t;
  auto real = [&](std::string_view rel) {
    INFO("real path of `" << rel << "`");
    auto path = real_path_in_root(t.fd.get(), rel);
    REQUIRE_OK(path);
    return *path;
  };
  CHECK(real("") == "");
  CHECK(real("dir/sub") == "dir/sub");
  CHECK(real("/dir//./sub/") == "dir/sub");
  CHECK(real("to_file") == "file");
  CHECK(real("abs_root") == "");
  CHECK(real("abs_root/dir/sibling") == "dir/sub");
  CHECK(real("abs_dir/sub") == "dir/sub");
  CHECK(real("chain") == "dir/sub");
  CHECK(real("dir/up") == "");
  CHECK(real("rel_up/dir") == "dir");
  CHECK(real("../../dir/../file") == "file");
  // An outside path is only a name inside the root, missing there.
  CHECK(real("abs_out/secret") == t.outside.substr(1) + "/secret");
  CHECK(real("rel_out/secret") == "outside/secret");
  // Missing components are kept; ".." after them is applied to them.
  CHECK(real("dangling") == "made/here");
  CHECK(real("dir/new/deeper/../x") == "dir/new/x");
  CHECK(real("dir/new/../../file") == "file");
  t.check_outside_untouched();
}

TEST_CASE("real_path_in_root refuses loops and names below a file", "[paths]") {
  HostileRoot t;
  auto fails = [&](std::string_view rel, int errnum) {
    INFO("real path of `" << rel << "`");
    auto path = real_path_in_root(t.fd.get(), rel);
    REQUIRE_FALSE(path.ok());
    CHECK(path.error().errnum() == errnum);
  };
  fails("loop1", ELOOP);
  fails("self/x", ELOOP);
  fails("file/x", ENOTDIR);
  fails("to_file/x", ENOTDIR);
}
