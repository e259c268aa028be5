// Layer extraction: tars built in memory with libarchive's writer are
// extracted into a temp root with a neighbour directory that must never be
// touched. extract_tar_layer is called directly: as root every chown works;
// as an unprivileged user, chown to other IDs fails with EPERM and is
// ignored. Cases that need the user namespace's root (unmapped IDs,
// read-only directories with content) run in one, as skiff does.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <dirent.h>
#include <optional>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/json.h"
#include "image/layer_extract.h"
#include "linux/path_in_root.h"
#include "linux/userns.h"
#include "linux/vfs_root.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::TempDir;
using skiff::test::WalkMode;
using skiff::test::single_id_mapping;
using skiff::test::entries;


namespace {

constexpr time_t kTime = 1600000000;

struct Entry {
  std::string name{};
  mode_t type = AE_IFREG;
  mode_t perm = 0644;
  std::string data{};
  std::string symlink{};
  std::string hardlink{};
  int64_t uid = 0;
  int64_t gid = 0;
  time_t mtime = kTime;
  dev_t rdev = 0;
  std::vector<std::pair<std::string, std::string>> xattrs{};
};

// A pax tar written with libarchive into a memfd.
class TarBuilder {
 public:
  TarBuilder() : fd_(::memfd_create("layer.tar", MFD_CLOEXEC)), a_(archive_write_new()) {
    REQUIRE(fd_);
    REQUIRE(archive_write_set_format_pax_restricted(a_) == ARCHIVE_OK);
    REQUIRE(archive_write_open_fd(a_, fd_.get()) == ARCHIVE_OK);
  }
  ~TarBuilder() {
    if (a_) archive_write_free(a_);
  }

  TarBuilder& add(const Entry& spec) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, spec.name.c_str());
    archive_entry_set_filetype(e, spec.type);
    archive_entry_set_perm(e, spec.perm);
    archive_entry_set_uid(e, spec.uid);
    archive_entry_set_gid(e, spec.gid);
    archive_entry_set_mtime(e, spec.mtime, 0);
    if (!spec.symlink.empty()) archive_entry_set_symlink(e, spec.symlink.c_str());
    if (!spec.hardlink.empty()) archive_entry_set_hardlink(e, spec.hardlink.c_str());
    if (spec.rdev) archive_entry_set_rdev(e, spec.rdev);
    for (const auto& [k, v] : spec.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    bool has_data = spec.type == AE_IFREG && spec.hardlink.empty();
    archive_entry_set_size(e, has_data ? int64_t(spec.data.size()) : 0);
    INFO(spec.name);
    REQUIRE(archive_write_header(a_, e) >= ARCHIVE_WARN);
    if (has_data && !spec.data.empty())
      REQUIRE(archive_write_data(a_, spec.data.data(), spec.data.size()) == ssize_t(spec.data.size()));
    archive_entry_free(e);
    return *this;
  }
  TarBuilder& file(const std::string& name, const std::string& data, mode_t perm = 0644) {
    return add({.name = name, .perm = perm, .data = data});
  }
  TarBuilder& dir(const std::string& name, mode_t perm = 0755) {
    return add({.name = name, .type = AE_IFDIR, .perm = perm});
  }
  TarBuilder& symlink(const std::string& name, const std::string& target) {
    return add({.name = name, .type = AE_IFLNK, .perm = 0777, .symlink = target});
  }
  TarBuilder& hardlink(const std::string& name, const std::string& target) {
    return add({.name = name, .hardlink = target});
  }
  // OCI whiteouts are empty regular files; only the name marks them.
  TarBuilder& whiteout(const std::string& name) { return add({.name = name, .perm = 0600}); }

  // A file of `size` bytes stored sparse: only `head` and `tail` are data.
  TarBuilder& sparse_file(const std::string& name, int64_t size, const std::string& head, const std::string& tail) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, kTime, 0);
    archive_entry_sparse_add_entry(e, 0, int64_t(head.size()));
    archive_entry_sparse_add_entry(e, size - int64_t(tail.size()), int64_t(tail.size()));
    REQUIRE(archive_write_header(a_, e) >= ARCHIVE_WARN);
    // The writer takes the whole content and skips the holes.
    REQUIRE(archive_write_data(a_, head.data(), head.size()) == ssize_t(head.size()));
    std::vector<char> zeros(1 << 20);
    int64_t left = size - int64_t(head.size() + tail.size());
    while (left > 0) {
      size_t n = size_t(std::min<int64_t>(left, zeros.size()));
      REQUIRE(archive_write_data(a_, zeros.data(), n) == ssize_t(n));
      left -= n;
    }
    REQUIRE(archive_write_data(a_, tail.data(), tail.size()) == ssize_t(tail.size()));
    archive_entry_free(e);
    return *this;
  }

  // Ends the archive and returns a descriptor reading it from the start.
  UniqueFd finish() {
    REQUIRE(archive_write_close(a_) == ARCHIVE_OK);
    archive_write_free(a_);
    a_ = nullptr;
    REQUIRE(::lseek(fd_.get(), 0, SEEK_SET) == 0);
    return std::move(fd_);
  }

 private:
  UniqueFd fd_;
  struct archive* a_;
};


std::optional<std::string> get_xattr(const std::string& path, const char* name) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, n);
}

// A layer root, and a neighbour holding one secret file that no entry may
// reach.
struct LayerRoot {
  TempDir tmp;
  std::string root = tmp / "root";
  std::string outside = tmp / "outside";
  UniqueFd fd;

  LayerRoot() {
    REQUIRE(::mkdir(root.c_str(), 0755) == 0);
    REQUIRE(::mkdir(outside.c_str(), 0755) == 0);
    REQUIRE_OK(write_file_atomically(outside + "/secret", "secret"));
    fd = UniqueFd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(fd);
  }

  Result<ExtractReport> extract(TarBuilder& tar) {
    UniqueFd in = tar.finish();
    return extract_tar_layer(in.get(), fd.get());
  }

  // As `skiff cp` extracts: no layer rules, owners kept only when asked.
  Result<ExtractReport> extract_copy(TarBuilder& tar, bool keep_owners = false) {
    UniqueFd in = tar.finish();
    return extract_tar(in.get(), fd.get(), {.layer = false, .keep_owners = keep_owners});
  }

  // Extracts in a child in a new user namespace with `mapping`, as skiff does.
  Result<ExtractReport> extract_in_userns(TarBuilder& tar, const IdMapping& mapping) {
    UniqueFd in = tar.finish();
    int tar_fd = in.get(), root_fd = fd.get();
    auto values = run_in_user_namespace(mapping, [&](SyncSocket& sock) -> Status {
      ExtractReport report = TRY(extract_tar_layer(tar_fd, root_fd));
      return sock.send(SyncSocket::Kind::kValue, to_compact_json(report.to_json()));
    });
    if (!values.ok()) return std::move(values).error();
    if (values->size() != 1) return make_error("expected one report, got {}", values->size());
    return ExtractReport::from_json(TRY(parse_json(values->front(), "report")));
  }

  std::string at(const std::string& rel) const { return root + "/" + rel; }

  struct stat lstat(const std::string& rel) const {
    struct stat st;
    INFO("lstat root/" << rel);
    REQUIRE(::lstat(at(rel).c_str(), &st) == 0);
    return st;
  }

  bool exists(const std::string& rel) const { return path_exists(at(rel)); }

  std::string content(const std::string& rel) const {
    auto text = read_file(at(rel));
    INFO("read root/" << rel);
    REQUIRE_OK(text);
    return *text;
  }

  std::string link_target(const std::string& rel) const {
    char buf[4096];
    ssize_t n = ::readlink(at(rel).c_str(), buf, sizeof buf);
    INFO("readlink root/" << rel);
    REQUIRE(n >= 0);
    return std::string(buf, n);
  }

  void check_outside_untouched() const {
    CHECK(entries(outside) == std::vector<std::string>{"secret"});
    CHECK(read_file(outside + "/secret").value() == "secret");
    struct stat st;
    REQUIRE(::lstat((outside + "/secret").c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK(st.st_nlink == 1);
    CHECK_FALSE(get_xattr(outside, "user.overlay.opaque").has_value());
    CHECK(entries(tmp.path) == std::vector<std::string>{"outside", "root"});
  }
};

ino_t layer_inode(const std::string& path) {
  struct stat st;
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_ino;
}


}  // namespace

TEST_CASE("files are extracted with their content, mode and time", "[store]") {
  LayerRoot layer;
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); i++) big[i] = char(i * 7 + i / 4096);
  TarBuilder tar;
  tar.file("etc/hostname", "box\n", 0644)
      .file("usr/bin/tool", "#!/bin/sh\n", 0755)
      .file("etc/shadow", "root:*:\n", 0600)
      .file("usr/bin/su", "suid", 04755)
      .file("readonly", "r", 0444)
      .file("empty", "", 0644)
      .file("big", big, 0644);
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  CHECK(report->entries == 7);
  CHECK(layer.content("etc/hostname") == "box\n");
  CHECK(layer.content("usr/bin/tool") == "#!/bin/sh\n");
  CHECK(layer.content("empty").empty());
  CHECK(layer.content("big") == big);
  CHECK((layer.lstat("etc/hostname").st_mode & 07777) == 0644);
  CHECK((layer.lstat("usr/bin/tool").st_mode & 07777) == 0755);
  CHECK((layer.lstat("etc/shadow").st_mode & 07777) == 0600);
  CHECK((layer.lstat("usr/bin/su").st_mode & 07777) == 04755);
  CHECK((layer.lstat("readonly").st_mode & 07777) == 0444);
  CHECK(S_ISREG(layer.lstat("big").st_mode));
  CHECK(layer.lstat("etc/hostname").st_mtime == kTime);
  CHECK(layer.lstat("big").st_size == off_t(big.size()));
}

TEST_CASE("directories are extracted with their mode", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.dir("private", 0700).dir("tmp", 01777).dir("usr", 0755).dir("srv/", 0750);
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  CHECK(report->entries == 4);
  for (auto [name, mode] : std::vector<std::pair<std::string, mode_t>>{
           {"private", 0700}, {"tmp", 01777}, {"usr", 0755}, {"srv", 0750}}) {
    INFO(name);
    struct stat st = layer.lstat(name);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == mode);
  }
}

TEST_CASE("missing parent directories are created as 0755", "[store]") {
  LayerRoot layer;
  mode_t old_umask = ::umask(022);
  TarBuilder tar;
  tar.file("p/q/r/file", "deep");
  auto report = layer.extract(tar);
  ::umask(old_umask);
  REQUIRE_OK(report);
  CHECK(layer.content("p/q/r/file") == "deep");
  for (const char* d : {"p", "p/q", "p/q/r"}) {
    INFO(d);
    struct stat st = layer.lstat(d);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0755);
  }
}

TEST_CASE("symlinks are kept verbatim, pointing out or dangling", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.symlink("abs", "/etc/passwd")
      .symlink("up", "../../../../..")
      .symlink("out", layer.outside)
      .symlink("rel", "usr/lib/x")
      .symlink("dir/sib", "../abs");
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  CHECK(layer.link_target("abs") == "/etc/passwd");
  CHECK(layer.link_target("up") == "../../../../..");
  CHECK(layer.link_target("out") == layer.outside);
  CHECK(layer.link_target("rel") == "usr/lib/x");
  CHECK(layer.link_target("dir/sib") == "../abs");
  CHECK(S_ISLNK(layer.lstat("abs").st_mode));
  CHECK(layer.lstat("abs").st_mtime == kTime);
  layer.check_outside_untouched();
}

TEST_CASE("hardlinks inside the layer share the inode", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.file("bin/busybox", "bb", 0755).hardlink("bin/sh", "bin/busybox").hardlink("usr/bin/ls", "/bin/busybox");
  tar.symlink("link", "/etc/passwd").hardlink("link2", "link");
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  CHECK(report->entries == 5);
  struct stat a = layer.lstat("bin/busybox"), b = layer.lstat("bin/sh"), c = layer.lstat("usr/bin/ls");
  CHECK(a.st_ino == b.st_ino);
  CHECK(a.st_ino == c.st_ino);
  CHECK(a.st_nlink == 3);
  CHECK(layer.content("bin/sh") == "bb");
  // A hard link to a symlink is the symlink itself, not what it points at.
  CHECK(S_ISLNK(layer.lstat("link2").st_mode));
  CHECK(layer.lstat("link2").st_ino == layer.lstat("link").st_ino);
}

TEST_CASE("a .wh. entry becomes a 0/0 character device", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.dir("etc").whiteout("etc/.wh.motd").whiteout(".wh.opt");
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  for (const char* name : {"etc/motd", "opt"}) {
    INFO(name);
    struct stat st = layer.lstat(name);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(0, 0));
  }
  CHECK_FALSE(layer.exists("etc/.wh.motd"));
  CHECK_FALSE(layer.exists(".wh.opt"));
}

TEST_CASE("a .wh. entry replaces an earlier entry of the same layer", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.file("etc/motd", "hello").dir("var/cache").file("var/cache/x", "x");
  tar.whiteout("etc/.wh.motd").whiteout("var/.wh.cache");
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  for (const char* name : {"etc/motd", "var/cache"}) {
    INFO(name);
    struct stat st = layer.lstat(name);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(st.st_rdev == makedev(0, 0));
  }
}

TEST_CASE(".wh..wh..opq marks its directory opaque", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.dir("var/lib").whiteout("var/lib/.wh..wh..opq").whiteout("new/deep/.wh..wh..opq");
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  for (const char* dir : {"var/lib", "new/deep"}) {
    INFO(dir);
    for (const char* xattr : kOpaqueXattrs) CHECK(get_xattr(layer.at(dir), xattr) == std::optional<std::string>("y"));
  }
  CHECK_FALSE(layer.exists("var/lib/.wh..wh..opq"));
  CHECK(entries(layer.at("var/lib")).empty());
  CHECK_FALSE(get_xattr(layer.at("var"), "user.overlay.opaque").has_value());
}

TEST_CASE("aufs metadata whiteouts are ignored", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.whiteout(".wh..wh.plnk").whiteout(".wh..wh.aufs").whiteout("d/.wh.");
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  CHECK(entries(layer.root) == std::vector<std::string>{"d"});
  CHECK(entries(layer.at("d")).empty());
}

TEST_CASE("entries that lead outside the root are refused", "[store]") {
  bool fallback = GENERATE(false, true);
  INFO("fallback walk: " << fallback);
  WalkMode mode(fallback);
  for (std::string name : {"../evil", "a/../../evil", "/../evil", "./../outside/secret", "../../../../../tmp/evil"}) {
    INFO(name);
    LayerRoot layer;
    TarBuilder tar;
    tar.file("ok", "fine").file(name, "pwned");
    auto report = layer.extract(tar);
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().text().find("leads outside the root") != std::string::npos);
    CHECK(report.error().text().find(name) != std::string::npos);
    layer.check_outside_untouched();
  }
}

TEST_CASE("a hard link to a target outside the root is refused", "[store]") {
  bool fallback = GENERATE(false, true);
  INFO("fallback walk: " << fallback);
  WalkMode mode(fallback);
  SECTION("by ..") {
    LayerRoot layer;
    TarBuilder tar;
    tar.hardlink("h", "../outside/secret");
    auto report = layer.extract(tar);
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().text().find("leads outside the root") != std::string::npos);
    CHECK_FALSE(layer.exists("h"));
    layer.check_outside_untouched();
  }
  SECTION("through a symlinked directory") {
    LayerRoot layer;
    TarBuilder tar;
    tar.symlink("out", layer.outside).symlink("up", "../outside").hardlink("h1", "out/secret");
    auto report = layer.extract(tar);
    REQUIRE_FALSE(report.ok());  // root/<outside>/secret does not exist
    CHECK_FALSE(layer.exists("h1"));
    TarBuilder tar2;
    tar2.hardlink("h2", "up/secret");
    CHECK_FALSE(layer.extract(tar2).ok());
    CHECK_FALSE(layer.exists("h2"));
    layer.check_outside_untouched();
  }
}

TEST_CASE("writing through symlinks that point out stays inside the root", "[store]") {
  bool fallback = GENERATE(false, true);
  INFO("fallback walk: " << fallback);
  WalkMode mode(fallback);
  LayerRoot layer;
  TarBuilder tar;
  tar.symlink("out", layer.outside)
      .symlink("up", "../../../..")
      .symlink("rel", "../outside")
      .file("out/pwned", "1")
      .file("up/pwned2", "2")
      .dir("up/d")
      .file("rel/pwned3", "3")
      .whiteout("out/.wh.secret")
      .whiteout("rel/.wh.secret")
      .whiteout("up/.wh..wh..opq");
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  std::string inner = layer.outside.substr(1);  // the neighbour's path, inside the root
  CHECK(layer.content(inner + "/pwned") == "1");
  CHECK(layer.content("pwned2") == "2");
  CHECK(S_ISDIR(layer.lstat("d").st_mode));
  CHECK(layer.content("outside/pwned3") == "3");
  CHECK(S_ISCHR(layer.lstat(inner + "/secret").st_mode));
  CHECK(S_ISCHR(layer.lstat("outside/secret").st_mode));
  CHECK(get_xattr(layer.root, "user.overlay.opaque") == std::optional<std::string>("y"));
  CHECK(layer.link_target("out") == layer.outside);  // still a symlink
  layer.check_outside_untouched();
}

TEST_CASE("a file entry replaces a symlink instead of writing through it", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.symlink("l", layer.outside + "/secret").file("l", "new");
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  CHECK(S_ISREG(layer.lstat("l").st_mode));
  CHECK(layer.content("l") == "new");
  layer.check_outside_untouched();
}

TEST_CASE("later entries replace earlier ones", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.dir("fileoverdir").file("fileoverdir/x", "x").file("fileoverdir", "now a file");
  tar.file("diroverfile", "was a file").dir("diroverfile", 0750);
  tar.dir("linkoverdir").file("linkoverdir/y", "y").symlink("linkoverdir", "/target");
  tar.file("fileoverfile", "old", 0600).file("fileoverfile", "new", 0644);
  tar.dir("merge").file("merge/a", "a").dir("merge", 0700).file("merge/b", "b");
  tar.symlink("diroverlink", "fileoverfile").dir("diroverlink");
  tar.file("target", "t").file("hardoverfile", "old").hardlink("hardoverfile", "target");
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  CHECK(S_ISREG(layer.lstat("fileoverdir").st_mode));
  CHECK(layer.content("fileoverdir") == "now a file");
  CHECK(S_ISDIR(layer.lstat("diroverfile").st_mode));
  CHECK((layer.lstat("diroverfile").st_mode & 07777) == 0750);
  CHECK(S_ISLNK(layer.lstat("linkoverdir").st_mode));
  CHECK(layer.link_target("linkoverdir") == "/target");
  CHECK(layer.content("fileoverfile") == "new");
  CHECK((layer.lstat("fileoverfile").st_mode & 07777) == 0644);
  // A directory over a directory merges, as tar does, and takes the new mode.
  CHECK(entries(layer.at("merge")) == std::vector<std::string>{"a", "b"});
  CHECK((layer.lstat("merge").st_mode & 07777) == 0700);
  CHECK(S_ISDIR(layer.lstat("diroverlink").st_mode));
  CHECK(layer.content("fileoverfile") == "new");  // the link's target untouched
  CHECK(layer.lstat("hardoverfile").st_ino == layer.lstat("target").st_ino);
}

TEST_CASE("owners are set when the ID can be given", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.add({.name = "owned", .data = "x", .uid = 1234, .gid = 5678})
      .add({.name = "suid", .perm = 04755, .data = "x", .uid = 1234, .gid = 5678})
      .add({.name = "dir", .type = AE_IFDIR, .perm = 0755, .uid = 1234, .gid = 5678})
      .add({.name = "link", .type = AE_IFLNK, .perm = 0777, .symlink = "owned", .uid = 1234, .gid = 5678})
      .add({.name = "rootfile", .data = "r"});
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  if (::geteuid() == 0) {
    for (const char* name : {"owned", "suid", "dir", "link"}) {
      INFO(name);
      CHECK(layer.lstat(name).st_uid == 1234);
      CHECK(layer.lstat(name).st_gid == 5678);
    }
    CHECK(layer.lstat("rootfile").st_uid == 0);
  } else {
    // Outside a user namespace chown fails with EPERM: the files stay ours,
    // and that is no unmapped ID.
    for (const char* name : {"owned", "suid", "dir", "link", "rootfile"}) {
      INFO(name);
      CHECK(layer.lstat(name).st_uid == ::geteuid());
    }
  }
  CHECK(report->unmapped_owners == 0);
  // chmod comes after chown, which clears the set-user-ID bit.
  CHECK((layer.lstat("suid").st_mode & 07777) == 04755);
}

TEST_CASE("IDs without a mapping are counted and left to the namespace's root", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.add({.name = "rootfile", .data = "r"})
      .add({.name = "etc/shadow", .perm = 0640, .data = "s", .uid = 0, .gid = 42})
      .add({.name = "home/user", .type = AE_IFDIR, .perm = 0755, .uid = 1000, .gid = 1000})
      .add({.name = "home/user/link", .type = AE_IFLNK, .perm = 0777, .symlink = "x", .uid = 1000, .gid = 1000});
  auto report = layer.extract_in_userns(tar, single_id_mapping());
  REQUIRE_OK(report);
  CHECK(report->entries == 4);
  CHECK(report->unmapped_owners == 3);
  CHECK(report->first_unmapped == "etc/shadow (uid 0, gid 42)");
  CHECK(layer.lstat("etc/shadow").st_uid == ::geteuid());
  CHECK(layer.lstat("home/user").st_uid == ::geteuid());
  CHECK((layer.lstat("etc/shadow").st_mode & 07777) == 0640);
}

TEST_CASE("read-only directories still get their content in the user namespace", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.dir("usr", 0555).dir("usr/lib", 0555).file("usr/lib/libc.so", "elf", 0755).dir("locked", 0).file("locked/f", "f");
  auto report = layer.extract_in_userns(tar, current_id_mapping());
  REQUIRE_OK(report);
  CHECK(report->entries == 5);
  CHECK((layer.lstat("usr/lib").st_mode & 07777) == 0555);
  CHECK((layer.lstat("locked").st_mode & 07777) == 0);
  CHECK(layer.lstat("usr/lib/libc.so").st_size == 3);
  // Outside the namespace a user can't look into a 0000 folder: open it up.
  REQUIRE(::chmod(layer.at("locked").c_str(), 0700) == 0);
  CHECK(layer.lstat("locked/f").st_size == 1);
}

TEST_CASE("device nodes are made by root and counted as skipped otherwise", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.add({.name = "dev/null", .type = AE_IFCHR, .perm = 0666, .rdev = makedev(1, 3)})
      .add({.name = "dev/sda", .type = AE_IFBLK, .perm = 0660, .rdev = makedev(8, 0)})
      .add({.name = "run/fifo", .type = AE_IFIFO, .perm = 0620});
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  CHECK(report->entries == 3);
  if (::geteuid() == 0) {
    CHECK(report->skipped_devices == 0);
    struct stat null = layer.lstat("dev/null");
    CHECK(S_ISCHR(null.st_mode));
    CHECK(null.st_rdev == makedev(1, 3));
    CHECK((null.st_mode & 07777) == 0666);
    CHECK(S_ISBLK(layer.lstat("dev/sda").st_mode));
  } else {
    CHECK(report->skipped_devices == 2);
    CHECK(report->first_device == "dev/null");
    CHECK_FALSE(layer.exists("dev/null"));
    CHECK_FALSE(layer.exists("dev/sda"));
  }
  struct stat fifo = layer.lstat("run/fifo");
  CHECK(S_ISFIFO(fifo.st_mode));
  CHECK((fifo.st_mode & 07777) == 0620);
}

TEST_CASE("overlay xattrs in the tar are dropped, others kept", "[store]") {
  LayerRoot layer;
  std::vector<std::pair<std::string, std::string>> xattrs = {{"user.overlay.opaque", "y"},
                                                             {"user.overlay.redirect", "/elsewhere"},
                                                             {"trusted.overlay.opaque", "y"},
                                                             {"user.fuseoverlayfs.opaque", "y"},
                                                             {"user.keep", "kept"}};
  TarBuilder tar;
  tar.add({.name = "d", .type = AE_IFDIR, .perm = 0755, .xattrs = xattrs})
      .add({.name = "f", .data = "x", .xattrs = {{"user.overlay.metacopy", ""}, {"user.keep", "file"}}});
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  CHECK(get_xattr(layer.at("d"), "user.keep") == std::optional<std::string>("kept"));
  CHECK(get_xattr(layer.at("f"), "user.keep") == std::optional<std::string>("file"));
  for (const char* name :
       {"user.overlay.opaque", "user.overlay.redirect", "trusted.overlay.opaque", "user.fuseoverlayfs.opaque"}) {
    INFO(name);
    CHECK_FALSE(get_xattr(layer.at("d"), name).has_value());
  }
  CHECK_FALSE(get_xattr(layer.at("f"), "user.overlay.metacopy").has_value());
}

TEST_CASE("directory times are set after their content", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.add({.name = "d", .type = AE_IFDIR, .perm = 0755, .mtime = 1000000000})
      .add({.name = "d/s", .type = AE_IFDIR, .perm = 0755, .mtime = 1200000000})
      .add({.name = "d/s/g", .data = "g", .mtime = 1300000000})
      .add({.name = "d/f", .data = "f", .mtime = 1500000000})
      .add({.name = "d/l", .type = AE_IFLNK, .perm = 0777, .symlink = "f", .mtime = 1400000000});
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  CHECK(layer.lstat("d").st_mtime == 1000000000);
  CHECK(layer.lstat("d/s").st_mtime == 1200000000);
  CHECK(layer.lstat("d/s/g").st_mtime == 1300000000);
  CHECK(layer.lstat("d/f").st_mtime == 1500000000);
  CHECK(layer.lstat("d/l").st_mtime == 1400000000);
}

TEST_CASE("a directory replaced by a symlink does not pass its time to the link's target", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.add({.name = "b", .type = AE_IFDIR, .perm = 0755, .mtime = 2000000000})
      .add({.name = "a", .type = AE_IFDIR, .perm = 0755, .mtime = 1000000000})
      .symlink("a", "b");
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  CHECK(S_ISLNK(layer.lstat("a").st_mode));
  CHECK(layer.lstat("b").st_mtime == 2000000000);
}

TEST_CASE("the ./ entry sets the layer root's mode and time", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.add({.name = "./", .type = AE_IFDIR, .perm = 0751, .mtime = 1100000000}).file("./a", "a");
  auto report = layer.extract(tar);
  REQUIRE_OK(report);
  struct stat st;
  REQUIRE(::fstat(layer.fd.get(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0751);
  CHECK(st.st_mtime == 1100000000);
  CHECK(layer.content("a") == "a");
}

TEST_CASE("a sparse file stays sparse on disk", "[store]") {
  LayerRoot layer;
  constexpr int64_t kSize = int64_t(1) << 30;
  std::string head(4096, 'H'), tail(4096, 'T');
  TarBuilder tar;
  tar.sparse_file("sparse", kSize, head, tail);
  UniqueFd in = tar.finish();
  struct stat tar_st;
  REQUIRE(::fstat(in.get(), &tar_st) == 0);
  REQUIRE(tar_st.st_size < (1 << 20));  // the tar itself stores it sparse
  auto report = extract_tar_layer(in.get(), layer.fd.get());
  REQUIRE_OK(report);
  struct stat st = layer.lstat("sparse");
  CHECK(st.st_size == kSize);
  CHECK(int64_t(st.st_blocks) * 512 < (int64_t(1) << 20));
  UniqueFd f(::open(layer.at("sparse").c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(f);
  std::string buf(4096, '\0');
  REQUIRE(::pread(f.get(), buf.data(), buf.size(), 0) == 4096);
  CHECK(buf == head);
  REQUIRE(::pread(f.get(), buf.data(), buf.size(), kSize - 4096) == 4096);
  CHECK(buf == tail);
  REQUIRE(::pread(f.get(), buf.data(), buf.size(), kSize / 2) == 4096);
  CHECK(buf == std::string(4096, '\0'));
}

TEST_CASE("a tar read from a pipe extracts like one read from a file", "[store]") {
  LayerRoot layer;
  TarBuilder tar;
  std::string big(2 << 20, 'b');
  tar.dir("a").file("a/big", big).file("a/small", "s").symlink("a/l", "small");
  UniqueFd in = tar.finish();
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  pid_t writer = ::fork();
  REQUIRE(writer >= 0);
  if (writer == 0) {
    read_end.reset();
    char buf[65536];
    ssize_t n;
    while ((n = ::read(in.get(), buf, sizeof buf)) > 0)
      if (::write(write_end.get(), buf, n) != n) ::_exit(1);
    ::_exit(n == 0 ? 0 : 2);
  }
  write_end.reset();
  auto report = extract_tar_layer(read_end.get(), layer.fd.get());
  int status = 0;
  ::waitpid(writer, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  REQUIRE_OK(report);
  CHECK(report->entries == 4);
  CHECK(layer.content("a/big") == big);
  CHECK(layer.link_target("a/l") == "small");
}

TEST_CASE("an empty input is an empty layer", "[store]") {
  LayerRoot layer;
  UniqueFd in(::memfd_create("empty", MFD_CLOEXEC));
  REQUIRE(in);
  auto report = extract_tar_layer(in.get(), layer.fd.get());
  REQUIRE_OK(report);
  CHECK(report->entries == 0);
  CHECK(entries(layer.root).empty());
}

TEST_CASE("garbage and truncated tars are errors", "[store]") {
  LayerRoot layer;
  SECTION("garbage") {
    UniqueFd in(::memfd_create("garbage", MFD_CLOEXEC));
    std::string junk(20000, 'x');
    REQUIRE(::write(in.get(), junk.data(), junk.size()) == ssize_t(junk.size()));
    REQUIRE(::lseek(in.get(), 0, SEEK_SET) == 0);
    auto report = extract_tar_layer(in.get(), layer.fd.get());
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().text().rfind("read tar", 0) == 0);
  }
  SECTION("cut inside a file's data") {
    TarBuilder tar;
    tar.file("first", "1").file("big", std::string(200000, 'z'));
    UniqueFd full = tar.finish();
    UniqueFd cut(::memfd_create("cut", MFD_CLOEXEC));
    std::string buf(100000, '\0');
    REQUIRE(::read(full.get(), buf.data(), buf.size()) == ssize_t(buf.size()));
    REQUIRE(::write(cut.get(), buf.data(), buf.size()) == ssize_t(buf.size()));
    REQUIRE(::lseek(cut.get(), 0, SEEK_SET) == 0);
    auto report = extract_tar_layer(cut.get(), layer.fd.get());
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().text().find("big") != std::string::npos);
  }
}

TEST_CASE("extract reports round-trip through JSON", "[store]") {
  ExtractReport r;
  r.entries = 12;
  r.unmapped_owners = 3;
  r.skipped_devices = 2;
  r.first_unmapped = "etc/shadow (uid 100000, gid 42)";
  r.first_device = "dev/null";
  ExtractReport back = ExtractReport::from_json(r.to_json());
  CHECK(back.entries == 12);
  CHECK(back.unmapped_owners == 3);
  CHECK(back.skipped_devices == 2);
  CHECK(back.first_unmapped == r.first_unmapped);
  CHECK(back.first_device == "dev/null");
  CHECK(ExtractReport::from_json(Json::object()).entries == 0);
}

// The vfs driver's copy (linux/vfs_root.h), made from layers extracted as
// skiff extracts them, so whiteouts and opaque marks are the real ones.
TEST_CASE("the vfs copy applies layers bottom up with whiteouts and opaque folders", "[vfs]") {
  TempDir tmp;
  std::vector<std::string> layers;  // top first, as overlay lists them
  auto add_layer = [&](TarBuilder& tar) {
    std::string dir = tmp / ("layer" + std::to_string(layers.size()));
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    UniqueFd in = tar.finish();
    int tar_fd = in.get(), root_fd = fd.get();
    REQUIRE_OK(run_in_user_namespace(single_id_mapping(), [&](SyncSocket&) -> Status {
      TRY(extract_tar_layer(tar_fd, root_fd));
      return {};
    }));
    layers.insert(layers.begin(), dir);
  };
  TarBuilder base;
  base.dir("etc").file("etc/a", "a").file("etc/b", "b").dir("opt").file("opt/x", "x").dir("keep").file("keep/k", "k");
  base.file("replaced", "r").dir("usr").dir("usr/lib").file("usr/lib/f", "shared").hardlink("usr/lib/g", "usr/lib/f");
  base.symlink("bin", "usr/bin").add({.name = "pipe", .type = AE_IFIFO, .perm = 0620});
  add_layer(base);
  TarBuilder middle;
  middle.whiteout("etc/.wh.a").add({.name = "etc/b", .perm = 0600, .data = "b2", .mtime = kTime + 5});
  middle.whiteout("opt/.wh..wh..opq").file("opt/y", "y").file("keep/k2", "k2").dir("replaced").file("replaced/inner", "i");
  add_layer(middle);
  TarBuilder top;
  top.whiteout(".wh.keep").add({.name = "usr", .type = AE_IFDIR, .perm = 0555});
  add_layer(top);

  std::string dest = tmp / "rootfs";
  REQUIRE(::mkdir((dest + ".tmp").c_str(), 0700) == 0);  // a killed copy's leftover
  REQUIRE_OK(write_file_atomically(dest + ".tmp/stale", "stale"));
  auto copy = [&] {
    REQUIRE_OK(run_in_user_namespace(single_id_mapping(), [&](SyncSocket&) { return ensure_vfs_root(layers, dest); }));
  };
  copy();
  CHECK(entries(dest) == std::vector<std::string>{"bin", "etc", "opt", "pipe", "replaced", "usr"});
  CHECK_FALSE(path_exists(dest + ".tmp"));
  CHECK(entries(dest + "/etc") == std::vector<std::string>{"b"});
  CHECK(read_file(dest + "/etc/b").value() == "b2");
  struct stat st;
  REQUIRE(::lstat((dest + "/etc/b").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_mtime == kTime + 5);
  CHECK(entries(dest + "/opt") == std::vector<std::string>{"y"});
  CHECK_FALSE(get_xattr(dest + "/opt", "user.overlay.opaque").has_value());
  CHECK(read_file(dest + "/replaced/inner").value() == "i");
  struct stat f, g;
  REQUIRE(::lstat((dest + "/usr/lib/f").c_str(), &f) == 0);
  REQUIRE(::lstat((dest + "/usr/lib/g").c_str(), &g) == 0);
  CHECK(f.st_ino == g.st_ino);
  CHECK(f.st_ino != layer_inode(layers.back() + "/usr/lib/f"));  // a copy, not a link into the layer
  REQUIRE(::lstat((dest + "/usr").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0555);
  REQUIRE(::lstat((dest + "/pipe").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  char target[64] = {};
  CHECK(::readlink((dest + "/bin").c_str(), target, sizeof target - 1) == 7);
  CHECK(std::string(target) == "usr/bin");

  // Made once: a second call keeps what the container changed.
  REQUIRE_OK(write_file_atomically(dest + "/etc/mine", "mine"));
  copy();
  CHECK(read_file(dest + "/etc/mine").value() == "mine");
  REQUIRE(::chmod((dest + "/usr").c_str(), 0755) == 0);  // so TempDir can clean up
}

// ---- skiff cp's extraction (ExtractOptions::layer off) ----

TEST_CASE("outside a layer, .wh. names are plain files", "[store][cp]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.dir("etc")
      .file("etc/motd", "hello")
      .whiteout("etc/.wh.motd")
      .add({.name = ".wh..wh..opq", .data = "o"});
  REQUIRE_OK(layer.extract_copy(tar));
  CHECK(layer.content("etc/motd") == "hello");
  CHECK(S_ISREG(layer.lstat("etc/.wh.motd").st_mode));
  CHECK(layer.content(".wh..wh..opq") == "o");
}

TEST_CASE("outside a layer, a folder and a non-folder never replace each other", "[store][cp]") {
  LayerRoot layer;
  REQUIRE(::mkdir(layer.at("dir").c_str(), 0755) == 0);
  REQUIRE_OK(write_file_atomically(layer.at("dir/keep"), "k"));
  REQUIRE_OK(write_file_atomically(layer.at("file"), "f"));
  {
    TarBuilder tar;
    tar.file("dir", "x");
    auto report = layer.extract_copy(tar);
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().text().find("cannot overwrite a directory with a non-directory") !=
          std::string::npos);
  }
  {
    TarBuilder tar;
    tar.symlink("dir", "/");
    REQUIRE_FALSE(layer.extract_copy(tar).ok());
  }
  {
    TarBuilder tar;
    tar.dir("file");
    auto report = layer.extract_copy(tar);
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().text().find("cannot overwrite a non-directory with a directory") !=
          std::string::npos);
  }
  CHECK(layer.content("dir/keep") == "k");
  CHECK(layer.content("file") == "f");
  // A file still replaces a file, and a folder merges into a folder.
  TarBuilder tar;
  tar.file("file", "new").dir("dir", 0700).file("dir/added", "a");
  REQUIRE_OK(layer.extract_copy(tar));
  CHECK(layer.content("file") == "new");
  CHECK(layer.content("dir/keep") == "k");
  CHECK(layer.content("dir/added") == "a");
  CHECK((layer.lstat("dir").st_mode & 07777) == 0700);
  layer.check_outside_untouched();
}

TEST_CASE("outside a layer, a read-only folder is filled before it gets its mode", "[store][cp]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.dir("ro", 0555).file("ro/inside", "i", 0444).dir("ro/sub", 0500).file("ro/sub/deep", "d");
  REQUIRE_OK(layer.extract_copy(tar));
  CHECK(layer.content("ro/sub/deep") == "d");
  CHECK((layer.lstat("ro").st_mode & 07777) == 0555);
  CHECK((layer.lstat("ro/sub").st_mode & 07777) == 0500);
  // So that TempDir can remove it.
  ::chmod(layer.at("ro/sub").c_str(), 0755);
  ::chmod(layer.at("ro").c_str(), 0755);
}

TEST_CASE("outside a layer, owners are the extractor's unless kept", "[store][cp]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.add({.name = "owned", .data = "x", .uid = 4242, .gid = 4343});
  REQUIRE_OK(layer.extract_copy(tar, false));
  CHECK(layer.lstat("owned").st_uid == ::geteuid());
  CHECK(layer.lstat("owned").st_gid == ::getegid());
}

TEST_CASE("outside a layer, entries still never lead out of the root", "[store][cp]") {
  LayerRoot layer;
  TarBuilder tar;
  tar.symlink("out", layer.outside).file("out/secret", "overwritten").symlink("up", "../outside");
  tar.file("up/secret", "overwritten").hardlink("hard", "../outside/secret");
  REQUIRE_FALSE(layer.extract_copy(tar).ok());
  layer.check_outside_untouched();
}
