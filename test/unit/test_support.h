// What several unit test files share: a temporary directory per test,
// REQUIRE_OK for Results, and running a shell filter over bytes.
#pragma once

#include <archive.h>
#include <catch2/catch.hpp>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include "base/fs.h"
#include "image/stream.h"
#include "linux/path_in_root.h"
#include "linux/userns.h"

namespace skiff::test {

/// A libarchive writer in the format `set_format` sets (e.g.
/// archive_write_set_format_pax) that appends what it writes to `out`.
inline struct archive* tar_writer_into(std::string& out, int (*set_format)(struct archive*)) {
  struct Out {
    static la_ssize_t write(struct archive*, void* data, const void* buf, size_t size) {
      static_cast<std::string*>(data)->append(static_cast<const char*>(buf), size);
      return la_ssize_t(size);
    }
  };
  struct archive* a = archive_write_new();
  REQUIRE(set_format(a) == ARCHIVE_OK);
  REQUIRE(archive_write_open2(a, &out, nullptr, &Out::write, nullptr, nullptr) == ARCHIVE_OK);
  return a;
}

/// A sink that keeps what reaches it, counting writes and finishes; a
/// write after finish() is an error.
class StringSink : public ByteSink {
 public:
  Status write(std::span<const uint8_t> data) override {
    if (finished) return make_error("write after finish");
    out.append(reinterpret_cast<const char*>(data.data()), data.size());
    writes++;
    return {};
  }
  Status finish() override {
    finishes++;
    finished = true;
    return {};
  }
  std::string out;
  int writes = 0;
  int finishes = 0;
  bool finished = false;
};

class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/skiff-test-XXXXXX";
    if (!::mkdtemp(templ.data()))
      throw std::runtime_error("mkdtemp `" + templ + "`: " + std::strerror(errno));
    path = templ;
  }
  ~TempDir() { (void)remove_tree(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// `path + "/" + name`.
  std::string operator/(std::string_view name) const { return path + "/" + std::string(name); }

  std::string path;
};

/// Container 0 -> our own uid and gid, nothing else: works as root and as a
/// user without newuidmap, and makes a real user namespace in both cases.
inline IdMapping single_id_mapping() {
  IdMapping m;
  m.uids = {{0, uint32_t(::geteuid()), 1}};
  m.gids = {{0, uint32_t(::getegid()), 1}};
  return m;
}

/// Selects openat2 or the fallback walk of linux/path_in_root.h for one
/// test, and always resets.
class WalkMode {
 public:
  explicit WalkMode(bool fallback) { force_path_walk_fallback(fallback); }
  ~WalkMode() { force_path_walk_fallback(false); }
};

/// The names in a directory, sorted, without "." and "..".
inline std::vector<std::string> entries(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = ::opendir(path.c_str());
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

/// The output of a shell filter (e.g. "gzip -c -n") given `input` on stdin.
inline std::string run_filter(const std::string& command, std::string_view input) {
  TempDir dir;
  REQUIRE(write_file_atomically(dir / "in", input).ok());
  std::string line = command + " < '" + (dir / "in") + "' > '" + (dir / "out") + "'";
  INFO(line);
  REQUIRE(std::system(line.c_str()) == 0);
  auto out = read_file(dir / "out", 1 << 30);
  REQUIRE(out.ok());
  return *out;
}

}  // namespace skiff::test

/// REQUIRE that a Result is ok, printing its error text when it is not.
#define REQUIRE_OK(expr)                                                   \
  do {                                                                     \
    const auto& require_ok_ = (expr);                                      \
    INFO((require_ok_.ok() ? std::string() : require_ok_.error().text())); \
    REQUIRE(require_ok_.ok());                                             \
  } while (false)
