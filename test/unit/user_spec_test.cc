// `-u/--user` and `--group-add` resolved against an image's passwd and group
// text as docker resolves them, and the two files read from an image root
// without ever reaching the host's /etc. The in-root cases run twice: with
// openat2(RESOLVE_IN_ROOT) and with the fallback walk (GENERATE).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>
#include <vector>

#include "base/fs.h"
#include "image/user_spec.h"
#include "linux/path_in_root.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::TempDir;

namespace {

using Gids = std::vector<uint32_t>;

// A small image: duplicates, a numerically named user and group, a member
// list with blanks, a user whose uid is taken again later.
constexpr std::string_view kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
    "bob:x:1001:1001::/home/bob:/bin/sh\n"
    "nohome:x:1002:1002::::\n"
    "1337:x:4000:4000::/home/numeric:/bin/sh\n"
    "alice:x:2000:2000:second alice:/home/alice2:/bin/sh\n"
    "dupuid:x:1000:3000::/home/dupuid:/bin/sh\n";

constexpr std::string_view kGroup =
    "root:x:0:root\n"
    "daemon:x:1:\n"
    "alice:x:1000:\n"
    "bob:x:1001:\n"
    "wheel:x:10:root\n"
    "audio:x:29:alice\n"
    "video:x:44: bob , alice\n"
    "staff:x:50:alice,bob\n"
    "staff:x:51:alice\n"
    "1234:x:60:\n";

struct Case {
  std::string spec;
  std::vector<std::string> extra;
  uint32_t uid, gid;
  Gids additional;
  std::string home, name;
};

struct ErrorCase {
  std::string spec;
  std::vector<std::string> extra;
  std::string message;
};

const std::string kRange = "uids and gids must be in range 0-2147483647";

void check(const Result<ExecUser>& r, const Case& c) {
  INFO("spec `" << c.spec << "`, " << c.extra.size() << " extra groups");
  REQUIRE_OK(r);
  CHECK(r->uid == c.uid);
  CHECK(r->gid == c.gid);
  CHECK(r->additional_gids == c.additional);
  CHECK(r->home == c.home);
  CHECK(r->name == c.name);
}

void check_error(const Result<ExecUser>& r, const ErrorCase& c) {
  INFO("spec `" << c.spec << "`");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().text() == c.message);
}

// Selects openat2 or the fallback walk for one test, and always resets.
class WalkMode {
 public:
  explicit WalkMode(bool fallback) { force_path_walk_fallback(fallback); }
  ~WalkMode() { force_path_walk_fallback(false); }
};

// An image root next to a directory that plays "the host": whatever leaks
// out of the root would read `outside`, whose passwd has a user `evil`.
struct ImageRoot {
  TempDir tmp;
  std::string root = tmp / "root";
  std::string outside = tmp / "outside";
  UniqueFd fd;

  ImageRoot() {
    for (const std::string& d : {root, outside}) REQUIRE(::mkdir(d.c_str(), 0755) == 0);
    REQUIRE_OK(write_file_atomically(outside + "/passwd", "evil:x:666:666::/evil:/bin/sh\n", 0644));
    REQUIRE_OK(write_file_atomically(outside + "/group", "evil:x:666:alice\n", 0644));
    fd = UniqueFd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(fd.valid());
  }
  void mkdir(const std::string& rel) const { REQUIRE(::mkdir((root + "/" + rel).c_str(), 0755) == 0); }
  void write(const std::string& rel, std::string_view content) const {
    REQUIRE_OK(write_file_atomically(root + "/" + rel, content, 0644));
  }
  void link(const std::string& target, const std::string& rel) const {
    REQUIRE(::symlink(target.c_str(), (root + "/" + rel).c_str()) == 0);
  }
  Result<ExecUser> resolve(std::string_view spec, const std::vector<std::string>& extra = {}) const {
    return resolve_exec_user_in_root(fd.get(), spec, extra);
  }
};

}  // namespace

TEST_CASE("resolve_exec_user resolves every form of spec as docker does", "[user]") {
  const std::vector<Case> cases = {
      // "" is the image's default: uid 0, looked up like "0".
      {"", {}, 0, 0, {10}, "/root", "root"},
      {"root", {}, 0, 0, {10}, "/root", "root"},
      {"0", {}, 0, 0, {10}, "/root", "root"},
      // A name: passwd's uid, gid and home; every group listing the name.
      {"alice", {}, 1000, 1000, {29, 44, 50, 51}, "/home/alice", "alice"},
      {"bob", {}, 1001, 1001, {44, 50}, "/home/bob", "bob"},
      {"daemon", {}, 1, 1, {}, "/usr/sbin", "daemon"},
      // A number is a uid, never a name; the first line with it wins.
      {"1000", {}, 1000, 1000, {29, 44, 50, 51}, "/home/alice", "alice"},
      {"4000", {}, 4000, 4000, {}, "/home/numeric", "1337"},
      {"1337", {}, 1337, 0, {}, "/", ""},
      {"2000", {}, 2000, 2000, {29, 44, 50, 51}, "/home/alice2", "alice"},  // memberships go by name
      {"+1000", {}, 1000, 1000, {29, 44, 50, 51}, "/home/alice", "alice"},
      {"0001000", {}, 1000, 1000, {29, 44, 50, 51}, "/home/alice", "alice"},
      {"2147483647", {}, 2147483647, 0, {}, "/", ""},
      // An empty home field is unknown: "/".
      {"nohome", {}, 1002, 1002, {}, "/", "nohome"},
      // An explicit group replaces the gid and drops the memberships.
      {"alice:staff", {}, 1000, 50, {}, "/home/alice", "alice"},
      {"alice:audio", {}, 1000, 29, {}, "/home/alice", "alice"},
      {"alice:60", {}, 1000, 60, {}, "/home/alice", "alice"},
      {"alice:1234", {}, 1000, 1234, {}, "/home/alice", "alice"},  // by gid, not the group named 1234
      {"alice:99", {}, 1000, 99, {}, "/home/alice", "alice"},
      {"alice:0", {}, 1000, 0, {}, "/home/alice", "alice"},
      {"1000:1000", {}, 1000, 1000, {}, "/home/alice", "alice"},
      {"1337:audio", {}, 1337, 29, {}, "/", ""},
      {"9999:9999", {}, 9999, 9999, {}, "/", ""},
      {"alice:", {}, 1000, 1000, {29, 44, 50, 51}, "/home/alice", "alice"},
      {":staff", {}, 0, 50, {}, "/root", "root"},
      // --group-add: names and numbers, added in every form, gid left out.
      {"alice", {"wheel"}, 1000, 1000, {10, 29, 44, 50, 51}, "/home/alice", "alice"},
      {"alice", {"12345", "staff", "1000"}, 1000, 1000, {29, 44, 50, 51, 12345}, "/home/alice", "alice"},
      {"1337", {"audio", "7", "7"}, 1337, 0, {7, 29}, "/", ""},
      {"alice:staff", {"audio", "50"}, 1000, 50, {29}, "/home/alice", "alice"},
      {"1337", {"1234"}, 1337, 0, {1234}, "/", ""},
      {"", {"0"}, 0, 0, {10}, "/root", "root"},
  };
  for (const Case& c : cases) check(resolve_exec_user(c.spec, kPasswd, kGroup, c.extra), c);
}

TEST_CASE("resolve_exec_user fails with docker's messages", "[user]") {
  const std::vector<ErrorCase> cases = {
      {"nobody", {}, "unable to find user nobody: no matching entries in passwd file"},
      {"1000x", {}, "unable to find user 1000x: no matching entries in passwd file"},
      {"a:b:c", {}, "unable to find user a: no matching entries in passwd file"},
      {"Alice", {}, "unable to find user Alice: no matching entries in passwd file"},
      {"alice:nogroup", {}, "unable to find group nogroup: no matching entries in group file"},
      {"alice:b:c", {}, "unable to find group b:c: no matching entries in group file"},
      {"1337:nogroup", {}, "unable to find group nogroup: no matching entries in group file"},
      {"alice", {"audio", "nosuch"}, "unable to find group nosuch: no matching entries in group file"},
      {"alice", {""}, "unable to find group : no matching entries in group file"},
      // Out of range: refused before any lookup.
      {"2147483648", {}, kRange},
      {"4294967295", {}, kRange},
      {"4294967296", {}, kRange},
      {"99999999999999999999", {}, kRange},
      {"99999999999999999999x", {}, kRange},  // strconv.Atoi reports the overflow first
      {"-1", {}, kRange},
      {"alice:-5", {}, kRange},
      {"alice:2147483648", {}, kRange},
      {"nobody:2147483648", {}, kRange},
      {"alice", {"audio", "4294967296"}, kRange},
      {"alice", {"nosuch", "-1"}, kRange},  // every --group-add item is range-checked first
  };
  for (const ErrorCase& c : cases) check_error(resolve_exec_user(c.spec, kPasswd, kGroup, c.extra), c);
}

TEST_CASE("resolve_exec_user with missing passwd and group files", "[user]") {
  check(resolve_exec_user("", "", ""), {"", {}, 0, 0, {}, "/", ""});
  check(resolve_exec_user("1000", "", ""), {"1000", {}, 1000, 0, {}, "/", ""});
  check(resolve_exec_user("1000:1000", "", ""), {"1000:1000", {}, 1000, 1000, {}, "/", ""});
  check(resolve_exec_user("1000", "", "", {"5", "3"}), {"1000", {"5", "3"}, 1000, 0, {3, 5}, "/", ""});
  check_error(resolve_exec_user("alice", "", ""),
              {"alice", {}, "unable to find user alice: no matching entries in passwd file"});
  // passwd but no group: the user is found, a named group is not.
  check(resolve_exec_user("alice", kPasswd, ""), {"alice", {}, 1000, 1000, {}, "/home/alice", "alice"});
  check_error(resolve_exec_user("alice:staff", kPasswd, ""),
              {"alice:staff", {}, "unable to find group staff: no matching entries in group file"});
  check_error(resolve_exec_user("alice", kPasswd, "", {"wheel"}),
              {"alice", {"wheel"}, "unable to find group wheel: no matching entries in group file"});
}

TEST_CASE("resolve_exec_user skips blank, comment and malformed lines", "[user]") {
  // Each bad line comes before root's, where runc (a bad number reads as 0)
  // would have taken it for uid 0.
  const std::string passwd =
      "\n"
      "   \n"
      "# comment:x:0:0::/comment:/bin/sh\n"
      "+::::::\n"
      "short:x:0\n"
      "badid:x:abc:0::/bad:/bin/sh\n"
      "badgid:x:0:zz::/bad:/bin/sh\n"
      ":x:0:0::/noname:/bin/sh\n"
      "huge:x:3000000000:0::/huge:/bin/sh\n"
      "neg:x:-1:0::/neg:/bin/sh\n"
      "   spaced:x:7:8::/spaced:/bin/sh   \r\n"
      "crlf:x:9:9::/home/crlf:/bin/sh\r\n"
      "fields4:x:11:12\n"
      "root:x:0:0:root:/root:/bin/sh\n"
      "no newline at end:x:13:13::/last:";
  const std::string group =
      "# wheel:x:10:spaced\n"
      "bad:x:notanumber:spaced\n"
      ":x:11:spaced\n"
      "short:x\n"
      "big:x:3000000000:spaced\n"
      "\t\n"
      "ok:x:12:spaced\n"
      "nolist:x:13\n"
      "empties:x:14:,, ,spaced,\n"
      "tabs:x:15:\tspaced\t,crlf\r\n";
  const std::vector<Case> cases = {
      {"", {}, 0, 0, {}, "/root", "root"},
      {"spaced", {}, 7, 8, {12, 14, 15}, "/spaced", "spaced"},
      {"crlf", {}, 9, 9, {15}, "/home/crlf", "crlf"},
      {"fields4", {}, 11, 12, {}, "/", "fields4"},
      {"no newline at end", {}, 13, 13, {}, "/last", "no newline at end"},
      {"spaced:nolist", {}, 7, 13, {}, "/spaced", "spaced"},
      {"spaced:11", {}, 7, 11, {}, "/spaced", "spaced"},  // the nameless group line is gone
  };
  for (const Case& c : cases) check(resolve_exec_user(c.spec, passwd, group, c.extra), c);
  for (std::string name : {"short", "badid", "badgid", "huge", "neg", "+", "# comment"}) {
    check_error(resolve_exec_user(name, passwd, group),
                {name, {}, "unable to find user " + name + ": no matching entries in passwd file"});
  }
  for (std::string name : {"bad", "big", "short", "# wheel"}) {
    check_error(resolve_exec_user("spaced:" + name, passwd, group),
                {name, {}, "unable to find group " + name + ": no matching entries in group file"});
  }
}

TEST_CASE("resolve_exec_user takes the first of duplicate entries", "[user]") {
  const std::string passwd =
      "app:x:100:100::/first:/bin/sh\n"
      "app:x:200:200::/second:/bin/sh\n"
      "other:x:100:300::/other:/bin/sh\n";
  const std::string group =
      "grp:x:500:\n"
      "grp:x:600:app\n"
      "again:x:500:app\n";
  check(resolve_exec_user("app", passwd, group), {"app", {}, 100, 100, {500, 600}, "/first", "app"});
  check(resolve_exec_user("100", passwd, group), {"100", {}, 100, 100, {500, 600}, "/first", "app"});
  check(resolve_exec_user("200", passwd, group), {"200", {}, 200, 200, {500, 600}, "/second", "app"});
  check(resolve_exec_user("app:grp", passwd, group), {"app:grp", {}, 100, 500, {}, "/first", "app"});
  check(resolve_exec_user("other", passwd, group, {"grp"}), {"other", {"grp"}, 100, 300, {500}, "/other", "other"});
}

TEST_CASE("resolve_exec_user_in_root reads the image's files", "[user]") {
  bool fallback = GENERATE(false, true);
  WalkMode mode(fallback);
  ImageRoot img;

  SECTION("plain files") {
    img.mkdir("etc");
    img.write("etc/passwd", kPasswd);
    img.write("etc/group", kGroup);
    check(img.resolve("alice", {"wheel"}), {"alice", {"wheel"}, 1000, 1000, {10, 29, 44, 50, 51}, "/home/alice", "alice"});
    check(img.resolve(""), {"", {}, 0, 0, {10}, "/root", "root"});
  }
  SECTION("no etc at all: both files are empty") {
    check(img.resolve(""), {"", {}, 0, 0, {}, "/", ""});
    check(img.resolve("1000:1000"), {"1000:1000", {}, 1000, 1000, {}, "/", ""});
    check_error(img.resolve("root"), {"root", {}, "unable to find user root: no matching entries in passwd file"});
  }
  SECTION("passwd without group") {
    img.mkdir("etc");
    img.write("etc/passwd", kPasswd);
    check(img.resolve("alice"), {"alice", {}, 1000, 1000, {}, "/home/alice", "alice"});
  }
  SECTION("etc is a regular file") {
    img.write("etc", "not a directory");
    check(img.resolve(""), {"", {}, 0, 0, {}, "/", ""});
  }
  SECTION("relative symlinks inside the root are followed") {
    img.mkdir("etc");
    img.mkdir("usr");
    img.mkdir("usr/share");
    img.write("usr/share/passwd", "app:x:10:20::/app:/bin/sh\n");
    img.write("usr/share/group.real", "extra:x:30:app\n");
    img.link("../usr/share/passwd", "etc/passwd");
    img.link("group.link", "etc/group");
    img.link("../usr/share/group.real", "etc/group.link");
    check(img.resolve("app"), {"app", {}, 10, 20, {30}, "/app", "app"});
  }
  SECTION("etc is a symlink to a directory in the root; the file's relative link is from there") {
    img.mkdir("usr");
    img.mkdir("usr/etc");
    img.link("usr/etc", "etc");
    img.write("usr/passwd", "deep:x:5:5::/deep:/bin/sh\n");
    img.link("../passwd", "usr/etc/passwd");  // usr/etc/../passwd: usr/passwd, not passwd
    img.write("passwd", "shallow:x:6:6::/shallow:/bin/sh\n");
    check(img.resolve("deep"), {"deep", {}, 5, 5, {}, "/deep", "deep"});
  }
  SECTION("etc/passwd -> /etc/passwd is a loop inside the root, never the host's file") {
    img.mkdir("etc");
    img.link("/etc/passwd", "etc/passwd");
    auto r = img.resolve("");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().errnum() == ELOOP);
    CHECK(r.error().text() == "read `etc/passwd`: Too many levels of symbolic links");
  }
  SECTION("an absolute link to a host path reads that path inside the root") {
    img.mkdir("etc");
    img.link(img.outside + "/passwd", "etc/passwd");
    img.link(img.outside + "/group", "etc/group");
    // Nothing at <root><outside>/passwd: empty, so the host's `evil` is unknown.
    check(img.resolve(""), {"", {}, 0, 0, {}, "/", ""});
    check_error(img.resolve("evil"), {"evil", {}, "unable to find user evil: no matching entries in passwd file"});
    // Plant a distinct file at the link's in-root target: that one is read.
    REQUIRE_OK(make_directories(img.root + img.outside, 0755));
    img.write(img.outside.substr(1) + "/passwd", "inside:x:77:78::/inside:/bin/sh\n");
    img.write(img.outside.substr(1) + "/group", "igrp:x:79:inside\n");
    check(img.resolve("inside"), {"inside", {}, 77, 78, {79}, "/inside", "inside"});
    check_error(img.resolve("evil"), {"evil", {}, "unable to find user evil: no matching entries in passwd file"});
  }
  SECTION("a relative link climbing out stops at the root") {
    img.mkdir("etc");
    img.link("../../outside/passwd", "etc/passwd");  // from <root>/etc that would be <tmp>/outside
    check_error(img.resolve("evil"), {"evil", {}, "unable to find user evil: no matching entries in passwd file"});
    img.mkdir("outside");
    img.write("outside/passwd", "inside:x:77:78::/inside:/bin/sh\n");
    check(img.resolve("inside"), {"inside", {}, 77, 78, {}, "/inside", "inside"});
  }
  SECTION("etc -> ../../.. is the root itself") {
    img.link("../../..", "etc");
    check(img.resolve(""), {"", {}, 0, 0, {}, "/", ""});  // the host's root entry is not seen
    check_error(img.resolve("root"), {"root", {}, "unable to find user root: no matching entries in passwd file"});
    img.write("passwd", "top:x:42:43::/top:/bin/sh\n");
    img.write("group", "tg:x:44:top\n");
    check(img.resolve("top"), {"top", {}, 42, 43, {44}, "/top", "top"});
  }
  SECTION("etc -> an absolute host directory is that path inside the root") {
    img.link(img.outside, "etc");
    check_error(img.resolve("evil"), {"evil", {}, "unable to find user evil: no matching entries in passwd file"});
  }
  SECTION("a dangling link and an empty file are empty") {
    img.mkdir("etc");
    img.link("/nowhere/passwd", "etc/passwd");
    img.write("etc/group", "");
    check(img.resolve("42:42"), {"42:42", {}, 42, 42, {}, "/", ""});
  }
  SECTION("a file larger than 1 MiB is refused") {
    img.mkdir("etc");
    std::string big = "root:x:0:0:root:/root:/bin/sh\n";
    big.resize(kMaxUserFileSize + 1, '#');
    img.write("etc/passwd", big);
    auto r = img.resolve("");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().errnum() == EFBIG);
    CHECK(r.error().text() == "read `etc/passwd`: larger than 1048576 bytes: File too large");
    // A group file that large fails the same way, through a symlink too.
    big.resize(kMaxUserFileSize);
    big.back() = '\n';
    img.write("etc/passwd", big);
    REQUIRE_OK(img.resolve(""));  // exactly 1 MiB is fine
    std::string bigger(kMaxUserFileSize * 2, '\n');
    img.write("etc/group.big", bigger);
    img.link("group.big", "etc/group");
    auto g = img.resolve("");
    REQUIRE_FALSE(g.ok());
    CHECK(g.error().text() == "read `etc/group`: larger than 1048576 bytes: File too large");
  }
  SECTION("a directory or a FIFO is not a regular file, and is never opened") {
    img.mkdir("etc");
    img.mkdir("etc/passwd");
    auto r = img.resolve("");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() == "read `etc/passwd`: not a regular file");
    REQUIRE(::rmdir((img.root + "/etc/passwd").c_str()) == 0);
    REQUIRE(::mkfifo((img.root + "/etc/passwd").c_str(), 0644) == 0);  // opening it would block
    auto f = img.resolve("");
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().message() == "read `etc/passwd`: not a regular file");
  }
  SECTION("a link to a directory is not a regular file") {
    img.mkdir("etc");
    img.link("/", "etc/passwd");
    auto r = img.resolve("");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() == "read `etc/passwd`: not a regular file");
  }
}
