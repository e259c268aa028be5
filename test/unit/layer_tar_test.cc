// Layers back out as tars (image/layer_tar.h, image/tar_recipe.h).
//
// The recipe parser is fed hand-made tars (pax, GNU long names, base-256
// sizes, hard links with and without data, duplicate names, whiteouts,
// sparse files, files named like folders) and checked three ways: the tar
// rebuilt from its recipe and the files' contents is the same bytes, the
// bodies it references are the ones expected, and its list of bodies is the
// one the extractor reports for the same tar (extracted here directly, no
// namespace needed).
//
// Then the real thing, which no end-to-end test can show without `save`:
// tars made by GNU tar and by libarchive are imported through
// PendingLayer::extract (in the user namespace, as skiff does) and
// write_layer_tar must give back every byte, for a GNU tar, a pax tar with
// long names and xattrs, hard links, whiteouts and an opaque folder, a
// duplicate name, and a gzip'ed tar. And write_tree_tar: sorted, repeatable,
// whiteouts made OCI, readable by libarchive.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/sha256.h"
#include "image/layer_extract.h"
#include "image/layer_store.h"
#include "image/layer_tar.h"
#include "image/store.h"
#include "image/tar_recipe.h"
#include "linux/container_plan.h"
#include "test_support.h"

using namespace skiff;
using skiff::test::run_filter;
using skiff::test::StringSink;
using skiff::test::tar_writer_into;
using skiff::test::TempDir;

namespace {

// ---- tars made by hand, block by block ----

void put_octal(char* field, size_t width, uint64_t value) {
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = char('0' + (value & 7));
    value >>= 3;
  }
  field[width - 1] = 0;
}

struct Block {
  std::string name;
  char type = '0';
  uint64_t size = 0;
  std::string link{};
  bool gnu = false;           // "ustar  \0" magic instead of "ustar\0" "00"
  bool base256_size = false;  // the size in GNU's base-256
  std::string prefix{};
};

std::string header(const Block& b) {
  char h[512] = {};
  std::memcpy(h, b.name.data(), std::min<size_t>(b.name.size(), 100));
  put_octal(h + 100, 8, b.type == '5' ? 0755 : 0644);
  put_octal(h + 108, 8, 0);
  put_octal(h + 116, 8, 0);
  if (b.base256_size) {
    h[124] = char(0x80);
    for (int i = 0; i < 8; i++) h[135 - i] = char((b.size >> (8 * i)) & 0xff);
  } else {
    put_octal(h + 124, 12, b.size);
  }
  put_octal(h + 136, 12, 1600000000);
  h[156] = b.type;
  std::memcpy(h + 157, b.link.data(), std::min<size_t>(b.link.size(), 100));
  std::memcpy(h + 257,
              b.gnu ? "ustar  \0"
                    : "ustar\0"
                      "00",
              8);
  std::memcpy(h + 345, b.prefix.data(), std::min<size_t>(b.prefix.size(), 155));
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  put_octal(h + 148, 7, sum);
  return std::string(h, 512);
}

std::string padded(const std::string& data) {
  return data + std::string((512 - data.size() % 512) % 512, '\0');
}

std::string pax_record(const std::string& key, const std::string& value) {
  size_t base = key.size() + value.size() + 3, length = base + 1;
  while (std::to_string(length).size() + base != length) length = std::to_string(length).size() + base;
  return std::to_string(length) + " " + key + "=" + value + "\n";
}

// A hand-made tar: entries appended in order, then the end blocks.
class HandTar {
 public:
  HandTar& file(const std::string& name, const std::string& data, char type = '0') {
    bytes_ += header({.name = name, .type = type, .size = data.size()}) + padded(data);
    return *this;
  }
  HandTar& dir(const std::string& name) {
    bytes_ += header({.name = name, .type = '5'});
    return *this;
  }
  HandTar& raw(const std::string& data) {
    bytes_ += data;
    return *this;
  }
  HandTar& block(const Block& b, const std::string& body = "") {
    bytes_ += header(b) + padded(body);
    return *this;
  }
  HandTar& pax(const std::string& records, char type = 'x') {
    bytes_ += header({.name = "PaxHeader/x", .type = type, .size = records.size()}) + padded(records);
    return *this;
  }
  HandTar& gnu_long(char type, const std::string& name) {
    std::string body = name + std::string(1, '\0');
    bytes_ +=
        header({.name = "././@LongLink", .type = type, .size = body.size(), .gnu = true}) + padded(body);
    return *this;
  }
  std::string done(size_t trailer = 1024) { return bytes_ + std::string(trailer, '\0'); }

 private:
  std::string bytes_;
};

// ---- tars made by libarchive's writer ----

struct Entry {
  std::string name;
  mode_t type = AE_IFREG;
  std::string data{};
  std::string link{};  // symlink target, or hard link target with `hardlink`
  bool hardlink = false;
  std::vector<std::pair<std::string, std::string>> xattrs{};
};

std::string libarchive_tar(const std::vector<Entry>& entries, bool gnu = false) {
  std::string tar;
  struct archive* a =
      tar_writer_into(tar, gnu ? archive_write_set_format_gnutar : archive_write_set_format_pax);
  for (const auto& spec : entries) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, spec.name.c_str());
    archive_entry_set_filetype(e, spec.type);
    archive_entry_set_perm(e, spec.type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_mtime(e, 1600000000, 0);
    if (spec.hardlink)
      archive_entry_set_hardlink(e, spec.link.c_str());
    else if (spec.type == AE_IFLNK)
      archive_entry_set_symlink(e, spec.link.c_str());
    for (const auto& [k, v] : spec.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    bool data = spec.type == AE_IFREG && !spec.hardlink;
    archive_entry_set_size(e, data ? int64_t(spec.data.size()) : 0);
    INFO(spec.name);
    REQUIRE(archive_write_header(a, e) >= ARCHIVE_WARN);
    if (data && !spec.data.empty())
      REQUIRE(archive_write_data(a, spec.data.data(), spec.data.size()) == ssize_t(spec.data.size()));
    archive_entry_free(e);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
  return tar;
}

// ---- the recipe of a tar, and the tar rebuilt from it ----

struct Recorded {
  std::vector<std::pair<std::string, uint64_t>> bodies;  // path, size
  std::string digest;
  std::string gave_up;
  std::string rebuilt;     // with each body's bytes taken from the tar itself
  size_t recipe_size = 0;  // compressed
};

UniqueFd memfd(const std::string& content = "") {
  UniqueFd fd(::memfd_create("test", MFD_CLOEXEC));
  REQUIRE(fd);
  if (!content.empty()) REQUIRE(::write(fd.get(), content.data(), content.size()) == ssize_t(content.size()));
  REQUIRE(::lseek(fd.get(), 0, SEEK_SET) == 0);
  return fd;
}

// Records `tar` fed in pieces of `chunk` bytes. The rebuilt tar takes each
// body's bytes from where the recipe says they are: since the recipe keeps
// everything else, the bodies are the tar's bytes the recipe leaves out.
Recorded record(const std::string& tar, size_t chunk = 4096) {
  UniqueFd recipe = memfd();
  StringSink passed;
  Recorded r;
  {
    TarRecipeRecorder recorder(UniqueFd(::dup(recipe.get())), passed);
    for (size_t at = 0; at < tar.size(); at += chunk) {
      std::string_view part = std::string_view(tar).substr(at, chunk);
      REQUIRE_OK(recorder.write({reinterpret_cast<const uint8_t*>(part.data()), part.size()}));
    }
    REQUIRE_OK(recorder.finish());
    r.digest = recorder.bodies_digest();
    r.gave_up = recorder.gave_up();
  }
  CHECK(passed.out == tar);
  CHECK(passed.finished);
  struct stat st;
  REQUIRE(::fstat(recipe.get(), &st) == 0);
  r.recipe_size = size_t(st.st_size);
  REQUIRE(::lseek(recipe.get(), 0, SEEK_SET) == 0);
  TarRecipeReader reader(recipe.get());
  for (;;) {
    auto step = reader.next();
    REQUIRE_OK(step);
    if (step->kind == RecipeStep::Kind::kEnd) {
      CHECK(step->size == tar.size());
      break;
    }
    if (step->kind == RecipeStep::Kind::kRaw) {
      r.rebuilt.append(reinterpret_cast<const char*>(step->raw.data()), step->raw.size());
    } else {
      CHECK(step->index == r.bodies.size());
      r.bodies.emplace_back(step->path, step->size);
      REQUIRE(r.rebuilt.size() + step->size <= tar.size());
      r.rebuilt += tar.substr(r.rebuilt.size(), step->size);
    }
  }
  CHECK(r.rebuilt == tar);
  return r;
}

// What the extractor says of the same tar, extracted here directly.
ExtractReport extract(const std::string& tar) {
  TempDir tmp;
  REQUIRE(::mkdir((tmp / "root").c_str(), 0755) == 0);
  REQUIRE(::mkdir((tmp / "stash").c_str(), 0700) == 0);
  UniqueFd root(::open((tmp / "root").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd stash(::open((tmp / "stash").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd in = memfd(tar);
  auto report = extract_tar_layer(in.get(), root.get(), stash.get());
  REQUIRE_OK(report);
  return *report;
}

using Bodies = std::vector<std::pair<std::string, uint64_t>>;

// The recipe references `expected`, and agrees with the extractor.
void check_recipe(const std::string& tar, const Bodies& expected) {
  for (size_t chunk : {size_t(1), size_t(511), size_t(4096), tar.size()}) {
    INFO("fed in pieces of " << chunk);
    if (chunk == 1 && tar.size() > 200000) continue;
    Recorded r = record(tar, chunk);
    CHECK(r.bodies == expected);
  }
  Recorded r = record(tar);
  ExtractReport report = extract(tar);
  CHECK(report.bodies == expected.size());
  CHECK(report.bodies_digest == r.digest);
}

}  // namespace

TEST_CASE("the recipe of a ustar tar references each file's content", "[recipe]") {
  std::string tar = HandTar()
                        .dir("etc/")
                        .file("etc/hostname", "box\n")
                        .file("empty", "")
                        .file("big", std::string(5000, 'b'))
                        .done();
  check_recipe(tar, {{"etc/hostname", 4}, {"big", 5000}});
}

TEST_CASE("pax records name and size an entry, as libarchive reads them", "[recipe]") {
  std::string long_name = std::string(150, 'a') + "/" + std::string(120, 'b');
  std::string tar = HandTar()
                        .pax(pax_record("path", long_name) + pax_record("SCHILY.xattr.user.k", "v"))
                        .file("short", "pax-named")
                        // Two 'x' headers: libarchive keeps only the last one's records.
                        .pax(pax_record("path", "first") + pax_record("size", "99"))
                        .pax(pax_record("path", "second"))
                        .file("third", "who")
                        // An 'x' before an 'L': the pax path has the last word.
                        .pax(pax_record("path", "pax-wins"))
                        .gnu_long('L', "long-loses")
                        .file("header-name", "x-then-L")
                        // An 'L' before an 'x': the long name has it.
                        .gnu_long('L', "long-wins")
                        .pax(pax_record("path", "pax-loses"))
                        .file("header-name", "L-then-x")
                        // An 'x' without a path leaves the name to the 'L'.
                        .pax(pax_record("mtime", "1"))
                        .gnu_long('L', "long-only")
                        .file("header-name", "L")
                        .pax(pax_record("size", "7"))
                        .block({.name = "sized", .size = 3}, "1234567")
                        .pax(pax_record("comment", "ignored"), 'g')
                        .file("after-global", "g")
                        .done();
  check_recipe(tar, {{long_name, 9},
                     {"second", 3},
                     {"pax-wins", 8},
                     {"long-wins", 8},
                     {"long-only", 1},
                     {"sized", 7},
                     {"after-global", 1}});
}

TEST_CASE("GNU long names and links are followed", "[recipe]") {
  std::string long_name = "dir/" + std::string(200, 'n');
  std::string tar = HandTar()
                        .file("target", "t")
                        .gnu_long('L', long_name)
                        .block({.name = "truncated", .size = 4, .gnu = true}, "long")
                        .gnu_long('K', std::string(150, 't'))
                        .block({.name = "link", .type = '2', .link = std::string(100, 't'), .gnu = true})
                        .done();
  check_recipe(tar, {{"target", 1}, {long_name, 4}});
}

TEST_CASE("a file with a link name is never referenced", "[recipe]") {
  // libarchive 3.6 ignores a 'K' or pax linkpath on a regular file, 3.7.3
  // and later make it a hard link: either way the recipe keeps its bytes,
  // and when the extractor wrote a file of them the lists differ and the
  // recipe is dropped rather than trusted.
  std::string tar = HandTar()
                        .file("target", "t")
                        .gnu_long('K', "target")
                        .block({.name = "file-with-K", .size = 5, .gnu = true}, "bytes")
                        .pax(pax_record("linkpath", "target"))
                        .file("file-with-linkpath", "bytes")
                        .done();
  CHECK(record(tar).bodies == Bodies{{"target", 1}});
}

TEST_CASE("ustar prefixes and base-256 sizes are read as libarchive does", "[recipe]") {
  std::string data(70000, 'x');
  std::string tar = HandTar()
                        .block({.name = "name", .size = 3, .prefix = "some/prefix"}, "abc")
                        .block({.name = "b256", .size = data.size(), .gnu = true, .base256_size = true}, data)
                        .done();
  check_recipe(tar, {{"some/prefix/name", 3}, {"b256", data.size()}});
}

TEST_CASE("hard links carry no body, unless pax says they do", "[recipe]") {
  SECTION("ustar: a hard link's size is ignored") {
    std::string tar = HandTar()
                          .file("bin/busybox", "bb")
                          .block({.name = "bin/sh", .type = '1', .size = 0, .link = "bin/busybox"})
                          .done();
    check_recipe(tar, {{"bin/busybox", 2}});
  }
  SECTION("pax: a hard link with data keeps its data in the recipe") {
    std::string tar = HandTar()
                          .file("target", "t")
                          .pax(pax_record("mtime", "1"))
                          .block({.name = "linked", .type = '1', .size = 4, .link = "target"}, "data")
                          .done();
    check_recipe(tar, {{"target", 1}});
  }
  SECTION("made by libarchive") {
    std::string tar = libarchive_tar({{.name = "a", .data = "shared"},
                                      {.name = "b", .link = "a", .hardlink = true},
                                      {.name = "c", .type = AE_IFLNK, .link = "b"}});
    check_recipe(tar, {{"a", 6}});
  }
}

TEST_CASE("a name used twice references both contents", "[recipe]") {
  std::string tar = HandTar().file("dup", "first").file("other", "o").file("dup", "second!").done();
  check_recipe(tar, {{"dup", 5}, {"other", 1}, {"dup", 7}});
  ExtractReport report = extract(tar);
  CHECK(report.stashed_bodies == 1);  // the first `dup` lost its name: kept as stash/0
}

TEST_CASE("whiteouts and aufs metadata stay in the recipe", "[recipe]") {
  std::string tar = HandTar()
                        .dir("etc/")
                        .file("etc/motd", "hello")
                        .file("etc/.wh.motd", "a whiteout with content")
                        .file("opaque/.wh..wh..opq", "x")
                        .file(".wh..wh.plnk", "aufs")
                        .file("kept", "k")
                        .file(".", "the root as a file")  // last: it makes the root 0644
                        .done();
  check_recipe(tar, {{"etc/motd", 5}, {"kept", 1}});
  CHECK(extract(tar).stashed_bodies == 1);  // the whited-out etc/motd
}

TEST_CASE("a file named like a folder is a folder whose body is the next header", "[recipe]") {
  // libarchive reads the "body" of `x/` as the next header, and so must we.
  std::string tar = HandTar().block({.name = "x/", .size = 512}).file("y", "why").done();
  check_recipe(tar, {{"y", 3}});
}

TEST_CASE("other types: symlinks, devices, unknown types, GNU's volume label", "[recipe]") {
  std::string tar = HandTar()
                        .block({.name = "volume", .type = 'V', .gnu = true})
                        .block({.name = "l", .type = '2', .link = "/etc/passwd"})
                        .block({.name = "null", .type = '3'})
                        .file("contiguous", "seven", '7')
                        .file("unknown", "zed", 'Z')
                        .done();
  check_recipe(tar, {{"contiguous", 5}, {"unknown", 3}});
}

TEST_CASE("sparse files stay in the recipe", "[recipe]") {
  std::string tar;
  struct archive* a = tar_writer_into(tar, archive_write_set_format_pax);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "sparse");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, 1 << 20);
  archive_entry_sparse_add_entry(e, 0, 4);
  archive_entry_sparse_add_entry(e, (1 << 20) - 4, 4);
  REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
  std::string content(1 << 20, '\0');
  std::memcpy(content.data(), "head", 4);
  std::memcpy(content.data() + content.size() - 4, "tail", 4);
  REQUIRE(archive_write_data(a, content.data(), content.size()) == ssize_t(content.size()));
  archive_entry_free(e);
  e = archive_entry_new();
  archive_entry_set_pathname(e, "plain");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, 2);
  REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
  REQUIRE(archive_write_data(a, "pl", 2) == 2);
  archive_entry_free(e);
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
  check_recipe(tar, {{"plain", 2}});
}

TEST_CASE("what follows the end blocks, or a damaged header, is kept raw", "[recipe]") {
  SECTION("record padding and junk after the end") {
    std::string tar = HandTar().file("a", "1").done(10240) + "trailing junk";
    check_recipe(tar, {{"a", 1}});
  }
  SECTION("a bad checksum stops the parser, not the recipe") {
    std::string bad = header({.name = "b", .size = 1});
    bad[0] = 'c';
    std::string tar = HandTar().file("a", "1").raw(bad + padded("2")).done();
    Recorded r = record(tar);
    CHECK(r.bodies == Bodies{{"a", 1}});
    CHECK(r.gave_up == "a header with a bad checksum");
  }
  SECTION("malformed pax records stop the parser") {
    std::string tar = HandTar().pax("12 path=x\n").file("a", "1").done();
    Recorded r = record(tar);
    CHECK(r.bodies.empty());
    CHECK(r.gave_up == "malformed pax records");
  }
  SECTION("an empty stream") {
    Recorded r = record("");
    CHECK(r.bodies.empty());
  }
}

TEST_CASE("a damaged recipe is an error, never a different tar", "[recipe]") {
  for (std::string bad : {std::string("not zstd at all"), std::string()}) {
    UniqueFd fd = memfd(bad);
    TarRecipeReader reader(fd.get());
    CHECK_FALSE(reader.next().ok());
  }
  // A valid zstd frame of something else.
  UniqueFd fd = memfd(run_filter("zstd -q -c", "hello"));
  TarRecipeReader reader(fd.get());
  auto step = reader.next();
  REQUIRE_FALSE(step.ok());
  CHECK(step.error().text().find("not a tar recipe") != std::string::npos);
}

TEST_CASE("layer_entry_name classifies names as the extractor treats them", "[recipe]") {
  auto kind = [](const char* raw) { return layer_entry_name(raw).value().kind; };
  CHECK(kind("./") == LayerEntryKind::kRoot);
  CHECK(kind("/") == LayerEntryKind::kRoot);
  CHECK(kind("a/b") == LayerEntryKind::kPlain);
  CHECK(kind("a/.wh.b") == LayerEntryKind::kWhiteout);
  CHECK(kind("a/.wh..wh..opq") == LayerEntryKind::kOpaqueMarker);
  CHECK(kind(".wh..wh.plnk") == LayerEntryKind::kAufsMetadata);
  CHECK(kind("d/.wh.") == LayerEntryKind::kAufsMetadata);
  auto n = layer_entry_name("./a//b/../c/d");
  REQUIRE_OK(n);
  CHECK(n->rel == "a/c/d");
  CHECK(n->parent == "a/c");
  CHECK(n->name == "d");
  CHECK_FALSE(layer_entry_name("../x").ok());
}

// ---- the real thing: import, then write_layer_tar ----

namespace {

struct TestStore {
  TempDir tmp;
  Store store = Store::open(tmp / "root", tmp / "run").value();

  // Extracts `bytes` as skiff does and commits it; returns the chain ID.
  std::string import(const std::string& bytes) {
    auto pending = PendingLayer::extract(store, "", [&](ByteSink& sink) -> Status {
      for (size_t at = 0; at < bytes.size(); at += 65536) {
        std::string_view part = std::string_view(bytes).substr(at, 65536);
        TRY(sink.write({reinterpret_cast<const uint8_t*>(part.data()), part.size()}));
      }
      return sink.finish();
    });
    REQUIRE_OK(pending);
    std::string chain = pending->record().chain_id;
    auto lock = store.lock();
    REQUIRE_OK(lock);
    REQUIRE_OK(pending->commit());
    return chain;
  }

  std::string layer_tar(const std::string& chain) {
    StringSink out;
    Status written = write_layer_tar(store, chain, out);
    REQUIRE_OK(written);
    CHECK(out.finished);
    return out.out;
  }
};

// A folder of files made by the shell, tarred by GNU tar.
std::string gnu_tar_of_tree(const std::string& format) {
  TempDir tree;
  std::string script =
      "set -e; cd '" + tree.path + "'; mkdir -p usr/bin etc/deep/er/" + std::string(120, 'd') +
      "; echo hi > etc/motd; head -c 300000 /dev/urandom > usr/bin/tool; chmod 755 usr/bin/tool;"
      " ln usr/bin/tool usr/bin/tool2; ln -s ../etc/motd usr/motd; : > empty; chmod 600 etc/motd;"
      " echo long > etc/deep/er/" +
      std::string(120, 'd') + "/" + std::string(100, 'f') + "; tar --format=" + format +
      " --numeric-owner -cf '" + tree.path + ".tar' .";
  REQUIRE(std::system(script.c_str()) == 0);
  std::string tar = read_file(tree.path + ".tar", 64 << 20).value();
  ::unlink((tree.path + ".tar").c_str());
  return tar;
}

}  // namespace

TEST_CASE("write_layer_tar gives back the exact tar a layer was extracted from", "[recipe][userns]") {
  TestStore t;
  std::string tar;
  SECTION("a GNU tar made by tar") { tar = gnu_tar_of_tree("gnu"); }
  SECTION("a pax tar made by tar") { tar = gnu_tar_of_tree("pax"); }
  SECTION("a pax tar with long names and xattrs") {
    tar = libarchive_tar({{.name = "d", .type = AE_IFDIR, .xattrs = {{"user.dir", "1"}}},
                          {.name = "d/" + std::string(150, 'x') + "/" + std::string(150, 'x'),
                           .data = std::string(100000, 'y'),
                           .xattrs = {{"user.k", "v"}, {"user.bin", std::string("a\0b", 3)}}},
                          {.name = "d/l", .type = AE_IFLNK, .link = std::string(200, 'z')}});
  }
  SECTION("hard links, whiteouts and an opaque folder") {
    tar = libarchive_tar({{.name = "bin/busybox", .data = "busybox"},
                          {.name = "bin/sh", .link = "bin/busybox", .hardlink = true},
                          {.name = "etc/.wh.motd"},
                          {.name = "var", .type = AE_IFDIR},
                          {.name = "var/.wh..wh..opq"},
                          {.name = "var/new", .data = "n"}});
  }
  SECTION("a name used twice, a file replaced by a folder, a whited-out file of the same layer") {
    tar = HandTar()
              .file("dup", "first")
              .file("dup", "second")
              .file("x", "a file, then a folder")
              .dir("x/")
              .file("x/inner", "in")
              .file("gone", "deleted below")
              .file(".wh.gone", "")
              .file("linked", "kept through a hard link")
              .block({.name = "alias", .type = '1', .link = "linked"})
              .file("linked", "replaced")
              .done();
  }
  SECTION("an empty tar") { tar = HandTar().done(); }
  INFO("tar of " << tar.size() << " bytes");
  std::string chain = t.import(tar);
  CHECK(has_layer_tar_recipe(t.store, chain));
  CHECK(t.layer_tar(chain) == tar);
}

TEST_CASE("write_layer_tar of a gzip'ed import gives back the uncompressed tar", "[recipe][userns]") {
  TestStore t;
  std::string tar = gnu_tar_of_tree("gnu");
  std::string chain = t.import(run_filter("gzip -c -n", tar));
  CHECK(sha256_digest(t.layer_tar(chain)) == chain);
}

TEST_CASE("a 10,000-file layer has a small recipe", "[recipe][userns]") {
  TestStore t;
  TempDir tree;
  std::string script = "set -e; cd '" + tree.path +
                       "'; for d in $(seq 100); do mkdir d$d; for f in $(seq 100); do"
                       " echo \"file $d $f\" > d$d/file-$f.txt; done; done; tar --format=gnu -cf '" +
                       tree.path + ".tar' .";
  REQUIRE(std::system(script.c_str()) == 0);
  std::string tar = read_file(tree.path + ".tar", 64 << 20).value();
  ::unlink((tree.path + ".tar").c_str());
  std::string chain = t.import(tar);
  struct stat st;
  REQUIRE(::stat((t.store.layer_dir(chain) + "/" + kTarRecipeFile).c_str(), &st) == 0);
  INFO("tar " << tar.size() << " bytes, recipe " << st.st_size);
  CHECK(st.st_size < 400 * 1024);
  CHECK(t.layer_tar(chain) == tar);
}

TEST_CASE("write_layer_tar fails when the layer's files changed", "[recipe][userns]") {
  TestStore t;
  std::string tar = HandTar().file("a", "original").file("b", std::string(100000, 'b')).done();
  std::string chain = t.import(tar);
  std::string diff = t.store.layer_dir(chain) + "/diff";
  StringSink out;
  SECTION("a file is shorter") {
    REQUIRE(::truncate((diff + "/b").c_str(), 10) == 0);
    Status written = write_layer_tar(t.store, chain, out);
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().text() == fmt::format("layer {}: its files no longer match the tar it was "
                                                "extracted from (`b` has 10 bytes, not 100000)",
                                                chain));
  }
  SECTION("a file's content changed") {
    REQUIRE_OK(write_file_atomically(diff + "/a", "modified"));
    Status written = write_layer_tar(t.store, chain, out);
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().text().find(
              "its files no longer match the tar it was extracted from (the rebuilt tar's digest is") !=
          std::string::npos);
  }
  SECTION("a file became a symlink out of the layer") {
    REQUIRE(::unlink((diff + "/a").c_str()) == 0);
    REQUIRE(::symlink("/etc/passwd", (diff + "/a").c_str()) == 0);
    Status written = write_layer_tar(t.store, chain, out);
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().text().find("its files no longer match") != std::string::npos);
  }
  CHECK_FALSE(out.finished);
}

TEST_CASE("a layer without a recipe says so", "[recipe][userns]") {
  TestStore t;
  std::string chain = t.import(HandTar().file("a", "1").done());
  REQUIRE(::unlink((t.store.layer_dir(chain) + "/" + kTarRecipeFile).c_str()) == 0);
  CHECK_FALSE(has_layer_tar_recipe(t.store, chain));
  StringSink out;
  Status written = write_layer_tar(t.store, chain, out);
  REQUIRE_FALSE(written.ok());
  CHECK(written.error().text().find("has no tar recipe") != std::string::npos);
  CHECK(out.out.empty());
}

// ---- write_tree_tar ----

namespace {

struct TarEntry {
  std::string name;
  mode_t type;
  int64_t size;
  std::string link;  // symlink or hard link target
  std::string data;
  std::map<std::string, std::string> xattrs;
};

std::vector<TarEntry> read_tar(const std::string& tar) {
  std::vector<TarEntry> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_memory(a, tar.data(), tar.size()) == ARCHIVE_OK);
  struct archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    TarEntry t{archive_entry_pathname(e), archive_entry_filetype(e), archive_entry_size(e), "", "", {}};
    if (archive_entry_symlink(e)) t.link = archive_entry_symlink(e);
    if (archive_entry_hardlink(e)) t.link = archive_entry_hardlink(e);
    const char* name;
    const void* value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
      t.xattrs[name] = std::string(static_cast<const char*>(value), size);
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) t.data.append(buf, size_t(n));
    out.push_back(std::move(t));
  }
  archive_read_free(a);
  return out;
}

std::string tree_tar(const std::string& dir, bool oci) {
  StringSink out;
  REQUIRE_OK(write_tree_tar(dir, {.oci_whiteouts = oci}, out));
  CHECK(out.finished);
  return out.out;
}

}  // namespace

TEST_CASE("write_tree_tar writes a tree sorted, the same twice, readable by libarchive",
          "[tree-tar][userns]") {
  TempDir tmp;
  std::string root = tmp / "tree";
  std::string big(300000, 'q');
  std::string script =
      "set -e; mkdir '" + root + "'; cd '" + root +
      "'; mkdir -p b/sub a-b; echo one > b/sub/one;"
      " echo zero > a-b/zero; ln b/sub/one hard; ln -s b/sub/one soft; mkfifo fifo; : > empty;"
      " mkdir -p " +
      std::string(120, 'l') + "/" + std::string(120, 'm') + "; touch " + std::string(120, 'l') + "/" +
      std::string(120, 'm') + "/" + std::string(90, 'n');
  REQUIRE(std::system(script.c_str()) == 0);
  REQUIRE_OK(write_file_atomically(root + "/big", big));
  bool xattrs = ::setxattr((root + "/big").c_str(), "user.test", "value", 5, 0) == 0;
  if (xattrs) REQUIRE(::setxattr((root + "/b").c_str(), "user.overlay.origin", "x", 1, 0) == 0);
  std::string first = tree_tar(root, false);
  CHECK(tree_tar(root, false) == first);
  auto entries = read_tar(first);
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name);
  std::string long_dir = std::string(120, 'l') + "/";
  CHECK(names == std::vector<std::string>{"a-b/", "a-b/zero", "b/", "b/sub/", "b/sub/one", "big", "empty",
                                          "fifo", "hard", long_dir, long_dir + std::string(120, 'm') + "/",
                                          long_dir + std::string(120, 'm') + "/" + std::string(90, 'n'),
                                          "soft"});
  for (const auto& e : entries) {
    INFO(e.name);
    if (e.name == "big") {
      CHECK(e.data == big);
      if (xattrs) CHECK(e.xattrs == std::map<std::string, std::string>{{"user.test", "value"}});
    }
    if (e.name == "b/") CHECK(e.xattrs.empty());  // overlay's own are left out
    if (e.name == "hard") CHECK(e.link == "b/sub/one");
    if (e.name == "soft") {
      CHECK(e.type == AE_IFLNK);
      CHECK(e.link == "b/sub/one");
    }
    if (e.name == "fifo") CHECK(e.type == AE_IFIFO);
  }
  // And it extracts to the same tree.
  TestStore t;
  std::string chain = t.import(first);
  CHECK(read_file(t.store.layer_dir(chain) + "/diff/big").value() == big);
  CHECK(t.layer_tar(chain) == first);
}

TEST_CASE("write_tree_tar with OCI whiteouts turns overlay's marks into .wh. entries", "[tree-tar][userns]") {
  TempDir tmp;
  std::string root = tmp / "upper";
  REQUIRE(::mkdir(root.c_str(), 0755) == 0);
  REQUIRE(::mkdir((root + "/opaque").c_str(), 0750) == 0);
  REQUIRE_OK(write_file_atomically(root + "/opaque/new", "n"));
  if (::setxattr((root + "/opaque").c_str(), "user.overlay.opaque", "y", 1, 0) != 0) {
    WARN("skipped: no user xattrs here");
    return;
  }
  if (::mknod((root + "/deleted").c_str(), S_IFCHR | 0600, makedev(0, 0)) != 0) {
    WARN("skipped: can't make a whiteout here");
    return;
  }
  std::vector<std::string> names;
  for (const auto& e : read_tar(tree_tar(root, true))) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{".wh.deleted", "opaque/", "opaque/.wh..wh..opq", "opaque/new"});
  names.clear();
  for (const auto& e : read_tar(tree_tar(root, false))) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"deleted", "opaque/", "opaque/new"});
}

namespace {

// write_entry_tar_at of `name` in `dir` as `as_name`, read back.
std::vector<std::string> entry_tar_names(const std::string& dir, const std::string& name,
                                         const std::string& as_name, uint64_t* bytes = nullptr) {
  UniqueFd folder(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(folder);
  UniqueFd out(::memfd_create("entry.tar", MFD_CLOEXEC));
  REQUIRE(out);
  auto written = write_entry_tar_at(folder.get(), name, as_name, out.get());
  REQUIRE_OK(written);
  if (bytes) *bytes = *written;
  REQUIRE(::lseek(out.get(), 0, SEEK_SET) == 0);
  std::string tar;
  char buf[65536];
  for (ssize_t n; (n = ::read(out.get(), buf, sizeof buf)) > 0;) tar.append(buf, size_t(n));
  std::vector<std::string> names;
  for (const auto& e : read_tar(tar)) names.push_back(e.name + (e.link.empty() ? "" : " -> " + e.link));
  return names;
}

}  // namespace

TEST_CASE("write_entry_tar_at writes one entry under another name, or a folder's contents", "[tree-tar]") {
  TempDir tmp;
  std::string root = tmp / "tree";
  REQUIRE(std::system(
              ("set -e; mkdir -p '" + root + "/src/sub'; cd '" + root +
               "'; printf 12345 > src/sub/f; ln src/sub/f src/hard; ln -s sub/f src/soft; printf abc > file")
                  .c_str()) == 0);
  uint64_t bytes = 0;
  CHECK(entry_tar_names(root, "src", "dest", &bytes) ==
        std::vector<std::string>{"dest/", "dest/hard", "dest/soft -> sub/f", "dest/sub/",
                                 "dest/sub/f -> dest/hard"});
  CHECK(bytes == 5);
  CHECK(entry_tar_names(root, "src", "") ==
        std::vector<std::string>{"hard", "soft -> sub/f", "sub/", "sub/f -> hard"});
  CHECK(entry_tar_names(root, "file", "renamed", &bytes) == std::vector<std::string>{"renamed"});
  CHECK(bytes == 3);
  // A symlink is written as a link, never followed.
  CHECK(entry_tar_names(root + "/src", "soft", "soft") == std::vector<std::string>{"soft -> sub/f"});
  // "." is the folder itself.
  CHECK(entry_tar_names(root + "/src/sub", ".", "top") == std::vector<std::string>{"top/", "top/f"});
}

TEST_CASE("read-only overlay options list the layers, relative when long", "[recipe]") {
  auto native = read_only_overlay_options(RootfsDriver::kNative, {"/s/upper", "/s/l,1", "/s/l2"});
  REQUIRE_OK(native);
  CHECK(native->options == "lowerdir=/s/upper:/s/l\\,1:/s/l2,userxattr");
  CHECK(native->chdir.empty());
  std::vector<std::string> many;
  for (int i = 0; i < 50; i++)
    many.push_back("/home/someone/.local/share/skiff/layers/" + std::string(64, 'a' + i % 26) + "/diff");
  auto relative = read_only_overlay_options(RootfsDriver::kNative, many);
  REQUIRE_OK(relative);
  CHECK(relative->chdir == "/home/someone/.local/share/skiff/layers/");
  CHECK(relative->options.size() < 4096);
  auto fuse = read_only_overlay_options(RootfsDriver::kFuseOverlayfs, {"/a", "/b"});
  REQUIRE_OK(fuse);
  CHECK(fuse->options == "lowerdir=/a:/b");
  CHECK_FALSE(read_only_overlay_options(RootfsDriver::kFuseOverlayfs, {"/a:b", "/c"}).ok());
  CHECK_FALSE(read_only_overlay_options(RootfsDriver::kNative, {"/only"}).ok());
}
