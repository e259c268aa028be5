// Copy-up: an empty volume gets the image's content at its destination, once,
// read inside the root whatever symlinks the image holds. Run as the user
// (the files are ours), with openat2 and with the fallback walk.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/fs.h"
#include "linux/path_in_root.h"
#include "linux/volume_copy_up.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::entries;
using skiff::test::TempDir;
using skiff::test::WalkMode;

namespace {

void write(const std::string& path, const std::string& text, mode_t mode = 0644) {
  REQUIRE(write_file_atomically(path, text, mode).ok());
}

std::string link_of(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, size_t(n));
}

// A root with /srv/data (a file, a mode-0750 subfolder, a hard link, symlinks
// out), and volumes/<name>/_data folders, empty, as the store makes them.
struct Fixture {
  TempDir tmp;
  std::string root = tmp / "root";
  std::string outside = tmp / "outside";
  UniqueFd root_fd;

  Fixture() {
    REQUIRE(make_directories(root + "/srv/data/sub", 0755).ok());
    REQUIRE(::chmod((root + "/srv/data/sub").c_str(), 0750) == 0);
    write(root + "/srv/data/f", "image file\n", 0640);
    write(root + "/srv/data/sub/g", "deep\n");
    REQUIRE(::link((root + "/srv/data/f").c_str(), (root + "/srv/data/hard").c_str()) == 0);
    REQUIRE(::symlink((outside + "/secret").c_str(), (root + "/srv/data/abs").c_str()) == 0);
    REQUIRE(::symlink("../../../../../../outside", (root + "/srv/data/up").c_str()) == 0);
    // Destinations that lead out of the root, as a hostile image's would.
    REQUIRE(::symlink(outside.c_str(), (root + "/escape").c_str()) == 0);
    REQUIRE(::symlink("../../../../../../../outside", (root + "/climb").c_str()) == 0);
    REQUIRE(make_directories(outside, 0755).ok());
    write(outside + "/secret", "host secret\n");
    root_fd = UniqueFd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(root_fd);
  }

  std::string volume(const std::string& name) {
    std::string data = tmp.path + "/volumes/" + name + "/_data";
    REQUIRE(make_directories(data, 0755).ok());
    return data;
  }
};

}  // namespace

TEST_CASE("copy-up fills an empty volume with the image's tree, once", "[copy-up]") {
  bool fallback = GENERATE(false, true);
  WalkMode mode(fallback);
  Fixture fx;
  std::string data = fx.volume("db");
  REQUIRE_OK(copy_up_volume(fx.root_fd.get(), {data, "srv/data"}));
  CHECK(entries(data) == std::vector<std::string>{"abs", "f", "hard", "sub", "up"});
  CHECK(*read_file(data + "/f") == "image file\n");
  CHECK(*read_file(data + "/sub/g") == "deep\n");
  struct stat f, hard, sub, top;
  REQUIRE(::stat((data + "/f").c_str(), &f) == 0);
  REQUIRE(::stat((data + "/hard").c_str(), &hard) == 0);
  REQUIRE(::stat((data + "/sub").c_str(), &sub) == 0);
  REQUIRE(::stat(data.c_str(), &top) == 0);
  CHECK(f.st_ino == hard.st_ino);  // a hard link stays one
  CHECK((f.st_mode & 07777) == 0640);
  CHECK((sub.st_mode & 07777) == 0750);
  CHECK((top.st_mode & 07777) == 0755);  // the image folder's mode
  // Symlinks are copied as they are, never followed.
  CHECK(link_of(data + "/abs") == fx.outside + "/secret");
  CHECK(link_of(data + "/up") == "../../../../../../outside");
  std::string volume = parent_path(data);
  CHECK(path_exists(volume + "/populated"));
  CHECK_FALSE(path_exists(volume + "/.copy-up"));

  // Emptied by a container, it is not filled again.
  REQUIRE(remove_tree(data).ok());
  REQUIRE(make_directories(data, 0755).ok());
  REQUIRE_OK(copy_up_volume(fx.root_fd.get(), {data, "srv/data"}));
  CHECK(entries(data).empty());
}

TEST_CASE("copy-up leaves a volume with content alone and redoes a killed copy", "[copy-up]") {
  Fixture fx;
  std::string data = fx.volume("full");
  write(data + "/mine", "kept\n");
  REQUIRE_OK(copy_up_volume(fx.root_fd.get(), {data, "srv/data"}));
  CHECK(entries(data) == std::vector<std::string>{"mine"});
  CHECK(path_exists(parent_path(data) + "/populated"));

  std::string again = fx.volume("killed");
  REQUIRE(make_directories(parent_path(again) + "/.copy-up/half", 0700).ok());
  REQUIRE_OK(copy_up_volume(fx.root_fd.get(), {again, "srv/data"}));
  CHECK(entries(again) == std::vector<std::string>{"abs", "f", "hard", "sub", "up"});
  CHECK(entries(parent_path(again)) == std::vector<std::string>{"_data", "populated"});
}

TEST_CASE("a destination that leads out of the root copies nothing from outside", "[copy-up]") {
  bool fallback = GENERATE(false, true);
  WalkMode mode(fallback);
  Fixture fx;
  for (const char* target : {"escape", "climb", "no/such/dir", "srv/data/f"}) {
    INFO(target);
    std::string name = target;
    std::replace(name.begin(), name.end(), '/', '-');
    std::string data = fx.volume(name);
    REQUIRE_OK(copy_up_volume(fx.root_fd.get(), {data, target}));
    CHECK(entries(data).empty());
    CHECK(path_exists(parent_path(data) + "/populated"));
  }
  CHECK(entries(fx.outside) == std::vector<std::string>{"secret"});
}
